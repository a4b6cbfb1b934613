/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_hs.c - proxied handshakes through the worker (design in bench_hs.h). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "parse.h"
#include "fwd/tcp_opts.h"

#include "bench_hs.h"
#include "bench_rx.h"

/* Half the TX buffer: a group's answers must all still sit in it when read. */
#define HS_GROUP_MAX (TX_BUF_SIZE / 2)

int
hs_set_init(struct hs_set *h, uint32_t cap)
{
	memset(h, 0, sizeof(*h));
	h->f = calloc(cap, sizeof(*h->f));
	if (h->f == NULL || tpl_pool_init(&h->syn, cap) || tpl_pool_init(&h->ack, cap) ||
	    tpl_pool_init(&h->synack, cap) || tpl_pool_init(&h->data, cap) ||
	    tpl_pool_init(&h->rst, cap)) {
		hs_set_free(h);
		return -1;
	}
	h->cap = cap;
	return 0;
}

void
hs_set_free(struct hs_set *h)
{
	free(h->f);
	tpl_pool_free(&h->syn);
	tpl_pool_free(&h->ack);
	tpl_pool_free(&h->synack);
	tpl_pool_free(&h->data);
	tpl_pool_free(&h->rst);
	memset(h, 0, sizeof(*h));
}

uint32_t
hs_set_add(struct hs_set *h, const struct bflow *f)
{
	uint32_t i = h->n++;

	h->f[i] = *f;
	/* ack, data and rst carry a placeholder cookie until patched */
	tpl_push(&h->syn, bf_client_syn(tpl_slot(&h->syn, i), f));
	tpl_push(&h->ack, bf_client_ack(tpl_slot(&h->ack, i), f));
	tpl_push(&h->synack, bf_server_synack(tpl_slot(&h->synack, i), f));
	tpl_push(&h->data, bf_client_data(tpl_slot(&h->data, i), f, false));
	tpl_push(&h->rst, bf_client_rst(tpl_slot(&h->rst, i), f));
	return i;
}

enum patch { PATCH_NONE, PATCH_ACK, PATCH_ACK_TS };

/* Receive the templates of tuples idx[0..n) from pool p on `in`. */
static void
inject(struct bench_worker *bw, const struct hs_set *h, const struct tpl_pool *p,
       const uint32_t *idx, uint16_t n, enum patch patch, enum port_role in)
{
	struct rte_mbuf *pkts[HS_GROUP_MAX];
	uint64_t t0 = rte_rdtsc();

	if (n == 0)
		return;
	if (bench_alloc(bw, pkts, n) != 0) {
		bw->emu_tsc += rte_rdtsc() - t0;
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		const struct bflow *f = &h->f[idx[i]];
		bench_mbuf_fill(bw, pkts[i], tpl_slot(p, idx[i]), p->len[idx[i]], in);
		if (patch != PATCH_NONE)
			bf_patch_ack(rte_pktmbuf_mtod(pkts[i], uint8_t *), f->cookie + 1,
				     patch == PATCH_ACK_TS, f->synack_ts);
	}
	bw->pkts += n;
	bw->emu_tsc += rte_rdtsc() - t0;
	worker_handle_rx(bw->w, pkts, n, in);
}

/*
 * Match the frames the proxy queued in b against tuples idx[0..n): keep (in
 * idx, in their order) the tuples that got a frame. to_client: the frames
 * go to the client (SYN-ACKs: record the cookie and TSval; a probed tuple's
 * comes after the others, whatever its place); else they come from it (the
 * SYNs to the servers).
 */
static uint16_t
match_tx(struct hs_set *h, const struct tx_buf *b, uint32_t *idx, uint16_t n, bool to_client)
{
	bool got[HS_GROUP_MAX] = { false };
	uint16_t keep = 0;

	for (uint16_t k = 0; k < b->n; k++) {
		const struct rte_mbuf *m = b->pkts[k];
		struct pkt_meta mt;

		pkt_parse(m, &mt);
		if ((mt.flags & (PKT_F_BAD | PKT_F_L4)) != PKT_F_L4 || mt.l4proto != IPPROTO_TCP ||
		    mt.l3 != PKT_L3_IPV4)
			continue;
		const uint8_t *fr = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(fr + mt.l3_off);
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(fr + mt.l4_off);
		uint32_t addr = to_client ? ip->dst_addr : ip->src_addr;
		uint16_t port = rte_be_to_cpu_16(to_client ? th->dst_port : th->src_port);
		uint16_t t = 0;

		while (t < n && (got[t] || h->f[idx[t]].wan_addr != addr || h->f[idx[t]].wan_port != port))
			t++;
		if (t == n)
			continue;   /* not one of ours (cannot happen: buffer flushed first) */
		got[t] = true;
		if (to_client) {
			struct bflow *f = &h->f[idx[t]];
			struct tcp_opts o;
			f->cookie = rte_be_to_cpu_32(th->sent_seq);
			f->synack_ts = tcp_opts_parse(th, mt.tcp_hlen, &o) == 0 && o.ts_present ? o.tsval : 0;
		}
	}
	for (uint16_t t = 0; t < n; t++)
		if (got[t])
			idx[keep++] = idx[t];
	return keep;
}

/*
 * The bench's servers answer the proxy's probe SYNs (fwd/synproxy_probe.c:
 * a SYN with no ACK on the LAN queue after the client SYNs) as a real
 * server does: a SYN-ACK acknowledging the probe ISN, received on the LAN.
 * The proxy then resets each probe (LAN) and answers its client (WAN, read
 * by match_tx). Probes come once per server:port per timeouts.reprobe (the
 * bench has 128 per worker), so most groups have none.
 */
static void
answer_probes(struct bench_worker *bw, struct hs_set *h, const uint32_t *idx, uint16_t n)
{
	struct worker *w = bw->w;
	const struct tx_buf *b = &w->tx.q[ROLE_LAN];
	struct rte_mbuf *pkts[HS_GROUP_MAX];
	uint8_t frame[TPL_STRIDE];
	uint16_t np = 0;
	uint64_t t0 = rte_rdtsc();

	if (b->n == 0)
		return;
	for (uint16_t k = 0; k < b->n && np < HS_GROUP_MAX; k++) {
		const struct rte_mbuf *m = b->pkts[k];
		struct pkt_meta mt;
		struct tcp_opts o;

		pkt_parse(m, &mt);
		if ((mt.flags & (PKT_F_BAD | PKT_F_L4)) != PKT_F_L4 || mt.l4proto != IPPROTO_TCP ||
		    mt.l3 != PKT_L3_IPV4 || (mt.tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) != RTE_TCP_SYN_FLAG)
			continue;
		const uint8_t *fr = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(fr + mt.l3_off);
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(fr + mt.l4_off);
		uint16_t port = rte_be_to_cpu_16(th->src_port), t = 0;
		while (t < n && (h->f[idx[t]].wan_addr != ip->src_addr || h->f[idx[t]].wan_port != port))
			t++;
		if (t == n || bench_alloc(bw, &pkts[np], 1) != 0)
			continue;
		const struct bflow *f = &h->f[idx[t]];
		uint32_t tsecr = tcp_opts_parse(th, mt.tcp_hlen, &o) == 0 && o.ts_present ? o.tsval : 0;
		uint16_t len = bf_tcp(frame, f, false, f->lan_isn, rte_be_to_cpu_32(th->sent_seq) + 1,
				      RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 65160, BF_O_SYN, f->lan_ts,
				      tsecr, 0);
		bench_mbuf_fill(bw, pkts[np++], frame, len, ROLE_LAN);
	}
	worker_tx_flush(w, ROLE_LAN);   /* the probes went out */
	bw->emu_tsc += rte_rdtsc() - t0;
	if (np == 0)
		return;
	bw->pkts += np;
	worker_handle_rx(w, pkts, np, ROLE_LAN);
	worker_tx_flush(w, ROLE_LAN);   /* the RSTs that end them */
}

uint16_t
hs_group(struct bench_worker *bw, struct hs_set *h, uint32_t first, uint16_t n, unsigned flags)
{
	struct worker *w = bw->w;
	uint32_t idx[HS_GROUP_MAX];
	uint64_t t0;
	uint16_t k;

	n = RTE_MIN(n, (uint16_t)HS_GROUP_MAX);
	if (first >= h->n)
		return 0;
	n = (uint16_t)RTE_MIN((uint32_t)n, h->n - first);
	bench_clock(bw);
	/* The answers are read from the TX buffers: start with them empty. */
	worker_tx_flush(w, ROLE_WAN);
	worker_tx_flush(w, ROLE_LAN);
	for (k = 0; k < n; k++) {
		idx[k] = first + k;
		h->f[first + k].ok = 0;
	}

	inject(bw, h, &h->syn, idx, n, PATCH_NONE, ROLE_WAN);
	answer_probes(bw, h, idx, n);
	t0 = rte_rdtsc();
	k = match_tx(h, &w->tx.q[ROLE_WAN], idx, n, true);
	bw->emu_tsc += rte_rdtsc() - t0;
	worker_tx_flush(w, ROLE_WAN);

	inject(bw, h, &h->ack, idx, k, PATCH_ACK_TS, ROLE_WAN);
	t0 = rte_rdtsc();
	k = match_tx(h, &w->tx.q[ROLE_LAN], idx, k, false);
	bw->emu_tsc += rte_rdtsc() - t0;
	worker_tx_flush(w, ROLE_LAN);

	inject(bw, h, &h->synack, idx, k, PATCH_NONE, ROLE_LAN);
	if (flags & HS_DATA)
		inject(bw, h, &h->data, idx, k, PATCH_ACK_TS, ROLE_WAN);
	if (flags & HS_RST)
		inject(bw, h, &h->rst, idx, k, PATCH_ACK, ROLE_WAN);
	for (uint16_t i = 0; i < k; i++)
		h->f[idx[i]].ok = 1;
	bench_loop_tail(bw);
	return k;
}
