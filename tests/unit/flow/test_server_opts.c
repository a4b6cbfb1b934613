/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_server_opts.c - unit tests of the learned server-options cache.
 *
 * Collisions are found, not assumed: the tests search for servers that
 * server_opts_set_index() puts in the same set, so they hold whatever the
 * table's random seed is. Only the LAN side of a flow key may matter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "flow/keyed_hash.h"
#include "flow/server_opts.h"

/* a flow towards server 10.1.x.y:port from an arbitrary client */
static void
srv4(struct flow_key *k, uint32_t server, uint16_t port, uint32_t client)
{
	flow_key_v4(k, rte_cpu_to_be_32(0xc6336400 | (client & 0xff)),
		    rte_cpu_to_be_32(0x0a010000 | (server & 0xffff)),
		    rte_cpu_to_be_16(30000 + (client & 0xfff)),
		    rte_cpu_to_be_16(port), IPPROTO_TCP);
}

static struct server_opts
opts(uint16_t mss, uint8_t wscale, int sack, int ts)
{
	struct server_opts o;

	memset(&o, 0, sizeof(o));
	o.mss = mss;
	o.wscale = wscale;
	o.sack = sack;
	o.ts = ts;
	return o;
}

/* Servers (by number, port 80) that share the set of `first`; n of them. */
static void
colliding(const struct server_opts_table *t, uint32_t first, uint32_t *out,
	  unsigned int n)
{
	struct flow_key k;
	uint32_t set, s;
	unsigned int found = 0;

	srv4(&k, first, 80, 0);
	set = server_opts_set_index(t, &k);
	for (s = first; found < n && s < first + 60000; s++) {
		srv4(&k, s, 80, 0);
		if (server_opts_set_index(t, &k) == set)
			out[found++] = s;
	}
	assert_int_equal(found, n);
}

static void
test_create(void **state)
{
	struct server_opts_table *t;

	(void)state;
	assert_null(server_opts_create("so", 0, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(server_opts_create(NULL, 64, SOCKET_ID_ANY));
	assert_null(server_opts_create("so", SERVER_OPTS_MAX_SLOTS + 1, SOCKET_ID_ANY));

	t = server_opts_create("so", 1000, SOCKET_ID_ANY);
	assert_non_null(t);
	assert_int_equal(t->nb_slots, 1024);
	assert_int_equal(t->set_mask, 511);
	assert_int_equal((uintptr_t)t->slots % 64, 0);
	server_opts_free(t);

	t = server_opts_create("so", 1, SOCKET_ID_ANY);
	assert_non_null(t);
	assert_int_equal(t->nb_slots, SERVER_OPTS_WAYS);
	assert_int_equal(t->set_mask, 0);
	server_opts_free(t);
	server_opts_free(NULL);
}

static void
test_learn_get(void **state)
{
	struct server_opts_table *t = server_opts_create("so", 256, SOCKET_ID_ANY);
	struct server_opts in = opts(1380, 9, 1, 0), out;
	struct server_opts_stats st;
	struct flow_key k, other_client, other_port;

	(void)state;
	srv4(&k, 5, 443, 1);
	memset(&out, 0xa5, sizeof(out));
	assert_false(server_opts_get(t, &k, &out));
	server_opts_learn(t, &k, &in, 4242);
	assert_true(server_opts_get(t, &k, &out));
	assert_int_equal(out.mss, 1380);
	assert_int_equal(out.wscale, 9);
	assert_int_equal(out.sack, 1);
	assert_int_equal(out.ts, 0);
	assert_int_equal(out.valid, 1);
	assert_int_equal(out.learned_ms, 4242);

	/* the client side of the key does not matter */
	srv4(&other_client, 5, 443, 77);
	memset(&out, 0, sizeof(out));
	assert_true(server_opts_get(t, &other_client, &out));
	assert_int_equal(out.mss, 1380);
	/* the port does */
	srv4(&other_port, 5, 8443, 1);
	assert_false(server_opts_get(t, &other_port, &out));

	/* learning again updates in place */
	in = opts(1460, TCP_WSCALE_NONE, 0, 1);
	server_opts_learn(t, &other_client, &in, 5000);
	assert_true(server_opts_get(t, &k, &out));
	assert_int_equal(out.mss, 1460);
	assert_int_equal(out.wscale, TCP_WSCALE_NONE);
	assert_int_equal(out.sack, 0);
	assert_int_equal(out.ts, 1);
	assert_int_equal(out.learned_ms, 5000);

	/* an absurd shift is stored as the RFC maximum */
	in = opts(1460, 20, 1, 1);
	server_opts_learn(t, &k, &in, 6000);
	assert_true(server_opts_get(t, &k, &out));
	assert_int_equal(out.wscale, SERVER_OPTS_WSCALE_MAX);
	in = opts(1460, 14, 1, 1);
	server_opts_learn(t, &k, &in, 6001);
	assert_true(server_opts_get(t, &k, &out));
	assert_int_equal(out.wscale, 14);

	server_opts_get_stats(t, &st);
	assert_int_equal(st.learned, 4);
	assert_int_equal(st.replaced, 0);
	assert_int_equal(st.hits, 5);
	assert_int_equal(st.misses, 2);

	server_opts_forget(t, &k);
	assert_false(server_opts_get(t, &k, &out));
	server_opts_forget(t, &k);
	server_opts_learn(NULL, &k, &in, 0);
	server_opts_learn(t, &k, NULL, 0);
	assert_false(server_opts_get(t, &k, &out));
	server_opts_free(t);
}

static void
test_unknown(void **state)
{
	struct server_opts_table *t = server_opts_create("so", 64, SOCKET_ID_ANY);
	struct server_opts in = opts(1400, 7, 1, 1), out;
	struct flow_key k;
	uint32_t i;

	(void)state;
	srv4(&k, 1, 80, 0);
	server_opts_learn(t, &k, &in, 1);
	for (i = 2; i < 500; i++) {
		srv4(&k, i, 80, 0);
		memset(&out, 0x5a, sizeof(out));
		assert_false(server_opts_get(t, &k, &out));
		/* a miss leaves the caller's defaults alone */
		assert_int_equal(out.mss, 0x5a5a);
	}
	/* a zeroed (never learned) slot must not match an all-zero key */
	memset(&k, 0, sizeof(k));
	assert_false(server_opts_get(t, &k, &out));
	assert_int_equal(t->stats.misses, 499);
	server_opts_free(t);
}

static void
test_v4_v6_same_bytes(void **state)
{
	/* one set only: both must live side by side in its two ways */
	struct server_opts_table *t = server_opts_create("so", 2, SOCKET_ID_ANY);
	struct server_opts a = opts(1460, 7, 1, 1), b = opts(1220, 3, 0, 0), out;
	struct flow_key k4, k6;

	(void)state;
	srv4(&k4, 9, 80, 0);
	k6 = k4;
	k6.family = FLOW_AF_INET6;      /* lan_addr = {10.1.0.9, 0, 0, 0} */
	server_opts_learn(t, &k4, &a, 1);
	assert_false(server_opts_get(t, &k6, &out));
	server_opts_learn(t, &k6, &b, 2);
	assert_true(server_opts_get(t, &k4, &out));
	assert_int_equal(out.mss, 1460);
	assert_true(server_opts_get(t, &k6, &out));
	assert_int_equal(out.mss, 1220);
	assert_int_equal(t->stats.replaced, 0);
	server_opts_forget(t, &k6);
	assert_false(server_opts_get(t, &k6, &out));
	assert_true(server_opts_get(t, &k4, &out));
	server_opts_free(t);

	/* and in a bigger table, whatever sets they land in */
	t = server_opts_create("so", 4096, SOCKET_ID_ANY);
	server_opts_learn(t, &k6, &b, 1);
	assert_false(server_opts_get(t, &k4, &out));
	server_opts_learn(t, &k4, &a, 2);
	assert_true(server_opts_get(t, &k6, &out));
	assert_int_equal(out.mss, 1220);
	assert_true(server_opts_get(t, &k4, &out));
	assert_int_equal(out.mss, 1460);
	server_opts_free(t);
}

static void
test_replacement(void **state)
{
	struct server_opts_table *t = server_opts_create("so", 64, SOCKET_ID_ANY);
	struct server_opts o, out;
	struct flow_key k[4];
	uint32_t s[4];
	unsigned int i;

	(void)state;
	colliding(t, 100, s, 4);
	for (i = 0; i < 4; i++)
		srv4(&k[i], s[i], 80, 0);

	/* two ways: A and B fit */
	o = opts(1000, 1, 1, 1);
	server_opts_learn(t, &k[0], &o, 10);
	o = opts(1001, 1, 1, 1);
	server_opts_learn(t, &k[1], &o, 20);
	assert_true(server_opts_get(t, &k[0], &out));
	assert_true(server_opts_get(t, &k[1], &out));
	assert_int_equal(t->stats.replaced, 0);

	/* C evicts the one learned longest ago (A) */
	o = opts(1002, 1, 1, 1);
	server_opts_learn(t, &k[2], &o, 30);
	assert_int_equal(t->stats.replaced, 1);
	assert_false(server_opts_get(t, &k[0], &out));
	assert_true(server_opts_get(t, &k[1], &out));
	assert_int_equal(out.mss, 1001);
	assert_true(server_opts_get(t, &k[2], &out));
	assert_int_equal(out.mss, 1002);

	/* refreshing B makes C the oldest: D evicts C */
	o = opts(1001, 1, 1, 1);
	server_opts_learn(t, &k[1], &o, 40);
	o = opts(1003, 1, 1, 1);
	server_opts_learn(t, &k[3], &o, 50);
	assert_int_equal(t->stats.replaced, 2);
	assert_false(server_opts_get(t, &k[2], &out));
	assert_true(server_opts_get(t, &k[1], &out));
	assert_true(server_opts_get(t, &k[3], &out));
	assert_int_equal(out.mss, 1003);

	/* age compare survives the ms clock wrapping: B at 40 is older than
	 * D, which is refreshed just past the wrap */
	o = opts(1003, 1, 1, 1);
	server_opts_learn(t, &k[3], &o, UINT32_MAX - 5);
	server_opts_learn(t, &k[1], &o, 3);
	o = opts(1000, 1, 1, 1);
	server_opts_learn(t, &k[0], &o, 10);
	assert_true(server_opts_get(t, &k[1], &out));
	assert_false(server_opts_get(t, &k[3], &out));
	assert_true(server_opts_get(t, &k[0], &out));
	assert_int_equal(out.mss, 1000);

	/* servers of other sets were never disturbed */
	for (i = 0; i < 4; i++) {
		struct flow_key x;

		srv4(&x, 20000 + i, 80, 0);
		if (server_opts_set_index(t, &x) != server_opts_set_index(t, &k[0]))
			assert_false(server_opts_get(t, &x, &out));
	}
	server_opts_free(t);
}

/* Direct check that distinct servers never read each other's options. */
static void
test_many_servers(void **state)
{
	struct server_opts_table *t = server_opts_create("so", 512, SOCKET_ID_ANY);
	struct server_opts o, out;
	struct flow_key k;
	unsigned int i, hits = 0;

	(void)state;
	for (i = 0; i < 2000; i++) {
		srv4(&k, i, 80, i);
		o = opts(500 + i, i % 15, i & 1, (i >> 1) & 1);
		server_opts_learn(t, &k, &o, i);
	}
	for (i = 0; i < 2000; i++) {
		srv4(&k, i, 80, 0);
		if (server_opts_get(t, &k, &out)) {
			hits++;
			assert_int_equal(out.mss, 500 + i);
			assert_int_equal(out.wscale, i % 15);
			assert_int_equal(out.sack, i & 1);
			assert_int_equal(out.ts, (i >> 1) & 1);
		}
	}
	/* a cache: some forgotten, never more than it holds, the newest kept */
	assert_true(hits <= 512);
	assert_true(hits >= 256);
	srv4(&k, 1999, 80, 0);
	assert_true(server_opts_get(t, &k, &out));
	server_opts_free(t);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_learn_get),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_v4_v6_same_bytes),
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_many_servers),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
