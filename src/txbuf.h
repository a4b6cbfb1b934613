/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txbuf.h - the transmit sink: frames queued per output port during one loop
 * iteration, handed to the NIC by the worker.
 *
 * The worker owns the sink and the loop; the SYN proxy only appends to it.
 * That keeps the dependency one way (worker -> proxy -> sink) while the push
 * stays one array store. The proxy never flushes: the worker makes room
 * before each call (tx_sink_room), sized by the proxy's output bound (at most
 * one frame per port for each frame in, SYNPROXY_HK_TX_MAX for housekeeping).
 * Should that bound ever be broken, the frame is freed and counted
 * (overflow), never written past the array.
 *
 * The sink also counts the frames bridged or translated from each input
 * port (fwd[in]); the worker folds them into its fwd_lan_to_wan /
 * fwd_wan_to_lan counters after each call.
 */
#ifndef SYNPROXY_TXBUF_H
#define SYNPROXY_TXBUF_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "common.h"

#define TX_BUF_SIZE (2 * MAX_BURST)

struct tx_buf {
	uint16_t n;
	struct rte_mbuf *pkts[TX_BUF_SIZE];
};

struct tx_sink {
	struct tx_buf q[ROLE_MAX];   /* by output port */
	uint64_t fwd[ROLE_MAX];      /* frames passed on to the other port, by input port */
	uint64_t overflow;           /* frames freed because q was full (bound broken) */
};

/* Free slots of an output queue. */
static inline uint16_t
tx_sink_room(const struct tx_sink *t, enum port_role out)
{
	return (uint16_t)(TX_BUF_SIZE - t->q[out].n);
}

/* The full-queue case, out of line: with rte_pktmbuf_free() inside it,
 * tx_sink_push() was too big to inline and every forwarded frame paid a
 * call (LTO build, synproxy-bench passthrough). */
static __rte_noinline void
tx_sink_overflow(struct tx_sink *t, struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
	t->overflow++;
}

/* Queue a frame the proxy sends (an answer, a rewrite, a retransmission). */
static inline void
tx_sink_push(struct tx_sink *t, enum port_role out, struct rte_mbuf *m)
{
	struct tx_buf *b = &t->q[out];

	if (unlikely(b->n == TX_BUF_SIZE)) {
		tx_sink_overflow(t, m);
		return;
	}
	b->pkts[b->n++] = m;
}

/* Pass a frame on to the other port (bridged or translated), counted. */
static inline void
tx_sink_forward(struct tx_sink *t, enum port_role in, struct rte_mbuf *m)
{
	t->fwd[in]++;
	tx_sink_push(t, role_other(in), m);
}

#endif
