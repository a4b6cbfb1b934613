/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syn_cache.c - the SYN cache: rte_hash for lookup, a slot array indexed by
 * the hash's key position for the entries, and an intrusive doubly-linked
 * FIFO through the slots (oldest at head) for eviction and expiry.
 *
 * rte_hash hands out positions 0..entries-1 and, created with one writer and
 * no lock-free flags, frees a position as soon as its key is deleted, so a
 * position can own a slot outright. The signature of each key is kept in its
 * slot so evicting or expiring never rehashes.
 *
 * Bounded buckets: the hash is keyed (keyed_hash.h) and has no extendable
 * table, so no bucket chain grows, whatever keys arrive. It is created for
 * capacity + 1 entries, which rounds its bucket array up to twice the
 * capacity: at most half of the bucket slots are ever used, and with two
 * candidate buckets per key and cuckoo moves an insert practically never
 * finds both full. If it does (only a hash an attacker could aim would make
 * that common), the SYN is refused by the cache, counted, and answered with
 * a plain cookie like any other miss.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "flow/keyed_hash.h"
#include "syncookie/syn_cache.h"

#define SLOT_NIL   UINT32_MAX          /* end of the FIFO */
#define SLOT_FREE  (UINT32_MAX - 1)    /* slot.next of an unused slot */

/* rte_hash derives names such as "HT_<name>" that must fit 32 bytes. */
#define SYN_CACHE_NAME_MAX 20

struct syn_cache_slot {
	struct syn_cache_entry e;
	hash_sig_t sig;
	uint32_t prev;
	uint32_t next;
};

struct syn_cache {
	struct rte_hash *h;
	uint32_t capacity;             /* most keys held at once */
	uint32_t nslots;               /* positions rte_hash can return: capacity + 1 */
	uint32_t count;
	uint32_t head;                 /* oldest */
	uint32_t tail;                 /* newest */
	struct syn_cache_stats st;
	struct syn_cache_slot slots[];
};

static inline void
fifo_unlink(struct syn_cache *c, uint32_t i)
{
	struct syn_cache_slot *s = &c->slots[i];

	if (s->prev == SLOT_NIL)
		c->head = s->next;
	else
		c->slots[s->prev].next = s->next;
	if (s->next == SLOT_NIL)
		c->tail = s->prev;
	else
		c->slots[s->next].prev = s->prev;
	s->prev = SLOT_NIL;
	s->next = SLOT_FREE;
}

static inline void
fifo_push_tail(struct syn_cache *c, uint32_t i)
{
	struct syn_cache_slot *s = &c->slots[i];

	s->prev = c->tail;
	s->next = SLOT_NIL;
	if (c->tail == SLOT_NIL)
		c->head = i;
	else
		c->slots[c->tail].next = i;
	c->tail = i;
}

/* Remove the entry in slot i from both the hash and the FIFO. */
static void
drop_slot(struct syn_cache *c, uint32_t i)
{
	struct flow_key key;
	void *kp;

	if (rte_hash_get_key_with_position(c->h, (int32_t)i, &kp) == 0) {
		/* Copy first: the key store slot is released by the delete. */
		memcpy(&key, kp, sizeof(key));
		rte_hash_del_key_with_hash(c->h, &key, c->slots[i].sig);
	}
	fifo_unlink(c, i);
	c->count--;
}

struct syn_cache *
syn_cache_create(const char *name, uint32_t size, int socket_id)
{
	struct rte_hash_parameters hp;
	struct syn_cache *c;
	uint32_t cap, i;

	if (name == NULL || name[0] == '\0' || strlen(name) > SYN_CACHE_NAME_MAX ||
	    size == 0 || size > (UINT32_C(1) << 30)) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (rte_hash_find_existing(name) != NULL) {
		rte_errno = EEXIST;
		return NULL;
	}
	cap = rte_align32pow2(RTE_MAX(size, (uint32_t)SYN_CACHE_MIN_SIZE));
	if (keyed_hash_init() < 0) {
		rte_errno = EIO;
		return NULL;
	}

	c = rte_zmalloc_socket(name, sizeof(*c) + ((size_t)cap + 1) * sizeof(c->slots[0]),
			       RTE_CACHE_LINE_SIZE, socket_id);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}

	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	/* cap + 1: twice the buckets cap needs (see the top of this file) */
	hp.entries = cap + 1;
	hp.key_len = sizeof(struct flow_key);
	hp.hash_func = keyed_hash_rte_flow_key;
	hp.hash_func_init_val = 0;
	hp.socket_id = socket_id;
	hp.extra_flag = 0;   /* one writer, no locks, no extendable (chained) buckets */
	c->h = rte_hash_create(&hp);
	if (c->h == NULL) {
		rte_free(c);
		return NULL;
	}

	c->capacity = cap;
	c->nslots = cap + 1;
	c->head = SLOT_NIL;
	c->tail = SLOT_NIL;
	for (i = 0; i < c->nslots; i++) {
		c->slots[i].prev = SLOT_NIL;
		c->slots[i].next = SLOT_FREE;
	}
	return c;
}

void
syn_cache_free(struct syn_cache *c)
{
	if (c == NULL)
		return;
	rte_hash_free(c->h);
	rte_free(c);
}

static int
cache_insert(struct syn_cache *c, const struct flow_key *k, const struct syn_cache_entry *e,
	     bool keep_other_isn)
{
	hash_sig_t sig;
	int32_t pos;

	if (c == NULL || k == NULL || e == NULL)
		return -EINVAL;
	sig = rte_hash_hash(c->h, k);

	/* One bucket search for both cases: rte_hash_add returns the position
	 * of a key that is already there. The table has one position more than
	 * the capacity, so a full cache adds first and evicts after. */
	pos = rte_hash_add_key_with_hash(c->h, k, sig);
	if (unlikely(pos < 0 || (uint32_t)pos >= c->nslots)) {
		/* Both buckets of the key full: refuse rather than chain. An
		 * eviction would not help, it frees a slot somewhere else. */
		c->st.refused++;
		return -ENOSPC;
	}
	if (c->slots[pos].next != SLOT_FREE) {
		/* Another ISN on a pending tuple: a new connection, or a spoofed
		 * SYN trying to change what the real client was told. Keep it. */
		if (keep_other_isn && c->slots[pos].e.client_isn != e->client_isn)
			return -EEXIST;
		/* Retransmitted SYN: refresh it and make it the newest. */
		c->slots[pos].e = *e;
		fifo_unlink(c, (uint32_t)pos);
		fifo_push_tail(c, (uint32_t)pos);
		c->st.updates++;
		return 1;
	}

	c->slots[pos].e = *e;
	c->slots[pos].sig = sig;
	fifo_push_tail(c, (uint32_t)pos);
	c->count++;
	c->st.inserts++;
	if (c->count > c->capacity) {
		drop_slot(c, c->head);
		c->st.evictions++;
	}
	return 0;
}

int
syn_cache_insert(struct syn_cache *c, const struct flow_key *k,
		 const struct syn_cache_entry *e)
{
	return cache_insert(c, k, e, false);
}

int
syn_cache_insert_new(struct syn_cache *c, const struct flow_key *k,
		     const struct syn_cache_entry *e)
{
	return cache_insert(c, k, e, true);
}

int
syn_cache_take(struct syn_cache *c, const struct flow_key *k, struct syn_cache_entry *out)
{
	int32_t pos;

	if (c == NULL || k == NULL)
		return -EINVAL;
	pos = rte_hash_del_key(c->h, k);
	if (pos < 0 || (uint32_t)pos >= c->nslots) {
		c->st.misses++;
		return -ENOENT;
	}
	if (out != NULL)
		*out = c->slots[pos].e;
	fifo_unlink(c, (uint32_t)pos);
	c->count--;
	c->st.hits++;
	return 0;
}

int
syn_cache_peek(const struct syn_cache *c, const struct flow_key *k, struct syn_cache_entry *out)
{
	int32_t pos;

	if (c == NULL || k == NULL)
		return -EINVAL;
	pos = rte_hash_lookup(c->h, k);
	if (pos < 0 || (uint32_t)pos >= c->nslots)
		return -ENOENT;
	if (out != NULL)
		*out = c->slots[pos].e;
	return 0;
}

int
syn_cache_expire(struct syn_cache *c, uint32_t now_ms, uint32_t max_age_ms, unsigned int budget)
{
	int n = 0;

	if (c == NULL)
		return 0;
	while (budget > 0 && c->head != SLOT_NIL) {
		uint32_t age = now_ms - c->slots[c->head].e.created_ms;

		/* FIFO order is age order: the first young entry ends the walk. */
		if ((int32_t)age < 0 || age <= max_age_ms)
			break;
		drop_slot(c, c->head);
		c->st.expired++;
		budget--;
		n++;
	}
	return n;
}

uint32_t
syn_cache_count(const struct syn_cache *c)
{
	return c ? c->count : 0;
}

uint32_t
syn_cache_capacity(const struct syn_cache *c)
{
	return c ? c->capacity : 0;
}

void
syn_cache_stats_get(const struct syn_cache *c, struct syn_cache_stats *st)
{
	if (c == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = c->st;
}

int
syn_cache_foreach(const struct syn_cache *c, syn_cache_visit_cb cb, void *arg)
{
	uint32_t i, n = 0;

	if (c == NULL || cb == NULL)
		return -EINVAL;
	/* n bounds the walk even if the links were ever damaged */
	for (i = c->head; i != SLOT_NIL && i < c->nslots && n < c->count;
	     i = c->slots[i].next, n++) {
		void *kp;
		int ret;

		if (rte_hash_get_key_with_position(c->h, (int32_t)i, &kp) != 0)
			continue;
		ret = cb(arg, kp, &c->slots[i].e);
		if (ret != 0)
			return ret;
	}
	return 0;
}
