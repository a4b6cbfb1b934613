/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_prefix_limits.c - the per-prefix counters (flow/prefix_limits.c, a
 * two-row count-min sketch): masking, both caps, counts back to zero with the
 * last flow, collisions only ever over-counting (and never leaking), the
 * default sizing admitting 20000 light prefixes, and decrements that find
 * nothing never wrapping a count. A fixed hash seed: results repeat.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>

#include "flow/keyed_hash.h"
#include "flow/prefix_limits.h"

static struct flow_key
k4(uint32_t src, uint16_t port)
{
	struct flow_key k;
	flow_key_v4(&k, rte_cpu_to_be_32(src), rte_cpu_to_be_32(0xc6120a0au), rte_cpu_to_be_16(port),
		    rte_cpu_to_be_16(80), 6);
	return k;
}

static struct flow_key
k6(uint16_t w3, uint16_t host)
{
	uint8_t a[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, (uint8_t)(w3 >> 8), (uint8_t)w3 };
	uint8_t b[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0xff };
	struct flow_key k;
	a[14] = (uint8_t)(host >> 8);
	a[15] = (uint8_t)host;
	b[15] = 1;
	flow_key_v6(&k, a, b, rte_cpu_to_be_16(1000 + host), rte_cpu_to_be_16(443), 6);
	return k;
}

static void
counts(struct prefix_limits *pl, const struct flow_key *k, uint32_t f, uint32_t h)
{
	uint32_t gf, gh;
	prefix_limits_get(pl, k, &gf, &gh);
	assert_int_equal(gf, f);
	assert_int_equal(gh, h);
}

static void
test_create_args(void **state)
{
	(void)state;
	assert_null(prefix_limits_create("pl_bad", 0, 24, 64, 1, 1, 0));
	assert_null(prefix_limits_create("pl_bad", 16, 33, 64, 1, 1, 0));
	assert_null(prefix_limits_create("pl_bad", 16, 24, 129, 1, 1, 0));
	struct prefix_limits *pl = prefix_limits_create("pl_ok", 16, 24, 64, 1, 1, 0);
	assert_non_null(pl);
	prefix_limits_free(pl);
	prefix_limits_free(NULL);
}

/* A /24 shares its counts; the next /24 and other families do not. */
static void
test_masking_and_caps(void **state)
{
	(void)state;
	struct prefix_limits *pl = prefix_limits_create("pl_caps", 1024, 24, 64, 3, 2, 0);
	assert_non_null(pl);
	struct flow_key a = k4(0xc6120001u, 1), b = k4(0xc61200feu, 2), c = k4(0xc6120101u, 3);
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	assert_int_equal(prefix_limits_admit(pl, &b), PREFIX_ADMIT_OK);
	counts(pl, &a, 2, 2);
	/* half-open cap 2 */
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_HALF_OPEN_CAP);
	counts(pl, &a, 2, 2);
	assert_int_equal(prefix_limits_admit(pl, &c), PREFIX_ADMIT_OK);   /* next /24 */
	counts(pl, &c, 1, 1);
	prefix_limits_half_open_done(pl, &a);
	prefix_limits_half_open_done(pl, &b);
	assert_int_equal(prefix_limits_admit(pl, &b), PREFIX_ADMIT_OK);
	counts(pl, &a, 3, 1);
	/* flow cap 3 (checked first) */
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_FLOW_CAP);
	/* IPv6 /64: hosts share, the next /64 does not */
	struct flow_key x = k6(1, 1), y = k6(1, 2), z = k6(2, 1);
	assert_int_equal(prefix_limits_admit(pl, &x), PREFIX_ADMIT_OK);
	assert_int_equal(prefix_limits_admit(pl, &y), PREFIX_ADMIT_OK);
	assert_int_equal(prefix_limits_admit(pl, &x), PREFIX_ADMIT_HALF_OPEN_CAP);
	assert_int_equal(prefix_limits_admit(pl, &z), PREFIX_ADMIT_OK);
	struct prefix_limits_stats st;
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, 7);
	assert_int_equal(st.half_open, 5);
	/* releases: the counts go with the last flow */
	prefix_limits_release(pl, &a, false);
	prefix_limits_release(pl, &a, false);
	prefix_limits_release(pl, &b, true);
	counts(pl, &a, 0, 0);
	prefix_limits_release(pl, &c, true);
	prefix_limits_release(pl, &x, true);
	prefix_limits_release(pl, &y, true);
	prefix_limits_release(pl, &z, true);
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.underflows, 0);
	counts(pl, &x, 0, 0);
	counts(pl, &z, 0, 0);
	prefix_limits_free(pl);
}

/* Domains: a prefix counts apart in each, against the caps its caller
 * passes (domain 0: the table's own, changed by set_caps); a release in one
 * domain never touches another. */
static void
test_domains(void **state)
{
	(void)state;
	struct prefix_limits *pl = prefix_limits_create("pl_dom", 1024, 24, 64, 2, 0, 0);
	assert_non_null(pl);
	struct flow_key a = k4(0xc6120001u, 1);
	uint32_t f, h;
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_FLOW_CAP);
	/* domain 7: its own count, its own caps (0 = none) */
	assert_int_equal(prefix_limits_admit_dom(pl, &a, 7, 1, 0), PREFIX_ADMIT_OK);
	assert_int_equal(prefix_limits_admit_dom(pl, &a, 7, 1, 0), PREFIX_ADMIT_FLOW_CAP);
	assert_int_equal(prefix_limits_admit_dom(pl, &a, 7, 0, 1), PREFIX_ADMIT_HALF_OPEN_CAP);
	assert_int_equal(prefix_limits_admit_dom(pl, &a, 8, 0, 0), PREFIX_ADMIT_OK);
	prefix_limits_add_dom(pl, &a, 8, false);
	prefix_limits_get_dom(pl, &a, 7, &f, &h);
	assert_int_equal(f, 1);
	assert_int_equal(h, 1);
	prefix_limits_get_dom(pl, &a, 8, &f, &h);
	assert_int_equal(f, 2);
	assert_int_equal(h, 1);
	counts(pl, &a, 2, 2);
	/* domain 0's caps changed live */
	prefix_limits_set_caps(pl, 3, 0);
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	prefix_limits_set_caps(pl, 0, 3);
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_HALF_OPEN_CAP);
	/* releases per domain */
	prefix_limits_half_open_done_dom(pl, &a, 7);
	prefix_limits_release_dom(pl, &a, 7, false);
	prefix_limits_release_dom(pl, &a, 8, true);
	prefix_limits_release_dom(pl, &a, 8, false);
	counts(pl, &a, 3, 3);
	for (int i = 0; i < 3; i++)
		prefix_limits_release(pl, &a, true);
	struct prefix_limits_stats st;
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.underflows, 0);
	/* a release in a domain that never counted: an underflow, nothing else moves */
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	prefix_limits_release_dom(pl, &a, 9, true);
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.underflows, 1);
	counts(pl, &a, 1, 1);
	prefix_limits_free(pl);
}

/* Releasing what was never counted: counted as an underflow, never wraps. */
static void
test_underflow_guard(void **state)
{
	(void)state;
	struct prefix_limits *pl = prefix_limits_create("pl_uf", 64, 24, 64, 0, 0, 0);
	struct flow_key a = k4(0xc6120001u, 1);
	prefix_limits_release(pl, &a, true);
	prefix_limits_half_open_done(pl, &a);
	assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	prefix_limits_half_open_done(pl, &a);
	prefix_limits_half_open_done(pl, &a);
	counts(pl, &a, 1, 0);
	struct prefix_limits_stats st;
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.underflows, 3);
	/* caps 0: no limit at all */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(prefix_limits_admit(pl, &a), PREFIX_ADMIT_OK);
	counts(pl, &a, 1001, 1000);
	prefix_limits_free(pl);
}

/* Collisions: a tiny sketch (8 slots per row) holding 200 prefixes. Every
 * prefix reads at least its true count (over-count only), the caps refuse
 * on the over-count and count nothing, and after every flow is released all
 * slots are back to zero: nothing leaks, nothing is locked out. */
static void
test_collisions_over_count(void **state)
{
	(void)state;
	enum { NP = 200 };
	struct prefix_limits *pl = prefix_limits_create("pl_coll", 8, 32, 64, 40, 30, 0);
	assert_non_null(pl);
	struct prefix_limits_stats st;
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.slots, 8);
	uint32_t admitted[NP] = { 0 }, refused = 0, total = 0;
	for (uint32_t round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < NP; i++) {
			struct flow_key k = i % 2 ? k4(0xc6120000u + i, (uint16_t)round)
						  : k6((uint16_t)i, (uint16_t)round);
			uint32_t f0, h0;
			prefix_limits_get(pl, &k, &f0, &h0);
			enum prefix_admit r = prefix_limits_admit(pl, &k);
			uint32_t f1, h1;
			prefix_limits_get(pl, &k, &f1, &h1);
			if (r == PREFIX_ADMIT_OK) {
				admitted[i]++;
				total++;
				assert_true(f0 < 40 && h0 < 30);
				assert_true(f1 >= f0 + 1 && h1 >= h0 + 1);
			} else {
				refused++;
				assert_int_equal(f1, f0);   /* refused: nothing counted */
				assert_int_equal(h1, h0);
				assert_true(f0 >= 40 || h0 >= 30);
			}
			/* never below the truth */
			assert_true(f1 >= admitted[i] && h1 >= admitted[i]);
		}
	}
	/* 600 flows over 8 slots: ~75 per slot, the caps must have refused */
	assert_true(refused > 0);
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, total);
	assert_int_equal(st.half_open, total);
	for (uint32_t i = 0; i < NP; i++) {
		for (uint32_t n = 0; n < admitted[i]; n++) {
			struct flow_key k = i % 2 ? k4(0xc6120000u + i, 7) : k6((uint16_t)i, 7);
			if (n % 2)
				prefix_limits_half_open_done(pl, &k);
			prefix_limits_release(pl, &k, n % 2 == 0);
		}
	}
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.underflows, 0);
	for (uint32_t i = 0; i < NP; i++) {
		struct flow_key k = i % 2 ? k4(0xc6120000u + i, 1) : k6((uint16_t)i, 1);
		counts(pl, &k, 0, 0);
		assert_int_equal(prefix_limits_admit(pl, &k), PREFIX_ADMIT_OK);
		prefix_limits_release(pl, &k, true);
	}
	prefix_limits_free(pl);
}

/* The default flow table size (262144: 65536 slots per row) with 20000
 * distinct prefixes (a /24 each) and small caps (16 flows, 8 half-open): a
 * false refusal needs both of a prefix's slots to hold 8 others, at a load of
 * 0.3 per slot never; nearly every prefix reads its exact count, and
 * everything is given back. */
static void
test_many_prefixes(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct prefix_limits *pl = prefix_limits_create("pl_many", 262144, 24, 64, 16, 8, 0);
	assert_non_null(pl);
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = k4(0x0a000000u + (i << 8), (uint16_t)i);
		enum prefix_admit r = prefix_limits_admit(pl, &k);
		if (r != PREFIX_ADMIT_OK)
			fail_msg("prefix %u of %u refused: %d", i, N, r);
	}
	struct prefix_limits_stats st;
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, N);
	assert_int_equal(st.slots, 65536);
	uint32_t exact = 0;
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = k4(0x0a000000u + (i << 8), (uint16_t)i);
		uint32_t f, h;
		prefix_limits_get(pl, &k, &f, &h);
		assert_true(f >= 1 && h >= 1);
		exact += f == 1;
	}
	/* both rows shared for ~(1 - e^-0.3)^2 = 7% of them */
	assert_true(exact > N * 9 / 10);
	for (uint32_t i = 0; i < N; i++) {
		struct flow_key k = k4(0x0a000000u + (i << 8), (uint16_t)i);
		prefix_limits_release(pl, &k, true);
	}
	prefix_limits_stats_get(pl, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.underflows, 0);
	prefix_limits_free(pl);
}

static int
eal_setup(void **state)
{
	char *argv[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	keyed_hash_set_seed(0x5eed);
	return rte_eal_init(RTE_DIM(argv), argv) < 0 ? -1 : 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_masking_and_caps),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_underflow_guard),
		cmocka_unit_test(test_collisions_over_count),
		cmocka_unit_test(test_many_prefixes),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
