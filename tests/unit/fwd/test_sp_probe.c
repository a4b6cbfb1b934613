/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_probe.c - the probe (fwd/synproxy_probe.c): a client SYN to a
 * server:port the proxy does not know (or whose entry is due) is kept while
 * the proxy's own SYN asks the server; the server's SYN-ACK teaches its
 * options, the probe is reset and the client answered with them, and the
 * handshake then completes through the cookie / cache path as any other.
 * Also: a forged or wrong SYN-ACK, a refusing server, a silent one, a
 * client's retransmission, one probe per server:port, the per-worker cap,
 * no probe under attack, and the pool counted back at the end of every test
 * (world_end: a kept SYN never leaks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "parse.h"
#include "../common/pktbuild.h"
#include "sp_harness.h"

static void
probes_on(struct cfg_synproxy *c)
{
	c->probe = true;
}

static void
probes_on_low_rate(struct cfg_synproxy *c)
{
	c->probe = true;
	c->auto_syn_rate = 1;   /* the first SYN of a window is already an attack */
}

/* Client SYN in, the probe SYN to the server out (kept in p), nothing to the
 * client. */
static void
expect_probe(const struct conn *c, struct view *p)
{
	send_syn(c);
	expect_tx(1, 0);
	view_take(ROLE_LAN, p);
	assert_dir(p, c, true);
	assert_clean_l3(p);
	assert_int_equal(p->flags, RTE_TCP_SYN_FLAG | ECE_CWR);
	assert_int_not_equal(p->seq, c->client_isn);
	assert_int_equal(p->ack, 0);
	/* it asks for everything */
	assert_int_equal(p->o.mss, default_mss(c->family));
	assert_int_equal(p->o.wscale, world.cfg.synproxy.default_wscale);
	assert_true(p->o.sack_perm);
	assert_true(p->o.ts_present);
	assert_int_equal(p->o.tsecr, 0);
}

/* The server's answer to probe p, as c's server would give it. */
static struct rte_mbuf *
probe_synack(const struct conn *c, const struct view *p, uint32_t ack)
{
	struct optspec o = {
		.mss = c->srv_mss, .ws_on = c->srv_ws != WS_NONE, .ws = c->srv_ws,
		.sack_perm = c->srv_sack, .ts = c->srv_ts, .tsval = c->srv_tsval, .tsecr = p->o.tsval,
	};
	return seg_mbuf(c, false, SYN_ACK | (c->srv_ecn ? RTE_TCP_ECE_FLAG : 0), c->server_isn, ack,
			c->srv_win, &o, 0);
}

/* The RST that resets probe p (to the server, seq = probe ISN + 1). */
static void
expect_probe_rst(const struct conn *c, const struct view *p)
{
	struct view r;
	view_take(ROLE_LAN, &r);
	assert_dir(&r, c, true);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(r.seq, p->seq + 1);
	view_free(&r);
}

/* The proxy's SYN-ACK to c after the probe was answered: c learns it as
 * do_syn would. */
static void
take_synack(struct conn *c, struct view *sa)
{
	view_take(ROLE_WAN, sa);
	check_synack_common(c, sa);
	assert_int_equal(sa->flags & ~RTE_TCP_ECE_FLAG, SYN_ACK);
	assert_int_equal(sa->ack, c->client_isn + 1);
	c->proxy_ecn = (sa->flags & RTE_TCP_ECE_FLAG) != 0;
	c->proxy_isn = sa->seq;
	c->proxy_ts = sa->o.ts_present;
	c->proxy_tsval = sa->o.tsval;
	c->proxy_ws = sa->o.wscale;
	c->proxy_sack = sa->o.sack_perm;
	c->proxy_mss = sa->o.mss;
}

/* Probe c's server and have it answer: the RST to it, the SYN-ACK to c. */
static void
probe_answered(struct conn *c, struct view *sa)
{
	struct view p;
	expect_probe(c, &p);
	rx1(ROLE_LAN, probe_synack(c, &p, p.seq + 1));
	expect_tx(1, 1);
	expect_probe_rst(c, &p);
	take_synack(c, sa);
	view_free(&p);
}

/* Server data to an established c: the client sees it in its own sequence
 * space, with a timestamp when ts (it was promised one, and the server has
 * them). */
static void
server_data_seen(const struct conn *c, bool ts)
{
	struct view d;
	struct optspec so = ts_opt(c->srv_tsval + 3, c->cli_tsval + 1);

	seg_in(c, false, ACK | RTE_TCP_PSH_FLAG, c->server_isn + 1, c->client_isn + 1, 100,
	       c->srv_ts ? &so : NULL, 100);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &d);
	assert_dir(&d, c, false);
	assert_int_equal(d.seq, c->proxy_isn + 1);
	assert_int_equal(d.o.ts_present, ts);
	assert_payload(&d, 100);
	view_free(&d);
}

/* ================================================================ learned first */

/* A server without timestamps: the client is never promised them, and the
 * connection completes through the cache (auto) or the cookie alone. */
static void
no_ts_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa, a, u;

	world_start(mode, probes_on);
	conn_init(&c, family, 1);
	c.srv_ts = false;
	c.srv_ws = 5;
	c.srv_mss = 1400;
	probe_answered(&c, &sa);
	assert_false(sa.o.ts_present);
	assert_int_equal(sa.o.mss, 1400);
	if (mode == CFG_MODE_COOKIE) {
		/* no TS: the cookie has no room for window scale or SACK */
		assert_int_equal(sa.o.wscale, WS_NONE);
		assert_false(sa.o.sack_perm);
	} else {
		assert_int_equal(sa.o.wscale, 5);   /* the server's own scale: no translation */
		assert_true(sa.o.sack_perm);
	}
	view_free(&sa);
	assert_int_equal(st()->probe_sent, 1);
	assert_int_equal(st()->probe_answered, 1);
	assert_int_equal(st()->syn_received, 1);
	assert_int_equal(st()->synack_sent_cookie + st()->synack_sent_cache, 1);
	assert_int_equal(nflows(), 0);

	/* the handshake goes on as any other: the server sees no TS asked */
	ack3_ok(&c);
	assert_false(c.syn_o.ts_present);
	do_server_synack(&c, &a, &u);
	assert_false(u.o.ts_present);
	view_free(&a);
	view_free(&u);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	assert_int_equal(st()->proxied_established, 1);
	server_data_seen(&c, c.proxy_ts);
	if (c.proxy_sack)
		exchange(&c, 0, 0, 5);

	/* the next client of that server is answered at once, the same way */
	struct conn c2;
	conn_init(&c2, family, 2);
	c2.srv_ts = false;
	do_syn(&c2, &sa);
	assert_false(sa.o.ts_present);
	view_free(&sa);
	assert_int_equal(st()->probe_sent, 1);
	world_end();
}

static void test_no_ts_cache_v4(void **s) { (void)s; no_ts_case(4, CFG_MODE_AUTO); }
static void test_no_ts_cache_v6(void **s) { (void)s; no_ts_case(6, CFG_MODE_AUTO); }
static void test_no_ts_cookie_v4(void **s) { (void)s; no_ts_case(4, CFG_MODE_COOKIE); }

/* No SACK, no window scaling: neither is promised. */
static void
test_no_sack_no_ws(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	c.srv_sack = false;
	c.srv_ws = WS_NONE;
	probe_answered(&c, &sa);
	assert_true(sa.o.ts_present);
	assert_false(sa.o.sack_perm);
	assert_int_equal(sa.o.wscale, WS_NONE);
	view_free(&sa);
	struct view a, u;
	ack3_ok(&c);
	do_server_synack(&c, &a, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	server_data_seen(&c, c.proxy_ts);
	world_end();
}

/* ================================================================ what goes wrong */

/* A SYN-ACK with the wrong ack or a bad checksum on the probe's tuple is
 * dropped, never reaches the client; the probe stays for the right one. */
static void
test_bad_synack(void **state)
{
	struct conn c;
	struct view p, sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	expect_probe(&c, &p);
	rx1(ROLE_LAN, probe_synack(&c, &p, p.seq + 2));
	rx1(ROLE_LAN, probe_synack(&c, &p, c.client_isn + 1));
	struct rte_mbuf *m = probe_synack(&c, &p, p.seq + 1);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	f[14 + 20 + 16] ^= 0x40;   /* the TCP checksum */
	rx1(ROLE_LAN, m);
	/* a bare ACK on the tuple is not the probe's business: bridged */
	rx1(ROLE_LAN, seg_mbuf(&c, false, ACK, c.server_isn, p.seq + 1, 100, NULL, 0));
	expect_tx(0, 1);
	rte_pktmbuf_free(tx_pop(ROLE_WAN));
	assert_int_equal(st()->probe_bad, 3);
	assert_int_equal(st()->probe_answered, 0);
	rx1(ROLE_LAN, probe_synack(&c, &p, p.seq + 1));
	expect_tx(1, 1);
	expect_probe_rst(&c, &p);
	take_synack(&c, &sa);
	view_free(&sa);
	view_free(&p);
	assert_int_equal(st()->probe_answered, 1);
	world_end();
}

/* A closed port: the server's RST to the probe becomes the client's RST. */
static void
test_refused(void **state)
{
	struct conn c;
	struct view p, r;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	expect_probe(&c, &p);
	/* a RST with the wrong ack is forged: dropped */
	rx1(ROLE_LAN, seg_mbuf(&c, false, RTE_TCP_RST_FLAG | ACK, 0, p.seq, 0, NULL, 0));
	expect_tx(0, 0);
	assert_int_equal(st()->probe_bad, 1);
	rx1(ROLE_LAN, seg_mbuf(&c, false, RTE_TCP_RST_FLAG | ACK, 0, p.seq + 1, 0, NULL, 0));
	expect_tx(0, 1);
	view_take(ROLE_WAN, &r);
	assert_dir(&r, &c, false);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG | ACK);
	assert_int_equal(r.seq, 0);
	assert_int_equal(r.ack, c.client_isn + 1);
	view_free(&r);
	view_free(&p);
	assert_int_equal(st()->probe_refused, 1);
	assert_int_equal(st()->synack_sent_cookie + st()->synack_sent_cache, 0);
	assert_int_equal(nflows(), 0);
	/* marked silent: the next client is answered at once (its own
	 * handshake meets the closed port), no probe per client */
	struct conn c2;
	conn_init(&c2, 4, 2);
	syn_ok(&c2);
	assert_int_equal(st()->probe_sent, 1);
	world_end();
}

/* No answer: the client gets the defaults after timeouts.probe_ms, and the
 * server:port is not probed again before timeouts.reprobe. */
static void
test_timeout(void **state)
{
	struct conn c, c2;
	struct view p, sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	c.srv_ts = false;
	expect_probe(&c, &p);
	uint32_t step = world.cfg.synproxy.timeout_probe_ms / SYNPROXY_PROBE_TRIES;
	for (int t = 1; t < SYNPROXY_PROBE_TRIES; t++) {
		world.now_ms += step;
		world_housekeeping();
		expect_tx(0, 0);   /* not yet: at the deadline */
		world.now_ms += 1;
		world_housekeeping();
		/* sent again: the same probe (ISN, options), the client still waits */
		expect_tx(1, 0);
		struct view r;
		view_take(ROLE_LAN, &r);
		assert_dir(&r, &c, true);
		assert_int_equal(r.flags, RTE_TCP_SYN_FLAG | ECE_CWR);
		assert_int_equal(r.seq, p.seq);
		assert_true(r.o.sack_perm && r.o.ts_present);
		view_free(&r);
		assert_int_equal(st()->probe_retx, (uint64_t)t);
	}
	world.now_ms += step;
	world_housekeeping();
	expect_tx(0, 0);
	world.now_ms += 1;
	world_housekeeping();
	expect_tx(1, 1);
	expect_probe_rst(&c, &p);   /* in case only its SYN-ACK was lost */
	take_synack(&c, &sa);
	assert_true(sa.o.ts_present);   /* the defaults */
	assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
	view_free(&sa);
	assert_int_equal(st()->probe_timeout, 1);
	/* a late SYN-ACK to the probe is no probe's any more: bridged as before */
	rx1(ROLE_LAN, probe_synack(&c, &p, p.seq + 1));
	expect_tx(0, 1);
	rte_pktmbuf_free(tx_pop(ROLE_WAN));
	view_free(&p);
	/* silent: the next client is answered at once with the defaults */
	conn_init(&c2, 4, 2);
	world.now_ms += 1000;
	do_syn(&c2, &sa);
	assert_true(sa.o.ts_present);
	view_free(&sa);
	assert_int_equal(st()->probe_sent, 1);
	/* the first client's handshake completes; its server SYN-ACK is a
	 * real handshake's: it teaches the server (no TS) */
	ack3_ok(&c);
	struct view a, u;
	do_server_synack(&c, &a, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	/* promised TS by the defaults, the server has none: the residual of
	 * an unanswered probe (README), segments without TS */
	server_data_seen(&c, false);
	conn_init(&c2, 4, 3);
	c2.srv_ts = false;
	do_syn(&c2, &sa);
	assert_false(sa.o.ts_present);
	view_free(&sa);
	assert_int_equal(st()->probe_sent, 1);
	world_end();
}

/* A second SYN on the tuple of a probe in flight (retransmission, spoof):
 * dropped, the kept one answered. */
static void
test_dup_syn(void **state)
{
	struct conn c;
	struct view p, sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	expect_probe(&c, &p);
	send_syn(&c);
	struct conn spoof = c;
	spoof.client_isn += 12345;
	send_syn(&spoof);
	expect_tx(0, 0);
	assert_int_equal(st()->probe_dup_syn, 2);
	assert_int_equal(st()->probe_sent, 1);
	rx1(ROLE_LAN, probe_synack(&c, &p, p.seq + 1));
	expect_tx(1, 1);
	expect_probe_rst(&c, &p);
	take_synack(&c, &sa);   /* the first SYN's ISN */
	view_free(&sa);
	view_free(&p);
	world_end();
}

/* One probe in flight per server:port: other clients of that server are
 * answered at once with what is known; another port gets its own probe. */
static void
test_one_per_server(void **state)
{
	struct conn c1, c2, c3;
	struct view p1, p3, sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c1, 4, 1);
	conn_init(&c2, 4, 2);
	conn_init(&c3, 4, 3);
	c3.sport = 8080;
	expect_probe(&c1, &p1);
	do_syn(&c2, &sa);   /* answered at once: the defaults */
	assert_true(sa.o.ts_present);
	view_free(&sa);
	expect_probe(&c3, &p3);
	assert_int_equal(st()->probe_sent, 2);
	assert_int_equal(occ().flows, 0);
	view_free(&p1);
	view_free(&p3);
	/* shutdown with two SYNs kept: world_end counts the pool back */
	world_end();
}

/* A probe whose SYN (or the server's answer) was lost is sent again, and the
 * answer to the second try still teaches the server: the client is promised
 * what the server has, not the defaults. */
static void
test_retx_answered(void **state)
{
	struct conn c;
	struct view p, r, sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	c.srv_ts = false;
	expect_probe(&c, &p);
	world.now_ms += world.cfg.synproxy.timeout_probe_ms / SYNPROXY_PROBE_TRIES + 1;
	world_housekeeping();
	expect_tx(1, 0);
	view_take(ROLE_LAN, &r);
	assert_int_equal(r.seq, p.seq);
	view_free(&r);
	rx1(ROLE_LAN, probe_synack(&c, &p, p.seq + 1));
	expect_tx(1, 1);
	expect_probe_rst(&c, &p);
	take_synack(&c, &sa);
	assert_false(sa.o.ts_present);   /* learned, not the defaults */
	view_free(&sa);
	view_free(&p);
	assert_int_equal(st()->probe_retx, 1);
	assert_int_equal(st()->probe_answered, 1);
	assert_int_equal(st()->probe_timeout, 0);
	/* nothing left to expire */
	world.now_ms += world.cfg.synproxy.timeout_probe_ms * 2;
	world_housekeeping();
	expect_tx(0, 0);
	world_end();
}

/* At most SYNPROXY_PROBE_MAX in flight per worker; beyond, answered at once. */
static void
test_cap(void **state)
{
	struct conn c;
	struct view p, sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	for (uint32_t i = 0; i < SYNPROXY_PROBE_MAX; i++) {
		conn_init(&c, 4, i + 1);
		c.sport = (uint16_t)(1000 + i);
		expect_probe(&c, &p);
		view_free(&p);
	}
	conn_init(&c, 4, 999);
	c.sport = 999;
	do_syn(&c, &sa);
	view_free(&sa);
	assert_int_equal(st()->probe_sent, SYNPROXY_PROBE_MAX);
	/* all are sent again, then time out, answered within the housekeeping's room */
	for (int t = 1; t < SYNPROXY_PROBE_TRIES; t++) {
		world.now_ms += world.cfg.synproxy.timeout_probe_ms / SYNPROXY_PROBE_TRIES + 1;
		world_housekeeping();
		expect_tx(SYNPROXY_PROBE_MAX, 0);
		world_tx_drop();
	}
	world.now_ms += world.cfg.synproxy.timeout_probe_ms / SYNPROXY_PROBE_TRIES + 1;
	world_housekeeping();
	expect_tx(SYNPROXY_PROBE_MAX, SYNPROXY_PROBE_MAX);
	world_tx_drop();
	assert_int_equal(st()->probe_retx, (uint64_t)(SYNPROXY_PROBE_TRIES - 1) * SYNPROXY_PROBE_MAX);
	assert_int_equal(st()->probe_timeout, SYNPROXY_PROBE_MAX);
	world_end();
}

/* Under attack (the SYN policy's verdict, in every mode), no probe: an
 * answer at once, zero state. */
static void
attack_case(enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa;

	world_start(mode, probes_on_low_rate);
	for (uint32_t i = 0; i < 8; i++) {
		conn_init(&c, 4, i + 1);
		c.sport = (uint16_t)(2000 + i);
		do_syn(&c, &sa);
		view_free(&sa);
	}
	assert_int_equal(st()->probe_sent, 0);
	assert_true(occ().under_attack);
	world_end();
}

static void test_attack_auto(void **s) { (void)s; attack_case(CFG_MODE_AUTO); }
static void test_attack_cookie(void **s) { (void)s; attack_case(CFG_MODE_COOKIE); }

/* The re-probe is honest: an entry due is probed whatever it says, and a
 * server that turned timestamps back on is promised them again. */
static void
test_reprobe(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_AUTO, probes_on);
	conn_init(&c, 4, 1);
	probe_answered(&c, &sa);   /* everything yes */
	assert_true(sa.o.ts_present);
	view_free(&sa);
	/* fresh: no probe */
	conn_init(&c, 4, 2);
	world.now_ms += 1000;
	syn_ok(&c);
	/* due: probed although it said yes to everything; the server changed */
	world.now_ms += world.cfg.synproxy.timeout_reprobe * 1000;
	conn_init(&c, 4, 3);
	c.srv_ts = false;
	probe_answered(&c, &sa);
	assert_false(sa.o.ts_present);
	view_free(&sa);
	/* and back */
	world.now_ms += world.cfg.synproxy.timeout_reprobe * 1000 + 1;
	conn_init(&c, 4, 4);
	probe_answered(&c, &sa);
	assert_true(sa.o.ts_present);
	view_free(&sa);
	assert_int_equal(st()->probe_sent, 3);
	world_end();
}

/* Probes off (synproxy.probe false): answered at once, as before. */
static void
test_probe_off(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_AUTO, NULL);
	conn_init(&c, 4, 1);
	syn_ok(&c);
	assert_int_equal(st()->probe_sent, 0);
	world_end();
}

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_ts_cache_v4),
		T(test_no_ts_cache_v6),
		T(test_no_ts_cookie_v4),
		T(test_no_sack_no_ws),
		T(test_bad_synack),
		T(test_refused),
		T(test_timeout),
		T(test_retx_answered),
		T(test_dup_syn),
		T(test_one_per_server),
		T(test_cap),
		T(test_attack_auto),
		T(test_attack_cookie),
		T(test_reprobe),
		T(test_probe_off),
	};

	return cmocka_run_group_tests_name("synproxy_probe", tests, world_eal_setup, world_eal_teardown);
}
