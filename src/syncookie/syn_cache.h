/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syn_cache.h - per-lcore cache of half-open proxied connections.
 *
 * A SYN cookie can only remember a coarse MSS and, with timestamps, a few
 * option bits. When the worker is not under attack it also keeps the client's
 * exact SYN (ISN, options, window, TSval) here, so the connection it opens to
 * the server later is a faithful copy. The SYN-ACK's ISN is ALWAYS the cookie,
 * also in cache mode: an entry that was evicted or expired just degrades the
 * connection to cookie quality, it never breaks it.
 *
 * Layout: an rte_hash (key = struct flow_key, the keyed hash of keyed_hash.h,
 * bounded buckets with room for twice `capacity` keys, no overflow chains)
 * maps a key to its position 0..capacity; that position indexes a slot array that
 * holds the entry and the links of a doubly-linked FIFO in insertion order.
 * Removing from the middle (take) is O(1) and leaves no holes, the oldest
 * entry is always the list head, and a full cache evicts it to make room.
 * Everything is allocated at create time; one writer (the owning lcore), so
 * the hash is created without locks.
 *
 * Time is a caller-supplied millisecond clock (uint32_t, wraps after 49 days;
 * ages are computed with wrap-safe subtraction).
 */
#ifndef SYNPROXY_SYN_CACHE_H
#define SYNPROXY_SYN_CACHE_H

#include <stdint.h>

#include "flow/flow_key.h"

/* syn_cache_entry.flags */
#define SYN_CACHE_F_SACK  0x01   /* SACK permitted */
#define SYN_CACHE_F_TS    0x02   /* timestamp option present (client_tsval valid) */
#define SYN_CACHE_F_ECN   0x04   /* ECN: the client asked and was told yes (fwd/ecn.h) */

#define SYN_CACHE_MIN_SIZE 8     /* rte_hash needs at least one bucket */

struct syn_cache_entry {
	uint32_t client_isn;
	uint32_t client_tsval;
	uint32_t created_ms;
	uint16_t mss;
	uint8_t wscale;          /* 0..14, or TCP_WSCALE_NONE (0xf) */
	uint8_t flags;           /* SYN_CACHE_F_* */
	uint16_t window;         /* the SYN's raw (unscaled) window */
	uint8_t proxy_wscale;    /* window scale announced in the SYN-ACK, or 0xf none */
};

struct syn_cache_stats {
	uint64_t inserts;        /* new keys */
	uint64_t updates;        /* retransmitted SYNs that refreshed an entry */
	uint64_t hits;           /* take() found the key */
	uint64_t misses;         /* take() did not */
	uint64_t evictions;      /* oldest entries dropped to make room */
	uint64_t expired;        /* entries dropped by syn_cache_expire() */
	uint64_t refused;        /* inserts refused: both buckets of the key full */
};

struct syn_cache;

/*
 * size is rounded up to a power of two (at least SYN_CACHE_MIN_SIZE); name
 * must be unique among rte_hash tables (e.g. "syncache_3" per lcore) and
 * at most 20 characters. Returns NULL (rte_errno set) on bad arguments, a
 * duplicate name or no memory.
 */
struct syn_cache *syn_cache_create(const char *name, uint32_t size, int socket_id);
void syn_cache_free(struct syn_cache *c);

/*
 * Insert, or refresh in place if the key is already there (a retransmitted
 * SYN: the entry is overwritten and becomes the newest). A full cache first
 * evicts its oldest entry. Returns 0 for a new entry, 1 for an update,
 * negative errno on failure: -ENOSPC (counted in `refused`) when both
 * buckets of the key are full, which the keyed hash makes improbable.
 */
int syn_cache_insert(struct syn_cache *c, const struct flow_key *k,
		     const struct syn_cache_entry *e);

/*
 * As syn_cache_insert(), but a key that holds an entry with another
 * client_isn is left as it is: returns -EEXIST. (Same ISN: refreshed, 1.)
 */
int syn_cache_insert_new(struct syn_cache *c, const struct flow_key *k,
			 const struct syn_cache_entry *e);

/* Look up and remove; out may be NULL. 0, or -ENOENT if absent. */
int syn_cache_take(struct syn_cache *c, const struct flow_key *k,
		   struct syn_cache_entry *out);

/* Look up without removing; out may be NULL. 0, or -ENOENT if absent. */
int syn_cache_peek(const struct syn_cache *c, const struct flow_key *k,
		   struct syn_cache_entry *out);

/*
 * Drop entries older than max_age_ms (now_ms - created_ms > max_age_ms),
 * oldest first, at most budget of them. Entries stamped in the future (a
 * clock step back) count as young. Returns how many were dropped.
 */
int syn_cache_expire(struct syn_cache *c, uint32_t now_ms, uint32_t max_age_ms,
		     unsigned int budget);

uint32_t syn_cache_count(const struct syn_cache *c);
uint32_t syn_cache_capacity(const struct syn_cache *c);
void syn_cache_stats_get(const struct syn_cache *c, struct syn_cache_stats *st);

/*
 * State handover: call cb on every entry, oldest first (so re-inserting them
 * in the order seen rebuilds the same FIFO); a nonzero return stops the walk
 * and is returned. Restore goes through syn_cache_insert().
 */
typedef int (*syn_cache_visit_cb)(void *arg, const struct flow_key *key,
				  const struct syn_cache_entry *e);
int syn_cache_foreach(const struct syn_cache *c, syn_cache_visit_cb cb, void *arg);

#endif
