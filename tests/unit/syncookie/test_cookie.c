/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cookie.c - SipHash vectors, sequence and timestamp cookies, secret
 * rotation and the MSS table.
 *
 * Statistical tests (forgeries, bit flips) overwrite the random secrets with
 * fixed keys and draw their inputs from a seeded PRNG, so a run is exactly
 * reproducible: a failure is a bug, never bad luck.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow/flow_key.h"
#include "syncookie/cookie.h"
#include "syncookie/siphash.h"

/* SipHash-2-4, key 00..0f, message 00 01 .. (len-1), len = 0..63 (from the paper). */
static const uint64_t sip_vectors[64] = {
	UINT64_C(0x726fdb47dd0e0e31), UINT64_C(0x74f839c593dc67fd), UINT64_C(0x0d6c8009d9a94f5a), UINT64_C(0x85676696d7fb7e2d),
	UINT64_C(0xcf2794e0277187b7), UINT64_C(0x18765564cd99a68d), UINT64_C(0xcbc9466e58fee3ce), UINT64_C(0xab0200f58b01d137),
	UINT64_C(0x93f5f5799a932462), UINT64_C(0x9e0082df0ba9e4b0), UINT64_C(0x7a5dbbc594ddb9f3), UINT64_C(0xf4b32f46226bada7),
	UINT64_C(0x751e8fbc860ee5fb), UINT64_C(0x14ea5627c0843d90), UINT64_C(0xf723ca908e7af2ee), UINT64_C(0xa129ca6149be45e5),
	UINT64_C(0x3f2acc7f57c29bdb), UINT64_C(0x699ae9f52cbe4794), UINT64_C(0x4bc1b3f0968dd39c), UINT64_C(0xbb6dc91da77961bd),
	UINT64_C(0xbed65cf21aa2ee98), UINT64_C(0xd0f2cbb02e3b67c7), UINT64_C(0x93536795e3a33e88), UINT64_C(0xa80c038ccd5ccec8),
	UINT64_C(0xb8ad50c6f649af94), UINT64_C(0xbce192de8a85b8ea), UINT64_C(0x17d835b85bbb15f3), UINT64_C(0x2f2e6163076bcfad),
	UINT64_C(0xde4daaaca71dc9a5), UINT64_C(0xa6a2506687956571), UINT64_C(0xad87a3535c49ef28), UINT64_C(0x32d892fad841c342),
	UINT64_C(0x7127512f72f27cce), UINT64_C(0xa7f32346f95978e3), UINT64_C(0x12e0b01abb051238), UINT64_C(0x15e034d40fa197ae),
	UINT64_C(0x314dffbe0815a3b4), UINT64_C(0x027990f029623981), UINT64_C(0xcadcd4e59ef40c4d), UINT64_C(0x9abfd8766a33735c),
	UINT64_C(0x0e3ea96b5304a7d0), UINT64_C(0xad0c42d6fc585992), UINT64_C(0x187306c89bc215a9), UINT64_C(0xd4a60abcf3792b95),
	UINT64_C(0xf935451de4f21df2), UINT64_C(0xa9538f0419755787), UINT64_C(0xdb9acddff56ca510), UINT64_C(0xd06c98cd5c0975eb),
	UINT64_C(0xe612a3cb9ecba951), UINT64_C(0xc766e62cfcadaf96), UINT64_C(0xee64435a9752fe72), UINT64_C(0xa192d576b245165a),
	UINT64_C(0x0a8787bf8ecb74b2), UINT64_C(0x81b3e73d20b49b6f), UINT64_C(0x7fa8220ba3b2ecea), UINT64_C(0x245731c13ca42499),
	UINT64_C(0xb78dbfaf3a8d83bd), UINT64_C(0xea1ad565322a1a0b), UINT64_C(0x60e61c23a3795013), UINT64_C(0x6606d7e446282b93),
	UINT64_C(0x6ca4ecb15c5f91e1), UINT64_C(0x9f626da15c9625f3), UINT64_C(0xe51b38608ef25f57), UINT64_C(0x958a324ceb064572),
};

static const uint16_t default_mss[8] = { 536, 1220, 1330, 1360, 1400, 1440, 1452, 1460 };
static const uint16_t jumbo_mss[8] = { 536, 1220, 1440, 1460, 4036, 8960, 9000, 9176 };

#define PERIOD 64

/* splitmix64: reproducible test inputs. */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
random_key(struct flow_key *k)
{
	if (rng() & 1) {
		uint32_t a[4], b[4];

		for (int i = 0; i < 4; i++) {
			a[i] = (uint32_t)rng();
			b[i] = (uint32_t)rng();
		}
		flow_key_v6(k, a, b, (uint16_t)rng(), (uint16_t)rng(), 6);
	} else {
		flow_key_v4(k, (uint32_t)rng(), (uint32_t)rng(), (uint16_t)rng(),
			    (uint16_t)rng(), 6);
	}
}

/* Secrets with fixed keys: deterministic statistics. */
static void
fixed_secrets(struct cookie_secrets *s, uint32_t now)
{
	assert_int_equal(cookie_secrets_init(s, PERIOD, now), 0);
	for (int i = 0; i < COOKIE_SLOTS; i++) {
		s->key[i][0] = UINT64_C(0x0123456789abcdef) * (uint64_t)(i + 1);
		s->key[i][1] = UINT64_C(0xfedcba9876543210) ^ (uint64_t)i;
	}
}

/* ---- SipHash ---- */

static void
test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];
	uint64_t k[2];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len < 64; len++)
		assert_true(siphash24(key, msg, len) == sip_vectors[len]);

	/* The word form agrees on whole-word lengths. */
	siphash24_key_load(k, key);
	assert_true(k[0] == UINT64_C(0x0706050403020100));
	assert_true(k[1] == UINT64_C(0x0f0e0d0c0b0a0908));
	for (unsigned int n = 0; n < 8; n++) {
		uint64_t w[8];

		for (unsigned int i = 0; i < n; i++)
			w[i] = siphash24_load_le64(msg + 8 * i);
		assert_true(siphash24_words(k, w, n) == sip_vectors[8 * n]);
	}
	/* An unaligned message gives the same answer. */
	{
		uint8_t buf[65];

		memcpy(buf + 1, msg, 63);
		assert_true(siphash24(key, buf + 1, 63) == sip_vectors[63]);
	}
}

static void
test_siphash_6w_matches_general(void **state)
{
	(void)state;
	rng_state = 1;
	for (int it = 0; it < 1000; it++) {
		uint8_t key[16], msg[48];
		uint64_t k[2], w[6];

		for (int i = 0; i < 16; i++)
			key[i] = (uint8_t)rng();
		for (int i = 0; i < 48; i++)
			msg[i] = (uint8_t)rng();
		siphash24_key_load(k, key);
		for (int i = 0; i < 6; i++)
			w[i] = siphash24_load_le64(msg + 8 * i);
		assert_true(siphash24_6w(k, w) == siphash24(key, msg, 48));
	}
}

/* The cookie hash is exactly SipHash over flow_key || t (little-endian); the
 * ISN is added to it, not hashed. */
static void
test_cookie_hash_definition(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint8_t key[16], msg[48];

	(void)state;
	rng_state = 2;
	assert_int_equal(cookie_secrets_init(&s, PERIOD, 5000), 0);
	for (int it = 0; it < 100; it++) {
		uint32_t isn = (uint32_t)rng(), t = (uint32_t)rng();
		uint64_t k0 = s.key[t & 3][0], k1 = s.key[t & 3][1];

		random_key(&k);
		for (int i = 0; i < 8; i++) {
			key[i] = (uint8_t)(k0 >> (8 * i));
			key[8 + i] = (uint8_t)(k1 >> (8 * i));
		}
		/* IPv6: the whole key; IPv4: its non-zero words only
		 * (addresses, then ports/family/proto). */
		size_t kl = 40;
		if (k.family == FLOW_AF_INET) {
			memcpy(msg, &k.wan_addr[0], 4);
			memcpy(msg + 4, &k.lan_addr[0], 4);
			memcpy(msg + 8, (const uint8_t *)&k + 32, 8);
			kl = 16;
		} else {
			memcpy(msg, &k, 40);
		}
		for (int i = 0; i < 8; i++)
			msg[kl + i] = (uint8_t)((uint64_t)t >> (8 * i));
		assert_int_equal(cookie_hash(&s, &k, t), (uint32_t)siphash24(key, msg, kl + 8));
		/* cookie = isn + C: C does not depend on the ISN. */
		uint32_t now = t * PERIOD;
		if ((t & 3) == ((now / PERIOD) & 3))
			assert_int_equal(cookie_make(&s, &k, isn, 1, false, now) - isn,
					 cookie_make(&s, &k, isn ^ 0x5a5a5a5a, 1, false, now) -
					 (isn ^ 0x5a5a5a5a));
	}
}

/* ---- secrets ---- */

static void
test_secrets_init(void **state)
{
	struct cookie_secrets s;
	uint32_t now = 10 * PERIOD + 5, t = 10;

	(void)state;
	assert_int_equal(cookie_secrets_init(&s, 0, now), -1);
	assert_int_equal(cookie_secrets_init(NULL, PERIOD, now), -1);
	assert_int_equal(cookie_secrets_init(&s, PERIOD, now), 0);
	assert_int_equal(s.period, PERIOD);
	assert_int_equal(s.gen[(t - 1) & 3], t - 1);
	assert_int_equal(s.gen[t & 3], t);
	assert_int_equal(s.gen[(t + 1) & 3], t + 1);
	assert_int_not_equal(s.gen[(t + 2) & 3], t + 2);
	/* Four independent 128-bit keys, none zero. */
	for (int i = 0; i < 4; i++) {
		assert_false(s.key[i][0] == 0 && s.key[i][1] == 0);
		for (int j = i + 1; j < 4; j++)
			assert_false(s.key[i][0] == s.key[j][0] && s.key[i][1] == s.key[j][1]);
	}
	/* A second init draws different keys. */
	{
		struct cookie_secrets s2;

		assert_int_equal(cookie_secrets_init(&s2, PERIOD, now), 0);
		assert_memory_not_equal(s.key, s2.key, sizeof(s.key));
	}
	/* Period counter 0: slot for t - 1 wraps without harm. */
	assert_int_equal(cookie_secrets_init(&s, PERIOD, 0), 0);
	assert_int_equal(s.gen[0], 0);
	assert_int_equal(s.gen[1], 1);
	assert_int_equal(s.gen[3], UINT32_MAX);
}

static void
test_secrets_rotate(void **state)
{
	struct cookie_secrets s, snap;
	uint32_t t = 100, now = t * PERIOD;

	(void)state;
	assert_int_equal(cookie_secrets_init(&s, PERIOD, now), 0);
	/* Within period t the next slot already exists: rotate is a no-op. */
	snap = s;
	for (uint32_t sec = 0; sec < PERIOD; sec++)
		assert_int_equal(cookie_secrets_rotate(&s, now + sec), 0);
	assert_memory_equal(&s, &snap, sizeof(s));

	/* First second of t + 1: exactly slot (t + 2) & 3 is replaced, once. */
	assert_int_equal(cookie_secrets_rotate(&s, (t + 1) * PERIOD), 1);
	assert_int_equal(s.gen[(t + 2) & 3], t + 2);
	assert_false(s.key[(t + 2) & 3][0] == snap.key[(t + 2) & 3][0] &&
		     s.key[(t + 2) & 3][1] == snap.key[(t + 2) & 3][1]);
	for (uint32_t d = 0; d < 3; d++) {
		uint32_t slot = (t - 1 + d) & 3;

		assert_memory_equal(s.key[slot], snap.key[slot], sizeof(s.key[slot]));
	}
	snap = s;
	for (uint32_t sec = 1; sec < PERIOD; sec++)
		assert_int_equal(cookie_secrets_rotate(&s, (t + 1) * PERIOD + sec), 0);
	assert_memory_equal(&s, &snap, sizeof(s));

	/* Every slot differs from every other after a few rotations. */
	for (uint32_t p = t + 2; p < t + 6; p++)
		assert_int_equal(cookie_secrets_rotate(&s, p * PERIOD + 3), 1);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			assert_false(s.key[i][0] == s.key[j][0] && s.key[i][1] == s.key[j][1]);

	/* Bad input. */
	assert_int_equal(cookie_secrets_rotate(NULL, now), -1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cookie_secrets_rotate(&s, now), -1);
}

/* A zeroed secrets struct (period 0) must not divide by zero. */
static void
test_zeroed_secrets_no_crash(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint8_t idx;
	uint32_t c;

	(void)state;
	memset(&s, 0, sizeof(s));
	flow_key_v4(&k, 1, 2, 3, 4, 6);
	c = cookie_make(&s, &k, 1000, 2, false, 77);
	assert_int_equal(cookie_check(&s, &k, 1000, c, 77, &idx), 0);
	assert_int_equal(idx, 2);
}

/* ---- sequence cookie ---- */

static void
test_cookie_idx_roundtrip(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint32_t now = 1000 * PERIOD + 17;

	(void)state;
	rng_state = 3;
	fixed_secrets(&s, now);
	for (int it = 0; it < 2000; it++) {
		uint32_t isn = (uint32_t)rng();
		uint8_t idx = (uint8_t)(it & 7), got = 0xff;
		uint32_t c;

		random_key(&k);
		c = cookie_make(&s, &k, isn, idx, false, now);
		/* The period bits are t & 3. */
		assert_int_equal((c - isn) >> 30, (now / PERIOD) & 3);
		assert_int_equal(cookie_check(&s, &k, isn, c, now, &got), 0);
		assert_int_equal(got, idx);
		/* Deterministic for equal inputs. */
		assert_int_equal(cookie_make(&s, &k, isn, idx, false, now), c);
	}
}

static void
test_cookie_full_roundtrip(void **state)
{
	struct cookie_secrets s;
	struct cookie_mss_table tbl;
	struct flow_key k;
	uint32_t base = 4242 * PERIOD;
	unsigned int combos = 0;

	(void)state;
	rng_state = 4;
	assert_int_equal(cookie_secrets_init(&s, PERIOD, base), 0);
	assert_int_equal(cookie_mss_table_init(&tbl, default_mss, 8), 0);

	for (uint8_t idx = 0; idx < 8; idx++)
	for (uint8_t fine = 0; fine < 4; fine++)
	for (uint8_t ws = 0; ws <= 15; ws++)
	for (int sack = 0; sack < 2; sack++)
	for (int ts = 0; ts < 2; ts++)
	for (int ecn = 0; ecn < 2; ecn++) {
		struct cookie_opts in = { 0 }, out;
		uint32_t isn = (uint32_t)rng(), now = base + (uint32_t)(rng() % PERIOD);
		uint32_t clock = (uint32_t)rng(), tsval = 0, cookie;
		uint8_t enc_fine;
		uint16_t lo = default_mss[idx], mss, expect;

		/*
		 * The smallest client MSS in quarter `fine` of its step (above the
		 * table for the last index, where there are no fine bits).
		 */
		if (idx < 7)
			mss = lo + (fine * (default_mss[idx + 1] - lo) + 3) / 4;
		else
			mss = lo + fine * 1000;
		expect = cookie_mss_decode(&tbl, idx, idx < 7 ? fine : 0);
		assert_int_equal(cookie_mss_encode(&tbl, mss, &enc_fine), idx);
		assert_int_equal(enc_fine, idx < 7 ? fine : 0);
		assert_true(expect <= mss);

		random_key(&k);
		in.mss = mss;
		in.wscale = ws;     /* 15 == TCP_WSCALE_NONE */
		in.sack = sack;
		in.ts = ts;
		in.ecn = ecn;
		cookie = cookie_encode_syn(&s, &tbl, &k, isn, &in, now, clock, &tsval);

		/* The ACK may come a little later, even in the next period. */
		memset(&out, 0xa5, sizeof(out));
		assert_int_equal(cookie_decode_ack(&s, &tbl, &k, isn + 1, cookie + 1, ts,
						   tsval, now + (uint32_t)(rng() % PERIOD), &out), 0);
		if (ts) {
			assert_int_equal(out.mss, expect);
			assert_int_equal(out.wscale, ws);
			assert_int_equal(out.sack, sack);
			assert_int_equal(out.ecn, ecn);
			assert_int_equal(out.ts, 1);
		} else {
			assert_int_equal(out.mss, default_mss[idx]);
			assert_int_equal(out.wscale, TCP_WSCALE_NONE);
			assert_int_equal(out.sack, 0);
			assert_int_equal(out.ecn, 0);
			assert_int_equal(out.ts, 0);
		}
		assert_true(out.mss <= mss);
		combos++;
	}
	assert_int_equal(combos, 8 * 4 * 16 * 2 * 2 * 2);
}

static void
test_cookie_forged_rejected(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint32_t now = 777 * PERIOD + 3;
	unsigned int accepted = 0, accepted_aimed = 0;
	const unsigned int n = 1000000;

	(void)state;
	rng_state = 5;
	fixed_secrets(&s, now);
	random_key(&k);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t isn = (uint32_t)rng(), guess = (uint32_t)rng();
		uint8_t idx;

		accepted += cookie_check(&s, &k, isn, guess, now, &idx) == 0;
		/* A forger who knows the period bits still faces 26 hash bits. */
		guess = isn + ((((now / PERIOD) & 3) << 30) | (guess & 0x3fffffff));
		accepted_aimed += cookie_check(&s, &k, isn, guess, now, &idx) == 0;
	}
	/* Expected n / 2 / 2^26 ~ 0.007 and n / 2^26 ~ 0.015: far below 0.01 %. */
	assert_true(accepted <= 3);
	assert_true(accepted_aimed <= 3);
}

static void
test_cookie_expiry(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint32_t t = 50;
	uint8_t idx;

	(void)state;
	rng_state = 6;
	assert_int_equal(cookie_secrets_init(&s, PERIOD, t * PERIOD), 0);
	for (int it = 0; it < 200; it++) {
		uint32_t isn = (uint32_t)rng(), c;
		uint32_t made = t * PERIOD + (uint32_t)(rng() % PERIOD);
		struct cookie_secrets r = s;

		random_key(&k);
		c = cookie_make(&r, &k, isn, 5, false, made);
		/* Same period, anywhere in it. */
		assert_int_equal(cookie_check(&r, &k, isn, c, t * PERIOD, &idx), 0);
		assert_int_equal(cookie_check(&r, &k, isn, c, t * PERIOD + PERIOD - 1, &idx), 0);
		/* The control lcore rotates each second through t + 1 and t + 2. */
		for (uint32_t now = made; now < (t + 3) * PERIOD; now++)
			cookie_secrets_rotate(&r, now);
		assert_int_equal(cookie_check(&r, &k, isn, c, (t + 1) * PERIOD, &idx), 0);
		assert_int_equal(idx, 5);
		assert_int_equal(cookie_check(&r, &k, isn, c, (t + 1) * PERIOD + PERIOD - 1, &idx), 0);
		assert_int_equal(cookie_check(&r, &k, isn, c, (t + 2) * PERIOD, &idx), -1);
		assert_int_equal(cookie_check(&r, &k, isn, c, (t + 2) * PERIOD + 30, &idx), -1);
		assert_int_equal(cookie_check(&r, &k, isn, c, (t + 3) * PERIOD, &idx), -1);
		/* Four periods later the slot comes round again, but t is hashed in. */
		assert_int_equal(cookie_check(&r, &k, isn, c, (t + 4) * PERIOD, &idx), -1);
		/* A cookie from the future (clock behind) is no good either. */
		assert_int_equal(cookie_check(&r, &k, isn, c, (t - 1) * PERIOD, &idx), -1);
	}
}

/* Made in the last second of a period, checked in the first of the next. */
static void
test_cookie_rotation_edge(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint8_t idx;

	(void)state;
	rng_state = 7;
	for (uint32_t t = 1; t < 40; t++) {
		uint32_t isn = (uint32_t)rng(), c, last = (t + 1) * PERIOD - 1;

		assert_int_equal(cookie_secrets_init(&s, PERIOD, t * PERIOD), 0);
		random_key(&k);
		c = cookie_make(&s, &k, isn, 3, false, last);
		assert_int_equal(cookie_secrets_rotate(&s, last + 1), 1);
		assert_int_equal(cookie_check(&s, &k, isn, c, last + 1, &idx), 0);
		assert_int_equal(idx, 3);
		/* And the first cookie of the new period validates at once too. */
		c = cookie_make(&s, &k, isn, 4, false, last + 1);
		assert_int_equal(cookie_check(&s, &k, isn, c, last + 1, &idx), 0);
		assert_int_equal(idx, 4);
	}
	/* With a 1-second period the window is 1..2 s. */
	assert_int_equal(cookie_secrets_init(&s, 1, 1000), 0);
	{
		uint32_t c = cookie_make(&s, &k, 9, 1, false, 1000);

		assert_int_equal(cookie_check(&s, &k, 9, c, 1001, &idx), 0);
		assert_int_equal(cookie_secrets_rotate(&s, 1001), 1);
		assert_int_equal(cookie_check(&s, &k, 9, c, 1002, &idx), -1);
	}
}

static void
test_cookie_bit_flips(void **state)
{
	struct cookie_secrets s;
	struct cookie_mss_table tbl8, tbl3;
	struct flow_key k;
	uint32_t now = 321 * PERIOD + 40;
	uint16_t three[3] = { 536, 1200, 1460 };

	(void)state;
	rng_state = 8;
	fixed_secrets(&s, now);
	assert_int_equal(cookie_mss_table_init(&tbl8, default_mss, 8), 0);
	assert_int_equal(cookie_mss_table_init(&tbl3, three, 3), 0);
	for (int it = 0; it < 2000; it++) {
		uint32_t isn = (uint32_t)rng(), c;
		uint8_t idx = (uint8_t)(rng() % 3), got;
		struct cookie_opts o;

		random_key(&k);
		c = cookie_make(&s, &k, isn, idx, false, now);
		for (int bit = 0; bit < 32; bit++) {
			/* Flip bit `bit` of C = cookie - isn, the layout the spec defines. */
			uint32_t f = isn + ((c - isn) ^ (UINT32_C(1) << bit));
			/* And the same bit of the cookie on the wire (a carry may spread it). */
			uint32_t w = c ^ (UINT32_C(1) << bit);
			int r = cookie_check(&s, &k, isn, f, now, &got);

			if (bit == 26) {
				/* The cache bit: accepted, only that bit changes. */
				struct cookie_ack a;
				assert_int_equal(r, 0);
				assert_int_equal(got, idx);
				assert_int_equal(cookie_check_ack(&s, &k, isn + 1, f + 1, false, now, &a), 0);
				assert_true(a.cache);
			} else if (bit >= 27 && bit < 30) {
				/* MSS bits: accepted, only the index changes. */
				uint8_t want = idx ^ (uint8_t)(1 << (bit - 27));

				assert_int_equal(r, 0);
				assert_int_equal(got, want);
				assert_int_equal(cookie_decode_ack(&s, &tbl8, &k, isn + 1, f + 1,
								   false, 0, now, &o), 0);
				assert_int_equal(o.mss, default_mss[want]);
				/* ...but never an index beyond the table. */
				assert_int_equal(cookie_decode_ack(&s, &tbl3, &k, isn + 1, f + 1,
								   false, 0, now, &o),
						 want < 3 ? 0 : -1);
				if (cookie_decode_ack(&s, &tbl3, &k, isn + 1, w + 1, false, 0, now, &o) == 0)
					assert_true(o.mss == three[0] || o.mss == three[1] ||
						    o.mss == three[2]);
			} else {
				assert_int_equal(r, -1);
				assert_int_equal(cookie_decode_ack(&s, &tbl8, &k, isn + 1, f + 1,
								   false, 0, now, &o), -1);
				/* On the wire too: the flipped bit itself is a hash or period bit. */
				assert_int_equal(cookie_check(&s, &k, isn, w, now, &got), -1);
			}
		}
	}
}

static void
test_cookie_wrong_isn_or_tuple(void **state)
{
	struct cookie_secrets s;
	struct flow_key k, m;
	uint32_t now = 99 * PERIOD + 1;
	uint8_t idx;

	(void)state;
	rng_state = 9;
	fixed_secrets(&s, now);
	for (int it = 0; it < 2000; it++) {
		uint32_t isn = (uint32_t)rng(), c;

		random_key(&k);
		c = cookie_make(&s, &k, isn, 1, false, now);
		assert_int_equal(cookie_check(&s, &k, isn, c, now, &idx), 0);

		/* Other ISN with the same cookie. */
		assert_int_equal(cookie_check(&s, &k, isn + 1, c, now, &idx), -1);
		assert_int_equal(cookie_check(&s, &k, isn - 1, c, now, &idx), -1);
		/* The same C with another ISN is good: the ISN is added, not
		 * hashed (cookie.h says why that gives a forger nothing). */
		assert_int_equal(cookie_check(&s, &k, isn + 12345, c + 12345, now, &idx), 0);

		/* Every field of the tuple matters. */
		m = k; m.wan_port ^= 1;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		m = k; m.lan_port ^= 0x100;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		m = k; m.wan_addr[0] ^= 0x01000000;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		m = k; m.lan_addr[0] ^= 1;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		if (k.family == FLOW_AF_INET6) {   /* IPv4 keys keep words 1..3 zero */
			m = k; m.wan_addr[3] ^= 0x80;
			assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		}
		m = k; m.proto = 17;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		m = k; m.family = m.family == FLOW_AF_INET ? FLOW_AF_INET6 : FLOW_AF_INET;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
		/* Swapped direction is a different connection. */
		m = k;
		memcpy(m.wan_addr, k.lan_addr, 16);
		memcpy(m.lan_addr, k.wan_addr, 16);
		m.wan_port = k.lan_port;
		m.lan_port = k.wan_port;
		assert_int_equal(cookie_check(&s, &m, isn, c, now, &idx), -1);
	}
	/* Different secrets reject it too. */
	{
		struct cookie_secrets other;
		uint32_t c = cookie_make(&s, &k, 5, 1, false, now);

		fixed_secrets(&other, now);
		other.key[(now / PERIOD) & 3][0] ^= 1;
		assert_int_equal(cookie_check(&other, &k, 5, c, now, &idx), -1);
	}
}

/* ---- MSS table ---- */

static void
check_mss_table_exhaustive(const uint16_t *mss, unsigned int n)
{
	struct cookie_mss_table tbl;

	assert_int_equal(cookie_mss_table_init(&tbl, mss, n), 0);
	for (uint32_t m = 1; m <= 65535; m++) {
		uint8_t fine = 0xff;
		unsigned int idx = cookie_mss_encode(&tbl, (uint16_t)m, &fine);
		uint16_t dec = cookie_mss_decode(&tbl, (uint8_t)idx, fine);

		assert_true(idx < n);
		assert_true(fine <= 3);
		if (m < mss[0]) {
			/* Below the table: index 0, decodes to mss[0] (536 by design). */
			assert_int_equal(idx, 0);
			assert_int_equal(fine, 0);
			assert_int_equal(dec, mss[0]);
			continue;
		}
		/* Largest entry <= m. */
		assert_true(mss[idx] <= m);
		assert_true(idx + 1 == n || mss[idx + 1] > m);
		/* Never above the offer, and within a quarter step below it. */
		assert_true(dec <= m);
		assert_true(dec >= mss[idx]);
		if (idx + 1 < n)
			assert_true((uint32_t)(m - dec) * 4 < (uint32_t)(mss[idx + 1] - mss[idx]) + 4);
		else
			assert_int_equal(fine, 0);
		/* fine is the quarter rounded down. */
		if (idx + 1 < n)
			assert_int_equal(fine, ((m - mss[idx]) * 4) / (mss[idx + 1] - mss[idx]));
	}
}

static void
test_mss_exhaustive(void **state)
{
	static const uint16_t one[1] = { 1460 };
	static const uint16_t two[2] = { 1, 65535 };

	(void)state;
	check_mss_table_exhaustive(default_mss, 8);
	check_mss_table_exhaustive(jumbo_mss, 8);
	check_mss_table_exhaustive(one, 1);
	check_mss_table_exhaustive(two, 2);
	check_mss_table_exhaustive(default_mss + 2, 5);
}

static void
test_mss_table_init_and_decode_edges(void **state)
{
	struct cookie_mss_table tbl;
	uint16_t bad_order[3] = { 536, 1460, 1400 };
	uint16_t dup[3] = { 536, 1400, 1400 };
	uint16_t zero[2] = { 0, 1400 };
	uint16_t nine[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	(void)state;
	assert_int_equal(cookie_mss_table_init(&tbl, default_mss, 0), -1);
	assert_int_equal(cookie_mss_table_init(&tbl, nine, 9), -1);
	assert_int_equal(cookie_mss_table_init(&tbl, bad_order, 3), -1);
	assert_int_equal(cookie_mss_table_init(&tbl, dup, 3), -1);
	assert_int_equal(cookie_mss_table_init(&tbl, zero, 2), -1);
	assert_int_equal(cookie_mss_table_init(&tbl, NULL, 2), -1);
	assert_int_equal(cookie_mss_table_init(NULL, default_mss, 2), -1);

	cookie_mss_table_default(&tbl);
	assert_int_equal(tbl.n, 8);
	assert_memory_equal(tbl.mss, default_mss, sizeof(default_mss));

	/* Examples by hand: 1300 is in [1220, 1330): step 110, quarter 27.5. */
	{
		uint8_t fine;

		assert_int_equal(cookie_mss_encode(&tbl, 1300, &fine), 1);
		assert_int_equal(fine, 2);      /* (80 * 4) / 110 = 2 */
		assert_int_equal(cookie_mss_decode(&tbl, 1, 2), 1275);
		assert_int_equal(cookie_mss_decode(&tbl, 1, 1), 1247);  /* 27.5 rounds down */
		assert_int_equal(cookie_mss_decode(&tbl, 1, 3), 1302);  /* 82.5 rounds down */
		assert_int_equal(cookie_mss_encode(&tbl, 1460, &fine), 7);
		assert_int_equal(fine, 0);
		assert_int_equal(cookie_mss_encode(&tbl, 9000, &fine), 7);
		assert_int_equal(cookie_mss_decode(&tbl, 7, 3), 1460);   /* fine ignored */
		assert_int_equal(cookie_mss_encode(&tbl, 100, &fine), 0);
		assert_int_equal(cookie_mss_decode(&tbl, 0, 0), 536);
		assert_int_equal(cookie_mss_encode(&tbl, 1219, NULL), 0);
	}
	/* Decoding junk never goes past the table or above it. */
	for (unsigned int idx = 0; idx < 256; idx++)
		for (unsigned int fine = 0; fine < 256; fine++) {
			uint16_t d = cookie_mss_decode(&tbl, (uint8_t)idx, (uint8_t)fine);

			assert_true(d >= 536 && d <= 1460);
			if (idx >= 8)
				assert_int_equal(d, 536);
		}
	/* An empty (zeroed) table decodes to the RFC default. */
	memset(&tbl, 0, sizeof(tbl));
	assert_int_equal(cookie_mss_decode(&tbl, 0, 0), COOKIE_MSS_DEFAULT);
	assert_int_equal(cookie_mss_encode(&tbl, 1460, NULL), 0);
}

/* ---- timestamp cookie ---- */

static void
test_ts_cookie_layout(void **state)
{
	struct cookie_opts o = { 0 }, d;
	uint32_t v;

	(void)state;
	o.wscale = 7;
	o.proxy_wscale = 9;
	o.sack = 1;
	o.ecn = 0;
	o.mss_fine = 2;
	v = cookie_ts_make(0x12345fff, &o);
	assert_int_equal(v & 0xfff, 0x97a);
	assert_int_equal(v >> 12, 0x12345);
	cookie_ts_decode(v, &d);
	assert_int_equal(d.proxy_wscale, 9);

	/* Low bits above the clock's: one step back, never ahead of the clock. */
	o.wscale = TCP_WSCALE_NONE;
	o.proxy_wscale = TCP_WSCALE_NONE;
	o.sack = 1;
	o.ecn = 1;
	o.mss_fine = 3;
	v = cookie_ts_make(0x12345010, &o);
	assert_int_equal(v, 0x12344fff);

	/* Clock near zero wraps like any TCP timestamp. */
	v = cookie_ts_make(0x00000005, &o);
	assert_int_equal(v, 0xffffffff);

	/* No wscale and scale 0 are different things. */
	memset(&d, 0, sizeof(d));
	cookie_ts_decode(cookie_ts_make(1000, &o), &d);
	assert_int_equal(d.wscale, TCP_WSCALE_NONE);
	o.wscale = 0;
	cookie_ts_decode(cookie_ts_make(1000, &o), &d);
	assert_int_equal(d.wscale, 0);

	/* Illegal scales are clamped to 14 (RFC 7323). */
	for (unsigned int ws = 16; ws < 256; ws++) {
		o.wscale = (uint8_t)ws;
		cookie_ts_decode(cookie_ts_make(1000, &o), &d);
		assert_int_equal(d.wscale, 14);
	}
	assert_int_equal(cookie_wscale_from_syn(false, 0), TCP_WSCALE_NONE);
	assert_int_equal(cookie_wscale_from_syn(true, 0), 0);
	assert_int_equal(cookie_wscale_from_syn(true, 14), 14);
	assert_int_equal(cookie_wscale_from_syn(true, 15), 14);
	assert_int_equal(cookie_wscale_from_syn(true, 255), 14);
}

static void
test_ts_cookie_roundtrip_all(void **state)
{
	(void)state;
	rng_state = 10;
	for (unsigned int ws = 0; ws <= 15; ws++)
	for (unsigned int bits = 0; bits < 16; bits++)
	for (int it = 0; it < 64; it++) {
		struct cookie_opts o = { 0 }, d;
		uint32_t clock = it < 4 ? (uint32_t)it * 0x55 : (uint32_t)rng();
		uint32_t v;

		o.wscale = (uint8_t)ws;
		o.proxy_wscale = (uint8_t)((ws + it) % 16);
		o.sack = bits & 1;
		o.ecn = (bits >> 1) & 1;
		o.mss_fine = bits >> 2;
		v = cookie_ts_make(clock, &o);
		/* At most 4095 ms behind the clock, never ahead. */
		assert_true((uint32_t)(clock - v) < 4096);
		memset(&d, 0, sizeof(d));
		d.mss = 1234;
		cookie_ts_decode(v, &d);
		assert_int_equal(d.wscale, ws);
		assert_int_equal(d.proxy_wscale, o.proxy_wscale);
		assert_int_equal(d.sack, o.sack);
		assert_int_equal(d.ecn, o.ecn);
		assert_int_equal(d.mss_fine, o.mss_fine);
		assert_int_equal(d.ts, 1);
		assert_int_equal(d.mss, 1234);     /* untouched */
	}
}

/* A forged TSecr can only pick among legal option values. */
static void
test_decode_ack_any_tsecr(void **state)
{
	struct cookie_secrets s;
	struct cookie_mss_table tbl;
	struct flow_key k;
	uint32_t now = 12 * PERIOD;
	uint32_t isn = 0xfffffff0u, c;   /* seq wraps through zero */

	(void)state;
	fixed_secrets(&s, now);
	cookie_mss_table_default(&tbl);
	flow_key_v4(&k, 0x0a000001, 0x0a000002, 40000, 80, 6);
	c = cookie_make(&s, &k, isn, 6, false, now);
	for (uint32_t tsecr = 0; tsecr < 256; tsecr++) {
		struct cookie_opts o = { 0 };

		assert_int_equal(cookie_decode_ack(&s, &tbl, &k, isn + 1, c + 1, true,
						   0xabcdef00u | tsecr, now, &o), 0);
		assert_true(o.wscale <= 14 || o.wscale == TCP_WSCALE_NONE);
		assert_true(o.mss >= 1452 && o.mss <= 1460);
	}
	/* And a wrong seq or ack is rejected. */
	{
		struct cookie_opts o = { 0 };

		assert_int_equal(cookie_decode_ack(&s, &tbl, &k, isn, c + 1, false, 0, now, &o), -1);
		assert_int_equal(cookie_decode_ack(&s, &tbl, &k, isn + 1, c, false, 0, now, &o), -1);
		assert_int_equal(cookie_decode_ack(&s, &tbl, &k, isn + 1, c + 1, false, 0, now, &o), 0);
		assert_int_equal(o.mss, 1452);
	}
}

/* The probe reading: one hash checks seq - 1 and, for a zero-length ACK,
 * seq itself as the ISN; the cache bit comes back. */
static void
test_cookie_probe_reading(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint32_t now = 321 * PERIOD + 7;
	struct cookie_ack a;

	(void)state;
	rng_state = 31;
	fixed_secrets(&s, now);
	for (int it = 0; it < 20000; it++) {
		uint32_t isn = (uint32_t)rng();
		uint8_t idx = (uint8_t)(rng() & 7);
		bool cache = rng() & 1;
		uint32_t c;

		random_key(&k);
		c = cookie_make(&s, &k, isn, idx, cache, now);
		/* the handshake ACK, zero length or with data */
		for (int zl = 0; zl < 2; zl++) {
			memset(&a, 0xff, sizeof(a));
			assert_int_equal(cookie_check_ack(&s, &k, isn + 1, c + 1, zl, now, &a), 0);
			assert_int_equal(a.client_isn, isn);
			assert_int_equal(a.mss_idx, idx);
			assert_int_equal(a.cache, cache);
		}
		/* the zero-window probe: seq = ISN, zero length only */
		if (((c - isn) & COOKIE_LOW_MASK) != COOKIE_LOW_MASK) {
			assert_int_equal(cookie_check_ack(&s, &k, isn, c + 1, true, now, &a), 0);
			assert_int_equal(a.client_isn, isn);
			assert_int_equal(a.mss_idx, idx);
			assert_int_equal(a.cache, cache);
		}
		assert_int_equal(cookie_check_ack(&s, &k, isn, c + 1, false, now, &a), -1);
		/* neither reading reaches further */
		assert_int_equal(cookie_check_ack(&s, &k, isn - 1, c + 1, true, now, &a), -1);
		assert_int_equal(cookie_check_ack(&s, &k, isn + 2, c + 1, true, now, &a), -1);
		assert_int_equal(cookie_check_ack(&s, &k, isn + 1, c, true, now, &a), -1);
		assert_int_equal(cookie_check_ack(&s, &k, isn + 1, c + 3, true, now, &a), -1);
		/* expired: both readings */
		assert_int_equal(cookie_check_ack(&s, &k, isn, c + 1, true, now + 2 * PERIOD, &a), -1);
	}
}

/* A cookie whose low 30 bits of C are all ones: its probe reading would
 * borrow from the period bits, and is refused rather than hashed twice; the
 * usual ACK still works. Found by search: 2^26 hashes on average. */
static void
test_cookie_probe_period_borrow(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint32_t now = 44 * PERIOD + 1, t = now / PERIOD;
	struct cookie_ack a;
	uint32_t i, h = 0;

	(void)state;
	fixed_secrets(&s, now);
	flow_key_v4(&k, 0xc6120001, 0xc6130001, 0, 80, 6);
	for (i = 0; i < (1u << 30); i++) {
		k.wan_addr[0] = 0xc6120000u + (i >> 16);
		k.wan_port = (uint16_t)i;
		h = cookie_hash(&s, &k, t);
		if ((h & COOKIE_HASH_MASK) == COOKIE_HASH_MASK)
			break;
	}
	assert_true(i < (1u << 30));
	/* code bits all ones too: mss_idx << 1 | cache = ~(h >> 26) & 15 */
	uint32_t code = ~(h >> COOKIE_CODE_SHIFT) & 15;
	uint32_t isn = 0x7654321u, c = cookie_make(&s, &k, isn, (uint8_t)(code >> 1), code & 1, now);
	assert_int_equal((c - isn) & COOKIE_LOW_MASK, COOKIE_LOW_MASK);
	assert_int_equal(cookie_check_ack(&s, &k, isn + 1, c + 1, true, now, &a), 0);
	assert_int_equal(a.client_isn, isn);
	assert_int_equal(cookie_check_ack(&s, &k, isn, c + 1, true, now, &a), -1);
}

/* Blind guesses at the probe reading: two values of C per guess, 26 bits each. */
static void
test_cookie_probe_forgery(void **state)
{
	struct cookie_secrets s;
	struct flow_key k;
	uint32_t now = 778 * PERIOD + 3;
	unsigned int accepted = 0;
	const unsigned int n = 1000000;
	struct cookie_ack a;

	(void)state;
	rng_state = 32;
	fixed_secrets(&s, now);
	random_key(&k);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t seq = (uint32_t)rng(), guess = (uint32_t)rng();

		guess = seq + ((((now / PERIOD) & 3) << 30) | (guess & 0x3fffffff));
		accepted += cookie_check_ack(&s, &k, seq, guess, true, now, &a) == 0;
	}
	/* Expected 2 n / 2^26 ~ 0.03. */
	assert_true(accepted <= 3);
}

/* The period counter's multiply is the divide it replaces, for every
 * period and clock value tried: edges around multiples and random ones. */
static void
test_period_div_exact(void **state)
{
	static const uint32_t periods[] = { 1, 2, 3, 7, 60, 64, 1000, 86399, 1u << 20,
					    0x80000001u, UINT32_MAX - 1, UINT32_MAX };
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (unsigned p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
		struct cookie_secrets s;
		uint32_t d = periods[p];

		memset(&s, 0, sizeof(s));
		s.period = d;
		s.period_m = cookie_period_magic(d);
		for (uint64_t q = 0; q < 5; q++) {
			uint64_t base = q * d;
			for (int e = -1; e <= 1; e++) {
				uint64_t n = base + (uint64_t)(int64_t)e;
				if (n > UINT32_MAX)
					continue;
				assert_int_equal(cookie_period_div(&s, (uint32_t)n), (uint32_t)n / d);
			}
		}
		for (int i = 0; i < 100000; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint32_t n = (uint32_t)x;
			assert_int_equal(cookie_period_div(&s, n), n / d);
		}
		assert_int_equal(cookie_period_div(&s, UINT32_MAX), UINT32_MAX / d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_siphash_6w_matches_general),
		cmocka_unit_test(test_cookie_hash_definition),
		cmocka_unit_test(test_cookie_probe_reading),
		cmocka_unit_test(test_cookie_probe_period_borrow),
		cmocka_unit_test(test_cookie_probe_forgery),
		cmocka_unit_test(test_secrets_init),
		cmocka_unit_test(test_secrets_rotate),
		cmocka_unit_test(test_zeroed_secrets_no_crash),
		cmocka_unit_test(test_cookie_idx_roundtrip),
		cmocka_unit_test(test_cookie_full_roundtrip),
		cmocka_unit_test(test_cookie_forged_rejected),
		cmocka_unit_test(test_cookie_expiry),
		cmocka_unit_test(test_cookie_rotation_edge),
		cmocka_unit_test(test_cookie_bit_flips),
		cmocka_unit_test(test_cookie_wrong_isn_or_tuple),
		cmocka_unit_test(test_mss_exhaustive),
		cmocka_unit_test(test_mss_table_init_and_decode_edges),
		cmocka_unit_test(test_ts_cookie_layout),
		cmocka_unit_test(test_ts_cookie_roundtrip_all),
		cmocka_unit_test(test_decode_ack_any_tsecr),
		cmocka_unit_test(test_period_div_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
