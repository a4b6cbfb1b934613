/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sp_runtime.h - the settings the proxy applies live: one immutable object,
 * swapped whole by a reload.
 *
 * Why: a reload must change the policy (services, allow/deny), the option
 * defaults, the mode, the rate limit and the timeouts on every worker at once,
 * with no lock on the data path and no flow lost. The control lcore builds a
 * new object from a validated config, publishes it with one release store in
 * the slot every worker was given (synproxy_lcore_set_runtime), waits for an
 * rte_rcu QSBR grace period (workers report quiescent once per loop
 * iteration), then frees the old one. A worker loads the slot once per burst
 * (acquire); when the generation differs from the one it applied, it copies
 * the hot fields into its per-lcore struct (cheap, rare) and keeps reading
 * them there. Flows already open never re-check the policy.
 *
 * What is NOT in here needs a restart (tables, pools, ports, the cookie key,
 * period and MSS table: see reload.h).
 */
#ifndef SYNPROXY_FWD_SP_RUNTIME_H
#define SYNPROXY_FWD_SP_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "flow/flow_entry.h"

struct policy;

struct sp_runtime {
	uint64_t generation;             /* 1 at startup, +1 per applied reload */
	struct policy *policy;           /* NULL only in objects built by sp_runtime_settings */
	uint8_t mode;                    /* enum cfg_synproxy_mode */
	uint8_t default_wscale;
	uint16_t default_mss;
	bool default_sack, default_ts;
	bool ratelimit_on;               /* only ever true if the worker has a table */
	uint8_t retries;
	uint32_t retx_ms;
	bool probe_on;                   /* synproxy.probe */
	uint32_t probe_ms;               /* a probe SYN's answer (synproxy_probe.c) */
	uint32_t reprobe_ms;             /* age at which a learned server entry is probed again */
	uint32_t auto_syn_rate;
	uint8_t auto_fill_pct;
	uint32_t ratelimit_rate, ratelimit_burst;
	uint32_t max_flows, max_half_open;   /* synproxy.limits, resolved; 0 = no cap */
	uint32_t timeouts_ms[FLOW_S_MAX];
};

/* The settings of cfg, without a policy (no allocation, no EAL needed). */
void sp_runtime_settings(const struct synproxy_config *cfg, struct sp_runtime *rt);

/* Settings and policy of cfg (validated), generation gen. Needs EAL; control
 * lcore only. NULL with a message in err on failure. */
struct sp_runtime *sp_runtime_create(const struct synproxy_config *cfg, uint64_t gen,
				     int socket, char *err, size_t errlen);
/* After the grace period. NULL is fine. */
void sp_runtime_free(struct sp_runtime *rt);

#endif
