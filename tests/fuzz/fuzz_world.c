/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_world.c - the fuzzer's world and record format (see fuzz_world.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "fuzz_world.h"
#include "parse.h"
#include "flow/keyed_hash.h"
#include "syncookie/cookie.h"

#define POOL_SIZE 4095
#define FW_HK_SWEEP 20   /* > 1024 slots / budget 64 */

static struct rte_mempool *fw_pool;

/* The fixed master key of the shared-key cookie derivation. */
static const uint8_t fw_master[32] = {
	0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x73, 0x79, 0x6e, 0x70, 0x72, 0x6f, 0x78, 0x79, 0x2d, 0x6b, 0x31,
	0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c, 0x15, 0xf3, 0x9c, 0xc0, 0x60, 0x5c, 0xed, 0xc8, 0x34,
};

/*
 * The EAL's rte_cpu_get_flag_enabled() runs CPUID on every call, and CPUID
 * traps to the hypervisor in a VM: the rte_hash_create() calls of each
 * input's proxy made it a fifth of the fuzzer's time. CPU flags do not
 * change, so this definition (the executable's wins over the EAL's for
 * every caller) asks the EAL once per flag. Single-threaded, like the rest.
 */
int
rte_cpu_get_flag_enabled(enum rte_cpu_flag_t feature)
{
	static int (*eal_fn)(enum rte_cpu_flag_t);
	static int8_t known[RTE_CPUFLAG_NUMFLAGS + 1];   /* 0 unknown, else value + 2 */

	if ((unsigned int)feature > RTE_CPUFLAG_NUMFLAGS)
		return -ENOENT;
	if (known[feature] == 0) {
		if (eal_fn == NULL)
			eal_fn = (int (*)(enum rte_cpu_flag_t))dlsym(RTLD_NEXT, "rte_cpu_get_flag_enabled");
		if (eal_fn == NULL)
			abort();
		known[feature] = (int8_t)(eal_fn(feature) + 2);
	}
	return known[feature] - 2;
}

static void __rte_noreturn
fw_fail(const char *what, unsigned long a, unsigned long b)
{
	fprintf(stderr, "fuzz_world: %s (%lu, %lu)\n", what, a, b);
	abort();
}

int
fw_init(void)
{
	char *argv[] = { "fuzz", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry", "-l", "0",
			 "-m", "256", "--log-level=crit" };

	if (fw_pool != NULL)
		return 0;
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return -1;
	/* Before any table: the same buckets on every run. */
	keyed_hash_set_seed(FW_HASH_SEED);
	fw_pool = rte_pktmbuf_pool_create("fuzz", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return fw_pool == NULL ? -1 : 0;
}

/* Hand everything queued to the callback, then free it. */
static void
fw_drain(struct fw *w)
{
	if (w->tx.overflow != 0)
		fw_fail("output bound broken: tx overflow", (unsigned long)w->tx.overflow, 0);
	for (int r = 0; r < ROLE_MAX; r++) {
		struct tx_buf *b = &w->tx.q[r];
		for (uint16_t i = 0; i < b->n; i++) {
			if (w->tx_cb != NULL)
				w->tx_cb((enum port_role)r, b->pkts[i], w->tx_arg);
			rte_pktmbuf_free(b->pkts[i]);
		}
		b->n = 0;
	}
}

static void
fw_housekeeping(struct fw *w)
{
	synproxy_housekeeping(w->sp, &w->tx, w->now_ms);
	fw_drain(w);
}

static void
fw_flush(struct fw *w)
{
	struct pkt_meta meta[FW_BURST_MAX];

	if (w->nb == 0)
		return;
	pkt_parse_burst(w->burst, meta, w->nb);
	synproxy_process_burst(w->sp, w->burst, meta, w->nb, w->burst_in, &w->tx, w->now_ms, w->now_sec);
	w->nb = 0;
	fw_drain(w);
	fw_housekeeping(w);
}

void
fw_begin(struct fw *w, uint8_t config, fw_tx_fn cb, void *arg)
{
	struct cfg_synproxy *c = &w->cfg.synproxy;
	static const enum cfg_synproxy_mode modes[4] = {
		CFG_MODE_AUTO, CFG_MODE_COOKIE, CFG_MODE_CACHE, CFG_MODE_AUTO };
	bool offload[ROLE_MAX];

	memset(w, 0, sizeof(*w));
	w->mp = fw_pool;
	w->tx_cb = cb;
	w->tx_arg = arg;
	config_defaults(&w->cfg);
	c->mode = modes[config & FW_CFG_MODE_MASK];
	c->ratelimit_enabled = !(config & FW_CFG_NO_RL);
	c->probe = (config & FW_CFG_PROBE) != 0;
	rte_srand(FW_HASH_SEED);   /* the probe ISNs: replays stay identical */
	/* The config minimum everywhere (as the unit tests' world). */
	c->flow_table_size = 1024;
	c->syn_cache_size = 1024;
	c->learn_table_size = 1024;
	c->ratelimit_table_size = 1024;
	offload[ROLE_LAN] = offload[ROLE_WAN] = (config & FW_CFG_OFFLOAD) != 0;
	w->now_ms = FW_T0_MS;
	w->now_sec = FW_T0_SEC;
	w->secrets = rte_zmalloc("fuzz_secrets", sizeof(*w->secrets), RTE_CACHE_LINE_SIZE);
	if (w->secrets == NULL ||
	    cookie_secrets_init_keyed(w->secrets, c->cookie_period, fw_master, w->now_sec, w->now_sec) != 0)
		fw_fail("cookie secrets", 0, 0);
	w->sp = synproxy_lcore_create(&w->cfg, w->secrets, 0, 0, w->mp, offload);
	if (w->sp == NULL)
		fw_fail("synproxy_lcore_create", 0, 0);
}

static void
fw_step(struct fw *w, uint16_t step)
{
	uint32_t ms = (step & FW_STEP_SEC) ? (uint32_t)(step & 0x7fff) * 1000u : step;

	w->now_ms += ms;
	uint32_t sec = FW_T0_SEC + (w->now_ms - FW_T0_MS) / 1000u;
	if (sec != w->now_sec) {
		/* What the control lcore does about once a second; the wall
		 * clock is the input's clock too. */
		w->now_sec = sec;
		cookie_secrets_set_clock(w->secrets, sec, sec);
		cookie_secrets_rotate(w->secrets, sec);
	}
	/* A worker runs housekeeping every loop, thousands of times in a ms;
	 * its budgets need FW_HK_SWEEP calls to visit a whole table: once
	 * per 50 ms of the step, up to that (a timer is 1 s or more). */
	uint32_t calls = RTE_MIN(1 + ms / 50, (uint32_t)FW_HK_SWEEP);
	for (uint32_t i = 0; i < calls; i++)
		fw_housekeeping(w);
}

void
fw_record(struct fw *w, uint8_t ctl, uint16_t step, const uint8_t *frame, uint16_t len)
{
	enum port_role in = (ctl & FW_CTL_WAN) ? ROLE_WAN : ROLE_LAN;

	if (w->nb != 0 && (in != w->burst_in || step != 0))
		fw_flush(w);
	if (step != 0)
		fw_step(w, step);
	if (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(w->mp);
		if (m == NULL)
			fw_fail("pool empty: leak", rte_mempool_in_use_count(w->mp), 0);
		len = RTE_MIN(len, (uint16_t)FW_FRAME_MAX);
		char *p = rte_pktmbuf_append(m, len);
		if (p == NULL)
			fw_fail("append", len, 0);
		memcpy(p, frame, len);
		m->port = in == ROLE_LAN ? 0 : 1;
		w->burst_in = in;
		w->burst[w->nb++] = m;
	}
	if (w->nb == FW_BURST_MAX || (w->nb != 0 && (ctl & FW_CTL_END)))
		fw_flush(w);
}

void
fw_end(struct fw *w, struct synproxy_stats *stats)
{
	struct synproxy_occupancy o;

	fw_flush(w);
	fw_drain(w);
	/* Nothing queued is left, and the proxy keeps no mbuf between calls
	 * (a pending SYN is rebuilt from flow state) but the client SYN of
	 * each probe in flight: no other may be in use while its flows are
	 * still live. */
	synproxy_lcore_occupancy(w->sp, &o);
	const struct synproxy_stats *ps = synproxy_lcore_stats(w->sp);
	uint64_t kept = ps->probe_sent - ps->probe_answered - ps->probe_refused - ps->probe_timeout;
	unsigned int used = rte_mempool_in_use_count(w->mp);
	if (kept > SYNPROXY_PROBE_MAX)
		fw_fail("probes in flight above the cap", kept, SYNPROXY_PROBE_MAX);
	if (used != kept)
		fw_fail("mbuf leak: in use with the proxy alive (flows, pending SYNs)", used,
			o.flows * 1000000ul + o.pending_syn);
	if (stats != NULL)
		*stats = *synproxy_lcore_stats(w->sp);
	synproxy_lcore_free(w->sp);
	w->sp = NULL;
	used = rte_mempool_in_use_count(w->mp);
	if (used != 0)
		fw_fail("mbuf leak after the proxy was freed", used, 0);
	rte_free(w->secrets);
	w->secrets = NULL;
}

void
fw_run(const uint8_t *data, size_t size, fw_tx_fn cb, void *arg, struct synproxy_stats *stats)
{
	static struct fw w;   /* large (a tx sink): not on the stack */

	if (size < 1)
		return;
	fw_begin(&w, data[0], cb, arg);
	size_t off = 1;
	while (size - off >= FW_REC_HDR) {
		const uint8_t *h = data + off;
		uint16_t step = (uint16_t)(h[1] | h[2] << 8);
		size_t len = (size_t)(h[3] | h[4] << 8);
		off += FW_REC_HDR;
		len = RTE_MIN(len, size - off);
		fw_record(&w, h[0], step, data + off, (uint16_t)len);
		off += len;
	}
	fw_end(&w, stats);
}
