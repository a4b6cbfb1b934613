/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * prefix_limits.h - per source prefix caps on proxied flows and on half-open
 * handshakes, one counter array per worker.
 *
 * Without them one source prefix that completes handshakes (a /24 behind a
 * NAT, or an attacker with real addresses) can fill the flow table for
 * everyone: a completed handshake gives its rate-limit token back, so the
 * SYN rate limit does not bound it. Each prefix (the WAN address masked to
 * /v4_prefix or /v6_prefix) counts its live proxied flows and, among them,
 * those still waiting for the server (SYN_SENT). A new flow is admitted only
 * below both caps.
 *
 * Storage: a count-min sketch, not a keyed table (prefix_limits.c says why).
 * Two rows of 2^k slots (the next power of two >= the flow table size, at
 * most 65536: the rows stay in cache, prefix_limits.c), each slot a flow count and a half-open count; a prefix maps to one slot per
 * row through the keyed hash (keyed_hash.h, KH_DOM_PREFIX: one strongly
 * universal 32-bit value, 16 bits per row), so the two slots are as
 * independent as two separately keyed hashes make them and an attacker
 * cannot aim prefixes at them. A prefix's count is the smaller of its two slots:
 * never below the truth (other prefixes sharing a slot only add to it).
 *
 * Domains: a count is kept per (prefix, domain). Domain 0
 * (PREFIX_DOM_GLOBAL) is checked against the caps given at creation
 * (prefix_limits_set_caps changes them); domains 1..65535 are the services
 * with caps of their own (synproxy_limits.c), each checked against the caps
 * its caller passes. The domain is part of the hashed key, so a prefix's
 * count in one domain is independent of its counts in the others (sharing
 * slots with another domain's prefixes only over-counts, as above).
 *
 * No leak: the proxy calls half_open_done() exactly once when a counted flow
 * leaves SYN_SENT and release() exactly once when it leaves the table, with
 * the same key and domain, so every decrement undoes one increment of the
 * same two slots. A decrement that finds 0 is a bug: it is counted (underflows) and
 * the slot stays 0, never wraps.
 * 8 bytes per slot, 2 rows: 1 MB per worker from a 65536-flow table up.
 * No locks: one array per worker.
 */
#ifndef SYNPROXY_PREFIX_LIMITS_H
#define SYNPROXY_PREFIX_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow_key.h"

enum prefix_admit {
	PREFIX_ADMIT_OK = 0,
	PREFIX_ADMIT_FLOW_CAP,       /* the prefix holds max_flows flows */
	PREFIX_ADMIT_HALF_OPEN_CAP,  /* the prefix holds max_half_open half-open flows */
};

struct prefix_limits_stats {
	uint64_t flows;        /* counted live flows, all prefixes and domains (exact) */
	uint64_t half_open;    /* among them, half-open (exact) */
	uint32_t slots;        /* per row */
	uint64_t underflows;   /* decrements that found 0: a bug, never expected */
};

struct prefix_limits;

#define PREFIX_DOM_GLOBAL 0   /* the caps of synproxy.limits */

/* capacity: the flow table size (the rows get the next power of two, at
 * most 65536).
 * max_flows / max_half_open: caps per prefix, 0 = no cap. v4_prefix 0..32,
 * v6_prefix 0..128. name: the allocation's name. NULL on bad arguments or no
 * memory. */
struct prefix_limits *prefix_limits_create(const char *name, uint32_t capacity,
					   uint8_t v4_prefix, uint8_t v6_prefix,
					   uint32_t max_flows, uint32_t max_half_open, int socket);
void prefix_limits_free(struct prefix_limits *pl);

/* The caps of domain 0 (a reload): 0 = no cap. */
void prefix_limits_set_caps(struct prefix_limits *pl, uint32_t max_flows, uint32_t max_half_open);

/* A new half-open flow from k's WAN source in domain dom: counted (one flow,
 * one half-open) on PREFIX_ADMIT_OK, nothing changed otherwise. max_flows,
 * max_half_open: the caps of dom (0 = no cap). */
enum prefix_admit prefix_limits_admit_dom(struct prefix_limits *pl, const struct flow_key *k,
					  uint16_t dom, uint32_t max_flows,
					  uint32_t max_half_open);
/* The same in domain 0, against its own caps. */
enum prefix_admit prefix_limits_admit(struct prefix_limits *pl, const struct flow_key *k);
/* A flow that exists already (restored from a handover state file): counted
 * whatever the caps say. */
void prefix_limits_add_dom(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
			   bool half_open);
/* A counted flow left SYN_SENT (the server answered, or it closed). */
void prefix_limits_half_open_done_dom(struct prefix_limits *pl, const struct flow_key *k,
				      uint16_t dom);
/* A counted flow left the table; half_open: it was still in SYN_SENT. */
void prefix_limits_release_dom(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
			       bool half_open);
/* The counts of k's prefix in dom as admission sees them: the minimum over
 * the two rows, the exact count or more (collisions), never less. */
void prefix_limits_get_dom(const struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
			   uint32_t *flows, uint32_t *half_open);

/* Domain 0. */
static inline void
prefix_limits_add(struct prefix_limits *pl, const struct flow_key *k, bool half_open)
{
	prefix_limits_add_dom(pl, k, PREFIX_DOM_GLOBAL, half_open);
}
static inline void
prefix_limits_half_open_done(struct prefix_limits *pl, const struct flow_key *k)
{
	prefix_limits_half_open_done_dom(pl, k, PREFIX_DOM_GLOBAL);
}
static inline void
prefix_limits_release(struct prefix_limits *pl, const struct flow_key *k, bool half_open)
{
	prefix_limits_release_dom(pl, k, PREFIX_DOM_GLOBAL, half_open);
}
static inline void
prefix_limits_get(const struct prefix_limits *pl, const struct flow_key *k, uint32_t *flows,
		  uint32_t *half_open)
{
	prefix_limits_get_dom(pl, k, PREFIX_DOM_GLOBAL, flows, half_open);
}

/* Start loading the two slots of k's prefix in domain dom (a release that
 * is about to come: their lines are cold by then). */
void prefix_limits_prefetch_dom(const struct prefix_limits *pl, const struct flow_key *k,
				uint16_t dom);
void prefix_limits_stats_get(const struct prefix_limits *pl, struct prefix_limits_stats *st);

#endif
