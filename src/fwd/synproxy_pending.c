/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_pending.c - SYNs the proxy sent to servers, kept for
 * retransmission, and the proxy's housekeeping.
 *
 * A client that completed the handshake believes it is connected: if the
 * SYN to the server is lost, only the proxy can send it again. Each flow in
 * SYN_SENT may own one slot; a clock hand walks the slots a few per loop and
 * retransmits the due ones with exponential backoff, up to the configured
 * number of retries: SYNs at retx, 3 retx, 7 retx... after the first, and
 * when the wait after the last one (it doubles too) has passed,
 * retx * (2^(retries + 1) - 1) after the first SYN, the handshake is given
 * up: the client, which believes it is connected, gets a RST in its own
 * sequence space, the server one in its own (it may hold a half-open
 * connection whose SYN-ACKs were lost), both built from the SYN rebuilt, and
 * the flow goes. config.c's check keeps timeout.syn_sent above that. Without
 * a free slot the handshake simply has no retransmission and just expires
 * with the flow (syn_to_server_timeout, no RST).
 *
 * A slot holds no mbuf. The SYN is rebuilt when it is due
 * (syn_frame_from_flow, synproxy_out.h): ISN, MSS, window scale, SACK and
 * timestamp flags and the client's TSval are in the flow entry, addresses
 * and ports in its key, and the slot keeps the rest, the L2 header (MACs,
 * VLAN tags) and the SYN's window, in 36 bytes of a preallocated array. Why
 * not a copy of the frame in an mbuf, as before: every worker drew its
 * copies from the one shared pool for up to timeout_syn_sent, so a client
 * completing handshakes to a port the server silently drops could hold most
 * of the pool (the copies of all workers plus the RX/TX rings exceeded it
 * with two workers), and RX refill then failed on both ports. Now a
 * retransmission holds one mbuf from its allocation to the transmit, like
 * any frame of a burst, and the pool only has to cover the rings, caches and
 * bursts (main.c checks it at startup). The cost: one mbuf allocation and a
 * header build per retransmission instead of an mbuf copy, the same order
 * of work; keeping a handshake costs a 22-byte copy instead of an mbuf copy.
 *
 * Slots: a quarter of the flow table per worker (36 bytes each, about 9
 * bytes per flow of capacity). More than a quarter of all flows waiting on
 * servers means the servers are not answering; handshakes beyond that go
 * without retransmission.
 *
 * Housekeeping runs once per worker loop with small budgets (flow expiry,
 * pending SYNs, probes past their deadline, SYN cache expiry) so the loop
 * never stalls.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "parse.h"
#include "fwd/synproxy_int.h"
#include "fwd/synproxy_out.h"
#include "syncookie/syn_cache.h"

void
pending_release(struct synproxy_lcore *sp, struct flow_entry *fe)
{
	uint32_t i = fe->pending;
	if (i == UINT32_MAX || i >= sp->pend_cap)
		return;
	sp->pend[i].l2_len = 0;
	sp->pend_free[sp->pend_nfree++] = i;
	fe->pending = UINT32_MAX;
}

void
pending_keep(struct synproxy_lcore *sp, struct flow_entry *fe, const struct rte_mbuf *syn,
	     uint16_t win)
{
	if (sp->pend_nfree == 0)
		return;   /* no retransmission for this one, nor a RST at the end */
	uint16_t l2_len = syn->l2_len;   /* set by tcp_build_frame: the L3 offset */
	if (l2_len == 0 || l2_len > PENDING_L2_MAX || l2_len > rte_pktmbuf_data_len(syn))
		return;   /* never: the parser accepts no longer L2 header */
	uint32_t i = sp->pend_free[--sp->pend_nfree];
	struct pending_syn *p = &sp->pend[i];
	memcpy(p->l2, rte_pktmbuf_mtod(syn, const uint8_t *), l2_len);
	p->l2_len = (uint8_t)l2_len;
	p->win = win;
	p->flow_idx = flow_table_index(sp->flows, fe);
	p->next_ms = sp->now_ms + sp->retx_ms;
	fe->pending = i;
	fe->retries = 0;
}

/* All retries unanswered: reset both ends from the SYN rebuilt, drop the
 * flow. At most one frame per port. Counts syn_to_server_timeout,
 * syn_timeout_rst. */
static void
pending_give_up(struct synproxy_lcore *sp, struct tx_sink *tx, struct flow_entry *fe,
		const struct flow_key *k, const struct pending_syn *p)
{
	struct pkt_meta mt;
	struct seg s;

	sp->stats.syn_to_server_timeout++;
	struct rte_mbuf *syn = syn_frame_from_flow(sp, k, fe, p);
	if (syn == NULL) {
		flow_release(sp, fe);   /* no mbuf: the flow goes without its RSTs */
		return;
	}
	if ((pkt_parse(syn, &mt) & (PKT_F_L4 | PKT_F_BAD | PKT_F_FRAG)) != PKT_F_L4 ||
	    mt.l4proto != IPPROTO_TCP) {
		rte_pktmbuf_free(syn);   /* the proxy built it: cannot happen */
		flow_release(sp, fe);
		return;
	}
	struct rte_mbuf *to_srv = rte_pktmbuf_copy(syn, sp->mp, 0, UINT32_MAX);
	if (to_srv != NULL) {
		struct pkt_meta mt2 = mt;
		seg_init(&s, to_srv, &mt2);
		out_rst_to_server(sp, tx, &s, fe);
	} else {
		sp->stats.alloc_fail++;
	}
	seg_init(&s, syn, &mt);
	out_rst_timeout_to_client(sp, tx, &s, fe);
	sp->stats.syn_timeout_rst++;
	flow_release(sp, fe);
}

/* Retransmit due SYNs, PENDING_BUDGET slots per call at most. */
static void
pending_scan(struct synproxy_lcore *sp, struct tx_sink *tx)
{
	for (unsigned b = 0; b < PENDING_BUDGET && sp->pend_nfree < sp->pend_cap; b++) {
		uint32_t i = sp->pend_hand;
		sp->pend_hand = (i + 1 == sp->pend_cap) ? 0 : i + 1;
		struct pending_syn *p = &sp->pend[i];
		if (p->l2_len == 0 || (int32_t)(sp->now_ms - p->next_ms) < 0)
			continue;
		struct flow_entry *fe = flow_table_entry_at(sp->flows, p->flow_idx);
		struct flow_key k;
		if (flow_table_get_key(sp->flows, p->flow_idx, &k) != 0) {
			pending_release(sp, fe);   /* never: a slot's flow is live */
			continue;
		}
		if (fe->retries >= sp->retries) {
			pending_give_up(sp, tx, fe, &k, p);
			continue;
		}
		fe->retries++;
		p->next_ms = sp->now_ms + (sp->retx_ms << fe->retries);
		sp->stats.syn_to_server_retx++;
		out_syn_retx_to_server(sp, tx, &k, fe, p);
	}
}

/* Flow table expiry: free the pending SYN, uncount the flow from its prefix
 * and count why it went. */
static void
on_expire(void *arg, const struct flow_key *k, struct flow_entry *fe)
{
	struct synproxy_lcore *sp = arg;
	if (fe->state == FLOW_S_SYN_SENT && (fe->flags & FLOW_F_PROXIED))
		sp->stats.syn_to_server_timeout++;
	pending_release(sp, fe);
	limits_release(sp, k, fe);
	sp->stats.flows_expired++;
}

/* The flow leaves the table: its pending SYN and its prefix count go with
 * it. With the key and table hash at hand (a restart) nothing is read back. */
void
flow_release_key(struct synproxy_lcore *sp, struct flow_entry *fe, const struct flow_key *k,
		 uint32_t hash)
{
	pending_release(sp, fe);
	limits_release(sp, k, fe);
	flow_table_remove(sp->flows, k, hash);
	sp->stats.flows_closed++;
}

void
flow_release(struct synproxy_lcore *sp, struct flow_entry *fe)
{
	struct flow_key k;

	/* The key once, for both the prefix release and the removal. */
	if (flow_table_get_key(sp->flows, flow_table_index(sp->flows, fe), &k) != 0) {
		pending_release(sp, fe);   /* not a live entry: nothing else to undo */
		sp->stats.flows_closed++;
		return;
	}
	flow_release_key(sp, fe, &k, flow_table_hash(sp->flows, &k));
}

void
synproxy_housekeeping(struct synproxy_lcore *sp, struct tx_sink *tx, uint32_t now_ms)
{
	sp->now_ms = now_ms;
	flow_table_expire(sp->flows, sp->now_ms, EXPIRE_BUDGET, on_expire, sp);
	if (sp->pend_nfree < sp->pend_cap)
		pending_scan(sp, tx);
	if (sp->n_probes != 0)
		probe_expire(sp, tx);
	if (sp->cache && syn_cache_count(sp->cache))
		syn_cache_expire(sp->cache, sp->now_ms, sp->cache_max_age_ms, CACHE_BUDGET);
}
