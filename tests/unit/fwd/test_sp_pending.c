/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_pending.c - retransmission of the SYNs sent to servers and housekeeping
 * (fwd/synproxy_pending.c), on the ms clock the test moves.
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

#include "config.h"
#include "parse.h"
#include "syncookie/cookie.h"
#include "../common/pktbuild.h"
#include "sp_harness.h"

/* ================================================================ SYN retransmission */

static void
tweak_retx(struct cfg_synproxy *c)
{
	c->syn_retransmit_ms = 100;
	c->syn_retries = 2;
}

/* Retransmissions are rebuilt from the flow, its key and the slot's L2
 * header and window: byte for byte the first SYN, for IPv4 and IPv6, with
 * and without VLAN tags and options; between them no mbuf is held; the
 * give-up RSTs are built from the SYN rebuilt. */
static void
syn_retransmit_case(int family, uint8_t nb_vlan, uint8_t ws, bool sack, bool ts)
{
	struct conn c;
	struct view syn;
	uint8_t orig[256];

	world_start(CFG_MODE_COOKIE, tweak_retx);
	conn_init(&c, family, 26);
	c.nb_vlan = nb_vlan;
	c.cli_ws = ws;
	c.cli_sack = sack;
	c.cli_ts = ts;
	syn_ok(&c);
	do_ack3(&c, &syn);
	uint16_t len = syn.m->data_len;
	memcpy(orig, syn.f, len);
	view_free(&syn);
	unsigned in_use = rte_mempool_in_use_count(world.mp);
	assert_int_equal(occ().pending_syn, 1);

	/* retransmissions at +100 and +300 (backoff), identical to the first */
	static const struct { uint32_t at; uint16_t n; } steps[] = {
		{ 99, 0 }, { 100, 1 }, { 299, 0 }, { 300, 1 }, { 699, 0 },
	};
	for (unsigned i = 0; i < RTE_DIM(steps); i++) {
		world.now_ms = T0 + steps[i].at;
		sweep();
		expect_tx(steps[i].n, 0);
		if (steps[i].n) {
			struct rte_mbuf *m = tx_pop(ROLE_LAN);
			assert_int_equal(m->data_len, len);
			assert_memory_equal(rte_pktmbuf_mtod(m, void *), orig, len);
			view_parse(m, &syn);
			view_free(&syn);
		}
		assert_int_equal(rte_mempool_in_use_count(world.mp), in_use);
	}
	assert_int_equal(st()->syn_to_server_retx, 2);
	assert_int_equal(occ().pending_syn, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);

	/* the wait after the last one (400 ms) is over: 100 * (2^3 - 1) = 700 ms
	 * after the first SYN, both ends are reset in their own spaces */
	assert_int_equal(config_syn_giveup_ms(&world.cfg.synproxy), 700);
	world.now_ms = T0 + 700;
	sweep();
	expect_tx(1, 1);
	struct view r;
	view_take(ROLE_LAN, &r);
	assert_dir(&r, &c, true);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(r.seq, c.client_isn + 1);
	view_free(&r);
	view_take(ROLE_WAN, &r);
	assert_dir(&r, &c, false);
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG | ACK);
	assert_int_equal(r.seq, c.proxy_isn + 1);
	assert_int_equal(r.ack, c.client_isn + 1);
	view_free(&r);
	assert_int_equal(nflows(), 0);
	assert_int_equal(occ().pending_syn, 0);
	assert_int_equal(st()->syn_to_server_timeout, 1);
	assert_int_equal(st()->syn_timeout_rst, 1);
	world.now_ms = T0 + world.cfg.synproxy.timeout_syn_sent * 1000 + 1;
	sweep();
	expect_tx(0, 0);
	assert_int_equal(st()->syn_to_server_timeout, 1);
	world_end();
}

static void
test_syn_retransmit(void **state)
{
	(void)state;
	syn_retransmit_case(4, 0, 7, true, true);
}

static void
test_syn_retransmit_v6_qinq(void **state)
{
	(void)state;
	syn_retransmit_case(6, 2, 7, true, true);
}

static void
test_syn_retransmit_v4_vlan_bare(void **state)
{
	(void)state;
	syn_retransmit_case(4, 1, WS_NONE, false, false);
}

/* No retries: the client is still reset, after one retransmit interval. */
static void
tweak_no_retry(struct cfg_synproxy *c)
{
	c->syn_retransmit_ms = 250;
	c->syn_retries = 0;
}

static void
test_syn_no_retries_reset(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	world_start(CFG_MODE_COOKIE, tweak_no_retry);
	conn_init(&c, 6, 28);
	c.nb_vlan = 1;
	syn_ok(&c);
	ack3_ok(&c);
	world.now_ms = T0 + 249;
	sweep();
	expect_tx(0, 0);
	world.now_ms = T0 + 250;
	sweep();
	expect_tx(1, 1);
	view_take(ROLE_WAN, &r);
	assert_dir(&r, &c, false);   /* VLAN tag kept, addresses turned round */
	assert_int_equal(r.flags, RTE_TCP_RST_FLAG | ACK);
	assert_int_equal(r.seq, c.proxy_isn + 1);
	view_free(&r);
	world_tx_drop();
	assert_int_equal(st()->syn_to_server_retx, 0);
	assert_int_equal(st()->syn_timeout_rst, 1);
	assert_int_equal(nflows(), 0);
	world_end();
}

/* Without a pending slot there is nothing to build a RST from: the flow just
 * expires when timeouts.syn_sent says. */
static void
tweak_short(struct cfg_synproxy *c)
{
	c->syn_retransmit_ms = 100;
	c->syn_retries = 1;
	c->timeout_syn_sent = 1;
}

static void
test_syn_sent_expiry_after_giveup(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, tweak_short);
	conn_init(&c, 4, 29);
	syn_ok(&c);
	ack3_ok(&c);
	world.now_ms = T0 + 100;
	sweep();
	expect_tx(1, 0);
	world_tx_drop();
	/* 300 ms: give up, well before the 1 s flow timeout */
	world.now_ms = T0 + 300;
	sweep();
	expect_tx(1, 1);
	world_tx_drop();
	assert_int_equal(st()->syn_timeout_rst, 1);
	assert_int_equal(st()->flows_expired, 0);
	world_end();
}

/* The server's answer stops the retransmissions. */
static void
test_syn_retransmit_stops_on_synack(void **state)
{
	struct conn c;
	struct view a, u;

	(void)state;
	world_start(CFG_MODE_COOKIE, tweak_retx);
	conn_init(&c, 6, 27);
	syn_ok(&c);
	ack3_ok(&c);
	world.now_ms = T0 + 100;
	sweep();
	expect_tx(1, 0);
	world_tx_drop();
	do_server_synack(&c, &a, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(occ().pending_syn, 0);
	world.now_ms = T0 + 300;
	sweep();
	world.now_ms = T0 + 5000;
	sweep();
	expect_tx(0, 0);
	assert_int_equal(st()->syn_to_server_retx, 1);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	world_end();
}

/* ================================================================ main */

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_syn_retransmit),
		T(test_syn_retransmit_v6_qinq),
		T(test_syn_retransmit_v4_vlan_bare),
		T(test_syn_retransmit_stops_on_synack),
		T(test_syn_no_retries_reset),
		T(test_syn_sent_expiry_after_giveup),
	};

	return cmocka_run_group_tests_name("synproxy_pending", tests, world_eal_setup, world_eal_teardown);
}
