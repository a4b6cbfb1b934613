/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_diff.h - which differences between the running config and a new one
 * a live reload cannot apply.
 *
 * Why a module of its own: the rule "everything that needs no port or table
 * re-created is applied live, anything else refuses the whole reload, naming
 * the keys" must be exact and testable without EAL. Live: services, allow,
 * deny, mode (if the SYN cache exists), timeouts, option defaults, the rate
 * limit's rate/burst/enabled (if its table exists), the per-prefix caps,
 * global and per service (if the counters exist), SYN retransmission,
 * auto thresholds, log level. Restart: ports, pools, queues, ring and table
 * sizes, burst, MTU, rss, synproxy.enabled, the rate limit's prefix lengths,
 * and the cookie key, period and MSS table (cookies in flight were made with
 * them: changing them live would fail handshakes already answered).
 */
#ifndef SYNPROXY_CONFIG_DIFF_H
#define SYNPROXY_CONFIG_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What the running process has allocated (decided by its startup config). */
struct config_caps {
	bool syn_cache;        /* the workers have a SYN cache */
	bool ratelimit_table;  /* the workers have a rate-limit table */
	bool prefix_limits;    /* the workers have the per-prefix counters */
};

/*
 * Names, comma-separated in buf, the keys of next that differ from run and
 * need a restart (or that need a table the process lacks). Returns how many;
 * 0 = next can be applied live. buf is always terminated.
 */
unsigned config_restart_keys(const struct synproxy_config *run, const struct synproxy_config *next,
			     const struct config_caps *caps, char *buf, size_t len);

#endif
