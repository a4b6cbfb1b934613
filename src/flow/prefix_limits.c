/* SPDX-License-Identifier: BSD-3-Clause */
/* prefix_limits.c - the per-prefix counters behind prefix_limits.h. */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "flow/prefix_limits.h"

struct prefix_key {
	uint32_t addr[4];    /* masked, network order; IPv4 in word 0 */
	uint8_t family;
	uint8_t len;
	uint16_t zero[3];    /* whole 8-byte words for the hash */
};
_Static_assert(sizeof(struct prefix_key) == 24, "three 8-byte words");

struct prefix_count {
	uint32_t flows;
	uint32_t half_open;
};

struct prefix_limits {
	struct rte_hash *hash;
	struct prefix_count *counts;   /* by key position */
	uint32_t seed;
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

struct prefix_limits *
prefix_limits_create(const char *name, uint32_t capacity, uint8_t v4_prefix, uint8_t v6_prefix,
		     uint32_t max_flows, uint32_t max_half_open, int socket)
{
	char hname[RTE_HASH_NAMESIZE];
	struct prefix_limits *pl;

	if (name == NULL || capacity == 0 || capacity > (1u << 28) || v4_prefix > 32 ||
	    v6_prefix > 128)
		return NULL;
	pl = rte_zmalloc_socket("prefix_limits", sizeof(*pl), RTE_CACHE_LINE_SIZE, socket);
	if (pl == NULL)
		return NULL;
	/* One more than the flow table: rte_hash then sizes its buckets at the
	 * next power of two, twice the key space when the flow table size is
	 * a power of two (the header comment). */
	uint32_t n = RTE_MAX(capacity + 1, 8u);
	pl->seed = (uint32_t)rte_rand();
	snprintf(hname, sizeof(hname), "%s", name);
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = n,
		.key_len = sizeof(struct prefix_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = pl->seed,
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
	memset(p, 0, sizeof(*p));
	if (k->family == FLOW_AF_INET) {
		p->addr[0] = k->wan_addr[0] & pl->v4_mask;
		p->len = pl->v4_prefix;
	} else {
		for (unsigned i = 0; i < 4; i++)
			p->addr[i] = k->wan_addr[i] & pl->v6_mask[i];
		p->len = pl->v6_prefix;
	}
	p->family = k->family;
	/* rte_hash_crc(p, 24, seed), but loading the words with memcpy: it
	 * reads through uint64_t pointers, and inlined right after the
	 * 32-bit stores above, -O3 may load before they land (strict
	 * aliasing; see flow_table_hash). */
	uint64_t w[sizeof(*p) / sizeof(uint64_t)];
	uint32_t h = pl->seed;
	memcpy(w, p, sizeof(w));
	for (unsigned i = 0; i < RTE_DIM(w); i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
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
