/* SPDX-License-Identifier: BSD-3-Clause */
/* sp_harness.c - frames in, frames out and handshake steps for the SYN proxy tests (see sp_harness.h). */
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
#include "syncookie/cookie.h"
#include "../common/pktbuild.h"
#include "sp_harness.h"

const struct rte_ether_addr cli_mac = { { 0x02, 0, 0, 0, 0, 0xc1 } };
const struct rte_ether_addr srv_mac = { { 0x02, 0, 0, 0, 0, 0x5e } };

const struct synproxy_stats *
st(void)
{
	return synproxy_lcore_stats(world.sp);
}

struct synproxy_occupancy
occ(void)
{
	struct synproxy_occupancy o;
	synproxy_lcore_occupancy(world.sp, &o);
	return o;
}

uint32_t
nflows(void)
{
	return occ().flows;
}

uint32_t
nstate(enum flow_state s)
{
	return occ().per_state[s];
}

/* Housekeeping often enough that the flow table and the pending SYN ring
 * are each swept completely at the current time. */
void
sweep(void)
{
	for (int i = 0; i < SWEEP_CALLS; i++)
		world_housekeeping();
}

/* ================================================================ frames in */

void
rx(enum port_role in, struct rte_mbuf **pkts, uint16_t n)
{
	world_rx(in, pkts, n);
}

void
rx1(enum port_role in, struct rte_mbuf *m)
{
	rx(in, &m, 1);
}


void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

uint8_t
opts_put(uint8_t *p, const struct optspec *o)
{
	uint8_t n = 0;

	if (o == NULL)
		return 0;
	if (o->mss) {
		p[n++] = TCP_OPT_MSS;
		p[n++] = TCP_OLEN_MSS;
		p[n++] = o->mss >> 8;
		p[n++] = o->mss & 0xff;
	}
	if (o->ws_on) {
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_WS;
		p[n++] = TCP_OLEN_WS;
		p[n++] = o->ws;
	}
	if (o->sack_perm) {
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_SACK_PERM;
		p[n++] = TCP_OLEN_SACK_PERM;
	}
	if (o->ts) {
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_TS;
		p[n++] = TCP_OLEN_TS;
		put32(p + n, o->tsval);
		put32(p + n + 4, o->tsecr);
		n += 8;
	}
	if (o->nsack) {
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_NOP;
		p[n++] = TCP_OPT_SACK;
		p[n++] = 2 + TCP_OLEN_SACK_BLK * o->nsack;
		for (int i = 0; i < 2 * o->nsack; i++, n += 4)
			put32(p + n, o->sack[i]);
	}
	return n;
}

struct optspec
ts_opt(uint32_t tsval, uint32_t tsecr)
{
	struct optspec o = { .ts = true, .tsval = tsval, .tsecr = tsecr };
	return o;
}


void
conn_init(struct conn *c, int family, uint32_t id)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	if (family == 4) {
		pb_v4(c->cli, 0xc6120000u | (id & 0xffff));   /* 198.18.x.y */
		pb_v4(c->srv, 0x0a00000au);                  /* 10.0.0.10 */
	} else {
		static const uint8_t cpre[] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a };
		static const uint8_t spre[] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0b };
		memcpy(c->cli, cpre, sizeof(cpre));
		put32(c->cli + 12, id);
		memcpy(c->srv, spre, sizeof(spre));
		c->srv[15] = 0x10;
	}
	c->cport = (uint16_t)(40000 + id % 20000);
	c->sport = 80;
	c->client_isn = 0x12345678u + id * 7919u;
	c->cli_tsval = 0x11223344u + id;
	c->cli_mss = 1234;
	c->cli_ws = 9;
	c->cli_sack = true;
	c->cli_ts = true;
	c->cli_win = 64240;
	c->cli_ackwin = 1000;
	c->server_isn = 0x9abcdef0u ^ id;
	c->srv_tsval = 0x55667788u;
	c->srv_mss = 1460;
	c->srv_win = 29200;
	c->srv_ws = 7;
	c->srv_sack = true;
	c->srv_ts = true;
}

void
set_macs(struct rte_mbuf *m, bool from_client)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->src_addr = from_client ? cli_mac : srv_mac;
	eth->dst_addr = from_client ? srv_mac : cli_mac;
}

/* A segment of c, from the client (WAN) or the server (LAN), not yet sent. */
struct rte_mbuf *
seg_mbuf(const struct conn *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
	 uint16_t win, const struct optspec *o, uint16_t payload)
{
	uint8_t opt[TCP_OPTS_MAX_LEN];
	struct pb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = c->family;
	s.proto = IPPROTO_TCP;
	s.nb_vlan = c->nb_vlan;
	s.ipv4_optlen = c->family == 4 ? c->ipv4_optlen : 0;
	s.v6_ext = c->family == 6 ? c->v6_ext : 0;
	memcpy(s.src, from_client ? c->cli : c->srv, 16);
	memcpy(s.dst, from_client ? c->srv : c->cli, 16);
	s.sport = from_client ? c->cport : c->sport;
	s.dport = from_client ? c->sport : c->cport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.win = win;
	s.optlen = opts_put(opt, o);
	s.opts = opt;
	s.payload = payload;
	struct rte_mbuf *m = pb_mbuf(world.mp, &s);
	assert_non_null(m);
	set_macs(m, from_client);
	return m;
}

void
seg_in(const struct conn *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
       uint16_t win, const struct optspec *o, uint16_t payload)
{
	rx1(from_client ? ROLE_WAN : ROLE_LAN,
	    seg_mbuf(c, from_client, flags, seq, ack, win, o, payload));
}

/* ================================================================ frames out */

void
expect_tx(uint16_t n_lan, uint16_t n_wan)
{
	assert_int_equal(world.tx.q[ROLE_LAN].n, n_lan);
	assert_int_equal(world.tx.q[ROLE_WAN].n, n_wan);
}

/* The oldest frame queued on r; the caller owns it. */
struct rte_mbuf *
tx_pop(enum port_role r)
{
	struct tx_buf *b = &world.tx.q[r];

	assert_true(b->n >= 1);
	struct rte_mbuf *m = b->pkts[0];
	memmove(&b->pkts[0], &b->pkts[1], (b->n - 1) * sizeof(b->pkts[0]));
	b->n--;
	return m;
}


/* The TCP checksum of a parsed frame, recomputed over the pseudo header
 * and the real L4 length (so IPv6 extension headers are fine). */
bool
tcp_sum_ok(const uint8_t *f, const struct pkt_meta *mt)
{
	const uint8_t *l3 = f + mt->l3_off, *l4 = f + mt->l4_off;
	uint32_t sum;

	if (mt->l3 == PKT_L3_IPV4)
		sum = __rte_raw_cksum(&((const struct rte_ipv4_hdr *)l3)->src_addr, 8, 0);
	else
		sum = __rte_raw_cksum(((const struct rte_ipv6_hdr *)l3)->src_addr, 32, 0);
	sum += rte_cpu_to_be_16(mt->l4_len) + rte_cpu_to_be_16((uint16_t)IPPROTO_TCP);
	sum = __rte_raw_cksum(l4, mt->l4_len, sum);
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* Full recomputation of both checksums, also by DPDK's own verifiers. */
void
check_csums(const struct view *v)
{
	const uint8_t *l4 = v->f + v->mt.l4_off;

	if (v->ip4 != NULL) {
		uint16_t hl = (v->ip4->version_ihl & 0xf) * 4;
		assert_int_equal(rte_raw_cksum(v->ip4, hl), 0xffff);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(v->ip4, l4), 0);
	} else if (!(v->mt.flags & PKT_F_EXTHDR)) {
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(v->ip6, l4), 0);
	}
	assert_true(tcp_sum_ok(v->f, &v->mt));
}

void
view_parse(struct rte_mbuf *m, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->m = m;
	v->f = rte_pktmbuf_mtod(m, uint8_t *);
	assert_int_equal(pkt_parse(m, &v->mt) & (PKT_F_BAD | PKT_F_FRAG | PKT_F_L4), PKT_F_L4);
	assert_int_equal(v->mt.l4proto, IPPROTO_TCP);
	assert_int_equal(m->pkt_len, m->data_len);
	v->eth = (struct rte_ether_hdr *)v->f;
	if (v->mt.l3 == PKT_L3_IPV4) {
		v->ip4 = (struct rte_ipv4_hdr *)(v->f + v->mt.l3_off);
		/* the frame ends where the datagram does */
		assert_int_equal(v->mt.l3_off + rte_be_to_cpu_16(v->ip4->total_length), m->data_len);
	} else {
		assert_int_equal(v->mt.l3, PKT_L3_IPV6);
		v->ip6 = (struct rte_ipv6_hdr *)(v->f + v->mt.l3_off);
		assert_int_equal(v->mt.l3_off + sizeof(*v->ip6) + rte_be_to_cpu_16(v->ip6->payload_len),
				 m->data_len);
	}
	v->th = (struct rte_tcp_hdr *)(v->f + v->mt.l4_off);
	assert_int_equal(tcp_opts_parse(v->th, v->mt.tcp_hlen, &v->o), 0);
	v->seq = rte_be_to_cpu_32(v->th->sent_seq);
	v->ack = rte_be_to_cpu_32(v->th->recv_ack);
	v->win = rte_be_to_cpu_16(v->th->rx_win);
	v->plen = v->mt.l4_len - v->mt.tcp_hlen;
	v->flags = v->th->tcp_flags;
	check_csums(v);
}

void
view_take(enum port_role r, struct view *v)
{
	view_parse(tx_pop(r), v);
}

void
view_free(struct view *v)
{
	rte_pktmbuf_free(v->m);
	v->m = NULL;
}

/* Addresses, ports, MACs and VLAN tags of a frame of c going one way. */
void
assert_dir(const struct view *v, const struct conn *c, bool to_server)
{
	const uint8_t *src = to_server ? c->cli : c->srv, *dst = to_server ? c->srv : c->cli;

	if (c->family == 4) {
		assert_non_null(v->ip4);
		assert_memory_equal(&v->ip4->src_addr, src, 4);
		assert_memory_equal(&v->ip4->dst_addr, dst, 4);
	} else {
		assert_non_null(v->ip6);
		assert_memory_equal(v->ip6->src_addr, src, 16);
		assert_memory_equal(v->ip6->dst_addr, dst, 16);
	}
	assert_int_equal(rte_be_to_cpu_16(v->th->src_port), to_server ? c->cport : c->sport);
	assert_int_equal(rte_be_to_cpu_16(v->th->dst_port), to_server ? c->sport : c->cport);
	assert_memory_equal(&v->eth->src_addr, to_server ? &cli_mac : &srv_mac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&v->eth->dst_addr, to_server ? &srv_mac : &cli_mac, RTE_ETHER_ADDR_LEN);
	/* tags as pktbuild writes them: 802.1ad outer when two, TCI 100, 101 */
	assert_int_equal(v->mt.nb_vlan, c->nb_vlan);
	for (int i = 0; i < c->nb_vlan; i++) {
		const uint8_t *t = v->f + 12 + 4 * i;
		uint16_t tpid = (uint16_t)(t[0] << 8 | t[1]), tci = (uint16_t)(t[2] << 8 | t[3]);
		assert_int_equal(tpid, i == 0 && c->nb_vlan == 2 ? RTE_ETHER_TYPE_QINQ
								 : RTE_ETHER_TYPE_VLAN);
		assert_int_equal(tci, 100 + i);
	}
}

/* The frames the proxy writes itself carry no IP options or extensions. */
void
assert_clean_l3(const struct view *v)
{
	if (v->ip4 != NULL) {
		assert_int_equal(v->ip4->version_ihl, 0x45);
		assert_int_equal(v->mt.flags & PKT_F_IPOPT, 0);
	} else {
		assert_int_equal(v->ip6->proto, IPPROTO_TCP);
		assert_int_equal(v->mt.flags & PKT_F_EXTHDR, 0);
	}
}

void
assert_payload(const struct view *v, uint16_t n)
{
	const uint8_t *p = (const uint8_t *)v->th + v->mt.tcp_hlen;

	assert_int_equal(v->plen, n);
	for (uint16_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 7))
			fail_msg("payload byte %u changed", i);
}

/* Send m in on `in` and expect it out the other port byte for byte. */
void
expect_bridged(enum port_role in, struct rte_mbuf *m)
{
	uint8_t copy[RTE_MBUF_DEFAULT_DATAROOM];
	uint16_t len = m->data_len;
	enum port_role out = role_other(in);

	memcpy(copy, rte_pktmbuf_mtod(m, void *), len);
	rx1(in, m);
	expect_tx(out == ROLE_LAN ? 1 : 0, out == ROLE_WAN ? 1 : 0);
	struct rte_mbuf *o = tx_pop(out);
	assert_int_equal(o->data_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(o, void *), copy, len);
	rte_pktmbuf_free(o);
}

/* ================================================================ handshake steps */

struct optspec
conn_syn_opts(const struct conn *c)
{
	struct optspec o = {
		.mss = c->cli_mss, .ws_on = c->cli_ws != WS_NONE, .ws = c->cli_ws,
		.sack_perm = c->cli_sack, .ts = c->cli_ts, .tsval = c->cli_tsval,
	};
	return o;
}

void
send_syn(const struct conn *c)
{
	struct optspec o = conn_syn_opts(c);
	seg_in(c, true, RTE_TCP_SYN_FLAG | (c->cli_ecn ? ECE_CWR : 0), c->client_isn, 0, c->cli_win,
	       &o, 0);
}

/* Client SYN in, exactly the proxy's SYN-ACK out (kept in sa); c learns it. */
void
do_syn(struct conn *c, struct view *sa)
{
	send_syn(c);
	expect_tx(0, 1);
	view_take(ROLE_WAN, sa);
	/* ECE only for a client that asked (never CWR: RFC 3168 6.1.1) */
	assert_int_equal(sa->flags & ~(c->cli_ecn ? RTE_TCP_ECE_FLAG : 0), SYN_ACK);
	assert_int_equal(sa->ack, c->client_isn + 1);
	c->proxy_ecn = (sa->flags & RTE_TCP_ECE_FLAG) != 0;
	c->proxy_isn = sa->seq;
	c->proxy_ts = sa->o.ts_present;
	c->proxy_tsval = sa->o.tsval;
	c->proxy_ws = sa->o.wscale;
	c->proxy_sack = sa->o.sack_perm;
	c->proxy_mss = sa->o.mss;
}

void
syn_ok(struct conn *c)
{
	struct view sa;
	do_syn(c, &sa);
	view_free(&sa);
}

/* The client's third packet, echoing the proxy's timestamp when it got one. */
void
send_ack3(const struct conn *c, uint16_t payload)
{
	struct optspec o = ts_opt(c->cli_tsval + 1, c->proxy_tsval);
	seg_in(c, true, ACK, c->client_isn + 1, c->proxy_isn + 1, c->cli_ackwin,
	       c->proxy_ts ? &o : NULL, payload);
}

/* Handshake ACK in, exactly the SYN to the server out (kept in syn). */
void
do_ack3(struct conn *c, struct view *syn)
{
	send_ack3(c, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, syn);
	/* an ECN-setup SYN (both bits) or a plain one */
	assert_true(syn->flags == RTE_TCP_SYN_FLAG || syn->flags == (RTE_TCP_SYN_FLAG | ECE_CWR));
	assert_int_equal(syn->seq, c->client_isn);
	c->syn_o = syn->o;
	c->syn_ecn = syn->flags != RTE_TCP_SYN_FLAG;
}

void
ack3_ok(struct conn *c)
{
	struct view syn;
	do_ack3(c, &syn);
	view_free(&syn);
}

/* The server answers what the proxy's SYN asked, as a real stack would. */
void
send_server_synack(const struct conn *c, uint32_t ack)
{
	struct optspec o = {
		.mss = c->srv_mss,
		.ws_on = c->srv_ws != WS_NONE && c->syn_o.wscale != WS_NONE,
		.ws = c->srv_ws,
		.sack_perm = c->srv_sack && c->syn_o.sack_perm,
		.ts = c->srv_ts && c->syn_o.ts_present,
		.tsval = c->srv_tsval,
		.tsecr = c->syn_o.tsval,
	};
	uint8_t ece = c->srv_ecn && c->syn_ecn ? RTE_TCP_ECE_FLAG : 0;
	seg_in(c, false, SYN_ACK | ece, c->server_isn, ack, c->srv_win, &o, 0);
}

/* Server SYN-ACK in; the ACK to the server and the window update out. */
void
do_server_synack(struct conn *c, struct view *ack, struct view *upd)
{
	send_server_synack(c, c->client_isn + 1);
	expect_tx(1, 1);
	view_take(ROLE_LAN, ack);
	view_take(ROLE_WAN, upd);
}

void
establish(struct conn *c)
{
	struct view a, u;

	syn_ok(c);
	ack3_ok(c);
	do_server_synack(c, &a, &u);
	view_free(&a);
	view_free(&u);
}

/* Whether c, once established, has timestamps translated. */
bool
conn_ts(const struct conn *c)
{
	return c->proxy_ts && c->srv_ts && c->syn_o.ts_present;
}


/* ================================================================ shared checks */

void
check_synack_common(const struct conn *c, const struct view *sa)
{
	assert_dir(sa, c, false);
	assert_clean_l3(sa);
	assert_int_equal(sa->flags & ~RTE_TCP_ECE_FLAG, SYN_ACK);
	assert_int_equal(sa->ack, c->client_isn + 1);
	assert_int_equal(sa->win, 0);
	assert_int_equal(sa->plen, 0);
	assert_true(sa->o.mss_present);
}

/* Server data one way, client ACK + SACK the other, checked by offsets. */
void
exchange(struct conn *c, uint32_t srv_off, uint32_t cli_off, uint32_t ts_step)
{
	struct view d;
	bool ts = conn_ts(c);
	uint32_t s_seq = c->server_isn + 1 + srv_off;
	uint32_t s_tsval = c->srv_tsval + ts_step;
	struct optspec so = ts_opt(s_tsval, c->cli_tsval + 1);

	/* server -> client: seq and TSval into the client's view */
	seg_in(c, false, ACK | RTE_TCP_PSH_FLAG, s_seq, c->client_isn + 1 + cli_off, 100,
	       ts ? &so : NULL, 100);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &d);
	assert_dir(&d, c, false);
	assert_int_equal(d.flags, ACK | RTE_TCP_PSH_FLAG);
	assert_int_equal(d.seq - c->proxy_isn, s_seq - c->server_isn);
	assert_int_equal(d.ack, c->client_isn + 1 + cli_off);
	assert_payload(&d, 100);
	uint32_t p_seq = d.seq, p_tsval = 0;
	if (ts) {
		assert_true(d.o.ts_present);
		p_tsval = d.o.tsval;
		assert_int_equal(d.o.tsval - c->proxy_tsval, s_tsval - c->srv_tsval);
		assert_int_equal(d.o.tsecr, c->cli_tsval + 1);
	}
	view_free(&d);

	/* client -> server: ACK, SACK edges and TSecr back into server space;
	 * its own seq/TSval pass untouched */
	uint32_t p_ack = p_seq + 100;
	struct optspec co = {
		.ts = ts, .tsval = c->cli_tsval + 7, .tsecr = p_tsval,
		.nsack = 1, .sack = { p_ack + 1000, p_ack + 2000 },
	};
	uint32_t c_seq = c->client_isn + 1 + cli_off;
	seg_in(c, true, ACK, c_seq, p_ack, c->cli_ackwin, &co, 20);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &d);
	assert_dir(&d, c, true);
	assert_int_equal(d.seq, c_seq);
	assert_int_equal(d.ack - c->server_isn, p_ack - c->proxy_isn);
	assert_int_equal(d.ack, s_seq + 100);
	assert_int_equal(d.o.nsack, 1);
	const uint8_t *blk = (const uint8_t *)d.th + d.o.sack_off + 2;
	uint32_t l = (uint32_t)blk[0] << 24 | blk[1] << 16 | blk[2] << 8 | blk[3];
	uint32_t r = (uint32_t)blk[4] << 24 | blk[5] << 16 | blk[6] << 8 | blk[7];
	assert_int_equal(l, s_seq + 100 + 1000);
	assert_int_equal(r, s_seq + 100 + 2000);
	if (ts) {
		assert_int_equal(d.o.tsval, c->cli_tsval + 7);
		assert_int_equal(d.o.tsecr, s_tsval);
	}
	assert_payload(&d, 20);
	view_free(&d);
}

/* Server segment with window `win` in, the window the client sees out. */
uint16_t
server_window_seen(struct conn *c, uint16_t win)
{
	struct view d;
	struct optspec o = ts_opt(c->srv_tsval + 1, c->cli_tsval + 1);

	seg_in(c, false, ACK, c->server_isn + 1, c->client_isn + 1, win, conn_ts(c) ? &o : NULL, 0);
	expect_tx(0, 1);
	view_take(ROLE_WAN, &d);
	uint16_t r = d.win;
	view_free(&d);
	return r;
}

/* MSS announced before anything is learned: IPv6 headers are 20 bytes longer. */
uint16_t
default_mss(int family)
{
	return family == 6 ? world.cfg.synproxy.default_mss - 20 : world.cfg.synproxy.default_mss;
}
