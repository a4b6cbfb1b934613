/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ratelimit.c - per-prefix SYN token buckets: burst, refill, prefix
 * masking (v4, v6, the 0 and full-length edges), refunds and the bounded
 * set-associative table.
 *
 * The table lives in rte_malloc memory, so the group setup brings up a
 * minimal EAL (no hugepages, no PCI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "flow/keyed_hash.h"
#include "flow/flow_key.h"
#include "syncookie/ratelimit.h"

static int
eal_setup(void **state)
{
	/* --in-memory is refused with --no-huge by DPDK 22.11 (it implies legacy
	 * memory); --no-shconf likewise keeps parallel test runs apart. */
	char *argv[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	keyed_hash_set_seed(1);   /* the same sets on every run */
	return rte_eal_init(RTE_DIM(argv), argv) < 0 ? -1 : 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

/* a.b.c.d as the key's WAN address (network order). */
static struct flow_key
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct flow_key k;

	flow_key_v4(&k, rte_cpu_to_be_32((uint32_t)a << 24 | (uint32_t)b << 16 |
					  (uint32_t)c << 8 | d),
		    rte_cpu_to_be_32(0xc0a80001), rte_cpu_to_be_16(40000),
		    rte_cpu_to_be_16(80), 6);
	return k;
}

/* An IPv6 WAN address from eight 16-bit groups. */
static struct flow_key
v6(const uint16_t g[8])
{
	struct flow_key k;
	uint8_t a[16], b[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	for (int i = 0; i < 8; i++) {
		a[2 * i] = (uint8_t)(g[i] >> 8);
		a[2 * i + 1] = (uint8_t)g[i];
	}
	b[15] = 1;
	flow_key_v6(&k, a, b, rte_cpu_to_be_16(40000), rte_cpu_to_be_16(443), 6);
	return k;
}

/* How many SYNs in a row are allowed at time now (stops at the first refusal). */
static unsigned int
drain(struct ratelimit *rl, const struct flow_key *k, uint64_t now)
{
	unsigned int n = 0;

	while (ratelimit_allow(rl, k, now) && n < 1000000)
		n++;
	return n;
}

static void
test_create_args(void **state)
{
	struct ratelimit *rl;

	(void)state;
	assert_null(ratelimit_create("rl", 0, 10, 5, 24, 64, SOCKET_ID_ANY));
	assert_null(ratelimit_create("rl", 64, 10, 0, 24, 64, SOCKET_ID_ANY));
	assert_null(ratelimit_create("rl", 64, 10, 5, 33, 64, SOCKET_ID_ANY));
	assert_null(ratelimit_create("rl", 64, 10, 5, 24, 129, SOCKET_ID_ANY));
	rl = ratelimit_create("rl", 1, 10, 5, 32, 128, SOCKET_ID_ANY);
	assert_non_null(rl);
	ratelimit_free(rl);
	/* A huge burst is clamped, not refused (the config allows 1e8). */
	rl = ratelimit_create("rl", 64, 100000000, 100000000, 24, 64, SOCKET_ID_ANY);
	assert_non_null(rl);
	{
		struct flow_key k;

		flow_key_v4(&k, 1, 2, 3, 4, 6);
		for (uint32_t i = 0; i < RATELIMIT_BURST_MAX; i++)
			if (!ratelimit_allow(rl, &k, 0))
				fail_msg("refused after %u", i);
		assert_false(ratelimit_allow(rl, &k, 0));
		/* 1e8 tokens/s: a millisecond refills 100000. */
		for (uint32_t i = 0; i < 100000; i++)
			if (!ratelimit_allow(rl, &k, 1))
				fail_msg("refused after %u", i);
		assert_false(ratelimit_allow(rl, &k, 1));
	}
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

static void
test_burst_then_limit(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 1024, 10, 5, 24, 64, SOCKET_ID_ANY);
	struct flow_key k = v4(198, 51, 100, 7);
	struct ratelimit_stats st;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_allow(rl, &k, 1000));
	for (int i = 0; i < 20; i++)
		assert_false(ratelimit_allow(rl, &k, 1000));
	ratelimit_stats_get(rl, &st);
	assert_int_equal(st.allowed, 5);
	assert_int_equal(st.limited, 20);
	assert_int_equal(st.refunded, 0);
	ratelimit_free(rl);
}

static void
test_refill(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 1024, 10, 5, 24, 64, SOCKET_ID_ANY);
	struct flow_key k = v4(198, 51, 100, 7);
	unsigned int allowed = 0;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(drain(rl, &k, 1000), 5);
	/* 10 tokens/s: one every 100 ms. */
	assert_false(ratelimit_allow(rl, &k, 1099));
	assert_true(ratelimit_allow(rl, &k, 1100));
	assert_false(ratelimit_allow(rl, &k, 1100));
	assert_int_equal(drain(rl, &k, 1350), 2);    /* 250 ms: 2.5 tokens */
	assert_int_equal(drain(rl, &k, 1400), 1);    /* the half plus 50 ms more */

	/* Touched every millisecond for a second: no fraction is lost. */
	for (uint64_t t = 1401; t <= 2400; t++)
		allowed += ratelimit_allow(rl, &k, t);
	assert_int_equal(allowed, 10);

	/* A long idle period refills only up to the burst. */
	assert_int_equal(drain(rl, &k, 100000), 5);
	/* Even after a very long time (ms clock beyond 32 bits). */
	assert_int_equal(drain(rl, &k, (UINT64_C(1) << 33) + 12345), 5);
	/* A clock that steps back neither refills nor wedges the bucket. */
	assert_int_equal(drain(rl, &k, 5000), 0);
	assert_int_equal(drain(rl, &k, 5100), 1);
	ratelimit_free(rl);
}

static void
test_rate_zero_is_burst_only(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 64, 0, 3, 24, 64, SOCKET_ID_ANY);
	struct flow_key k = v4(203, 0, 113, 1);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(drain(rl, &k, 0), 3);
	assert_int_equal(drain(rl, &k, 1000000), 0);
	ratelimit_free(rl);
}

static void
test_prefixes_v4(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 4096, 10, 4, 24, 64, SOCKET_ID_ANY);
	struct flow_key a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 200), c = v4(10, 0, 1, 1);
	struct flow_key d = v4(11, 0, 0, 1);

	(void)state;
	assert_non_null(rl);
	/* Two sources in one /24 share a bucket. */
	assert_int_equal(drain(rl, &a, 0), 4);
	assert_false(ratelimit_allow(rl, &b, 0));
	/* Other /24s are independent. */
	assert_int_equal(drain(rl, &c, 0), 4);
	assert_int_equal(drain(rl, &d, 0), 4);
	/* The port and the LAN side do not matter. */
	b.wan_port = rte_cpu_to_be_16(1);
	b.lan_addr[0] = 12345;
	assert_false(ratelimit_allow(rl, &b, 0));
	/* Junk in the unused words of an IPv4 key is ignored. */
	a.wan_addr[1] = 0xdeadbeef;
	a.wan_addr[3] = 1;
	assert_false(ratelimit_allow(rl, &a, 0));
	ratelimit_free(rl);
}

static void
test_prefixes_v6(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 4096, 10, 4, 24, 64, SOCKET_ID_ANY);
	static const uint16_t g1[8] = { 0x2001, 0xdb8, 0, 1, 0, 0, 0, 1 };
	static const uint16_t g2[8] = { 0x2001, 0xdb8, 0, 1, 0xffff, 0x1234, 0xabcd, 2 };
	static const uint16_t g3[8] = { 0x2001, 0xdb8, 0, 2, 0, 0, 0, 1 };
	static const uint16_t g4[8] = { 0x2001, 0xdb8, 0x8000, 1, 0, 0, 0, 1 };
	struct flow_key a = v6(g1), b = v6(g2), c = v6(g3), d = v6(g4);

	(void)state;
	assert_non_null(rl);
	assert_int_equal(drain(rl, &a, 0), 4);
	assert_false(ratelimit_allow(rl, &b, 0));        /* same /64 */
	assert_int_equal(drain(rl, &c, 0), 4);           /* other /64 */
	assert_int_equal(drain(rl, &d, 0), 4);           /* differs in bit 32 */
	ratelimit_free(rl);
}

static void
test_prefix_edges(void **state)
{
	static const uint16_t g1[8] = { 0x2001, 0xdb8, 0, 0, 0, 0, 0, 1 };
	static const uint16_t g2[8] = { 0x2001, 0xdb8, 0, 0, 0, 0, 0, 2 };
	static const uint16_t g3[8] = { 0xfe80, 0, 0, 0, 0, 0, 0, 1 };
	struct flow_key a = v4(1, 2, 3, 4), b = v4(255, 2, 3, 5), c = v4(1, 2, 3, 5);
	struct flow_key x = v6(g1), y = v6(g2), z = v6(g3);
	struct ratelimit *rl;

	(void)state;
	/* /0: all of IPv4 is one bucket, all of IPv6 another. */
	rl = ratelimit_create("rl", 1024, 10, 3, 0, 0, SOCKET_ID_ANY);
	assert_non_null(rl);
	assert_int_equal(drain(rl, &a, 0), 3);
	assert_false(ratelimit_allow(rl, &b, 0));
	assert_int_equal(drain(rl, &x, 0), 3);
	assert_false(ratelimit_allow(rl, &z, 0));
	ratelimit_free(rl);

	/* /32 and /128: per address. */
	rl = ratelimit_create("rl", 1024, 10, 3, 32, 128, SOCKET_ID_ANY);
	assert_non_null(rl);
	assert_int_equal(drain(rl, &a, 0), 3);
	assert_int_equal(drain(rl, &c, 0), 3);
	assert_int_equal(drain(rl, &x, 0), 3);
	assert_int_equal(drain(rl, &y, 0), 3);
	ratelimit_free(rl);

	/* /31 and /127 pair neighbours; /1 splits the space in two. */
	rl = ratelimit_create("rl", 1024, 10, 3, 31, 127, SOCKET_ID_ANY);
	assert_non_null(rl);
	assert_int_equal(drain(rl, &a, 0), 3);
	assert_false(ratelimit_allow(rl, &c, 0));       /* 1.2.3.4 and .5 */
	assert_int_equal(drain(rl, &y, 0), 3);          /* ::2 is in ::2/127 */
	assert_int_equal(drain(rl, &x, 0), 3);          /* ::1 is in ::0/127 */
	ratelimit_free(rl);

	rl = ratelimit_create("rl", 1024, 10, 3, 1, 64, SOCKET_ID_ANY);
	assert_non_null(rl);
	assert_int_equal(drain(rl, &a, 0), 3);
	assert_int_equal(drain(rl, &b, 0), 3);          /* 255.x is in the other half */
	assert_false(ratelimit_allow(rl, &c, 0));
	ratelimit_free(rl);
}

static void
test_refund(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 1024, 10, 4, 24, 64, SOCKET_ID_ANY);
	struct flow_key k = v4(192, 0, 2, 1), other = v4(192, 0, 3, 1);
	struct ratelimit_stats st;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(drain(rl, &k, 0), 4);
	ratelimit_refund(rl, &k);
	assert_true(ratelimit_allow(rl, &k, 0));
	assert_false(ratelimit_allow(rl, &k, 0));

	/* Refunds never lift a bucket above its burst. */
	for (int i = 0; i < 100; i++)
		ratelimit_refund(rl, &k);
	assert_int_equal(drain(rl, &k, 0), 4);

	/* A prefix without a bucket gets nothing and counts nothing. */
	ratelimit_stats_get(rl, &st);
	assert_int_equal(st.refunded, 101);
	ratelimit_refund(rl, &other);
	ratelimit_stats_get(rl, &st);
	assert_int_equal(st.refunded, 101);
	assert_int_equal(st.allowed, 9);
	assert_int_equal(st.limited, 3);
	ratelimit_free(rl);
}

/* Two buckets in total: the third prefix takes over the least recently used. */
static void
test_bounded_table(void **state)
{
	struct ratelimit *rl = ratelimit_create("rl", 2, 10, 2, 24, 64, SOCKET_ID_ANY);
	struct flow_key a = v4(10, 1, 0, 1), b = v4(10, 2, 0, 1), c = v4(10, 3, 0, 1);
	struct ratelimit_stats st;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(drain(rl, &a, 100), 2);
	assert_int_equal(drain(rl, &b, 200), 2);
	ratelimit_stats_get(rl, &st);
	assert_int_equal(st.takeovers, 0);
	/* c evicts a (older), then a comes back with a fresh bucket, evicting b. */
	assert_int_equal(drain(rl, &c, 300), 2);
	ratelimit_stats_get(rl, &st);
	assert_int_equal(st.takeovers, 1);
	assert_false(ratelimit_allow(rl, &c, 300));   /* c still has its bucket */
	assert_int_equal(drain(rl, &a, 301), 2);
	ratelimit_stats_get(rl, &st);
	assert_int_equal(st.takeovers, 2);
	assert_false(ratelimit_allow(rl, &c, 301));   /* b went, not c */

	/* Many prefixes through a small table: bounded, no crash, counted. */
	ratelimit_free(rl);
	rl = ratelimit_create("rl", 64, 10, 2, 32, 64, SOCKET_ID_ANY);
	assert_non_null(rl);
	for (uint32_t i = 0; i < 100000; i++) {
		struct flow_key k = v4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);

		assert_true(ratelimit_allow(rl, &k, i / 16));
	}
	ratelimit_stats_get(rl, &st);
	assert_true(st.takeovers >= 100000 - 64);
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_burst_then_limit),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_rate_zero_is_burst_only),
		cmocka_unit_test(test_prefixes_v4),
		cmocka_unit_test(test_prefixes_v6),
		cmocka_unit_test(test_prefix_edges),
		cmocka_unit_test(test_refund),
		cmocka_unit_test(test_bounded_table),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
