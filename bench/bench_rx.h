/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_rx.h - the emulated receive: what rte_eth_rx_burst() hands a worker.
 *
 * mbufs come from the real pool with rte_pktmbuf_alloc_bulk() (through this
 * lcore's mempool cache, as a PMD's refill does), each gets a template frame
 * copied in with rte_memcpy(), the lengths, the input port and - when a NIC
 * with checksum offload is emulated - the RX checksum verdict. Everything up
 * to handing the burst to worker_handle_rx() is timed into bw->emu_tsc; the
 * rest of the loop is the data path.
 */
#ifndef SYNPROXY_BENCH_RX_H
#define SYNPROXY_BENCH_RX_H

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "bench.h"
#include "bench_frames.h"

static inline void
bench_mbuf_fill(const struct bench_worker *bw, struct rte_mbuf *m, const uint8_t *src,
		uint16_t len, enum port_role in)
{
	rte_memcpy(rte_pktmbuf_mtod(m, void *), src, len);
	m->data_len = len;
	m->pkt_len = len;
	m->port = bw->w->port[in];
	m->ol_flags |= bw->rx_ol_flags;
}

/* Allocate n mbufs; on failure count it and give up the burst. */
static inline int
bench_alloc(struct bench_worker *bw, struct rte_mbuf **pkts, uint16_t n)
{
	if (likely(rte_pktmbuf_alloc_bulk(bw->mp, pkts, n) == 0))
		return 0;
	bw->alloc_fail++;
	return -1;
}

/* The next n frames of a pool (cycling), received on `in`. */
static inline uint16_t
bench_rx(struct bench_worker *bw, struct tpl_pool *p, uint16_t n, enum port_role in)
{
	struct rte_mbuf *pkts[BENCH_BURST_MAX];
	uint64_t t0 = rte_rdtsc();
	uint32_t next = p->next;

	if (bench_alloc(bw, pkts, n) != 0) {
		bw->emu_tsc += rte_rdtsc() - t0;
		return 0;
	}
	for (uint16_t i = 0; i < n; i++) {
		bench_mbuf_fill(bw, pkts[i], tpl_slot(p, next), p->len[next], in);
		if (++next == p->n)
			next = 0;
	}
	p->next = next;
	/* The next burst's templates: a NIC's DMA would not make the CPU wait
	 * for them, and big pools stream from memory. */
	for (uint16_t i = 0; i < n; i++) {
		rte_prefetch0(tpl_slot(p, next));
		rte_prefetch0(tpl_slot(p, next) + 64);
		if (++next == p->n)
			next = 0;
	}
	bw->pkts += n;
	bw->emu_tsc += rte_rdtsc() - t0;
	worker_handle_rx(bw->w, pkts, n, in);
	return n;
}

#endif
