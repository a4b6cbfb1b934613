/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_svc_limits.c - per-service per-prefix caps
 * (synproxy.services[].limits, fwd/synproxy_limits.c): a service with caps
 * of its own counts its flows per (source prefix, service), apart from the
 * global caps and from every other service; a refusal is counted in
 * service_flow_cap / service_half_open_cap; every flow is released in the
 * domain it was counted in, across reloads that change or remove its service;
 * a handover restore counts each flow in its service's domain under the new
 * process's policy.
 *
 * The harness's client is 198.18.x.y (ids 0..255 share a /24), its server
 * 10.0.0.10; service A is port 80, service B port 81 of that server. The
 * runtime slot stands for app.runtime (one thread: no grace period needed).
 * After every step check_counts() compares the counters with a scan of the
 * flow table: per (prefix, domain) and in total, no underflow ever.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "flow/keyed_hash.h"
#include "fwd/sp_runtime.h"
#include "fwd/synproxy_int.h"
#include "policy/policy.h"
#include "state/handover.h"
#include "../common/pktbuild.h"
#include "sp_harness.h"

#define PORT_A 80
#define PORT_B 81

static struct sp_runtime *slot;
static uint64_t gen;
static uint32_t g_flows, g_half_open;    /* global caps */
static uint32_t a_flows, a_half_open;    /* service A's, 0 = not set */

static struct cfg_service *
add_service(struct cfg_synproxy *c, uint16_t port, uint32_t max_flows, uint32_t max_half_open)
{
	struct cfg_service *s = &c->services[c->nb_services++];
	memset(s, 0, sizeof(*s));
	s->prefix = (struct cfg_prefix){ .addr = { 10, 0, 0, 10 }, .family = CFG_AF_INET, .len = 32 };
	s->nb_ports = 1;
	s->ports[0].lo = s->ports[0].hi = port;
	if (max_flows) {
		s->set |= CFG_SVC_MAX_FLOWS;
		s->max_flows_per_prefix = max_flows;
	}
	if (max_half_open) {
		s->set |= CFG_SVC_MAX_HALF_OPEN;
		s->max_half_open_per_prefix = max_half_open;
	}
	return s;
}

/* A (limits a_*), then B (none). */
static void
tweak(struct cfg_synproxy *c)
{
	c->max_flows_per_prefix = g_flows;
	c->max_half_open_per_prefix = g_half_open;
	c->ratelimit_enabled = false;
	c->timeout_established = 60;
	c->nb_services = 0;
	add_service(c, PORT_A, a_flows, a_half_open);
	add_service(c, PORT_B, 0, 0);
}

/* Publish world.cfg as the next runtime generation (a reload, minus RCU). */
static void
publish(void)
{
	char err[256];
	struct sp_runtime *rt = sp_runtime_create(&world.cfg, ++gen, SOCKET_ID_ANY, err,
						  sizeof(err));

	if (rt == NULL)
		fail_msg("sp_runtime_create: %s", err);   /* the old one stays for teardown */
	sp_runtime_free(slot);
	slot = rt;
	synproxy_lcore_set_runtime(world.sp, &slot);
}

static void
start(void)
{
	world_start(CFG_MODE_COOKIE, tweak);
	sp_runtime_free(slot);   /* a test that restarts the world */
	slot = NULL;
	publish();
}

static void
stop(void)
{
	world_end();
	sp_runtime_free(slot);
	slot = NULL;
}

static int
teardown(void **state)
{
	sp_runtime_free(slot);
	slot = NULL;
	return world_teardown(state);
}

static void
conn_to(struct conn *c, uint32_t id, uint16_t port)
{
	conn_init(c, 4, id);
	c->sport = port;
}

static void
key_of(const struct conn *c, struct flow_key *k)
{
	uint32_t a, b;
	memcpy(&a, c->cli, 4);
	memcpy(&b, c->srv, 4);
	flow_key_v4(k, a, b, rte_cpu_to_be_16(c->cport), rte_cpu_to_be_16(c->sport), IPPROTO_TCP);
}

static struct flow_entry *
flow_of(const struct conn *c)
{
	struct flow_key k;
	key_of(c, &k);
	return flow_table_lookup(world.sp->flows, &k, flow_table_hash(world.sp->flows, &k));
}

/* Live flows and half-open ones of c's /24 in domain dom, as the counters say. */
static uint32_t
counted(const struct conn *c, uint16_t dom, uint32_t *half_open)
{
	struct flow_key k;
	uint32_t f, h;
	key_of(c, &k);
	prefix_limits_get_dom(world.sp->limits, &k, dom, &f, &h);
	if (half_open != NULL)
		*half_open = h;
	return f;
}

/* The counting domain the current policy gives the service on port. */
static uint16_t
dom_of_port(uint16_t port)
{
	const struct policy *p = slot->policy;
	for (unsigned i = 0; i < p->nb_services; i++)
		if (world.cfg.synproxy.services[i].ports[0].lo == port)   /* = the policy's order */
			return p->services[i].limits_dom;
	fail_msg("no service on port %u", port);
	return 0;
}

/* The invariant: per (/24, domain) the counters read the proxied flows (and
 * the proxied SYN_SENT ones) the table holds in that domain; the totals
 * are their sums; no underflow. */
static void
check_counts(void)
{
	static struct {
		uint32_t a;
		uint16_t dom;
		struct flow_key any;
		uint32_t flows, half_open;
	} g[256];
	unsigned ng = 0;
	struct flow_table *t = world.sp->flows;

	for (uint32_t pos = 0; pos < t->capacity; pos++) {
		struct flow_key k;
		if (flow_table_get_key(t, pos, &k) != 0)
			continue;
		const struct flow_entry *fe = flow_table_entry_at(t, pos);
		if (!(fe->flags & FLOW_F_PROXIED))
			continue;
		uint32_t a = k.wan_addr[0] & rte_cpu_to_be_32(0xffffff00u);
		unsigned i;
		for (i = 0; i < ng; i++)
			if (g[i].a == a && g[i].dom == fe->lim_dom)
				break;
		if (i == ng) {
			assert_true(ng < RTE_DIM(g));
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].a = a;
			g[ng].dom = fe->lim_dom;
			g[ng].any = k;
			ng++;
		}
		g[i].flows++;
		g[i].half_open += fe->state == FLOW_S_SYN_SENT;
	}
	struct prefix_limits_stats ps;
	prefix_limits_stats_get(world.sp->limits, &ps);
	assert_int_equal(ps.underflows, 0);
	uint64_t tf = 0, th = 0;
	for (unsigned i = 0; i < ng; i++) {
		uint32_t f, h;
		prefix_limits_get_dom(world.sp->limits, &g[i].any, g[i].dom, &f, &h);
		assert_int_equal(f, g[i].flows);
		assert_int_equal(h, g[i].half_open);
		tf += g[i].flows;
		th += g[i].half_open;
	}
	assert_int_equal(ps.flows, tf);
	assert_int_equal(ps.half_open, th);
}

/* Nothing counted anywhere. */
static void
check_zero(void)
{
	struct prefix_limits_stats ps;
	check_counts();
	prefix_limits_stats_get(world.sp->limits, &ps);
	assert_int_equal(ps.flows, 0);
	assert_int_equal(ps.half_open, 0);
	assert_int_equal(ps.underflows, 0);
}

/* Handshake ACK in: true if the SYN went to the server. */
static bool
try_open(struct conn *c)
{
	syn_ok(c);
	send_ack3(c, 0);
	bool sent = world.tx.q[ROLE_LAN].n == 1;
	assert_int_equal(world.tx.q[ROLE_WAN].n, 0);
	world_tx_drop();
	return sent;
}

/* The client resets an established flow; it leaves the table after timeout_close. */
static void
client_rst(struct conn *c)
{
	struct flow_entry *fe = flow_of(c);
	assert_non_null(fe);
	seg_in(c, true, RTE_TCP_RST_FLAG, fe->wan_end, 0, 0, NULL, 0);
	world_tx_drop();
}

static void
expire_all(void)
{
	world.now_ms += world.cfg.synproxy.timeout_established * 1000 + 1;
	sweep();
	world_tx_drop();
	assert_int_equal(nflows(), 0);
}

/* ================================================================ tests */

/* A: 2 flows per prefix. The prefix's third to A is refused and counted in
 * service_flow_cap; B (no limits, no global cap) takes everything; another
 * prefix has its own allowance for A; closing one of A's flows lets the
 * client's retransmitted ACK in. */
static void
test_cap_per_prefix_and_service(void **state)
{
	struct conn a[3], b[3], other;

	(void)state;
	g_flows = g_half_open = 0;   /* no global cap: the counters exist for A alone */
	a_flows = 2;
	a_half_open = 0;
	start();
	assert_non_null(world.sp->limits);
	uint16_t da = dom_of_port(PORT_A);
	assert_int_not_equal(da, 0);
	assert_int_equal(dom_of_port(PORT_B), 0);

	for (int i = 0; i < 2; i++) {
		conn_to(&a[i], 10 + i, PORT_A);
		establish(&a[i]);
		assert_int_equal(flow_of(&a[i])->lim_dom, da);
	}
	conn_to(&a[2], 12, PORT_A);
	assert_false(try_open(&a[2]));
	assert_int_equal(st()->service_flow_cap, 1);
	assert_int_equal(st()->prefix_flow_cap, 0);
	assert_null(flow_of(&a[2]));
	/* the same prefix to B: not A's business */
	for (int i = 0; i < 3; i++) {
		conn_to(&b[i], 20 + i, PORT_B);
		establish(&b[i]);
		assert_int_equal(flow_of(&b[i])->lim_dom, 0);
	}
	/* another /24 to A */
	conn_to(&other, 0x100 + 10, PORT_A);
	assert_true(try_open(&other));
	assert_int_equal(counted(&a[0], da, NULL), 2);
	assert_int_equal(counted(&a[0], 0, NULL), 3);
	assert_int_equal(counted(&other, da, NULL), 1);
	check_counts();

	/* A's retransmitted ACK while A is full: refused again */
	send_ack3(&a[2], 0);
	expect_tx(0, 0);
	assert_int_equal(st()->service_flow_cap, 2);
	/* one of A's flows closes and leaves the table: the retry gets in */
	client_rst(&a[0]);
	world.now_ms += world.cfg.synproxy.timeout_close * 1000 + 1;
	sweep();
	world_tx_drop();
	assert_null(flow_of(&a[0]));
	assert_int_equal(counted(&a[1], da, NULL), 1);
	assert_int_equal(counted(&b[0], 0, NULL), 3);   /* B's untouched */
	check_counts();
	send_ack3(&a[2], 0);
	expect_tx(1, 0);
	world_tx_drop();
	assert_int_equal(flow_of(&a[2])->lim_dom, da);
	check_counts();
	expire_all();
	check_zero();
	stop();
}

/* Half-open per service; and a service's caps replace the global ones for
 * it: A's flows do not count against the global cap, B's not against A's. */
static void
test_half_open_and_global(void **state)
{
	struct conn a[4], b[3];

	(void)state;
	g_flows = 2;        /* B: 2 per prefix */
	g_half_open = 0;
	a_flows = 0;        /* A: the global 2 flows, but in its own count ... */
	a_half_open = 1;    /* ... and 1 half-open */
	start();
	uint16_t da = dom_of_port(PORT_A);
	assert_int_not_equal(da, 0);

	for (int i = 0; i < 4; i++)
		conn_to(&a[i], 30 + i, PORT_A);
	assert_true(try_open(&a[0]));
	assert_false(try_open(&a[1]));   /* A's half-open cap */
	assert_int_equal(st()->service_half_open_cap, 1);
	uint32_t h;
	assert_int_equal(counted(&a[0], da, &h), 1);
	assert_int_equal(h, 1);
	check_counts();
	/* the server answers a[0]: no longer half-open, a[1] gets in */
	struct view x, y;
	do_server_synack(&a[0], &x, &y);
	view_free(&x);
	view_free(&y);
	assert_int_equal(counted(&a[0], da, &h), 1);
	assert_int_equal(h, 0);
	send_ack3(&a[1], 0);
	expect_tx(1, 0);
	world_tx_drop();
	/* a[1] never gets an answer: its SYN_SENT expiry releases the half-open
	 * count (and the flow) in A's domain */
	world.now_ms += world.cfg.synproxy.timeout_syn_sent * 1000 + 1;
	sweep();
	world_tx_drop();
	assert_null(flow_of(&a[1]));
	assert_int_equal(counted(&a[0], da, &h), 1);
	assert_int_equal(h, 0);
	check_counts();
	establish(&a[2]);
	/* A holds 2 = its flow cap (the global value) */
	assert_false(try_open(&a[3]));
	assert_int_equal(st()->service_flow_cap, 1);
	/* B: the global 2, A's flows not in it */
	for (int i = 0; i < 3; i++)
		conn_to(&b[i], 40 + i, PORT_B);
	assert_true(try_open(&b[0]));
	assert_true(try_open(&b[1]));
	assert_false(try_open(&b[2]));
	assert_int_equal(st()->prefix_flow_cap, 1);
	assert_int_equal(st()->service_flow_cap, 1);
	check_counts();
	expire_all();
	check_zero();
	stop();
}

/* A reload changes A's cap: new connections follow it at once, the flows
 * already open stay (none is torn down) and are released where they were
 * counted. */
static void
test_reload_changes_limit(void **state)
{
	struct conn a[6];

	(void)state;
	g_flows = g_half_open = 0;
	a_flows = 2;
	a_half_open = 0;
	start();
	uint16_t da = dom_of_port(PORT_A);
	for (int i = 0; i < 6; i++)
		conn_to(&a[i], 50 + i, PORT_A);
	establish(&a[0]);
	establish(&a[1]);
	assert_false(try_open(&a[2]));

	/* raised to 4: the same domain (the service is the same), two more */
	world.cfg.synproxy.services[0].max_flows_per_prefix = 4;
	publish();
	assert_int_equal(dom_of_port(PORT_A), da);
	send_ack3(&a[2], 0);   /* the refused client's retransmission */
	expect_tx(1, 0);
	world_tx_drop();
	assert_true(try_open(&a[3]));
	assert_false(try_open(&a[4]));
	assert_int_equal(st()->service_flow_cap, 2);
	assert_int_equal(counted(&a[0], da, NULL), 4);
	check_counts();

	/* lowered to 1 with 4 open: all 4 stay, new ones are refused */
	world.cfg.synproxy.services[0].max_flows_per_prefix = 1;
	publish();
	assert_false(try_open(&a[5]));
	assert_int_equal(st()->service_flow_cap, 3);
	for (int i = 0; i < 4; i++)
		assert_non_null(flow_of(&a[i]));
	exchange(&a[0], 0, 0, 0);   /* still translated */
	check_counts();
	/* B moved before A in the list: A keeps its domain and its count */
	struct cfg_service sa = world.cfg.synproxy.services[0];
	world.cfg.synproxy.services[0] = world.cfg.synproxy.services[1];
	world.cfg.synproxy.services[1] = sa;
	publish();
	assert_int_equal(dom_of_port(PORT_A), da);
	assert_false(try_open(&a[5]));
	assert_int_equal(st()->service_flow_cap, 4);
	expire_all();
	check_zero();
	/* and after all of them: the cap of 1 admits one */
	assert_true(try_open(&a[5]));
	assert_false(try_open(&a[4]));
	expire_all();
	check_zero();
	stop();
}

/* A reload takes A's limits away, then A itself, with flows counted in A's
 * domain still open (and one still half-open): each is released in A's
 * domain when it goes, the new flows count where the new policy says. */
static void
test_reload_removes_service(void **state)
{
	struct conn a[3], n[2], u;

	(void)state;
	g_flows = 100;
	g_half_open = 100;
	a_flows = 2;
	a_half_open = 0;
	start();
	uint16_t da = dom_of_port(PORT_A);
	conn_to(&a[0], 60, PORT_A);
	conn_to(&a[1], 61, PORT_A);
	conn_to(&a[2], 62, PORT_A);
	establish(&a[0]);
	assert_true(try_open(&a[1]));   /* left half-open */
	assert_false(try_open(&a[2]));

	/* A without limits: global domain from now on */
	world.cfg.synproxy.services[0].set = 0;
	publish();
	assert_int_equal(dom_of_port(PORT_A), 0);
	send_ack3(&a[2], 0);
	expect_tx(1, 0);
	world_tx_drop();
	assert_int_equal(flow_of(&a[2])->lim_dom, 0);
	assert_int_equal(flow_of(&a[0])->lim_dom, da);
	assert_int_equal(counted(&a[0], da, NULL), 2);
	assert_int_equal(counted(&a[0], 0, NULL), 1);
	check_counts();

	/* A removed: port 80 is not protected any more; its flows stay */
	world.cfg.synproxy.services[0] = world.cfg.synproxy.services[1];
	world.cfg.synproxy.nb_services = 1;
	publish();
	conn_to(&u, 63, PORT_A);
	expect_bridged(ROLE_WAN, seg_mbuf(&u, true, RTE_TCP_SYN_FLAG, u.client_isn, 0, 1000, NULL, 0));
	assert_int_equal(st()->syn_unprotected, 1);
	/* a[1]'s server answers now: leaves half-open in A's domain */
	struct view x, y;
	do_server_synack(&a[1], &x, &y);
	view_free(&x);
	view_free(&y);
	uint32_t h;
	assert_int_equal(counted(&a[0], da, &h), 2);
	assert_int_equal(h, 0);
	check_counts();
	/* a[0] closes and goes */
	client_rst(&a[0]);
	world.now_ms += world.cfg.synproxy.timeout_close * 1000 + 1;
	sweep();
	world_tx_drop();
	assert_null(flow_of(&a[0]));
	assert_int_equal(counted(&a[1], da, NULL), 1);
	check_counts();
	/* A comes back with its limits, after B this time: the same domain,
	 * its one live flow counts */
	add_service(&world.cfg.synproxy, PORT_A, 2, 0);
	publish();
	assert_int_equal(dom_of_port(PORT_A), da);
	conn_to(&n[0], 64, PORT_A);
	conn_to(&n[1], 65, PORT_A);
	assert_true(try_open(&n[0]));
	assert_false(try_open(&n[1]));
	check_counts();
	expire_all();
	check_zero();
	stop();
}

/* Random churn over two prefixes, A (small caps) and B (global caps) and
 * reloads that change A's caps, drop them, or remove A: the counts match the
 * table after every step, and nothing is left at the end. */
static void
test_churn_reloads(void **state)
{
	enum { N = 40 };
	struct conn c[N];
	uint32_t rnd = 777;

	(void)state;
	g_flows = 4;
	g_half_open = 3;
	a_flows = 3;
	a_half_open = 2;
	start();
	for (int i = 0; i < N; i++)
		conn_to(&c[i], (uint32_t)((i % 2) << 8 | (i + 1)), i % 3 == 0 ? PORT_B : PORT_A);
	for (int step = 0; step < 2000; step++) {
		rnd = rnd * 1103515245u + 12345u;
		uint32_t r = rnd >> 8;
		if (step % 150 == 149) {
			struct cfg_synproxy *cs = &world.cfg.synproxy;
			cs->nb_services = 0;
			switch ((r >> 4) % 4) {
			case 0: add_service(cs, PORT_A, 1 + r % 4, 1 + (r >> 2) % 3); break;
			case 1: add_service(cs, PORT_A, 0, 0); break;
			case 2: add_service(cs, PORT_A, 2, 0); break;
			default: break;   /* A removed */
			}
			add_service(cs, PORT_B, 0, 0);
			publish();
		}
		struct conn *x = &c[r % N];
		struct flow_entry *fe = flow_of(x);
		switch (fe == NULL ? FLOW_S_FREE : fe->state) {
		case FLOW_S_FREE:
			if (x->sport == PORT_A && world.cfg.synproxy.nb_services == 1)
				break;   /* unprotected now */
			try_open(x);
			break;
		case FLOW_S_SYN_SENT:
			if ((r >> 8) % 3 == 0) {
				struct view a, b;
				do_server_synack(x, &a, &b);
				view_free(&a);
				view_free(&b);
			} else if ((r >> 8) % 3 == 1) {
				seg_in(x, true, RTE_TCP_RST_FLAG, x->client_isn + 1, 0, 0, NULL, 0);
			}
			break;
		case FLOW_S_ESTABLISHED:
			if ((r >> 8) % 2)
				seg_in(x, true, RTE_TCP_RST_FLAG, fe->wan_end, 0, 0, NULL, 0);
			break;
		case FLOW_S_WAN_SYN:
			break;
		default:
			if ((r >> 8) % 2 && !(x->sport == PORT_A && world.cfg.synproxy.nb_services == 1))
				try_open(x);
			break;
		}
		world_tx_drop();
		if (step % 89 == 0) {
			world.now_ms += 1000 + (r >> 16) % 8000;
			sweep();
			world_tx_drop();
		}
		check_counts();
	}
	assert_true(st()->service_flow_cap + st()->service_half_open_cap > 0);
	assert_true(st()->prefix_flow_cap + st()->prefix_half_open_cap > 0);
	world.now_ms += world.cfg.synproxy.timeout_established * 1000 + 1;
	sweep();
	world_tx_drop();
	assert_int_equal(nflows(), 0);
	check_zero();
	stop();
}

/* The flows of the table as a state file holds them (synproxy_handover.c:
 * the entry without last_seen and pending; the domain is not written). */
static uint32_t
snapshot(struct handover_flow *out, uint32_t max)
{
	struct flow_table *t = world.sp->flows;
	uint32_t n = 0;

	for (uint32_t pos = 0; pos < t->capacity && n < max; pos++) {
		struct flow_key k;
		if (flow_table_get_key(t, pos, &k) != 0)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].key = k;
		out[n].e = *flow_table_entry_at(t, pos);
		out[n].e.lim_dom = 0;
		n++;
	}
	return n;
}

/* A handover: the new process counts each restored flow in the domain its
 * service has under the new process's policy, and releases it there. */
static void
test_restore_counts_in_service_domain(void **state)
{
	struct conn a[3], b;
	struct handover_flow hf[8];

	(void)state;
	g_flows = g_half_open = 0;
	a_flows = 2;
	a_half_open = 0;
	start();
	conn_to(&a[0], 80, PORT_A);
	conn_to(&a[1], 81, PORT_A);
	conn_to(&a[2], 82, PORT_A);
	conn_to(&b, 83, PORT_B);
	establish(&a[0]);
	establish(&a[1]);
	establish(&b);
	exchange(&a[1], 0, 0, 5);
	uint32_t n = snapshot(hf, RTE_DIM(hf));
	assert_int_equal(n, 3);

	/* the same config: A's flows fill its cap again */
	for (int round = 0; round < 2; round++) {
		world_teardown(NULL);
		start();
		uint16_t da = dom_of_port(PORT_A);
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(synproxy_restore_flow(world.sp, &hf[i], 0, world.now_ms), 0);
		assert_int_equal(st()->restored_flows, 3);
		if (round == 0) {
			assert_int_equal(flow_of(&a[0])->lim_dom, da);
			assert_int_equal(flow_of(&b)->lim_dom, 0);
			assert_int_equal(counted(&a[0], da, NULL), 2);
			assert_false(try_open(&a[2]));
			assert_int_equal(st()->service_flow_cap, 1);
		} else {
			/* restarted with A without limits: all in the global count */
			assert_int_equal(da, 0);
			assert_int_equal(flow_of(&a[0])->lim_dom, 0);
			assert_int_equal(counted(&a[0], 0, NULL), 3);
			assert_true(try_open(&a[2]));
		}
		exchange(&a[1], 100, 20, 9);   /* translated as before */
		check_counts();
		expire_all();
		check_zero();
		a_flows = 0;   /* the second process: A without limits, a global cap */
		g_flows = 100;
	}
	stop();
}

/* Without a service with limits the data path stays global: no lookup, no
 * domain, the global counters only. */
static void
test_no_service_limits(void **state)
{
	struct conn a, b;

	(void)state;
	g_flows = 1;
	g_half_open = 0;
	a_flows = a_half_open = 0;
	start();
	assert_false(world.sp->svc_limits);
	conn_to(&a, 70, PORT_A);
	conn_to(&b, 71, PORT_B);
	assert_true(try_open(&a));
	assert_false(try_open(&b));   /* one flow per prefix over A and B together */
	assert_int_equal(st()->prefix_flow_cap, 1);
	assert_int_equal(st()->service_flow_cap, 0);
	assert_int_equal(flow_of(&a)->lim_dom, 0);
	check_counts();
	stop();
}

/* ================================================================ main */

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cap_per_prefix_and_service),
		T(test_half_open_and_global),
		T(test_reload_changes_limit),
		T(test_reload_removes_service),
		T(test_churn_reloads),
		T(test_restore_counts_in_service_domain),
		T(test_no_service_limits),
	};

	/* check_counts() wants exact counts: a fixed seed keeps the few
	 * (prefix, domain) keys in distinct slots (flow/prefix_limits.c). */
	keyed_hash_set_seed(0x11a175);
	return cmocka_run_group_tests_name("synproxy_svc_limits", tests, world_eal_setup,
					   world_eal_teardown);
}
