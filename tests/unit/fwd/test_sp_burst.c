/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_burst.c - the burst step (fwd/synproxy.c): odd frames bridged or dropped, table and
 * rate limits, mode switches, several segments of one flow in one burst.
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

/* ================================================================ odd frames */

static struct rte_mbuf *
l4_frame(int family, uint8_t proto, uint16_t payload, bool from_client)
{
	struct conn c;
	struct pb_spec s;

	conn_init(&c, family, 30);
	memset(&s, 0, sizeof(s));
	s.family = family;
	s.proto = proto;
	memcpy(s.src, from_client ? c.cli : c.srv, 16);
	memcpy(s.dst, from_client ? c.srv : c.cli, 16);
	s.sport = 5353;
	s.dport = 53;
	s.payload = payload;
	struct rte_mbuf *m = pb_mbuf(world.mp, &s);
	assert_non_null(m);
	set_macs(m, from_client);
	return m;
}

static struct rte_mbuf *
arp_frame(void)
{
	uint8_t f[60];
	struct rte_ether_hdr eth;
	struct rte_arp_hdr arp;

	memset(f, 0, sizeof(f));
	memset(&eth, 0, sizeof(eth));
	memset(&arp, 0, sizeof(arp));
	memset(&eth.dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eth.src_addr = cli_mac;
	eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp.arp_hlen = RTE_ETHER_ADDR_LEN;
	arp.arp_plen = 4;
	arp.arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp.arp_data.arp_sha = cli_mac;
	arp.arp_data.arp_sip = rte_cpu_to_be_32(0xc6120001);
	arp.arp_data.arp_tip = rte_cpu_to_be_32(0x0a00000a);
	memcpy(f, &eth, sizeof(eth));
	memcpy(f + sizeof(eth), &arp, sizeof(arp));

	struct rte_mbuf *m = rte_pktmbuf_alloc(world.mp);
	assert_non_null(m);
	memcpy(rte_pktmbuf_mtod(m, void *), f, sizeof(f));
	m->data_len = m->pkt_len = sizeof(f);
	return m;
}

static void
test_non_tcp_bridged(void **state)
{
	(void)state;
	world_start(CFG_MODE_AUTO, NULL);
	expect_bridged(ROLE_WAN, l4_frame(4, IPPROTO_UDP, 30, true));
	expect_bridged(ROLE_LAN, l4_frame(6, IPPROTO_UDP, 30, false));
	expect_bridged(ROLE_WAN, l4_frame(4, IPPROTO_ICMP, 16, true));
	expect_bridged(ROLE_LAN, l4_frame(4, IPPROTO_ICMP, 16, false));
	expect_bridged(ROLE_WAN, l4_frame(6, IPPROTO_ICMPV6, 16, true));
	assert_int_equal(st()->non_tcp_pass, 5);
	expect_bridged(ROLE_WAN, arp_frame());
	expect_bridged(ROLE_LAN, arp_frame());
	assert_int_equal(world.tx.fwd[ROLE_WAN], 4);
	assert_int_equal(world.tx.fwd[ROLE_LAN], 3);
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->syn_received, 0);
	world_end();
}

/* Turn a built IPv4 frame into a fragment (MF and/or offset). */
static void
make_v4_frag(struct rte_mbuf *m, uint16_t frag_field)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  sizeof(struct rte_ether_hdr));
	ip->fragment_offset = rte_cpu_to_be_16(frag_field);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Turn a built IPv6 frame with one extension header into a fragment. */
static void
make_v6_frag(struct rte_mbuf *m)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof(struct rte_ether_hdr));
	uint8_t *fh = ip + sizeof(struct rte_ipv6_hdr);

	((struct rte_ipv6_hdr *)ip)->proto = IPPROTO_FRAGMENT;
	/* next header stays; offset 0, M = 1, some identification */
	fh[1] = 0;
	fh[2] = 0;
	fh[3] = 1;
	fh[4] = 0x12;
	fh[5] = 0x34;
	fh[6] = 0x56;
	fh[7] = 0x78;
}

static void
test_fragments(void **state)
{
	struct conn c;
	struct optspec o;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 31);
	o = conn_syn_opts(&c);

	struct rte_mbuf *m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	make_v4_frag(m, RTE_IPV4_HDR_MF_FLAG);
	rx1(ROLE_WAN, m);
	m = seg_mbuf(&c, true, ACK, 1, 2, 100, NULL, 0);
	make_v4_frag(m, 100);   /* a later fragment */
	rx1(ROLE_WAN, m);
	struct conn c6;
	conn_init(&c6, 6, 32);
	c6.v6_ext = 1;
	o = conn_syn_opts(&c6);
	m = seg_mbuf(&c6, true, RTE_TCP_SYN_FLAG, c6.client_isn, 0, 100, &o, 0);
	make_v6_frag(m);
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->fragment_drop, 3);
	assert_int_equal(st()->syn_received, 0);

	/* from the LAN, and non-TCP fragments from the WAN: bridged */
	m = seg_mbuf(&c, false, ACK, 1, 2, 100, NULL, 100);
	make_v4_frag(m, RTE_IPV4_HDR_MF_FLAG);
	expect_bridged(ROLE_LAN, m);
	m = l4_frame(4, IPPROTO_UDP, 100, true);
	make_v4_frag(m, RTE_IPV4_HDR_MF_FLAG);
	expect_bridged(ROLE_WAN, m);
	assert_int_equal(st()->fragment_pass, 2);
	assert_int_equal(nflows(), 0);
	world_end();
}

/* Set the fragment field (offset << 3 | M) of a make_v6_frag frame. */
static void
set_v6_frag_field(struct rte_mbuf *m, uint16_t field)
{
	uint8_t *fh = rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof(struct rte_ether_hdr) +
					      sizeof(struct rte_ipv6_hdr));
	fh[2] = field >> 8;
	fh[3] = field & 0xff;
}

/* IPv6 chains through a Fragment header: Fragment -> Destination options ->
 * TCP. A first fragment is dropped from the WAN, a later one bridged, an
 * atomic one is an ordinary SYN that the proxy answers; a chain with an
 * extension header the parser cannot walk is dropped as malformed. */
static void
test_ipv6_fragment_chains(void **state)
{
	struct conn c;
	struct optspec o;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 6, 37);
	c.v6_ext = 2;
	o = conn_syn_opts(&c);

	struct rte_mbuf *m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	make_v6_frag(m);   /* offset 0, M = 1 */
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->fragment_drop, 1);

	m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	make_v6_frag(m);
	set_v6_frag_field(m, 100 << 3);   /* a later (last) fragment */
	expect_bridged(ROLE_WAN, m);
	assert_int_equal(st()->fragment_pass, 1);

	m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr))->proto = 253;
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->bad_drop, 1);
	assert_int_equal(st()->syn_received, 0);

	m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	make_v6_frag(m);
	set_v6_frag_field(m, 0);   /* atomic */
	rx1(ROLE_WAN, m);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &sa);
	assert_int_equal(sa.flags, SYN_ACK);
	assert_int_equal(sa.ack, c.client_isn + 1);
	assert_int_equal(sa.m->data_len, 14 + 40 + sa.mt.tcp_hlen);
	view_free(&sa);
	assert_int_equal(st()->syn_received, 1);
	assert_int_equal(st()->fragment_drop, 1);
	assert_int_equal(nflows(), 0);
	world_end();
}


static void
test_malformed(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 33);
	struct optspec o = conn_syn_opts(&c);

	/* TCP data offset below 5 */
	struct rte_mbuf *m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	struct pkt_meta mt;
	pkt_parse(m, &mt);
	rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, mt.l4_off)->data_off = 0x40;
	rx1(ROLE_WAN, m);
	/* IP total length beyond the frame */
	m = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 100, &o, 0);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->total_length = rte_cpu_to_be_16(1400);
	rx1(ROLE_WAN, m);
	/* a frame cut inside the IPv6 header */
	struct conn c6;
	conn_init(&c6, 6, 34);
	m = seg_mbuf(&c6, true, RTE_TCP_SYN_FLAG, c6.client_isn, 0, 100, NULL, 0);
	m->data_len = m->pkt_len = 14 + 30;
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->bad_drop, 3);

	/* the same from the LAN: bridged untouched */
	m = seg_mbuf(&c, false, ACK, 1, 2, 100, NULL, 0);
	pkt_parse(m, &mt);
	rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, mt.l4_off)->data_off = 0x40;
	expect_bridged(ROLE_LAN, m);
	assert_int_equal(st()->bad_pass, 1);
	/* a frame shorter than an Ethernet header: no IP at all, bridged */
	m = seg_mbuf(&c, false, ACK, 1, 2, 100, NULL, 0);
	m->data_len = m->pkt_len = 10;
	expect_bridged(ROLE_LAN, m);
	assert_int_equal(nflows(), 0);
	world_end();
}

/* VLAN tags (one, then 802.1ad + 802.1Q) stay on every frame, replies included. */
static void
vlan_case(int family, uint8_t nb_vlan)
{
	struct conn c;
	struct view sa, syn, ack, upd;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 35);
	c.nb_vlan = nb_vlan;
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.mt.l3_off, 14 + 4 * nb_vlan);
	view_free(&sa);
	do_ack3(&c, &syn);
	assert_dir(&syn, &c, true);
	view_free(&syn);
	do_server_synack(&c, &ack, &upd);
	assert_dir(&ack, &c, true);
	assert_dir(&upd, &c, false);
	view_free(&ack);
	view_free(&upd);
	exchange(&c, 0, 0, 1);
	world_end();
}

static void test_vlan_one_tag(void **s) { (void)s; vlan_case(4, 1); }
static void test_vlan_two_tags(void **s) { (void)s; vlan_case(4, 2); }
static void test_vlan_two_tags_v6(void **s) { (void)s; vlan_case(6, 2); }

/* IPv4 options / IPv6 extension headers: our replies carry none; the
 * translated segments keep them. */
static void
l3_extras_case(int family)
{
	struct conn c;
	struct view sa, syn, ack, upd, d;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 36);
	if (family == 4)
		c.ipv4_optlen = 8;
	else
		c.v6_ext = 1;
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.m->data_len, 14 + (family == 4 ? 20 : 40) + sa.mt.tcp_hlen);
	view_free(&sa);
	do_ack3(&c, &syn);
	assert_clean_l3(&syn);
	view_free(&syn);
	do_server_synack(&c, &ack, &upd);
	assert_clean_l3(&ack);
	assert_clean_l3(&upd);
	view_free(&ack);
	view_free(&upd);

	struct optspec so = ts_opt(c.srv_tsval + 1, c.cli_tsval + 1);
	seg_in(&c, false, ACK, c.server_isn + 1, c.client_isn + 1, 100, &so, 33);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &d);
	if (family == 4)
		assert_int_equal(d.ip4->version_ihl, 0x45 + 2);
	else
		assert_true(d.mt.flags & PKT_F_EXTHDR);
	assert_int_equal(d.seq, c.proxy_isn + 1);
	assert_payload(&d, 33);
	view_free(&d);
	world_end();
}

static void test_ipv4_options(void **s) { (void)s; l3_extras_case(4); }
static void test_ipv6_ext_header(void **s) { (void)s; l3_extras_case(6); }

/* ================================================================ limits */

/* All the test's clients share a /24: the per-prefix caps would refuse
 * them long before the table is full (test_sp_limits.c tests those). */
static void
no_prefix_caps(struct cfg_synproxy *c)
{
	c->max_flows_per_prefix = 0;
	c->max_half_open_per_prefix = 0;
}

static void
test_flow_table_full(void **state)
{
	struct conn first, c;
	uint32_t ok = 0;

	(void)state;
	world_start(CFG_MODE_COOKIE, no_prefix_caps);
	conn_init(&first, 4, 100);
	syn_ok(&first);
	ack3_ok(&first);
	ok++;
	/* Cuckoo buckets can refuse a key before the table is at capacity, so
	 * fill until every slot is taken: then any insert must fail. */
	for (uint32_t id = 101; id < 4000 && nflows() < occ().flow_capacity; id++) {
		conn_init(&c, 4, id);
		syn_ok(&c);
		send_ack3(&c, 0);
		if (world.tx.q[ROLE_LAN].n == 1)
			ok++;
		world_tx_drop();
	}
	uint64_t full_before = st()->flow_full;
	assert_int_equal(nflows(), ok);
	assert_int_equal(ok, occ().flow_capacity);

	/* still full: another validated handshake is refused */
	conn_init(&c, 4, 1400);
	syn_ok(&c);   /* SYNs are still answered: they cost no state */
	send_ack3(&c, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->flow_full, full_before + 1);
	/* a LAN SYN cannot be tracked either */
	struct conn l;
	conn_init(&l, 4, 1401);
	seg_in(&l, false, RTE_TCP_SYN_FLAG, 1, 0, 100, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->flow_full, full_before + 2);

	/* existing flows still complete and translate */
	struct view a, u;
	do_server_synack(&first, &a, &u);
	view_free(&a);
	view_free(&u);
	exchange(&first, 0, 0, 1);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	world_end();
}

static void
tweak_rl(struct cfg_synproxy *c)
{
	c->ratelimit_rate = 1;
	c->ratelimit_burst = 5;
}

static void
test_ratelimit(void **state)
{
	struct conn c[8];

	(void)state;
	world_start(CFG_MODE_COOKIE, tweak_rl);
	/* five from 198.18.7.0/24 get through */
	for (int i = 0; i < 5; i++) {
		conn_init(&c[i], 4, 0x0701 + i);
		syn_ok(&c[i]);
	}
	/* the sixth from that /24 does not */
	conn_init(&c[5], 4, 0x07c8);
	send_syn(&c[5]);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_ratelimited, 1);
	/* another /24 does */
	conn_init(&c[6], 4, 0x0801);
	syn_ok(&c[6]);
	/* a completed handshake gives its token back */
	ack3_ok(&c[0]);
	syn_ok(&c[5]);
	send_syn(&c[5]);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_ratelimited, 2);
	/* one token per second */
	world.now_ms += 1000;
	syn_ok(&c[5]);
	send_syn(&c[5]);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_ratelimited, 3);
	world_end();
}

/* A rate-limited SYN is not a bad SYN (syn_bad: "bad checksum, options or flags"). */
static void
test_ratelimit_not_counted_bad(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, tweak_rl);
	for (int i = 0; i < 6; i++) {
		conn_init(&c, 4, 0x0901 + i);
		send_syn(&c);
	}
	expect_tx(0, 5);
	assert_int_equal(st()->syn_ratelimited, 1);
	assert_int_equal(st()->syn_bad, 0);
	world_end();
}

static void
tweak_auto(struct cfg_synproxy *c)
{
	c->auto_syn_rate = 10;
}

static void
test_auto_mode_switch(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_AUTO, tweak_auto);
	for (uint32_t i = 0; i < 20; i++) {
		conn_init(&c, 4, 0x0a00 + i);
		syn_ok(&c);
	}
	/* the 10th SYN within the second reaches the rate: cookies from there */
	assert_int_equal(st()->synack_sent_cache, 9);
	assert_int_equal(st()->synack_sent_cookie, 11);
	assert_int_equal(occ().syn_cache, 9);
	assert_true(occ().under_attack);
	/* a cookie-only connection still completes */
	ack3_ok(&c);
	assert_int_equal(st()->ack_cookie_ok, 1);
	/* quiet for two seconds: back to caching */
	world.now_ms += 2500;
	conn_init(&c, 4, 0x0b00);
	syn_ok(&c);
	assert_int_equal(st()->synack_sent_cache, 10);
	assert_false(occ().under_attack);
	world_end();
}

/* ================================================================ cache mode, entry lost */

/*
 * Cache mode, client without timestamps: the SYN-ACK announces window scale
 * (and SACK), which only the cache remembers. If the entry is gone when the
 * ACK comes (expired here; evicted under load likewise) the connection must
 * not end up with windows the client reads 2^wscale times too large.
 */
static void
test_cache_lost_entry_no_ts_reset(void **state)
{
	struct conn c;
	struct view sa, rst;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 4, 37);
	c.cli_ts = false;
	do_syn(&c, &sa);
	assert_int_equal(sa.o.wscale, world.cfg.synproxy.default_wscale);
	view_free(&sa);
	assert_int_equal(occ().syn_cache, 1);

	/* the cache keeps entries two cookie periods of the worker clock; the
	 * cookie's age is real time, so it still validates: the same as an
	 * entry evicted from a full cache */
	world.now_ms += world.cfg.synproxy.cookie_period * 2000 + 1;
	sweep();
	assert_int_equal(occ().syn_cache, 0);

	/* The SYN-ACK's scale came from the lost entry and no timestamp
	 * carries it: no guess, the client is reset (it reconnects). */
	send_ack3(&c, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &rst);
	assert_dir(&rst, &c, false);
	assert_int_equal(rst.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(rst.seq, c.proxy_isn + 1);
	view_free(&rst);
	assert_int_equal(st()->ack_cache_miss, 1);
	assert_int_equal(st()->ack_cookie_ok + st()->ack_cache_ok, 0);
	assert_int_equal(nflows(), 0);

	/* Its reconnection works as ever. */
	c.client_isn += 1000;
	syn_ok(&c);
	ack3_ok(&c);
	assert_int_equal(st()->ack_cache_ok, 1);
	world_end();
}

/* The same loss with timestamps: the TS cookie holds what the SYN-ACK said. */
static void
test_cache_lost_entry_ts_from_cookie(void **state)
{
	struct conn c;
	struct view sa, syn, ack, upd;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 6, 38);
	do_syn(&c, &sa);
	uint8_t told = sa.o.wscale;
	view_free(&sa);
	world.now_ms += world.cfg.synproxy.cookie_period * 2000 + 1;
	sweep();
	assert_int_equal(occ().syn_cache, 0);
	do_ack3(&c, &syn);
	assert_int_equal(syn.o.wscale, c.cli_ws);
	assert_int_equal(syn.o.sack_perm, c.cli_sack);
	view_free(&syn);
	assert_int_equal(st()->ack_cookie_ok, 1);
	assert_int_equal(st()->ack_cache_miss, 0);
	do_server_synack(&c, &ack, &upd);
	assert_true(((uint32_t)upd.win << told) <= c.srv_win);
	view_free(&ack);
	view_free(&upd);
	world_end();
}

/* SYN+FIN is no connection request (Linux drops it in LISTEN). */
static void
test_syn_fin_dropped(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 38);
	struct optspec o = conn_syn_opts(&c);
	seg_in(&c, true, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, c.client_isn, 0, 100, &o, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_bad, 1);
	world_end();
}

/*
 * The SYN-ACK told the client the scale learned (or not yet learned) at
 * SYN time. If another connection teaches the proxy the server's real scale
 * before this client's ACK comes back, the flow must still translate windows
 * into the scale this client was told.
 */
static void
test_learning_between_syn_and_ack(void **state)
{
	struct conn a, b;
	struct view ack, upd;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&a, 4, 40);
	a.srv_ws = 2;
	syn_ok(&a);
	assert_int_equal(a.proxy_ws, 7);   /* nothing learned yet: the default */

	conn_init(&b, 4, 41);
	b.srv_ws = 2;
	establish(&b);                     /* learns scale 2 for this server */

	ack3_ok(&a);
	do_server_synack(&a, &ack, &upd);
	/* a reads every window << 7 */
	assert_true(((uint32_t)upd.win << a.proxy_ws) <= a.srv_win);
	view_free(&ack);
	view_free(&upd);
	uint16_t seen = server_window_seen(&a, 1000);
	assert_true(((uint32_t)seen << a.proxy_ws) <= (1000u << 2));
	assert_int_equal(seen, (1000u << 2) >> 7);
	world_end();
}

/* Frames of several flows in one burst, each handled in arrival order. */
static void
test_burst_mixed(void **state)
{
	struct conn c1, c2, c3;
	struct rte_mbuf *b[4];
	struct view v;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c1, 4, 42);
	conn_init(&c2, 6, 43);
	conn_init(&c3, 4, 44);
	syn_ok(&c1);
	syn_ok(&c3);
	struct optspec t1 = ts_opt(c1.cli_tsval + 1, c1.proxy_tsval);
	struct optspec t3 = ts_opt(c3.cli_tsval + 1, c3.proxy_tsval);
	struct optspec o2 = conn_syn_opts(&c2);
	b[0] = seg_mbuf(&c1, true, ACK, c1.client_isn + 1, c1.proxy_isn + 1, 1000, &t1, 0);
	b[1] = seg_mbuf(&c1, true, ACK, c1.client_isn + 1, c1.proxy_isn + 1, 1000, &t1, 10);
	b[2] = seg_mbuf(&c2, true, RTE_TCP_SYN_FLAG, c2.client_isn, 0, 1000, &o2, 0);
	b[3] = seg_mbuf(&c3, true, ACK, c3.client_isn + 1, c3.proxy_isn + 1, 1000, &t3, 0);
	rx(ROLE_WAN, b, 4);
	expect_tx(2, 1);
	view_take(ROLE_LAN, &v);
	assert_dir(&v, &c1, true);
	assert_int_equal(v.flags & ~ECE_CWR, RTE_TCP_SYN_FLAG);
	view_free(&v);
	view_take(ROLE_LAN, &v);
	assert_dir(&v, &c3, true);
	assert_int_equal(v.flags & ~ECE_CWR, RTE_TCP_SYN_FLAG);
	view_free(&v);
	view_take(ROLE_WAN, &v);
	assert_dir(&v, &c2, false);
	assert_int_equal(v.flags, SYN_ACK);
	view_free(&v);
	/* c1's data right behind its handshake ACK found the new flow */
	assert_int_equal(st()->early_data_drop, 1);
	assert_int_equal(st()->ack_cookie_ok, 2);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 2);
	world_end();
}

/*
 * A flow created by one segment of a burst must be seen by every later
 * segment of that burst, not only by the one right after it.
 */
static void
test_burst_insert_seen_later(void **state)
{
	struct conn c1, c2;
	struct rte_mbuf *b[3];

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c1, 4, 45);
	conn_init(&c2, 4, 46);
	syn_ok(&c1);
	struct optspec t1 = ts_opt(c1.cli_tsval + 1, c1.proxy_tsval);
	struct optspec o2 = conn_syn_opts(&c2);
	b[0] = seg_mbuf(&c1, true, ACK, c1.client_isn + 1, c1.proxy_isn + 1, 1000, &t1, 0);
	b[1] = seg_mbuf(&c2, true, RTE_TCP_SYN_FLAG, c2.client_isn, 0, 1000, &o2, 0);
	b[2] = seg_mbuf(&c1, true, ACK, c1.client_isn + 1, c1.proxy_isn + 1, 1000, &t1, 10);
	rx(ROLE_WAN, b, 3);
	expect_tx(1, 1);
	/* the data found c1's flow in SYN_SENT: early data, not a second handshake */
	assert_int_equal(st()->early_data_drop, 1);
	assert_int_equal(st()->ack_cookie_ok, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	world_end();
}

/*
 * A flow released by one segment of a burst (a new SYN on a TIME_WAIT tuple)
 * must be gone for every later segment: an old segment of that tuple may
 * not reach the server through the freed entry, nor change the counters.
 */
static void
test_burst_release_seen_later(void **state)
{
	struct conn c, c2;
	struct rte_mbuf *b[4];

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 47);
	conn_init(&c2, 4, 48);
	establish(&c);
	seg_in(&c, false, RTE_TCP_FIN_FLAG | ACK, c.server_isn + 1, c.client_isn + 1, 1000, NULL, 0);
	seg_in(&c, true, RTE_TCP_FIN_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 2, 1000, NULL, 0);
	world_tx_drop();
	assert_int_equal(nstate(FLOW_S_TIME_WAIT), 1);

	struct optspec o = conn_syn_opts(&c), o2 = conn_syn_opts(&c2);
	b[0] = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn + 100000, 0, 1000, &o, 0);
	b[1] = seg_mbuf(&c2, true, RTE_TCP_SYN_FLAG, c2.client_isn, 0, 1000, &o2, 0);
	/* (an old ACK with as many bytes acked as sent, ack - seq = C, would pass
	 * the additive cookie once its flow is gone: this one acks fewer) */
	b[2] = seg_mbuf(&c, true, ACK, c.client_isn + 9, c.proxy_isn + 2, 1000, NULL, 50);
	b[3] = seg_mbuf(&c, true, RTE_TCP_RST_FLAG, c.client_isn + 2, 0, 0, NULL, 0);
	rx(ROLE_WAN, b, 4);
	/* two SYN-ACKs; the old ACK fails the cookie check, the RST finds nothing */
	expect_tx(0, 2);
	assert_int_equal(st()->passthrough, 0);
	assert_int_equal(st()->ack_bad_cookie, 1);
	assert_int_equal(st()->wan_no_flow, 1);
	struct synproxy_occupancy o_ = occ();
	assert_int_equal(o_.flows, 0);
	for (unsigned i = 0; i < FLOW_S_MAX; i++)
		assert_int_equal(o_.per_state[i], 0);
	world_end();
}

/* A server without timestamps: the flow stops translating them. */
static void
test_server_without_timestamps(void **state)
{
	struct conn c;
	struct view ack, upd, d;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 49);
	c.srv_ts = false;
	syn_ok(&c);
	ack3_ok(&c);
	assert_true(c.syn_o.ts_present);
	do_server_synack(&c, &ack, &upd);
	assert_false(ack.o.ts_present);
	assert_false(upd.o.ts_present);
	view_free(&ack);
	view_free(&upd);
	/* server data without TS: only seq moves */
	seg_in(&c, false, ACK, c.server_isn + 1, c.client_isn + 1, 1000, NULL, 10);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &d);
	assert_int_equal(d.seq, c.proxy_isn + 1);
	view_free(&d);
	/* the client's TS option goes through untouched */
	struct optspec o = ts_opt(c.cli_tsval + 5, c.proxy_tsval);
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 11, 1000, &o, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &d);
	assert_int_equal(d.ack, c.server_isn + 11);
	assert_int_equal(d.o.tsval, c.cli_tsval + 5);
	assert_int_equal(d.o.tsecr, c.proxy_tsval);
	view_free(&d);
	/* and the next SYN-ACK for this server carries no timestamp (so no
	 * scale or SACK in a pure cookie either) */
	struct conn c2;
	struct view sa;
	conn_init(&c2, 4, 50);
	do_syn(&c2, &sa);
	assert_false(sa.o.ts_present);
	assert_int_equal(sa.o.wscale, WS_NONE);
	view_free(&sa);
	world_end();
}

/* ================================================================ main */

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_non_tcp_bridged),
		T(test_fragments),
		T(test_ipv6_fragment_chains),
		T(test_malformed),
		T(test_vlan_one_tag),
		T(test_vlan_two_tags),
		T(test_vlan_two_tags_v6),
		T(test_ipv4_options),
		T(test_ipv6_ext_header),
		T(test_flow_table_full),
		T(test_ratelimit),
		T(test_ratelimit_not_counted_bad),
		T(test_auto_mode_switch),
		T(test_cache_lost_entry_no_ts_reset),
		T(test_cache_lost_entry_ts_from_cookie),
		T(test_syn_fin_dropped),
		T(test_learning_between_syn_and_ack),
		T(test_burst_mixed),
		T(test_burst_insert_seen_later),
		T(test_burst_release_seen_later),
		T(test_server_without_timestamps),
	};

	return cmocka_run_group_tests_name("synproxy_burst", tests, world_eal_setup, world_eal_teardown);
}
