/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - shared state of synproxy-bench.
 *
 * The benchmark drives the worker's own per-lcore step, worker_handle_rx()
 * (parse + process), then synproxy_housekeeping() and worker_tx_flush() on
 * both ports - exactly what worker_poll_once() does after rte_eth_rx_burst().
 * Only the receive is emulated: a burst of mbufs is allocated from the real
 * pool and a pre-built template frame is copied into each. That emulation is
 * timed separately (emu_tsc), so the data path's own cost per packet is the
 * total minus the emulation.
 *
 * One bench_worker per lcore used. Each owns a real struct worker (queue i
 * on both net_null ports, so transmit is real: the null PMD frees the mbufs)
 * and, per scenario, a fresh synproxy_lcore (flow table, SYN cache, rate
 * limit, learned options), its own template frames and its own flows. Frames
 * are placed as symmetric hardware RSS would place them: every worker only
 * ever sees its own flows, so software steering is off.
 */
#ifndef SYNPROXY_BENCH_H
#define SYNPROXY_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "config.h"
#include "worker.h"
#include "fwd/synproxy.h"

#define BENCH_MAX_WORKERS 16
#define BENCH_BURST_MAX   64

struct scenario;

struct sp_runtime;

struct bench_opts {
	double duration_s;          /* per run and per worker */
	uint64_t max_packets;       /* per run and per worker, 0 = unbounded */
	unsigned repeat;
	unsigned lcores;            /* workers of the multi-worker runs (1 = no scaling run) */
	uint16_t burst;
	uint32_t flows_small;       /* established-10k */
	uint32_t flows_large;       /* established-1m */
	uint32_t pool_frames;       /* template frames of the flood pools */
	uint32_t hs_tuples;         /* tuples the handshake scenario cycles through */
	bool quick;
	bool offload;               /* emulate NIC checksum offloads (RX verified, TX computed) */
	bool thp;                   /* madvise huge pages: template pools (anon THP), EAL memory (shmem THP, if enabled) */
	bool verbose;
	bool policy;                /* --policy: services and source lists configured */
	bool svc_limits;            /* --svc-limits: --policy, the wide service with its own caps */
	uint64_t seed;
	const char *json_path;
	const char *select;         /* --scenario list, NULL = all */
};

extern struct bench_opts bench_opts;
extern struct cookie_secrets *bench_secrets;

/* xorshift64*: deterministic per worker, cheap, good enough for addresses. */
static inline uint64_t
bench_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

struct bench_worker {
	uint16_t idx;
	unsigned lcore;
	int socket;
	struct worker *w;               /* the real worker state */
	struct sp_runtime *rt;          /* --policy: the live settings the proxy reads */
	struct rte_mempool *mp;
	uint64_t rng;
	const struct scenario *sc;
	struct synproxy_config cfg;     /* this scenario's config */
	void *priv;                     /* scenario state (templates, flows) */

	/* set up */
	uint32_t flows_wanted, flows_ok;

	/* one run */
	uint64_t pkts;                  /* frames injected (received) */
	uint64_t conns;                 /* completed handshakes */
	uint64_t tsc;                   /* whole loop */
	uint64_t emu_tsc;               /* of which RX emulation (alloc + copy + patching) */
	uint64_t alloc_fail;
	uint64_t rx_ol_flags;           /* what the emulated NIC marks on received mbufs */
	uint64_t preempted;             /* involuntary context switches during the run */
	/* Loop iterations that took far longer than any normal one (the thread
	 * was preempted or the core stolen): left out of the per-frame cost. */
	uint64_t spike_tsc, spike_emu_tsc, spike_pkts, spikes;
	struct synproxy_stats before, delta;

	int err;
	char errmsg[160];
} __rte_cache_aligned;

/* One worker loop tail: housekeeping and both flushes, as worker_poll_once. */
static inline void
bench_loop_tail(struct bench_worker *bw)
{
	worker_loop_tail(bw->w);
}

static inline void
bench_clock(struct bench_worker *bw)
{
	bw->w->now_ms = worker_clock_ms();
}

#endif
