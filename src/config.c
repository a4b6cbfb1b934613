/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c - load, validate and render the JSON configuration.
 *
 * Design:
 *  - Comments. The operator's file may carry // and / * * / comments outside
 *    strings. They are replaced by one space per character (newlines kept), so
 *    jansson's line:column and ours still match the original file.
 *  - Parsing. jansson with JSON_REJECT_DUPLICATES; a syntax error is reported
 *    as "FILE:LINE:COL: text". For a duplicate key config_pos finds the path
 *    and place, which jansson does not give.
 *  - Validation. One table per JSON object describes every key: its type, the
 *    struct member it lands in (offset and width), its range and enumeration.
 *    The walker is therefore generic, the schema is data, and the very same
 *    tables drive config_to_json, so load and render cannot drift apart.
 *    Values are checked in file order and the first problem wins; the message
 *    names the JSON path and, via config_pos, the line:column of the value (of
 *    the key for an unknown key, of the enclosing object for a missing one).
 *  - Atomicity. Everything is parsed into a scratch struct that is copied out
 *    only on success, so a failed reload leaves the caller's config intact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "config.h"
#include "config_pos.h"
#include "syncookie/keyfile.h"

/* A config is a page of text; anything larger is not one. */
#define CFG_MAX_FILE (1u << 20)

enum ftype {
	FT_UINT,        /* unsigned integer of 1, 2, 4 or 8 bytes, min..max */
	FT_BOOL,
	FT_ENUM,        /* string stored as the index of names[] (a C enum) */
	FT_STR_ENUM,    /* string stored as text, must be one of names[] */
	FT_STRING,      /* free text, 1..size-1 bytes */
	FT_OBJECT,      /* nested object described by sub[] */
	FT_MSS_TABLE,   /* synproxy.mss_table */
	FT_PORTS,       /* the ports array */
	FT_PREFIX,      /* an address prefix string, into a struct cfg_prefix */
	FT_SVC_PORTS,   /* services[i].ports: numbers and "lo-hi" ranges */
	FT_SERVICES,    /* synproxy.services */
	FT_ALLOW,       /* synproxy.allow */
	FT_DENY,        /* synproxy.deny */
	FT_SECRET_FILE, /* synproxy.secret_file: a path, checked and read at load */
	FT_STATE_FILE,  /* synproxy.state_file: a path whose directory exists */
};

struct field {
	const char *key;
	enum ftype type;
	bool required;
	bool pow2;
	uint8_t size;
	size_t off;
	uint64_t min, max;
	const char *const *names;
	const struct field *sub;
};

#define MSIZE(st, m) ((uint8_t)sizeof(((st *)0)->m))

#define F_UINT(st, k, m, lo, hi) \
	{ .key = k, .type = FT_UINT, .off = offsetof(st, m), .size = MSIZE(st, m), \
	  .min = lo, .max = hi }
#define F_POW2(st, k, m, lo, hi) \
	{ .key = k, .type = FT_UINT, .off = offsetof(st, m), .size = MSIZE(st, m), \
	  .min = lo, .max = hi, .pow2 = true }
#define F_BOOL(st, k, m) \
	{ .key = k, .type = FT_BOOL, .off = offsetof(st, m), .size = MSIZE(st, m) }
#define F_ENUM(st, k, m, n) \
	{ .key = k, .type = FT_ENUM, .off = offsetof(st, m), .size = MSIZE(st, m), .names = n }
#define F_STR_ENUM(st, k, m, n) \
	{ .key = k, .type = FT_STR_ENUM, .off = offsetof(st, m), .size = MSIZE(st, m), .names = n }
#define F_OBJECT(k, s) { .key = k, .type = FT_OBJECT, .sub = s }
#define F_END { .key = NULL }

static const char *const role_names[] = { "lan", "wan", NULL };
static const char *const mode_names[] = { "cookie", "cache", "auto", NULL };
static const char *const rss_names[] = { "auto", "hardware", "software", NULL };
/* RTE_LOG_EMERG..RTE_LOG_DEBUG in order, spelled as main.c maps them */
static const char *const log_level_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug", NULL
};

#define PORT struct cfg_port
static const struct field port_fields[] = {
	{ .key = "name", .type = FT_STRING, .required = true, .off = offsetof(PORT, name) },
	{ .key = "role", .type = FT_ENUM, .required = true, .off = offsetof(PORT, role),
	  .size = MSIZE(PORT, role), .names = role_names },
	F_POW2(PORT, "rx_desc", rx_desc, 64, 16384),
	F_POW2(PORT, "tx_desc", tx_desc, 64, 16384),
	F_UINT(PORT, "rx_queues", rx_queues, 0, 128),
	F_END
};
#undef PORT

#define CFG struct synproxy_config
static const struct field timeout_fields[] = {
	F_UINT(CFG, "syn_sent", synproxy.timeout_syn_sent, 1, 600),
	F_UINT(CFG, "established", synproxy.timeout_established, 1, 604800),
	F_UINT(CFG, "fin", synproxy.timeout_fin, 1, 3600),
	F_UINT(CFG, "time_wait", synproxy.timeout_time_wait, 1, 3600),
	F_UINT(CFG, "close", synproxy.timeout_close, 1, 3600),
	F_UINT(CFG, "probe_ms", synproxy.timeout_probe_ms, 10, 3000),
	F_UINT(CFG, "reprobe", synproxy.timeout_reprobe, 1, 86400),
	F_END
};

static const struct field defaults_fields[] = {
	F_UINT(CFG, "mss", synproxy.default_mss, 88, 65535),
	F_UINT(CFG, "wscale", synproxy.default_wscale, 0, 14),
	F_BOOL(CFG, "sack", synproxy.default_sack),
	F_BOOL(CFG, "timestamps", synproxy.default_timestamps),
	F_END
};

static const struct field ratelimit_fields[] = {
	F_BOOL(CFG, "enabled", synproxy.ratelimit_enabled),
	F_UINT(CFG, "ipv4_prefix", synproxy.ratelimit_v4_prefix, 0, 32),
	F_UINT(CFG, "ipv6_prefix", synproxy.ratelimit_v6_prefix, 0, 128),
	F_UINT(CFG, "rate", synproxy.ratelimit_rate, 1, 100000000),
	F_UINT(CFG, "burst", synproxy.ratelimit_burst, 1, 100000000),
	F_UINT(CFG, "table_size", synproxy.ratelimit_table_size, 1024, 16777216),
	F_END
};

/* One entry of synproxy.services; offsets are into struct cfg_service. */
#define SVC struct cfg_service
static const struct field svc_defaults_fields[] = {
	F_UINT(SVC, "mss", mss, 88, 65535),
	F_UINT(SVC, "wscale", wscale, 0, 14),
	F_BOOL(SVC, "sack", sack),
	F_BOOL(SVC, "timestamps", timestamps),
	F_END
};

static const struct field svc_ratelimit_fields[] = {
	F_UINT(SVC, "rate", ratelimit_rate, 1, 100000000),
	F_UINT(SVC, "burst", ratelimit_burst, 1, 100000000),
	F_END
};

/* 0 = the global synproxy.limits value; the ceiling is the largest flow table. */
static const struct field svc_limits_fields[] = {
	F_UINT(SVC, "max_flows_per_prefix", max_flows_per_prefix, 0, 16777216),
	F_UINT(SVC, "max_half_open_per_prefix", max_half_open_per_prefix, 0, 16777216),
	F_END
};

static const struct field service_fields[] = {
	{ .key = "prefix", .type = FT_PREFIX, .required = true, .off = offsetof(SVC, prefix) },
	{ .key = "ports", .type = FT_SVC_PORTS, .required = true },
	F_ENUM(SVC, "mode", mode, mode_names),
	F_OBJECT("defaults", svc_defaults_fields),
	F_OBJECT("ratelimit", svc_ratelimit_fields),
	F_OBJECT("limits", svc_limits_fields),
	F_END
};
#undef SVC

/* Where each override lives in a service entry: (object or NULL, key) -> set bit. */
static const struct {
	const char *obj;
	const char *key;
	uint16_t bit;
} svc_overrides[] = {
	{ NULL, "mode", CFG_SVC_MODE },
	{ "defaults", "mss", CFG_SVC_MSS },
	{ "defaults", "wscale", CFG_SVC_WSCALE },
	{ "defaults", "sack", CFG_SVC_SACK },
	{ "defaults", "timestamps", CFG_SVC_TIMESTAMPS },
	{ "ratelimit", "rate", CFG_SVC_RL_RATE },
	{ "ratelimit", "burst", CFG_SVC_RL_BURST },
	{ "limits", "max_flows_per_prefix", CFG_SVC_MAX_FLOWS },
	{ "limits", "max_half_open_per_prefix", CFG_SVC_MAX_HALF_OPEN },
};

static const struct field limits_fields[] = {
	F_UINT(CFG, "max_flows_per_prefix", synproxy.max_flows_per_prefix, 0, 16777216),
	F_UINT(CFG, "max_half_open_per_prefix", synproxy.max_half_open_per_prefix, 0, 16777216),
	F_END
};

static const struct field synproxy_fields[] = {
	F_BOOL(CFG, "enabled", synproxy.enabled),
	F_BOOL(CFG, "probe", synproxy.probe),
	F_ENUM(CFG, "mode", synproxy.mode, mode_names),
	F_UINT(CFG, "flow_table_size", synproxy.flow_table_size, 1024, 16777216),
	F_OBJECT("timeouts", timeout_fields),
	F_UINT(CFG, "cookie_period", synproxy.cookie_period, 2, 3600),
	{ .key = "secret_file", .type = FT_SECRET_FILE },
	{ .key = "state_file", .type = FT_STATE_FILE },
	{ .key = "mss_table", .type = FT_MSS_TABLE },
	F_UINT(CFG, "syn_cache_size", synproxy.syn_cache_size, 1024, 16777216),
	F_UINT(CFG, "auto_syn_rate", synproxy.auto_syn_rate, 1, 100000000),
	F_UINT(CFG, "auto_cache_fill_pct", synproxy.auto_cache_fill_pct, 1, 100),
	F_OBJECT("defaults", defaults_fields),
	F_UINT(CFG, "learn_table_size", synproxy.learn_table_size, 1024, 16777216),
	F_UINT(CFG, "syn_retransmit_ms", synproxy.syn_retransmit_ms, 10, 60000),
	F_UINT(CFG, "syn_retries", synproxy.syn_retries, 0, 10),
	F_OBJECT("ratelimit", ratelimit_fields),
	F_OBJECT("limits", limits_fields),
	{ .key = "services", .type = FT_SERVICES },
	{ .key = "allow", .type = FT_ALLOW },
	{ .key = "deny", .type = FT_DENY },
	F_END
};

static const struct field top_fields[] = {
	{ .key = "ports", .type = FT_PORTS, .required = true },
	F_UINT(CFG, "mempool_size", mempool_size, 1023, 16777215),
	F_UINT(CFG, "mempool_cache", mempool_cache, 0, 512),
	F_UINT(CFG, "burst_size", burst_size, 1, 256),
	F_UINT(CFG, "mtu", mtu, 68, 9600),
	F_UINT(CFG, "link_timeout_ms", link_timeout_ms, 0, 300000),
	F_UINT(CFG, "tx_retries", tx_retries, 0, 1000),
	F_UINT(CFG, "steer_ring_size", steer_ring_size, 64, 32768),
	F_STR_ENUM(CFG, "rss", rss, rss_names),
	F_STR_ENUM(CFG, "log_level", log_level, log_level_names),
	F_OBJECT("synproxy", synproxy_fields),
	F_END
};
#undef CFG

static const uint16_t default_mss_table[] = { 536, 1220, 1330, 1360, 1400, 1440, 1452, 1460 };

void
config_defaults(struct synproxy_config *cfg)
{
	struct cfg_synproxy *sp = &cfg->synproxy;

	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int i = 0; i < CFG_MAX_PORTS; i++) {
		cfg->ports[i].rx_desc = 1024;
		cfg->ports[i].tx_desc = 1024;
	}
	cfg->mempool_size = 16383;
	cfg->mempool_cache = 256;
	cfg->burst_size = 32;
	cfg->mtu = 1500;
	cfg->link_timeout_ms = 9000;
	cfg->tx_retries = 8;
	cfg->steer_ring_size = 4096;
	snprintf(cfg->rss, sizeof(cfg->rss), "auto");
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");

	sp->enabled = true;
	sp->mode = CFG_MODE_AUTO;
	sp->flow_table_size = 262144;
	sp->timeout_syn_sent = 16;     /* covers the default SYN backoff: 15 s */
	sp->timeout_established = 7440;
	sp->timeout_fin = 60;
	sp->timeout_time_wait = 60;
	sp->timeout_close = 10;
	sp->timeout_probe_ms = 300;
	sp->timeout_reprobe = 10;
	sp->cookie_period = 64;
	memcpy(sp->mss_table, default_mss_table, sizeof(default_mss_table));
	sp->mss_table_len = (uint8_t)(sizeof(default_mss_table) / sizeof(default_mss_table[0]));
	sp->syn_cache_size = 65536;
	sp->auto_syn_rate = 20000;
	sp->auto_cache_fill_pct = 75;
	sp->default_mss = 1460;
	sp->default_wscale = 7;
	sp->default_sack = true;
	sp->default_timestamps = true;
	sp->probe = true;
	sp->learn_table_size = 4096;
	sp->syn_retransmit_ms = 1000;
	sp->syn_retries = 3;
	sp->ratelimit_enabled = true;
	sp->ratelimit_v4_prefix = 24;
	sp->ratelimit_v6_prefix = 64;
	sp->ratelimit_rate = 1000;
	sp->ratelimit_burst = 2000;
	sp->ratelimit_table_size = 65536;
	sp->max_flows_per_prefix = CFG_LIMIT_AUTO;
	sp->max_half_open_per_prefix = CFG_LIMIT_AUTO;
}

void
config_limits_resolve(struct cfg_synproxy *sp)
{
	sp->max_flows_per_prefix = config_limit_value(sp->max_flows_per_prefix, sp->flow_table_size,
						      CFG_LIMIT_FLOWS_DIV);
	sp->max_half_open_per_prefix = config_limit_value(sp->max_half_open_per_prefix,
							  sp->flow_table_size, CFG_LIMIT_HALF_OPEN_DIV);
}

/* What a worker holds besides its rings, at most, in one loop: the RX
 * bursts of both ports and of its steering inbox, as many new frames again
 * (window updates: one per server SYN-ACK), the SYN retransmissions of its
 * housekeeping (SYNPROXY_HK_TX_MAX) and, with software steering, the stash of
 * frames for the other workers. All of it is sent or freed before the next
 * loop, except the client SYNs kept while their server is probed: at most
 * SYNPROXY_PROBE_MAX, each answered or freed within timeouts.probe_ms. */
#define POOL_HK_TX 64

uint64_t
config_pool_need(const struct synproxy_config *cfg, unsigned nb_workers, bool sw_steering,
		 char *how, size_t howlen)
{
	const struct cfg_port *lan = config_port_by_role(cfg, CFG_ROLE_LAN);
	const struct cfg_port *wan = config_port_by_role(cfg, CFG_ROLE_WAN);
	uint64_t rings = (uint64_t)(lan ? lan->rx_desc + lan->tx_desc : 0) +
			 (wan ? wan->rx_desc + wan->tx_desc : 0);
	uint64_t steer = sw_steering && nb_workers > 1 ? cfg->steer_ring_size : 0;
	uint64_t inflight = 6ull * cfg->burst_size + POOL_HK_TX + SYNPROXY_PROBE_MAX +
			    (sw_steering ? (uint64_t)nb_workers * cfg->burst_size : 0);
	uint64_t cache = (uint64_t)cfg->mempool_cache * 3 / 2;
	uint64_t need = nb_workers * (rings + steer + inflight) + (nb_workers + 1ull) * cache;

	if (how != NULL)
		snprintf(how, howlen,
			 "%u worker(s) x (rings %" PRIu64 " [rx_desc+tx_desc of both ports] + steering ring %" PRIu64
			 " + in flight %" PRIu64 ") + %u lcore(s) x cache %" PRIu64 " [1.5 x mempool_cache] = %" PRIu64,
			 nb_workers, rings, steer, inflight, nb_workers + 1, cache, need);
	return need;
}

/* ---- validation context and error reporting ---- */

struct vctx {
	const char *name;           /* file name for messages */
	const char *text;           /* comment-blanked text, for positions */
	size_t len;
	struct cfg_path_seg path[CFG_PATH_MAX];
	unsigned int depth;
	char *err;
	size_t errlen;
};

static void
push_key(struct vctx *c, const char *key)
{
	/* the schema is 3 deep; the guard only protects against a bug */
	if (c->depth < CFG_PATH_MAX)
		c->path[c->depth] = (struct cfg_path_seg){ .key = key };
	c->depth++;
}

static void
push_index(struct vctx *c, size_t idx)
{
	if (c->depth < CFG_PATH_MAX)
		c->path[c->depth] = (struct cfg_path_seg){ .key = NULL, .index = idx };
	c->depth++;
}

static void
pop(struct vctx *c)
{
	c->depth--;
}

/*
 * Report an error at the current path. at_key: point at the key rather than
 * the value; at_parent: point at the enclosing value (for a missing key).
 */
static int __attribute__((format(printf, 4, 5)))
fail_at(struct vctx *c, bool at_key, bool at_parent, const char *fmt, ...)
{
	char path[256], msg[CFG_ERR_LEN];
	unsigned int depth = c->depth < CFG_PATH_MAX ? c->depth : CFG_PATH_MAX;
	struct cfg_pos pos;
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_path_format(c->path, depth, path, sizeof(path));
	if (cfg_pos_lookup(c->text, c->len, c->path, at_parent && depth > 0 ? depth - 1 : depth,
			   at_key, &pos) == 0)
		snprintf(c->err, c->errlen, "%s: %s (line %u:%u): %s", c->name, path,
			 pos.line, pos.col, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s: %s", c->name, path, msg);
	return -1;
}

#define fail(c, ...) fail_at(c, false, false, __VA_ARGS__)

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a fractional number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* "\"a\" or \"b\"" or "one of \"a\", \"b\", \"c\"" */
static void
names_list(const char *const *names, char *buf, size_t size)
{
	size_t n = 0, k, used;

	while (names[n] != NULL)
		n++;
	used = (size_t)snprintf(buf, size, "%s", n == 2 ? "" : "one of ");
	for (k = 0; k < n && used < size; k++)
		used += (size_t)snprintf(buf + used, size - used, "%s\"%s\"",
					 k == 0 ? "" : (n == 2 ? " or " : ", "), names[k]);
}

static int
enum_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void
store_uint(void *p, uint8_t size, uint64_t v)
{
	switch (size) {
	case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static uint64_t
load_uint(const void *p, uint8_t size)
{
	switch (size) {
	case 1: { uint8_t x; memcpy(&x, p, 1); return x; }
	case 2: { uint16_t x; memcpy(&x, p, 2); return x; }
	case 4: { uint32_t x; memcpy(&x, p, 4); return x; }
	default: { uint64_t x; memcpy(&x, p, 8); return x; }
	}
}

static int
get_uint(struct vctx *c, const json_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return fail(c, "expected an integer, got %s", type_name(v));
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x < min || (uint64_t)x > max)
		return fail(c, "%" JSON_INTEGER_FORMAT " is out of range %" PRIu64 "..%" PRIu64,
			    x, min, max);
	*out = (uint64_t)x;
	return 0;
}

static int parse_object(struct vctx *c, const json_t *obj, const struct field *fields,
			void *base);

static int
parse_mss_table(struct vctx *c, const json_t *arr, struct cfg_synproxy *sp)
{
	size_t n, i;
	uint64_t v;

	if (!json_is_array(arr))
		return fail(c, "expected an array, got %s", type_name(arr));
	n = json_array_size(arr);
	if (n == 0)
		return fail(c, "must hold 1..%d MSS values, got none", CFG_MAX_MSS_TABLE);
	for (i = 0; i < n; i++) {
		push_index(c, i);
		if (i >= CFG_MAX_MSS_TABLE)
			return fail(c, "too many entries: the table holds at most %d MSS values",
				    CFG_MAX_MSS_TABLE);
		if (get_uint(c, json_array_get(arr, i), 88, 65535, &v) < 0)
			return -1;
		if (i > 0 && v <= sp->mss_table[i - 1])
			return fail(c, "%" PRIu64 " must be greater than the previous entry %u "
				    "(the table is strictly ascending)", v, sp->mss_table[i - 1]);
		sp->mss_table[i] = (uint16_t)v;
		pop(c);
	}
	sp->mss_table_len = (uint8_t)n;
	return 0;
}

_Static_assert(sizeof(((struct cfg_synproxy *)0)->secret_key) == KEYFILE_MASTER_LEN,
	       "cfg_synproxy.secret_key holds the master key of keyfile.h");

/*
 * synproxy.secret_file: an absolute path to the shared cookie key. The file is
 * checked and read here, once, so --check and startup refuse a bad one before
 * any port is touched; only the derived master key is kept (keyfile.h).
 */
static int
parse_secret_file(struct vctx *c, const json_t *v, struct cfg_synproxy *sp)
{
	char why[CFG_ERR_LEN / 2];
	const char *path;

	if (!json_is_string(v))
		return fail(c, "expected a file name, got %s", type_name(v));
	path = json_string_value(v);
	if (json_string_length(v) == 0 || json_string_length(v) >= CFG_PATH_LEN ||
	    strlen(path) != json_string_length(v))
		return fail(c, "must be 1..%d characters", CFG_PATH_LEN - 1);
	if (path[0] != '/')
		return fail(c, "\"%s\" is not an absolute path", path);
	if (keyfile_load(path, sp->secret_key, why, sizeof(why)) != 0)
		return fail(c, "%s: %s", path, why);
	memcpy(sp->secret_file, path, json_string_length(v) + 1);
	return 0;
}

/*
 * synproxy.state_file: where SIGUSR2 writes the handover state and --restore
 * reads it (state/handover.h). An absolute path to a file (not a directory)
 * in a directory that exists, so a typo fails at load, not at the stop.
 */
static int
parse_state_file(struct vctx *c, const json_t *v, struct cfg_synproxy *sp)
{
	char dir[CFG_PATH_LEN];
	struct stat st;
	const char *path, *slash;

	if (!json_is_string(v))
		return fail(c, "expected a file name, got %s", type_name(v));
	path = json_string_value(v);
	if (json_string_length(v) == 0 || json_string_length(v) >= CFG_PATH_LEN ||
	    strlen(path) != json_string_length(v))
		return fail(c, "must be 1..%d characters", CFG_PATH_LEN - 1);
	if (path[0] != '/')
		return fail(c, "\"%s\" is not an absolute path", path);
	slash = strrchr(path, '/');
	if (slash[1] == '\0')
		return fail(c, "\"%s\" names a directory, not a file", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (dir[0] == '\0')
		strcpy(dir, "/");
	if (stat(dir, &st) != 0)
		return fail(c, "directory %s of \"%s\": %s", dir, path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(c, "%s (in \"%s\") is not a directory", dir, path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return fail(c, "\"%s\" exists and is not a regular file", path);
	memcpy(sp->state_file, path, json_string_length(v) + 1);
	return 0;
}

static int
parse_ports(struct vctx *c, const json_t *arr, struct synproxy_config *cfg)
{
	size_t n, i;

	if (!json_is_array(arr))
		return fail(c, "expected an array, got %s", type_name(arr));
	n = json_array_size(arr);
	if (n < CFG_MAX_PORTS)
		return fail(c, "expected exactly 2 ports (one lan, one wan), got %zu", n);
	for (i = 0; i < n; i++) {
		struct cfg_port *p;

		push_index(c, i);
		if (i >= CFG_MAX_PORTS)
			return fail(c, "too many ports: expected exactly 2 (one lan, one wan)");
		p = &cfg->ports[i];
		if (parse_object(c, json_array_get(arr, i), port_fields, p) < 0)
			return -1;
		if (i > 0 && p->role == cfg->ports[0].role) {
			push_key(c, "role");
			return fail(c, "duplicate role \"%s\": one port must be lan, the other wan",
				    role_names[p->role]);
		}
		if (i > 0 && strcmp(p->name, cfg->ports[0].name) == 0) {
			push_key(c, "name");
			return fail(c, "duplicate port name (also used by $.ports[0])");
		}
		pop(c);
	}
	cfg->nb_ports = (uint8_t)n;
	return 0;
}

/* ---- prefixes, protected services and source lists ---- */

static unsigned int
prefix_bytes(uint8_t family)
{
	return family == CFG_AF_INET ? 4 : 16;
}

/* Zero every bit of addr past len. */
static void
mask_addr(uint8_t *addr, unsigned int nbytes, unsigned int len)
{
	for (unsigned int i = 0; i < nbytes; i++) {
		unsigned int bits = len > i * 8 ? len - i * 8 : 0;

		if (bits < 8)
			addr[i] &= (uint8_t)(0xff00u >> bits);
	}
}

void
config_prefix_format(const struct cfg_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family == CFG_AF_INET ? AF_INET : AF_INET6, p->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, size, "%s/%u", a, p->len);
}

bool
config_prefix_contains(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	uint8_t x[16];

	if (a->family != b->family || a->len > b->len)
		return false;
	memcpy(x, b->addr, sizeof(x));
	mask_addr(x, prefix_bytes(b->family), a->len);
	return memcmp(x, a->addr, prefix_bytes(a->family)) == 0;
}

static bool
prefix_equal(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, prefix_bytes(a->family)) == 0;
}

/*
 * "198.18.1.0/24", "2001:2::/64", or a bare address (a host prefix). The
 * address must be in the standard text form inet_pton accepts, the length
 * plain decimal, and no bit past the length may be set: "198.18.1.1/24" is
 * refused rather than silently widened, since it is most likely a typo.
 */
static int
parse_prefix(struct vctx *c, const json_t *v, struct cfg_prefix *out)
{
	char text[INET6_ADDRSTRLEN + 8], shown[CFG_PREFIX_STRLEN], *slash;
	struct cfg_prefix p = { 0 };
	unsigned long len;
	unsigned int max;

	if (!json_is_string(v))
		return fail(c, "expected an address or prefix string like \"198.18.1.0/24\" or "
			    "\"2001:2::/64\", got %s", type_name(v));
	if (json_string_length(v) >= sizeof(text) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return fail(c, "not an IPv4 or IPv6 address or prefix");
	memcpy(text, json_string_value(v), json_string_length(v) + 1);
	slash = strchr(text, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, text, p.addr) == 1)
		p.family = CFG_AF_INET;
	else if (inet_pton(AF_INET6, text, p.addr) == 1)
		p.family = CFG_AF_INET6;
	else
		return fail(c, "\"%s\" is not an IPv4 or IPv6 address", text);
	max = p.family == CFG_AF_INET ? 32 : 128;
	len = max;
	if (slash != NULL) {
		const char *d = slash + 1;
		size_t n = strlen(d);

		if (n == 0 || n > 3 || strspn(d, "0123456789") != n || (n > 1 && d[0] == '0'))
			return fail(c, "prefix length \"%s\" must be a number 0..%u", d, max);
		len = strtoul(d, NULL, 10);
		if (len > max)
			return fail(c, "prefix length %lu is out of range 0..%u for %s", len, max,
				    p.family == CFG_AF_INET ? "IPv4" : "IPv6");
	}
	p.len = (uint8_t)len;
	{
		struct cfg_prefix m = p;

		mask_addr(m.addr, prefix_bytes(p.family), p.len);
		if (memcmp(m.addr, p.addr, sizeof(p.addr)) != 0) {
			config_prefix_format(&m, shown, sizeof(shown));
			return fail(c, "host bits set past /%u (did you mean \"%s\"?)", p.len, shown);
		}
	}
	*out = p;
	return 0;
}

/* One item of a ports list: a number 1..65535 or a "lo-hi" string. */
static int
parse_port_item(struct vctx *c, const json_t *v, struct cfg_port_range *r)
{
	const char *s, *dash;
	unsigned long lo, hi;
	uint64_t u;

	if (json_is_integer(v)) {
		if (get_uint(c, v, 1, 65535, &u) < 0)
			return -1;
		r->lo = r->hi = (uint16_t)u;
		return 0;
	}
	if (!json_is_string(v))
		return fail(c, "expected a port number or a \"lo-hi\" range string, got %s",
			    type_name(v));
	s = json_string_value(v);
	dash = strchr(s, '-');
	if (dash == NULL || strlen(s) != json_string_length(v) || strlen(s) > 11 ||
	    dash == s || dash[1] == '\0' || strspn(s, "0123456789") != (size_t)(dash - s) ||
	    strspn(dash + 1, "0123456789") != strlen(dash + 1))
		return fail(c, "\"%s\" is not a port range: write \"lo-hi\" (like \"8000-8099\") "
			    "or a number", s);
	lo = strtoul(s, NULL, 10);
	hi = strtoul(dash + 1, NULL, 10);
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
		return fail(c, "range \"%s\": ports are 1..65535", s);
	if (lo > hi)
		return fail(c, "range \"%s\" is reversed: %lu is above %lu", s, lo, hi);
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct cfg_port_range *x = a, *y = b;

	return (int)x->lo - (int)y->lo;
}

static void
range_format(const struct cfg_port_range *r, char *buf, size_t size)
{
	if (r->lo == r->hi)
		snprintf(buf, size, "%u", r->lo);
	else
		snprintf(buf, size, "%u-%u", r->lo, r->hi);
}

/* services[i].ports: 1..CFG_MAX_SVC_PORTS items, no two overlapping; stored sorted. */
static int
parse_svc_ports(struct vctx *c, const json_t *arr, struct cfg_service *svc)
{
	char a[16], b[16];
	size_t n, i;

	if (!json_is_array(arr))
		return fail(c, "expected an array of port numbers and \"lo-hi\" ranges, got %s",
			    type_name(arr));
	n = json_array_size(arr);
	if (n == 0)
		return fail(c, "must hold 1..%d ports or ranges (\"1-65535\" for every port)",
			    CFG_MAX_SVC_PORTS);
	for (i = 0; i < n; i++) {
		struct cfg_port_range *r = &svc->ports[i];

		push_index(c, i);
		if (i >= CFG_MAX_SVC_PORTS)
			return fail(c, "too many entries: a service holds at most %d ports or ranges",
				    CFG_MAX_SVC_PORTS);
		if (parse_port_item(c, json_array_get(arr, i), r) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (r->lo <= svc->ports[j].hi && svc->ports[j].lo <= r->hi) {
				range_format(r, a, sizeof(a));
				range_format(&svc->ports[j], b, sizeof(b));
				return fail(c, "%s overlaps %s at ports[%zu]", a, b, j);
			}
		}
		pop(c);
	}
	svc->nb_ports = (uint8_t)n;
	qsort(svc->ports, n, sizeof(svc->ports[0]), range_cmp);
	return 0;
}

/* First port two sorted, internally disjoint range lists share, or 0. */
static unsigned int
ports_intersect(const struct cfg_service *x, const struct cfg_service *y)
{
	unsigned int i = 0, j = 0;

	while (i < x->nb_ports && j < y->nb_ports) {
		const struct cfg_port_range *a = &x->ports[i], *b = &y->ports[j];

		if (a->lo <= b->hi && b->lo <= a->hi)
			return a->lo > b->lo ? a->lo : b->lo;
		if (a->hi < b->hi)
			i++;
		else
			j++;
	}
	return 0;
}

/*
 * synproxy.services. Two entries overlap when they name the very same prefix
 * (same family, length and address) and their port sets share a port: then
 * no rule could say which entry's overrides apply. Entries on different
 * prefixes never overlap, even when one lies inside the other (a /32 inside
 * a /24): the longer prefix is more specific and wins where it matches.
 */
static int
parse_services(struct vctx *c, const json_t *arr, struct cfg_synproxy *sp)
{
	char shown[CFG_PREFIX_STRLEN];
	size_t n, i;

	if (!json_is_array(arr))
		return fail(c, "expected an array of services, got %s", type_name(arr));
	n = json_array_size(arr);
	if (n == 0)
		return fail(c, "an empty list would protect nothing: list at least one service, "
			    "or leave the key out to protect every destination");
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(arr, i);
		struct cfg_service *svc = &sp->services[i];

		push_index(c, i);
		if (i >= CFG_MAX_SERVICES)
			return fail(c, "too many services: at most %d", CFG_MAX_SERVICES);
		memset(svc, 0, sizeof(*svc));
		if (parse_object(c, e, service_fields, svc) < 0)
			return -1;
		for (size_t k = 0; k < sizeof(svc_overrides) / sizeof(svc_overrides[0]); k++) {
			const json_t *o = svc_overrides[k].obj == NULL ? e :
					  json_object_get(e, svc_overrides[k].obj);

			if (o != NULL && json_object_get(o, svc_overrides[k].key) != NULL)
				svc->set |= svc_overrides[k].bit;
		}
		for (size_t j = 0; j < i; j++) {
			unsigned int port;

			if (!prefix_equal(&svc->prefix, &sp->services[j].prefix))
				continue;
			port = ports_intersect(svc, &sp->services[j]);
			if (port == 0)
				continue;
			config_prefix_format(&svc->prefix, shown, sizeof(shown));
			push_key(c, "ports");
			return fail(c, "overlaps $.synproxy.services[%zu]: both name %s and port %u "
				    "(entries on the same prefix need disjoint ports)", j, shown, port);
		}
		pop(c);
	}
	sp->nb_services = (uint16_t)n;
	return 0;
}

/*
 * synproxy.allow / synproxy.deny. Within one list no entry may equal or
 * contain another (the inner one would be dead). Across the lists the same
 * prefix is refused; a prefix nested in one of the other list is the
 * intended exception ("deny 198.18.0.0/16 but allow 198.18.7.0/24"):
 * the longest prefix decides.
 */
static int
parse_src_list(struct vctx *c, const json_t *arr, struct cfg_synproxy *sp, bool deny)
{
	const char *name = deny ? "deny" : "allow", *other_name = deny ? "allow" : "deny";
	struct cfg_prefix *list = deny ? sp->deny : sp->allow;
	const struct cfg_prefix *other = deny ? sp->allow : sp->deny;
	unsigned int nb_other = deny ? sp->nb_allow : sp->nb_deny;
	char a[CFG_PREFIX_STRLEN], b[CFG_PREFIX_STRLEN];
	size_t n, i;

	if (!json_is_array(arr))
		return fail(c, "expected an array of source prefixes, got %s", type_name(arr));
	n = json_array_size(arr);
	for (i = 0; i < n; i++) {
		struct cfg_prefix *p = &list[i];

		push_index(c, i);
		if (i >= CFG_MAX_SRC_PREFIXES)
			return fail(c, "too many prefixes: at most %d", CFG_MAX_SRC_PREFIXES);
		if (parse_prefix(c, json_array_get(arr, i), p) < 0)
			return -1;
		/* quadratic, but at most 1024 x 1024 cheap compares; text only on error */
		for (size_t j = 0; j < i; j++) {
			bool inside = config_prefix_contains(&list[j], p);
			bool covers = config_prefix_contains(p, &list[j]);

			if (!inside && !covers)
				continue;
			config_prefix_format(p, a, sizeof(a));
			config_prefix_format(&list[j], b, sizeof(b));
			if (inside && covers)
				return fail(c, "duplicate of $.synproxy.%s[%zu] (%s)", name, j, b);
			if (inside)
				return fail(c, "%s lies inside $.synproxy.%s[%zu] (%s), which already "
					    "covers it", a, name, j, b);
			return fail(c, "%s covers $.synproxy.%s[%zu] (%s): drop the narrower "
				    "entry", a, name, j, b);
		}
		for (size_t j = 0; j < nb_other; j++) {
			if (!prefix_equal(p, &other[j]))
				continue;
			config_prefix_format(p, a, sizeof(a));
			return fail(c, "%s is also in $.synproxy.%s[%zu]: a source cannot be "
				    "both allowed and denied", a, other_name, j);
		}
		pop(c);
	}
	if (deny)
		sp->nb_deny = (uint16_t)n;
	else
		sp->nb_allow = (uint16_t)n;
	return 0;
}

static int
parse_field(struct vctx *c, const json_t *v, const struct field *f, void *base)
{
	char *p = (char *)base + f->off;
	char list[128];
	uint64_t u;
	int idx;

	switch (f->type) {
	case FT_UINT:
		if (get_uint(c, v, f->min, f->max, &u) < 0)
			return -1;
		if (f->pow2 && (u & (u - 1)) != 0)
			return fail(c, "%" PRIu64 " is not a power of two", u);
		store_uint(p, f->size, u);
		return 0;
	case FT_BOOL:
		if (!json_is_boolean(v))
			return fail(c, "expected true or false, got %s", type_name(v));
		*(bool *)p = json_is_true(v);
		return 0;
	case FT_ENUM:
	case FT_STR_ENUM:
		names_list(f->names, list, sizeof(list));
		if (!json_is_string(v))
			return fail(c, "expected %s, got %s", list, type_name(v));
		idx = enum_index(f->names, json_string_value(v));
		if (idx < 0)
			return fail(c, "expected %s", list);
		if (f->type == FT_ENUM)
			store_uint(p, f->size, (uint64_t)idx);
		else
			snprintf(p, f->size, "%s", f->names[idx]);
		return 0;
	case FT_STRING:
		/* only port names are free text, sized CFG_NAME_LEN */
		if (!json_is_string(v))
			return fail(c, "expected a string, got %s", type_name(v));
		if (json_string_length(v) == 0 || json_string_length(v) >= CFG_NAME_LEN ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return fail(c, "must be 1..%d characters", CFG_NAME_LEN - 1);
		memcpy(p, json_string_value(v), json_string_length(v) + 1);
		return 0;
	case FT_OBJECT:
		return parse_object(c, v, f->sub, base);
	case FT_MSS_TABLE:
		return parse_mss_table(c, v, &((struct synproxy_config *)base)->synproxy);
	case FT_PORTS:
		return parse_ports(c, v, base);
	case FT_PREFIX:
		return parse_prefix(c, v, (struct cfg_prefix *)p);
	case FT_SVC_PORTS:
		return parse_svc_ports(c, v, base);
	case FT_SERVICES:
		return parse_services(c, v, &((struct synproxy_config *)base)->synproxy);
	case FT_ALLOW:
	case FT_DENY:
		return parse_src_list(c, v, &((struct synproxy_config *)base)->synproxy,
				      f->type == FT_DENY);
	case FT_SECRET_FILE:
		return parse_secret_file(c, v, &((struct synproxy_config *)base)->synproxy);
	case FT_STATE_FILE:
		return parse_state_file(c, v, &((struct synproxy_config *)base)->synproxy);
	}
	return fail(c, "internal error: unknown field type");
}

static const struct field *
find_field(const struct field *fields, const char *key)
{
	for (; fields->key != NULL; fields++)
		if (strcmp(fields->key, key) == 0)
			return fields;
	return NULL;
}

static int
parse_object(struct vctx *c, const json_t *obj, const struct field *fields, void *base)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return fail(c, "expected an object, got %s", type_name(obj));
	/* jansson keeps members in file order, so the first bad one is reported */
	json_object_foreach((json_t *)obj, key, v) {
		const struct field *f = find_field(fields, key);

		push_key(c, key);
		if (f == NULL)
			return fail_at(c, true, false, "unknown key");
		if (parse_field(c, v, f, base) < 0)
			return -1;
		pop(c);
	}
	for (const struct field *f = fields; f->key != NULL; f++) {
		if (f->required && json_object_get(obj, f->key) == NULL) {
			push_key(c, f->key);
			return fail_at(c, false, true, "missing required key");
		}
	}
	return 0;
}

/* ---- comments ---- */

/*
 * Copy in to out with comments replaced: one space per comment character
 * (UTF-8 continuation bytes vanish), newlines kept, so every line:column after
 * a comment is unchanged. Returns the output length, or -1 with *bad at the
 * start of an unterminated block comment.
 */
static long
blank_comments(const char *in, size_t len, char *out, size_t *bad)
{
	size_t i = 0, o = 0;
	bool in_string = false;

	while (i < len) {
		char ch = in[i];

		if (in_string) {
			out[o++] = ch;
			if (ch == '\\' && i + 1 < len)
				out[o++] = in[++i];
			else if (ch == '"')
				in_string = false;
			i++;
		} else if (ch == '/' && i + 1 < len && (in[i + 1] == '/' || in[i + 1] == '*')) {
			bool block = in[i + 1] == '*';
			size_t start = i;

			out[o++] = ' ';
			out[o++] = ' ';
			for (i += 2;; i++) {
				if (i >= len) {
					if (block) {
						*bad = start;
						return -1;
					}
					break;
				}
				if (!block && in[i] == '\n')
					break;
				if (block && in[i] == '*' && i + 1 < len && in[i + 1] == '/') {
					out[o++] = ' ';
					out[o++] = ' ';
					i += 2;
					break;
				}
				if (in[i] == '\n')
					out[o++] = '\n';
				else if (((unsigned char)in[i] & 0xc0) != 0x80)
					out[o++] = ' ';
			}
		} else {
			if (ch == '"')
				in_string = true;
			out[o++] = ch;
			i++;
		}
	}
	return (long)o;
}

/* ---- loading ---- */

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * The proxy gives up on a server that never answered (and resets the client)
 * once the wait after its last SYN retransmission is over: retransmissions at
 * retx, 3 retx, 7 retx... after the first SYN, then one more doubled wait,
 * retx * (2^(retries + 1) - 1) in all (synproxy_pending.c). The flow must
 * outlive that, with half a second for the housekeeping that walks both;
 * else the retries past the timeout never happen and the client hangs.
 */
#define SYN_GIVEUP_SLACK_MS 500

uint64_t
config_syn_giveup_ms(const struct cfg_synproxy *sp)
{
	return (uint64_t)sp->syn_retransmit_ms * ((UINT64_C(2) << sp->syn_retries) - 1);
}

static int
check_syn_backoff(const struct synproxy_config *cfg, const char *name, char *err, size_t errlen)
{
	const struct cfg_synproxy *sp = &cfg->synproxy;
	uint64_t need_ms = config_syn_giveup_ms(sp) + SYN_GIVEUP_SLACK_MS;

	if (!sp->enabled || (uint64_t)sp->timeout_syn_sent * 1000 >= need_ms)
		return 0;
	set_err(err, errlen,
		"%s: synproxy.timeouts.syn_sent: %u s ends the handshake before the SYN retransmissions "
		"to the server do (syn_retransmit_ms %u x (2^(syn_retries %u + 1) - 1) = %" PRIu64
		" ms, + %u ms): raise timeouts.syn_sent to at least %" PRIu64
		", or lower syn_retries or syn_retransmit_ms",
		name, sp->timeout_syn_sent, sp->syn_retransmit_ms, sp->syn_retries,
		config_syn_giveup_ms(sp), SYN_GIVEUP_SLACK_MS, (need_ms + 999) / 1000);
	return -1;
}

/* jansson only says "near ..." for a duplicate key: find its path and place. */
static void
report_duplicate(const char *text, size_t len, const char *name, const json_error_t *je,
		 char *err, size_t errlen)
{
	struct cfg_path_seg path[CFG_PATH_MAX];
	char pbuf[256], *keys = malloc(len + CFG_PATH_MAX + 1);
	unsigned int depth;
	struct cfg_pos pos;

	if (keys != NULL && cfg_pos_find_duplicate(text, len, path, &depth, keys, &pos) == 0) {
		cfg_path_format(path, depth, pbuf, sizeof(pbuf));
		set_err(err, errlen, "%s: %s (line %u:%u): duplicate key", name, pbuf,
			pos.line, pos.col);
	} else {
		set_err(err, errlen, "%s:%d:%d: %s", name, je->line, je->column, je->text);
	}
	free(keys);
}

static int
load_buffer(struct synproxy_config *cfg, const char *text, size_t len, const char *name,
	    char *err, size_t errlen)
{
	struct synproxy_config *tmp = NULL;
	struct vctx c;
	json_error_t je;
	json_t *root = NULL;
	char *clean;
	size_t bad = 0;
	long clen;
	int ret = -1;

	if (name == NULL)
		name = "<config>";
	clean = malloc(len + 1);
	tmp = malloc(sizeof(*tmp));
	if (clean == NULL || tmp == NULL) {
		set_err(err, errlen, "%s: out of memory", name);
		goto out;
	}
	clen = blank_comments(text, len, clean, &bad);
	if (clen < 0) {
		struct cfg_pos p = cfg_pos_of_offset(text, len, bad);

		set_err(err, errlen, "%s:%u:%u: unterminated /* comment", name, p.line, p.col);
		goto out;
	}
	clean[clen] = '\0';

	root = json_loadb(clean, (size_t)clen, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (json_error_code(&je) == json_error_duplicate_key)
			report_duplicate(clean, (size_t)clen, name, &je, err, errlen);
		else
			set_err(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
		goto out;
	}

	config_defaults(tmp);
	c = (struct vctx){ .name = name, .text = clean, .len = (size_t)clen,
			   .err = err, .errlen = errlen };
	if (parse_object(&c, root, top_fields, tmp) < 0 || check_syn_backoff(tmp, name, err, errlen) < 0)
		goto out;
	config_limits_resolve(&tmp->synproxy);
	snprintf(tmp->path, sizeof(tmp->path), "%s", name);
	*cfg = *tmp;
	ret = 0;
out:
	json_decref(root);
	if (tmp != NULL)
		explicit_bzero(tmp, sizeof(*tmp));   /* it may hold the cookie key */
	free(tmp);
	free(clean);
	return ret;
}

int
config_load_string(struct synproxy_config *cfg, const char *text, const char *name,
		   char *err, size_t errlen)
{
	if (cfg == NULL || text == NULL) {
		set_err(err, errlen, "%s: no configuration given", name ? name : "<config>");
		return -1;
	}
	return load_buffer(cfg, text, strlen(text), name, err, errlen);
}

int
config_load_file(struct synproxy_config *cfg, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f;
	int ret = -1;

	if (cfg == NULL || path == NULL) {
		set_err(err, errlen, "config: no file given");
		return -1;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* one byte more than allowed, to tell "exactly the limit" from "too big" */
	buf = malloc(CFG_MAX_FILE + 1);
	if (buf == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len <= CFG_MAX_FILE && (n = fread(buf + len, 1, CFG_MAX_FILE + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	if (len > CFG_MAX_FILE) {
		set_err(err, errlen, "%s: larger than %u bytes, not a config", path, CFG_MAX_FILE);
		goto out;
	}
	ret = load_buffer(cfg, buf, len, path, err, errlen);
out:
	free(buf);
	fclose(f);
	return ret;
}

/* ---- rendering ---- */

static json_t *render_object(const struct field *fields, const void *base);
static json_t *render_field(const struct field *f, const void *base);

static json_t *
render_prefix(const struct cfg_prefix *p)
{
	char buf[CFG_PREFIX_STRLEN];

	config_prefix_format(p, buf, sizeof(buf));
	return json_string(buf);
}

static uint16_t
override_bit(const char *obj, const char *key)
{
	for (size_t k = 0; k < sizeof(svc_overrides) / sizeof(svc_overrides[0]); k++)
		if (strcmp(svc_overrides[k].key, key) == 0 &&
		    (obj == NULL ? svc_overrides[k].obj == NULL :
		     svc_overrides[k].obj != NULL && strcmp(svc_overrides[k].obj, obj) == 0))
			return svc_overrides[k].bit;
	return 0;
}

/* A service as written: prefix, ports, and only the overrides it sets. */
static json_t *
render_service(const struct cfg_service *svc)
{
	json_t *o = json_object();

	for (const struct field *f = service_fields; o != NULL && f->key != NULL; f++) {
		if (f->type == FT_OBJECT) {
			json_t *sub = json_object();

			for (const struct field *g = f->sub; sub != NULL && g->key != NULL; g++)
				if (svc->set & override_bit(f->key, g->key))
					json_object_set_new(sub, g->key, render_field(g, svc));
			if (sub != NULL && json_object_size(sub) > 0)
				json_object_set_new(o, f->key, sub);
			else
				json_decref(sub);
		} else if (f->type == FT_PREFIX || f->type == FT_SVC_PORTS ||
			   (svc->set & override_bit(NULL, f->key))) {
			json_object_set_new(o, f->key, render_field(f, svc));
		}
	}
	return o;
}

static json_t *
render_field(const struct field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	const struct synproxy_config *cfg = base;
	json_t *a;
	uint64_t u;
	size_t n;

	switch (f->type) {
	case FT_UINT:
		return json_integer((json_int_t)load_uint(p, f->size));
	case FT_BOOL:
		return json_boolean(*(const bool *)p);
	case FT_ENUM:
		u = load_uint(p, f->size);
		for (n = 0; f->names[n] != NULL; n++)
			if (n == u)
				return json_string(f->names[n]);
		return json_null();
	case FT_STR_ENUM:
		return json_string(p);
	case FT_STRING:
		/* NULL for invalid UTF-8: render null rather than fail the whole dump */
		a = json_string(p);
		return a != NULL ? a : json_null();
	case FT_OBJECT:
		return render_object(f->sub, base);
	case FT_MSS_TABLE:
		a = json_array();
		n = cfg->synproxy.mss_table_len;
		for (size_t i = 0; a != NULL && i < n && i < CFG_MAX_MSS_TABLE; i++)
			json_array_append_new(a, json_integer(cfg->synproxy.mss_table[i]));
		return a;
	case FT_PORTS:
		a = json_array();
		for (size_t i = 0; a != NULL && i < cfg->nb_ports && i < CFG_MAX_PORTS; i++)
			json_array_append_new(a, render_object(port_fields, &cfg->ports[i]));
		return a;
	case FT_PREFIX:
		return render_prefix((const struct cfg_prefix *)p);
	case FT_SVC_PORTS: {
		const struct cfg_service *svc = base;
		char buf[16];

		a = json_array();
		for (size_t i = 0; a != NULL && i < svc->nb_ports && i < CFG_MAX_SVC_PORTS; i++) {
			const struct cfg_port_range *r = &svc->ports[i];

			range_format(r, buf, sizeof(buf));
			json_array_append_new(a, r->lo == r->hi ? json_integer(r->lo) : json_string(buf));
		}
		return a;
	}
	case FT_SERVICES:
		/* none configured: leave the key out (an empty list is not valid input) */
		if (cfg->synproxy.nb_services == 0)
			return NULL;
		a = json_array();
		for (size_t i = 0; a != NULL && i < cfg->synproxy.nb_services &&
		     i < CFG_MAX_SERVICES; i++)
			json_array_append_new(a, render_service(&cfg->synproxy.services[i]));
		return a;
	case FT_ALLOW:
	case FT_DENY: {
		const struct cfg_prefix *list = f->type == FT_DENY ? cfg->synproxy.deny :
								     cfg->synproxy.allow;
		n = f->type == FT_DENY ? cfg->synproxy.nb_deny : cfg->synproxy.nb_allow;
		a = json_array();
		for (size_t i = 0; a != NULL && i < n && i < CFG_MAX_SRC_PREFIXES; i++)
			json_array_append_new(a, render_prefix(&list[i]));
		return a;
	}
	case FT_SECRET_FILE:
		/* The path only, never the key; absent when unset (random secrets). */
		return cfg->synproxy.secret_file[0] ? json_string(cfg->synproxy.secret_file) : NULL;
	case FT_STATE_FILE:
		return cfg->synproxy.state_file[0] ? json_string(cfg->synproxy.state_file) : NULL;
	}
	return json_null();
}

static json_t *
render_object(const struct field *fields, const void *base)
{
	json_t *o = json_object();

	for (; o != NULL && fields->key != NULL; fields++) {
		json_t *v = render_field(fields, base);

		if (v != NULL)          /* NULL: a key left out when unset */
			json_object_set_new(o, fields->key, v);
	}
	return o;
}

char *
config_to_json(const struct synproxy_config *cfg)
{
	json_t *root;
	char *s;

	if (cfg == NULL)
		return NULL;
	root = render_object(top_fields, cfg);
	if (root == NULL)
		return NULL;
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

const struct cfg_port *
config_port_by_role(const struct synproxy_config *cfg, enum cfg_port_role r)
{
	for (unsigned int i = 0; cfg != NULL && i < cfg->nb_ports && i < CFG_MAX_PORTS; i++)
		if (cfg->ports[i].role == r)
			return &cfg->ports[i];
	return NULL;
}
