/* SPDX-License-Identifier: BSD-3-Clause */
/* prefix_limits.c - the per-prefix counters behind prefix_limits.h. */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "flow/keyed_hash.h"
#include "flow/prefix_limits.h"

struct prefix_key {
	uint32_t addr[4];    /* masked, network order; IPv4 in word 0 */
	uint32_t fam_len;    /* family | prefix length << 8 */
	uint32_t zero;       /* 24 bytes */
};
#define PREFIX_KEY_WORDS 5   /* hashed: the address and fam_len */

struct prefix_count {
	uint32_t flows;
	uint32_t half_open;
};

struct prefix_limits {
	struct rte_hash *hash;
	struct prefix_count *counts;   /* by key position */
	uint32_t max_flows, max_half_open;   /* UINT32_MAX: no cap */
	uint32_t v4_mask;
	uint32_t v6_mask[4];
	uint8_t v4_prefix, v6_prefix;
	struct prefix_limits_stats st;
};

static uint32_t
word_mask(unsigned int prefix, unsigned int word)
{
	int bits = (int)prefix - 32 * (int)word;

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return UINT32_MAX;
	return rte_cpu_to_be_32(UINT32_MAX << (32 - bits));
}

static inline uint32_t
prefix_hash(const struct prefix_key *p)
{
	return keyed_hash_words(KH_DOM_PREFIX, (const uint32_t *)p, PREFIX_KEY_WORDS);
}

/* For rte_hash (the table is always given the hash; this keeps both equal). */
static uint32_t
prefix_hash_rte(const void *key, uint32_t key_len, uint32_t init_val)
{
	(void)key_len;
	(void)init_val;
	return prefix_hash(key);
}

struct prefix_limits *
prefix_limits_create(const char *name, uint32_t capacity, uint8_t v4_prefix, uint8_t v6_prefix,
		     uint32_t max_flows, uint32_t max_half_open, int socket)
{
	char hname[RTE_HASH_NAMESIZE];
	struct prefix_limits *pl;

	if (name == NULL || capacity == 0 || capacity > (1u << 28) || v4_prefix > 32 ||
	    v6_prefix > 128)
		return NULL;
	if (keyed_hash_init() != 0)
		return NULL;
	pl = rte_zmalloc_socket("prefix_limits", sizeof(*pl), RTE_CACHE_LINE_SIZE, socket);
	if (pl == NULL)
		return NULL;
	/* One more than the flow table: rte_hash then sizes its buckets at the
	 * next power of two, twice the key space when the flow table size is
	 * a power of two (the header comment). */
	uint32_t n = RTE_MAX(capacity + 1, 8u);
	snprintf(hname, sizeof(hname), "%s", name);
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = n,
		.key_len = sizeof(struct prefix_key),
		.hash_func = prefix_hash_rte,
		.hash_func_init_val = 0,
		.socket_id = socket,
	};
	pl->hash = rte_hash_create(&hp);
	pl->counts = rte_zmalloc_socket("prefix_counts", sizeof(*pl->counts) * (size_t)(n + 1), 0,
					socket);
	if (pl->hash == NULL || pl->counts == NULL) {
		prefix_limits_free(pl);
		return NULL;
	}
	pl->max_flows = max_flows ? max_flows : UINT32_MAX;
	pl->max_half_open = max_half_open ? max_half_open : UINT32_MAX;
	pl->v4_prefix = v4_prefix;
	pl->v6_prefix = v6_prefix;
	pl->v4_mask = word_mask(v4_prefix, 0);
	for (unsigned i = 0; i < 4; i++)
		pl->v6_mask[i] = word_mask(v6_prefix, i);
	pl->st.capacity = capacity;
	return pl;
}

void
prefix_limits_free(struct prefix_limits *pl)
{
	if (pl == NULL)
		return;
	rte_hash_free(pl->hash);
	rte_free(pl->counts);
	rte_free(pl);
}

static inline uint32_t
prefix_of(const struct prefix_limits *pl, const struct flow_key *k, struct prefix_key *p)
{
	if (k->family == FLOW_AF_INET) {
		p->addr[0] = k->wan_addr[0] & pl->v4_mask;
		p->addr[1] = p->addr[2] = p->addr[3] = 0;
		p->fam_len = k->family | (uint32_t)pl->v4_prefix << 8;
	} else {
		for (unsigned i = 0; i < 4; i++)
			p->addr[i] = k->wan_addr[i] & pl->v6_mask[i];
		p->fam_len = k->family | (uint32_t)pl->v6_prefix << 8;
	}
	p->zero = 0;
	return prefix_hash(p);
}

enum prefix_admit
prefix_limits_admit(struct prefix_limits *pl, const struct flow_key *k)
{
	struct prefix_key p;
	uint32_t h = prefix_of(pl, k, &p);
	/* One search: add returns the position of a key already there, and a
	 * new key's counters are zero (release zeroes them with the entry),
	 * below every cap (a cap is at least 1), so no zero-count entry stays. */
	int32_t pos = rte_hash_add_key_with_hash(pl->hash, &p, h);

	if (pos < 0)
		return PREFIX_ADMIT_TABLE_FULL;
	struct prefix_count *c = &pl->counts[pos];
	if (c->flows >= pl->max_flows)
		return PREFIX_ADMIT_FLOW_CAP;
	if (c->half_open >= pl->max_half_open)
		return PREFIX_ADMIT_HALF_OPEN_CAP;
	if (c->flows == 0)
		pl->st.prefixes++;
	c->flows++;
	c->half_open++;
	return PREFIX_ADMIT_OK;
}

int
prefix_limits_add(struct prefix_limits *pl, const struct flow_key *k, bool half_open)
{
	struct prefix_key p;
	uint32_t h = prefix_of(pl, k, &p);
	int32_t pos = rte_hash_add_key_with_hash(pl->hash, &p, h);

	if (pos < 0)
		return -1;
	struct prefix_count *c = &pl->counts[pos];
	if (c->flows == 0)
		pl->st.prefixes++;
	c->flows++;
	c->half_open += half_open;
	return 0;
}

void
prefix_limits_half_open_done(struct prefix_limits *pl, const struct flow_key *k)
{
	struct prefix_key p;
	uint32_t h = prefix_of(pl, k, &p);
	int32_t pos = rte_hash_lookup_with_hash(pl->hash, &p, h);

	if (unlikely(pos < 0 || pl->counts[pos].half_open == 0)) {
		pl->st.underflows++;
		return;
	}
	pl->counts[pos].half_open--;
}

void
prefix_limits_release(struct prefix_limits *pl, const struct flow_key *k, bool half_open)
{
	struct prefix_key p;
	uint32_t h = prefix_of(pl, k, &p);
	int32_t pos = rte_hash_lookup_with_hash(pl->hash, &p, h);

	if (unlikely(pos < 0 || pl->counts[pos].flows == 0)) {
		pl->st.underflows++;
		return;
	}
	struct prefix_count *c = &pl->counts[pos];
	if (half_open) {
		if (unlikely(c->half_open == 0))
			pl->st.underflows++;
		else
			c->half_open--;
	}
	if (--c->flows == 0) {
		if (unlikely(c->half_open != 0))
			pl->st.underflows++;   /* more half-open than flows: never */
		c->half_open = 0;
		rte_hash_del_key_with_hash(pl->hash, &p, h);
		pl->st.prefixes--;
	}
}

void
prefix_limits_get(const struct prefix_limits *pl, const struct flow_key *k, uint32_t *flows,
		  uint32_t *half_open)
{
	struct prefix_key p;
	uint32_t h = prefix_of(pl, k, &p);
	int32_t pos = rte_hash_lookup_with_hash(pl->hash, &p, h);

	*flows = pos >= 0 ? pl->counts[pos].flows : 0;
	*half_open = pos >= 0 ? pl->counts[pos].half_open : 0;
}

void
prefix_limits_stats_get(const struct prefix_limits *pl, struct prefix_limits_stats *st)
{
	*st = pl->st;
}
