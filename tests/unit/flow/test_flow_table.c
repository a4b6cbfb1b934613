/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_flow_table.c - unit tests of the per-lcore flow table.
 *
 * The tests run on a real rte_hash under EAL with --no-huge. Keys are built so
 * that their id can be read back from the key (wan_addr[0] = 10.x.y.z with
 * x.y.z = id), which lets the expiry callbacks check exactly which flows they
 * were given. Time is a plain variable passed as now_ms: no real clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "flow/flow_table.h"

#include "../common/crc_collide.h"

static unsigned int table_seq;

static struct flow_table *
new_table(uint32_t capacity, const uint32_t *timeouts)
{
	char name[FLOW_TABLE_NAMESIZE + 1];
	struct flow_table *t;

	snprintf(name, sizeof(name), "ft_test%u", table_seq++);
	t = flow_table_create(name, capacity, SOCKET_ID_ANY, timeouts);
	assert_non_null(t);
	return t;
}

static void
key4(struct flow_key *k, uint32_t id)
{
	flow_key_v4(k, rte_cpu_to_be_32(0x0a000000 | (id & 0xffffff)),
		    rte_cpu_to_be_32(0xc0a80101), rte_cpu_to_be_16(1024 + (id & 0x3fff)),
		    rte_cpu_to_be_16(80), IPPROTO_TCP);
}

static void
key6(struct flow_key *k, uint32_t id)
{
	uint32_t wan[4] = { rte_cpu_to_be_32(0x20010db8), 0, 0, rte_cpu_to_be_32(id) };
	uint32_t lan[4] = { rte_cpu_to_be_32(0x20010db8), rte_cpu_to_be_32(1), 0,
			    rte_cpu_to_be_32(1) };

	flow_key_v6(k, wan, lan, rte_cpu_to_be_16(40000), rte_cpu_to_be_16(443),
		    IPPROTO_TCP);
}

static uint32_t
key_id(const struct flow_key *k)
{
	return rte_be_to_cpu_32(k->wan_addr[0]) & 0xffffff;
}

static struct flow_entry *
ins(struct flow_table *t, const struct flow_key *k, uint32_t now)
{
	return flow_table_insert(t, k, flow_table_hash(t, k), now);
}

static struct flow_entry *
look(struct flow_table *t, const struct flow_key *k)
{
	return flow_table_lookup(t, k, flow_table_hash(t, k));
}

static void
check_state_sum(const struct flow_table *t)
{
	struct flow_table_stats st;
	uint64_t sum = 0;
	unsigned int i;

	flow_table_get_stats(t, &st);
	for (i = 0; i < FLOW_S_MAX; i++)
		sum += st.per_state[i];
	assert_int_equal(sum, st.count);
	assert_int_equal(st.count, st.inserts - st.removes - st.expired);
}

/* ---------------------------------------------------------------- create */

static void
test_create_params(void **state)
{
	static const uint32_t big[FLOW_S_MAX] = {
		[FLOW_S_FREE] = 1, [FLOW_S_SYN_SENT] = 2, [FLOW_S_LAN_SYN] = 3, [FLOW_S_WAN_SYN] = 4,
		[FLOW_S_ESTABLISHED] = UINT32_MAX, [FLOW_S_FIN_WAIT] = 5, [FLOW_S_TIME_WAIT] = 6,
		[FLOW_S_CLOSED] = 7,
	};
	struct flow_table *t, *t2;
	unsigned int i;

	(void)state;
	assert_null(flow_table_create(NULL, 100, SOCKET_ID_ANY, NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(flow_table_create("", 100, SOCKET_ID_ANY, NULL));
	assert_null(flow_table_create("ft_zero", 0, SOCKET_ID_ANY, NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(flow_table_create("ft_huge", FLOW_TABLE_MAX_CAPACITY + 1,
				      SOCKET_ID_ANY, NULL));
	assert_null(flow_table_create("a_name_that_is_much_too_long", 100,
				      SOCKET_ID_ANY, NULL));

	t = flow_table_create("ft_dup", 100, SOCKET_ID_ANY, NULL);
	assert_non_null(t);
	assert_int_equal(t->capacity, 100);
	t2 = flow_table_create("ft_dup", 100, SOCKET_ID_ANY, NULL);
	assert_null(t2);
	for (i = 0; i < FLOW_S_MAX; i++)
		assert_int_equal(t->timeouts_ms[i], flow_table_default_timeouts_ms[i]);
	flow_table_set_timeouts(t, big);
	assert_int_equal(t->timeouts_ms[FLOW_S_ESTABLISHED], FLOW_TABLE_MAX_TIMEOUT);
	assert_int_equal(t->timeouts_ms[FLOW_S_SYN_SENT], 2);
	flow_table_free(t);

	/* the name is free again once the table is gone */
	t = flow_table_create("ft_dup", 3, SOCKET_ID_ANY, big);
	assert_non_null(t);
	assert_int_equal(t->capacity, FLOW_TABLE_MIN_CAPACITY);
	assert_int_equal(t->timeouts_ms[FLOW_S_FREE], 1);
	flow_table_free(t);

	/* a power of two gives up one slot (see flow_table.h) */
	t = new_table(1024, NULL);
	assert_int_equal(t->capacity, 1023);
	assert_int_equal(t->stats.capacity, 1023);
	flow_table_free(t);

	flow_table_free(NULL);
	flow_table_set_timeouts(NULL, NULL);
	assert_int_equal(flow_table_expire(NULL, 0, 10, NULL, NULL), 0);
}

/* ------------------------------------------------- insert, lookup, remove */

static void
test_insert_lookup_remove(void **state)
{
	struct flow_table *t = new_table(1000, NULL);
	struct flow_entry expect, *e, *e2;
	struct flow_table_stats st;
	struct flow_key k, k2, got;
	uint32_t h, idx;

	(void)state;
	key4(&k, 1);
	key4(&k2, 2);
	h = flow_table_hash(t, &k);
	assert_int_equal(h, rte_hash_hash(t->hash, &k));
	assert_null(flow_table_lookup(t, &k, h));

	e = flow_table_insert(t, &k, h, 1234);
	assert_non_null(e);
	memset(&expect, 0, sizeof(expect));
	expect.state = FLOW_S_FREE;
	expect.pending = UINT32_MAX;
	expect.last_seen = 1234;
	assert_memory_equal(e, &expect, sizeof(expect));
	assert_ptr_equal(flow_table_lookup(t, &k, h), e);
	assert_null(look(t, &k2));

	flow_table_get_stats(t, &st);
	assert_int_equal(st.count, 1);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.per_state[FLOW_S_FREE], 1);

	/* a second insert of the key hands back the entry untouched */
	e->seq_delta = 77;
	assert_int_equal(flow_table_set_state(t, e, FLOW_S_ESTABLISHED), 0);
	e2 = flow_table_insert(t, &k, h, 9999);
	assert_ptr_equal(e2, e);
	assert_int_equal(e->seq_delta, 77);
	assert_int_equal(e->last_seen, 1234);
	assert_int_equal(e->state, FLOW_S_ESTABLISHED);
	flow_table_get_stats(t, &st);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.count, 1);

	idx = flow_table_index(t, e);
	assert_true(idx < t->capacity);
	assert_ptr_equal(flow_table_entry_at(t, idx), e);
	assert_int_equal(flow_table_get_key(t, idx, &got), 0);
	assert_memory_equal(&got, &k, sizeof(k));

	assert_int_equal(flow_table_remove(t, &k, h), 0);
	assert_null(flow_table_lookup(t, &k, h));
	assert_int_equal(flow_table_remove(t, &k, h), -ENOENT);
	assert_int_equal(flow_table_get_key(t, idx, &got), -ENOENT);
	flow_table_get_stats(t, &st);
	assert_int_equal(st.count, 0);
	assert_int_equal(st.removes, 1);
	assert_int_equal(st.per_state[FLOW_S_ESTABLISHED], 0);
	/* the freed entry reads as idle, not as the old flow */
	assert_int_equal(e->state, FLOW_S_FREE);
	assert_int_equal(e->seq_delta, 0);

	/* re-inserting gives a fresh entry */
	e = ins(t, &k, 5);
	assert_non_null(e);
	assert_int_equal(e->seq_delta, 0);
	assert_int_equal(e->last_seen, 5);
	check_state_sum(t);
	flow_table_free(t);
}

static void
test_remove_by_index(void **state)
{
	struct flow_table *t = new_table(200, NULL);
	struct flow_entry *e[3];
	struct flow_entry bogus;
	struct flow_key k[3];
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		key4(&k[i], 100 + i);
		e[i] = ins(t, &k[i], 0);
		assert_non_null(e[i]);
	}
	assert_int_equal(flow_table_remove_at(t, flow_table_index(t, e[0])), 0);
	assert_null(look(t, &k[0]));
	assert_int_equal(flow_table_remove_at(t, flow_table_index(t, e[0])), -ENOENT);
	assert_int_equal(flow_table_remove_entry(t, e[1]), 0);
	assert_null(look(t, &k[1]));
	assert_ptr_equal(look(t, &k[2]), e[2]);

	assert_int_equal(flow_table_remove_at(t, t->capacity), -EINVAL);
	assert_int_equal(flow_table_remove_at(t, UINT32_MAX), -EINVAL);
	assert_int_equal(flow_table_remove_entry(t, &bogus), -EINVAL);
	assert_int_equal(flow_table_remove_entry(t, NULL), -EINVAL);
	assert_int_equal(flow_table_remove_entry(t,
		(struct flow_entry *)(void *)((char *)e[2] + 4)), -EINVAL);
	assert_int_equal(flow_table_remove(t, NULL, 0), -EINVAL);
	assert_ptr_equal(look(t, &k[2]), e[2]);
	assert_int_equal(t->stats.count, 1);
	assert_int_equal(t->stats.removes, 2);
	check_state_sum(t);
	flow_table_free(t);
}

static void
test_ipv4_ipv6_keys(void **state)
{
	struct flow_table *t = new_table(5000, NULL);
	struct flow_entry *e4, *e6, *eu, *seen[1000];
	struct flow_key k4, k6, ku;
	unsigned int i, j;

	(void)state;
	/* same address bytes and ports, different family / proto */
	key4(&k4, 7);
	k6 = k4;
	k6.family = FLOW_AF_INET6;
	ku = k4;
	ku.proto = IPPROTO_UDP;
	e4 = ins(t, &k4, 0);
	e6 = ins(t, &k6, 0);
	eu = ins(t, &ku, 0);
	assert_non_null(e4);
	assert_non_null(e6);
	assert_non_null(eu);
	assert_ptr_not_equal(e4, e6);
	assert_ptr_not_equal(e4, eu);
	assert_ptr_not_equal(e6, eu);
	assert_int_equal(flow_table_remove(t, &k4, flow_table_hash(t, &k4)), 0);
	assert_null(look(t, &k4));
	assert_ptr_equal(look(t, &k6), e6);
	assert_ptr_equal(look(t, &ku), eu);

	/* many of both */
	for (i = 0; i < 500; i++) {
		struct flow_key a, b;

		key4(&a, 1000 + i);
		key6(&b, 1000 + i);
		seen[2 * i] = ins(t, &a, i);
		seen[2 * i + 1] = ins(t, &b, i);
		assert_non_null(seen[2 * i]);
		assert_non_null(seen[2 * i + 1]);
		seen[2 * i]->client_isn = 2 * i;
		seen[2 * i + 1]->client_isn = 2 * i + 1;
	}
	for (i = 0; i < 500; i++) {
		struct flow_key a, b;

		key4(&a, 1000 + i);
		key6(&b, 1000 + i);
		assert_ptr_equal(look(t, &a), seen[2 * i]);
		assert_ptr_equal(look(t, &b), seen[2 * i + 1]);
		assert_int_equal(look(t, &b)->client_isn, 2 * i + 1);
	}
	/* all distinct */
	for (i = 0; i < 1000; i++)
		for (j = i + 1; j < 1000; j++)
			if (seen[i] == seen[j])
				fail_msg("entries %u and %u share a slot", i, j);
	assert_int_equal(t->stats.count, 1002);
	check_state_sum(t);
	flow_table_free(t);
}

/* ------------------------------------------------------------------ bulk */

static void
test_bulk_lookup(void **state)
{
	enum { N = 200 };
	struct flow_table *t = new_table(2000, NULL);
	struct flow_key keys[N];
	const struct flow_key *kp[N];
	struct flow_entry *out[N], *out2[N];
	uint32_t hashes[N];
	unsigned int i;
	int ret;

	(void)state;
	for (i = 0; i < N; i++) {
		if (i % 3 == 0)
			key6(&keys[i], i);
		else
			key4(&keys[i], i);
		kp[i] = &keys[i];
		hashes[i] = flow_table_hash(t, &keys[i]);
		if (i % 2 == 0)
			assert_non_null(ins(t, &keys[i], 0));
	}

	/* more than one rte_hash bulk: chunks of 64 */
	ret = flow_table_lookup_bulk(t, kp, N, out);
	assert_int_equal(ret, N / 2);
	ret = flow_table_lookup_bulk_hash(t, kp, hashes, N, out2);
	assert_int_equal(ret, N / 2);
	for (i = 0; i < N; i++) {
		struct flow_entry *single = look(t, &keys[i]);

		if (i % 2 == 0)
			assert_non_null(single);
		else
			assert_null(single);
		assert_ptr_equal(out[i], single);
		assert_ptr_equal(out2[i], single);
	}

	/* exact chunk sizes and small n */
	assert_int_equal(flow_table_lookup_bulk(t, kp, 64, out), 32);
	assert_int_equal(flow_table_lookup_bulk(t, kp + 1, 65, out), 32);
	assert_int_equal(flow_table_lookup_bulk(t, kp, 1, out), 1);
	assert_int_equal(flow_table_lookup_bulk(t, kp + 1, 1, out), 0);
	assert_null(out[0]);
	assert_int_equal(flow_table_lookup_bulk(t, kp, 0, out), 0);

	/* all misses */
	for (i = 0; i < N; i++)
		key4(&keys[i], 100000 + i);
	assert_int_equal(flow_table_lookup_bulk(t, kp, N, out), 0);
	for (i = 0; i < N; i++)
		assert_null(out[i]);

	assert_int_equal(flow_table_lookup_bulk(t, NULL, 3, out), -EINVAL);
	assert_int_equal(flow_table_lookup_bulk(t, kp, 3, NULL), -EINVAL);
	assert_int_equal(flow_table_lookup_bulk_hash(t, kp, NULL, 3, out), -EINVAL);
	assert_int_equal(flow_table_lookup_bulk(NULL, kp, 3, out), -EINVAL);
	flow_table_free(t);
}

/* ------------------------------------------------------------------ full */

static void
test_full_table(void **state)
{
	enum { CAP = 100 };
	struct flow_table *t = new_table(CAP, NULL);
	struct flow_entry *e[CAP], *x;
	struct flow_key k;
	unsigned int i;

	(void)state;
	for (i = 0; i < CAP; i++) {
		key4(&k, i);
		e[i] = ins(t, &k, i);
		assert_non_null(e[i]);
		e[i]->client_isn = i;
	}
	assert_int_equal(t->stats.count, CAP);
	key4(&k, CAP);
	assert_null(ins(t, &k, 0));
	assert_int_equal(t->stats.full_drops, 1);
	key6(&k, CAP + 1);
	assert_null(ins(t, &k, 0));
	assert_int_equal(t->stats.full_drops, 2);

	/* an existing key still comes back, and is not a drop */
	key4(&k, 42);
	assert_ptr_equal(ins(t, &k, 0), e[42]);
	assert_int_equal(t->stats.full_drops, 2);
	for (i = 0; i < CAP; i++) {
		key4(&k, i);
		x = look(t, &k);
		assert_ptr_equal(x, e[i]);
		assert_int_equal(x->client_isn, i);
	}
	assert_int_equal(t->stats.count, CAP);

	/* one out, one in */
	key4(&k, 7);
	assert_int_equal(flow_table_remove(t, &k, flow_table_hash(t, &k)), 0);
	key4(&k, CAP);
	assert_non_null(ins(t, &k, 0));
	assert_int_equal(t->stats.count, CAP);
	check_state_sum(t);
	flow_table_free(t);
}

/* power of two: bucket space equals key space; cuckoo may stop a bit short */
static void
test_full_table_pow2(void **state)
{
	struct flow_table *t = new_table(1024, NULL);
	static struct flow_entry *e[2048];
	struct flow_key k;
	unsigned int n = 0, i;

	(void)state;
	for (i = 0; i < 2048; i++) {
		key4(&k, i);
		e[i] = ins(t, &k, 0);
		if (e[i] == NULL)
			break;
		n++;
	}
	assert_true(n <= t->capacity);
	assert_true(n >= t->capacity * 9 / 10);
	assert_int_equal(t->stats.count, n);
	assert_int_equal(t->stats.full_drops, 1);
	for (i = 0; i < n; i++) {
		key4(&k, i);
		assert_ptr_equal(look(t, &k), e[i]);
	}
	print_message("pow2 capacity %u: %u keys fitted\n", t->capacity, n);
	flow_table_free(t);
}

/* ---------------------------------------------------------------- expiry */

struct cb_log {
	struct flow_table *t;
	unsigned int calls;
	uint32_t last_id;
	uint32_t pos[4096];
	uint8_t seen[8192];         /* per key id */
	int remove_in_cb;
	int lookup_ok;              /* the key still found the entry inside the callback */
};

static void
log_cb(void *arg, const struct flow_key *key, struct flow_entry *entry)
{
	struct cb_log *l = arg;
	uint32_t id = key_id(key);

	if (l->calls < RTE_DIM(l->pos))
		l->pos[l->calls] = flow_table_index(l->t, entry);
	l->calls++;
	l->last_id = id;
	if (id < RTE_DIM(l->seen))
		l->seen[id]++;
	if (look(l->t, key) != entry)
		l->lookup_ok = 0;
	if (entry->pending != UINT32_MAX && entry->pending != id)
		l->lookup_ok = 0;
	if (l->remove_in_cb)
		flow_table_remove_entry(l->t, entry);
}

static void
test_expire_per_state(void **state)
{
	static const uint32_t to[FLOW_S_MAX] = {
		[FLOW_S_FREE] = 100, [FLOW_S_SYN_SENT] = 200, [FLOW_S_LAN_SYN] = 300,
		[FLOW_S_WAN_SYN] = 350, [FLOW_S_ESTABLISHED] = 1000, [FLOW_S_FIN_WAIT] = 400,
		[FLOW_S_TIME_WAIT] = 500, [FLOW_S_CLOSED] = 50,
	};
	/* (time, state expected to go at that time) in order */
	static const struct { uint32_t now; int state; } steps[] = {
		{ 1050, -1 }, { 1051, FLOW_S_CLOSED }, { 1100, -1 },
		{ 1101, FLOW_S_FREE }, { 1201, FLOW_S_SYN_SENT },
		{ 1301, FLOW_S_LAN_SYN }, { 1351, FLOW_S_WAN_SYN }, { 1401, FLOW_S_FIN_WAIT },
		{ 1501, FLOW_S_TIME_WAIT }, { 2000, -1 }, { 2001, FLOW_S_ESTABLISHED },
	};
	struct flow_table *t = new_table(64, to);
	struct flow_entry *e[FLOW_S_MAX];
	static struct cb_log l;
	struct flow_key k;
	unsigned int s, i, n;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.t = t;
	l.lookup_ok = 1;
	for (s = 0; s < FLOW_S_MAX; s++) {
		key4(&k, s);
		e[s] = ins(t, &k, 1000);
		assert_non_null(e[s]);
		assert_int_equal(flow_table_set_state(t, e[s], s), 0);
	}
	for (i = 0; i < RTE_DIM(steps); i++) {
		unsigned int before = l.calls;

		n = flow_table_expire(t, steps[i].now, t->capacity, log_cb, &l);
		if (steps[i].state < 0) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, 1);
		assert_int_equal(l.calls, before + 1);
		assert_int_equal(l.last_id, (uint32_t)steps[i].state);
		key4(&k, steps[i].state);
		assert_null(look(t, &k));
		check_state_sum(t);
	}
	assert_true(l.lookup_ok);
	assert_int_equal(t->stats.count, 0);
	assert_int_equal(t->stats.expired, FLOW_S_MAX);

	/* touching last_seen keeps a flow; new timeouts apply at once */
	key4(&k, 50);
	e[0] = ins(t, &k, 3000);
	flow_table_set_state(t, e[0], FLOW_S_ESTABLISHED);
	e[0]->last_seen = 3900;
	assert_int_equal(flow_table_expire(t, 4500, 64, NULL, NULL), 0);
	flow_table_set_timeouts(t, NULL);   /* established: 7440 s */
	assert_int_equal(flow_table_expire(t, 3900 + 7440000, 64, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 3901 + 7440000, 64, NULL, NULL), 1);
	flow_table_free(t);
}

static void
test_expire_budget(void **state)
{
	enum { CAP = 1000, LIVE = 700, BUDGET = 32 };
	static const uint32_t to[FLOW_S_MAX] = { 10, 10, 10, 10, 10, 10, 10, 10 };
	struct flow_table *t = new_table(CAP, to);
	static struct cb_log l;
	struct flow_key k;
	unsigned int i, calls = 0, total = 0;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.t = t;
	l.lookup_ok = 1;
	for (i = 0; i < LIVE; i++) {
		key4(&k, i);
		assert_non_null(ins(t, &k, 0));
	}
	/* nothing is old yet: a full sweep expires nothing */
	for (i = 0; i < CAP / BUDGET + 1; i++)
		assert_int_equal(flow_table_expire(t, 10, BUDGET, log_cb, &l), 0);
	assert_int_equal(flow_table_expire(t, 100, 0, log_cb, &l), 0);

	while (t->stats.count > 0) {
		uint32_t hand = t->hand;
		unsigned int before = l.calls, n, j;

		n = flow_table_expire(t, 100, BUDGET, log_cb, &l);
		assert_true(n <= BUDGET);
		assert_int_equal(l.calls - before, n);
		assert_int_equal(t->hand, (hand + BUDGET) % CAP);
		/* only slots inside the window the hand swept */
		for (j = before; j < l.calls; j++)
			assert_true((l.pos[j] + CAP - hand) % CAP < BUDGET);
		total += n;
		calls++;
		assert_true(calls <= (CAP + BUDGET - 1) / BUDGET);
	}
	assert_int_equal(total, LIVE);
	assert_int_equal(t->stats.expired, LIVE);
	for (i = 0; i < LIVE; i++)
		assert_int_equal(l.seen[i], 1);
	assert_true(l.lookup_ok);

	/* a budget above the capacity is one sweep, not more */
	for (i = 0; i < 50; i++) {
		key4(&k, i);
		assert_non_null(ins(t, &k, 200));
	}
	assert_int_equal(flow_table_expire(t, 300, 100000, NULL, NULL), 50);
	check_state_sum(t);
	flow_table_free(t);
}

static void
test_expire_callback_once(void **state)
{
	enum { CAP = 600, LIVE = 300 };
	static const uint32_t to[FLOW_S_MAX] = { 100, 100, 100, 100, 100, 100, 100 };
	struct flow_table *t = new_table(CAP, to);
	static struct cb_log l;
	struct flow_entry *e;
	struct flow_key k;
	unsigned int i, n = 0;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.t = t;
	l.lookup_ok = 1;
	for (i = 0; i < LIVE; i++) {
		key4(&k, i);
		e = ins(t, &k, 0);
		assert_non_null(e);
		e->pending = i;   /* what a state machine would free in the callback */
		/* odd flows were seen recently */
		if (i & 1)
			e->last_seen = 150;
	}
	/* several sweeps with an odd budget: each old flow reported once */
	for (i = 0; i < 3 * CAP / 7 + 3; i++)
		n += flow_table_expire(t, 200, 7, log_cb, &l);
	assert_int_equal(n, LIVE / 2);
	assert_int_equal(l.calls, LIVE / 2);
	for (i = 0; i < LIVE; i++) {
		key4(&k, i);
		assert_int_equal(l.seen[i], (i & 1) ? 0 : 1);
		if (i & 1)
			assert_non_null(look(t, &k));
		else
			assert_null(look(t, &k));
	}
	assert_true(l.lookup_ok);

	/* a callback that removes the entry itself does not unbalance the counts */
	l.remove_in_cb = 1;
	n = flow_table_expire(t, 1000, CAP, log_cb, &l);
	assert_int_equal(n, 0);
	assert_int_equal(l.calls, LIVE);
	assert_int_equal(t->stats.count, 0);
	assert_int_equal(t->stats.removes, LIVE / 2);
	assert_int_equal(t->stats.expired, LIVE / 2);
	check_state_sum(t);
	flow_table_free(t);
}

/* A callback that removes another flow (say, the other half of a pair) that
 * the same sweep was about to look at. */
static void
partner_cb(void *arg, const struct flow_key *key, struct flow_entry *entry)
{
	struct flow_table *t = arg;
	struct flow_key partner;

	(void)entry;
	key4(&partner, key_id(key) ^ 1);
	flow_table_remove(t, &partner, flow_table_hash(t, &partner));
}

static void
test_expire_callback_removes_other(void **state)
{
	static const uint32_t to[FLOW_S_MAX] = { 10, 10, 10, 10, 10, 10, 10, 10 };
	struct flow_table *t = new_table(200, to);
	struct flow_table_stats st;
	struct flow_key k;
	unsigned int i, n;

	(void)state;
	for (i = 0; i < 20; i++) {
		key4(&k, i);
		assert_non_null(ins(t, &k, 0));
	}
	n = flow_table_expire(t, 100, t->capacity, partner_cb, t);
	flow_table_get_stats(t, &st);
	assert_int_equal(st.count, 0);
	assert_int_equal(n, 10);
	assert_int_equal(st.expired, 10);
	assert_int_equal(st.removes, 10);
	check_state_sum(t);
	flow_table_free(t);
}

static void
test_clock_wrap(void **state)
{
	static const uint32_t to[FLOW_S_MAX] = { 100, 100, 100, 100, 100, 100, 100 };
	struct flow_table *t = new_table(64, to);
	struct flow_entry *e;
	struct flow_key k;

	(void)state;
	key4(&k, 1);
	assert_non_null(ins(t, &k, UINT32_MAX - 49));
	assert_int_equal(flow_table_expire(t, UINT32_MAX, 64, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 0, 64, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 50, 64, NULL, NULL), 0);   /* age 100 */
	assert_non_null(look(t, &k));
	assert_int_equal(flow_table_expire(t, 51, 64, NULL, NULL), 1);   /* age 101 */
	assert_null(look(t, &k));

	/* last_seen slightly ahead of now (another clock read): never "ancient" */
	e = ins(t, &k, 1000);
	assert_non_null(e);
	assert_int_equal(flow_table_expire(t, 900, 64, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 1100, 64, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 1101, 64, NULL, NULL), 1);

	/* across the signed midpoint */
	e = ins(t, &k, 0x7ffffff0u);
	assert_non_null(e);
	assert_int_equal(flow_table_expire(t, 0x80000010u, 64, NULL, NULL), 0);
	assert_int_equal(flow_table_expire(t, 0x7ffffff0u + 101, 64, NULL, NULL), 1);
	flow_table_free(t);
}

/* ------------------------------------------------------ per-state counts */

static void
test_per_state_counts(void **state)
{
	struct flow_table *t = new_table(100, NULL);
	struct flow_entry *e[10];
	struct flow_table_stats st;
	struct flow_key k;
	unsigned int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		key4(&k, i);
		e[i] = ins(t, &k, 0);
		assert_non_null(e[i]);
	}
	flow_table_get_stats(t, &st);
	assert_int_equal(st.per_state[FLOW_S_FREE], 10);

	for (i = 0; i < 4; i++)
		flow_table_set_state(t, e[i], FLOW_S_SYN_SENT);
	for (i = 4; i < 7; i++)
		flow_table_set_state(t, e[i], FLOW_S_ESTABLISHED);
	flow_table_set_state(t, e[4], FLOW_S_FIN_WAIT);
	flow_table_set_state(t, e[5], FLOW_S_FIN_WAIT);
	flow_table_set_state(t, e[4], FLOW_S_TIME_WAIT);
	flow_table_set_state(t, e[0], FLOW_S_CLOSED);
	flow_table_set_state(t, e[7], FLOW_S_LAN_SYN);
	/* a no-op transition changes nothing */
	flow_table_set_state(t, e[6], FLOW_S_ESTABLISHED);
	assert_int_equal(flow_table_set_state(t, e[6], FLOW_S_MAX), -EINVAL);
	assert_int_equal(flow_table_set_state(t, e[6], (enum flow_state)200), -EINVAL);
	assert_int_equal(e[6]->state, FLOW_S_ESTABLISHED);

	flow_table_get_stats(t, &st);
	assert_int_equal(st.per_state[FLOW_S_FREE], 2);
	assert_int_equal(st.per_state[FLOW_S_SYN_SENT], 3);
	assert_int_equal(st.per_state[FLOW_S_LAN_SYN], 1);
	assert_int_equal(st.per_state[FLOW_S_ESTABLISHED], 1);
	assert_int_equal(st.per_state[FLOW_S_FIN_WAIT], 1);
	assert_int_equal(st.per_state[FLOW_S_TIME_WAIT], 1);
	assert_int_equal(st.per_state[FLOW_S_CLOSED], 1);
	check_state_sum(t);

	/* removal and expiry take the flow out of its state's count */
	assert_int_equal(flow_table_remove_entry(t, e[4]), 0);
	flow_table_get_stats(t, &st);
	assert_int_equal(st.per_state[FLOW_S_TIME_WAIT], 0);
	assert_int_equal(flow_table_expire(t, 60000, t->capacity, NULL, NULL), 7);
	flow_table_get_stats(t, &st);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.per_state[FLOW_S_ESTABLISHED], 1);
	assert_int_equal(st.per_state[FLOW_S_FIN_WAIT], 1);
	check_state_sum(t);
	flow_table_free(t);
}

/* ---------------------------------------------------------------- memory */

static void
test_memory(void **state)
{
	struct rte_malloc_socket_stats before, after;
	static const uint32_t caps[] = { 50000, 65536 };
	struct flow_table *t;
	size_t est;
	unsigned int i;

	(void)state;
	assert_true(sizeof(struct flow_entry) <= 64);
	assert_int_equal(sizeof(struct flow_slot), 64);

	est = flow_table_memory_estimate(1000000);
	print_message("1,000,000 flows: %zu bytes, %.1f bytes/flow\n", est, est / 1e6);
	assert_true(est < 128u * 1000000);
	est = flow_table_memory_estimate(1u << 20);
	print_message("2^20 flows: %zu bytes (%.2f MiB), %.1f bytes/flow\n", est,
		      est / 1048576.0, (double)est / ((1u << 20) - 1));
	assert_true(est <= (size_t)128 << 20);
	assert_int_equal(flow_table_memory_estimate(0), 0);

	t = new_table(1000, NULL);
	assert_int_equal((uintptr_t)flow_table_entry_at(t, 0) % RTE_CACHE_LINE_SIZE, 0);
	assert_int_equal((char *)flow_table_entry_at(t, 1) - (char *)flow_table_entry_at(t, 0),
			 64);
	/* a small table is dominated by the fixed part */
	assert_true(flow_table_bytes_per_flow(t) > 64.0);
	flow_table_free(t);

	/* the estimate matches what the allocator actually hands out */
	for (i = 0; i < RTE_DIM(caps); i++) {
		double diff;

		assert_int_equal(rte_malloc_get_socket_stats(rte_socket_id(), &before), 0);
		t = new_table(caps[i], NULL);
		assert_int_equal(rte_malloc_get_socket_stats(rte_socket_id(), &after), 0);
		est = flow_table_memory(t);
		diff = (double)after.heap_allocsz_bytes - (double)before.heap_allocsz_bytes;
		print_message("capacity %u: estimate %zu, heap delta %.0f\n",
			      t->capacity, est, diff);
		assert_true(diff > est * 0.98 && diff < est * 1.02);
		assert_true(flow_table_bytes_per_flow(t) * t->capacity > est - 1.0);
		assert_true(flow_table_bytes_per_flow(t) < 128.0);
		flow_table_free(t);
	}
}

/* ------------------------------------------------- model-based random run */

struct model {
	uint8_t present[4096];
	uint8_t state[4096];
	uint32_t last_seen[4096];
	struct flow_entry *e[4096];
	uint32_t count;
	uint32_t now;
	const uint32_t *to;
	int bad;
};

static void
model_cb(void *arg, const struct flow_key *key, struct flow_entry *entry)
{
	struct model *m = arg;
	uint32_t id = key_id(key);

	if (id >= RTE_DIM(m->present) || !m->present[id] || m->e[id] != entry ||
	    (int32_t)(m->now - m->last_seen[id]) <= (int32_t)m->to[m->state[id]]) {
		m->bad++;
		return;
	}
	m->present[id] = 0;
	m->count--;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_random_against_model(void **state)
{
	static const uint32_t to[FLOW_S_MAX] = { 40, 90, 60, 400, 120, 80, 20 };
	enum { KEYS = 3000, OPS = 60000 };
	struct flow_table *t = new_table(1500, to);
	static struct model m;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	struct flow_table_stats st;
	unsigned int i, s;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.to = to;
	for (i = 0; i < OPS; i++) {
		uint32_t id = xorshift(&rng) % KEYS;
		unsigned int op = xorshift(&rng) % 10;
		struct flow_entry *e;
		struct flow_key k;

		key4(&k, id);
		if (i % 8 == 0)
			m.now += 1;
		switch (op) {
		case 0: case 1: case 2:
			e = ins(t, &k, m.now);
			if (m.present[id]) {
				assert_ptr_equal(e, m.e[id]);
			} else if (e != NULL) {
				m.present[id] = 1;
				m.state[id] = FLOW_S_FREE;
				m.last_seen[id] = m.now;
				m.e[id] = e;
				m.count++;
			} else {
				/* only a (nearly) full table may refuse */
				assert_true(m.count >= t->capacity * 9 / 10);
			}
			break;
		case 3:
			assert_int_equal(flow_table_remove(t, &k, flow_table_hash(t, &k)),
					 m.present[id] ? 0 : -ENOENT);
			if (m.present[id]) {
				m.present[id] = 0;
				m.count--;
			}
			break;
		case 4: case 5:
			e = look(t, &k);
			assert_ptr_equal(e, m.present[id] ? m.e[id] : NULL);
			if (e != NULL) {
				e->last_seen = m.now;
				m.last_seen[id] = m.now;
			}
			break;
		case 6: case 7:
			if (m.present[id]) {
				s = xorshift(&rng) % FLOW_S_MAX;
				assert_int_equal(flow_table_set_state(t, m.e[id], s), 0);
				m.state[id] = s;
			}
			break;
		default:
			m.bad = 0;
			flow_table_expire(t, m.now, 1 + xorshift(&rng) % 64, model_cb, &m);
			assert_int_equal(m.bad, 0);
			break;
		}
		assert_int_equal(t->stats.count, m.count);
	}

	/* final cross-check of every key and every per-state count */
	flow_table_get_stats(t, &st);
	{
		uint32_t per[FLOW_S_MAX] = { 0 };

		for (i = 0; i < KEYS; i++) {
			struct flow_key k;

			key4(&k, i);
			assert_ptr_equal(look(t, &k), m.present[i] ? m.e[i] : NULL);
			if (m.present[i])
				per[m.state[i]]++;
		}
		for (s = 0; s < FLOW_S_MAX; s++)
			assert_int_equal(st.per_state[s], per[s]);
	}
	assert_true(st.expired > 0);
	check_state_sum(t);
	flow_table_free(t);
}

/* ------------------------------------------------------------------ main */

/*
 * Hash flooding: 2,048 keys that share one CRC32C value under EVERY seed (the
 * table's old hash; crc_collide.h). Under that hash they all want the same
 * two buckets, so 16 fit and the rest are refused (full_drops). Under the
 * keyed hash they spread: every insert succeeds, every key is found one by
 * one and in bulk with precomputed hashes.
 */
static void
test_crc_collisions_spread(void **state)
{
	enum { N = 2048 };
	static struct flow_key keys[N];
	static const struct flow_key *kp[N];
	static uint32_t hashes[N];
	static struct flow_entry *out[N];
	struct crc_collide cc;
	struct flow_table_stats st;
	struct flow_table *t;
	uint32_t old;

	(void)state;
	assert_true(crc_collide_init(&cc) >= CRC_COLLIDE_DIM);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t a;
		uint16_t p;

		crc_collide_member(&cc, rte_cpu_to_be_32(0xc6120001), rte_cpu_to_be_16(40000),
				   i * 29 + 3, &a, &p);
		flow_key_v4(&keys[i], a, rte_cpu_to_be_32(0xc6130001), p,
			    rte_cpu_to_be_16(80), IPPROTO_TCP);
		kp[i] = &keys[i];
	}
	/* they really are the attack: one CRC for all, whatever the seed */
	for (uint32_t seed = 0; seed < 4; seed++) {
		old = rte_hash_crc(&keys[0], sizeof(keys[0]), seed * 0x9e3779b9u);
		for (uint32_t i = 1; i < N; i++)
			assert_int_equal(rte_hash_crc(&keys[i], sizeof(keys[i]),
						      seed * 0x9e3779b9u), old);
	}

	t = new_table(4 * N, NULL);
	for (uint32_t i = 0; i < N; i++)
		assert_non_null(ins(t, &keys[i], 1));
	flow_table_get_stats(t, &st);
	assert_int_equal(st.full_drops, 0);
	assert_int_equal(st.count, N);
	for (uint32_t i = 0; i < N; i++) {
		assert_non_null(look(t, &keys[i]));
		hashes[i] = flow_table_hash(t, &keys[i]);
	}
	assert_int_equal(flow_table_lookup_bulk_hash(t, kp, hashes, N, out), N);
	assert_int_equal(flow_table_lookup_bulk(t, kp, N, out), N);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(out[i], look(t, &keys[i]));
	flow_table_free(t);
}

/*
 * The whole class (65,536 keys, one CRC) over 4,096 buckets by the table
 * hash: about 16 per bucket, none far above (a CRC puts all in one).
 */
static void
test_crc_class_bucket_spread(void **state)
{
	enum { NB = 4096 };
	static uint32_t occ[NB];
	struct crc_collide cc;
	uint32_t max = 0;

	(void)state;
	memset(occ, 0, sizeof(occ));
	assert_true(crc_collide_init(&cc) >= CRC_COLLIDE_DIM);
	for (uint32_t i = 0; i < (UINT32_C(1) << CRC_COLLIDE_DIM); i++) {
		struct flow_key k;
		uint32_t a;
		uint16_t p;

		crc_collide_member(&cc, rte_cpu_to_be_32(0xc6120001), rte_cpu_to_be_16(40000),
				   i, &a, &p);
		flow_key_v4(&k, a, rte_cpu_to_be_32(0xc6130001), p, rte_cpu_to_be_16(443),
			    IPPROTO_TCP);
		occ[flow_table_hash(NULL, &k) & (NB - 1)]++;
	}
	for (uint32_t b = 0; b < NB; b++)
		max = RTE_MAX(max, occ[b]);
	assert_true(max <= 48);
}

/* The process secret: a seed gives the same hashes again, another seed others. */
static void
test_keyed_hash_seed(void **state)
{
	struct flow_key k;
	uint32_t h1, h2, same = 0;

	(void)state;
	keyed_hash_set_seed(1);
	key4(&k, 7);
	h1 = keyed_hash_flow_key(&k);
	assert_int_equal(keyed_hash_rte_flow_key(&k, sizeof(k), 12345), h1);
	keyed_hash_set_seed(2);
	h2 = keyed_hash_flow_key(&k);
	keyed_hash_set_seed(1);
	assert_int_equal(keyed_hash_flow_key(&k), h1);
	for (uint32_t i = 0; i < 64; i++) {
		key4(&k, i);
		keyed_hash_set_seed(2);
		h2 = keyed_hash_flow_key(&k);
		keyed_hash_set_seed(1);
		same += keyed_hash_flow_key(&k) == h2;
	}
	assert_true(same < 2);
	/* init after an explicit seed keeps it (tests stay deterministic) */
	assert_int_equal(keyed_hash_init(), 0);
	key4(&k, 7);
	assert_int_equal(keyed_hash_flow_key(&k), h1);
}

/* The IPv4 shortcut (keyed_hash_flow_key_v4) is the full hash of the key
 * it builds, under several secrets and random fields. */
static void
test_keyed_hash_v4_same(void **state)
{
	uint64_t x = 0x1234567887654321ull;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		keyed_hash_set_seed(seed);
		for (int i = 0; i < 1000; i++) {
			struct flow_key k, ref;
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t wan = (uint32_t)(x >> 32), lan = (uint32_t)x;
			uint16_t wp = (uint16_t)(x >> 7), lp = (uint16_t)(x >> 23);
			uint8_t proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;
			uint32_t h = keyed_hash_flow_key_v4(&k, wan, lan, wp, lp, proto);
			flow_key_v4(&ref, wan, lan, wp, lp, proto);
			assert_memory_equal(&k, &ref, sizeof(k));
			assert_int_equal(h, keyed_hash_flow_key(&ref));
		}
	}
	keyed_hash_set_seed(1);
}

static int
eal_setup(void **state)
{
	/* DPDK 22.11 treats --no-huge as legacy memory, which it refuses
	 * together with --in-memory; --no-shconf gives the same "no shared
	 * files" behaviour, so parallel test processes do not clash. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_params),
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_remove_by_index),
		cmocka_unit_test(test_ipv4_ipv6_keys),
		cmocka_unit_test(test_bulk_lookup),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_full_table_pow2),
		cmocka_unit_test(test_expire_per_state),
		cmocka_unit_test(test_expire_budget),
		cmocka_unit_test(test_expire_callback_once),
		cmocka_unit_test(test_expire_callback_removes_other),
		cmocka_unit_test(test_clock_wrap),
		cmocka_unit_test(test_per_state_counts),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_crc_collisions_spread),
		cmocka_unit_test(test_keyed_hash_v4_same),
		cmocka_unit_test(test_crc_class_bucket_spread),
		cmocka_unit_test(test_keyed_hash_seed),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
