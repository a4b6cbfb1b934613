/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_opts.c - unit tests of the TCP option parser and writers.
 *
 * Hand-made layouts pin the exact behaviour (any order, EOL, unknown kinds,
 * clamping, each malformed form). The writers are checked for every
 * combination of fields against the parser and against the Linux byte
 * layout. Finally a differential fuzz test compares the parser with a naive
 * reference walk on random option areas, each placed at the very end of a
 * heap block so a sanitizer build catches any read past tcp_hdr_len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/tcp_opts.h"

/* A TCP header with room for 40 option bytes, prefilled with a marker. */
struct hdr_buf {
	struct rte_tcp_hdr th;
	uint8_t opt[TCP_OPTS_MAX_LEN];
} __attribute__((packed));

static void
hdr_set(struct hdr_buf *b, const uint8_t *opt, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->th.data_off = (uint8_t)(((20 + len) / 4) << 4);
	if (len)
		memcpy(b->opt, opt, len);
}

static void
assert_empty(const struct tcp_opts *o)
{
	assert_int_equal(o->mss_present, 0);
	assert_int_equal(o->mss, 0);
	assert_int_equal(o->wscale, TCP_WSCALE_NONE);
	assert_int_equal(o->sack_perm, 0);
	assert_int_equal(o->ts_present, 0);
	assert_int_equal(o->ts_off, 0);
	assert_int_equal(o->sack_off, 0);
	assert_int_equal(o->sack_len, 0);
	assert_int_equal(o->nsack, 0);
}

static void
test_no_options(void **state)
{
	struct hdr_buf b;
	struct tcp_opts o;

	(void)state;
	hdr_set(&b, NULL, 0);
	memset(&o, 0x5a, sizeof(o)); /* parse must reset everything */
	assert_int_equal(tcp_opts_parse(&b.th, 20, &o), 0);
	assert_empty(&o);
}

static void
test_ts_only(void **state)
{
	static const uint8_t opt[] = { 1, 1, 8, 10, 0x12, 0x34, 0x56, 0x78,
				       0x9a, 0xbc, 0xde, 0xf0 };
	struct hdr_buf b;
	struct tcp_opts o;

	(void)state;
	hdr_set(&b, opt, sizeof(opt));
	assert_int_equal(tcp_opts_parse(&b.th, 32, &o), 0);
	assert_int_equal(o.ts_present, 1);
	assert_int_equal(o.ts_off, 22);
	assert_int_equal(o.tsval, 0x12345678);
	assert_int_equal(o.tsecr, 0x9abcdef0);
	assert_int_equal(o.mss_present, 0);
	assert_int_equal(o.wscale, TCP_WSCALE_NONE);
	assert_int_equal(o.nsack, 0);
	assert_int_equal(o.sack_off, 0);
}

static void
test_linux_syn(void **state)
{
	static const uint8_t opt[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
				       0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct hdr_buf b;
	struct tcp_opts o;

	(void)state;
	hdr_set(&b, opt, sizeof(opt));
	assert_int_equal(tcp_opts_parse(&b.th, 40, &o), 0);
	assert_int_equal(o.mss_present, 1);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(o.sack_perm, 1);
	assert_int_equal(o.ts_present, 1);
	assert_int_equal(o.ts_off, 26);
	assert_int_equal(o.tsval, 1);
	assert_int_equal(o.tsecr, 0);
	assert_int_equal(o.wscale, 7);
}

static void
test_any_order_unknown_eol(void **state)
{
	/* WS, unknown kind 30 len 6, NOP, TS at an odd offset, SACKOK, MSS, EOL,
	 * then bytes that would be malformed if they were read */
	static const uint8_t opt[] = {
		3, 3, 14,
		30, 6, 0xff, 0xff, 0xff, 0xff,
		1,
		8, 10, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44,
		4, 2,
		2, 4, 0x02, 0x18,
		0,
		8, 3, 0, 5, 0
	};
	struct hdr_buf b;
	struct tcp_opts o;

	(void)state;
	_Static_assert(sizeof(opt) == 32, "layout");
	hdr_set(&b, opt, sizeof(opt));
	assert_int_equal(tcp_opts_parse(&b.th, 52, &o), 0);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(o.ts_present, 1);
	assert_int_equal(o.ts_off, 20 + 10);
	assert_int_equal(o.tsval, 0xaabbccdd);
	assert_int_equal(o.tsecr, 0x11223344);
	assert_int_equal(o.sack_perm, 1);
	assert_int_equal(o.mss_present, 1);
	assert_int_equal(o.mss, 536);
	assert_int_equal(o.nsack, 0);
}

static void
test_eol_first(void **state)
{
	static const uint8_t opt[] = { 0, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct hdr_buf b;
	struct tcp_opts o;

	(void)state;
	hdr_set(&b, opt, sizeof(opt));
	assert_int_equal(tcp_opts_parse(&b.th, 32, &o), 0);
	assert_empty(&o);
}

static void
test_sack_blocks(void **state)
{
	uint8_t opt[40];
	struct hdr_buf b;
	struct tcp_opts o;
	unsigned int k, with_ts;

	(void)state;
	for (with_ts = 0; with_ts < 2; with_ts++) {
		for (k = 1; k <= (with_ts ? 3u : 4u); k++) {
			size_t n = 0, sack_at;

			if (with_ts) {
				static const uint8_t ts[] = { 1, 1, 8, 10, 0, 0, 0, 9,
							      0, 0, 0, 8 };
				memcpy(opt, ts, sizeof(ts));
				n = sizeof(ts);
			}
			opt[n++] = 1;
			opt[n++] = 1;
			sack_at = n;
			opt[n++] = 5;
			opt[n++] = (uint8_t)(2 + 8 * k);
			for (unsigned int i = 0; i < 8 * k; i++)
				opt[n++] = (uint8_t)(i + 1);
			while (n % 4)
				opt[n++] = 0;
			hdr_set(&b, opt, n);
			assert_int_equal(tcp_opts_parse(&b.th, (uint16_t)(20 + n), &o), 0);
			assert_int_equal(o.nsack, k);
			assert_int_equal(o.sack_len, 2 + 8 * k);
			assert_int_equal(o.sack_off, 20 + sack_at);
			assert_int_equal(o.ts_present, with_ts);
			if (with_ts) {
				assert_int_equal(o.ts_off, 22);
				assert_int_equal(o.tsval, 9);
				assert_int_equal(o.tsecr, 8);
			}
		}
	}
}

static void
test_wscale_clamp(void **state)
{
	static const uint8_t in[] = { 0, 1, 13, 14, 15, 16, 100, 255 };
	static const uint8_t out[] = { 0, 1, 13, 14, 14, 14, 14, 14 };
	struct hdr_buf b;
	struct tcp_opts o;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(in); i++) {
		uint8_t opt[4] = { 1, 3, 3, in[i] };

		hdr_set(&b, opt, sizeof(opt));
		assert_int_equal(tcp_opts_parse(&b.th, 24, &o), 0);
		assert_int_equal(o.wscale, out[i]);
	}
}

static void
test_duplicate_last_wins(void **state)
{
	static const uint8_t opt[] = {
		1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
		1, 1, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4,
		2, 4, 0, 100, 2, 4, 0, 200,
	};
	struct hdr_buf b;
	struct tcp_opts o;

	(void)state;
	hdr_set(&b, opt, sizeof(opt));
	assert_int_equal(tcp_opts_parse(&b.th, 52, &o), 0);
	assert_int_equal(o.ts_off, 34);
	assert_int_equal(o.tsval, 3);
	assert_int_equal(o.tsecr, 4);
	assert_int_equal(o.mss, 200);
}

struct bad_case {
	const char *what;
	uint8_t len;        /* option bytes */
	uint8_t opt[40];
};

static const struct bad_case bad_cases[] = {
	{ "unknown len 0", 4, { 30, 0, 1, 1 } },
	{ "unknown len 1", 4, { 30, 1, 1, 1 } },
	{ "NOP then len 0", 4, { 1, 1, 30, 0 } },
	{ "MSS len 0", 4, { 2, 0, 1, 1 } },
	{ "MSS len 3", 4, { 2, 3, 5, 0 } },
	{ "MSS len 5", 8, { 2, 5, 5, 0xb4, 0, 1, 1, 1 } },
	{ "WS len 2", 4, { 3, 2, 1, 1 } },
	{ "WS len 4", 4, { 3, 4, 7, 1 } },
	{ "SACKOK len 3", 4, { 4, 3, 0, 1 } },
	{ "SACKOK len 4", 4, { 4, 4, 0, 0 } },
	{ "TS len 8", 12, { 1, 1, 8, 8, 0, 0, 0, 1, 0, 0, 0, 1 } },
	{ "TS len 12", 12, { 8, 12, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0 } },
	{ "TS truncated at the end", 8, { 1, 1, 8, 10, 0, 0, 0, 1 } },
	{ "TS len byte missing", 4, { 1, 1, 1, 8 } },
	{ "SACK len 2", 4, { 1, 1, 5, 2 } },
	{ "SACK len 9", 12, { 1, 1, 5, 9, 0, 0, 0, 1, 0, 0, 0, 2 } },
	{ "SACK len 11", 16, { 1, 1, 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0 } },
	{ "SACK overruns", 12, { 1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2 } },
	{ "unknown overruns", 4, { 99, 5, 0, 0 } },
	{ "len 255", 40, { 99, 255 } },
	{ "good TS prefix then bad", 16, { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 0, 0, 0 } },
	{ "good TS prefix then truncated SACK", 16,
	  { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10 } },
};

static void
test_malformed(void **state)
{
	struct hdr_buf b;
	struct tcp_opts o;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		hdr_set(&b, c->opt, c->len);
		memset(&o, 0x77, sizeof(o));
		print_message("  malformed: %s\n", c->what);
		assert_int_equal(tcp_opts_parse(&b.th, (uint16_t)(20 + c->len), &o), -1);
		assert_empty(&o);
	}
}

static void
test_bad_header_len(void **state)
{
	struct hdr_buf b;
	struct tcp_opts o;
	static const uint16_t lens[] = { 0, 4, 16, 19, 61, 64, 1000, 65535 };
	unsigned int i;

	(void)state;
	hdr_set(&b, NULL, 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(tcp_opts_parse(&b.th, lens[i], &o), -1);
		assert_empty(&o);
	}
}

/* Every combination of fields, both writers, read back by the parser. */
static void
test_writers_roundtrip(void **state)
{
	static const uint16_t msss[] = { 0, 1, 536, 1460, 8960, 65535 };
	uint8_t ws, sack, ts, syn;
	unsigned int m;

	(void)state;
	for (m = 0; m < sizeof(msss) / sizeof(msss[0]); m++)
	for (ws = 0; ws <= 20; ws++)
	for (sack = 0; sack < 2; sack++)
	for (ts = 0; ts < 2; ts++)
	for (syn = 0; syn < 2; syn++) {
		struct tcp_synack_opts w = {
			.mss = msss[m], .wscale = ws, .sack_perm = sack, .ts = ts,
			.tsval = 0x80000001u + ws, .tsecr = 0xfedcba98u - m,
		};
		struct hdr_buf b;
		struct tcp_opts o;
		uint8_t len, i, expect;

		memset(&b, 0xee, sizeof(b));
		len = syn ? tcp_opts_write_syn(b.opt, &w) : tcp_opts_write_synack(b.opt, &w);
		expect = (uint8_t)((w.mss ? 4 : 0) + (ts ? 12 : sack ? 4 : 0) +
				   (ws != TCP_WSCALE_NONE ? 4 : 0));
		assert_int_equal(len, expect);
		assert_int_equal(len % 4, 0);
		assert_true(len <= 20);
		for (i = len; i < TCP_OPTS_MAX_LEN; i++)
			assert_int_equal(b.opt[i], 0xee); /* nothing past the end */

		assert_int_equal(tcp_opts_parse(&b.th, (uint16_t)(20 + len), &o), 0);
		assert_int_equal(o.mss_present, w.mss != 0);
		if (w.mss)
			assert_int_equal(o.mss, w.mss);
		if (ws == TCP_WSCALE_NONE)
			assert_int_equal(o.wscale, TCP_WSCALE_NONE);
		else
			assert_int_equal(o.wscale, ws > 14 ? 14 : ws);
		if (ws != TCP_WSCALE_NONE) {
			/* WS is the last word, and the shift on the wire is at most 14 */
			assert_int_equal(b.opt[len - 3], TCP_OPT_WS);
			assert_int_equal(b.opt[len - 1], ws > 14 ? 14 : ws);
		}
		assert_int_equal(o.sack_perm, sack);
		assert_int_equal(o.ts_present, ts);
		assert_int_equal(o.nsack, 0);
		if (ts) {
			assert_int_equal(o.tsval, w.tsval);
			assert_int_equal(o.tsecr, syn ? 0 : w.tsecr);
			/* TS words 32-bit aligned, like Linux */
			assert_int_equal((o.ts_off + 2) % 4, 0);
		}
	}
}

static void
test_writer_linux_bytes(void **state)
{
	static const uint8_t full[] = {
		2, 4, 0x05, 0xb4,
		4, 2, 8, 10, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
		1, 3, 3, 7,
	};
	static const uint8_t full_syn[] = {
		2, 4, 0x05, 0xb4,
		4, 2, 8, 10, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0,
		1, 3, 3, 7,
	};
	static const uint8_t ts_nosack[] = { 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6 };
	static const uint8_t sack_nots[] = { 2, 4, 0x02, 0x18, 1, 1, 4, 2, 1, 3, 3, 0 };
	struct tcp_synack_opts w = {
		.mss = 1460, .wscale = 7, .sack_perm = 1, .ts = 1,
		.tsval = 0x01020304, .tsecr = 0x0a0b0c0d,
	};
	uint8_t buf[40];

	(void)state;
	assert_int_equal(tcp_opts_write_synack(buf, &w), sizeof(full));
	assert_memory_equal(buf, full, sizeof(full));
	assert_int_equal(tcp_opts_write_syn(buf, &w), sizeof(full_syn));
	assert_memory_equal(buf, full_syn, sizeof(full_syn));

	w = (struct tcp_synack_opts){ .wscale = TCP_WSCALE_NONE, .ts = 1, .tsval = 5, .tsecr = 6 };
	assert_int_equal(tcp_opts_write_synack(buf, &w), sizeof(ts_nosack));
	assert_memory_equal(buf, ts_nosack, sizeof(ts_nosack));

	w = (struct tcp_synack_opts){ .mss = 536, .wscale = 0, .sack_perm = 1 };
	assert_int_equal(tcp_opts_write_synack(buf, &w), sizeof(sack_nots));
	assert_memory_equal(buf, sack_nots, sizeof(sack_nots));

	w = (struct tcp_synack_opts){ .wscale = TCP_WSCALE_NONE };
	assert_int_equal(tcp_opts_write_synack(buf, &w), 0);
}

/* ---- differential fuzzing against a naive reference walk ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* The reference: the RFC rules written as plainly as possible. */
static int
ref_parse(const uint8_t *p, unsigned int len, struct tcp_opts *o)
{
	unsigned int i = 0;

	memset(o, 0, sizeof(*o));
	o->wscale = TCP_WSCALE_NONE;
	while (i < len) {
		unsigned int kind = p[i], olen;

		if (kind == 0)
			return 0;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			goto bad;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			goto bad;
		if (kind == 2) {
			if (olen != 4)
				goto bad;
			o->mss_present = 1;
			o->mss = (uint16_t)(p[i + 2] * 256 + p[i + 3]);
		} else if (kind == 3) {
			if (olen != 3)
				goto bad;
			o->wscale = p[i + 2] > 14 ? 14 : p[i + 2];
		} else if (kind == 4) {
			if (olen != 2)
				goto bad;
			o->sack_perm = 1;
		} else if (kind == 5) {
			if (olen != 10 && olen != 18 && olen != 26 && olen != 34)
				goto bad;
			o->sack_off = (uint8_t)(20 + i);
			o->sack_len = (uint8_t)olen;
			o->nsack = (uint8_t)((olen - 2) / 8);
		} else if (kind == 8) {
			if (olen != 10)
				goto bad;
			o->ts_present = 1;
			o->ts_off = (uint8_t)(20 + i);
			o->tsval = (uint32_t)p[i + 2] << 24 | (uint32_t)p[i + 3] << 16 |
				   (uint32_t)p[i + 4] << 8 | p[i + 5];
			o->tsecr = (uint32_t)p[i + 6] << 24 | (uint32_t)p[i + 7] << 16 |
				   (uint32_t)p[i + 8] << 8 | p[i + 9];
		}
		i += olen;
	}
	return 0;
bad:
	memset(o, 0, sizeof(*o));
	o->wscale = TCP_WSCALE_NONE;
	return -1;
}

/* Random bytes biased towards plausible options so both outcomes are common. */
static unsigned int
gen_opts(uint8_t *p, unsigned int len)
{
	static const uint8_t kinds[] = { 0, 1, 2, 3, 4, 5, 8, 30, 254 };
	static const uint8_t good_len[] = { 1, 1, 4, 3, 2, 10, 10, 4, 6 };
	unsigned int i = 0;

	while (i < len) {
		unsigned int k = rnd() % sizeof(kinds);
		unsigned int olen, j;

		p[i++] = kinds[k];
		if (kinds[k] <= 1 || i >= len)
			continue;
		olen = good_len[k];
		if (kinds[k] == 5)
			olen = 2 + 8 * (1 + rnd() % 4);
		if (rnd() % 8 == 0)
			olen = rnd() % 256; /* occasionally anything */
		p[i++] = (uint8_t)olen;
		for (j = 2; j < olen && i < len; j++)
			p[i++] = (uint8_t)rnd();
	}
	return len;
}

static void
test_fuzz_differential(void **state)
{
	unsigned int iter, ok = 0, bad = 0;

	(void)state;
	for (iter = 0; iter < 200000; iter++) {
		uint16_t hlen = (uint16_t)(20 + 4 * (rnd() % 11));
		uint8_t *blk = malloc(hlen);
		struct tcp_opts a, r;
		int ra, rr;

		assert_non_null(blk);
		memset(blk, 0, 20);
		if (rnd() % 4 == 0 && hlen >= 32) {
			/* exercise the fast path prefix */
			static const uint8_t lead[] = { 1, 1, 8, 10 };
			memcpy(blk + 20, lead, 4);
			gen_opts(blk + 24, hlen - 24u);
		} else {
			gen_opts(blk + 20, hlen - 20u);
		}
		ra = tcp_opts_parse((const struct rte_tcp_hdr *)blk, hlen, &a);
		rr = ref_parse(blk + 20, hlen - 20u, &r);
		if (ra != rr || memcmp(&a, &r, sizeof(a)) != 0) {
			print_message("iteration %u, hlen %u: parse %d ref %d\n", iter, hlen, ra, rr);
			fail();
		}
		if (ra == 0) {
			ok++;
			if (a.ts_present)
				assert_true(a.ts_off >= 20 && a.ts_off + 10 <= hlen);
			if (a.nsack)
				assert_true(a.sack_off >= 20 && a.sack_off + a.sack_len <= hlen);
		} else {
			bad++;
		}
		free(blk);
	}
	/* the generator must really produce both kinds of input */
	assert_true(ok > 10000);
	assert_true(bad > 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_options),
		cmocka_unit_test(test_ts_only),
		cmocka_unit_test(test_linux_syn),
		cmocka_unit_test(test_any_order_unknown_eol),
		cmocka_unit_test(test_eol_first),
		cmocka_unit_test(test_sack_blocks),
		cmocka_unit_test(test_wscale_clamp),
		cmocka_unit_test(test_duplicate_last_wins),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_header_len),
		cmocka_unit_test(test_writers_roundtrip),
		cmocka_unit_test(test_writer_linux_bytes),
		cmocka_unit_test(test_fuzz_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
