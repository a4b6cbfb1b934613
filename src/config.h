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

struct cfg_synproxy {
	bool enabled;                       /* default true */
	enum cfg_synproxy_mode mode;        /* default auto */
	/* flow table */
	uint32_t flow_table_size;           /* per worker, default 262144 */
	uint32_t timeout_syn_sent;          /* seconds, default 5 */
	uint32_t timeout_established;       /* default 7440 (2h04m, like conntrack) */
	uint32_t timeout_fin;               /* default 60 */
	uint32_t timeout_time_wait;         /* default 60 */
	uint32_t timeout_close;             /* after RST, default 10 */
	/* cookies */
	uint32_t cookie_period;             /* seconds between secret rotations, default 64 */
	char secret_file[CFG_PATH_LEN];     /* shared cookie key file; "" = random secrets (default) */
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

const struct cfg_port *config_port_by_role(const struct synproxy_config *cfg, enum cfg_port_role r);

#endif
