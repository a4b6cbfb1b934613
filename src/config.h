/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.h - the JSON configuration, parsed and validated before any port is touched.
 *
 * The file is JSON with // and / * * / comments allowed (they are blanked out
 * before parsing so line:column positions stay true). Validation is strict: an
 * unknown key, a wrong type or an out-of-range value is an error that names the
 * JSON path and the line:column of the offending value.
 */
#ifndef SYNPROXY_CONFIG_H
#define SYNPROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_PORTS      2
#define CFG_NAME_LEN       128
#define CFG_ERR_LEN        512
#define CFG_MAX_MSS_TABLE  8
#define CFG_MAX_PREFIXES   4
/* protected services and source lists (synproxy.services / allow / deny) */
#define CFG_MAX_SERVICES      256   /* entries in synproxy.services */
#define CFG_MAX_SVC_PORTS     32    /* items (a number or a "lo-hi" range) per service */
#define CFG_MAX_SRC_PREFIXES  1024  /* entries in each of synproxy.allow and synproxy.deny */
#define CFG_AF_INET   4             /* same values as FLOW_AF_INET / FLOW_AF_INET6 */
#define CFG_AF_INET6  6
#define CFG_PATH_LEN       256

enum cfg_port_role { CFG_ROLE_LAN = 0, CFG_ROLE_WAN = 1 };

struct cfg_port {
	char name[CFG_NAME_LEN];   /* PCI address (0000:03:00.0) or vdev name (net_af_packet0) */
	enum cfg_port_role role;
	uint16_t rx_desc;          /* RX descriptors per queue, default 1024 */
	uint16_t tx_desc;          /* TX descriptors per queue, default 1024 */
	uint16_t rx_queues;        /* 0 = one per worker (default) */
};

enum cfg_synproxy_mode { CFG_MODE_COOKIE = 0, CFG_MODE_CACHE = 1, CFG_MODE_AUTO = 2 };

/* An address prefix; the address is in network byte order, host bits zero. */
struct cfg_prefix {
	uint8_t addr[16];          /* IPv4 in addr[0..3] */
	uint8_t family;            /* CFG_AF_INET or CFG_AF_INET6 */
	uint8_t len;               /* 0..32 or 0..128 */
};

struct cfg_port_range {
	uint16_t lo, hi;           /* 1..65535, lo <= hi */
};

/* Which overrides a service entry sets (struct cfg_service.set). */
enum {
	CFG_SVC_MODE          = 1u << 0,
	CFG_SVC_MSS           = 1u << 1,
	CFG_SVC_WSCALE        = 1u << 2,
	CFG_SVC_SACK          = 1u << 3,
	CFG_SVC_TIMESTAMPS    = 1u << 4,
	CFG_SVC_RL_RATE       = 1u << 5,
	CFG_SVC_RL_BURST      = 1u << 6,
	CFG_SVC_MAX_FLOWS     = 1u << 7,
	CFG_SVC_MAX_HALF_OPEN = 1u << 8,
};

/*
 * One entry of synproxy.services. Ports are kept sorted by lo and pairwise
 * disjoint. An override applies only when its bit is in set; otherwise the
 * global value holds (policy_build resolves them).
 */
struct cfg_service {
	struct cfg_prefix prefix;
	uint8_t nb_ports;
	uint16_t set;                         /* CFG_SVC_* */
	struct cfg_port_range ports[CFG_MAX_SVC_PORTS];
	uint8_t mode;                         /* enum cfg_synproxy_mode */
	uint8_t wscale;
	uint16_t mss;
	bool sack;
	bool timestamps;
	uint32_t ratelimit_rate;
	uint32_t ratelimit_burst;
	uint32_t max_flows_per_prefix;        /* 0 = the global limit */
	uint32_t max_half_open_per_prefix;    /* 0 = the global limit */
};

struct cfg_synproxy {
	bool enabled;                       /* default true */
	enum cfg_synproxy_mode mode;        /* default auto */
	/* flow table */
	uint32_t flow_table_size;           /* per worker, default 262144 */
	uint32_t timeout_syn_sent;          /* seconds, default 16; >= the SYN backoff (config_syn_giveup_ms) */
	uint32_t timeout_established;       /* default 7440 (2h04m, like conntrack) */
	uint32_t timeout_fin;               /* default 60 */
	uint32_t timeout_time_wait;         /* default 60 */
	uint32_t timeout_close;             /* after RST, default 10 */
	uint32_t timeout_probe_ms;          /* a probe SYN's answer (fwd/synproxy_probe.c), ms, default 300 */
	uint32_t timeout_reprobe;           /* seconds a learned server entry is trusted, default 10 */
	/* cookies */
	uint32_t cookie_period;             /* seconds between secret rotations, default 64 */
	char secret_file[CFG_PATH_LEN];     /* shared cookie key file; "" = random secrets (default) */
	char state_file[CFG_PATH_LEN];      /* handover state (SIGUSR2 / --restore); "" = none (default) */
	uint8_t secret_key[32];             /* its master key (keyfile.h), read once at load; never rendered */
	uint16_t mss_table[CFG_MAX_MSS_TABLE]; /* ascending; default 536 1220 1330 1360 1400 1440 1452 1460 */
	uint8_t mss_table_len;
	/* SYN cache */
	uint32_t syn_cache_size;            /* per worker, default 65536 */
	uint32_t auto_syn_rate;             /* SYN/s per worker above which auto mode uses cookies, default 20000 */
	uint8_t auto_cache_fill_pct;        /* cache fill (%) above which auto mode uses cookies, default 75 */
	/* options the proxy announces before it has learned a server's, and the learning table */
	uint16_t default_mss;               /* default 1460 */
	uint8_t default_wscale;             /* default 7 */
	bool default_sack;                  /* default true */
	bool default_timestamps;            /* default true */
	uint32_t learn_table_size;          /* per worker, default 4096 */
	bool probe;                         /* probe unknown/due servers before answering (fwd/synproxy_probe.c), default true */
	/* SYN retransmission towards the server */
	uint32_t syn_retransmit_ms;         /* default 1000 */
	uint8_t syn_retries;                /* default 3 */
	/* per-prefix SYN rate limit (token buckets) */
	bool ratelimit_enabled;             /* default true */
	uint8_t ratelimit_v4_prefix;        /* default 24 */
	uint8_t ratelimit_v6_prefix;        /* default 64 */
	uint32_t ratelimit_rate;            /* SYN/s per prefix, default 1000 */
	uint32_t ratelimit_burst;           /* bucket depth, default 2000 */
	uint32_t ratelimit_table_size;      /* buckets per worker, default 65536 */
	/* per source prefix caps (prefix lengths: ratelimit_v4_prefix/v6_prefix),
	 * per worker, 0 = no cap; CFG_LIMIT_AUTO until resolved from the flow table
	 * size (config_limits_resolve) */
	uint32_t max_flows_per_prefix;      /* default flow_table_size / 4 */
	uint32_t max_half_open_per_prefix;  /* default flow_table_size / 64 */
	/* protected services: none configured = every destination is protected */
	uint16_t nb_services;
	struct cfg_service services[CFG_MAX_SERVICES];
	/* source lists: allow = never proxied (bridged), deny = dropped from the WAN */
	uint16_t nb_allow;
	uint16_t nb_deny;
	struct cfg_prefix allow[CFG_MAX_SRC_PREFIXES];
	struct cfg_prefix deny[CFG_MAX_SRC_PREFIXES];
};

struct synproxy_config {
	char path[256];
	struct cfg_port ports[CFG_MAX_PORTS];  /* one lan, one wan, in file order */
	uint8_t nb_ports;
	uint32_t mempool_size;      /* mbufs, default 16383 */
	uint16_t mempool_cache;     /* default 256 */
	uint16_t burst_size;        /* default 32, max 256 */
	uint16_t mtu;               /* default 1500, 68..9600 */
	uint32_t link_timeout_ms;   /* link-status wait, default 9000 */
	uint32_t tx_retries;        /* tries on a partial transmit before dropping, default 8 */
	uint16_t steer_ring_size;   /* software steering ring per worker, default 4096 */
	char rss[16];               /* "auto" (default), "hardware", "software" */
	char log_level[16];         /* "info" default */
	struct cfg_synproxy synproxy;
};

/* Fill every default. */
void config_defaults(struct synproxy_config *cfg);

/* The per-prefix caps not given in the file follow the flow table size:
 * a quarter of it in flows, a 64th in half-open handshakes (at least 1).
 * config_load_* call it; a config built by hand calls it before use. */
#define CFG_LIMIT_AUTO UINT32_MAX
#define CFG_LIMIT_FLOWS_DIV     4
#define CFG_LIMIT_HALF_OPEN_DIV 64
static inline uint32_t
config_limit_value(uint32_t v, uint32_t flow_table_size, uint32_t div)
{
	if (v != CFG_LIMIT_AUTO)
		return v;
	return flow_table_size >= div ? flow_table_size / div : 1;
}
void config_limits_resolve(struct cfg_synproxy *sp);

/* Whether the workers need the per-prefix counters: a global cap, or a
 * service with a cap of its own (a non-zero limits value). */
static inline bool
config_needs_prefix_limits(const struct cfg_synproxy *sp)
{
	if (config_limit_value(sp->max_flows_per_prefix, sp->flow_table_size,
			       CFG_LIMIT_FLOWS_DIV) != 0 ||
	    config_limit_value(sp->max_half_open_per_prefix, sp->flow_table_size,
			       CFG_LIMIT_HALF_OPEN_DIV) != 0)
		return true;
	for (uint16_t i = 0; i < sp->nb_services && i < CFG_MAX_SERVICES; i++)
		if (((sp->services[i].set & CFG_SVC_MAX_FLOWS) && sp->services[i].max_flows_per_prefix) ||
		    ((sp->services[i].set & CFG_SVC_MAX_HALF_OPEN) &&
		     sp->services[i].max_half_open_per_prefix))
			return true;
	return false;
}

/*
 * The mbufs the pool must hold for nb_workers workers to always have RX
 * refill headroom (README "Sizing the mbuf pool"): per worker both ports' RX
 * and TX rings, its steering ring (software steering) and its bursts in
 * flight; per lcore (workers + main) the mempool cache at its flush
 * threshold (1.5 x mempool_cache). Pending SYNs hold no mbuf; client SYNs
 * kept while their server is probed do, SYNPROXY_PROBE_MAX per worker at most
 * (counted in its frames in flight). Fills a line of arithmetic into `how`
 * (may be NULL).
 */
#define SYNPROXY_PROBE_MAX 64   /* probes in flight per worker (fwd/synproxy_probe.c) */
/* A probe SYN is sent up to this many times, evenly over timeouts.probe_ms:
 * one lost SYN or SYN-ACK (1% loss each way makes that 2% of probes) must not
 * turn into a promise from the defaults. */
#define SYNPROXY_PROBE_TRIES 3
uint64_t config_pool_need(const struct synproxy_config *cfg, unsigned nb_workers, bool sw_steering,
			  char *how, size_t howlen);

/*
 * How long after its first SYN the proxy gives up on a silent server:
 * syn_retransmit_ms * (2^(syn_retries + 1) - 1). A config whose
 * timeouts.syn_sent is not at least that plus half a second is refused.
 */
uint64_t config_syn_giveup_ms(const struct cfg_synproxy *sp);

/*
 * Parse and validate. On failure returns -1 and writes a message like
 *   "config.json: $.ports[1].role (line 12:13): expected \"lan\" or \"wan\""
 * to err (CFG_ERR_LEN bytes).
 */
int config_load_file(struct synproxy_config *cfg, const char *path, char *err, size_t errlen);
int config_load_string(struct synproxy_config *cfg, const char *text, const char *name,
		       char *err, size_t errlen);

/* The embedded default: the namespace demo (two af_packet vdevs). */
extern const char config_embedded_default[];

/* Render the effective config as JSON (caller frees with free()); for /synproxy/config. */
char *config_to_json(const struct synproxy_config *cfg);

/* "198.18.1.0/24", "2001:2::/64" (buf at least CFG_PREFIX_STRLEN bytes). */
#define CFG_PREFIX_STRLEN 52
void config_prefix_format(const struct cfg_prefix *p, char *buf, size_t size);

/* Whether a contains b (a is no longer than b and b's address lies inside a). */
bool config_prefix_contains(const struct cfg_prefix *a, const struct cfg_prefix *b);

const struct cfg_port *config_port_by_role(const struct synproxy_config *cfg, enum cfg_port_role r);

#endif
