/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_syn_cache.c - the SYN cache (insert, take, update, FIFO eviction,
 * expiry) and the cookie/cache/auto policy.
 *
 * The cache lives in rte_malloc memory and uses rte_hash, so the group setup
 * brings up a minimal EAL (no hugepages, no PCI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "flow/flow_key.h"
#include "flow/keyed_hash.h"
#include "syncookie/syn_cache.h"
#include "syncookie/syn_policy.h"

#include "../common/crc_collide.h"

static int
eal_setup(void **state)
{
	/* --in-memory is refused with --no-huge by DPDK 22.11 (it implies legacy
	 * memory); --no-shconf likewise keeps parallel test runs apart. */
	char *argv[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	keyed_hash_set_seed(1);   /* the same buckets on every run */
	return rte_eal_init(RTE_DIM(argv), argv) < 0 ? -1 : 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

/* A distinct v4 or v6 key per number. */
static void
key_n(struct flow_key *k, uint32_t n)
{
	if (n & 1) {
		uint32_t a[4] = { rte_cpu_to_be_32(0x20010db8), 0, rte_cpu_to_be_32(n), 1 };
		uint32_t b[4] = { rte_cpu_to_be_32(0x20010db8), 0, 0, 2 };

		flow_key_v6(k, a, b, rte_cpu_to_be_16((uint16_t)(n >> 16) | 1), rte_cpu_to_be_16(443), 6);
	} else {
		flow_key_v4(k, rte_cpu_to_be_32(0x0a000000 | (n >> 8)), rte_cpu_to_be_32(0xc0a80001),
			    rte_cpu_to_be_16((uint16_t)(1024 + (n & 0xff))), rte_cpu_to_be_16(80), 6);
	}
}

static void
entry_n(struct syn_cache_entry *e, uint32_t n, uint32_t created)
{
	memset(e, 0, sizeof(*e));
	e->client_isn = n * 2654435761u;
	e->client_tsval = ~n;
	e->created_ms = created;
	e->mss = (uint16_t)(536 + n % 1000);
	e->wscale = (uint8_t)(n % 15);
	e->flags = (uint8_t)(n & 7);
	e->window = (uint16_t)(n * 7);
}

static void
assert_entry_eq(const struct syn_cache_entry *a, const struct syn_cache_entry *b)
{
	assert_int_equal(a->client_isn, b->client_isn);
	assert_int_equal(a->client_tsval, b->client_tsval);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->mss, b->mss);
	assert_int_equal(a->wscale, b->wscale);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->window, b->window);
}

static void
test_create_args(void **state)
{
	struct syn_cache *c, *d;

	(void)state;
	assert_null(syn_cache_create(NULL, 64, SOCKET_ID_ANY));
	assert_null(syn_cache_create("", 64, SOCKET_ID_ANY));
	assert_null(syn_cache_create("sc_zero", 0, SOCKET_ID_ANY));
	assert_null(syn_cache_create("a_name_that_is_far_too_long_for_rte_hash", 64, SOCKET_ID_ANY));

	c = syn_cache_create("sc_args", 100, SOCKET_ID_ANY);
	assert_non_null(c);
	assert_int_equal(syn_cache_capacity(c), 128);
	assert_int_equal(syn_cache_count(c), 0);
	/* The name is the caller's job to keep unique: a duplicate fails. */
	d = syn_cache_create("sc_args", 100, SOCKET_ID_ANY);
	assert_null(d);
	syn_cache_free(c);

	c = syn_cache_create("sc_one", 1, SOCKET_ID_ANY);
	assert_non_null(c);
	assert_int_equal(syn_cache_capacity(c), SYN_CACHE_MIN_SIZE);
	syn_cache_free(c);

	/* Freed names can be reused; NULL is harmless everywhere. */
	c = syn_cache_create("sc_args", 64, SOCKET_ID_ANY);
	assert_non_null(c);
	syn_cache_free(c);
	syn_cache_free(NULL);
	assert_int_equal(syn_cache_count(NULL), 0);
	assert_int_equal(syn_cache_capacity(NULL), 0);
	assert_int_equal(syn_cache_insert(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(syn_cache_take(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(syn_cache_expire(NULL, 0, 0, 10), 0);
}

static void
test_insert_take(void **state)
{
	struct syn_cache *c = syn_cache_create("sc_it", 64, SOCKET_ID_ANY);
	struct syn_cache_entry e, out;
	struct syn_cache_stats st;
	struct flow_key k, other;

	(void)state;
	assert_non_null(c);
	key_n(&k, 1);
	key_n(&other, 2);
	entry_n(&e, 1, 100);

	assert_int_equal(syn_cache_take(c, &k, &out), -ENOENT);
	assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	assert_int_equal(syn_cache_count(c), 1);
	assert_int_equal(syn_cache_peek(c, &k, &out), 0);
	assert_entry_eq(&out, &e);
	assert_int_equal(syn_cache_peek(c, &other, &out), -ENOENT);
	assert_int_equal(syn_cache_take(c, &other, &out), -ENOENT);

	memset(&out, 0, sizeof(out));
	assert_int_equal(syn_cache_take(c, &k, &out), 0);
	assert_entry_eq(&out, &e);
	assert_int_equal(syn_cache_count(c), 0);
	assert_int_equal(syn_cache_take(c, &k, &out), -ENOENT);
	assert_int_equal(syn_cache_take(c, &k, NULL), -ENOENT);

	/* Re-insert after take is a fresh insert. */
	assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	assert_int_equal(syn_cache_take(c, &k, NULL), 0);

	syn_cache_stats_get(c, &st);
	assert_int_equal(st.inserts, 2);
	assert_int_equal(st.updates, 0);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.evictions, 0);
	syn_cache_free(c);
}

static void
test_update_in_place(void **state)
{
	struct syn_cache *c = syn_cache_create("sc_upd", 16, SOCKET_ID_ANY);
	struct syn_cache_entry e1, e2, out;
	struct syn_cache_stats st;
	struct flow_key k;

	(void)state;
	assert_non_null(c);
	key_n(&k, 7);
	entry_n(&e1, 7, 10);
	entry_n(&e2, 8, 20);      /* same key, retransmitted SYN with other data */
	assert_int_equal(syn_cache_insert(c, &k, &e1), 0);
	assert_int_equal(syn_cache_insert(c, &k, &e2), 1);
	assert_int_equal(syn_cache_count(c), 1);
	assert_int_equal(syn_cache_take(c, &k, &out), 0);
	assert_entry_eq(&out, &e2);
	assert_int_equal(syn_cache_count(c), 0);
	syn_cache_stats_get(c, &st);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.updates, 1);
	syn_cache_free(c);
}

/* insert_new keeps a pending entry against a SYN with another ISN. */
static void
test_insert_new_keeps_other_isn(void **state)
{
	struct syn_cache *c = syn_cache_create("sc_keep", 16, SOCKET_ID_ANY);
	struct syn_cache_entry e1, e2, out;
	struct flow_key k, k2;

	(void)state;
	assert_non_null(c);
	key_n(&k, 7);
	key_n(&k2, 8);
	entry_n(&e1, 7, 10);
	entry_n(&e2, 8, 20);      /* same key, another ISN */
	assert_int_equal(syn_cache_insert_new(c, &k, &e1), 0);
	assert_int_equal(syn_cache_insert_new(c, &k, &e2), -EEXIST);
	assert_int_equal(syn_cache_peek(c, &k, &out), 0);
	assert_entry_eq(&out, &e1);
	/* the same ISN refreshes it */
	e2 = e1;
	e2.created_ms = 30;
	e2.mss = 1400;
	assert_int_equal(syn_cache_insert_new(c, &k, &e2), 1);
	assert_int_equal(syn_cache_peek(c, &k, &out), 0);
	assert_entry_eq(&out, &e2);
	/* other keys are unaffected, and the plain insert still replaces */
	entry_n(&e2, 8, 20);
	assert_int_equal(syn_cache_insert_new(c, &k2, &e2), 0);
	assert_int_equal(syn_cache_insert(c, &k, &e2), 1);
	assert_int_equal(syn_cache_take(c, &k, &out), 0);
	assert_entry_eq(&out, &e2);
	/* once taken, another ISN may come in */
	assert_int_equal(syn_cache_insert_new(c, &k, &e1), 0);
	assert_int_equal(syn_cache_count(c), 2);
	syn_cache_free(c);
}

static void
test_eviction_oldest_first(void **state)
{
	struct syn_cache *c = syn_cache_create("sc_evict", 64, SOCKET_ID_ANY);
	struct syn_cache_entry e, out;
	struct syn_cache_stats st;
	struct flow_key k;
	uint32_t cap;

	(void)state;
	assert_non_null(c);
	cap = syn_cache_capacity(c);
	assert_int_equal(cap, 64);

	for (uint32_t i = 0; i < cap; i++) {
		key_n(&k, i);
		entry_n(&e, i, i);
		assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	}
	assert_int_equal(syn_cache_count(c), cap);
	syn_cache_stats_get(c, &st);
	assert_int_equal(st.evictions, 0);

	/* Refresh key 0 (a retransmission): it becomes the newest. */
	key_n(&k, 0);
	entry_n(&e, 0, 500);
	assert_int_equal(syn_cache_insert(c, &k, &e), 1);

	/* 10 more: keys 1..10 go, in that order; key 0 survives. */
	for (uint32_t i = cap; i < cap + 10; i++) {
		key_n(&k, i);
		entry_n(&e, i, i);
		assert_int_equal(syn_cache_insert(c, &k, &e), 0);
		assert_int_equal(syn_cache_count(c), cap);
		key_n(&k, i - cap + 1);
		assert_int_equal(syn_cache_peek(c, &k, NULL), -ENOENT);
	}
	syn_cache_stats_get(c, &st);
	assert_int_equal(st.evictions, 10);
	for (uint32_t i = 1; i <= 10; i++) {
		key_n(&k, i);
		assert_int_equal(syn_cache_peek(c, &k, NULL), -ENOENT);
	}
	key_n(&k, 0);
	assert_int_equal(syn_cache_peek(c, &k, &out), 0);
	assert_int_equal(out.created_ms, 500);
	for (uint32_t i = 11; i < cap + 10; i++) {
		key_n(&k, i);
		assert_int_equal(syn_cache_peek(c, &k, &out), 0);
		entry_n(&e, i, i);
		assert_entry_eq(&out, &e);
	}

	/* Taking from the middle frees room: the next insert evicts nobody. */
	key_n(&k, 30);
	assert_int_equal(syn_cache_take(c, &k, NULL), 0);
	key_n(&k, 1000);
	entry_n(&e, 1000, 1000);
	assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	syn_cache_stats_get(c, &st);
	assert_int_equal(st.evictions, 10);
	key_n(&k, 11);
	assert_int_equal(syn_cache_peek(c, &k, NULL), 0);
	/* Full again: the oldest (11) goes next. */
	key_n(&k, 1001);
	assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	key_n(&k, 11);
	assert_int_equal(syn_cache_peek(c, &k, NULL), -ENOENT);
	key_n(&k, 12);
	assert_int_equal(syn_cache_peek(c, &k, NULL), 0);
	syn_cache_free(c);
}

/* Every one of `capacity` keys fits, for several sizes, and churn keeps working. */
static void
test_fill_to_capacity(void **state)
{
	static const uint32_t sizes[] = { 8, 100, 1024, 16384 };

	(void)state;
	for (unsigned int s = 0; s < RTE_DIM(sizes); s++) {
		char name[32];
		struct syn_cache *c;
		struct syn_cache_entry e;
		struct syn_cache_stats st;
		struct flow_key k;
		uint32_t cap;

		snprintf(name, sizeof(name), "sc_fill%u", s);
		c = syn_cache_create(name, sizes[s], SOCKET_ID_ANY);
		assert_non_null(c);
		cap = syn_cache_capacity(c);
		for (uint32_t i = 0; i < cap; i++) {
			key_n(&k, i * 31 + 5);
			entry_n(&e, i, i);
			assert_int_equal(syn_cache_insert(c, &k, &e), 0);
		}
		syn_cache_stats_get(c, &st);
		assert_int_equal(st.evictions, 0);
		assert_int_equal(syn_cache_count(c), cap);
		/* Three more cache-fulls of churn: each insert evicts exactly one. */
		for (uint32_t i = cap; i < 4 * cap; i++) {
			key_n(&k, i * 31 + 5);
			entry_n(&e, i, i);
			assert_int_equal(syn_cache_insert(c, &k, &e), 0);
		}
		syn_cache_stats_get(c, &st);
		assert_int_equal(st.evictions, 3 * cap);
		assert_int_equal(syn_cache_count(c), cap);
		/* Exactly the newest cap keys are there. */
		for (uint32_t i = 0; i < 4 * cap; i++) {
			key_n(&k, i * 31 + 5);
			assert_int_equal(syn_cache_peek(c, &k, NULL), i >= 3 * cap ? 0 : -ENOENT);
		}
		/* Drain completely, then the cache is empty and reusable. */
		for (uint32_t i = 3 * cap; i < 4 * cap; i++) {
			key_n(&k, i * 31 + 5);
			assert_int_equal(syn_cache_take(c, &k, NULL), 0);
		}
		assert_int_equal(syn_cache_count(c), 0);
		assert_int_equal(syn_cache_expire(c, UINT32_MAX / 2, 0, 100), 0);
		key_n(&k, 1);
		assert_int_equal(syn_cache_insert(c, &k, &e), 0);
		assert_int_equal(syn_cache_count(c), 1);
		syn_cache_free(c);
	}
}

static void
test_expire(void **state)
{
	struct syn_cache *c = syn_cache_create("sc_exp", 256, SOCKET_ID_ANY);
	struct syn_cache_entry e;
	struct syn_cache_stats st;
	struct flow_key k;
	int total = 0, n;

	(void)state;
	assert_non_null(c);
	/* 100 entries created at 0..99 ms. */
	for (uint32_t i = 0; i < 100; i++) {
		key_n(&k, i);
		entry_n(&e, i, i);
		assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	}
	/* At 150 with max age 100, entries created before 50 are too old. */
	assert_int_equal(syn_cache_expire(c, 150, 100, 0), 0);
	while ((n = syn_cache_expire(c, 150, 100, 10)) > 0) {
		assert_true(n <= 10);
		total += n;
	}
	assert_int_equal(total, 50);
	assert_int_equal(syn_cache_count(c), 50);
	for (uint32_t i = 0; i < 100; i++) {
		key_n(&k, i);
		assert_int_equal(syn_cache_peek(c, &k, NULL), i < 50 ? -ENOENT : 0);
	}
	/* Exactly max age is not yet too old. */
	assert_int_equal(syn_cache_expire(c, 150, 100, 1000), 0);
	assert_int_equal(syn_cache_expire(c, 151, 100, 1000), 1);
	syn_cache_stats_get(c, &st);
	assert_int_equal(st.expired, 51);

	/* A taken entry in the middle is simply not there to expire. */
	key_n(&k, 60);
	assert_int_equal(syn_cache_take(c, &k, NULL), 0);
	assert_int_equal(syn_cache_expire(c, 1000, 100, 1000), 48);
	assert_int_equal(syn_cache_count(c), 0);

	/* Across the 32-bit wrap of the ms clock. */
	key_n(&k, 500);
	entry_n(&e, 500, 0xffffff00u);
	assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	assert_int_equal(syn_cache_expire(c, 0x10, 0x200, 10), 0);
	assert_int_equal(syn_cache_expire(c, 0x110, 0x200, 10), 1);

	/* Stamped in the future (clock stepped back): young, kept. */
	key_n(&k, 501);
	entry_n(&e, 501, 5000);
	assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	assert_int_equal(syn_cache_expire(c, 4000, 100, 10), 0);
	assert_int_equal(syn_cache_count(c), 1);
	syn_cache_free(c);
}

/* ---- policy ---- */

static void
test_policy_fixed_modes(void **state)
{
	struct syn_policy p;

	(void)state;
	syn_policy_init(&p, SYN_MODE_COOKIE, 100, 75);
	for (uint64_t i = 0; i < 1000; i++)
		assert_false(syn_policy_use_cache(&p, 1000 + i / 10, 0, 1024));
	syn_policy_init(&p, SYN_MODE_CACHE, 100, 75);
	for (uint64_t i = 0; i < 1000; i++)
		assert_true(syn_policy_use_cache(&p, 1000 + i / 10, 1024, 1024));
	/* The estimator still runs for telemetry. */
	assert_true(p.under_attack);
	assert_true(syn_policy_rate(&p) >= 100);
}

static void
test_policy_auto_rate(void **state)
{
	struct syn_policy p;
	uint64_t t0 = 5000000;
	unsigned int cached = 0;

	(void)state;
	syn_policy_init(&p, SYN_MODE_AUTO, 100, 75);

	/* Second 0: 50 SYNs, all cached. */
	for (int i = 0; i < 50; i++)
		assert_true(syn_policy_use_cache(&p, t0 + (uint64_t)i * 20, 0, 1024));
	assert_false(p.under_attack);

	/* Second 1: 300 SYNs. Cached until the count in the window reaches 100. */
	for (int i = 0; i < 300; i++)
		cached += syn_policy_use_cache(&p, t0 + 1000 + (uint64_t)i * 3, 0, 1024);
	assert_int_equal(cached, 99);
	assert_true(p.under_attack);
	assert_int_equal(p.attack_transitions, 1);

	/* Second 2: quiet (10 SYNs), but the last full second was a flood. */
	for (int i = 0; i < 10; i++)
		assert_false(syn_policy_use_cache(&p, t0 + 2000 + (uint64_t)i * 50, 0, 1024));
	assert_true(p.under_attack);

	/* Second 3: the previous second was quiet: back to caching. */
	assert_true(syn_policy_use_cache(&p, t0 + 3000, 0, 1024));
	assert_false(p.under_attack);

	/* A long silence forgets everything. */
	for (int i = 0; i < 200; i++)
		syn_policy_use_cache(&p, t0 + 4000, 0, 1024);
	assert_true(p.under_attack);
	assert_true(syn_policy_use_cache(&p, t0 + 60000, 0, 1024));
	assert_int_equal(syn_policy_rate(&p), 1);
	assert_int_equal(p.attack_transitions, 2);

	/* A clock that steps backwards does not wedge the estimator. */
	assert_true(syn_policy_use_cache(&p, t0, 0, 1024));
	assert_int_equal(syn_policy_rate(&p), 1);

	/* Exactly at the threshold counts as an attack, just below does not. */
	syn_policy_init(&p, SYN_MODE_AUTO, 100, 75);
	for (int i = 0; i < 99; i++)
		assert_true(syn_policy_use_cache(&p, t0 + 10000, 0, 1024));
	assert_false(syn_policy_use_cache(&p, t0 + 10000, 0, 1024));
}

static void
test_policy_auto_fill(void **state)
{
	struct syn_policy p;

	(void)state;
	syn_policy_init(&p, SYN_MODE_AUTO, 1000000, 75);
	assert_true(syn_policy_use_cache(&p, 100, 0, 1000));
	assert_true(syn_policy_use_cache(&p, 100, 749, 1000));
	assert_false(p.under_attack);
	assert_false(syn_policy_use_cache(&p, 100, 750, 1000));
	assert_true(p.under_attack);
	assert_false(syn_policy_use_cache(&p, 100, 1000, 1000));
	/* Fill falls back: caching resumes. */
	assert_true(syn_policy_use_cache(&p, 100, 500, 1000));
	assert_false(p.under_attack);
	/* Large values do not overflow the percentage test. */
	assert_true(syn_policy_use_cache(&p, 100, 3000000000u, 4294967295u));
	assert_false(syn_policy_use_cache(&p, 100, 4000000000u, 4294967295u));
	/* No cache at all: cookies. */
	assert_false(syn_policy_use_cache(&p, 100, 0, 0));
	/* fill_pct 100: only a completely full cache counts. */
	syn_policy_init(&p, SYN_MODE_AUTO, 1000000, 100);
	assert_true(syn_policy_use_cache(&p, 100, 1023, 1024));
	assert_false(syn_policy_use_cache(&p, 100, 1024, 1024));
}

/* The policy driving a real cache: under a flood the cache stops growing. */
static void
test_policy_with_cache(void **state)
{
	struct syn_cache *c = syn_cache_create("sc_pol", 1024, SOCKET_ID_ANY);
	struct syn_policy p;
	struct syn_cache_entry e;
	struct flow_key k;

	(void)state;
	assert_non_null(c);
	syn_policy_init(&p, SYN_MODE_AUTO, 1000000, 75);
	for (uint32_t i = 0; i < 5000; i++) {
		if (syn_policy_use_cache(&p, 1000 + i, syn_cache_count(c), syn_cache_capacity(c))) {
			key_n(&k, i);
			entry_n(&e, i, i);
			assert_true(syn_cache_insert(c, &k, &e) >= 0);
		}
	}
	/* Stopped at 75 % (768 of 1024) and never evicted anything. */
	assert_int_equal(syn_cache_count(c), 768);
	{
		struct syn_cache_stats st;

		syn_cache_stats_get(c, &st);
		assert_int_equal(st.evictions, 0);
	}
	syn_cache_free(c);
}

/*
 * Hash flooding: keys that share one CRC32C value under every seed (the
 * cache's old hash; crc_collide.h) fill a cache to capacity and then churn
 * through it. Under a CRC they all want one bucket pair: with bounded
 * buckets 16 fit and the rest are refused, with the old chained buckets
 * every insert walked one chain of up to `capacity` keys. Under the keyed
 * hash nothing is refused: the cache holds exactly the newest `capacity`.
 */
static void
test_crc_collisions_spread(void **state)
{
	struct crc_collide cc;
	struct syn_cache_stats st;
	struct syn_cache_entry e;
	struct flow_key k;
	struct syn_cache *c;
	uint32_t cap, old = 0;

	(void)state;
	assert_true(crc_collide_init(&cc) >= CRC_COLLIDE_DIM);
	c = syn_cache_create("sc_collide", 4096, SOCKET_ID_ANY);
	assert_non_null(c);
	cap = syn_cache_capacity(c);
	for (uint32_t i = 0; i < 4 * cap; i++) {
		uint32_t a;
		uint16_t p;

		crc_collide_member(&cc, rte_cpu_to_be_32(0xc6120001), rte_cpu_to_be_16(40000),
				   i, &a, &p);
		flow_key_v4(&k, a, rte_cpu_to_be_32(0xc6130001), p, rte_cpu_to_be_16(80), 6);
		/* the attack: one CRC for all, whatever the seed */
		if (i == 0)
			old = rte_hash_crc(&k, sizeof(k), 0x12345678u);
		assert_int_equal(rte_hash_crc(&k, sizeof(k), 0x12345678u), old);
		entry_n(&e, i, i);
		assert_int_equal(syn_cache_insert(c, &k, &e), 0);
	}
	syn_cache_stats_get(c, &st);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.inserts, 4 * cap);
	assert_int_equal(st.evictions, 3 * cap);
	assert_int_equal(syn_cache_count(c), cap);
	for (uint32_t i = 0; i < 4 * cap; i++) {
		uint32_t a;
		uint16_t p;

		crc_collide_member(&cc, rte_cpu_to_be_32(0xc6120001), rte_cpu_to_be_16(40000),
				   i, &a, &p);
		flow_key_v4(&k, a, rte_cpu_to_be_32(0xc6130001), p, rte_cpu_to_be_16(80), 6);
		assert_int_equal(syn_cache_peek(c, &k, NULL), i >= 3 * cap ? 0 : -ENOENT);
	}
	syn_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_insert_take),
		cmocka_unit_test(test_update_in_place),
		cmocka_unit_test(test_insert_new_keeps_other_isn),
		cmocka_unit_test(test_eviction_oldest_first),
		cmocka_unit_test(test_fill_to_capacity),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_policy_fixed_modes),
		cmocka_unit_test(test_policy_auto_rate),
		cmocka_unit_test(test_policy_auto_fill),
		cmocka_unit_test(test_policy_with_cache),
		cmocka_unit_test(test_crc_collisions_spread),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
