/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_synproxy.c - the SYN proxy state machine (fwd/synproxy.c) driven end
 * to end on crafted frames.
 *
 * Each test builds a fresh world: an mbuf pool, a worker, cookie secrets and
 * one synproxy_lcore made from a config tweaked for that test. Frames go
 * through the real per-lcore step (pkt_parse_burst + worker_process_burst)
 * as if received on the LAN (port 0) or the WAN (port 1). Nothing is ever
 * flushed: what the proxy transmits stays queued in w.tx[role], where the
 * tests pick it up, parse it again (pkt_parse, tcp_opts_parse), check the
 * header fields that matter and recompute the IPv4 and TCP checksums from
 * scratch (view_parse does that for every TCP frame it looks at).
 *
 * Time: the worker clock is the test's own w.now_ms, so timeouts and SYN
 * retransmissions are driven by moving it and calling housekeeping often
 * enough to sweep the whole table. The cookie period clock is real time;
 * only test_cookie_age waits for it (about 3 s), so elsewhere cookies stay
 * valid for the length of a test.
 *
 * A connection is a struct conn: both endpoints, what each side offers, and
 * what the proxy answered (its ISN and TSval, the scale it announced), so
 * every later segment can be written in its sender's own sequence space and
 * the translation checked in both directions.
 *
 * Every test ends with px_end(): queued frames freed, the lcore freed (it
 * frees its pending SYN copies), and the pool must be back to zero mbufs in
 * use, so a leak on any path fails the test that took it.
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
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "config.h"
#include "parse.h"
#include "worker.h"
#include "flow/flow_entry.h"
#include "fwd/synproxy.h"
#include "fwd/tcp_opts.h"
#include "syncookie/cookie.h"
#include "../common/pktbuild.h"

#define T0          1000000u   /* worker clock at the start of a test, ms */
#define POOL_SIZE   4095
#define SWEEP_CALLS 64         /* housekeeping calls: > (1023 slots / budget 64) */
#define SYN_ACK     (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)
#define ACK         RTE_TCP_ACK_FLAG
#define WS_NONE     TCP_WSCALE_NONE

static const struct rte_ether_addr cli_mac = { { 0x02, 0, 0, 0, 0, 0xc1 } };
static const struct rte_ether_addr srv_mac = { { 0x02, 0, 0, 0, 0, 0x5e } };

static struct rte_mempool *mp;
static struct synproxy_config cfg;
static struct cookie_secrets *secrets;
static struct synproxy_lcore *sp;
static struct worker w;

/* ================================================================ world */

typedef void (*tweak_fn)(struct cfg_synproxy *c);

static void
px_start(enum cfg_synproxy_mode mode, tweak_fn tweak)
{
	struct cfg_synproxy *c = &cfg.synproxy;

	config_defaults(&cfg);
	c->mode = mode;
	/* The config minimum everywhere: a whole table sweep is 16 calls. */
	c->flow_table_size = 1024;
	c->syn_cache_size = 1024;
	c->learn_table_size = 1024;
	c->ratelimit_table_size = 1024;
	if (tweak != NULL)
		tweak(c);
	mp = rte_pktmbuf_pool_create("sp_test", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert_non_null(mp);
	worker_init(&w, 0, 1);
	w.port[ROLE_LAN] = 0;
	w.port[ROLE_WAN] = 1;
	w.mp = mp;
	w.now_ms = T0;
	secrets = synproxy_secrets_create(&cfg);
	assert_non_null(secrets);
	sp = synproxy_lcore_create(&cfg, secrets, 0, 0, mp);
	assert_non_null(sp);
	w.sp = sp;
}

static void
tx_drop_all(void)
{
	for (int r = 0; r < ROLE_MAX; r++) {
		if (w.tx[r].n)
			rte_pktmbuf_free_bulk(w.tx[r].pkts, w.tx[r].n);
		w.tx[r].n = 0;
	}
}

/* End of a test: everything freed, and nothing may be left in use. */
static void
px_end(void)
{
	tx_drop_all();
	synproxy_lcore_free(sp);
	sp = NULL;
	w.sp = NULL;
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
}

/* Also runs after a failed test, which may have leaked: just release. */
static int
px_teardown(void **state)
{
	(void)state;
	tx_drop_all();
	synproxy_lcore_free(sp);
	sp = NULL;
	w.sp = NULL;
	rte_free(secrets);
	secrets = NULL;
	rte_mempool_free(mp);
	mp = NULL;
	return 0;
}

static const struct synproxy_stats *
st(void)
{
	return synproxy_lcore_stats(sp);
}

static struct synproxy_occupancy
occ(void)
{
	struct synproxy_occupancy o;
	synproxy_lcore_occupancy(sp, &o);
	return o;
}

static uint32_t
nflows(void)
{
	return occ().flows;
}

static uint32_t
nstate(enum flow_state s)
{
	return occ().per_state[s];
}

/* Housekeeping often enough that the flow table and the pending SYN ring
 * are each swept completely at the current time. */
static void
sweep(void)
{
	for (int i = 0; i < SWEEP_CALLS; i++)
		synproxy_housekeeping(sp, &w);
}

/* ================================================================ frames in */

static void
rx(enum port_role in, struct rte_mbuf **pkts, uint16_t n)
{
	struct pkt_meta meta[MAX_BURST];

	for (uint16_t i = 0; i < n; i++)
		pkts[i]->port = w.port[in];
	pkt_parse_burst(pkts, meta, n);
	worker_process_burst(&w, pkts, meta, n, in);
}

static void
rx1(enum port_role in, struct rte_mbuf *m)
{
	rx(in, &m, 1);
}

/* TCP options as a test writes them; NOP-padded, 32-bit aligned. */
struct optspec {
	uint16_t mss;              /* 0: no option */
	bool ws_on;
	uint8_t ws;
	bool sack_perm, ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;             /* 0..3 */
	uint32_t sack[6];          /* left, right edges */
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint8_t
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

static struct optspec
ts_opt(uint32_t tsval, uint32_t tsecr)
{
	struct optspec o = { .ts = true, .tsval = tsval, .tsecr = tsecr };
	return o;
}

/* A connection: client on the WAN, server on the LAN. */
struct conn {
	int family;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint8_t nb_vlan, ipv4_optlen, v6_ext;   /* applied to every frame */
	/* client SYN */
	uint32_t client_isn, cli_tsval;
	uint16_t cli_mss;                       /* 0: no option */
	uint8_t cli_ws;                         /* WS_NONE: no option */
	bool cli_sack, cli_ts;
	uint16_t cli_win;                       /* the SYN's window */
	uint16_t cli_ackwin;                    /* later windows (scaled) */
	/* the proxy's SYN-ACK */
	uint32_t proxy_isn, proxy_tsval;
	uint16_t proxy_mss;
	uint8_t proxy_ws;
	bool proxy_sack, proxy_ts;
	/* the proxy's SYN to the server */
	struct tcp_opts syn_o;
	/* server */
	uint32_t server_isn, srv_tsval;
	uint16_t srv_mss, srv_win;
	uint8_t srv_ws;                         /* WS_NONE: server does not scale */
	bool srv_sack, srv_ts;
};

static void
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

static void
set_macs(struct rte_mbuf *m, bool from_client)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->src_addr = from_client ? cli_mac : srv_mac;
	eth->dst_addr = from_client ? srv_mac : cli_mac;
}

/* A segment of c, from the client (WAN) or the server (LAN), not yet sent. */
static struct rte_mbuf *
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
	struct rte_mbuf *m = pb_mbuf(mp, &s);
	assert_non_null(m);
	set_macs(m, from_client);
	return m;
}

static void
seg_in(const struct conn *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
       uint16_t win, const struct optspec *o, uint16_t payload)
{
	rx1(from_client ? ROLE_WAN : ROLE_LAN,
	    seg_mbuf(c, from_client, flags, seq, ack, win, o, payload));
}

/* ================================================================ frames out */

static void
expect_tx(uint16_t n_lan, uint16_t n_wan)
{
	assert_int_equal(w.tx[ROLE_LAN].n, n_lan);
	assert_int_equal(w.tx[ROLE_WAN].n, n_wan);
}

/* The oldest frame queued on r; the caller owns it. */
static struct rte_mbuf *
tx_pop(enum port_role r)
{
	struct tx_buf *b = &w.tx[r];

	assert_true(b->n >= 1);
	struct rte_mbuf *m = b->pkts[0];
	memmove(&b->pkts[0], &b->pkts[1], (b->n - 1) * sizeof(b->pkts[0]));
	b->n--;
	return m;
}

/* A TCP frame the proxy sent, parsed again. */
struct view {
	struct rte_mbuf *m;
	uint8_t *f;
	struct pkt_meta mt;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip4;      /* NULL for IPv6 */
	struct rte_ipv6_hdr *ip6;      /* NULL for IPv4 */
	struct rte_tcp_hdr *th;
	struct tcp_opts o;
	uint32_t seq, ack;
	uint16_t win, plen;
	uint8_t flags;
};

/* The TCP checksum of a parsed frame, recomputed over the pseudo header
 * and the real L4 length (so IPv6 extension headers are fine). */
static bool
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
static void
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

static void
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

static void
view_take(enum port_role r, struct view *v)
{
	view_parse(tx_pop(r), v);
}

static void
view_free(struct view *v)
{
	rte_pktmbuf_free(v->m);
	v->m = NULL;
}

/* Addresses, ports, MACs and VLAN tags of a frame of c going one way. */
static void
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
static void
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

static void
assert_payload(const struct view *v, uint16_t n)
{
	const uint8_t *p = (const uint8_t *)v->th + v->mt.tcp_hlen;

	assert_int_equal(v->plen, n);
	for (uint16_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 7))
			fail_msg("payload byte %u changed", i);
}

/* Send m in on `in` and expect it out the other port byte for byte. */
static void
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

static struct optspec
conn_syn_opts(const struct conn *c)
{
	struct optspec o = {
		.mss = c->cli_mss, .ws_on = c->cli_ws != WS_NONE, .ws = c->cli_ws,
		.sack_perm = c->cli_sack, .ts = c->cli_ts, .tsval = c->cli_tsval,
	};
	return o;
}

static void
send_syn(const struct conn *c)
{
	struct optspec o = conn_syn_opts(c);
	seg_in(c, true, RTE_TCP_SYN_FLAG, c->client_isn, 0, c->cli_win, &o, 0);
}

/* Client SYN in, exactly the proxy's SYN-ACK out (kept in sa); c learns it. */
static void
do_syn(struct conn *c, struct view *sa)
{
	send_syn(c);
	expect_tx(0, 1);
	view_take(ROLE_WAN, sa);
	assert_int_equal(sa->flags, SYN_ACK);
	assert_int_equal(sa->ack, c->client_isn + 1);
	c->proxy_isn = sa->seq;
	c->proxy_ts = sa->o.ts_present;
	c->proxy_tsval = sa->o.tsval;
	c->proxy_ws = sa->o.wscale;
	c->proxy_sack = sa->o.sack_perm;
	c->proxy_mss = sa->o.mss;
}

static void
syn_ok(struct conn *c)
{
	struct view sa;
	do_syn(c, &sa);
	view_free(&sa);
}

/* The client's third packet, echoing the proxy's timestamp when it got one. */
static void
send_ack3(const struct conn *c, uint16_t payload)
{
	struct optspec o = ts_opt(c->cli_tsval + 1, c->proxy_tsval);
	seg_in(c, true, ACK, c->client_isn + 1, c->proxy_isn + 1, c->cli_ackwin,
	       c->proxy_ts ? &o : NULL, payload);
}

/* Handshake ACK in, exactly the SYN to the server out (kept in syn). */
static void
do_ack3(struct conn *c, struct view *syn)
{
	send_ack3(c, 0);
	expect_tx(1, 0);
	view_take(ROLE_LAN, syn);
	assert_int_equal(syn->flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(syn->seq, c->client_isn);
	c->syn_o = syn->o;
}

static void
ack3_ok(struct conn *c)
{
	struct view syn;
	do_ack3(c, &syn);
	view_free(&syn);
}

/* The server answers what the proxy's SYN asked, as a real stack would. */
static void
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
	seg_in(c, false, SYN_ACK, c->server_isn, ack, c->srv_win, &o, 0);
}

/* Server SYN-ACK in; the ACK to the server and the window update out. */
static void
do_server_synack(struct conn *c, struct view *ack, struct view *upd)
{
	send_server_synack(c, c->client_isn + 1);
	expect_tx(1, 1);
	view_take(ROLE_LAN, ack);
	view_take(ROLE_WAN, upd);
}

static void
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
static bool
conn_ts(const struct conn *c)
{
	return c->proxy_ts && c->srv_ts && c->syn_o.ts_present;
}

/* ================================================================ SYN -> SYN-ACK */

static void
check_synack_common(const struct conn *c, const struct view *sa)
{
	assert_dir(sa, c, false);
	assert_clean_l3(sa);
	assert_int_equal(sa->flags, SYN_ACK);
	assert_int_equal(sa->ack, c->client_isn + 1);
	assert_int_equal(sa->win, 0);
	assert_int_equal(sa->plen, 0);
	assert_true(sa->o.mss_present);
}

/* MSS announced before anything is learned: IPv6 headers are 20 bytes longer. */
static uint16_t
default_mss(int family)
{
	return family == 6 ? cfg.synproxy.default_mss - 20 : cfg.synproxy.default_mss;
}

static void
syn_full_opts_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa;

	px_start(mode, NULL);
	conn_init(&c, family, 1);
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.o.mss, default_mss(family));
	assert_int_equal(sa.o.wscale, cfg.synproxy.default_wscale);
	assert_true(sa.o.sack_perm);
	assert_true(sa.o.ts_present);
	assert_int_equal(sa.o.tsecr, c.cli_tsval);
	/* the TSval is the proxy clock with the option bits in its low 12 bits */
	assert_true((uint32_t)(w.now_ms - sa.o.tsval) < 0x1000);
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
	px_end();
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

	px_start(mode, NULL);
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
		assert_int_equal(sa.o.wscale, cfg.synproxy.default_wscale);
		assert_true(sa.o.sack_perm);
	}
	view_free(&sa);
	expect_tx(0, 0);
	px_end();
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
	px_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 4, 3);
	c.cli_ws = WS_NONE;
	c.cli_mss = 0;
	do_syn(&c, &sa);
	check_synack_common(&c, &sa);
	assert_int_equal(sa.o.wscale, WS_NONE);
	assert_true(sa.o.ts_present);
	struct cookie_opts co;
	cookie_ts_decode(sa.o.tsval, &co);
	assert_int_equal(co.wscale, COOKIE_WSCALE_NONE);
	view_free(&sa);
	/* the SYN to the server: no WS, and MSS 536 for a SYN that had none */
	struct view syn;
	do_ack3(&c, &syn);
	assert_int_equal(syn.o.wscale, WS_NONE);
	assert_int_equal(syn.o.mss, COOKIE_MSS_DEFAULT);
	view_free(&syn);
	px_end();
}

/* ================================================================ full handshake */

static void
handshake_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;
	struct view sa, syn, ack, upd;

	px_start(mode, NULL);
	conn_init(&c, family, 4);
	do_syn(&c, &sa);
	view_free(&sa);

	/* client ACK -> SYN to the server with the client's own ISN and options */
	do_ack3(&c, &syn);
	assert_dir(&syn, &c, true);
	assert_clean_l3(&syn);
	assert_int_equal(syn.flags, RTE_TCP_SYN_FLAG);
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
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* The handshake ACK carries data: the SYN goes out without it. */
static void
test_handshake_ack_with_data(void **state)
{
	struct conn c;
	struct view syn;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 6);
	syn_ok(&c);
	send_ack3(&c, 30);
	expect_tx(1, 0);
	view_take(ROLE_LAN, &syn);
	assert_int_equal(syn.flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(syn.plen, 0);
	view_free(&syn);
	assert_int_equal(st()->early_data_drop, 1);
	/* more data before the server answered: held back (dropped) */
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 1, 1000, NULL, 30);
	expect_tx(0, 0);
	assert_int_equal(st()->early_data_drop, 2);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	px_end();
}

/* ================================================================ translation */

/* Server data one way, client ACK + SACK the other, checked by offsets. */
static void
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

static void
data_case(int family, enum cfg_synproxy_mode mode)
{
	struct conn c;

	px_start(mode, NULL);
	conn_init(&c, family, 7);
	establish(&c);
	exchange(&c, 0, 0, 5);
	exchange(&c, 100, 20, 9);
	exchange(&c, 200, 40, 30);
	assert_int_equal(st()->translated_lan, 3);
	assert_int_equal(st()->translated_wan, 3);
	assert_int_equal(st()->tcp_bad_options, 0);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	px_end();
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

	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

static void test_data_wrap_v4(void **s) { (void)s; wrap_case(4); }
static void test_data_wrap_v6(void **s) { (void)s; wrap_case(6); }

/* Server segment with window `win` in, the window the client sees out. */
static uint16_t
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
	px_start(CFG_MODE_COOKIE, NULL);

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
	px_end();
}

/* The server refuses scaling while the client was told to scale. */
static void
test_window_server_no_wscale(void **state)
{
	struct conn c;
	struct view ack, upd;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* ================================================================ learning */

static void
test_learn_server_options(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	assert_int_equal(sa.o.wscale, cfg.synproxy.default_wscale);
	assert_true(sa.o.sack_perm);
	assert_int_equal(sa.o.mss, cfg.synproxy.default_mss);
	view_free(&sa);
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 15);
	c.srv_sack = false;
	establish(&c);                      /* learns: no SACK */

	for (uint32_t i = 0; i < 3; i++) {
		/* handshakes within the re-probe time that could not ask */
		w.now_ms += 4000;
		conn_init(&d, 4, 16 + i);
		d.srv_sack = false;
		do_syn(&d, &sa);
		bool offered = sa.o.sack_perm;
		view_free(&sa);
		if (offered)
			break;
		assert_true(w.now_ms - T0 <= 10000);
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
	px_end();
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
	px_start(CFG_MODE_AUTO, NULL);
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
		tx_drop_all();
		if (it % 50 == 0) {
			w.now_ms += 700;
			synproxy_housekeeping(sp, &w);
			tx_drop_all();
		}
		struct synproxy_occupancy oc = occ();
		uint32_t sum = 0;
		for (unsigned k = 0; k < FLOW_S_MAX; k++)
			sum += oc.per_state[k];
		assert_int_equal(sum, oc.flows);
	}
	px_end();   /* asserts no mbuf is left in use */
}

/* ================================================================ forged and broken */

static void
test_bogus_ack(void **state)
{
	struct conn c;

	(void)state;
	px_start(CFG_MODE_AUTO, NULL);
	conn_init(&c, 4, 15);
	seg_in(&c, true, ACK, 0x01020304, 0x0badc0de, 1000, NULL, 0);
	seg_in(&c, true, ACK | RTE_TCP_PSH_FLAG, 0x01020304, 0x77777777, 1000, NULL, 50);
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 2);
	assert_int_equal(nflows(), 0);
	/* with a SYN answered, an ACK for a neighbouring ISN still fails */
	syn_ok(&c);
	seg_in(&c, true, ACK, c.client_isn + 2, c.proxy_isn + 1, 1000, NULL, 0);
	seg_in(&c, true, ACK, c.client_isn + 1, c.proxy_isn + 2, 1000, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 4);
	assert_int_equal(nflows(), 0);
	/* a WAN RST or SYN-ACK for nothing is dropped too */
	seg_in(&c, true, RTE_TCP_RST_FLAG, 5, 0, 0, NULL, 0);
	seg_in(&c, true, SYN_ACK, 5, 6, 0, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->wan_no_flow, 2);
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

static void
test_syn_bad_csum(void **state)
{
	struct conn c;

	(void)state;
	px_start(CFG_MODE_CACHE, NULL);
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
	px_end();
}

/* Past the handshake a bad checksum is the end host's business: the
 * segment is translated and its checksum stays bad (not repaired). */
static void
test_bad_csum_stays_bad(void **state)
{
	struct conn c;
	struct pkt_meta mt;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* Malformed options on a SYN (a zero option length): dropped. */
static void
test_syn_bad_options(void **state)
{
	struct conn c;
	static const uint8_t bad[] = { TCP_OPT_MSS, 4, 0x05, 0xb4, TCP_OPT_WS, 0, 0, 0 };

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	struct rte_mbuf *m = pb_mbuf(mp, &s);
	assert_non_null(m);
	rx1(ROLE_WAN, m);
	expect_tx(0, 0);
	assert_int_equal(st()->tcp_bad_options, 1);
	assert_int_equal(st()->syn_bad, 1);
	px_end();
}

/* ================================================================ RST, FIN, expiry */

static void
test_rst_from_wan(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	w.now_ms += cfg.synproxy.timeout_close * 1000 - 1;
	sweep();
	assert_int_equal(nflows(), 1);
	w.now_ms += 2;
	sweep();
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->flows_expired, 1);
	px_end();
}

static void
test_rst_from_lan(void **state)
{
	struct conn c;
	struct view r;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* Both FINs: TIME_WAIT, then gone after its timeout. */
static void
test_fin_time_wait_expiry(void **state)
{
	struct conn c;
	struct view d;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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

	w.now_ms += cfg.synproxy.timeout_time_wait * 1000 - 1;
	sweep();
	assert_int_equal(nflows(), 1);
	w.now_ms += 2;
	sweep();
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->flows_expired, 1);
	px_end();
}

/* A new SYN on a TIME_WAIT tuple starts a fresh proxied connection. */
static void
test_fin_then_new_syn(void **state)
{
	struct conn c;
	struct view sa, d;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 22);
	establish(&c);
	seg_in(&c, false, RTE_TCP_FIN_FLAG | ACK, c.server_isn + 1, c.client_isn + 1, 1000, NULL, 0);
	seg_in(&c, true, RTE_TCP_FIN_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 2, 1000, NULL, 0);
	tx_drop_all();
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
	px_end();
}

/* The server refuses the proxied SYN: the client gets an RST it accepts. */
static void
rst_syn_sent_case(int family)
{
	struct conn c;
	struct view r;

	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* A client that lost its connection reuses the port: a SYN far outside the
 * live flow's window starts a new proxied handshake; one inside it (a stale
 * duplicate) does not. */
static void
test_syn_reuses_live_tuple(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 28);
	establish(&c);
	seg_in(&c, true, RTE_TCP_SYN_FLAG, c.client_isn, 0, 1000, NULL, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_retransmit, 1);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);

	c.client_isn += 0x40000000;
	do_syn(&c, &sa);
	assert_int_equal(sa.ack, c.client_isn + 1);
	view_free(&sa);
	assert_int_equal(nflows(), 0);
	px_end();
}

/* The server's SYN-ACK must acknowledge the client's ISN. */
static void
test_server_synack_wrong_ack(void **state)
{
	struct conn c;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 24);
	syn_ok(&c);
	ack3_ok(&c);
	send_server_synack(&c, c.client_isn + 2);
	expect_tx(0, 0);
	assert_int_equal(st()->server_synack_bad, 1);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);
	px_end();
}

/* Our ACK got lost: the server's retransmitted SYN-ACK is ACKed again. */
static void
test_server_synack_retransmitted(void **state)
{
	struct conn c;
	struct view a;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* ================================================================ SYN retransmission */

static void
tweak_retx(struct cfg_synproxy *c)
{
	c->syn_retransmit_ms = 100;
	c->syn_retries = 2;
}

static void
test_syn_retransmit(void **state)
{
	struct conn c;
	struct view syn;
	uint8_t orig[256];

	(void)state;
	px_start(CFG_MODE_COOKIE, tweak_retx);
	conn_init(&c, 4, 26);
	syn_ok(&c);
	do_ack3(&c, &syn);
	uint16_t len = syn.m->data_len;
	memcpy(orig, syn.f, len);
	view_free(&syn);

	/* retransmissions at +100 and +300 (backoff), identical to the first */
	static const struct { uint32_t at; uint16_t n; } steps[] = {
		{ 99, 0 }, { 100, 1 }, { 299, 0 }, { 300, 1 }, { 699, 0 }, { 700, 0 }, { 3000, 0 },
	};
	for (unsigned i = 0; i < RTE_DIM(steps); i++) {
		w.now_ms = T0 + steps[i].at;
		sweep();
		expect_tx(steps[i].n, 0);
		if (steps[i].n) {
			struct rte_mbuf *m = tx_pop(ROLE_LAN);
			assert_int_equal(m->data_len, len);
			assert_memory_equal(rte_pktmbuf_mtod(m, void *), orig, len);
			view_parse(m, &syn);
			view_free(&syn);
		}
	}
	assert_int_equal(st()->syn_to_server_retx, 2);
	assert_int_equal(occ().pending_syn, 0);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 1);

	/* the server never answered: the flow times out */
	w.now_ms = T0 + cfg.synproxy.timeout_syn_sent * 1000 + 1;
	sweep();
	expect_tx(0, 0);
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->syn_to_server_timeout, 1);
	px_end();
}

/* The server's answer stops the retransmissions. */
static void
test_syn_retransmit_stops_on_synack(void **state)
{
	struct conn c;
	struct view a, u;

	(void)state;
	px_start(CFG_MODE_COOKIE, tweak_retx);
	conn_init(&c, 6, 27);
	syn_ok(&c);
	ack3_ok(&c);
	w.now_ms = T0 + 100;
	sweep();
	expect_tx(1, 0);
	tx_drop_all();
	do_server_synack(&c, &a, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(occ().pending_syn, 0);
	w.now_ms = T0 + 300;
	sweep();
	w.now_ms = T0 + 5000;
	sweep();
	expect_tx(0, 0);
	assert_int_equal(st()->syn_to_server_retx, 1);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 1);
	px_end();
}

/* ================================================================ LAN-initiated */

static void
test_lan_initiated(void **state)
{
	struct conn c;
	struct optspec so = { .mss = 1460, .ws_on = true, .ws = 7, .sack_perm = true,
			      .ts = true, .tsval = 1000 };

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

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
	struct rte_mbuf *m = pb_mbuf(mp, &s);
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

	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	memcpy(rte_pktmbuf_mtod(m, void *), f, sizeof(f));
	m->data_len = m->pkt_len = sizeof(f);
	return m;
}

static void
test_non_tcp_bridged(void **state)
{
	(void)state;
	px_start(CFG_MODE_AUTO, NULL);
	expect_bridged(ROLE_WAN, l4_frame(4, IPPROTO_UDP, 30, true));
	expect_bridged(ROLE_LAN, l4_frame(6, IPPROTO_UDP, 30, false));
	expect_bridged(ROLE_WAN, l4_frame(4, IPPROTO_ICMP, 16, true));
	expect_bridged(ROLE_LAN, l4_frame(4, IPPROTO_ICMP, 16, false));
	expect_bridged(ROLE_WAN, l4_frame(6, IPPROTO_ICMPV6, 16, true));
	assert_int_equal(st()->non_tcp_pass, 5);
	expect_bridged(ROLE_WAN, arp_frame());
	expect_bridged(ROLE_LAN, arp_frame());
	assert_int_equal(w.stats.fwd_wan_to_lan, 4);
	assert_int_equal(w.stats.fwd_lan_to_wan, 3);
	assert_int_equal(nflows(), 0);
	assert_int_equal(st()->syn_received, 0);
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

static void
test_malformed(void **state)
{
	struct conn c;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* VLAN tags (one, then 802.1ad + 802.1Q) stay on every frame, replies included. */
static void
vlan_case(int family, uint8_t nb_vlan)
{
	struct conn c;
	struct view sa, syn, ack, upd;

	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
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

	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

static void test_ipv4_options(void **s) { (void)s; l3_extras_case(4); }
static void test_ipv6_ext_header(void **s) { (void)s; l3_extras_case(6); }

/* ================================================================ limits */

static void
test_flow_table_full(void **state)
{
	struct conn first, c;
	uint32_t ok = 0;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
		if (w.tx[ROLE_LAN].n == 1)
			ok++;
		tx_drop_all();
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
	px_end();
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
	px_start(CFG_MODE_COOKIE, tweak_rl);
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
	w.now_ms += 1000;
	syn_ok(&c[5]);
	send_syn(&c[5]);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_ratelimited, 3);
	px_end();
}

/* A rate-limited SYN is not a bad SYN (syn_bad: "bad checksum, options or flags"). */
static void
test_ratelimit_not_counted_bad(void **state)
{
	struct conn c;

	(void)state;
	px_start(CFG_MODE_COOKIE, tweak_rl);
	for (int i = 0; i < 6; i++) {
		conn_init(&c, 4, 0x0901 + i);
		send_syn(&c);
	}
	expect_tx(0, 5);
	assert_int_equal(st()->syn_ratelimited, 1);
	assert_int_equal(st()->syn_bad, 0);
	px_end();
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
	px_start(CFG_MODE_AUTO, tweak_auto);
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
	w.now_ms += 2500;
	conn_init(&c, 4, 0x0b00);
	syn_ok(&c);
	assert_int_equal(st()->synack_sent_cache, 10);
	assert_false(occ().under_attack);
	px_end();
}

/* ================================================================ cache mode, entry lost */

/*
 * Cache mode, client without timestamps: the SYN-ACK announces window scale
 * (and SACK), which only the cache remembers. If the entry is gone when the
 * ACK comes (expired here; evicted under load likewise) the connection must
 * not end up with windows the client reads 2^wscale times too large.
 */
static void
test_cache_lost_entry_no_ts_windows(void **state)
{
	struct conn c;
	struct view sa, syn, ack, upd;

	(void)state;
	px_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 4, 37);
	c.cli_ts = false;
	do_syn(&c, &sa);
	uint8_t told = sa.o.wscale;
	assert_int_equal(told, cfg.synproxy.default_wscale);
	view_free(&sa);
	assert_int_equal(occ().syn_cache, 1);

	/* the cache keeps entries two cookie periods of the worker clock; the
	 * cookie's age is real time, so it still validates: the same as an
	 * entry evicted from a full cache */
	w.now_ms += cfg.synproxy.cookie_period * 2000 + 1;
	sweep();
	assert_int_equal(occ().syn_cache, 0);

	do_ack3(&c, &syn);
	assert_int_equal(st()->ack_cookie_ok, 1);
	view_free(&syn);
	do_server_synack(&c, &ack, &upd);
	/* the client scales what it reads by `told` */
	assert_true(((uint32_t)upd.win << told) <= c.srv_win);
	view_free(&ack);
	view_free(&upd);
	uint16_t seen = server_window_seen(&c, 65535);
	assert_true(((uint32_t)seen << told) <= 65535u);
	px_end();
}

/* SYN+FIN is no connection request (Linux drops it in LISTEN). */
static void
test_syn_fin_dropped(void **state)
{
	struct conn c;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 38);
	struct optspec o = conn_syn_opts(&c);
	seg_in(&c, true, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, c.client_isn, 0, 100, &o, 0);
	expect_tx(0, 0);
	assert_int_equal(st()->syn_bad, 1);
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* Frames of several flows in one burst, each handled in arrival order. */
static void
test_burst_mixed(void **state)
{
	struct conn c1, c2, c3;
	struct rte_mbuf *b[4];
	struct view v;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	assert_int_equal(v.flags, RTE_TCP_SYN_FLAG);
	view_free(&v);
	view_take(ROLE_LAN, &v);
	assert_dir(&v, &c3, true);
	assert_int_equal(v.flags, RTE_TCP_SYN_FLAG);
	view_free(&v);
	view_take(ROLE_WAN, &v);
	assert_dir(&v, &c2, false);
	assert_int_equal(v.flags, SYN_ACK);
	view_free(&v);
	/* c1's data right behind its handshake ACK found the new flow */
	assert_int_equal(st()->early_data_drop, 1);
	assert_int_equal(st()->ack_cookie_ok, 2);
	assert_int_equal(nstate(FLOW_S_SYN_SENT), 2);
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
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
	px_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c, 4, 47);
	conn_init(&c2, 4, 48);
	establish(&c);
	seg_in(&c, false, RTE_TCP_FIN_FLAG | ACK, c.server_isn + 1, c.client_isn + 1, 1000, NULL, 0);
	seg_in(&c, true, RTE_TCP_FIN_FLAG | ACK, c.client_isn + 1, c.proxy_isn + 2, 1000, NULL, 0);
	tx_drop_all();
	assert_int_equal(nstate(FLOW_S_TIME_WAIT), 1);

	struct optspec o = conn_syn_opts(&c), o2 = conn_syn_opts(&c2);
	b[0] = seg_mbuf(&c, true, RTE_TCP_SYN_FLAG, c.client_isn + 100000, 0, 1000, &o, 0);
	b[1] = seg_mbuf(&c2, true, RTE_TCP_SYN_FLAG, c2.client_isn, 0, 1000, &o2, 0);
	b[2] = seg_mbuf(&c, true, ACK, c.client_isn + 2, c.proxy_isn + 2, 1000, NULL, 50);
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
	px_end();
}

/* A server without timestamps: the flow stops translating them. */
static void
test_server_without_timestamps(void **state)
{
	struct conn c;
	struct view ack, upd, d;

	(void)state;
	px_start(CFG_MODE_COOKIE, NULL);
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
	px_end();
}

/* ================================================================ cookie age */

static uint32_t
tsc_seconds(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

/* Sleep into second `target` of the proxy's cookie clock, rotating the
 * secrets as the control lcore would. */
static void
wait_second(uint32_t target)
{
	while (tsc_seconds() < target) {
		synproxy_secrets_rotate(secrets);
		rte_delay_us_sleep(20000);
	}
	synproxy_secrets_rotate(secrets);
}

static void
tweak_period1(struct cfg_synproxy *c)
{
	c->cookie_period = 1;
}

/* Real time, about 3 s: a cookie is good one period later, not two. The
 * config asks for periods of 2 s or more so that a rotation never runs
 * concurrently with readers on other lcores; this test has none, so 1 s is
 * safe and halves the wait. */
static void
test_cookie_age(void **state)
{
	struct conn c1, c2;

	(void)state;
	px_start(CFG_MODE_COOKIE, tweak_period1);
	conn_init(&c1, 4, 60);
	conn_init(&c2, 4, 61);
	uint32_t t = tsc_seconds() + 1;
	wait_second(t);                 /* a whole second of margin ahead */
	syn_ok(&c1);
	syn_ok(&c2);
	assert_int_equal(tsc_seconds(), t);
	wait_second(t + 1);
	ack3_ok(&c1);                   /* made in the previous period: good */
	assert_int_equal(st()->ack_cookie_ok, 1);
	wait_second(t + 2);
	send_ack3(&c2, 0);              /* two periods old: refused */
	expect_tx(0, 0);
	assert_int_equal(st()->ack_bad_cookie, 1);
	assert_int_equal(nflows(), 1);
	px_end();
}

/* ================================================================ main */

static int
eal_setup(void **state)
{
	char *argv[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return -1;
	worker_clock_init();
	return 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, px_teardown)

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
		T(test_data_v4_cookie),
		T(test_data_v6_cookie),
		T(test_data_v4_cache),
		T(test_data_v6_cache),
		T(test_data_wrap_v4),
		T(test_data_wrap_v6),
		T(test_window_rescale),
		T(test_window_server_no_wscale),
		T(test_learn_server_options),
		T(test_fuzz_segments),
		T(test_learn_reprobe),
		T(test_bogus_ack),
		T(test_ack_bad_csum),
		T(test_syn_bad_csum),
		T(test_syn_bad_options),
		T(test_bad_csum_stays_bad),
		T(test_rst_from_wan),
		T(test_rst_from_lan),
		T(test_fin_time_wait_expiry),
		T(test_fin_then_new_syn),
		T(test_server_rst_syn_sent_v4),
		T(test_server_rst_syn_sent_v6),
		T(test_client_rst_syn_sent),
		T(test_server_challenge_ack),
		T(test_syn_reuses_live_tuple),
		T(test_server_synack_wrong_ack),
		T(test_server_synack_retransmitted),
		T(test_syn_retransmit),
		T(test_syn_retransmit_stops_on_synack),
		T(test_lan_initiated),
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
		T(test_cache_lost_entry_no_ts_windows),
		T(test_syn_fin_dropped),
		T(test_learning_between_syn_and_ack),
		T(test_burst_mixed),
		T(test_burst_insert_seen_later),
		T(test_burst_release_seen_later),
		T(test_server_without_timestamps),
		T(test_cookie_age),
	};

	return cmocka_run_group_tests_name("synproxy", tests, eal_setup, eal_teardown);
}
