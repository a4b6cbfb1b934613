/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker.h - the per-lcore data path.
 *
 * Worker i owns RX/TX queue i on both ports. One loop iteration:
 *
 *   rx burst (LAN q i, WAN q i)  ->  parse  ->  [software steering: hand
 *   frames owned by another worker to its ring]  ->  process burst (the SYN
 *   proxy decides: bridge, answer, rewrite, drop)  ->  tx bursts
 *
 * The worker owns the loop and calls down only: the proxy gets the frames,
 * the transmit sink (txbuf.h) and the clocks as arguments.
 *
 * plus, in software-steering mode, a dequeue of the frames other workers
 * handed to this one, which then take the same parse/process path.
 *
 * Everything here touches only this worker's own state; the only shared
 * objects are the hand-off rings (multi-producer, single-consumer), the
 * read-only config and the proxy's live settings (replaced by a reload under
 * rte_rcu QSBR: the worker reports quiescent at the end of every iteration,
 * when it holds no reference to them).
 */
#ifndef SYNPROXY_WORKER_H
#define SYNPROXY_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "common.h"
#include "parse.h"
#include "rss.h"
#include "stats.h"
#include "txbuf.h"

struct synproxy_lcore;
struct rte_rcu_qsbr;

struct worker {
	/* read-mostly setup */
	uint16_t idx;               /* worker index == queue index */
	uint16_t nb_workers;
	uint16_t burst;
	uint16_t queue;
	uint16_t port[ROLE_MAX];    /* ethdev port id of each role */
	bool poll_rx[ROLE_MAX];     /* this worker has an RX queue on that port */
	bool steer_sw;              /* hand frames to their owner in software */
	uint32_t tx_retries;
	unsigned lcore_id;
	struct rte_ring *inbox;     /* frames other workers hand to this one */
	struct rte_ring **inboxes;  /* every worker's inbox, by index */
	struct rte_mbuf **steer_stash; /* [nb_workers][burst] staging for hand-offs */
	struct rte_mempool *mp;
	struct synproxy_lcore *sp;  /* NULL: pure bridge */
	struct rte_rcu_qsbr *qsbr;  /* live reload: quiescent once per loop (thread id idx) */
	uint8_t sw_reta[RSS_SW_RETA_SIZE];  /* software hash -> owning worker */

	uint32_t now_ms;            /* worker clock, refreshed once per loop */

	struct tx_sink tx __rte_cache_aligned;  /* by output role; the proxy appends too */
	struct bridge_stats stats;  /* written by this worker only */
} __rte_cache_aligned;

/* Global stop flag, set by the signal handler. */
extern volatile bool worker_quit;

void worker_init(struct worker *w, uint16_t idx, uint16_t nb_workers);
/* Software RETA: entry i -> worker i % nb_workers. */
void worker_build_sw_reta(uint8_t *reta, uint16_t nb_workers);

void worker_tx_flush(struct worker *w, enum port_role out);

/* Queue a frame for transmission on a port; flushes when the buffer is full. */
static inline void
worker_tx(struct worker *w, enum port_role out, struct rte_mbuf *m)
{
	struct tx_buf *b = &w->tx.q[out];
	b->pkts[b->n++] = m;
	if (unlikely(b->n == TX_BUF_SIZE))
		worker_tx_flush(w, out);
}

static inline enum port_role
worker_role_of(const struct worker *w, const struct rte_mbuf *m)
{
	return m->port == w->port[ROLE_WAN] ? ROLE_WAN : ROLE_LAN;
}

/*
 * The process step: frames from one role, already parsed. Every mbuf is
 * either queued for transmission or freed before this returns. The benchmark
 * drives exactly this function.
 */
void worker_process_burst(struct worker *w, struct rte_mbuf **pkts, struct pkt_meta *meta,
			  uint16_t n, enum port_role in);

/* Parse + steer + process a burst received from a port (or a hand-off ring). */
void worker_handle_rx(struct worker *w, struct rte_mbuf **pkts, uint16_t n, enum port_role in);

/* After every worker stopped: free what is left in the inboxes. */
void worker_drain_inbox(struct worker *w);

/* The end of a loop iteration: proxy housekeeping, then both TX flushes. */
void worker_loop_tail(struct worker *w);

/* One loop iteration (polls, processes, flushes). Returns frames received. */
unsigned worker_poll_once(struct worker *w);

/* rte_eal_remote_launch entry point: arg is the struct worker. */
int worker_main(void *arg);

/* The ms clock (from the TSC) and the cookie period clock (seconds of TSC). */
void worker_clock_init(void);
uint32_t worker_clock_ms(void);
uint32_t worker_clock_sec(void);

#endif
