/* SPDX-License-Identifier: BSD-3-Clause */
/* common.h - small shared definitions: port roles, limits, the log type. */
#ifndef SYNPROXY_COMMON_H
#define SYNPROXY_COMMON_H

#include <stdint.h>
#include <rte_log.h>

/* A frame entering on one role leaves on the other unless the proxy answers it. */
enum port_role { ROLE_LAN = 0, ROLE_WAN = 1, ROLE_MAX = 2 };

static inline enum port_role
role_other(enum port_role r)
{
	return (enum port_role)(r ^ 1);
}

static inline const char *
role_name(enum port_role r)
{
	return r == ROLE_LAN ? "lan" : "wan";
}

/* "No window scale": the option was absent / is not to be sent (RFC 7323
 * shifts are 0..14). One name for the flow table, cookies, caches and options. */
#define TCP_WSCALE_NONE 0xf

#define MAX_BURST    256   /* upper bound of the configurable burst size */
#define MAX_WORKERS  64

extern int synproxy_logtype;
/* log_level names ("emerg" .. "debug"); -1 if unknown. log.c */
int synproxy_log_level_set(const char *name);
#define SP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, synproxy_logtype, "synproxy: " fmt "\n", ##__VA_ARGS__)

#endif
