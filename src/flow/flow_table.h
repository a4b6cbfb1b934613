/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_table.h - per-lcore connection table with incremental expiry.
 *
 * Design
 * ------
 * Every worker lcore owns one table; nothing else writes it, so there are no
 * locks, no RCU and no per-lcore caches (rte_hash is created without any
 * concurrency flag). Telemetry may read the counters from another thread: they
 * are plain integers and only approximately consistent, which is all it needs.
 *
 * Storage is an rte_hash keyed by the 40-byte struct flow_key (hash function
 * keyed_hash_flow_key: multiply-shift with the process secret, see
 * keyed_hash.h; a CRC could be aimed) plus a parallel array of
 * struct flow_entry indexed by the position rte_hash returns for a key. The
 * position of a key never changes while it is in the table (cuckoo moves only
 * shuffle bucket slots, not key slots), so an entry pointer stays valid until
 * the key is removed. Each entry gets its own 64-byte cache line: the entry is
 * 60 bytes today and an unpadded array would split most of them over two lines.
 *
 * A bitmap with one bit per position says which slots are live. It is needed
 * because a freshly inserted entry is still in FLOW_S_FREE (the caller fills it
 * in), and it lets the expiry hand skip 64 empty slots with one load.
 *
 * Expiry is a clock hand over the positions: each flow_table_expire() call
 * looks at no more than `budget` slots, so the worker can call it on every
 * loop iteration with a small budget (32-64) and never stall. A live slot
 * expires when (int32_t)(now_ms - last_seen) > timeouts_ms[state]; a full
 * sweep takes capacity / budget calls. The ms clock wraps after 49 days, which
 * the signed difference absorbs as long as timeouts stay below 24 days.
 *
 * Per-state occupancy is kept up to date by flow_table_set_state(), which the
 * state machine must use instead of writing entry->state, so telemetry never
 * has to scan. Live entries that were inserted but never given a state are
 * counted (and time out) as FLOW_S_FREE.
 *
 * Capacity and memory
 * -------------------
 * rte_hash reserves one dummy key slot and sizes its free-slot ring as
 * align32pow2(entries + 1) indices, so a power-of-two capacity would double
 * that ring (4 MiB more at 1M flows). A power-of-two capacity is therefore
 * trimmed by one (262144 -> 262143) when above 8; capacities below 8 are
 * raised to 8.
 * Buckets are bounded (8 keys, two candidate buckets per key, no overflow
 * chain): a key whose two buckets are full after cuckoo displacement is
 * refused and counted in full_drops; no insert or lookup ever walks a chain.
 * Cuckoo displacement may refuse a key a little before the table is 100% full
 * when the capacity is (just below) a power of two, because bucket space then
 * equals key space: about 98% fits (measured: 258209 of 262143, 1028895 of
 * 1048575). That refusal is a full drop like any other. Other capacities get
 * bucket slack from the power-of-two rounding (1,000,000 fits completely).
 *
 * Bytes for n flows (n after the adjustment above):
 *   entries   n * 64                                 (one cache line each)
 *   keys      (n + 1) * 48                           (8-byte data ptr + 40-byte key, 16-aligned)
 *   buckets   align32pow2(n) / 8 * 64                (8 slots of 8 bytes per bucket)
 *   ring      align32pow2(n + 1) * 4 + ring header   (free key slots)
 *   bitmap    ceil(n / 64) * 8
 *   fixed     struct rte_hash, struct flow_table, allocator headers (~4 KiB)
 * n = 1,000,000  -> ~124.7 MB, 124.7 bytes/flow
 * n = 1,048,575  -> ~124.1 MiB, 124.1 bytes/flow (requested 2^20)
 * n = 262,143    -> ~31.0 MiB (the default per-worker size)
 * The unit test checks this against the rte_malloc heap statistics (within
 * 2%; it is off by about 0.03%).
 */
#ifndef SYNPROXY_FLOW_TABLE_H
#define SYNPROXY_FLOW_TABLE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash.h>

#include "flow/flow_entry.h"
#include "flow/flow_key.h"
#include "flow/keyed_hash.h"

#define FLOW_TABLE_MIN_CAPACITY 8u          /* rte_hash needs at least one bucket */
#define FLOW_TABLE_MAX_CAPACITY (1u << 28)  /* 16 GiB of entries: a config error beyond */
#define FLOW_TABLE_NAMESIZE     24          /* rte_hash prefixes "HT_", its ring "RG_HT_" */
#define FLOW_TABLE_BULK_MAX     RTE_HASH_LOOKUP_BULK_MAX
#define FLOW_TABLE_MAX_TIMEOUT  ((uint32_t)INT32_MAX)

/* Called for each expired entry while it is still in the table (its key
 * still looks it up). It may free what the entry refers to (a pending SYN
 * mbuf) and may remove flows, this one included; it should not insert. */
typedef void (*flow_expire_cb)(void *arg, const struct flow_key *key,
			       struct flow_entry *entry);

struct flow_table_stats {
	uint32_t count;                    /* live entries */
	uint32_t capacity;
	uint64_t inserts;                  /* new keys added */
	uint64_t removes;                  /* explicit removals */
	uint64_t expired;                  /* removed by flow_table_expire */
	uint64_t full_drops;               /* inserts refused: table (or bucket pair) full */
	uint32_t per_state[FLOW_S_MAX];    /* live entries per state; sums to count */
};

/* One entry per cache line, whatever sizeof(struct flow_entry) is. */
struct flow_slot {
	struct flow_entry e;
} __rte_cache_aligned;

_Static_assert(sizeof(struct flow_slot) == RTE_CACHE_LINE_SIZE,
	       "a flow slot is exactly one cache line");

struct flow_table {
	/* read on every lookup */
	struct rte_hash *hash;
	struct flow_slot *slots;
	uint64_t *live;                    /* bit per position */
	uint32_t capacity;
	/* expiry */
	uint32_t hand;                     /* next position the clock hand looks at */
	int socket_id;
	uint32_t timeouts_ms[FLOW_S_MAX];
	struct flow_table_stats stats;
	char name[FLOW_TABLE_NAMESIZE + 1];
};

/* Timeouts used when flow_table_create/set_timeouts get NULL: the config
 * defaults (SYN 5 s, established 7440 s, FIN/TIME_WAIT 60 s, closed 10 s;
 * FREE, i.e. inserted but never claimed, 5 s). */
extern const uint32_t flow_table_default_timeouts_ms[FLOW_S_MAX];

/*
 * Create a table for up to `capacity` flows on `socket_id` (SOCKET_ID_ANY
 * allowed). `name` must be unique in the process and at most
 * FLOW_TABLE_NAMESIZE characters. NULL timeouts select the defaults.
 * Returns NULL with rte_errno set (EINVAL, ENOMEM, EEXIST) on failure.
 */
struct flow_table *flow_table_create(const char *name, uint32_t capacity,
				     int socket_id,
				     const uint32_t timeouts_ms[FLOW_S_MAX]);
void flow_table_free(struct flow_table *t);

/* Replace the per-state timeouts (NULL: defaults). Values above
 * FLOW_TABLE_MAX_TIMEOUT are clamped so the signed age compare stays valid. */
void flow_table_set_timeouts(struct flow_table *t,
			     const uint32_t timeouts_ms[FLOW_S_MAX]);

/* The hash rte_hash uses for this table: compute once per packet and pass it
 * to lookup/insert/remove. (22.11 has no public bucket prefetch; the bulk
 * lookups prefetch internally.) */
static inline uint32_t
flow_table_hash(const struct flow_table *t, const struct flow_key *k)
{
	RTE_SET_USED(t);
	/* the function rte_hash calls for this table (keyed_hash_rte_flow_key) */
	return keyed_hash_flow_key(k);
}

/* NULL when the key is absent. */
static inline struct flow_entry *
flow_table_lookup(struct flow_table *t, const struct flow_key *k, uint32_t hash)
{
	int32_t pos = rte_hash_lookup_with_hash(t->hash, k, hash);

	if (unlikely(pos < 0))
		return NULL;
	return &t->slots[pos].e;
}

/* Position of an entry handed out by this table (for flow_table_remove_at). */
static inline uint32_t
flow_table_index(const struct flow_table *t, const struct flow_entry *e)
{
	return (uint32_t)((const struct flow_slot *)(const void *)e - t->slots);
}

static inline struct flow_entry *
flow_table_entry_at(struct flow_table *t, uint32_t idx)
{
	return &t->slots[idx].e;
}

/* Counts it under the right state; the state machine's only way to change
 * entry->state. -EINVAL (and nothing changed) for a state out of range. */
static inline int
flow_table_set_state(struct flow_table *t, struct flow_entry *e,
		     enum flow_state state)
{
	unsigned int old = e->state;

	if (unlikely((unsigned int)state >= FLOW_S_MAX))
		return -EINVAL;
	/* an out-of-range old state was never counted as such: it is counted
	 * as FREE, the same clamp the release path uses */
	if (unlikely(old >= FLOW_S_MAX))
		old = FLOW_S_FREE;
	t->stats.per_state[old]--;
	t->stats.per_state[state]++;
	e->state = (uint8_t)state;
	return 0;
}

/*
 * Look up n keys (any n; done in chunks of FLOW_TABLE_BULK_MAX). out[i] is the
 * entry or NULL. Returns the number of hits, or -EINVAL for bad arguments.
 * The _hash variant takes the hashes from flow_table_hash().
 */
int flow_table_lookup_bulk(struct flow_table *t, const struct flow_key **keys,
			   uint32_t n, struct flow_entry **out);
int flow_table_lookup_bulk_hash(struct flow_table *t,
				const struct flow_key **keys,
				const uint32_t *hashes, uint32_t n,
				struct flow_entry **out);

/*
 * Insert a key. A new key gets a zeroed entry with state FLOW_S_FREE,
 * pending = UINT32_MAX and last_seen = now_ms, for the caller to fill; an
 * existing key returns its entry unchanged. NULL (and full_drops++) when
 * there is no room.
 */
struct flow_entry *flow_table_insert(struct flow_table *t,
				     const struct flow_key *k, uint32_t hash,
				     uint32_t now_ms);

/* Removal. 0 on success, -ENOENT if absent, -EINVAL for bad arguments. The
 * caller frees whatever the entry refers to first. */
int flow_table_remove(struct flow_table *t, const struct flow_key *k,
		      uint32_t hash);
int flow_table_remove_at(struct flow_table *t, uint32_t idx);
int flow_table_remove_entry(struct flow_table *t, struct flow_entry *e);

/* Copy the key stored at position idx. 0, or -ENOENT for a free slot. */
int flow_table_get_key(const struct flow_table *t, uint32_t idx,
		       struct flow_key *out);

/*
 * Advance the clock hand over at most `budget` slots, removing the live
 * entries that timed out; cb (may be NULL) sees each one first. Returns the
 * number expired.
 */
unsigned int flow_table_expire(struct flow_table *t, uint32_t now_ms,
			       unsigned int budget, flow_expire_cb cb,
			       void *arg);

void flow_table_get_stats(const struct flow_table *t,
			  struct flow_table_stats *out);

/* Memory, from the layout in the header comment. _estimate takes a requested
 * capacity, before it is adjusted. */
size_t flow_table_memory_estimate(uint32_t capacity);
size_t flow_table_memory(const struct flow_table *t);
double flow_table_bytes_per_flow(const struct flow_table *t);

/*
 * State handover (state/handover.h). flow_table_foreach calls cb on every
 * live entry in position order, read-only; a nonzero return stops the walk
 * and is returned. Not for the data path: it reads the whole bitmap.
 */
typedef int (*flow_visit_cb)(void *arg, const struct flow_key *key,
			     const struct flow_entry *entry);
int flow_table_foreach(const struct flow_table *t, flow_visit_cb cb, void *arg);

/*
 * Insert a key with a whole entry (a flow restored from a state file): the
 * entry is copied, counted under its state, pending reset to UINT32_MAX.
 * 0, -EEXIST (key already present, nothing changed), -ENOSPC (full),
 * -EINVAL (bad argument or state).
 */
int flow_table_insert_state(struct flow_table *t, const struct flow_key *k,
			    const struct flow_entry *e);

#endif
