/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_policy.c - the policy in the data path (synproxy.c classify and
 * wan_new, wan_passthrough_new and the WAN_SYN state in synproxy_flow.c):
 * denied sources dropped, allowed sources and unprotected destinations
 * bridged and tracked both ways, a service's own options and rate limit, and a
 * runtime swap (what a reload does) that keeps open flows.
 *
 * The harness's client is 198.18.0.x (IPv4) / 2001:db8:a::x, its server
 * 10.0.0.10 / 2001:db8:b::10, port 80. The runtime slot here stands for
 * app.runtime; the tests run on one thread, so swapping it needs no grace period.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fwd/sp_runtime.h"
#include "policy/policy.h"
#include "sp_harness.h"

static struct sp_runtime *slot;
static uint64_t gen;

static struct cfg_prefix
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct cfg_prefix p = { .addr = { a, b, c, d }, .family = CFG_AF_INET, .len = len };
	return p;
}

/* The server 10.0.0.10/32 on ports lo..hi. */
static struct cfg_service *
add_service(struct cfg_synproxy *c, uint16_t lo, uint16_t hi)
{
	struct cfg_service *s = &c->services[c->nb_services++];
	memset(s, 0, sizeof(*s));
	s->prefix = v4(10, 0, 0, 10, 32);
	s->nb_ports = 1;
	s->ports[0].lo = lo;
	s->ports[0].hi = hi;
	return s;
}

/* Publish world.cfg as the next runtime generation (a reload, minus RCU). */
static void
publish(void)
{
	char err[256];
	struct sp_runtime *old = slot;

	slot = sp_runtime_create(&world.cfg, ++gen, SOCKET_ID_ANY, err, sizeof(err));
	if (slot == NULL)
		fail_msg("sp_runtime_create: %s", err);
	synproxy_lcore_set_runtime(world.sp, &slot);
	sp_runtime_free(old);
}

static void
start(void)
{
	world_start(CFG_MODE_COOKIE, NULL);
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

/* Denied: every frame from the WAN dropped first, even a handshake ACK;
 * the same host's frames from the LAN side are not the deny list's business. */
static void
test_deny(void **state)
{
	struct conn c;

	(void)state;
	start();
	world.cfg.synproxy.deny[world.cfg.synproxy.nb_deny++] = v4(198, 18, 0, 0, 16);
	publish();
	conn_init(&c, 4, 3);
	send_syn(&c);
	seg_in(&c, true, ACK, c.client_isn + 1, 12345, 1000, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->deny_drop, 2);
	assert_int_equal(st()->syn_received, 0);
	assert_int_equal(st()->ack_bad_cookie, 0);
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, ACK, 1, 1, 1000, NULL, 0));
	assert_int_equal(nflows(), 0);
	/* an allow nested in the deny carves an exception */
	world.cfg.synproxy.allow[world.cfg.synproxy.nb_allow++] = v4(198, 18, 0, 0, 24);
	publish();
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 1000, NULL, 0));
	assert_int_equal(st()->allow_pass, 1);
	assert_int_equal(st()->deny_drop, 2);
	stop();
}

/* Allowed source / unprotected port: the SYN and the whole connection are
 * bridged untouched both ways, and tracked (WAN_SYN, then ESTABLISHED). */
static void
passthrough_case(bool allow)
{
	struct conn c;
	struct optspec so = { .mss = 1460, .ws_on = true, .ws = 7, .sack_perm = true,
			      .ts = true, .tsval = 1000 };
	struct optspec ro = { .mss = 1400, .ws_on = true, .ws = 8, .sack_perm = true,
			      .ts = true, .tsval = 2000, .tsecr = 1000 };
	struct optspec t1 = ts_opt(1001, 2000), t2 = ts_opt(2001, 1001);

	start();
	if (allow)
		world.cfg.synproxy.allow[world.cfg.synproxy.nb_allow++] = v4(198, 18, 0, 0, 24);
	else
		add_service(&world.cfg.synproxy, 443, 443);
	publish();
	conn_init(&c, 4, 5);
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, 5000, 0, 64240, &so, 0));
	assert_int_equal(allow ? st()->allow_pass : st()->syn_unprotected, 1);
	assert_int_equal(st()->syn_received, 0);
	assert_int_equal(nstate(FLOW_S_WAN_SYN), 1);
	/* retransmitted SYN: same flow */
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, 5000, 0, 64240, &so, 0));
	assert_int_equal(nflows(), 1);
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, SYN_ACK, 7000, 5001, 65160, &ro, 0));
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, ACK, 5001, 7001, 502, &t1, 0));
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, ACK | RTE_TCP_PSH_FLAG, 7001, 5001, 509, &t2, 300));
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, ACK, 5001, 7301, 502, &t1, 10));
	/* a blind RST far outside the server's window is still dropped */
	seg_in(&c, true, RTE_TCP_RST_FLAG, 5001 + 0x40000000u, 0, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 1);
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, RTE_TCP_RST_FLAG | ACK, 5011, 7301, 0, NULL, 0));
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	assert_int_equal(st()->ack_bad_cookie + st()->wan_no_flow + st()->ack_cookie_ok, 0);
	assert_int_equal(st()->passthrough, 6);
	assert_int_equal(st()->translated_wan + st()->translated_lan, 0);
	stop();
}

static void
test_allow(void **state)
{
	(void)state;
	passthrough_case(true);
}

static void
test_unprotected(void **state)
{
	(void)state;
	passthrough_case(false);
}

/* A protected service answers with its own defaults; another with the globals. */
static void
test_service_overrides(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	start();
	struct cfg_service *s = add_service(&world.cfg.synproxy, 80, 80);
	s->set = CFG_SVC_MSS | CFG_SVC_WSCALE | CFG_SVC_SACK;
	s->mss = 1300;
	s->wscale = 3;
	s->sack = false;
	add_service(&world.cfg.synproxy, 8080, 8090);
	publish();

	conn_init(&c, 4, 9);
	do_syn(&c, &sa);
	assert_int_equal(sa.o.mss, 1300);
	assert_int_equal(sa.o.wscale, 3);
	assert_false(sa.o.sack_perm);
	view_free(&sa);

	conn_init(&c, 4, 10);
	c.sport = 8085;
	do_syn(&c, &sa);
	assert_int_equal(sa.o.mss, world.cfg.synproxy.default_mss);
	assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
	assert_true(sa.o.sack_perm);
	view_free(&sa);
	/* and the handshake completes under the service */
	conn_init(&c, 4, 11);
	establish(&c);
	assert_int_equal(st()->proxied_established, 1);
	assert_int_equal(st()->syn_received, 3);
	stop();
}

/* A service's own rate limit: burst 2, no refill, in buckets of its own: the
 * prefix it limits is not limited on the other services. */
static void
test_service_ratelimit(void **state)
{
	struct conn c;

	(void)state;
	start();
	struct cfg_service *s = add_service(&world.cfg.synproxy, 80, 80);
	s->set = CFG_SVC_RL_RATE | CFG_SVC_RL_BURST;
	s->ratelimit_rate = 0;
	s->ratelimit_burst = 2;
	add_service(&world.cfg.synproxy, 81, 81);
	publish();
	for (uint32_t i = 0; i < 3; i++) {
		conn_init(&c, 4, 20 + i);
		send_syn(&c);
	}
	expect_tx(0, 2);
	world_tx_drop();
	assert_int_equal(st()->syn_ratelimited, 1);
	conn_init(&c, 4, 30);
	c.sport = 81;             /* the global limits (burst 2000) */
	syn_ok(&c);
	assert_int_equal(st()->syn_ratelimited, 1);
	stop();
}

/* A new generation applies at the next burst; an open proxied flow is
 * untouched by a policy that no longer protects it, new SYNs follow it. */
static void
test_swap_keeps_flows(void **state)
{
	struct conn c, d;

	(void)state;
	start();
	conn_init(&c, 4, 40);
	establish(&c);
	exchange(&c, 0, 0, 1);
	for (int round = 0; round < 4; round++) {
		world.cfg.synproxy.nb_services = 0;
		if (round % 2 == 0)
			add_service(&world.cfg.synproxy, 443, 443);   /* port 80 unprotected */
		world.cfg.synproxy.default_mss = (uint16_t)(1400 + round);
		publish();
		exchange(&c, 100 * (round + 1), 20 * (round + 1), 1 + round);
		conn_init(&d, 4, 50 + round);
		if (round % 2 == 0) {
			expect_bridged(ROLE_WAN, seg_mbuf(&d, true, RTE_TCP_SYN_FLAG, 1, 0, 1000, NULL, 0));
		} else {
			syn_ok(&d);   /* answered by the proxy (options: learned from c's server) */
		}
	}
	assert_int_equal(st()->syn_unprotected, 2);
	assert_int_equal(st()->translated_wan, 5);
	stop();
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_deny),
		T(test_allow),
		T(test_unprotected),
		T(test_service_overrides),
		T(test_service_ratelimit),
		T(test_swap_keeps_flows),
	};
	return cmocka_run_group_tests_name("synproxy_policy", tests, world_eal_setup, world_eal_teardown);
}
