/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * prefix_limits.h - per source prefix caps on proxied flows and on half-open
 * handshakes, one table per worker.
 *
 * Without them one source prefix that completes handshakes (a /24 behind a
 * NAT, or an attacker with real addresses) can fill the flow table for
 * everyone: a completed handshake gives its rate-limit token back, so the
 * SYN rate limit does not bound it. Each prefix (the WAN address masked to
 * /v4_prefix or /v6_prefix) counts its live proxied flows and, among them,
 * those still waiting for the server (SYN_SENT). A new flow is admitted only
 * below both caps.
 *
 * Exactness is the point: a count that leaked upwards would lock a prefix
 * out for good. So every admitted flow is counted (admit fails rather than
 * admit uncounted: no room in the table is a refusal too), and the proxy
 * calls half_open_done() exactly once when a counted flow leaves SYN_SENT and
 * release() exactly once when it leaves the table; an entry goes away when
 * its flow count reaches zero. A release that finds nothing to take is a bug:
 * it is counted (underflows) and never wraps.
 *
 * Storage: an rte_hash keyed by the masked prefix (24 bytes), hashed with the
 * process's keyed hash (keyed_hash.h, its own domain: a prefix an attacker
 * picks cannot be aimed at another's bucket), plus a parallel array of
 * counters indexed by the key's position. Its capacity is the flow table's:
 * a prefix holds an entry only while it has a live proxied flow, so the
 * table can hold every prefix the flow table can; the bucket space is the
 * next power of two above it (at most half full when the flow table is
 * full), and as the hash is keyed a refusal (table_full) needs, by chance,
 * 17 live prefixes in one bucket pair. About 56 bytes per flow of capacity (32 per key slot, 8 of counters,
 * 16 of buckets): ~15 MB at 262144.
 * No locks: one table per worker.
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
	PREFIX_ADMIT_TABLE_FULL,     /* no room for a new prefix */
};

struct prefix_limits_stats {
	uint32_t prefixes;     /* live entries */
	uint32_t capacity;
	uint64_t underflows;   /* releases with nothing counted: a bug, never expected */
};

struct prefix_limits;

/* capacity: prefixes (the flow table size). max_flows / max_half_open: caps
 * per prefix, 0 = no cap. v4_prefix 0..32, v6_prefix 0..128. name must be
 * unique (rte_hash). NULL on bad arguments or no memory. */
struct prefix_limits *prefix_limits_create(const char *name, uint32_t capacity,
					   uint8_t v4_prefix, uint8_t v6_prefix,
					   uint32_t max_flows, uint32_t max_half_open, int socket);
void prefix_limits_free(struct prefix_limits *pl);

/* A new half-open flow from k's WAN source: counted (one flow, one half-open)
 * on PREFIX_ADMIT_OK, nothing changed otherwise. */
enum prefix_admit prefix_limits_admit(struct prefix_limits *pl, const struct flow_key *k);
/* A flow that exists already (restored from a handover state file): counted
 * whatever the caps say. 0, or -1 (nothing counted) when there is no room. */
int prefix_limits_add(struct prefix_limits *pl, const struct flow_key *k, bool half_open);
/* A counted flow left SYN_SENT (the server answered, or it closed). */
void prefix_limits_half_open_done(struct prefix_limits *pl, const struct flow_key *k);
/* A counted flow left the table; half_open: it was still in SYN_SENT. */
void prefix_limits_release(struct prefix_limits *pl, const struct flow_key *k, bool half_open);

/* The counts of k's prefix (0, 0 without an entry). */
void prefix_limits_get(const struct prefix_limits *pl, const struct flow_key *k,
		       uint32_t *flows, uint32_t *half_open);
void prefix_limits_stats_get(const struct prefix_limits *pl, struct prefix_limits_stats *st);

#endif
