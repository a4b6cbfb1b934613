/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_icmp.c - ICMP and ICMPv6 errors quoting a proxied connection
 * (fwd/icmp_err.c): the quote is translated into the receiver's sequence
 * space in both directions, blind errors from the WAN are dropped, and
 * everything else is bridged byte for byte.
 *
 * Each error quotes a segment exactly as the proxy sent it (taken from the
 * proxy's own output), the way a router between the proxy and the end host
 * would. Checksums of what comes out are recomputed from scratch: the ICMP
 * one (with the ICMPv6 pseudo-header) and, for a complete quote, the quoted
 * TCP segment's own. (When the quote holds the inner TCP checksum, updating
 * it cancels the change in the ICMP sum: the short quotes are the ones that
 * show the ICMP checksum update.)
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

#define ICMP4_UNREACH      3
#define ICMP4_FRAG_NEEDED  4   /* code */
#define ICMP4_TIME_EXCEEDED 11
#define ICMP6_UNREACH      1
#define ICMP6_PTB          2
#define ICMP6_PARAM_PROBLEM 4
#define ALL                0xffff  /* quote the whole segment */

/* Routers on either side, inside the benchmarking ranges. */
static const uint8_t router4[4] = { 198, 18, 255, 254 };
static const uint8_t router6[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe };

struct quoted {
	uint8_t b[1600];
	uint16_t len;       /* bytes quoted */
	uint16_t l4;        /* offset of the TCP header in b */
	uint16_t full;      /* length of the whole datagram */
};

/* The datagram of a frame the proxy sent, quoted to tcp_bytes of TCP. */
static void
quote_of(const struct view *v, uint16_t tcp_bytes, struct quoted *q)
{
	q->l4 = v->mt.l4_off - v->mt.l3_off;
	q->full = q->l4 + v->mt.l4_len;
	q->len = tcp_bytes == ALL ? q->full : (uint16_t)(q->l4 + tcp_bytes);
	assert_true(q->len <= sizeof(q->b) && q->len <= q->full);
	memcpy(q->b, v->f + v->mt.l3_off, q->len);
}

/* An ICMP error from a router (on the WAN when from_wan) to dst, carrying q. */
static struct rte_mbuf *
icmp_frame(int family, bool from_wan, const uint8_t *dst, uint8_t type, uint8_t code,
	   uint32_t info, const struct quoted *q)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(world.mp);
	assert_non_null(m);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t l3 = sizeof(struct rte_ether_hdr), l4len = 8 + q->len, len;
	uint8_t *icmp;

	memset(f, 0, l3);
	if (family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + l3);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4len);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_ICMP;
		memcpy(&ip->src_addr, router4, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp = (uint8_t *)(ip + 1);
		((struct rte_ether_hdr *)f)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + l3);
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(l4len);
		ip->proto = IPPROTO_ICMPV6;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, router6, 16);
		memcpy(ip->dst_addr, dst, 16);
		icmp = (uint8_t *)(ip + 1);
		((struct rte_ether_hdr *)f)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	}
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	put32(icmp + 4, info);
	memcpy(icmp + 8, q->b, q->len);
	len = (uint16_t)(icmp + l4len - f);
	m->data_len = m->pkt_len = len;
	set_macs(m, from_wan);
	/* checksum, from scratch */
	uint32_t sum = 0;
	if (family == 6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(f + l3);
		sum = __rte_raw_cksum(ip->src_addr, 32, 0);
		sum += rte_cpu_to_be_16(l4len) + rte_cpu_to_be_16((uint16_t)IPPROTO_ICMPV6);
	}
	sum = __rte_raw_cksum(icmp, l4len, sum);
	uint16_t ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	memcpy(icmp + 2, &ck, 2);
	return m;
}

/* The ICMP message of a frame that came out, its checksum recomputed. */
static uint8_t *
icmp_out(struct rte_mbuf *m, int family, uint16_t *l4len)
{
	struct pkt_meta mt;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

	assert_int_equal(pkt_parse(m, &mt) & (PKT_F_BAD | PKT_F_FRAG | PKT_F_L4), PKT_F_L4);
	assert_int_equal(mt.l4proto, family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	uint8_t *icmp = f + mt.l4_off;
	uint32_t sum = 0;
	if (family == 6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(f + mt.l3_off);
		sum = __rte_raw_cksum(ip->src_addr, 32, 0);
		sum += rte_cpu_to_be_16(mt.l4_len) + rte_cpu_to_be_16((uint16_t)IPPROTO_ICMPV6);
	} else {
		assert_int_equal(rte_raw_cksum(f + mt.l3_off, 20), 0xffff);
	}
	sum = __rte_raw_cksum(icmp, mt.l4_len, sum);
	assert_int_equal(__rte_raw_cksum_reduce(sum), 0xffff);
	*l4len = mt.l4_len;
	return icmp;
}

/* The quoted TCP segment's own checksum, recomputed (complete quotes only). */
static void
assert_inner_tcp_ok(int family, const uint8_t *ip, uint16_t l4, uint16_t full)
{
	uint32_t sum;
	uint16_t tcp_len = full - l4;

	if (family == 4)
		sum = __rte_raw_cksum(ip + 12, 8, 0);
	else
		sum = __rte_raw_cksum(ip + 8, 32, 0);
	sum += rte_cpu_to_be_16(tcp_len) + rte_cpu_to_be_16((uint16_t)IPPROTO_TCP);
	sum = __rte_raw_cksum(ip + l4, tcp_len, sum);
	assert_int_equal(__rte_raw_cksum_reduce(sum), 0xffff);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A server segment with 100 bytes at srv_off, as the proxy sent it to the client. */
static void
server_segment_out(struct conn *c, uint32_t srv_off, struct view *v)
{
	seg_in(c, false, ACK | RTE_TCP_PSH_FLAG, c->server_isn + 1 + srv_off, c->client_isn + 1, 100,
	       NULL, 100);
	expect_tx(0, 1);
	view_take(ROLE_WAN, v);
	assert_int_equal(v->seq - c->proxy_isn, srv_off + 1);
}

/* A client segment acking ack_off bytes of the server, as the proxy sent it to the server. */
static void
client_segment_out(struct conn *c, uint32_t ack_off, uint16_t payload, struct view *v)
{
	/* the server's segment up to ack_off first: an ACK of bytes never sent
	 * would be dropped (seg_out_of_window) */
	seg_in(c, false, ACK, c->server_isn + 1 + ack_off, c->client_isn + 1, 100, NULL, 0);
	expect_tx(0, 1);
	world_tx_drop();
	seg_in(c, true, ACK | RTE_TCP_PSH_FLAG, c->client_isn + 1, c->proxy_isn + 1 + ack_off,
	       c->cli_ackwin, NULL, payload);
	expect_tx(1, 0);
	view_take(ROLE_LAN, v);
	assert_int_equal(v->ack - c->server_isn, ack_off + 1);
}

/* ================================================================ from the WAN */

/* A router on the WAN side answers a server segment (as the client would
 * see it) with frag-needed / packet-too-big: the server gets its own seq
 * back, the ack (client space) stays, both checksums verify. */
static void
wan_case(int family, uint8_t optlen_or_ext, uint16_t tcp_bytes)
{
	struct conn c;
	struct view v;
	struct quoted q;
	uint16_t l4len;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 11);
	if (family == 4)
		c.ipv4_optlen = optlen_or_ext;
	else
		c.v6_ext = optlen_or_ext;
	establish(&c);
	server_segment_out(&c, 5000, &v);
	if (family == 4) {
		/* Linux sets DF on TCP; the router quotes it. */
		v.ip4->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		v.ip4->hdr_checksum = 0;
		v.ip4->hdr_checksum = rte_ipv4_cksum(v.ip4);
	}
	quote_of(&v, tcp_bytes, &q);
	uint32_t proxy_seq = v.seq, ack = v.ack;
	uint16_t inner_ck = v.th->cksum;
	view_free(&v);

	rx1(ROLE_WAN, family == 4 ? icmp_frame(4, true, c.srv, ICMP4_UNREACH, ICMP4_FRAG_NEEDED, 1280, &q)
				  : icmp_frame(6, true, c.srv, ICMP6_PTB, 0, 1280, &q));
	expect_tx(1, 0);
	struct rte_mbuf *m = tx_pop(ROLE_LAN);
	uint8_t *icmp = icmp_out(m, family, &l4len);
	assert_int_equal(l4len, 8 + q.len);
	assert_int_equal(get32(icmp + 4), 1280);
	uint8_t *in = icmp + 8;
	/* the quoted IP header and ports are untouched */
	assert_memory_equal(in, q.b, q.l4 + 4);
	uint32_t seq = get32(in + q.l4 + 4);
	assert_int_equal(seq, c.server_isn + 1 + 5000);
	assert_int_equal(seq, proxy_seq - (c.proxy_isn - c.server_isn));
	if (q.len >= q.l4 + 12)
		assert_int_equal(get32(in + q.l4 + 8), ack);
	if (q.len >= q.l4 + 18) {
		uint16_t ck;
		memcpy(&ck, in + q.l4 + 16, 2);
		assert_int_not_equal(ck, inner_ck);
	}
	if (q.len == q.full)
		assert_inner_tcp_ok(family, in, q.l4, q.full);
	/* everything after the fixed fields untouched */
	if (q.len > q.l4 + 18)
		assert_memory_equal(in + q.l4 + 18, q.b + q.l4 + 18, q.len - q.l4 - 18);
	rte_pktmbuf_free(m);
	assert_int_equal(st()->icmp_err_translated, 1);
	assert_int_equal(st()->icmp_err_no_flow, 0);
	assert_int_equal(st()->non_tcp_pass, 0);
	world_end();
}

static void test_wan_frag_needed_v4(void **s) { (void)s; wan_case(4, 0, ALL); }
static void test_wan_frag_needed_v4_ipopt(void **s) { (void)s; wan_case(4, 8, ALL); }
static void test_wan_frag_needed_v4_8bytes(void **s) { (void)s; wan_case(4, 0, 8); }
static void test_wan_frag_needed_v4_rfc792(void **s) { (void)s; wan_case(4, 0, 28); }
static void test_wan_ptb_v6(void **s) { (void)s; wan_case(6, 0, ALL); }
static void test_wan_ptb_v6_exthdr(void **s) { (void)s; wan_case(6, 2, ALL); }
static void test_wan_ptb_v6_12bytes(void **s) { (void)s; wan_case(6, 0, 12); }

/* ================================================================ from the LAN */

/* A router on the LAN side answers a client segment (as the server saw it):
 * the client gets its own ack back when the quote holds it; its seq (the
 * client's own) stays. */
static void
lan_case(int family, uint16_t tcp_bytes)
{
	struct conn c;
	struct view v;
	struct quoted q;
	uint16_t l4len;

	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, family, 12);
	c.v6_ext = family == 6 ? 1 : 0;
	establish(&c);
	client_segment_out(&c, 3000, 200, &v);
	quote_of(&v, tcp_bytes, &q);
	uint32_t seq = v.seq;
	view_free(&v);

	rx1(ROLE_LAN, family == 4 ? icmp_frame(4, false, c.cli, ICMP4_UNREACH, 1, 0, &q)
				  : icmp_frame(6, false, c.cli, ICMP6_UNREACH, 3, 0, &q));
	expect_tx(0, 1);
	struct rte_mbuf *m = tx_pop(ROLE_WAN);
	uint8_t *in = icmp_out(m, family, &l4len) + 8;
	assert_memory_equal(in, q.b, q.l4 + 8);   /* IP header, ports, seq */
	assert_int_equal(get32(in + q.l4 + 4), seq);
	if (q.len >= q.l4 + 12)
		assert_int_equal(get32(in + q.l4 + 8), c.proxy_isn + 1 + 3000);
	else
		assert_memory_equal(in, q.b, q.len);
	if (q.len == q.full)
		assert_inner_tcp_ok(family, in, q.l4, q.full);
	rte_pktmbuf_free(m);
	assert_int_equal(st()->icmp_err_translated, 1);
	world_end();
}

static void test_lan_unreach_v4(void **s) { (void)s; lan_case(4, ALL); }
static void test_lan_unreach_v4_8bytes(void **s) { (void)s; lan_case(4, 8); }
static void test_lan_unreach_v4_12bytes(void **s) { (void)s; lan_case(4, 12); }
static void test_lan_unreach_v6(void **s) { (void)s; lan_case(6, ALL); }
static void test_lan_unreach_v6_8bytes(void **s) { (void)s; lan_case(6, 8); }

/* ================================================================ not translated */

/* Blind errors from the WAN: a quoted seq the server cannot have in flight
 * is dropped; just inside the tolerance, it passes. */
static void
blind_case(int family)
{
	struct conn c;
	struct view v;
	struct quoted q;

	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, family, 13);
	establish(&c);
	server_segment_out(&c, 0, &v);
	uint32_t s0 = v.seq;
	/* the client announced 1000 << 9 = 512000 bytes of window */
	const uint32_t offs[] = { 100 /* seq + len: the next one */, 101, 0x00400000u,
				  0x80000000u, (uint32_t)-400000, (uint32_t)-600000 };
	const bool pass[] = { true, false, false, false, true, false };
	for (unsigned i = 0; i < RTE_DIM(offs); i++) {
		v.th->sent_seq = rte_cpu_to_be_32(s0 + offs[i]);
		quote_of(&v, 8, &q);
		rx1(ROLE_WAN, family == 4 ? icmp_frame(4, true, c.srv, ICMP4_TIME_EXCEEDED, 0, 0, &q)
					  : icmp_frame(6, true, c.srv, ICMP6_PARAM_PROBLEM, 0, 40, &q));
		if (pass[i]) {
			expect_tx(1, 0);
			rte_pktmbuf_free(tx_pop(ROLE_LAN));
		} else {
			expect_tx(0, 0);
		}
	}
	view_free(&v);
	assert_int_equal(st()->icmp_err_translated, 2);
	assert_int_equal(st()->icmp_err_out_of_window, 4);
	world_end();
}

static void test_blind_v4(void **s) { (void)s; blind_case(4); }
static void test_blind_v6(void **s) { (void)s; blind_case(6); }

/* Quotes of nothing the proxy translates are bridged byte for byte:
 * another port, a quote too short for the seq, an error not addressed to
 * the quoted packet's sender, a LAN-initiated connection, a non-TCP quote,
 * a quoted later fragment. */
static void
untouched_case(int family)
{
	struct conn c, other, lanc;
	struct view v;
	struct quoted q;
	uint64_t n = 0;

	world_start(CFG_MODE_AUTO, NULL);
	conn_init(&c, family, 14);
	establish(&c);
	server_segment_out(&c, 0, &v);

	/* unknown flow: another client port */
	struct quoted q2;
	quote_of(&v, ALL, &q2);
	q2.b[q2.l4 + 2] ^= 0x40;
	expect_bridged(ROLE_WAN, icmp_frame(family, true, c.srv, family == 4 ? 3 : 1, 1, 0, &q2));
	n++;
	/* 4 bytes of TCP: ports only */
	quote_of(&v, 4, &q);
	expect_bridged(ROLE_WAN, icmp_frame(family, true, c.srv, family == 4 ? 3 : 1, 1, 0, &q));
	n++;
	/* addressed to someone else than the quoted sender */
	quote_of(&v, ALL, &q);
	expect_bridged(ROLE_WAN, icmp_frame(family, true, c.cli, family == 4 ? 3 : 2, 0, 1280, &q));
	n++;
	/* the quoted IP header cut short */
	quote_of(&v, ALL, &q);
	q.len = family == 4 ? 19 : 39;
	expect_bridged(ROLE_WAN, icmp_frame(family, true, c.srv, family == 4 ? 11 : 3, 0, 0, &q));
	n++;
	/* not TCP inside */
	quote_of(&v, ALL, &q);
	if (family == 4)
		q.b[9] = IPPROTO_UDP;
	else
		q.b[6] = IPPROTO_UDP;
	expect_bridged(ROLE_WAN, icmp_frame(family, true, c.srv, family == 4 ? 3 : 1, 3, 0, &q));
	n++;
	if (family == 4) {
		/* a later fragment quoted */
		quote_of(&v, ALL, &q);
		q.b[6] = 0;
		q.b[7] = 10;
		expect_bridged(ROLE_WAN, icmp_frame(4, true, c.srv, 3, 4, 1280, &q));
		n++;
	}
	view_free(&v);

	/* a proxied flow whose server has not answered yet: a LAN router
	 * quotes the proxy's SYN to the server (nothing to translate) */
	conn_init(&other, family, 15);
	syn_ok(&other);
	do_ack3(&other, &v);
	quote_of(&v, ALL, &q);
	view_free(&v);
	expect_bridged(ROLE_LAN, icmp_frame(family, false, other.cli, family == 4 ? 3 : 1, 1, 0, &q));
	n++;

	/* a LAN-initiated connection */
	conn_init(&lanc, family, 16);
	seg_in(&lanc, false, RTE_TCP_SYN_FLAG, 777, 0, 1000, NULL, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &v);
	quote_of(&v, ALL, &q);
	view_free(&v);
	expect_bridged(ROLE_WAN, icmp_frame(family, true, lanc.srv, family == 4 ? 3 : 2, family == 4 ? 4 : 0,
					    1280, &q));
	n++;

	/* echo request and reply carrying what looks like a quote: not errors */
	assert_int_equal(st()->non_tcp_pass, 0);
	expect_bridged(ROLE_WAN, icmp_frame(family, true, c.srv, family == 4 ? 8 : 128, 0, 1, &q2));
	expect_bridged(ROLE_LAN, icmp_frame(family, false, c.cli, family == 4 ? 0 : 129, 0, 1, &q2));
	assert_int_equal(st()->non_tcp_pass, 2);
	assert_int_equal(st()->icmp_err_no_flow, n);
	assert_int_equal(st()->icmp_err_translated, 0);
	assert_int_equal(st()->icmp_err_out_of_window, 0);
	world_end();
}

static void test_untouched_v4(void **s) { (void)s; untouched_case(4); }
static void test_untouched_v6(void **s) { (void)s; untouched_case(6); }

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_wan_frag_needed_v4),
		T(test_wan_frag_needed_v4_ipopt),
		T(test_wan_frag_needed_v4_8bytes),
		T(test_wan_frag_needed_v4_rfc792),
		T(test_wan_ptb_v6),
		T(test_wan_ptb_v6_exthdr),
		T(test_wan_ptb_v6_12bytes),
		T(test_lan_unreach_v4),
		T(test_lan_unreach_v4_8bytes),
		T(test_lan_unreach_v4_12bytes),
		T(test_lan_unreach_v6),
		T(test_lan_unreach_v6_8bytes),
		T(test_blind_v4),
		T(test_blind_v6),
		T(test_untouched_v4),
		T(test_untouched_v6),
	};

	return cmocka_run_group_tests_name("synproxy_icmp", tests, world_eal_setup, world_eal_teardown);
}
