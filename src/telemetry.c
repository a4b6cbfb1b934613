/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry.c - /synproxy/ commands on the DPDK telemetry socket.
 *
 * Callbacks run on the telemetry thread. They only read per-worker counters
 * (single writer each, 64-bit loads, no locks) and port state, so a query
 * never slows a worker down. DPDK 22.11 allows one level of nesting, so
 * per-lcore and per-port data are dicts of flat dicts, and the config is
 * flattened into path keys ("synproxy/timeouts/fin", "ports/0/name"):
 * telemetry names allow only letters, digits, '_' and '/'.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "app.h"
#include "port.h"
#include "reload.h"
#include "top.h"
#include "syncookie/ratelimit.h"
#include "flow/flow_entry.h"
#include "fwd/synproxy.h"

static void
add_bridge(struct rte_tel_data *d, const struct bridge_stats *s)
{
#define X(n) rte_tel_data_add_dict_u64(d, #n, s->n);
	BRIDGE_COUNTERS(X)
#undef X
}

static void
add_synproxy(struct rte_tel_data *d, const struct synproxy_stats *s,
	     const struct synproxy_occupancy *o)
{
#define X(n) rte_tel_data_add_dict_u64(d, #n, s->n);
	SYNPROXY_COUNTERS(X)
#undef X
	rte_tel_data_add_dict_u64(d, "flows", o->flows);
	rte_tel_data_add_dict_u64(d, "flow_capacity", o->flow_capacity);
	rte_tel_data_add_dict_u64(d, "syn_cache", o->syn_cache);
	rte_tel_data_add_dict_u64(d, "syn_cache_capacity", o->syn_cache_capacity);
	rte_tel_data_add_dict_u64(d, "pending_syn", o->pending_syn);
	rte_tel_data_add_dict_u64(d, "flow_table_bytes", o->flow_table_bytes);
	rte_tel_data_add_dict_u64(d, "syn_cache_evictions", o->syn_cache_evictions);
	rte_tel_data_add_dict_u64(d, "syn_cache_expired", o->syn_cache_expired);
	rte_tel_data_add_dict_u64(d, "syn_cache_refused", o->syn_cache_refused);
	rte_tel_data_add_dict_u64(d, "ratelimit_takeovers", o->ratelimit_takeovers);
	rte_tel_data_add_dict_u64(d, "learned_replaced", o->learned_replaced);
	rte_tel_data_add_dict_u64(d, "under_attack", o->under_attack);
	for (unsigned i = 1; i < FLOW_S_MAX; i++) {
		char k[32];
		snprintf(k, sizeof(k), "state_%s", flow_state_name((enum flow_state)i));
		rte_tel_data_add_dict_u64(d, k, o->per_state[i]);
	}
}

/* Sum every worker's counters into one set (telemetry and the final report). */
void
app_totals(struct bridge_stats *b, struct synproxy_stats *s, struct synproxy_occupancy *o)
{
	memset(b, 0, sizeof(*b));
	memset(s, 0, sizeof(*s));
	memset(o, 0, sizeof(*o));
	for (uint16_t i = 0; i < app.nb_workers; i++) {
		const struct worker *w = app.workers[i];
#define X(n) b->n += w->stats.n;
		BRIDGE_COUNTERS(X)
#undef X
		if (w->sp == NULL)
			continue;
		const struct synproxy_stats *ws = synproxy_lcore_stats(w->sp);
#define X(n) s->n += ws->n;
		SYNPROXY_COUNTERS(X)
#undef X
		struct synproxy_occupancy wo;
		synproxy_lcore_occupancy(w->sp, &wo);
		o->flows += wo.flows;
		o->flow_capacity += wo.flow_capacity;
		o->syn_cache += wo.syn_cache;
		o->syn_cache_capacity += wo.syn_cache_capacity;
		o->pending_syn += wo.pending_syn;
		o->flow_table_bytes += wo.flow_table_bytes;
		o->syn_cache_evictions += wo.syn_cache_evictions;
		o->syn_cache_expired += wo.syn_cache_expired;
		o->syn_cache_refused += wo.syn_cache_refused;
		o->ratelimit_takeovers += wo.ratelimit_takeovers;
		o->learned_replaced += wo.learned_replaced;
		o->under_attack |= wo.under_attack;
		for (unsigned k = 0; k < RTE_DIM(o->per_state); k++)
			o->per_state[k] += wo.per_state[k];
	}
}

static int
cmd_stats(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	struct bridge_stats b;
	struct synproxy_stats s;
	struct synproxy_occupancy o;

	app_totals(&b, &s, &o);
	rte_tel_data_start_dict(d);
	add_bridge(d, &b);
	if (app.cfg.synproxy.enabled)
		add_synproxy(d, &s, &o);
	rte_tel_data_add_dict_u64(d, "mbuf_in_use", app.mp ? rte_mempool_in_use_count(app.mp) : 0);
	rte_tel_data_add_dict_u64(d, "mbuf_total", app.mp ? app.mp->size : 0);
	rte_tel_data_add_dict_u64(d, "workers", app.nb_workers);
	rte_tel_data_add_dict_u64(d, "uptime_s",
				  (rte_get_tsc_cycles() - app.start_tsc) / rte_get_tsc_hz());
	return 0;
}

static int
cmd_lcores(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < app.nb_workers; i++) {
		const struct worker *w = app.workers[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char name[32];
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", w->lcore_id);
		rte_tel_data_add_dict_u64(c, "queue", w->queue);
		add_bridge(c, &w->stats);
		if (w->sp != NULL) {
			struct synproxy_occupancy o;
			synproxy_lcore_occupancy(w->sp, &o);
			add_synproxy(c, synproxy_lcore_stats(w->sp), &o);
		}
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

static int
cmd_ports(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (int r = 0; r < ROLE_MAX; r++) {
		const struct port_info *pi = &port_infos[r];
		struct rte_tel_data *c = rte_tel_data_alloc();
		struct rte_eth_stats st;
		struct rte_eth_link link;
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "name", pi->name);
		rte_tel_data_add_dict_u64(c, "port_id", pi->port_id);
		rte_tel_data_add_dict_string(c, "role", role_name(r));
		rte_tel_data_add_dict_string(c, "driver", pi->driver);
		rte_tel_data_add_dict_string(c, "steering", steer_mode_name(pi->steer));
		rte_tel_data_add_dict_string(c, "steering_note", pi->steer_note);
		rte_tel_data_add_dict_u64(c, "rx_queues", pi->nb_rxq);
		rte_tel_data_add_dict_u64(c, "tx_queues", pi->nb_txq);
		rte_tel_data_add_dict_string(c, "rx_checksum", pi->rx_csum_offload ? "hardware" : "software");
		rte_tel_data_add_dict_string(c, "tx_checksum", pi->tx_csum_offload ? "hardware" : "software");
		rte_ether_format_addr(mac, sizeof(mac), &pi->mac);
		rte_tel_data_add_dict_string(c, "mac", mac);
		memset(&link, 0, sizeof(link));
		if (pi->started && rte_eth_link_get_nowait(pi->port_id, &link) == 0) {
			rte_tel_data_add_dict_string(c, "link", link.link_status ? "up" : "down");
			rte_tel_data_add_dict_u64(c, "link_speed_mbps", link.link_speed);
		}
		if (pi->started && rte_eth_stats_get(pi->port_id, &st) == 0) {
			rte_tel_data_add_dict_u64(c, "ipackets", st.ipackets);
			rte_tel_data_add_dict_u64(c, "opackets", st.opackets);
			rte_tel_data_add_dict_u64(c, "ibytes", st.ibytes);
			rte_tel_data_add_dict_u64(c, "obytes", st.obytes);
			rte_tel_data_add_dict_u64(c, "imissed", st.imissed);
			rte_tel_data_add_dict_u64(c, "ierrors", st.ierrors);
			rte_tel_data_add_dict_u64(c, "oerrors", st.oerrors);
			rte_tel_data_add_dict_u64(c, "rx_nombuf", st.rx_nombuf);
		}
		rte_tel_data_add_dict_container(d, role_name(r), c, 0);
	}
	return 0;
}

/*
 * Flatten a JSON value into path keys ("synproxy/timeouts/fin"). An array of
 * plain values (mss_table, a service's ports, the allow and deny lists)
 * becomes one array entry rather than one key per element, so long lists do
 * not eat the dict: integers as integers, anything mixed as text. The dict
 * holds RTE_TEL_MAX_DICT_ENTRIES keys; past that a last key "truncated" says
 * so (dpdk-synproxy --check prints the whole config). Lists longer than an
 * array holds end with a "... N more" element.
 */
struct flat {
	struct rte_tel_data *d;
	unsigned int used;
	bool full;
};

static bool
flat_room(struct flat *f)
{
	if (f->full)
		return false;
	if (f->used + 1 >= RTE_TEL_MAX_DICT_ENTRIES) {
		rte_tel_data_add_dict_string(f->d, "truncated", "true");
		f->full = true;
		return false;
	}
	f->used++;
	return true;
}

static bool
scalar_array(json_t *v, bool *all_int)
{
	size_t i;
	json_t *sub;

	*all_int = true;
	json_array_foreach(v, i, sub) {
		if (!json_is_integer(sub) && !json_is_string(sub))
			return false;
		*all_int &= json_is_integer(sub);
	}
	return json_array_size(v) > 0;
}

static void
add_list(struct flat *f, const char *key, json_t *v, bool all_int)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	size_t i, n = json_array_size(v);
	char buf[32];
	json_t *sub;

	if (a == NULL)
		return;
	rte_tel_data_start_array(a, all_int ? RTE_TEL_U64_VAL : RTE_TEL_STRING_VAL);
	json_array_foreach(v, i, sub) {
		if (i + 1 == RTE_TEL_MAX_ARRAY_ENTRIES && n > RTE_TEL_MAX_ARRAY_ENTRIES &&
		    !all_int) {
			snprintf(buf, sizeof(buf), "... %zu more", n - i);
			rte_tel_data_add_array_string(a, buf);
			break;
		}
		if (i >= RTE_TEL_MAX_ARRAY_ENTRIES)
			break;
		if (all_int) {
			rte_tel_data_add_array_u64(a, (uint64_t)json_integer_value(sub));
		} else if (json_is_integer(sub)) {
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(sub));
			rte_tel_data_add_array_string(a, buf);
		} else {
			rte_tel_data_add_array_string(a, json_string_value(sub));
		}
	}
	if (rte_tel_data_add_dict_container(f->d, key, a, 0) != 0)
		rte_tel_data_free(a);
}

static void
flatten(struct flat *f, const char *prefix, json_t *v)
{
	char key[128];
	bool all_int;

	if (json_is_object(v)) {
		const char *k;
		json_t *sub;
		json_object_foreach(v, k, sub) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "/" : "", k);
			flatten(f, key, sub);
		}
	} else if (json_is_array(v) && scalar_array(v, &all_int)) {
		if (flat_room(f))
			add_list(f, prefix, v, all_int);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *sub;
		json_array_foreach(v, i, sub) {
			snprintf(key, sizeof(key), "%s/%zu", prefix, i);
			flatten(f, key, sub);
		}
	} else if (!flat_room(f)) {
		return;
	} else if (json_is_integer(v)) {
		rte_tel_data_add_dict_int(f->d, prefix, (int)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		rte_tel_data_add_dict_string(f->d, prefix, json_is_true(v) ? "true" : "false");
	} else if (json_is_string(v)) {
		rte_tel_data_add_dict_string(f->d, prefix, json_string_value(v));
	}
}

static int
cmd_config(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	char *text = reload_config_json();
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;

	free(text);
	if (root == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	flatten(&(struct flat){ .d = d }, "", root);
	json_decref(root);
	return 0;
}

/* ---- top talkers: sampled by the control loop, read by /synproxy/top ---- */

static struct top_tracker *top_tracker;
static uint64_t top_next;

void
app_top_tick(void)
{
	const struct ratelimit *tables[MAX_WORKERS] = { NULL };
	uint32_t slots[MAX_WORKERS] = { 0 };
	uint64_t now = (uint64_t)time(NULL);
	struct top_entry e[TOP_MAX];

	if (now < top_next)
		return;
	for (uint16_t i = 0; i < app.nb_workers; i++) {
		if (app.workers[i] != NULL && app.workers[i]->sp != NULL)
			tables[i] = synproxy_lcore_ratelimit(app.workers[i]->sp);
		slots[i] = tables[i] ? ratelimit_slots(tables[i]) : 0;
	}
	if (top_next == 0) {   /* first call: the baseline */
		top_tracker = top_tracker_create(app.nb_workers, slots);
		if (top_tracker == NULL)
			SP_LOG(WARNING, "top talkers: out of memory, /synproxy/top stays empty");
	}
	top_next = now + TOP_INTERVAL_S;
	if (top_tracker == NULL)
		return;
	top_publish(e, top_tracker_sample(top_tracker, tables, e, TOP_MAX), now);
}

void
app_top_free(void)
{
	top_tracker_free(top_tracker);
	top_tracker = NULL;
}

static int
cmd_top(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct top_entry e[TOP_MAX];
	uint64_t end;
	unsigned n = 10;
	char key[16], pfx[CFG_PREFIX_STRLEN];

	if (params != NULL && *params != '\0') {
		char *endp;
		unsigned long v = strtoul(params, &endp, 10);
		if (*endp != '\0' || v == 0 || v > TOP_MAX)
			return -EINVAL;
		n = (unsigned)v;
	}
	n = top_get(e, n, &end);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "interval_s", TOP_INTERVAL_S);
	rte_tel_data_add_dict_u64(d, "interval_end", end);
	for (unsigned i = 0; i < n; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		top_format_prefix(&e[i], pfx, sizeof(pfx));
		rte_tel_data_add_dict_string(c, "prefix", pfx);
		rte_tel_data_add_dict_u64(c, "syn_drops", e[i].drops);
		snprintf(key, sizeof(key), "top%u", i + 1);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

static void
add_reload_status(struct rte_tel_data *d)
{
	struct reload_status st;

	reload_status_get(&st);
	rte_tel_data_add_dict_u64(d, "generation", st.generation);
	rte_tel_data_add_dict_u64(d, "last_reload_time", st.last_time);
	rte_tel_data_add_dict_string(d, "last_reload_result",
				     st.last_time == 0 ? "none" : st.last_ok ? "applied" : "refused");
	rte_tel_data_add_dict_u64(d, "reloads_applied", st.applied);
	rte_tel_data_add_dict_u64(d, "reloads_refused", st.refused);
	/* A telemetry string holds at most RTE_TEL_MAX_STRING_LEN bytes. */
	char m[RTE_TEL_MAX_STRING_LEN];
	size_t l = strnlen(st.message, sizeof(m) - 1);
	memcpy(m, st.message, l);
	m[l] = '\0';
	rte_tel_data_add_dict_string(d, "message", m);
}

static int
cmd_reload_status(const char *cmd __rte_unused, const char *params __rte_unused,
		  struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	add_reload_status(d);
	return 0;
}

static int
cmd_reload(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	char msg[CFG_ERR_LEN];

	reload_config(msg, sizeof(msg));
	rte_tel_data_start_dict(d);
	add_reload_status(d);
	return 0;
}

int
telemetry_register(void)
{
	int ret = 0;
	ret |= rte_telemetry_register_cmd("/synproxy/stats", cmd_stats,
		"Totals over all workers: bridge and SYN proxy counters, flow occupancy, mbufs in use");
	ret |= rte_telemetry_register_cmd("/synproxy/lcores", cmd_lcores,
		"Per-worker counters");
	ret |= rte_telemetry_register_cmd("/synproxy/ports", cmd_ports,
		"Per-port role, driver, steering method, queues, link and ethdev stats");
	ret |= rte_telemetry_register_cmd("/synproxy/config", cmd_config,
		"The effective configuration, flattened");
	ret |= rte_telemetry_register_cmd("/synproxy/top", cmd_top,
		"Source prefixes with the most SYNs dropped in the last interval; param: N (1..64, default 10)");
	ret |= rte_telemetry_register_cmd("/synproxy/reload", cmd_reload,
		"Re-read and apply the config file (as SIGHUP); returns /synproxy/reload_status");
	ret |= rte_telemetry_register_cmd("/synproxy/reload_status", cmd_reload_status,
		"Config generation; time, result and message of the last reload");
	return ret;
}
