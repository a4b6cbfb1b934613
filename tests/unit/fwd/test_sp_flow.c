/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_flow.c - the per-state flow handlers (fwd/synproxy_flow.c): translation of established
 * flows, hostile segments, RST/FIN/expiry and the SYN_SENT cases, LAN-initiated
 * pass-through flows.
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

/* ================================================================ translation */

static void
data_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;

	world_start(mode, NULL);
	conn_init(&c, family, 7);
	establish(&c);
	exchange(&c, 0, 0, 5);
	exchange(&c, 100, 20, 9);
	exchange(&c, 200, 40, 30);
	assert_int_equal(st()->translated_lan, 3);
	assert_int_equal(st()->translated_wan, 3);
	assert_int_equal(st()->tcp_bad_options, 0);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	world_end();
}

static void test_data_v4_cookie(void **s) { (void)s; data_case(4, CFG_MODE_COOKIE); }
static void test_data_v6_cookie(void **s) { (void)s; data_case(6, CFG_MODE_COOKIE); }
static void test_data_v4_cache(void **s) { (void)s; data_case(4, CFG_MODE_CACHE); }
static void test_data_v6_cache(void **s) { (void)s; data_case(6, CFG_MODE_CACHE); }

/* Sequence numbers and timestamps of both sides run across 2^32. */
static void
wrap_case(int family)
{
	struct conn c;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 8);
	c.client_isn = 0xffffffd0u;
	c.server_isn = 0xffffff80u;
	c.cli_tsval = 0xfffffffau;
	c.srv_tsval = 0xfffffff0u;
	establish(&c);
	for (uint32_t k = 0; k < 4; k++)
		exchange(&c, 100 * k, 20 * k, 10 * k);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);

	/* an RST right at the client's (wrapped) next sequence number is in window */
	uint32_t nxt = c.client_isn + 1 + 80;
	assert_true(nxt < 0x100);
	seg_in(&c, true, RTE_TCP_RST_FLAG, nxt, 0, 0, NULL, 0);
	expect_tx(1, 0);
	struct view r;
	view_take(ROLE_LAN, &r);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(r.seq, nxt);
	view_free(&r);
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	assert_int_equal(st()->rst_out_of_window, 0);
	world_end();
}

static void test_data_wrap_v4(void **s) { (void)s; wrap_case(4); }
static void test_data_wrap_v6(void **s) { (void)s; wrap_case(6); }

/* Client segment with window `win` in, the window the server sees out. */
static uint16_t
client_window_seen(struct conn *c, uint16_t win)
{
	struct view d;
	struct optspec o = ts_opt(c->cli_tsval + 2, c->proxy_tsval);

	seg_in(c, true, ACK, c->client_isn + 1, c->proxy_isn + 1, win, conn_ts(c) ? &o : NULL, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &d);
	uint16_t r = d.win;
	view_free(&d);
	return r;
}

static void
test_window_rescale(void **state)
{
	struct conn c;
	struct view ack, upd;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);

	/* 1: the client was told the default 7, the server uses 2 */
	conn_init(&c, 4, 9);
	c.srv_ws = 2;
	syn_ok(&c);
	assert_int_equal(c.proxy_ws, 7);
	ack3_ok(&c);
	do_server_synack(&c, &ack, &upd);
	assert_int_equal(upd.win, c.srv_win >> 7);
	view_free(&ack);
	view_free(&upd);
	assert_int_equal(server_window_seen(&c, 1000), (1000u << 2) >> 7);
	assert_int_equal(server_window_seen(&c, 65535), (65535u << 2) >> 7);
	/* a non-zero window never turns into a zero one */
	assert_int_equal(server_window_seen(&c, 1), 1);
	assert_int_equal(server_window_seen(&c, 0), 0);
	/* client windows: both ends agree on the client's scale */
	assert_int_equal(client_window_seen(&c, 1234), 1234);

	/* 2: same server, its scale is learned: announced as is, no rescaling */
	struct conn c2;
	conn_init(&c2, 4, 10);
	c2.srv_ws = 2;
	syn_ok(&c2);
	assert_int_equal(c2.proxy_ws, 2);
	ack3_ok(&c2);
	do_server_synack(&c2, &ack, &upd);
	assert_int_equal(upd.win, c2.srv_win >> 2);
	view_free(&ack);
	view_free(&upd);
	assert_int_equal(server_window_seen(&c2, 1000), 1000);
	world_end();
}

/* The server refuses scaling while the client was told to scale. */
static void
test_window_server_no_wscale(void **state)
{
	struct conn c;
	struct view ack, upd;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 6, 11);
	c.srv_ws = WS_NONE;
	syn_ok(&c);
	assert_int_equal(c.proxy_ws, 7);
	ack3_ok(&c);
	do_server_synack(&c, &ack, &upd);
	/* the server reads windows unscaled: the client's 1000 << 9, capped */
	assert_int_equal(ack.win, 65535);
	assert_int_equal(upd.win, c.srv_win >> 7);
	view_free(&ack);
	view_free(&upd);
	assert_int_equal(server_window_seen(&c, 64000), 64000 >> 7);
	assert_int_equal(client_window_seen(&c, 100), 51200);
	assert_int_equal(client_window_seen(&c, 200), 65535);
	assert_int_equal(client_window_seen(&c, 0), 0);
	world_end();
}

/* ================================================================ hostile input */

static uint32_t fz_state = 12345;
static uint32_t
fz_rand(void)
{
	fz_state = fz_state * 1103515245u + 12345u;
	return fz_state >> 8;
}

/*
 * Random and half-valid TCP segments both ways, in bursts, over a handful of
 * tuples so they hit live flows in every state: random flags, sequence and
 * ack numbers (some right on a real handshake's numbers), window, option
 * bytes and lengths, truncations. Nothing may crash, every frame must come
 * out or be freed, and the flow table must stay consistent (per-state counts
 * sum to the live count).
 */
static void
test_fuzz_segments(void **state)
{
	(void)state;
	world_start(CFG_MODE_AUTO, NULL);
	struct conn cs[4];
	for (int i = 0; i < 4; i++) {
		conn_init(&cs[i], (i & 1) ? 6 : 4, 200 + i);
		establish(&cs[i]);
	}
	static const uint8_t flag_pool[] = {
		RTE_TCP_SYN_FLAG, ACK, SYN_ACK, RTE_TCP_RST_FLAG, RTE_TCP_RST_FLAG | ACK,
		RTE_TCP_FIN_FLAG | ACK, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, 0, 0xff,
	};
	for (int it = 0; it < 3000; it++) {
		struct rte_mbuf *b[16];
		uint16_t n = 1 + fz_rand() % 16;
		bool from_client = fz_rand() & 1;
		for (uint16_t j = 0; j < n; j++) {
			struct conn *c = &cs[fz_rand() % 4];
			uint32_t pick = fz_rand() % 4;
			uint32_t seq = pick == 0 ? (from_client ? c->client_isn + 1 : c->server_isn + 1)
				       : fz_rand();
			uint32_t ack = pick == 1 ? (from_client ? c->proxy_isn + 1 : c->client_isn + 1)
				       : fz_rand();
			struct optspec o = ts_opt(fz_rand(), fz_rand());
			b[j] = seg_mbuf(c, from_client, flag_pool[fz_rand() % sizeof(flag_pool)], seq, ack,
					(uint16_t)fz_rand(), (fz_rand() & 1) ? &o : NULL, fz_rand() % 64);
			assert_non_null(b[j]);
			uint8_t *f = rte_pktmbuf_mtod(b[j], uint8_t *);
			uint16_t len = rte_pktmbuf_data_len(b[j]);
			/* scribble over a few bytes past the IP header */
			for (int k = fz_rand() % 4; k > 0; k--) {
				uint16_t at = 14 + 20 + fz_rand() % (len > 34 ? len - 34 : 1);
				if (at < len)
					f[at] = (uint8_t)fz_rand();
			}
			if (fz_rand() % 8 == 0) {   /* truncate */
				uint16_t cut = fz_rand() % len;
				b[j]->data_len = b[j]->pkt_len = cut;
			}
		}
		rx(from_client ? ROLE_WAN : ROLE_LAN, b, n);
		world_tx_drop();
		if (it % 50 == 0) {
			world.now_ms += 700;
			world_housekeeping();
			world_tx_drop();
		}
		struct synproxy_occupancy oc = occ();
		uint32_t sum = 0;
		for (unsigned k = 0; k < FLOW_S_MAX; k++)
			sum += oc.per_state[k];
		assert_int_equal(sum, oc.flows);
	}
	world_end();   /* asserts no mbuf is left in use */
}

/* ================================================================ RST, FIN, expiry */

static void
test_rst_from_wan(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 19);
	establish(&c);

	/* far outside any window: dropped, the flow lives on */
	seg_in(&c, true, RTE_TCP_RST_FLAG | ACK, c.client_isn + 1 + 300000, c.proxy_isn + 1, 0, NULL, 0);
	seg_in(&c, true, RTE_TCP_RST_FLAG, c.client_isn + 1 - 300000, 0, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 2);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);

	/* in window: forwarded, translated, and the flow is closed */
	seg_in(&c, true, RTE_TCP_RST_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 1, 0, NULL, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &r);
	assert_dir(&r, &c, true);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG | ACK);
	assert_int_equal(r.seq, c.client_isn + 1);
	assert_int_equal(r.ack, c.server_isn + 1);
	view_free(&r);
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	assert_int_equal(st()->rst_accepted, 1);

	/* the closed flow goes after timeout_close */
	world.now_ms += world.cfg.synproxy.timeout_close * 1000 - 1;
	sweep();
	assert_int_equal(nflows(), 1);
	world.now_ms += 2;
	sweep();
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->flows_expired, 1);
	world_end();
}

static void
test_rst_from_lan(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 6, 20);
	establish(&c);
	/* the client's window is 1000 << 9 = 512000 bytes: well past it */
	seg_in(&c, false, RTE_TCP_RST_FLAG, c.server_isn + 1 + 5000000, 0, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 1);
	seg_in(&c, false, RTE_TCP_RST_FLAG, c.server_isn + 1, 0, 0, NULL, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &r);
	assert_dir(&r, &c, false);
	assert_int_equal(r.seq, c.proxy_isn + 1);
	view_free(&r);
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	world_end();
}

/* Both FINs: TIME_WAIT, then gone after its timeout. */
static void
test_fin_time_wait_expiry(void **state)
{
	struct conn c;
	struct view d;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 21);
	establish(&c);
	struct optspec o = ts_opt(c.cli_tsval + 3, c.proxy_tsval);
	seg_in(&c, true, RTE_TCP_FIN_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, &o, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &d);
	assert_int_equal(d.flags, RTE_TCP_FIN_FLAG | ACK);
	assert_int_equal(d.ack, c.server_isn + 1);
	assert_int_equal(d.o.tsecr, c.srv_tsval);
	view_free(&d);
	assert_int_equal(nstate(FLOW_S_FIN_WAIT), 1);

	struct optspec so = ts_opt(c.srv_tsval + 3, c.cli_tsval + 3);
	seg_in(&c, false, RTE_TCP_FIN_FLAG | ACK, c.server_isn + 1, c.client_isn + 2, 1000, &so, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &d);
	assert_int_equal(d.flags, RTE_TCP_FIN_FLAG | ACK);
	assert_int_equal(d.seq, c.proxy_isn + 1);
	assert_int_equal(d.ack, c.client_isn + 2);
	view_free(&d);
	assert_int_equal(nstate(FLOW_S_TIME_WAIT), 1);
	assert_int_equal(st()->fin_seen, 2);

	/* the last ACK still goes through, translated */
	seg_in(&c, true, ACK, c.client_isn + 2, c.proxy_isn + 2, 1000, &o, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &d);
	assert_int_equal(d.ack, c.server_isn + 2);
	view_free(&d);

	world.now_ms += world.cfg.synproxy.timeout_time_wait * 1000 - 1;
	sweep();
	assert_int_equal(nflows(), 1);
	world.now_ms += 2;
	sweep();
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->flows_expired, 1);
	world_end();
}

/* A new SYN on a TIME_WAIT tuple starts a fresh proxied connection. */
static void
test_fin_then_new_syn(void **state)
{
	struct conn c;
	struct view sa, d;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 22);
	establish(&c);
	seg_in(&c, false, RTE_TCP_FIN_FLAG | ACK, c.server_isn + 1, c.client_isn + 1, 1000, NULL, 0);
	seg_in(&c, true, RTE_TCP_FIN_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 2, 1000, NULL, 0);
	world_tx_drop();
	assert_int_equal(nstate(FLOW_S_TIME_WAIT), 1);

	uint32_t old_proxy = c.proxy_isn;
	c.client_isn += 100000;
	c.cli_tsval += 1000;
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	view_free(&sa);
	assert_true(c.proxy_isn != old_proxy);
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->flows_closed, 1);
	/* and the whole handshake works again on the same tuple */
	ack3_ok(&c);
	c.server_isn += 777777;
	struct view a;
	do_server_synack(&c, &a, &d);
	assert_int_equal(a.ack, c.server_isn + 1);
	assert_int_equal(d.seq, c.proxy_isn + 1);
	view_free(&a);
	view_free(&d);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	world_end();
}

/* The server refuses the proxied SYN: the client gets an RST it accepts. */
static void
rst_syn_sent_case(int family)
{
	struct conn c;
	struct view r;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 23);
	syn_ok(&c);
	ack3_ok(&c);
	/* an RST acking something else is not an answer to our SYN */
	seg_in(&c, false, RTE_TCP_RST_FLAG | ACK, 0, c.client_isn + 5, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);

	seg_in(&c, false, RTE_TCP_RST_FLAG | ACK, 0, c.client_isn + 1, 0, NULL, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &r);
	assert_dir(&r, &c, false);
	assert_clean_l3(&r);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG | ACK);
	assert_int_equal(r.seq, c.proxy_isn + 1);
	assert_int_equal(r.ack, c.client_isn + 1);
	assert_int_equal(r.plen, 0);
	view_free(&r);
	assert_int_equal(st()->server_rst, 1);
	assert_int_equal(nflows(), 0);
	assert_int_equal(occ().pending_syn, 0);
	world_end();
}

static void test_server_rst_syn_sent_v4(void **s) { (void)s; rst_syn_sent_case(4); }
static void test_server_rst_syn_sent_v6(void **s) { (void)s; rst_syn_sent_case(6); }

/* The client gives up while the server still holds our SYN: an RST at the
 * client's exact next sequence reaches the server (without an ACK, since
 * none of the server's numbers is known yet); any other is dropped. */
static void
test_client_rst_syn_sent(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 26);
	syn_ok(&c);
	ack3_ok(&c);
	seg_in(&c, true, RTE_TCP_RST_FLAG, c.client_isn + 1000, 0, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);

	seg_in(&c, true, RTE_TCP_RST_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 1, 0, NULL, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &r);
	assert_dir(&r, &c, true);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(r.seq, c.client_isn + 1);
	assert_int_equal(r.ack, 0);
	view_free(&r);
	assert_int_equal(nflows(), 0);
	assert_int_equal(occ().pending_syn, 0);
	world_end();
}

/* Whatever else the client sends while the server has not answered is
 * dropped, and every one of those drops is counted once: a duplicate ACK
 * and data as early_data_drop, a retransmitted SYN as syn_retransmit. */
static void
test_client_segments_syn_sent_counted(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 27);
	syn_ok(&c);
	ack3_ok(&c);
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->early_data_drop, 1);
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, NULL, 20);
	expect_tx(0, 0);
	assert_int_equal(st()->early_data_drop, 2);
	struct optspec o = conn_syn_opts(&c);
	seg_in(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 1000, &o, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_retransmit, 1);
	assert_int_equal(st()->early_data_drop, 2);
	assert_int_equal(st()->syn_received, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	world_end();
}

/* RFC 5961: the server still has an older connection on the tuple and
 * answers our SYN with a challenge ACK; the proxy resets it at the
 * acknowledged sequence, as the client's stack would, and the flow stays
 * waiting for the retransmitted SYN's answer. */
static void
test_server_challenge_ack(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 27);
	syn_ok(&c);
	ack3_ok(&c);
	seg_in(&c, false, ACK, 777, 0x12345678, 100, NULL, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &r);
	assert_dir(&r, &c, true);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(r.seq, 0x12345678);
	view_free(&r);
	assert_int_equal(st()->server_challenge_ack, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	/* the real SYN-ACK still completes it */
	struct view a, u;
	do_server_synack(&c, &a, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	world_end();
}

/* A client that lost its connection reuses the port: its SYN, whatever its
 * sequence number, draws a challenge ACK and leaves the flow alone (an
 * off-path attacker could send it: RFC 5961 §4); the client's RST answering
 * it closes the flow, and its next SYN starts a new proxied handshake
 * (test_sp_blind.c has the rest). */
static void
test_syn_reuses_live_tuple(void **state)
{
	struct conn c;
	struct view sa, ch;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 28);
	establish(&c);
	c.client_isn += 0x40000000;
	seg_in(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 1000, NULL, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &ch);
	assert_int_equal(ch.flags, ACK);
	assert_int_equal(st()->challenge_ack_sent, 1);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);

	seg_in(&c, true, RTE_TCP_RST_FLAG, ch.ack, 0, 0, NULL, 0);
	view_free(&ch);
	expect_tx(1, 0);
	world_tx_drop();
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	do_syn(&c, &sa);
	assert_int_equal(sa.ack, c.client_isn + 1);
	view_free(&sa);
	assert_int_equal(nflows(), 0);
	world_end();
}

/* The server's SYN-ACK must acknowledge the client's ISN. */
static void
test_server_synack_wrong_ack(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 24);
	syn_ok(&c);
	ack3_ok(&c);
	send_server_synack(&c, c.client_isn + 2);
	expect_tx(0, 0);
	assert_int_equal(st()->server_synack_bad, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	world_end();
}

/* Our ACK got lost: the server's retransmitted SYN-ACK is ACKed again. */
static void
test_server_synack_retransmitted(void **state)
{
	struct conn c;
	struct view a;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 25);
	establish(&c);
	send_server_synack(&c, c.client_isn + 1);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &a);
	assert_dir(&a, &c, true);
	assert_int_equal(a.flags, ACK);
	assert_int_equal(a.seq, c.client_isn + 1);
	assert_int_equal(a.ack, c.server_isn + 1);
	assert_true(a.o.ts_present);
	assert_int_equal(a.o.tsecr, c.srv_tsval);
	view_free(&a);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	world_end();
}

/* ================================================================ LAN-initiated */

static void
test_lan_initiated(void **state)
{
	struct conn c;
	struct optspec so = { .mss = 1460, .ws_on = true, .ws = 7, .sack_perm = true,
			      .ts = true, .tsval = 1000 };

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	/* "client" = the remote host on the WAN, "server" = the LAN host opening */
	conn_init(&c, 4, 28);
	c.sport = 45000;
	c.cport = 443;

	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, RTE_TCP_SYN_FLAG, 5000, 0, 64240, &so, 0));
	assert_int_equal(nstate(FLOW_S_LAN_SYN), 1);
	assert_int_equal(st()->passthrough_new, 1);
	assert_int_equal(st()->syn_received, 0);

	struct optspec ro = { .mss = 1400, .ws_on = true, .ws = 8, .sack_perm = true,
			      .ts = true, .tsval = 2000, .tsecr = 1000 };
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, SYN_ACK, 7000, 5001, 65160, &ro, 0));
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);

	struct optspec t1 = ts_opt(1001, 2000), t2 = ts_opt(2001, 1001);
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, ACK, 5001, 7001, 502, &t1, 0));
	/* the remote side's ACKs and data are not handshake ACKs for cookies */
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, ACK | RTE_TCP_PSH_FLAG, 7001, 5001, 509, &t2, 300));
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, ACK, 7301, 5001, 509, &t2, 0));
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, ACK, 5001, 7301, 502, &t1, 10));
	assert_int_equal(st()->ack_bad_cookie, 0);
	assert_int_equal(st()->ack_cookie_ok, 0);
	assert_int_equal(st()->wan_no_flow, 0);
	assert_int_equal(st()->passthrough, 5);
	assert_int_equal(st()->translated_wan + st()->translated_lan, 0);

	/* an out-of-window RST from the WAN does not kill it; FINs close it */
	seg_in(&c, true, RTE_TCP_RST_FLAG, 7301 + 1000000, 0, 0, NULL, 0);
	expect_tx(0, 0);
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, RTE_TCP_FIN_FLAG | ACK, 5011, 7301, 502, &t1, 0));
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, RTE_TCP_FIN_FLAG | ACK, 7301, 5012, 509, &t2, 0));
	assert_int_equal(nstate(FLOW_S_TIME_WAIT), 1);

	/* untracked LAN traffic is let out; its WAN answers are not let in */
	struct conn u;
	conn_init(&u, 4, 29);
	expect_bridged(ROLE_LAN, seg_mbuf(&u, false, ACK, 1, 2, 100, NULL, 5));
	assert_int_equal(st()->lan_no_flow, 1);
	world_end();
}

/* ================================================================ main */

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_data_v4_cookie),
		T(test_data_v6_cookie),
		T(test_data_v4_cache),
		T(test_data_v6_cache),
		T(test_data_wrap_v4),
		T(test_data_wrap_v6),
		T(test_window_rescale),
		T(test_window_server_no_wscale),
		T(test_fuzz_segments),
		T(test_rst_from_wan),
		T(test_rst_from_lan),
		T(test_fin_time_wait_expiry),
		T(test_fin_then_new_syn),
		T(test_server_rst_syn_sent_v4),
		T(test_server_rst_syn_sent_v6),
		T(test_client_rst_syn_sent),
		T(test_client_segments_syn_sent_counted),
		T(test_server_challenge_ack),
		T(test_syn_reuses_live_tuple),
		T(test_server_synack_wrong_ack),
		T(test_server_synack_retransmitted),
		T(test_lan_initiated),
	};

	return cmocka_run_group_tests_name("synproxy_flow", tests, world_eal_setup, world_eal_teardown);
}
