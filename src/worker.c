/* SPDX-License-Identifier: BSD-3-Clause */
/* worker.c - the per-lcore burst loop (design in worker.h). */
#include <netinet/in.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "worker.h"
#include "fwd/synproxy.h"

volatile bool worker_quit;

static uint64_t tsc_per_ms;

void
worker_clock_init(void)
{
	tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (tsc_per_ms == 0)
		tsc_per_ms = 1;
}

uint32_t
worker_clock_ms(void)
{
	return (uint32_t)(rte_rdtsc() / tsc_per_ms);
}

/* The cookie period counter needs one clock for all lcores: seconds of TSC. */
uint32_t
worker_clock_sec(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

void
worker_build_sw_reta(uint8_t *reta, uint16_t nb_workers)
{
	for (unsigned i = 0; i < RSS_SW_RETA_SIZE; i++)
		reta[i] = nb_workers ? i % nb_workers : 0;
}

void
worker_init(struct worker *w, uint16_t idx, uint16_t nb_workers)
{
	memset(w, 0, sizeof(*w));
	w->idx = idx;
	w->queue = idx;
	w->nb_workers = nb_workers;
	w->burst = 32;
	w->tx_retries = 8;
	worker_build_sw_reta(w->sw_reta, nb_workers);
}

void
worker_tx_flush(struct worker *w, enum port_role out)
{
	struct tx_buf *b = &w->tx.q[out];
	uint16_t n = b->n, sent = 0;

	if (n == 0)
		return;
	/* A full TX ring usually drains within a few polls: retry briefly,
	 * then drop rather than stall the receive side. */
	for (uint32_t tries = 0; sent < n && tries <= w->tx_retries; tries++)
		sent += rte_eth_tx_burst(w->port[out], w->queue, b->pkts + sent, n - sent);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(b->pkts + sent, n - sent);
		w->stats.tx_drop += n - sent;
	}
	if (out == ROLE_LAN)
		w->stats.tx_lan += sent;
	else
		w->stats.tx_wan += sent;
	b->n = 0;
}

/* Before a proxy call: room for `need` frames on both queues. */
static inline void
tx_make_room(struct worker *w, uint16_t need)
{
	for (int r = 0; r < ROLE_MAX; r++)
		if (unlikely(tx_sink_room(&w->tx, (enum port_role)r) < need))
			worker_tx_flush(w, (enum port_role)r);
}

/* After a proxy call: its forwarding counts into the bridge counters. */
static inline void
sink_fold(struct worker *w)
{
	w->stats.fwd_lan_to_wan += w->tx.fwd[ROLE_LAN];
	w->stats.fwd_wan_to_lan += w->tx.fwd[ROLE_WAN];
	w->stats.tx_drop += w->tx.overflow;
	w->tx.fwd[ROLE_LAN] = w->tx.fwd[ROLE_WAN] = 0;
	w->tx.overflow = 0;
}

/* Count what kind of frames went by; cheap, from the metadata only. */
static inline void
classify_count(struct bridge_stats *s, const struct pkt_meta *m)
{
	s->parse_error += (m->flags & PKT_F_BAD) != 0;
	s->vlan += (m->flags & PKT_F_VLAN) != 0;
	s->fragment += (m->flags & PKT_F_FRAG) != 0;
	s->non_ip += m->l3 == PKT_L3_NONE;
	s->ipv4 += m->l3 == PKT_L3_IPV4;
	s->ipv6 += m->l3 == PKT_L3_IPV6;
	s->tcp += m->l4proto == IPPROTO_TCP;
	s->udp += m->l4proto == IPPROTO_UDP;
	s->icmp += m->l4proto == IPPROTO_ICMP || m->l4proto == IPPROTO_ICMPV6;
}

void
worker_process_burst(struct worker *w, struct rte_mbuf **pkts, struct pkt_meta *meta,
		     uint16_t n, enum port_role in)
{
	for (uint16_t i = 0; i < n; i++)
		classify_count(&w->stats, &meta[i]);

	if (w->sp != NULL) {
		tx_make_room(w, n);
		synproxy_process_burst(w->sp, pkts, meta, n, in, &w->tx, w->now_ms, worker_clock_sec());
		sink_fold(w);
		return;
	}
	/* Pure bridge: everything goes out the other port unchanged. */
	enum port_role out = role_other(in);
	for (uint16_t i = 0; i < n; i++)
		worker_tx(w, out, pkts[i]);
	if (in == ROLE_LAN)
		w->stats.fwd_lan_to_wan += n;
	else
		w->stats.fwd_wan_to_lan += n;
}

/* Software steering: keep our own frames, hand the rest to their owner. */
static uint16_t
steer_burst(struct worker *w, struct rte_mbuf **pkts, struct pkt_meta *meta, uint16_t n)
{
	struct rte_mbuf **away = w->steer_stash;   /* [nb_workers][burst] */
	uint16_t n_away[MAX_WORKERS];
	uint16_t keep = 0;

	memset(n_away, 0, sizeof(n_away[0]) * w->nb_workers);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t owner = w->idx;
		if (meta[i].l3 != PKT_L3_NONE && !(meta[i].flags & PKT_F_BAD)) {
			meta[i].hash = rss_sw_hash(rte_pktmbuf_mtod(pkts[i], const uint8_t *), &meta[i]);
			owner = w->sw_reta[meta[i].hash & (RSS_SW_RETA_SIZE - 1)];
		}
		if (owner == w->idx) {
			pkts[keep] = pkts[i];
			meta[keep] = meta[i];
			keep++;
		} else {
			away[owner * w->burst + n_away[owner]++] = pkts[i];
		}
	}
	for (uint16_t o = 0; o < w->nb_workers; o++) {
		if (n_away[o] == 0)
			continue;
		struct rte_mbuf **a = &away[o * w->burst];
		unsigned q = rte_ring_enqueue_burst(w->inboxes[o], (void **)a, n_away[o], NULL);
		w->stats.steered += q;
		if (unlikely(q < n_away[o])) {
			rte_pktmbuf_free_bulk(a + q, n_away[o] - q);
			w->stats.steer_drop += n_away[o] - q;
		}
	}
	return keep;
}

void
worker_handle_rx(struct worker *w, struct rte_mbuf **pkts, uint16_t n, enum port_role in)
{
	struct pkt_meta meta[MAX_BURST];

	if (in == ROLE_LAN)
		w->stats.rx_lan += n;
	else
		w->stats.rx_wan += n;
	pkt_parse_burst(pkts, meta, n);
	if (w->steer_sw)
		n = steer_burst(w, pkts, meta, n);
	if (n)
		worker_process_burst(w, pkts, meta, n, in);
}

/* Frames handed over by other workers: already counted as rx there, parsed
 * again here (cheaper than carrying the metadata through the ring). */
static void
handle_inbox(struct worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *by_role[ROLE_MAX][MAX_BURST];
	struct pkt_meta meta[MAX_BURST];
	uint16_t cnt[ROLE_MAX] = { 0, 0 };

	for (uint16_t i = 0; i < n; i++) {
		enum port_role r = worker_role_of(w, pkts[i]);
		by_role[r][cnt[r]++] = pkts[i];
	}
	for (int r = 0; r < ROLE_MAX; r++) {
		if (cnt[r] == 0)
			continue;
		pkt_parse_burst(by_role[r], meta, cnt[r]);
		worker_process_burst(w, by_role[r], meta, cnt[r], (enum port_role)r);
	}
}

void
worker_loop_tail(struct worker *w)
{
	if (w->sp != NULL) {
		tx_make_room(w, SYNPROXY_HK_TX_MAX);
		synproxy_housekeeping(w->sp, &w->tx, w->now_ms);
		sink_fold(w);
	}
	worker_tx_flush(w, ROLE_LAN);
	worker_tx_flush(w, ROLE_WAN);
	if (w->qsbr != NULL)
		rte_rcu_qsbr_quiescent(w->qsbr, w->idx);
}

unsigned
worker_poll_once(struct worker *w)
{
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned total = 0;
	uint16_t n;

	w->now_ms = worker_clock_ms();
	for (int r = 0; r < ROLE_MAX; r++) {
		if (!w->poll_rx[r])
			continue;
		n = rte_eth_rx_burst(w->port[r], w->queue, pkts, w->burst);
		if (n) {
			worker_handle_rx(w, pkts, n, (enum port_role)r);
			total += n;
		}
	}
	if (w->steer_sw) {
		n = rte_ring_dequeue_burst(w->inbox, (void **)pkts, w->burst, NULL);
		if (n) {
			handle_inbox(w, pkts, n);
			total += n;
		}
	}
	worker_loop_tail(w);
	return total;
}

void
worker_drain_inbox(struct worker *w)
{
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned n;

	while (w->inbox != NULL &&
	       (n = rte_ring_dequeue_burst(w->inbox, (void **)pkts, MAX_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

int
worker_main(void *arg)
{
	struct worker *w = arg;

	SP_LOG(INFO, "worker %u on lcore %u: queue %u, rx lan %s, rx wan %s", w->idx,
	       rte_lcore_id(), w->queue, w->poll_rx[ROLE_LAN] ? "yes" : "no",
	       w->poll_rx[ROLE_WAN] ? "yes" : "no");
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_register(w->qsbr, w->idx);
		rte_rcu_qsbr_thread_online(w->qsbr, w->idx);
	}
	while (!worker_quit)
		worker_poll_once(w);
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(w->qsbr, w->idx);
		rte_rcu_qsbr_thread_unregister(w->qsbr, w->idx);
	}
	return 0;
}
