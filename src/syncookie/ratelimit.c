/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ratelimit.c - the token-bucket table behind ratelimit.h.
 *
 * A prefix is identified by the process's keyed hash (keyed_hash.h, domain
 * RATELIMIT) of the masked address (four 32-bit words) and family + prefix
 * length (one word): one multiply-shift sum picks the set of two buckets,
 * a second one with other coefficients is the 32-bit tag (forced non-zero,
 * 0 marks an empty bucket). Address masks are precomputed per family in
 * network byte order, so masking is four ANDs.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "flow/keyed_hash.h"
#include "syncookie/ratelimit.h"

#define MILLI 1000u    /* one token, in thousandths */

struct rl_bucket {
	uint32_t tag;          /* 0 = empty */
	uint32_t mtokens;      /* tokens * 1000 (burst is capped to fit) */
	uint64_t stamp_ms;     /* last refill */
};

struct ratelimit {
	uint32_t set_mask;
	uint32_t rate;         /* tokens/s == thousandths/ms */
	uint32_t burst_m;      /* burst * 1000 */
	uint32_t v4_mask;      /* network order */
	uint32_t v6_mask[4];   /* network order */
	uint8_t v4_prefix;
	uint8_t v6_prefix;
	struct ratelimit_stats st;
	struct rl_bucket b[] __rte_cache_aligned;   /* 2 per set */
};

/* Mask for 32-bit word `word` of an address under a /prefix, network order. */
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

struct ratelimit *
ratelimit_create(const char *name, uint32_t slots, uint32_t rate, uint32_t burst,
		 uint8_t v4_prefix, uint8_t v6_prefix, int socket)
{
	struct ratelimit *rl;
	uint32_t n, i;

	if (slots == 0 || slots > (UINT32_C(1) << 30) || burst == 0 ||
	    v4_prefix > 32 || v6_prefix > 128)
		return NULL;
	/* Millions of SYNs in one burst is no limit anyway: keep buckets 16 bytes. */
	if (burst > RATELIMIT_BURST_MAX)
		burst = RATELIMIT_BURST_MAX;
	n = rte_align32pow2(RTE_MAX(slots, UINT32_C(2)));

	rl = rte_zmalloc_socket(name, sizeof(*rl) + (size_t)n * sizeof(rl->b[0]),
				RTE_CACHE_LINE_SIZE, socket);
	if (rl == NULL)
		return NULL;
	if (keyed_hash_init() < 0) {
		rte_free(rl);
		return NULL;
	}
	rl->set_mask = n / 2 - 1;
	rl->rate = rate;
	rl->burst_m = burst * MILLI;
	rl->v4_prefix = v4_prefix;
	rl->v6_prefix = v6_prefix;
	rl->v4_mask = word_mask(v4_prefix, 0);
	for (i = 0; i < 4; i++)
		rl->v6_mask[i] = word_mask(v6_prefix, i);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	rte_free(rl);
}

/* The two buckets of k's prefix set, and its tag; owner 0 = the global
 * buckets, else a service's own (ratelimit_allow_with). */
static inline struct rl_bucket *
prefix_set(struct ratelimit *rl, const struct flow_key *k, uint16_t owner, uint32_t *tag)
{
	const struct keyed_hash_coef *c = &keyed_hash_secret.dom[KH_DOM_RATELIMIT];
	uint32_t x[5];
	uint64_t set, t;
	unsigned int i;

	if (k->family == FLOW_AF_INET) {
		x[0] = k->wan_addr[0] & rl->v4_mask;
		x[1] = x[2] = x[3] = 0;   /* ignore whatever sits in the unused words */
		x[4] = (uint32_t)k->family | (uint32_t)rl->v4_prefix << 8 | (uint32_t)owner << 16;
	} else {
		x[0] = k->wan_addr[0] & rl->v6_mask[0];
		x[1] = k->wan_addr[1] & rl->v6_mask[1];
		x[2] = k->wan_addr[2] & rl->v6_mask[2];
		x[3] = k->wan_addr[3] & rl->v6_mask[3];
		x[4] = (uint32_t)k->family | (uint32_t)rl->v6_prefix << 8 | (uint32_t)owner << 16;
	}
	/* Keyed, so colliding prefixes cannot be computed to reset a victim's
	 * bucket; two strongly universal sums (coefficients 0-4 and 5-9) for
	 * the set and the tag. */
	set = c->b;
	t = c->b;
	for (i = 0; i < RTE_DIM(x); i++) {
		set += c->a[i] * x[i];
		t += c->a[i + 5] * x[i];
	}
	*tag = (uint32_t)(t >> 32) | 1;
	return &rl->b[((uint32_t)(set >> 32) & rl->set_mask) * 2];
}

void
ratelimit_prefetch(struct ratelimit *rl, const struct flow_key *k)
{
	uint32_t tag;

	rte_prefetch0(prefix_set(rl, k, 0, &tag));
}

bool
ratelimit_allow(struct ratelimit *rl, const struct flow_key *k, uint64_t now_ms)
{
	return ratelimit_allow_with(rl, k, 0, rl->rate, rl->burst_m / MILLI, now_ms);
}

bool
ratelimit_allow_with(struct ratelimit *rl, const struct flow_key *k, uint16_t owner,
		     uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	struct rl_bucket *set, *b;
	uint32_t tag;
	uint32_t burst_m = (burst < RATELIMIT_BURST_MAX ? burst : RATELIMIT_BURST_MAX) * MILLI;

	set = prefix_set(rl, k, owner, &tag);
	if (set[0].tag == tag) {
		b = &set[0];
	} else if (set[1].tag == tag) {
		b = &set[1];
	} else {
		/* Take over an empty bucket, else the least recently refilled. */
		if (set[0].tag == 0)
			b = &set[0];
		else if (set[1].tag == 0)
			b = &set[1];
		else
			b = set[0].stamp_ms <= set[1].stamp_ms ? &set[0] : &set[1];
		rl->st.takeovers += b->tag != 0;
		b->tag = tag;
		b->stamp_ms = now_ms;
		b->mtokens = burst_m;
	}

	if (now_ms > b->stamp_ms) {
		uint64_t elapsed = now_ms - b->stamp_ms;
		uint64_t m;

		/* A full refill (or more) needs no multiply; below it, elapsed and
		 * rate are both under burst_m < 2^32, so the product cannot wrap. */
		if (rate == 0)
			m = b->mtokens;
		else if (elapsed >= burst_m || rate >= burst_m)
			m = burst_m;
		else
			m = b->mtokens + elapsed * rate;
		b->mtokens = (uint32_t)(m < burst_m ? m : burst_m);
		b->stamp_ms = now_ms;
	} else if (now_ms < b->stamp_ms) {
		/* The clock stepped back: restart the refill from here. */
		b->stamp_ms = now_ms;
	}

	if (b->mtokens >= MILLI) {
		b->mtokens -= MILLI;
		rl->st.allowed++;
		return true;
	}
	rl->st.limited++;
	return false;
}

void
ratelimit_refund(struct ratelimit *rl, const struct flow_key *k)
{
	ratelimit_refund_with(rl, k, 0, rl->burst_m / MILLI);
}

void
ratelimit_refund_with(struct ratelimit *rl, const struct flow_key *k, uint16_t owner,
		      uint32_t burst)
{
	uint32_t tag;
	struct rl_bucket *set, *b;
	uint32_t burst_m = (burst < RATELIMIT_BURST_MAX ? burst : RATELIMIT_BURST_MAX) * MILLI;

	set = prefix_set(rl, k, owner, &tag);
	if (set[0].tag == tag)
		b = &set[0];
	else if (set[1].tag == tag)
		b = &set[1];
	else
		return;     /* bucket taken over since: it started full anyway */
	b->mtokens = b->mtokens + MILLI < burst_m ? b->mtokens + MILLI : burst_m;
	rl->st.refunded++;
}

void
ratelimit_stats_get(const struct ratelimit *rl, struct ratelimit_stats *st)
{
	if (rl == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = rl->st;
}
