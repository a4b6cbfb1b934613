/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_table.c - creation, insert/remove bookkeeping and the expiry hand of
 * the per-lcore flow table. The layout and the reasons for it are in
 * flow_table.h; this file keeps three things in step on every change: the
 * rte_hash key, the live bit of the position, and the per-state counters.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>

#include "flow/flow_table.h"

#define FT_KEY_ENTRY_SIZE  RTE_ALIGN(8 + sizeof(struct flow_key), 16)
#define FT_BUCKET_SIZE     64u     /* struct rte_hash_bucket: 8 sigs, 8 key idx, flags, next */
#define FT_BUCKET_ENTRIES  8u
#define FT_FIXED_OVERHEAD  4096u   /* struct rte_hash, tailq entry, change counter, malloc headers */

const uint32_t flow_table_default_timeouts_ms[FLOW_S_MAX] = {
	[FLOW_S_FREE] = 5000,
	[FLOW_S_SYN_SENT] = 5000,
	[FLOW_S_LAN_SYN] = 5000,
	[FLOW_S_WAN_SYN] = 5000,
	[FLOW_S_ESTABLISHED] = 7440000,
	[FLOW_S_FIN_WAIT] = 60000,
	[FLOW_S_TIME_WAIT] = 60000,
	[FLOW_S_CLOSED] = 10000,
};

/* The number of positions actually created for a requested capacity; 0 if
 * the request is out of range. See "Capacity and memory" in the header. */
static uint32_t
ft_capacity(uint32_t requested)
{
	if (requested == 0 || requested > FLOW_TABLE_MAX_CAPACITY)
		return 0;
	if (requested < FLOW_TABLE_MIN_CAPACITY)
		return FLOW_TABLE_MIN_CAPACITY;
	if (rte_is_power_of_2(requested) && requested > FLOW_TABLE_MIN_CAPACITY)
		return requested - 1;
	return requested;
}

static inline unsigned int
ft_state_idx(uint8_t state)
{
	return state < FLOW_S_MAX ? state : FLOW_S_FREE;
}

static inline int
ft_is_live(const struct flow_table *t, uint32_t pos)
{
	return (t->live[pos >> 6] >> (pos & 63)) & 1;
}

size_t
flow_table_memory_estimate(uint32_t capacity)
{
	uint32_t n = ft_capacity(capacity);
	ssize_t ring;
	size_t bytes;

	if (n == 0)
		return 0;
	ring = rte_ring_get_memsize_elem(sizeof(uint32_t), rte_align32pow2(n + 1));
	bytes = (size_t)n * sizeof(struct flow_slot);
	bytes += ((size_t)n + 1) * FT_KEY_ENTRY_SIZE;
	bytes += (size_t)rte_align32pow2(n) / FT_BUCKET_ENTRIES * FT_BUCKET_SIZE;
	bytes += ring > 0 ? (size_t)ring : 0;
	bytes += (((size_t)n + 63) / 64) * sizeof(uint64_t);
	bytes += sizeof(struct flow_table) + FT_FIXED_OVERHEAD;
	return bytes;
}

size_t
flow_table_memory(const struct flow_table *t)
{
	/* the table's capacity is already adjusted, and adjusting is idempotent
	 * except for powers of two, which an adjusted capacity never is (> 8) */
	return t != NULL ? flow_table_memory_estimate(t->capacity) : 0;
}

double
flow_table_bytes_per_flow(const struct flow_table *t)
{
	if (t == NULL || t->capacity == 0)
		return 0.0;
	return (double)flow_table_memory(t) / t->capacity;
}

void
flow_table_set_timeouts(struct flow_table *t, const uint32_t timeouts_ms[FLOW_S_MAX])
{
	unsigned int i;

	if (t == NULL)
		return;
	if (timeouts_ms == NULL)
		timeouts_ms = flow_table_default_timeouts_ms;
	for (i = 0; i < FLOW_S_MAX; i++)
		t->timeouts_ms[i] = RTE_MIN(timeouts_ms[i], FLOW_TABLE_MAX_TIMEOUT);
}

struct flow_table *
flow_table_create(const char *name, uint32_t capacity, int socket_id,
		  const uint32_t timeouts_ms[FLOW_S_MAX])
{
	struct rte_hash_parameters hp;
	struct flow_table *t;
	uint32_t n = ft_capacity(capacity);
	size_t words;

	if (name == NULL || name[0] == '\0' || strlen(name) > FLOW_TABLE_NAMESIZE ||
	    n == 0) {
		rte_errno = EINVAL;
		return NULL;
	}

	t = rte_zmalloc_socket("flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE,
			       socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	strcpy(t->name, name);
	t->capacity = n;
	t->socket_id = socket_id;
	t->stats.capacity = n;
	/* the process hash secret: colliding keys cannot be computed offline */
	if (keyed_hash_init() < 0) {
		rte_free(t);
		rte_errno = EIO;
		return NULL;
	}
	flow_table_set_timeouts(t, timeouts_ms);

	words = ((size_t)n + 63) / 64;
	t->slots = rte_zmalloc_socket("flow_slots", (size_t)n * sizeof(struct flow_slot),
				      RTE_CACHE_LINE_SIZE, socket_id);
	t->live = rte_zmalloc_socket("flow_live", words * sizeof(uint64_t),
				     RTE_CACHE_LINE_SIZE, socket_id);
	if (t->slots == NULL || t->live == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}

	memset(&hp, 0, sizeof(hp));
	hp.name = t->name;
	hp.entries = n;
	hp.key_len = sizeof(struct flow_key);
	hp.hash_func = keyed_hash_rte_flow_key;
	hp.hash_func_init_val = 0;
	hp.socket_id = socket_id;
	/* single writer, single reader: no locks, no lcore caches; and no
	 * extendable buckets: a bucket never grows beyond its 8 keys */
	hp.extra_flag = 0;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		if (rte_errno == 0)
			rte_errno = ENOMEM;
		goto fail;
	}
	/* rte_hash hands out positions 0 .. entries-1 */
	if ((uint32_t)rte_hash_max_key_id(t->hash) > n) {
		rte_errno = EINVAL;
		goto fail;
	}
	return t;

fail:
	{
		int err = rte_errno;

		flow_table_free(t);
		rte_errno = err;
	}
	return NULL;
}

void
flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->slots);
	rte_free(t->live);
	rte_free(t);
}

/* Forget position pos on our side (the rte_hash key is already gone). */
static void
ft_release(struct flow_table *t, uint32_t pos)
{
	struct flow_entry *e = &t->slots[pos].e;

	t->stats.per_state[ft_state_idx(e->state)]--;
	t->stats.count--;
	t->live[pos >> 6] &= ~(UINT64_C(1) << (pos & 63));
	/* a stale pointer kept by mistake then reads a free, idle entry */
	memset(e, 0, sizeof(*e));
	e->pending = UINT32_MAX;
}

struct flow_entry *
flow_table_insert(struct flow_table *t, const struct flow_key *k, uint32_t hash,
		  uint32_t now_ms)
{
	struct flow_entry *e;
	int32_t pos;

	/* rte_hash finds an existing key before it looks for a free slot, so a
	 * full table still returns existing entries */
	pos = rte_hash_add_key_with_hash(t->hash, k, hash);
	if (unlikely(pos < 0)) {
		t->stats.full_drops++;
		return NULL;
	}
	e = &t->slots[pos].e;
	if (ft_is_live(t, pos))
		return e;

	memset(e, 0, sizeof(*e));
	e->state = FLOW_S_FREE;
	e->pending = UINT32_MAX;
	e->last_seen = now_ms;
	t->live[pos >> 6] |= UINT64_C(1) << (pos & 63);
	t->stats.count++;
	t->stats.inserts++;
	t->stats.per_state[FLOW_S_FREE]++;
	return e;
}

int
flow_table_remove(struct flow_table *t, const struct flow_key *k, uint32_t hash)
{
	int32_t pos;

	if (t == NULL || k == NULL)
		return -EINVAL;
	pos = rte_hash_del_key_with_hash(t->hash, k, hash);
	if (pos < 0)
		return pos;
	if ((uint32_t)pos < t->capacity && ft_is_live(t, pos)) {
		ft_release(t, pos);
		t->stats.removes++;
	}
	return 0;
}

int
flow_table_get_key(const struct flow_table *t, uint32_t idx, struct flow_key *out)
{
	void *kp;

	if (t == NULL || out == NULL || idx >= t->capacity)
		return -EINVAL;
	if (!ft_is_live(t, idx) ||
	    rte_hash_get_key_with_position(t->hash, (int32_t)idx, &kp) < 0)
		return -ENOENT;
	memcpy(out, kp, sizeof(*out));
	return 0;
}

int
flow_table_remove_at(struct flow_table *t, uint32_t idx)
{
	struct flow_key key;
	int ret;

	ret = flow_table_get_key(t, idx, &key);
	if (ret < 0)
		return ret;
	/* key is a copy: the stored one may be reused once the slot is freed */
	return flow_table_remove(t, &key, flow_table_hash(t, &key));
}

int
flow_table_remove_entry(struct flow_table *t, struct flow_entry *e)
{
	if (t == NULL || e == NULL)
		return -EINVAL;
	/* only a pointer this table handed out: inside the array, on a slot */
	if ((uintptr_t)e < (uintptr_t)t->slots ||
	    (uintptr_t)e - (uintptr_t)t->slots >=
		(uintptr_t)t->capacity * sizeof(struct flow_slot) ||
	    ((uintptr_t)e - (uintptr_t)t->slots) % sizeof(struct flow_slot) != 0)
		return -EINVAL;
	return flow_table_remove_at(t, flow_table_index(t, e));
}

static int
ft_lookup_chunk(struct flow_table *t, const struct flow_key **keys,
		const uint32_t *hashes, uint32_t n, struct flow_entry **out)
{
	int32_t pos[FLOW_TABLE_BULK_MAX];
	uint32_t i;
	int hits = 0;
	int ret;

	if (hashes != NULL)
		/* rte_hash only reads the hashes; its prototype lacks the const */
		ret = rte_hash_lookup_with_hash_bulk(t->hash, (const void **)keys,
						     (hash_sig_t *)(uintptr_t)hashes,
						     n, pos);
	else
		ret = rte_hash_lookup_bulk(t->hash, (const void **)keys, n, pos);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		int hit = pos[i] >= 0;

		out[i] = hit ? &t->slots[pos[i]].e : NULL;
		hits += hit;
	}
	return hits;
}

static int
ft_lookup_bulk(struct flow_table *t, const struct flow_key **keys,
	       const uint32_t *hashes, uint32_t n, struct flow_entry **out)
{
	uint32_t done;
	int hits = 0;

	if (t == NULL || (n > 0 && (keys == NULL || out == NULL)))
		return -EINVAL;
	for (done = 0; done < n; done += FLOW_TABLE_BULK_MAX) {
		uint32_t chunk = RTE_MIN(n - done, (uint32_t)FLOW_TABLE_BULK_MAX);
		int ret = ft_lookup_chunk(t, keys + done,
					  hashes != NULL ? hashes + done : NULL,
					  chunk, out + done);

		if (ret < 0)
			return ret;
		hits += ret;
	}
	return hits;
}

int
flow_table_lookup_bulk(struct flow_table *t, const struct flow_key **keys,
		       uint32_t n, struct flow_entry **out)
{
	return ft_lookup_bulk(t, keys, NULL, n, out);
}

int
flow_table_lookup_bulk_hash(struct flow_table *t, const struct flow_key **keys,
			    const uint32_t *hashes, uint32_t n,
			    struct flow_entry **out)
{
	if (hashes == NULL && n > 0)
		return -EINVAL;
	return ft_lookup_bulk(t, keys, hashes, n, out);
}

/* Expire the entry at pos: report it, then drop key and slot. */
static unsigned int
ft_expire_one(struct flow_table *t, uint32_t pos, flow_expire_cb cb, void *arg)
{
	struct flow_key key;
	void *kp;

	/* an earlier callback of this pass may have removed it */
	if (unlikely(!ft_is_live(t, pos)))
		return 0;
	if (unlikely(rte_hash_get_key_with_position(t->hash, (int32_t)pos, &kp) < 0)) {
		/* cannot happen while the bit and the hash agree; heal anyway */
		ft_release(t, pos);
		return 0;
	}
	memcpy(&key, kp, sizeof(key));
	if (cb != NULL) {
		cb(arg, &key, &t->slots[pos].e);
		if (unlikely(!ft_is_live(t, pos)))
			return 0;       /* the callback removed it itself */
	}
	rte_hash_del_key_with_hash(t->hash, &key, flow_table_hash(t, &key));
	ft_release(t, pos);
	t->stats.expired++;
	return 1;
}

/* Check the live slots of one bitmap word; bits are relative to base. */
static unsigned int
ft_expire_word(struct flow_table *t, uint32_t base, uint64_t bits,
	       uint32_t now_ms, flow_expire_cb cb, void *arg)
{
	unsigned int n = 0;
	uint64_t b;

	/* start all the entry loads before the first compare needs one */
	for (b = bits; b != 0; b &= b - 1)
		rte_prefetch0(&t->slots[base + rte_bsf64(b)]);

	for (; bits != 0; bits &= bits - 1) {
		uint32_t pos = base + rte_bsf64(bits);
		const struct flow_entry *e = &t->slots[pos].e;
		int32_t age = (int32_t)(now_ms - e->last_seen);

		if (age > (int32_t)t->timeouts_ms[ft_state_idx(e->state)])
			n += ft_expire_one(t, pos, cb, arg);
	}
	return n;
}

unsigned int
flow_table_expire(struct flow_table *t, uint32_t now_ms, unsigned int budget,
		  flow_expire_cb cb, void *arg)
{
	uint32_t pos, cap;
	unsigned int n = 0;

	if (t == NULL)
		return 0;
	cap = t->capacity;
	budget = RTE_MIN(budget, cap);
	pos = t->hand < cap ? t->hand : 0;

	while (budget > 0) {
		uint32_t off = pos & 63;
		uint32_t span = RTE_MIN(64 - off, cap - pos);
		uint64_t bits;

		span = RTE_MIN(span, budget);
		bits = t->live[pos >> 6] >> off;
		if (span < 64)
			bits &= (UINT64_C(1) << span) - 1;
		if (bits != 0)
			n += ft_expire_word(t, pos, bits, now_ms, cb, arg);
		pos += span;
		if (pos >= cap)
			pos = 0;
		budget -= span;
	}
	t->hand = pos;
	return n;
}

void
flow_table_get_stats(const struct flow_table *t, struct flow_table_stats *out)
{
	if (t == NULL || out == NULL)
		return;
	*out = t->stats;
}

int
flow_table_foreach(const struct flow_table *t, flow_visit_cb cb, void *arg)
{
	uint32_t w, words;

	if (t == NULL || cb == NULL)
		return -EINVAL;
	words = (t->capacity + 63) / 64;
	for (w = 0; w < words; w++) {
		uint64_t bits;

		for (bits = t->live[w]; bits != 0; bits &= bits - 1) {
			uint32_t pos = w * 64 + rte_bsf64(bits);
			struct flow_key key;
			int ret;

			if (flow_table_get_key(t, pos, &key) != 0)
				continue;
			ret = cb(arg, &key, &t->slots[pos].e);
			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

int
flow_table_insert_state(struct flow_table *t, const struct flow_key *k,
			const struct flow_entry *e)
{
	struct flow_entry *ne;
	uint32_t before;

	if (t == NULL || k == NULL || e == NULL || e->state >= FLOW_S_MAX)
		return -EINVAL;
	before = t->stats.count;
	ne = flow_table_insert(t, k, flow_table_hash(t, k), e->last_seen);
	if (ne == NULL)
		return -ENOSPC;
	if (t->stats.count == before)
		return -EEXIST;
	*ne = *e;
	ne->state = FLOW_S_FREE;       /* as inserted: set_state moves the count */
	ne->pending = UINT32_MAX;
	flow_table_set_state(t, ne, (enum flow_state)e->state);
	return 0;
}
