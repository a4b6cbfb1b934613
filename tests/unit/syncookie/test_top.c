/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_top.c - top talkers (src/top.c over the rate limiter's per-bucket drop
 * counts): aggregation by prefix, per-interval differences, several workers'
 * tables, takeovers, note_drop never evicting, per-call limits and owners.
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

#include "flow/flow_key.h"
#include "syncookie/ratelimit.h"
#include "top.h"

static int
eal_setup(void **state)
{
	char *argv[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	return rte_eal_init(RTE_DIM(argv), argv) < 0 ? -1 : 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

static struct flow_key
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct flow_key k;

	flow_key_v4(&k, rte_cpu_to_be_32((uint32_t)a << 24 | (uint32_t)b << 16 |
					  (uint32_t)c << 8 | d),
		    rte_cpu_to_be_32(0xc6120002), rte_cpu_to_be_16(40000),
		    rte_cpu_to_be_16(80), 6);
	return k;
}

static struct top_entry
ent(uint8_t c, uint64_t drops)
{
	struct top_entry e = { .family = 4, .plen = 24, .drops = drops };
	e.addr[0] = rte_cpu_to_be_32(0xc6120000u | (uint32_t)c << 8);
	return e;
}

static void
test_aggregate(void **state)
{
	struct top_entry in[7] = { ent(1, 5), ent(2, 7), ent(1, 4), ent(3, 1), ent(2, 1),
				   ent(4, 9), ent(5, 9) };
	struct top_entry out[TOP_MAX];
	char buf[64];

	(void)state;
	in[6].plen = 23;   /* 198.18.5.0/23 is another prefix than any /24 */
	assert_int_equal(top_aggregate(in, 7, out, 3), 3);
	/* 1: 9, 2: 8, 4: 9, 5/23: 9 -> ties by prefix order (plen 23 first), then 1 < 4 */
	assert_int_equal(out[0].drops, 9);
	top_format_prefix(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "198.18.5.0/23");
	top_format_prefix(&out[1], buf, sizeof(buf));
	assert_string_equal(buf, "198.18.1.0/24");
	assert_int_equal(out[1].drops, 9);
	top_format_prefix(&out[2], buf, sizeof(buf));
	assert_string_equal(buf, "198.18.4.0/24");
	assert_int_equal(top_aggregate(in, 0, out, 3), 0);
	struct top_entry one = ent(9, 1);
	assert_int_equal(top_aggregate(&one, 1, out, 10), 1);
}

/* Two workers' tables, three intervals. */
static void
test_tracker_intervals(void **state)
{
	struct ratelimit *rl[2];
	struct top_entry out[TOP_MAX];
	char buf[64];

	(void)state;
	rl[0] = ratelimit_create("top0", 1024, 0, 2, 24, 64, SOCKET_ID_ANY);
	rl[1] = ratelimit_create("top1", 1024, 0, 2, 24, 64, SOCKET_ID_ANY);
	assert_non_null(rl[0]);
	assert_non_null(rl[1]);
	uint32_t slots[3] = { ratelimit_slots(rl[0]), ratelimit_slots(rl[1]), 0 };
	const struct ratelimit *tabs[3] = { rl[0], rl[1], NULL };
	struct top_tracker *t = top_tracker_create(3, slots);
	assert_non_null(t);
	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 0);

	/* 198.18.1.x floods both workers: 10 SYNs each, 2 pass, 8 dropped each */
	for (int i = 0; i < 10; i++) {
		struct flow_key k = v4(198, 18, 1, (uint8_t)i);
		ratelimit_allow(rl[0], &k, 100);
		ratelimit_allow(rl[1], &k, 100);
	}
	/* 198.18.2.0/24: 5 SYNs on worker 0 (3 dropped) and 4 bad cookies noted */
	for (int i = 0; i < 5; i++) {
		struct flow_key k = v4(198, 18, 2, 1);
		ratelimit_allow(rl[0], &k, 100);
	}
	for (int i = 0; i < 4; i++) {
		struct flow_key k = v4(198, 18, 2, 9);
		ratelimit_note_drop(rl[0], &k, 1);
	}
	/* a prefix that drops nothing never shows */
	struct flow_key quiet = v4(198, 18, 3, 1);
	assert_true(ratelimit_allow(rl[1], &quiet, 100));

	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 2);
	top_format_prefix(&out[0], buf, sizeof(buf));
	assert_string_equal(buf, "198.18.1.0/24");
	assert_int_equal(out[0].drops, 16);
	top_format_prefix(&out[1], buf, sizeof(buf));
	assert_string_equal(buf, "198.18.2.0/24");
	assert_int_equal(out[1].drops, 7);

	/* next interval: only what happened since */
	struct flow_key k = v4(198, 18, 2, 1);
	ratelimit_allow(rl[0], &k, 100);
	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 1);
	assert_int_equal(out[0].drops, 1);
	/* and nothing at all */
	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 0);
	top_tracker_free(t);
	ratelimit_free(rl[0]);
	ratelimit_free(rl[1]);
}

/* A slot taken over by another prefix counts the newcomer from zero. */
static void
test_takeover(void **state)
{
	struct ratelimit *rl = ratelimit_create("topt", 2, 0, 1, 32, 128, SOCKET_ID_ANY);
	struct top_entry out[TOP_MAX];

	(void)state;
	assert_non_null(rl);
	uint32_t slots = ratelimit_slots(rl);
	const struct ratelimit *tabs[1] = { rl };
	struct top_tracker *t = top_tracker_create(1, &slots);
	assert_non_null(t);
	struct flow_key a = v4(198, 18, 0, 1), b = v4(198, 18, 0, 2), c = v4(198, 18, 0, 3);
	for (int i = 0; i < 4; i++)
		ratelimit_allow(rl, &a, 10);          /* 3 drops */
	for (int i = 0; i < 3; i++)
		ratelimit_allow(rl, &b, 20);          /* 2 drops */
	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 2);
	assert_int_equal(out[0].drops, 3);
	assert_int_equal(out[1].drops, 2);
	/* c takes over a's bucket (the least recently refilled) */
	for (int i = 0; i < 2; i++)
		ratelimit_allow(rl, &c, 30);          /* 1 drop */
	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 1);
	assert_int_equal(out[0].drops, 1);
	assert_int_equal(out[0].addr[0], c.wan_addr[0]);
	/* note_drop never evicts: a fourth prefix finds no empty bucket */
	struct flow_key d = v4(198, 18, 0, 4);
	ratelimit_note_drop(rl, &d, 1);
	assert_int_equal(top_tracker_sample(t, tabs, out, 10), 0);
	top_tracker_free(t);
	ratelimit_free(rl);
}

/* Per-call limits and owners (a service's own buckets). */
static void
test_owner_limits(void **state)
{
	struct ratelimit *rl = ratelimit_create("topo", 1024, 1000, 100, 24, 64, SOCKET_ID_ANY);
	struct flow_key k = v4(198, 18, 7, 1);
	unsigned ok = 0;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 10; i++)
		ok += ratelimit_allow_with(rl, &k, 5, 0, 3, 0);
	assert_int_equal(ok, 3);
	/* the global buckets of the same prefix are untouched */
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += ratelimit_allow(rl, &k, 0);
	assert_int_equal(ok, 10);
	/* rate per call: 1 token/ms refills owner 5's bucket, capped at its burst */
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += ratelimit_allow_with(rl, &k, 5, 1000, 3, 1000);
	assert_int_equal(ok, 3);
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_tracker_intervals),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_owner_limits),
	};

	return cmocka_run_group_tests_name("top", tests, eal_setup, eal_teardown);
}
