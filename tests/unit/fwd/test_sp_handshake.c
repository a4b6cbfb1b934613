/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_handshake.c - the handshake stage (fwd/synproxy_handshake.c): client SYN -> SYN-ACK, client ACK ->
 * SYN to the server, server SYN-ACK -> ACK and window update; option learning;
 * forged and broken SYNs and ACKs; the cookie's age on the second clock.
 *
 * Frames go through synproxy_process_burst as the worker calls it (see
 * tests/unit/common/world.h); the helpers are in sp_harness.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "parse.h"
#include "syncookie/cookie.h"
#include "../common/pktbuild.h"
#include "sp_harness.h"

/* ================================================================ SYN -> SYN-ACK */

static void
syn_full_opts_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa;

	world_start(mode, NULL);
	conn_init(&c, family, 1);
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.o.mss, default_mss(family));
	assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
	assert_true(sa.o.sack_perm);
	assert_true(sa.o.ts_present);
	assert_int_equal(sa.o.tsecr, c.cli_tsval);
	/* the TSval is the proxy clock with the option bits in its low 12 bits */
	assert_true((uint32_t)(world.now_ms - sa.o.tsval) < 0x1000);
	struct cookie_opts co;
	memset(&co, 0, sizeof(co));
	cookie_ts_decode(sa.o.tsval, &co);
	assert_int_equal(co.wscale, c.cli_ws);
	assert_int_equal(co.sack, 1);
	view_free(&sa);

	expect_tx(0, 0);
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->syn_received, 1);
	if (mode == CFG_MODE_COOKIE) {
		assert_int_equal(st()->synack_sent_cookie, 1);
		assert_int_equal(st()->synack_sent_cache, 0);
		assert_int_equal(occ().syn_cache, 0);
	} else {
		assert_int_equal(st()->synack_sent_cache, 1);
		assert_int_equal(st()->synack_sent_cookie, 0);
		assert_int_equal(occ().syn_cache, 1);
	}
	world_end();
}

static void test_syn_v4_cookie(void **s) { (void)s; syn_full_opts_case(4, CFG_MODE_COOKIE); }
static void test_syn_v6_cookie(void **s) { (void)s; syn_full_opts_case(6, CFG_MODE_COOKIE); }
static void test_syn_v4_cache(void **s) { (void)s; syn_full_opts_case(4, CFG_MODE_CACHE); }
static void test_syn_v6_cache(void **s) { (void)s; syn_full_opts_case(6, CFG_MODE_CACHE); }
static void test_syn_v4_auto(void **s) { (void)s; syn_full_opts_case(4, CFG_MODE_AUTO); }

/* Without a timestamp a cookie has no room for window scale and SACK. */
static void
syn_no_ts_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa;

	world_start(mode, NULL);
	conn_init(&c, family, 2);
	c.cli_ts = false;
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.o.mss, default_mss(family));
	assert_false(sa.o.ts_present);
	if (mode == CFG_MODE_COOKIE) {
		assert_int_equal(sa.o.wscale, WS_NONE);
		assert_false(sa.o.sack_perm);
	} else {
		assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
		assert_true(sa.o.sack_perm);
	}
	view_free(&sa);
	expect_tx(0, 0);
	world_end();
}

static void test_syn_no_ts_cookie(void **s) { (void)s; syn_no_ts_case(4, CFG_MODE_COOKIE); }
static void test_syn_no_ts_cache(void **s) { (void)s; syn_no_ts_case(4, CFG_MODE_CACHE); }
static void test_syn_no_ts_cookie_v6(void **s) { (void)s; syn_no_ts_case(6, CFG_MODE_COOKIE); }

/* A client that offers no window scale gets none back, even where it could. */
static void
test_syn_no_wscale_no_mss(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 4, 3);
	c.cli_ws = WS_NONE;
	c.cli_mss = 0;
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.o.wscale, WS_NONE);
	assert_true(sa.o.ts_present);
	struct cookie_opts co;
	cookie_ts_decode(sa.o.tsval, &co);
	assert_int_equal(co.wscale, TCP_WSCALE_NONE);
	view_free(&sa);
	/* the SYN to the server: no WS, and MSS 536 for a SYN that had none */
	struct view syn;
	do_ack3(&c, &syn);
	assert_int_equal(syn.o.wscale, WS_NONE);
	assert_int_equal(syn.o.mss, COOKIE_MSS_DEFAULT);
	view_free(&syn);
	world_end();
}

/* ================================================================ full handshake */

static void
handshake_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa, syn, ack, upd;

	world_start(mode, NULL);
	conn_init(&c, family, 4);
	do_syn(&c, &sa);
	view_free(&sa);

	/* client ACK -> SYN to the server with the client's own ISN and options */
	do_ack3(&c, &syn);
	assert_dir(&syn, &c, true);
	assert_clean_l3(&syn);
	/* an unknown server is asked about ECN whatever the client asked (ecn.h) */
	assert_int_equal(syn.flags, RTE_TCP_SYN_FLAG | ECE_CWR);
	assert_int_equal(syn.seq, c.client_isn);
	assert_int_equal(syn.plen, 0);
	assert_true(syn.o.mss_present);
	if (mode == CFG_MODE_COOKIE) {
		/* from the cookie: a table value never above what the client said */
		assert_true(syn.o.mss <= c.cli_mss);
		assert_true(syn.o.mss >= 1220);
		/* the SYN's window is gone: the ACK's, unscaled, capped */
		assert_int_equal(syn.win, 65535);
		assert_int_equal(st()->ack_cookie_ok, 1);
	} else {
		assert_int_equal(syn.o.mss, c.cli_mss);
		assert_int_equal(syn.win, c.cli_win);
		assert_int_equal(st()->ack_cache_ok, 1);
		assert_int_equal(occ().syn_cache, 0);
	}
	assert_int_equal(syn.o.wscale, c.cli_ws);
	assert_true(syn.o.sack_perm);
	assert_true(syn.o.ts_present);
	assert_int_equal(syn.o.tsval, c.cli_tsval + 1);
	assert_int_equal(syn.o.tsecr, 0);
	view_free(&syn);
	expect_tx(0, 0);
	assert_int_equal(nflows(), 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	assert_int_equal(occ().pending_syn, 1);
	assert_int_equal(st()->syn_to_server, 1);

	/* server SYN-ACK -> ACK to the server + window update to the client */
	do_server_synack(&c, &ack, &upd);
	assert_dir(&ack, &c, true);
	assert_clean_l3(&ack);
	assert_int_equal(ack.flags, ACK);
	assert_int_equal(ack.seq, c.client_isn + 1);
	assert_int_equal(ack.ack, c.server_isn + 1);
	assert_int_equal(ack.plen, 0);
	/* client window 1000 << 9; the server was told scale 9 too */
	assert_int_equal(ack.win, c.cli_ackwin);
	assert_true(ack.o.ts_present);
	assert_int_equal(ack.o.tsval, c.cli_tsval + 1);
	assert_int_equal(ack.o.tsecr, c.srv_tsval);

	assert_dir(&upd, &c, false);
	assert_clean_l3(&upd);
	assert_int_equal(upd.flags, ACK);
	assert_int_equal(upd.seq, c.proxy_isn + 1);
	assert_int_equal(upd.ack, c.client_isn + 1);
	assert_int_equal(upd.plen, 0);
	assert_true(upd.win != 0);
	/* the server's unscaled SYN-ACK window in the scale the client was told */
	assert_int_equal(upd.win, c.srv_win >> c.proxy_ws);
	assert_true(upd.o.ts_present);
	assert_int_equal(upd.o.tsval, c.proxy_tsval);
	assert_int_equal(upd.o.tsecr, c.cli_tsval + 1);
	view_free(&ack);
	view_free(&upd);

	expect_tx(0, 0);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	assert_int_equal(occ().pending_syn, 0);
	assert_int_equal(st()->server_synack, 1);
	assert_int_equal(st()->proxied_established, 1);
	world_end();
}

static void test_handshake_v4_cookie(void **s) { (void)s; handshake_case(4, CFG_MODE_COOKIE); }
static void test_handshake_v6_cookie(void **s) { (void)s; handshake_case(6, CFG_MODE_COOKIE); }
static void test_handshake_v4_cache(void **s) { (void)s; handshake_case(4, CFG_MODE_CACHE); }
static void test_handshake_v6_cache(void **s) { (void)s; handshake_case(6, CFG_MODE_CACHE); }
static void test_handshake_v4_auto(void **s) { (void)s; handshake_case(4, CFG_MODE_AUTO); }

/* No timestamps anywhere, cookie mode: plain SYN, no TS translation. */
static void
test_handshake_no_ts_cookie(void **state)
{
	struct conn c;
	struct view syn, ack, upd;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 5);
	c.cli_ts = false;
	c.cli_ackwin = 64240;   /* no scaling was agreed */
	syn_ok(&c);
	do_ack3(&c, &syn);
	assert_int_equal(syn.o.mss, 1220);
	assert_int_equal(syn.o.wscale, WS_NONE);
	assert_false(syn.o.sack_perm);
	assert_false(syn.o.ts_present);
	assert_int_equal(syn.win, 64240);
	view_free(&syn);
	do_server_synack(&c, &ack, &upd);
	assert_false(ack.o.ts_present);
	assert_false(upd.o.ts_present);
	assert_int_equal(ack.win, 64240);
	assert_int_equal(upd.win, c.srv_win);
	view_free(&ack);
	view_free(&upd);

	/* server data: only the sequence number moves */
	seg_in(&c, false, ACK, c.server_isn + 1, c.client_isn + 1, 5000, NULL, 40);
	expect_tx(0, 1);
	struct view d;
	view_take(ROLE_WAN, &d);
	assert_int_equal(d.seq, c.proxy_isn + 1);
	assert_int_equal(d.ack, c.client_isn + 1);
	assert_int_equal(d.win, 5000);
	assert_payload(&d, 40);
	view_free(&d);
	world_end();
}

/* The handshake ACK carries data: the SYN goes out without it. */
static void
test_handshake_ack_with_data(void **state)
{
	struct conn c;
	struct view syn;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 6);
	syn_ok(&c);
	send_ack3(&c, 30);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &syn);
	assert_int_equal(syn.flags & ~ECE_CWR, RTE_TCP_SYN_FLAG);
	assert_int_equal(syn.plen, 0);
	view_free(&syn);
	assert_int_equal(st()->early_data_drop, 1);
	/* more data before the server answered: held back (dropped) */
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, NULL, 30);
	expect_tx(0, 0);
	assert_int_equal(st()->early_data_drop, 2);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	world_end();
}

/* ================================================================ learning */

static void
test_learn_server_options(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 12);
	c.srv_ws = 3;
	c.srv_sack = false;
	c.srv_mss = 1380;
	establish(&c);

	/* another client, same server */
	struct conn c2;
	conn_init(&c2, 4, 13);
	do_syn(&c2, &sa);
	check_synack_common(&c2, &sa);
	assert_int_equal(sa.o.wscale, 3);
	assert_false(sa.o.sack_perm);
	assert_int_equal(sa.o.mss, 1380);
	assert_true(sa.o.ts_present);
	struct cookie_opts co;
	cookie_ts_decode(sa.o.tsval, &co);
	assert_int_equal(co.wscale, c2.cli_ws);
	assert_int_equal(co.sack, 0);
	view_free(&sa);

	/* another server port: still the defaults */
	struct conn c3;
	conn_init(&c3, 4, 14);
	c3.sport = 443;
	do_syn(&c3, &sa);
	assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
	assert_true(sa.o.sack_perm);
	assert_int_equal(sa.o.mss, world.cfg.synproxy.default_mss);
	view_free(&sa);
	world_end();
}

/* A learned "no" is re-asked after a while: the proxy stops offering what
 * the server lacked, so only a re-probe can see the server change its mind.
 * Answers to a SYN that did not ask everything must not renew the entry. */
static void
test_learn_reprobe(void **state)
{
	struct conn c, d;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 15);
	c.srv_sack = false;
	establish(&c);                      /* learns: no SACK */

	for (uint32_t i = 0; i < 3; i++) {
		/* handshakes within the re-probe time that could not ask */
		world.now_ms += 4000;
		conn_init(&d, 4, 16 + i);
		d.srv_sack = false;
		do_syn(&d, &sa);
		bool offered = sa.o.sack_perm;
		view_free(&sa);
		if (offered)
			break;
		assert_true(world.now_ms - T0 <= 10000);
		ack3_ok(&d);
		struct view a, u;
		do_server_synack(&d, &a, &u);
		view_free(&a);
		view_free(&u);
	}
	/* 12 s after the learning: the defaults are offered again */
	conn_init(&d, 4, 30);
	do_syn(&d, &sa);
	assert_true(sa.o.sack_perm);
	view_free(&sa);
	/* and a server that now does SACK is learned as such */
	d.srv_sack = true;
	ack3_ok(&d);
	struct view a, u;
	do_server_synack(&d, &a, &u);
	view_free(&a);
	view_free(&u);
	conn_init(&c, 4, 31);
	do_syn(&c, &sa);
	assert_true(sa.o.sack_perm);
	view_free(&sa);
	world_end();
}

/* ================================================================ forged and broken */

static void
test_bogus_ack(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_AUTO, NULL);
	conn_init(&c, 4, 15);
	seg_in(&c, true, ACK, 0x01020304, 0x0badc0de, 1000, NULL, 0);
	seg_in(&c, true, ACK | RTE_TCP_PSH_FLAG, 0x01020304, 0x77777777, 1000, NULL, 50);
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 2);
	assert_int_equal(nflows(), 0);
	/* with a SYN answered, an ACK for a neighbouring ISN still fails */
	syn_ok(&c);
	seg_in(&c, true, ACK, c.client_isn + 2, c.proxy_isn + 1, 1000, NULL, 0);
	/* (ack - seq = C + 2; C + 1 would read as a window probe of a client
	 * whose ISN is client_isn + 1: the ISN is added, not hashed, cookie.h) */
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 3, 1000, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 4);
	assert_int_equal(nflows(), 0);
	/* a WAN RST or SYN-ACK for nothing is dropped too */
	seg_in(&c, true, RTE_TCP_RST_FLAG, 5, 0, 0, NULL, 0);
	seg_in(&c, true, SYN_ACK, 5, 6, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->wan_no_flow, 2);
	world_end();
}

static void
corrupt_csum(struct rte_mbuf *m)
{
	struct pkt_meta mt;
	pkt_parse(m, &mt);
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, mt.l4_off);
	th->cksum ^= rte_cpu_to_be_16(0x1234);
}

static void
test_ack_bad_csum(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 16);
	syn_ok(&c);
	struct optspec o = ts_opt(c.cli_tsval + 1, c.proxy_tsval);
	struct rte_mbuf *m = seg_mbuf(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, &o, 0);
	corrupt_csum(m);
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->tcp_bad_csum, 1);
	assert_int_equal(st()->ack_bad, 1);
	assert_int_equal(st()->ack_bad_cookie, 0);
	assert_int_equal(nflows(), 0);
	/* the intact ACK still opens the connection */
	ack3_ok(&c);
	assert_int_equal(nflows(), 1);
	world_end();
}

static void
test_syn_bad_csum(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 6, 17);
	struct optspec o = conn_syn_opts(&c);
	struct rte_mbuf *m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	corrupt_csum(m);
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->tcp_bad_csum, 1);
	assert_int_equal(st()->syn_bad, 1);
	assert_int_equal(st()->synack_sent_cache, 0);
	assert_int_equal(occ().syn_cache, 0);

	/* the port's verdict, when it gives one, is taken as is */
	m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->tcp_bad_csum, 2);
	m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	corrupt_csum(m);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	rx1(ROLE_WAN, m);
	expect_tx(0, 1);
	assert_int_equal(st()->synack_sent_cache, 1);
	world_end();
}

/* Past the handshake a bad checksum is the end host's business: the
 * segment is translated and its checksum stays bad (not repaired). */
static void
test_bad_csum_stays_bad(void **state)
{
	struct conn c;
	struct pkt_meta mt;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 51);
	establish(&c);
	struct optspec so = ts_opt(c.srv_tsval + 1, c.cli_tsval + 1);
	struct rte_mbuf *m = seg_mbuf(&c, false, ACK, c.server_isn + 1, c.client_isn + 1, 100, &so, 10);
	corrupt_csum(m);
	rx1(ROLE_LAN, m);
	expect_tx(0, 1);
	m = tx_pop(ROLE_WAN);
	pkt_parse(m, &mt);
	assert_int_equal(rte_be_to_cpu_32(rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *,
								  mt.l4_off)->sent_seq),
			 c.proxy_isn + 1);
	assert_false(tcp_sum_ok(rte_pktmbuf_mtod(m, uint8_t *), &mt));
	rte_pktmbuf_free(m);

	struct optspec co = ts_opt(c.cli_tsval + 2, c.proxy_tsval);
	m = seg_mbuf(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 11, 1000, &co, 0);
	corrupt_csum(m);
	rx1(ROLE_WAN, m);
	expect_tx(1, 0);
	m = tx_pop(ROLE_LAN);
	pkt_parse(m, &mt);
	assert_false(tcp_sum_ok(rte_pktmbuf_mtod(m, uint8_t *), &mt));
	rte_pktmbuf_free(m);
	assert_int_equal(st()->tcp_bad_csum, 0);
	world_end();
}

/* Malformed options on a SYN (a zero option length): dropped. */
static void
test_syn_bad_options(void **state)
{
	struct conn c;
	static const uint8_t bad[] = { TCP_OPT_MSS, 4, 0x05, 0xb4, TCP_OPT_WS, 0, 0, 0 };

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 18);
	struct pb_spec s;
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.proto = IPPROTO_TCP;
	memcpy(s.src, c.cli, 4);
	memcpy(s.dst, c.srv, 4);
	s.sport = c.cport;
	s.dport = c.sport;
	s.seq = c.client_isn;
	s.flags = RTE_TCP_SYN_FLAG;
	s.win = 1000;
	s.opts = bad;
	s.optlen = sizeof(bad);
	struct rte_mbuf *m = pb_mbuf(world.mp, &s);
	assert_non_null(m);
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->tcp_bad_options, 1);
	assert_int_equal(st()->syn_bad, 1);
	world_end();
}

/* ================================================================ cookie age */

static void
tweak_period1(struct cfg_synproxy *c)
{
	c->cookie_period = 1;
}

/* A cookie is good one period later, not two. The second clock is the
 * test's own: it moves one second at a time and the secrets rotate as the
 * control lcore rotates them (once a second). The config asks for periods
 * of 2 s or more so that a rotation never runs concurrently with readers on
 * other lcores; this test has none, so 1 s is fine. */
static void
test_cookie_age(void **state)
{
	struct conn c1, c2;

	(void)state;
	world_start(CFG_MODE_COOKIE, tweak_period1);
	conn_init(&c1, 4, 60);
	conn_init(&c2, 4, 61);
	uint32_t t = world.now_sec + 1;
	world_set_sec(t);
	syn_ok(&c1);
	syn_ok(&c2);
	world_set_sec(t + 1);
	ack3_ok(&c1);                   /* made in the previous period: good */
	assert_int_equal(st()->ack_cookie_ok, 1);
	world_set_sec(t + 2);
	send_ack3(&c2, 0);              /* two periods old: refused */
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 1);
	assert_int_equal(nflows(), 1);
	world_end();
}

/* ================================================================ main */

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

/* ================================================================ a lost handshake ACK */

/* The client's zero-window probe after its ACK was lost: seq = its ISN. */
static void
send_probe(const struct conn *c, uint16_t payload)
{
	struct optspec o = ts_opt(c->cli_tsval + 300, c->proxy_tsval);
	seg_in(c, true, ACK, c->client_isn, c->proxy_isn + 1, c->cli_ackwin,
	       c->proxy_ts ? &o : NULL, payload);
}

static void
check_probe_completes(enum cfg_synproxy_mode mode, int family, bool ts)
{
	struct conn c;
	struct view syn, ack, upd;

	world_start(mode, NULL);
	conn_init(&c, family, 60);
	c.cli_ts = ts;
	syn_ok(&c);
	/* the handshake ACK is lost; the probe completes the handshake */
	send_probe(&c, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &syn);
	assert_dir(&syn, &c, true);
	assert_int_equal(syn.flags & ~ECE_CWR, RTE_TCP_SYN_FLAG);
	assert_int_equal(syn.seq, c.client_isn);
	if (mode == CFG_MODE_CACHE)
		assert_int_equal(syn.o.mss, c.cli_mss);
	else   /* the cookie's MSS: never above the client's */
		assert_true(syn.o.mss <= c.cli_mss && syn.o.mss >= 1220);
	c.syn_o = syn.o;
	view_free(&syn);
	assert_int_equal(st()->ack_probe, 1);
	assert_int_equal(st()->ack_cookie_ok + st()->ack_cache_ok, 1);
	assert_int_equal(st()->ack_cache_ok, mode == CFG_MODE_CACHE ? 1 : 0);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	/* a second probe waits like any early segment */
	send_probe(&c, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->early_data_drop, 1);
	do_server_synack(&c, &ack, &upd);
	assert_int_equal(upd.ack, c.client_isn + 1);
	assert_int_equal(upd.seq, c.proxy_isn + 1);
	assert_true(upd.win > 0);
	view_free(&ack);
	view_free(&upd);
	exchange(&c, 0, 0, 10);
	world_end();
}

static void
test_lost_ack_probe_v4_cookie(void **state)
{
	(void)state;
	check_probe_completes(CFG_MODE_COOKIE, 4, true);
}

static void
test_lost_ack_probe_v6_cache(void **state)
{
	(void)state;
	check_probe_completes(CFG_MODE_CACHE, 6, true);
}

static void
test_lost_ack_probe_no_ts_cache(void **state)
{
	(void)state;
	check_probe_completes(CFG_MODE_CACHE, 4, false);
}

/* Only a zero-length segment reads as a probe; one seq further is no probe. */
static void
test_lost_ack_probe_only_zero_length(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 61);
	syn_ok(&c);
	send_probe(&c, 10);
	seg_in(&c, true, ACK | RTE_TCP_FIN_FLAG, c.client_isn, c.proxy_isn + 1, 1000, NULL, 0);
	seg_in(&c, true, ACK, c.client_isn - 1, c.proxy_isn + 1, 1000, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 3);
	assert_int_equal(st()->ack_probe, 0);
	assert_int_equal(nflows(), 0);
	world_end();
}

/* The client's data after a lost ACK (seq = ISN + 1): the handshake
 * completes, the payload is dropped (it is sent again once the window opens). */
static void
test_lost_ack_data(void **state)
{
	struct conn c;
	struct view syn, ack, upd;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 6, 62);
	syn_ok(&c);
	send_ack3(&c, 200);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &syn);
	assert_int_equal(syn.flags & ~ECE_CWR, RTE_TCP_SYN_FLAG);
	assert_int_equal(syn.seq, c.client_isn);
	assert_int_equal(syn.plen, 0);
	c.syn_o = syn.o;
	view_free(&syn);
	assert_int_equal(st()->early_data_drop, 1);
	assert_int_equal(st()->ack_probe, 0);
	do_server_synack(&c, &ack, &upd);
	view_free(&ack);
	view_free(&upd);
	exchange(&c, 0, 0, 10);
	world_end();
}

/* A SYN with another ISN leaves a pending cache entry alone: it is answered
 * from the cookie alone, and the first client still completes from the cache. */
static void
test_cache_entry_kept_for_other_isn(void **state)
{
	struct conn a, b;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&a, 4, 63);
	a.cli_ts = false;
	do_syn(&a, &sa);
	assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
	view_free(&sa);
	b = a;
	b.client_isn = a.client_isn + 0x10000;
	do_syn(&b, &sa);
	/* no timestamp: the cookie alone cannot carry a scale or SACK */
	assert_int_equal(sa.o.wscale, WS_NONE);
	assert_false(sa.o.sack_perm);
	view_free(&sa);
	assert_int_equal(st()->syn_cache_conflict, 1);
	assert_int_equal(st()->synack_sent_cache, 1);
	assert_int_equal(st()->synack_sent_cookie, 1);
	/* the same ISN again (a retransmission) refreshes the entry */
	syn_ok(&a);
	assert_int_equal(st()->syn_cache_conflict, 1);
	assert_int_equal(st()->synack_sent_cache, 2);
	ack3_ok(&a);
	assert_int_equal(st()->ack_cache_ok, 1);
	assert_int_equal(a.syn_o.wscale, a.cli_ws);
	world_end();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_syn_v4_cookie),
		T(test_syn_v6_cookie),
		T(test_syn_v4_cache),
		T(test_syn_v6_cache),
		T(test_syn_v4_auto),
		T(test_syn_no_ts_cookie),
		T(test_syn_no_ts_cache),
		T(test_syn_no_ts_cookie_v6),
		T(test_syn_no_wscale_no_mss),
		T(test_handshake_v4_cookie),
		T(test_handshake_v6_cookie),
		T(test_handshake_v4_cache),
		T(test_handshake_v6_cache),
		T(test_handshake_v4_auto),
		T(test_handshake_no_ts_cookie),
		T(test_handshake_ack_with_data),
		T(test_learn_server_options),
		T(test_learn_reprobe),
		T(test_bogus_ack),
		T(test_ack_bad_csum),
		T(test_syn_bad_csum),
		T(test_syn_bad_options),
		T(test_bad_csum_stays_bad),
		T(test_cookie_age),
		T(test_lost_ack_probe_v4_cookie),
		T(test_lost_ack_probe_v6_cache),
		T(test_lost_ack_probe_no_ts_cache),
		T(test_lost_ack_probe_only_zero_length),
		T(test_lost_ack_data),
		T(test_cache_entry_kept_for_other_isn),
	};

	return cmocka_run_group_tests_name("synproxy_handshake", tests, world_eal_setup, world_eal_teardown);
}
