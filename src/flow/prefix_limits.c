/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * prefix_limits.c - the per-prefix counters behind prefix_limits.h: a
 * two-row count-min sketch.
 *
 * Why not rte_hash (the first version): an exact table keyed by the prefix
 * costs three hash operations per connection (an insert at the handshake
 * ACK, a lookup when it leaves SYN_SENT, a lookup and delete at its end).
 * On the handshake benchmark (every connection from another prefix, one
 * worker) that took 444 -> 642 cycles per frame, +45%. The sketch does the
 * same job with two keyed hashes of five words and two slot updates, no key
 * compare, no delete, and no "table full" case: every prefix always has its
 * slots. What is left of the cost is memory: the release comes long after
 * the admit, its two slots are cold, and a row per flow of a 1M-flow table
 * (16 MB) cost ~80 cycles per frame more than rows of 65536 slots (1 MB,
 * ~370 against ~330 data path cycles with the caps off; synproxy-bench
 * handshake, medians, alternated). Hence the bound on the rows.
 *
 * Why over-counting is safe: a slot holds the sum of the prefixes that map
 * to it, so min over the rows is >= the prefix's true count. The only error
 * is a false refusal (a dropped handshake ACK that the client retransmits,
 * synproxy_limits.c), never a prefix let past its cap. Counts cannot leak
 * upwards as long as every decrement matches an increment of the same key
 * (the hooks guarantee that; tests/unit/fwd/test_sp_limits.c checks it
 * against a flow table scan): a slot returns to exactly the sum of its live
 * flows.
 *
 * The false-refusal odds at the default sizing (flow_table_size 262144,
 * 2^16 slots per row, caps 65536 flows and 4096 half-open): the flows of a
 * worker total at most 262144, so at most 4 slots per row can hold 65536
 * flows, and at most 64 slots 4096 half-open. A light prefix is refused only
 * if both its slots are among those; the rows are keyed independently, so
 * that is at most (4 / 2^16)^2 = 2^-28 for the flow cap and (64 / 2^16)^2 =
 * 2^-20 for the half-open cap, per prefix, with the table full of heavy
 * prefixes. A prefix already near its cap is pushed over sooner, by what
 * shares both its slots: in a full table on average 4 flows per slot (with
 * the default caps, nothing; a cap set to a handful may refuse early when
 * the table is full). The keyed hash keeps an attacker from choosing
 * prefixes that share a victim's slots (keyed_hash.h); finding one blind
 * takes ~2^32 prefixes.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "flow/keyed_hash.h"
#include "flow/prefix_limits.h"

#define PREFIX_ROWS 2
#define PREFIX_MAX_SLOTS (1u << 16)   /* per row: the rows stay in cache (the header);
					* also what one 32-bit hash can index twice (slots_of) */
#define PREFIX_KEY_WORDS 5   /* the masked address (4 words), family | length << 8 | domain << 16 */

struct prefix_count {
	uint32_t flows;
	uint32_t half_open;
};

struct prefix_limits {
	struct prefix_count *slots;   /* PREFIX_ROWS rows of mask + 1 */
	uint32_t mask;
	uint32_t max_flows, max_half_open;   /* UINT32_MAX: no cap */
	uint32_t v4_mask;
	uint32_t v6_mask[4];
	uint8_t v4_prefix, v6_prefix;
	struct prefix_limits_stats st;
};

struct prefix_limits *
prefix_limits_create(const char *name, uint32_t capacity, uint8_t v4_prefix, uint8_t v6_prefix,
		     uint32_t max_flows, uint32_t max_half_open, int socket)
{
	struct prefix_limits *pl;

	if (name == NULL || capacity == 0 || capacity > (1u << 28) || v4_prefix > 32 ||
	    v6_prefix > 128)
		return NULL;
	if (keyed_hash_init() != 0)
		return NULL;
	pl = rte_zmalloc_socket(name, sizeof(*pl), RTE_CACHE_LINE_SIZE, socket);
	if (pl == NULL)
		return NULL;
	uint32_t n = rte_align32pow2(RTE_MIN(RTE_MAX(capacity, 8u), PREFIX_MAX_SLOTS));
	pl->slots = rte_zmalloc_socket(name, sizeof(*pl->slots) * (size_t)n * PREFIX_ROWS,
				       RTE_CACHE_LINE_SIZE, socket);
	if (pl->slots == NULL) {
		prefix_limits_free(pl);
		return NULL;
	}
	pl->mask = n - 1;
	prefix_limits_set_caps(pl, max_flows, max_half_open);
	pl->v4_prefix = v4_prefix;
	pl->v6_prefix = v6_prefix;
	pl->v4_mask = flow_prefix_word_mask(v4_prefix, 0);
	for (unsigned i = 0; i < 4; i++)
		pl->v6_mask[i] = flow_prefix_word_mask(v6_prefix, i);
	pl->st.slots = n;
	return pl;
}

void
prefix_limits_free(struct prefix_limits *pl)
{
	if (pl == NULL)
		return;
	rte_free(pl->slots);
	rte_free(pl);
}

/* The two slots of k's prefix in domain dom, one per row. */
static inline void
slots_of(const struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
	 struct prefix_count *c[2])
{
	uint32_t p[PREFIX_KEY_WORDS];
	uint32_t h;

	/* The hash in each branch: an IPv4 prefix's zero words then cost no
	 * products (constants after inlining; the same value). */
	if (k->family == FLOW_AF_INET) {
		p[0] = k->wan_addr[0] & pl->v4_mask;
		p[1] = p[2] = p[3] = 0;
		p[4] = k->family | (uint32_t)pl->v4_prefix << 8 | (uint32_t)dom << 16;
		h = keyed_hash_words(KH_DOM_PREFIX, p, PREFIX_KEY_WORDS);
	} else {
		for (unsigned i = 0; i < 4; i++)
			p[i] = k->wan_addr[i] & pl->v6_mask[i];
		p[4] = k->family | (uint32_t)pl->v6_prefix << 8 | (uint32_t)dom << 16;
		h = keyed_hash_words(KH_DOM_PREFIX, p, PREFIX_KEY_WORDS);
	}
	/* Both rows from one strongly universal 32-bit value, 16 bits each
	 * (rows have at most 2^16 slots): for two prefixes, the pair of
	 * values is uniform over all 2^64 pairs, which is exactly the joint
	 * law two independently keyed row hashes give; the sketch's odds
	 * (above) are unchanged. One sum of five products instead of two:
	 * ~4 cycles on each of admit, half-open done and release. */
	c[0] = &pl->slots[h & pl->mask];
	c[1] = &pl->slots[(size_t)pl->mask + 1 + ((h >> 16) & pl->mask)];
}

void
prefix_limits_prefetch_dom(const struct prefix_limits *pl, const struct flow_key *k, uint16_t dom)
{
	struct prefix_count *c[2];

	slots_of(pl, k, dom, c);
	rte_prefetch0(c[0]);
	rte_prefetch0(c[1]);
}

static inline void
count_up(struct prefix_limits *pl, struct prefix_count *c[2], bool half_open)
{
	for (unsigned r = 0; r < PREFIX_ROWS; r++) {
		c[r]->flows++;
		c[r]->half_open += half_open;
	}
	pl->st.flows++;
	pl->st.half_open += half_open;
}

void
prefix_limits_set_caps(struct prefix_limits *pl, uint32_t max_flows, uint32_t max_half_open)
{
	pl->max_flows = max_flows ? max_flows : UINT32_MAX;
	pl->max_half_open = max_half_open ? max_half_open : UINT32_MAX;
}

/* Caps: UINT32_MAX = none. */
static inline enum prefix_admit
admit(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom, uint32_t max_flows,
      uint32_t max_half_open)
{
	struct prefix_count *c[2];

	slots_of(pl, k, dom, c);
	/* The caps are at most UINT32_MAX - 1 or absent (UINT32_MAX): a slot
	 * never goes past UINT32_MAX - 1 here, the restore path adds at most
	 * the flow table's size (<= 2^28). */
	if (RTE_MIN(c[0]->flows, c[1]->flows) >= max_flows)
		return PREFIX_ADMIT_FLOW_CAP;
	if (RTE_MIN(c[0]->half_open, c[1]->half_open) >= max_half_open)
		return PREFIX_ADMIT_HALF_OPEN_CAP;
	count_up(pl, c, true);
	return PREFIX_ADMIT_OK;
}

enum prefix_admit
prefix_limits_admit(struct prefix_limits *pl, const struct flow_key *k)
{
	return admit(pl, k, PREFIX_DOM_GLOBAL, pl->max_flows, pl->max_half_open);
}

enum prefix_admit
prefix_limits_admit_dom(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
			uint32_t max_flows, uint32_t max_half_open)
{
	return admit(pl, k, dom, max_flows ? max_flows : UINT32_MAX,
		     max_half_open ? max_half_open : UINT32_MAX);
}

void
prefix_limits_add_dom(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
		      bool half_open)
{
	struct prefix_count *c[2];

	slots_of(pl, k, dom, c);
	count_up(pl, c, half_open);
}

/* Take one from *v; false (and *v stays 0) if there was nothing. */
static inline bool
take(uint32_t *v)
{
	if (unlikely(*v == 0))
		return false;
	(*v)--;
	return true;
}

void
prefix_limits_half_open_done_dom(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom)
{
	struct prefix_count *c[2];
	bool ok;

	slots_of(pl, k, dom, c);
	ok = take(&c[0]->half_open);
	ok &= take(&c[1]->half_open);
	if (unlikely(!ok || pl->st.half_open == 0)) {
		pl->st.underflows++;
		return;
	}
	pl->st.half_open--;
}

void
prefix_limits_release_dom(struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
			  bool half_open)
{
	struct prefix_count *c[2];
	bool ok = true;

	slots_of(pl, k, dom, c);
	for (unsigned r = 0; r < PREFIX_ROWS; r++) {
		ok &= take(&c[r]->flows);
		if (half_open)
			ok &= take(&c[r]->half_open);
	}
	if (unlikely(!ok || pl->st.flows == 0 || (half_open && pl->st.half_open == 0))) {
		pl->st.underflows++;
		return;
	}
	pl->st.flows--;
	pl->st.half_open -= half_open;
}

void
prefix_limits_get_dom(const struct prefix_limits *pl, const struct flow_key *k, uint16_t dom,
		      uint32_t *flows, uint32_t *half_open)
{
	struct prefix_count *c[2];

	slots_of(pl, k, dom, c);
	*flows = RTE_MIN(c[0]->flows, c[1]->flows);
	*half_open = RTE_MIN(c[0]->half_open, c[1]->half_open);
}

void
prefix_limits_stats_get(const struct prefix_limits *pl, struct prefix_limits_stats *st)
{
	*st = pl->st;
}
