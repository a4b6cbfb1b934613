/* SPDX-License-Identifier: BSD-3-Clause */
/* config_diff.c - keys a live reload cannot apply (rules in config_diff.h). */
#include <stdio.h>
#include <string.h>

#include "config_diff.h"

struct names {
	char *buf;
	size_t len, used;
	unsigned n;
};

static void
add(struct names *o, const char *key)
{
	int w = snprintf(o->buf + o->used, o->len - o->used, "%s%s", o->n ? ", " : "", key);

	o->n++;
	if (w > 0 && (size_t)w < o->len - o->used)
		o->used += (size_t)w;
}

#define DIFF(o, a, b, field, key) do { if ((a)->field != (b)->field) add(o, key); } while (0)

static bool
mode_caches(const struct cfg_synproxy *c)
{
	if (c->mode != CFG_MODE_COOKIE)
		return true;
	for (uint16_t i = 0; i < c->nb_services; i++)
		if ((c->services[i].set & CFG_SVC_MODE) && c->services[i].mode != CFG_MODE_COOKIE)
			return true;
	return false;
}

unsigned
config_restart_keys(const struct synproxy_config *run, const struct synproxy_config *next,
		    const struct config_caps *caps, char *buf, size_t len)
{
	struct names o = { buf, len, 0, 0 };
	const struct cfg_synproxy *r = &run->synproxy, *x = &next->synproxy;

	if (len)
		buf[0] = '\0';
	if (run->nb_ports != next->nb_ports ||
	    memcmp(run->ports, next->ports, sizeof(run->ports[0]) * run->nb_ports) != 0)
		add(&o, "ports");
	DIFF(&o, run, next, mempool_size, "mempool_size");
	DIFF(&o, run, next, mempool_cache, "mempool_cache");
	DIFF(&o, run, next, burst_size, "burst_size");
	DIFF(&o, run, next, mtu, "mtu");
	DIFF(&o, run, next, link_timeout_ms, "link_timeout_ms");
	DIFF(&o, run, next, tx_retries, "tx_retries");
	DIFF(&o, run, next, steer_ring_size, "steer_ring_size");
	if (strcmp(run->rss, next->rss) != 0)
		add(&o, "rss");
	DIFF(&o, r, x, enabled, "synproxy.enabled");
	DIFF(&o, r, x, flow_table_size, "synproxy.flow_table_size");
	DIFF(&o, r, x, syn_cache_size, "synproxy.syn_cache_size");
	DIFF(&o, r, x, learn_table_size, "synproxy.learn_table_size");
	DIFF(&o, r, x, ratelimit_table_size, "synproxy.ratelimit.table_size");
	DIFF(&o, r, x, ratelimit_v4_prefix, "synproxy.ratelimit.ipv4_prefix");
	DIFF(&o, r, x, ratelimit_v6_prefix, "synproxy.ratelimit.ipv6_prefix");
	DIFF(&o, r, x, cookie_period, "synproxy.cookie_period");
	if (strcmp(r->secret_file, x->secret_file) != 0)
		add(&o, "synproxy.secret_file");
	else if (memcmp(r->secret_key, x->secret_key, sizeof(r->secret_key)) != 0)
		add(&o, "synproxy.secret_file (the key file's contents changed)");
	if (r->mss_table_len != x->mss_table_len ||
	    memcmp(r->mss_table, x->mss_table, sizeof(r->mss_table[0]) * r->mss_table_len) != 0)
		add(&o, "synproxy.mss_table");
	/* Live in principle, but only with the table they need. */
	if (x->enabled && x->ratelimit_enabled && !caps->ratelimit_table)
		add(&o, "synproxy.ratelimit.enabled (no rate-limit table was created at start)");
	if (x->enabled && config_needs_prefix_limits(x) && !caps->prefix_limits)
		add(&o, "synproxy.limits / synproxy.services[].limits (a cap where both global caps "
			"were 0 at start: no per-prefix counters were created)");
	if (x->enabled && mode_caches(x) && !caps->syn_cache)
		add(&o, "synproxy.mode (cache or auto, here or in a service: no SYN cache was "
			"created at start)");
	return o.n;
}
