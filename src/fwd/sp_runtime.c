/* SPDX-License-Identifier: BSD-3-Clause */
/* sp_runtime.c - build and free the live settings object (design in sp_runtime.h). */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "fwd/sp_runtime.h"
#include "policy/policy.h"

void
sp_runtime_settings(const struct synproxy_config *cfg, struct sp_runtime *rt)
{
	const struct cfg_synproxy *c = &cfg->synproxy;

	memset(rt, 0, sizeof(*rt));
	rt->mode = (uint8_t)c->mode;
	rt->default_mss = c->default_mss;
	rt->default_wscale = c->default_wscale;
	rt->default_sack = c->default_sack;
	rt->default_ts = c->default_timestamps;
	rt->ratelimit_on = c->ratelimit_enabled;
	rt->ratelimit_rate = c->ratelimit_rate;
	rt->ratelimit_burst = c->ratelimit_burst;
	rt->max_flows = config_limit_value(c->max_flows_per_prefix, c->flow_table_size,
					   CFG_LIMIT_FLOWS_DIV);
	rt->max_half_open = config_limit_value(c->max_half_open_per_prefix, c->flow_table_size,
					       CFG_LIMIT_HALF_OPEN_DIV);
	rt->retx_ms = c->syn_retransmit_ms;
	rt->retries = c->syn_retries;
	rt->probe_on = c->probe;
	rt->probe_ms = c->timeout_probe_ms;
	rt->reprobe_ms = c->timeout_reprobe * 1000;
	rt->auto_syn_rate = c->auto_syn_rate;
	rt->auto_fill_pct = c->auto_cache_fill_pct;
	rt->timeouts_ms[FLOW_S_FREE] = 1000;
	rt->timeouts_ms[FLOW_S_SYN_SENT] = c->timeout_syn_sent * 1000;
	rt->timeouts_ms[FLOW_S_LAN_SYN] = c->timeout_syn_sent * 1000;
	rt->timeouts_ms[FLOW_S_WAN_SYN] = c->timeout_syn_sent * 1000;
	rt->timeouts_ms[FLOW_S_ESTABLISHED] = c->timeout_established * 1000;
	rt->timeouts_ms[FLOW_S_FIN_WAIT] = c->timeout_fin * 1000;
	rt->timeouts_ms[FLOW_S_TIME_WAIT] = c->timeout_time_wait * 1000;
	rt->timeouts_ms[FLOW_S_CLOSED] = c->timeout_close * 1000;
}

struct sp_runtime *
sp_runtime_create(const struct synproxy_config *cfg, uint64_t gen, int socket, char *err,
		  size_t errlen)
{
	struct sp_runtime *rt = rte_zmalloc_socket("sp_runtime", sizeof(*rt), RTE_CACHE_LINE_SIZE,
						   socket);
	if (rt == NULL) {
		snprintf(err, errlen, "out of memory for the runtime settings");
		return NULL;
	}
	sp_runtime_settings(cfg, rt);
	rt->generation = gen;
	rt->policy = policy_build(cfg, socket, err, errlen);
	if (rt->policy == NULL) {
		rte_free(rt);
		return NULL;
	}
	return rt;
}

void
sp_runtime_free(struct sp_runtime *rt)
{
	if (rt == NULL)
		return;
	policy_free(rt->policy);
	rte_free(rt);
}
