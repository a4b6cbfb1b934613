/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cookie.h - stateless SYN cookies: the sequence cookie, the timestamp cookie
 * and the rotating secrets behind them.
 *
 * Sequence cookie. The ISN of the proxy's SYN-ACK is
 *
 *	cookie = client_isn + C
 *	C      = (t & 3) << 30 | ((code ^ (h >> 26)) & 15) << 26 | (h & 0x03ffffff)
 *	code   = mss_idx << 1 | cache     (cache: the SYN's options went to the SYN cache)
 *	h      = low 32 bits of SipHash-2-4(secret[t & 3], flow_key || t)
 *	         (for IPv4 only the key's non-zero words: addresses, ports, family)
 *	t      = now_sec / period  (with a shared key: wall-clock seconds / period)
 *
 * The client's ACK gives back client_isn + 1 (its seq) and cookie + 1 (its ack),
 * so C = ack - seq can be recomputed from the ACK alone. The two period bits
 * say which secret to use, so a check costs exactly one SipHash; a cookie is
 * good in the period it was made and the next one (a lifetime of one to two
 * periods). t itself is hashed too, so a key that came round again after four
 * periods still cannot revive an old cookie.
 *
 * The client's ISN is added, not hashed (Linux's cookies are additive in the
 * ISN too). That is what lets one hash check two ACKs: the SYN-ACK announces a
 * zero window, so a client whose handshake ACK was lost has nothing to send
 * but zero-window probes, and a probe carries seq = snd_una - 1 = client_isn
 * itself. A zero-length ACK is therefore also accepted as C' = C - 1 (its seq
 * is the ISN), checked against the same h: C and C - 1 share their period
 * bits except when the low 30 bits of C are all zero, and then the probe
 * reading is refused without a second hash (a real cookie ends in 2^30 - 1
 * there once in 2^30 handshakes; such a client recovers only with data, whose
 * seq is client_isn + 1). At most one reading can match, as C and C - 1
 * differ in their hash bits. An ACK flood thus still costs one SipHash per
 * ACK. What this gives away:
 *  - a blind forger's odds per guess double for zero-length ACKs: each one
 *    tests two values of C, 2^-25 instead of 2^-26 (data ACKs: 2^-26);
 *  - an off-path forger learns nothing more: h depends on the secret, the
 *    tuple and t, and C is never seen off the path. Someone who sees a
 *    SYN-ACK learns C for that tuple and period and could complete the
 *    handshake with another ISN - but the same observer can already replay
 *    the client's own ACK, and gets no flow the real client could not make.
 *  - a late segment of an earlier connection on the same tuple, within the
 *    cookie's lifetime and after the proxy forgot its flow, validates if it
 *    acknowledged as many bytes as it sent (ack - seq = C, e.g. a bare ACK
 *    after SYN and FIN only). The server then gets a SYN; the client's stack
 *    resets the window update that follows. Linux's cookies share this.
 *
 * The 4 code bits are masked with hash bits but NOT authenticated: a flip
 * there changes only the decoded MSS index or the cache bit. That is harmless
 * - a peer that completes the handshake could have offered any MSS in its SYN
 * anyway, and the cache bit only decides whether a missing cache entry is an
 * error (it resets the peer that flipped it) - but an index beyond the
 * configured table must never be used, so cookie_decode_ack() rejects it. The
 * 26 hash bits give a forger a 2^-26 chance per guess (Linux: 2^-24).
 *
 * Why the cache bit takes a hash bit rather than a TS cookie bit: the cache
 * matters exactly for clients that sent no timestamp (with one, the TS cookie
 * below carries everything the SYN-ACK announced, and a lost cache entry costs
 * nothing). Without a timestamp there is no TS cookie to put the bit in, and
 * without the bit a lost entry (evicted, expired) leaves the proxy guessing
 * the window scale and SACK it told the client, and the windows end up wrong
 * by a factor of 2^wscale. One hash bit buys certainty: a "cached" cookie
 * whose entry is gone and whose ACK has no timestamp gets a RST.
 *
 * Timestamp cookie. When the client sent a timestamp option, the low 12 bits of
 * the SYN-ACK's TSval carry what the sequence cookie has no room for:
 *	bits 11..8 the window scale the proxy announced in that SYN-ACK (15 = none):
 *	           server options are learned concurrently, so what was announced
 *	           must come back with the ACK rather than be looked up again
 *	bits 7..4  window scale 0..14, or 15 = the client sent no wscale option
 *	bit  3     SACK permitted
 *	bit  2     ECN: the SYN-ACK told the client yes (ECE; fwd/ecn.h)
 *	bits 1..0  MSS fine bits: which quarter of [mss[i], mss[i+1]) the MSS was in
 * The upper 20 bits are the proxy's millisecond clock. The client echoes the
 * TSval as TSecr in its ACK. These bits are not authenticated either, for the
 * same reason as the MSS bits: they only describe what the peer itself offers.
 *
 * Secrets. Four slots indexed by t & 3. Workers only ever read the slots for t
 * and t - 1. The control lcore calls cookie_secrets_rotate() about once a second;
 * it writes only slot (t + 1) & 3, once per period, and that slot is read by
 * nobody until period t + 1 starts - normally a whole period later (the
 * default period is 64 s; use at least 2 s so the write is never concurrent
 * with the first reads). Hence no lock: a write barrier orders the key before
 * the gen[] mark that records it, and time orders it before its first use.
 *
 * Shared key (cookie_secrets_init_keyed). With a master key from the key file
 * (keyfile.h) the secret of period t is no longer random but
 *	key(t)[i] = SipHash(M0, L || t || i) ^ SipHash(M1, L || t || i), i = 0, 1
 * (M0, M1 the two 128-bit halves of the master, L a 16-byte label), and t
 * counts wall-clock seconds: t = (now_sec + clock_offset) / period, where
 * clock_offset = CLOCK_REALTIME - now_sec is refreshed each second by
 * cookie_secrets_set_clock() (the workers keep their cheap TSC seconds). So
 * every process or box with the same key, the same period and clocks within
 * a period of each other computes the same secrets. A box a little behind
 * another sees that one's cookies one period "early", so a keyed check also
 * accepts the next period (t + 1): a cookie validates from one period before
 * to one period after the period it was made in, on any box. Readers then use
 * t - 1, t and t + 1, and rotate() writes slot (t + 2) & 3 - read by nobody
 * until period t + 1 - only once period t is a second old, so a worker still
 * on a burst stamped in period t - 1 never reads a slot being written. When
 * the wall clock steps by more than a second the offset moves: the slots the
 * new t needs are derived first, then the offset is published. A step of two
 * periods or more can make a few cookies in flight fail (never pass); a
 * forger gains nothing, as every key stays secret and t is hashed in.
 *
 * MSS table. Up to 8 ascending MSS values (default 536 1220 1330 1360 1400
 * 1440 1452 1460). A client MSS is encoded as the index of the largest entry
 * not above it, plus 2 fine bits, and decodes to a value that is never larger
 * than what the client offered. A client MSS below mss[0] encodes as index 0
 * and decodes to mss[0]; mss[0] should therefore be 536, the RFC 9293 default
 * every TCP must accept.
 */
#ifndef SYNPROXY_COOKIE_H
#define SYNPROXY_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "flow/flow_key.h"
#include "syncookie/siphash.h"

#define COOKIE_SLOTS          4
#define COOKIE_MSS_MAX        8       /* entries in the MSS table (3 index bits) */
#define COOKIE_MSS_DEFAULT    536     /* RFC 9293 default MSS */
#define COOKIE_WSCALE_MAX     14      /* RFC 7323 limit */

#define COOKIE_HASH_MASK      UINT32_C(0x03ffffff)
#define COOKIE_CODE_SHIFT     26      /* code = mss_idx << 1 | cache, 4 bits */
#define COOKIE_PERIOD_SHIFT   30
#define COOKIE_LOW_MASK       UINT32_C(0x3fffffff)   /* all but the period bits */

struct cookie_secrets {
	uint64_t key[COOKIE_SLOTS][2];  /* SipHash k0/k1 per slot, slot = t & 3 */
	uint32_t period;                /* seconds */
	uint32_t clock_offset;          /* keyed: wall seconds - now_sec (mod 2^32); else 0 */
	uint8_t age_ok_extra;           /* keyed: 0x8 = also accept "age 3", i.e. t + 1 */
	uint8_t keyed;
	uint32_t gen[COOKIE_SLOTS];     /* the period counter each slot was made for */
	uint64_t master[4];             /* keyed: the two 128-bit derivation keys */
	uint64_t period_m;              /* ceil(2^64 / period) (cookie_period_div); 0: period < 2 */
};

struct cookie_mss_table {
	uint16_t mss[COOKIE_MSS_MAX];   /* strictly ascending */
	uint8_t n;                      /* 1..8 */
};

/* What the client offered in its SYN, as far as a cookie can remember it. */
struct cookie_opts {
	uint16_t mss;
	uint8_t wscale;                 /* 0..14, or TCP_WSCALE_NONE */
	uint8_t proxy_wscale;           /* announced to the client: 0..14, or NONE (TS cookie) */
	uint8_t sack:1, ts:1,
		ecn:1,                  /* the client asked for ECN and was told yes */
		mss_fine:2,             /* quarter within the MSS table step (TS cookie) */
		cache:1;                /* the SYN's options are in the SYN cache (seq cookie) */
};

/*
 * Fill the slots for t - 1, t and t + 1 (t = now_sec / period_sec) with fresh
 * random keys from getrandom(2), or /dev/urandom if that fails. Returns 0, or
 * -1 if period_sec is 0 or no random source works.
 */
int cookie_secrets_init(struct cookie_secrets *s, uint32_t period_sec, uint32_t now_sec);

/*
 * Shared-key secrets: the 32-byte master from keyfile_load(), the period,
 * now_sec (the clock the workers pass to cookie_make/check) and wall_sec
 * (CLOCK_REALTIME seconds). Derives the slots for t - 1 .. t + 2 (t from the
 * wall clock). Returns 0, or -1 on bad arguments.
 */
int cookie_secrets_init_keyed(struct cookie_secrets *s, uint32_t period_sec,
			      const uint8_t master[32], uint32_t now_sec, uint32_t wall_sec);

/*
 * Control lcore, about once a second: make sure slot (t + 1) & 3 holds a key
 * made for period t + 1 (keyed: also t - 1 and t, and t + 2 once period t is a
 * second old). Returns 1 if a new key was published, 0 if it was already
 * there, -1 if the random source failed (the old key stays; since t is hashed
 * in, reusing it never makes an old cookie valid again).
 */
int cookie_secrets_rotate(struct cookie_secrets *s, uint32_t now_sec);

/*
 * Keyed secrets, control lcore, before each rotate(): follow the wall clock.
 * If wall_sec - now_sec moved by more than a second from clock_offset, derive
 * the slots the new period needs, then publish the new offset; returns 1.
 * Returns 0 if nothing changed or the secrets are not keyed, -1 on bad input.
 */
int cookie_secrets_set_clock(struct cookie_secrets *s, uint32_t now_sec, uint32_t wall_sec);

/*
 * len bytes from the kernel CSPRNG (getrandom without blocking, else
 * /dev/urandom). 0, or -1 if neither works. Also used for other secret seeds.
 */
int cookie_random_bytes(void *buf, size_t len);

/* Validate and load an MSS table: 1..8 entries, non-zero, strictly ascending. */
int cookie_mss_table_init(struct cookie_mss_table *tbl, const uint16_t *mss, unsigned int n);

/* The default table: 536 1220 1330 1360 1400 1440 1452 1460. */
void cookie_mss_table_default(struct cookie_mss_table *tbl);

/* Window scale as the cookie stores it, from the SYN's option (present or not). */
static inline uint8_t
cookie_wscale_from_syn(bool present, uint8_t value)
{
	if (!present)
		return TCP_WSCALE_NONE;
	return value > COOKIE_WSCALE_MAX ? COOKIE_WSCALE_MAX : value;
}

/*
 * n / period without a divide: the high half of n * ceil(2^64 / period),
 * exact for every 32-bit n and period (Lemire, Kaser, Kurz, "Faster
 * remainder by direct computation", 2019, theorem 1: 64 fraction bits >=
 * 32 + 32). Every SYN and cookie ACK needs the period counter before its
 * SipHash can start: a 32-bit div is ~25 cycles of latency there, this
 * multiply ~4 (the div was ~20% of a forged ACK's handling).
 */
static inline uint32_t
cookie_period_div(const struct cookie_secrets *s, uint32_t n)
{
	if (__builtin_expect(s->period_m == 0, 0))
		return n / (s->period ? s->period : 1);   /* period 1, or a zeroed struct */
	return (uint32_t)(((unsigned __int128)s->period_m * n) >> 64);
}

static inline uint64_t
cookie_period_magic(uint32_t period)
{
	return period > 1 ? UINT64_MAX / period + 1 : 0;
}

static inline uint32_t
cookie_period_counter(const struct cookie_secrets *s, uint32_t now_sec)
{
	/* A zeroed struct must not divide by zero. The offset is 0 unless keyed. */
	uint32_t off = __atomic_load_n(&s->clock_offset, __ATOMIC_ACQUIRE);

	return cookie_period_div(s, now_sec + off);
}

/* Low 32 bits of SipHash(secret[t & 3], flow_key || t). */
static inline uint32_t
cookie_hash(const struct cookie_secrets *s, const struct flow_key *k, uint32_t t)
{
	const uint8_t *kb = (const uint8_t *)k;
	uint64_t w[6];

	if (k->family == FLOW_AF_INET) {
		/* IPv4 addresses sit in word 0 of each address: the whole
		 * input packs into 3 words, 10 SipRounds instead of 16. */
		w[0] = (uint64_t)k->wan_addr[0] | (uint64_t)k->lan_addr[0] << 32;
		w[1] = siphash24_load_le64(kb + 32);
		w[2] = (uint64_t)t;
		return (uint32_t)siphash24_words(s->key[t & 3], w, 3);
	}
	w[0] = siphash24_load_le64(kb);
	w[1] = siphash24_load_le64(kb + 8);
	w[2] = siphash24_load_le64(kb + 16);
	w[3] = siphash24_load_le64(kb + 24);
	w[4] = siphash24_load_le64(kb + 32);
	w[5] = (uint64_t)t;
	return (uint32_t)siphash24_6w(s->key[t & 3], w);
}

/* The SYN-ACK's ISN for this SYN. mss_idx comes from cookie_mss_encode();
 * cache says the SYN's options went into the SYN cache. */
static inline uint32_t
cookie_make(const struct cookie_secrets *s, const struct flow_key *k,
	    uint32_t client_isn, uint8_t mss_idx, bool cache, uint32_t now_sec)
{
	uint32_t t = cookie_period_counter(s, now_sec);
	uint32_t h = cookie_hash(s, k, t);
	uint32_t code = (uint32_t)(mss_idx & 7) << 1 | (cache ? 1u : 0u);
	uint32_t c;

	c = (t & 3) << COOKIE_PERIOD_SHIFT |
	    ((code ^ (h >> COOKIE_CODE_SHIFT)) & 15) << COOKIE_CODE_SHIFT |
	    (h & COOKIE_HASH_MASK);
	return client_isn + c;
}

/* What a good cookie ACK says. */
struct cookie_ack {
	uint32_t client_isn;    /* seq - 1, or seq itself for a zero-window probe */
	uint8_t mss_idx;        /* 0..7, NOT checked against a table here */
	bool cache;             /* the SYN-ACK's options came from the SYN cache */
};

/*
 * Check the cookie of a handshake ACK (seq, ack as on the wire). The usual
 * reading is client_isn = seq - 1; when zero_len (no payload, no SYN/FIN) the
 * probe reading client_isn = seq is tried too, with the same hash (see the
 * design comment). Returns 0 and fills *out if the cookie was made in the
 * current or the previous period (keyed secrets: or the next one, made by a
 * box whose clock is ahead), -1 otherwise.
 */
static inline int
cookie_check_ack(const struct cookie_secrets *s, const struct flow_key *k, uint32_t seq,
		 uint32_t ack, bool zero_len, uint32_t now_sec, struct cookie_ack *out)
{
	uint32_t t_now = cookie_period_counter(s, now_sec);
	uint32_t c = ack - seq;          /* (ack - 1) - (seq - 1) */
	uint32_t age = (t_now - (c >> COOKIE_PERIOD_SHIFT)) & 3;
	uint32_t h, isn = seq - 1;

	/* The period bits name the slot; "now" and "one ago" are accepted, and
	 * with a shared key "one ahead" (age 3, i.e. -1) too. */
	if (!(((0x3u | s->age_ok_extra) >> age) & 1))
		return -1;
	h = cookie_hash(s, k, t_now - (age == 3 ? UINT32_MAX : age));
	if ((c ^ h) & COOKIE_HASH_MASK) {
		/* A probe: C = c - 1, in the same period (no borrow out of
		 * the low 30 bits), else no second hash: refused. */
		if (!zero_len || !(c & COOKIE_LOW_MASK) || (((c - 1) ^ h) & COOKIE_HASH_MASK))
			return -1;
		c--;
		isn = seq;
	}
	uint32_t code = ((c ^ h) >> COOKIE_CODE_SHIFT) & 15;
	out->client_isn = isn;
	out->mss_idx = (uint8_t)(code >> 1);
	out->cache = code & 1;
	return 0;
}

/*
 * Check a cookie (the ACK's ack - 1) against client_isn (the ACK's seq - 1),
 * the usual reading only. Returns 0 and the MSS index (0..7, NOT checked
 * against a table here), or -1, as cookie_check_ack().
 */
static inline int
cookie_check(const struct cookie_secrets *s, const struct flow_key *k,
	     uint32_t client_isn, uint32_t cookie, uint32_t now_sec, uint8_t *mss_idx)
{
	struct cookie_ack a;

	if (cookie_check_ack(s, k, client_isn + 1, cookie + 1, false, now_sec, &a) != 0)
		return -1;
	*mss_idx = a.mss_idx;
	return 0;
}

/*
 * Index of the largest entry <= client_mss (0 if below all), and in *fine
 * (may be NULL) the quarter of [mss[i], mss[i+1]) it lies in, rounded down
 * (always 0 for the last index or below the table).
 */
static inline uint8_t
cookie_mss_encode(const struct cookie_mss_table *tbl, uint16_t client_mss, uint8_t *fine)
{
	unsigned int n = tbl->n > COOKIE_MSS_MAX ? COOKIE_MSS_MAX : tbl->n;
	unsigned int idx = n, f = 0;

	/* From the top: most clients offer the largest entry or close to it.
	 * (Counting over the whole table and a division were ~6% of a SYN.) */
	while (idx > 0 && tbl->mss[idx - 1] > client_mss)
		idx--;
	if (idx == 0)
		goto out;      /* below the table: index 0, no fine bits */
	idx--;
	if (idx + 1 < n) {
		/* floor((client - lo) * 4 / step) without dividing: the k-th
		 * quarter starts at lo + ceil(k * step / 4). */
		unsigned int lo = tbl->mss[idx], step = tbl->mss[idx + 1] - lo;
		unsigned int d = (unsigned int)client_mss - lo;
		f = (d >= (step + 3) / 4) + (d >= (2 * step + 3) / 4) + (d >= (3 * step + 3) / 4);
	}
out:
	if (fine)
		*fine = (uint8_t)(f & 3);
	return (uint8_t)idx;
}

/* mss[idx] + fine * (mss[idx+1] - mss[idx]) / 4, rounded down. */
static inline uint16_t
cookie_mss_decode(const struct cookie_mss_table *tbl, uint8_t idx, uint8_t fine)
{
	unsigned int n = tbl->n > COOKIE_MSS_MAX ? COOKIE_MSS_MAX : tbl->n;
	unsigned int lo, hi;

	if (n == 0)
		return COOKIE_MSS_DEFAULT;
	if (idx >= n)
		return tbl->mss[0];     /* never trust an index past the table */
	lo = tbl->mss[idx];
	if (idx + 1u == n)
		return (uint16_t)lo;
	hi = tbl->mss[idx + 1];
	if (hi <= lo)
		return (uint16_t)lo;
	return (uint16_t)(lo + ((fine & 3u) * (hi - lo)) / 4);
}

/*
 * The SYN-ACK's TSval: the proxy clock with its low 12 bits replaced by the
 * option bits. If that would put the value ahead of the clock, one 4096 ms
 * step is taken off, so every later TSval the proxy sends (from the clock)
 * is >= this one, as RFC 7323 wants TSvals to be monotonic.
 */
static inline uint32_t
cookie_ts_make(uint32_t ts_clock, const struct cookie_opts *o)
{
	uint32_t ws = o->wscale, pws = o->proxy_wscale;
	uint32_t low, tsval;

	if (ws != TCP_WSCALE_NONE && ws > COOKIE_WSCALE_MAX)
		ws = COOKIE_WSCALE_MAX;
	if (pws != TCP_WSCALE_NONE && pws > COOKIE_WSCALE_MAX)
		pws = COOKIE_WSCALE_MAX;
	low = pws << 8 | ws << 4 | (uint32_t)o->sack << 3 | (uint32_t)o->ecn << 2 | o->mss_fine;
	tsval = (ts_clock & ~UINT32_C(0xfff)) | low;
	if (low > (ts_clock & 0xfff))
		tsval -= 0x1000;
	return tsval;
}

/* The option bits back from the ACK's TSecr. Leaves o->mss alone. */
static inline void
cookie_ts_decode(uint32_t tsecr, struct cookie_opts *o)
{
	o->proxy_wscale = (tsecr >> 8) & 0xf;
	o->wscale = (tsecr >> 4) & 0xf;     /* 15 decodes as TCP_WSCALE_NONE */
	o->sack = (tsecr >> 3) & 1;
	o->ecn = (tsecr >> 2) & 1;
	o->mss_fine = tsecr & 3;
	o->ts = 1;
}

/*
 * Everything the SYN-ACK needs from the cookie: returns its ISN and, when the
 * client sent a timestamp (client->ts), the TSval in *tsval. client->mss is the
 * SYN's MSS option (pass 536 if it had none); client->wscale comes from
 * cookie_wscale_from_syn(). Without a timestamp there is no room for wscale
 * and SACK, so the caller should not offer them in that SYN-ACK.
 */
static inline uint32_t
cookie_encode_syn(const struct cookie_secrets *s, const struct cookie_mss_table *tbl,
		  const struct flow_key *k, uint32_t client_isn,
		  const struct cookie_opts *client, uint32_t now_sec,
		  uint32_t ts_clock, uint32_t *tsval)
{
	struct cookie_opts o = *client;
	uint8_t fine;
	uint8_t idx = cookie_mss_encode(tbl, client->mss, &fine);

	if (client->ts && tsval) {
		o.mss_fine = fine;
		*tsval = cookie_ts_make(ts_clock, &o);
	}
	return cookie_make(s, k, client_isn, idx, client->cache, now_sec);
}

/*
 * The client's third packet: seq = client_isn + 1, ack = cookie + 1. Fills
 * *out with the options the client offered - MSS from index and fine bits,
 * wscale/SACK/ECN from the TSecr when the ACK has a timestamp option; without
 * one, the MSS from the index alone, no wscale, no SACK, no ECN. Returns 0, or
 * -1 if the cookie is forged, expired, or names an MSS index past the table.
 */
/*
 * The options of a validated cookie: MSS from index and fine bits,
 * wscale/SACK/ECN from the TSecr when the ACK has a timestamp option; without
 * one, the MSS from the index alone, no wscale, no SACK, no ECN.
 */
static inline void
cookie_opts_from_ack(const struct cookie_mss_table *tbl, uint8_t idx, bool has_ts,
		     uint32_t tsecr, struct cookie_opts *out)
{
	if (has_ts) {
		cookie_ts_decode(tsecr, out);
	} else {
		out->wscale = TCP_WSCALE_NONE;
		out->proxy_wscale = TCP_WSCALE_NONE;
		out->sack = 0;
		out->ecn = 0;
		out->ts = 0;
		out->mss_fine = 0;
	}
	out->mss = cookie_mss_decode(tbl, idx, out->mss_fine);
}

/*
 * The client's third packet: seq = client_isn + 1, ack = cookie + 1. Fills
 * *out as cookie_opts_from_ack() does. Returns 0, or -1 if the cookie is
 * forged, expired, or names an MSS index past the table. (The data path
 * checks first and parses options only for a good cookie: the same two steps.)
 */
static inline int
cookie_decode_ack(const struct cookie_secrets *s, const struct cookie_mss_table *tbl,
		  const struct flow_key *k, uint32_t seq, uint32_t ack,
		  bool has_ts, uint32_t tsecr, uint32_t now_sec, struct cookie_opts *out)
{
	uint8_t idx;

	if (cookie_check(s, k, seq - 1, ack - 1, now_sec, &idx) < 0 || idx >= tbl->n)
		return -1;
	cookie_opts_from_ack(tbl, idx, has_ts, tsecr, out);
	return 0;
}

#endif
