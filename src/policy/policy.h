/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.h - which destinations are protected, which sources are allowed or
 * denied: synproxy.services, synproxy.allow and synproxy.deny, compiled.
 *
 * Why an object of its own: the policy is built once from a validated config,
 * off the data path (it allocates, it may take milliseconds), and is then
 * read-only. Workers only ever read it through a pointer, so a live reload can
 * build a new one, publish it with one atomic pointer store and free the old
 * one after an rte_rcu QSBR grace period. Nothing in it points back into the
 * config, so the config may change or go away while a policy is in use.
 *
 * Matching (see README "Protected services"):
 *  - Destination: longest-prefix match on the address (rte_fib DIR24_8 for
 *    IPv4, rte_fib6 TRIE for IPv6), whose next hop names a "group": one per
 *    distinct configured prefix. A group holds sorted disjoint port ranges,
 *    each naming a service, precomputed so that a port resolves to the service
 *    with the LONGEST prefix among those that contain the address AND list the
 *    port. A /32 listing port 22 inside a /24 listing 80 and 443 therefore
 *    leaves 80 and 443 protected on that host: adding a more specific entry
 *    never silently unprotects what a wider one covers. No match: NULL, the
 *    SYN is not proxied (bridged and tracked as pass-through).
 *  - Without services every destination matches one default service built
 *    from the global settings, without any table lookup.
 *  - Source: one table for both lists (next hop ALLOW or DENY); the longest
 *    prefix decides, so a nested allow inside a deny carves an exception.
 *    With both lists empty there are no tables and the lookup is one flag test.
 *
 * Addresses are passed in network byte order (4 or 16 bytes), ports as they
 * sit in the TCP header (big endian). Families are 4 and 6: CFG_AF_INET(6),
 * equal to the parser's PKT_L3_IPV4(6) and to FLOW_AF_INET(6), so pkt_meta.l3
 * can be passed as it is (the unit test asserts the equality).
 */
#ifndef SYNPROXY_POLICY_H
#define SYNPROXY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "config.h"

/* Lookups per call to the FIB bulk functions; bulk calls take any n. */
#define POLICY_BULK_MAX 64

/* policy_service.id of the default service (no services configured). */
#define POLICY_SERVICE_ALL 0xffffu

enum policy_src {
	POLICY_SRC_NONE = 0,    /* in neither list (also: lists empty, unknown family) */
	POLICY_SRC_ALLOW = 1,   /* never proxied: bridge and track */
	POLICY_SRC_DENY = 2,    /* drop from the WAN and count */
};

/* A protected service with every setting resolved (overrides over globals). */
struct policy_service {
	uint16_t id;                      /* index in synproxy.services, or POLICY_SERVICE_ALL */
	uint8_t mode;                     /* enum cfg_synproxy_mode */
	uint8_t wscale;
	uint16_t mss;
	bool sack;
	bool timestamps;
	uint16_t limits_dom;              /* 0: its flows count against synproxy.limits;
					   * else its own per-prefix counting domain
					   * (a max_* below set: fwd/synproxy_limits.c) */
	uint32_t ratelimit_rate;          /* SYN/s per source prefix */
	uint32_t ratelimit_burst;
	uint32_t max_flows_per_prefix;    /* 0 = the global limit */
	uint32_t max_half_open_per_prefix;/* 0 = the global limit */
	struct cfg_prefix prefix;         /* as configured; family 0 for the default */
};

/* A port range of a group: ports lo..hi resolve to services[svc]. */
struct policy_range {
	uint16_t lo;
	uint16_t hi;
	uint16_t svc;
	uint16_t pad;
};

/* One distinct configured prefix: ranges[first .. first + n - 1], n >= 1. */
struct policy_group {
	uint32_t first;
	uint32_t n;
};

struct policy {
	bool all_protected;               /* no services: every lookup gives &all */
	bool has_sources;                 /* allow or deny not empty */
	bool has_svc_limits;              /* a service has limits_dom != 0 */
	struct rte_fib *svc4;             /* NULL: no IPv4 service (next hop 0 = miss) */
	struct rte_fib6 *svc6;
	struct rte_fib *src4;             /* next hop: enum policy_src */
	struct rte_fib6 *src6;
	const struct policy_group *groups;  /* next hop g >= 1 is groups[g - 1] */
	const struct policy_range *ranges;
	const struct policy_service *services;
	uint16_t nb_services;
	uint32_t nb_groups;
	uint32_t nb_ranges;
	uint32_t serial;                  /* distinct per built policy (names its tables) */
	struct policy_service all;
};

/*
 * Build the policy of cfg (which config_load has validated) with its tables on
 * NUMA socket (or SOCKET_ID_ANY). Needs EAL; never call it from a worker.
 * Returns NULL with a message in err on failure (out of memory, a table
 * refused). The result does not refer to cfg.
 */
struct policy *policy_build(const struct synproxy_config *cfg, int socket, char *err,
			    size_t errlen);

/* Free a policy no worker can still read (after the RCU grace period). NULL is fine. */
void policy_free(struct policy *p);

/* ---- lookups: safe on any lcore, read-only, no lock ---- */

/* Port lookup in group nh (>= 1): the service, or NULL. */
static inline const struct policy_service *
policy__port(const struct policy *p, uint64_t nh, uint16_t port)
{
	const struct policy_group *g = &p->groups[nh - 1];
	const struct policy_range *r = p->ranges + g->first;
	uint32_t n = g->n;

	/* last range with lo <= port (or the first), without data-dependent branches */
	while (n > 1) {
		uint32_t half = n / 2;

		r = r[half].lo <= port ? r + half : r;
		n -= half;
	}
	if (r->lo <= port && port <= r->hi)
		return &p->services[r->svc];
	return NULL;
}

static inline uint64_t
policy__fib4(const struct rte_fib *f, const void *addr)
{
	uint64_t nh = 0;
	uint32_t ip;

	if (f == NULL)
		return 0;
	memcpy(&ip, addr, sizeof(ip));
	ip = rte_be_to_cpu_32(ip);
	rte_fib_lookup_bulk((struct rte_fib *)(uintptr_t)f, &ip, &nh, 1);
	return nh;
}

static inline uint64_t
policy__fib6(const struct rte_fib6 *f, const void *addr)
{
	uint8_t ip[1][RTE_FIB6_IPV6_ADDR_SIZE];
	uint64_t nh = 0;

	if (f == NULL)
		return 0;
	memcpy(ip[0], addr, sizeof(ip[0]));
	rte_fib6_lookup_bulk((struct rte_fib6 *)(uintptr_t)f, ip, &nh, 1);
	return nh;
}

/*
 * The service protecting dst:dport, or NULL when none does (the SYN is then
 * bridged). family: 4 or 6; anything else matches nothing unless every
 * destination is protected.
 */
static inline const struct policy_service *
policy_service(const struct policy *p, uint8_t family, const void *dst_addr,
	       uint16_t dst_port_be)
{
	uint64_t nh;

	if (likely(p->all_protected))
		return &p->all;
	if (family == CFG_AF_INET)
		nh = policy__fib4(p->svc4, dst_addr);
	else if (family == CFG_AF_INET6)
		nh = policy__fib6(p->svc6, dst_addr);
	else
		return NULL;
	if (nh == 0)
		return NULL;
	return policy__port(p, nh, rte_be_to_cpu_16(dst_port_be));
}

/* Whether src is allowed, denied or neither. */
static inline enum policy_src
policy_source(const struct policy *p, uint8_t family, const void *src_addr)
{
	if (likely(!p->has_sources))
		return POLICY_SRC_NONE;
	if (family == CFG_AF_INET)
		return (enum policy_src)policy__fib4(p->src4, src_addr);
	if (family == CFG_AF_INET6)
		return (enum policy_src)policy__fib6(p->src6, src_addr);
	return POLICY_SRC_NONE;
}

void policy__service_bulk(const struct policy *p, const uint8_t *family,
			  const void *const *dst_addr, const uint16_t *dst_port_be,
			  const struct policy_service **out, unsigned int n);
void policy__source_bulk(const struct policy *p, const uint8_t *family,
			 const void *const *src_addr, uint8_t *out, unsigned int n);

/*
 * n lookups at once, families mixed: out[i] as policy_service() would give for
 * (family[i], dst_addr[i], dst_port_be[i]). The FIB bulk functions do the IPv4
 * and the IPv6 addresses of a burst in one call each.
 */
static inline void
policy_service_bulk(const struct policy *p, const uint8_t *family, const void *const *dst_addr,
		    const uint16_t *dst_port_be, const struct policy_service **out,
		    unsigned int n)
{
	if (likely(p->all_protected)) {
		for (unsigned int i = 0; i < n; i++)
			out[i] = &p->all;
		return;
	}
	policy__service_bulk(p, family, dst_addr, dst_port_be, out, n);
}

/* n source lookups at once; out[i] is an enum policy_src. */
static inline void
policy_source_bulk(const struct policy *p, const uint8_t *family, const void *const *src_addr,
		   uint8_t *out, unsigned int n)
{
	if (likely(!p->has_sources)) {
		memset(out, POLICY_SRC_NONE, n);
		return;
	}
	policy__source_bulk(p, family, src_addr, out, n);
}

#endif
