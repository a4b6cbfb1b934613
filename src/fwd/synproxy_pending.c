/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_pending.c - SYNs the proxy sent to servers, kept for
 * retransmission, and the proxy's housekeeping.
 *
 * A client that completed the handshake believes it is connected: if the
 * SYN to the server is lost, only the proxy can send it again. Each flow in
 * SYN_SENT may own one slot holding a copy of its SYN; a clock hand walks
 * the slots a few per loop and retransmits the due ones with exponential
 * backoff, up to the configured number of retries: SYNs at retx, 3 retx,
 * 7 retx... after the first, and when the wait after the last one (it
 * doubles too) has passed, retx * (2^(retries + 1) - 1) after the first SYN,
 * the handshake is given up: the client, which believes it is connected, gets
 * a RST in its own sequence space, the server one in its own (it may hold a
 * half-open connection whose SYN-ACKs were lost), both built from the copy,
 * and the flow goes. config.c's check keeps timeout.syn_sent above that.
 * The slots are bounded apart from the flow table because each holds an
 * mbuf; without a free slot the handshake simply has no retransmission and
 * just expires with the flow (syn_to_server_timeout, no RST).
 *
 * Housekeeping runs once per worker loop with small budgets (flow expiry,
 * pending SYNs, SYN cache expiry) so the loop never stalls.
 */
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
	rte_pktmbuf_free(sp->pend[i].m);
	sp->pend[i].m = NULL;
	sp->pend_free[sp->pend_nfree++] = i;
	fe->pending = UINT32_MAX;
}

void
pending_keep(struct synproxy_lcore *sp, struct flow_entry *fe, struct rte_mbuf *syn)
{
	if (sp->pend_nfree == 0)
		return;   /* no retransmission for this one, nor a RST at the end */
	struct rte_mbuf *copy = rte_pktmbuf_copy(syn, sp->mp, 0, UINT32_MAX);
	if (copy == NULL) {
		sp->stats.alloc_fail++;
		return;
	}
	uint32_t i = sp->pend_free[--sp->pend_nfree];
	sp->pend[i].m = copy;
	sp->pend[i].flow_idx = flow_table_index(sp->flows, fe);
	sp->pend[i].next_ms = sp->now_ms + sp->retx_ms;
	fe->pending = i;
	fe->retries = 0;
}

/* All retries unanswered: reset both ends from the SYN copy, drop the flow.
 * At most one frame per port. Counts syn_to_server_timeout, syn_timeout_rst. */
static void
pending_give_up(struct synproxy_lcore *sp, struct tx_sink *tx, struct flow_entry *fe,
		struct pending_syn *p)
{
	struct rte_mbuf *syn = p->m;
	struct pkt_meta mt;
	struct seg s;

	p->m = NULL;   /* ours now; flow_release() frees the slot */
	sp->stats.syn_to_server_timeout++;
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
		if (p->m == NULL || (int32_t)(sp->now_ms - p->next_ms) < 0)
			continue;
		struct flow_entry *fe = flow_table_entry_at(sp->flows, p->flow_idx);
		if (fe->retries >= sp->retries) {
			pending_give_up(sp, tx, fe, p);
			continue;
		}
		struct rte_mbuf *copy = rte_pktmbuf_copy(p->m, sp->mp, 0, UINT32_MAX);
		if (copy == NULL) {
			sp->stats.alloc_fail++;
			continue;
		}
		fe->retries++;
		p->next_ms = sp->now_ms + (sp->retx_ms << fe->retries);
		sp->stats.syn_to_server_retx++;
		tx_sink_push(tx, ROLE_LAN, copy);
	}
}

/* Flow table expiry: free the pending SYN and count why the flow went. */
static void
on_expire(void *arg, const struct flow_key *k, struct flow_entry *fe)
{
	struct synproxy_lcore *sp = arg;
	(void)k;
	if (fe->state == FLOW_S_SYN_SENT && (fe->flags & FLOW_F_PROXIED))
		sp->stats.syn_to_server_timeout++;
	pending_release(sp, fe);
	sp->stats.flows_expired++;
}

void
flow_release(struct synproxy_lcore *sp, struct flow_entry *fe)
{
	pending_release(sp, fe);
	flow_table_remove_entry(sp->flows, fe);
	sp->stats.flows_closed++;
}

void
synproxy_housekeeping(struct synproxy_lcore *sp, struct tx_sink *tx, uint32_t now_ms)
{
	sp->now_ms = now_ms;
	flow_table_expire(sp->flows, sp->now_ms, EXPIRE_BUDGET, on_expire, sp);
	if (sp->pend_nfree < sp->pend_cap)
		pending_scan(sp, tx);
	if (sp->cache && syn_cache_count(sp->cache))
		syn_cache_expire(sp->cache, sp->now_ms, sp->cache_max_age_ms, CACHE_BUDGET);
}
