/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_blind.c - blind attacks on live flows (RFC 5961; fwd/synproxy_flow.c,
 * track()): for each rule a crafted segment and what must follow: the flow's
 * state, the counter, and what the proxy sent (a challenge ACK, checked field
 * by field in the client's view) or did not send. Proxied and pass-through
 * flows, IPv4 and IPv6, and sequence numbers across 2^32.
 *
 * "The edges did not move" is shown by behaviour: after the hostile segment,
 * an RST at the old exact sequence still closes the flow (it would be inexact
 * had the edge moved), or a challenge ACK still carries the old numbers.
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

#include "fwd/synproxy_int.h"
#include "sp_harness.h"

#define RST RTE_TCP_RST_FLAG
#define FIN RTE_TCP_FIN_FLAG
#define SYN RTE_TCP_SYN_FLAG

/* The one frame sent is a challenge ACK to the client with these numbers
 * (and, when ts, this TSval/TSecr); nothing went to the server. */
static void
expect_challenge(const struct conn *c, bool proxied, uint32_t seq, uint32_t ack, bool ts,
		 uint32_t tsval, uint32_t tsecr)
{
	struct view v;

	expect_tx(0, 1);
	view_take(ROLE_WAN, &v);
	(void)proxied;
	assert_dir(&v, c, false);   /* back to the WAN end */
	assert_int_equal(v.flags, ACK);
	assert_int_equal(v.plen, 0);
	assert_int_equal(v.seq, seq);
	assert_int_equal(v.ack, ack);
	assert_true(v.win > 0);
	assert_int_equal(v.o.ts_present, ts);
	if (ts) {
		assert_int_equal(v.o.tsval, tsval);
		assert_int_equal(v.o.tsecr, tsecr);
	}
	view_free(&v);
}

/* An RST from the client at seq closes the flow and reaches the server. */
static void
expect_rst_closes(const struct conn *c, uint32_t seq)
{
	struct view r;
	uint64_t acc = st()->rst_accepted;

	seg_in(c, true, RST, seq, 0, 0, NULL, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &r);
	assert_int_equal(r.flags, RST);
	assert_int_equal(r.seq, seq);
	view_free(&r);
	assert_int_equal(st()->rst_accepted, acc + 1);
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
}

/* ================================================================ SYN on a live flow */

/* A SYN with any sequence number (far out, in the window, the old ISN)
 * draws a challenge ACK in the client's space; the flow stays as it was.
 * A client that lost its state answers it with the RST at the challenge's
 * ack, which closes the flow; its next SYN starts over. */
static void
syn_case(int family, uint32_t client_isn)
{
	struct conn c;
	struct view sa;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 40);
	c.client_isn = client_isn;
	establish(&c);
	assert_true(conn_ts(&c));
	exchange(&c, 0, 0, 5);   /* server TSval +5, client TSval +7, client sent 20 */

	const uint32_t seqs[] = { c.client_isn + 0x80000000u, c.client_isn + 21, c.client_isn };
	for (unsigned i = 0; i < 3; i++) {
		world.now_ms += CHALLENGE_ACK_GAP * 16;   /* one challenge ACK per flow per gap */
		seg_in(&c, true, SYN, seqs[i], 0, 1000, NULL, 0);
		/* seq: the server's next (100 bytes sent) in the client's view;
		 * ack: what the server last acked (client_isn + 1: it has not
		 * acked the 20 bytes yet); the latest TSval the client saw. */
		expect_challenge(&c, true, c.proxy_isn + 1 + 100, c.client_isn + 1, true,
				 c.proxy_tsval + 5, c.cli_tsval + 7);
		assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	}
	assert_int_equal(st()->challenge_ack_sent, 3);
	assert_int_equal(st()->syn_retransmit, 0);
	/* still translated both ways */
	exchange(&c, 100, 20, 9);

	/* the client lost its state: RST at the challenge ACK's ack */
	world.now_ms += CHALLENGE_ACK_GAP * 16;
	seg_in(&c, true, SYN, c.client_isn + 12345, 0, 1000, NULL, 0);
	struct view v;
	expect_tx(0, 1);
	view_take(ROLE_WAN, &v);
	uint32_t rst_seq = v.ack;
	view_free(&v);
	expect_rst_closes(&c, rst_seq);
	/* and its SYN retransmission starts over */
	c.client_isn += 12344;
	do_syn(&c, &sa);
	assert_int_equal(sa.ack, c.client_isn + 1);
	view_free(&sa);
	assert_int_equal(nflows(), 0);
	world_end();
}

static void test_syn_v4(void **s) { (void)s; syn_case(4, 1000); }
static void test_syn_v6(void **s) { (void)s; syn_case(6, 1000); }
static void test_syn_wrap_v4(void **s) { (void)s; syn_case(4, 0xfffffff0u); }

/* A SYN on a finished tuple still starts over (TIME_WAIT here). */
static void
test_syn_time_wait_restarts(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 41);
	establish(&c);
	seg_in(&c, true, FIN | ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, NULL, 0);
	expect_tx(1, 0);
	world_tx_drop();
	seg_in(&c, false, FIN | ACK, c.server_isn + 1, c.client_isn + 2, 100, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	assert_int_equal(nstate(FLOW_S_TIME_WAIT), 1);
	c.client_isn += 0x1000;
	do_syn(&c, &sa);
	assert_int_equal(sa.ack, c.client_isn + 1);
	view_free(&sa);
	assert_int_equal(st()->challenge_ack_sent, 0);
	world_end();
}

/* Challenge ACKs are limited per flow (one per CHALLENGE_ACK_GAP, 512 ms),
 * never by a budget flows share: what an attacker spends on one flow shows
 * nowhere else (CVE-2016-5696, synproxy_flow.c). Inexact RSTs and SYNs
 * draw on the same allowance; the 16-bit clock wraps without a false
 * allowance. */
static void
test_challenge_per_flow(void **state)
{
	struct conn a, b;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	world.now_ms = 100000;
	conn_init(&a, 4, 42);
	establish(&a);
	conn_init(&b, 4, 43);
	establish(&b);
	/* a burst on a: one answer, the rest dropped */
	for (unsigned i = 0; i < 50; i++) {
		seg_in(&a, true, SYN, 7 * i, 0, 1000, NULL, 0);
		if (i == 0)
			expect_tx(0, 1);
		world_tx_drop();
	}
	assert_int_equal(st()->challenge_ack_sent, 1);
	assert_int_equal(st()->challenge_ack_limited, 49);
	/* b was not touched by it: the attacker's own flow learns nothing */
	seg_in(&b, true, SYN, 12345, 0, 1000, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	assert_int_equal(st()->challenge_ack_sent, 2);
	/* a again just inside the gap (an inexact RST), then just after it */
	world.now_ms += CHALLENGE_ACK_GAP * 16 - 16;
	seg_in(&a, true, RST, a.client_isn + 1 + 100, 0, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->challenge_ack_limited, 50);
	world.now_ms += 16;
	seg_in(&a, true, RST, a.client_isn + 1 + 100, 0, 0, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	assert_int_equal(st()->challenge_ack_sent, 3);
	/* across the wrap of the 16-bit clock (now_ms >> 4 = 0xffff, then 0) */
	world.now_ms = 0x100000u - 16;
	seg_in(&b, true, SYN, 999, 0, 1000, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	world.now_ms = 0x100000u;
	seg_in(&b, true, SYN, 999, 0, 1000, NULL, 0);
	expect_tx(0, 0);
	world.now_ms = 0x100000u - 16 + CHALLENGE_ACK_GAP * 16;
	seg_in(&b, true, SYN, 999, 0, 1000, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	assert_int_equal(st()->challenge_ack_sent, 5);
	assert_int_equal(st()->challenge_ack_limited, 51);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 2);
	world_end();   /* no mbuf left behind */
}

/* A blind SYN scattered over two mbufs (a jumbo frame with data): the
 * challenge ACK is one segment, the tail is freed (world_end counts). */
static void
test_syn_chained(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 48);
	establish(&c);
	struct rte_mbuf *m = seg_mbuf(&c, true, SYN, 12345, 0, 1000, NULL, 0);
	struct rte_mbuf *tail = rte_pktmbuf_alloc(world.mp);
	assert_non_null(tail);
	assert_non_null(rte_pktmbuf_append(tail, 1000));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	rx1(ROLE_WAN, m);
	expect_tx(0, 1);
	struct rte_mbuf *o = tx_pop(ROLE_WAN);
	assert_int_equal(o->nb_segs, 1);
	assert_null(o->next);
	assert_int_equal(o->pkt_len, o->data_len);
	rte_pktmbuf_free(o);
	assert_int_equal(st()->challenge_ack_sent, 1);
	world_end();
}

/* ================================================================ RST */

/* Out of the window: dropped. In the window, not exact: a challenge ACK,
 * nothing to the server, state untouched. Exact (the client's highest
 * seq + len, or the server's last ACK): closes. */
static void
rst_case(int family, uint32_t client_isn, bool at_server_ack)
{
	struct conn c;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 43);
	c.client_isn = client_isn;
	establish(&c);
	exchange(&c, 0, 0, 5);   /* client sent 20: wan_end = isn + 21, server acked isn + 1 */
	uint32_t end = c.client_isn + 21;

	seg_in(&c, true, RST, end + 0x40000000u, 0, 0, NULL, 0);
	seg_in(&c, true, RST | ACK, end - 0x40000000u, c.proxy_isn + 1, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 2);

	const int32_t offs[] = { 1, -1, 1000, -1000, 60000 };
	for (unsigned i = 0; i < RTE_DIM(offs); i++) {
		world.now_ms += CHALLENGE_ACK_GAP * 16;   /* one challenge ACK per flow per gap */
		seg_in(&c, true, RST, end + (uint32_t)offs[i], 0, 0, NULL, 0);
		expect_challenge(&c, true, c.proxy_isn + 1 + 100, c.client_isn + 1, true,
				 c.proxy_tsval + 5, c.cli_tsval + 7);
		assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	}
	assert_int_equal(st()->challenge_ack_sent, RTE_DIM(offs));
	assert_int_equal(st()->rst_accepted, 0);
	expect_rst_closes(&c, at_server_ack ? c.client_isn + 1 : end);
	world_end();
}

static void test_rst_v4(void **s) { (void)s; rst_case(4, 5000, false); }
static void test_rst_v6(void **s) { (void)s; rst_case(6, 5000, true); }
static void test_rst_wrap_v4(void **s) { (void)s; rst_case(4, 0xfffffff8u, false); }
static void test_rst_wrap_v6(void **s) { (void)s; rst_case(6, 0xffffffe0u, true); }

/* From the server, an inexact RST goes on to the client (its stack judges
 * it); the flow's state does not change. */
static void
test_rst_lan_inexact(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 44);
	establish(&c);
	seg_in(&c, false, RST, c.server_isn + 1 + 500, 0, 0, NULL, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &r);
	assert_int_equal(r.seq, c.proxy_isn + 1 + 500);
	view_free(&r);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	assert_int_equal(st()->rst_accepted, 0);
	seg_in(&c, false, RST, c.server_isn + 1, 0, 0, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	world_end();
}

/* ================================================================ FIN, data, ACK */

/* A FIN, data or an ACK outside the window (or acknowledging data the
 * server never sent, or far too old) is dropped as seg_out_of_window and
 * moves nothing: no FIN_WAIT, and the old exact sequence still closes. */
static void
seg_case(int family, uint32_t client_isn, uint32_t server_isn)
{
	struct conn c;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 45);
	c.client_isn = client_isn;
	c.server_isn = server_isn;
	establish(&c);
	/* the server's window: 29200 (SYN-ACK): below the 65535 floor; the
	 * client's: cli_ackwin << cli_ws, what the server may have in flight */
	uint32_t end = c.client_isn + 1, pack = c.proxy_isn + 1;
	uint32_t cwin = (uint32_t)c.cli_ackwin << c.cli_ws;
	struct { uint8_t fl; uint32_t seq, ack; uint16_t len; } bad[] = {
		{ FIN | ACK, end + 0x10000000u, pack, 0 },
		{ FIN | ACK, end - 0x10000000u, pack, 0 },
		{ ACK, end + 65536, pack, 100 },           /* just past the floor */
		{ ACK, end - 65536, pack, 100 },
		{ ACK, end + 0x7fffffffu, pack, 1000 },
		{ ACK, end, pack + 1, 10 },                /* acks a byte never sent */
		{ ACK, end, pack + 0x20000000u, 10 },
		{ FIN | ACK, end, pack - 2 * cwin - 1, 0 }, /* too old */
		{ 0, end + 0x30000000u, 0, 50 },           /* no ACK flag */
	};
	for (unsigned i = 0; i < RTE_DIM(bad); i++)
		seg_in(&c, true, bad[i].fl, bad[i].seq, bad[i].ack, 1000, NULL, bad[i].len);
	expect_tx(0, 0);
	assert_int_equal(st()->seg_out_of_window, RTE_DIM(bad));
	assert_int_equal(st()->fin_seen, 0);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);

	/* the same from the server's side */
	seg_in(&c, false, FIN | ACK, c.server_isn + 1 + 0x20000000u, end, 100, NULL, 0);
	seg_in(&c, false, ACK, c.server_isn + 1, end + 5, 100, NULL, 10);
	expect_tx(0, 0);
	assert_int_equal(st()->seg_out_of_window, RTE_DIM(bad) + 2);

	/* in the window at its edges (had any of the above moved the edge,
	 * these would be out): passed */
	seg_in(&c, true, ACK, end - 65535, pack - 2 * cwin, 1000, NULL, 0);
	seg_in(&c, true, ACK, end + 65535, pack, 1000, NULL, 0);
	expect_tx(2, 0);
	world_tx_drop();
	world_end();
}

static void test_seg_v4(void **s) { (void)s; seg_case(4, 100, 200); }
static void test_seg_v6(void **s) { (void)s; seg_case(6, 100, 200); }
static void test_seg_wrap_v4(void **s) { (void)s; seg_case(4, 0xffff0000u, 0xfffffff0u); }
static void test_seg_wrap_v6(void **s) { (void)s; seg_case(6, 0xfffffffeu, 0xffff8000u); }

/* An in-window FIN does close, and a larger window widens what passes. */
static void
test_fin_in_window_and_wide_window(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 46);
	establish(&c);
	uint32_t end = c.client_isn + 1, pack = c.proxy_isn + 1;
	/* the server opens its window to 4000 << 7 = 512000 bytes */
	seg_in(&c, false, ACK, c.server_isn + 1, end, 4000, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	seg_in(&c, true, ACK, end + 500000, pack, 1000, NULL, 10);   /* in the window now */
	expect_tx(1, 0);
	world_tx_drop();
	seg_in(&c, true, ACK, end + 500010 + 520000, pack, 1000, NULL, 10);   /* not */
	expect_tx(0, 0);
	assert_int_equal(st()->seg_out_of_window, 1);
	seg_in(&c, true, FIN | ACK, end + 500010, pack, 1000, NULL, 0);
	expect_tx(1, 0);
	world_tx_drop();
	assert_int_equal(nstate(FLOW_S_FIN_WAIT), 1);
	world_end();
}

/* ================================================================ pass-through */

/* A LAN-initiated flow gets the same rules: a blind SYN or inexact RST from
 * the WAN draws a challenge ACK (no timestamp: pass-through clocks are not
 * tracked), out-of-window segments are dropped, the exact RST closes. Before
 * the handshake completes, only the SYN-ACK or RST acknowledging the LAN
 * SYN counts. */
static void
pass_case(int family)
{
	struct conn c;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 47);
	c.sport = 45000;   /* the LAN host's port */
	c.cport = 443;
	struct optspec so = { .mss = 1460, .ws_on = true, .ws = 7 };
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, SYN, 0xfffffff0u, 0, 64240, &so, 0));
	/* blind segments before the SYN-ACK: dropped, still LAN_SYN */
	seg_in(&c, true, RST | ACK, 1234, 0xfffffff0u + 2, 0, NULL, 0);
	seg_in(&c, true, RST, 1234, 0, 0, NULL, 0);
	seg_in(&c, true, SYN_ACK, 1234, 0xfffffff0u + 5, 65535, NULL, 0);
	seg_in(&c, true, ACK, 1234, 0xfffffff1u, 65535, NULL, 10);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 2);
	assert_int_equal(st()->seg_out_of_window, 2);
	assert_int_equal(nstate(FLOW_S_LAN_SYN), 1);

	struct optspec ro = { .mss = 1400, .ws_on = true, .ws = 8 };
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, SYN_ACK, 7000, 0xfffffff1u, 65160, &ro, 0));
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	/* the SYN-ACK again (the LAN host's ACK was lost): passed */
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, SYN_ACK, 7000, 0xfffffff1u, 65160, &ro, 0));
	expect_bridged(ROLE_LAN, seg_mbuf(&c, false, ACK, 0xfffffff1u, 7001, 502, NULL, 30));
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, ACK, 7001, 0xfffffff1u + 30, 509, NULL, 0));

	/* blind SYN and inexact RST: challenge ACKs in the WAN host's view */
	seg_in(&c, true, SYN, 99, 0, 1000, NULL, 0);
	expect_challenge(&c, false, 0xfffffff1u + 30, 7001, false, 0, 0);
	world.now_ms += CHALLENGE_ACK_GAP * 16;   /* one challenge ACK per flow per gap */
	seg_in(&c, true, RST, 7001 + 3000, 0, 0, NULL, 0);
	expect_challenge(&c, false, 0xfffffff1u + 30, 7001, false, 0, 0);
	/* out of the window */
	seg_in(&c, true, RST, 7001 + 0x10000000u, 0, 0, NULL, 0);
	seg_in(&c, true, FIN | ACK, 7001 - 0x10000000u, 0xfffffff1u + 30, 509, NULL, 0);
	seg_in(&c, true, ACK, 7001, 0xfffffff1u + 31, 509, NULL, 10);
	expect_tx(0, 0);
	assert_int_equal(st()->rst_out_of_window, 3);
	assert_int_equal(st()->seg_out_of_window, 4);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	/* the exact RST */
	expect_bridged(ROLE_WAN, seg_mbuf(&c, true, RST, 7001, 0, 0, NULL, 0));
	assert_int_equal(nstate(FLOW_S_CLOSED), 1);
	world_end();
}

static void test_pass_v4(void **s) { (void)s; pass_case(4); }
static void test_pass_v6(void **s) { (void)s; pass_case(6); }

int
main(void)
{
#define T(f) cmocka_unit_test_teardown(f, world_teardown)
	const struct CMUnitTest tests[] = {
		T(test_syn_v4),
		T(test_syn_v6),
		T(test_syn_wrap_v4),
		T(test_syn_time_wait_restarts),
		T(test_challenge_per_flow),
		T(test_syn_chained),
		T(test_rst_v4),
		T(test_rst_v6),
		T(test_rst_wrap_v4),
		T(test_rst_wrap_v6),
		T(test_rst_lan_inexact),
		T(test_seg_v4),
		T(test_seg_v6),
		T(test_seg_wrap_v4),
		T(test_seg_wrap_v6),
		T(test_fin_in_window_and_wide_window),
		T(test_pass_v4),
		T(test_pass_v6),
	};

	return cmocka_run_group_tests_name("synproxy_blind", tests, world_eal_setup, world_eal_teardown);
}
