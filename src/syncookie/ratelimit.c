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

/*
 * Top talkers: a bucket's SYN drops, kept beside the bucket (cold: written only
 * when a SYN of that prefix is dropped, so a flood of fresh prefixes never
 * touches it). tag says which prefix it counts: a takeover leaves the old
 * count behind, the next drop restarts it for the new tag. Written by the
 * owning worker only; the control lcore reads it racily (ratelimit_talkers).
 */
struct rl_talker {
	uint32_t tag;          /* the bucket's tag when addr was written; 0 = none */
	uint32_t drops;        /* SYN drops of that prefix (wraps) */
	uint32_t addr[4];      /* the masked prefix, network order */
	uint8_t family;
	uint8_t plen;
	uint8_t pad[6];
};

struct ratelimit {
	uint32_t set_mask;
	struct rl_talker *talk;   /* one per bucket */
	uint32_t rate;         /* tokens/s == thousandths/ms */
	uint32_t burst_m;      /* burst * 1000 */
	uint32_t v4_mask;      /* network order */
	uint32_t v6_mask[4];   /* network order */
	uint8_t v4_prefix;
	uint8_t v6_prefix;
	struct ratelimit_stats st;
	struct rl_bucket b[] __rte_cache_aligned;   /* 2 per set */
};

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
	rl->talk = rte_zmalloc_socket(name, (size_t)n * sizeof(rl->talk[0]), RTE_CACHE_LINE_SIZE,
				      socket);
	if (rl->talk == NULL || keyed_hash_init() < 0) {
		ratelimit_free(rl);
		return NULL;
	}
	rl->set_mask = n / 2 - 1;
	rl->rate = rate;
	rl->burst_m = burst * MILLI;
	rl->v4_prefix = v4_prefix;
	rl->v6_prefix = v6_prefix;
	rl->v4_mask = flow_prefix_word_mask(v4_prefix, 0);
	for (i = 0; i < 4; i++)
		rl->v6_mask[i] = flow_prefix_word_mask(v6_prefix, i);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	rte_free(rl->talk);
	rte_free(rl);
}

/* The two buckets of k's prefix set, and its tag; owner 0 = the global
 * buckets, else a service's own (ratelimit_allow_with). */
static inline struct rl_bucket *
prefix_set(struct ratelimit *rl, const struct flow_key *k, uint16_t owner, uint32_t *tag,
	   uint32_t a[4])
{
	const struct keyed_hash_coef *c = &keyed_hash_secret.dom[KH_DOM_RATELIMIT];
	uint32_t *x = a;   /* the masked address, then family/length/owner */
	uint32_t x4;
	uint64_t set, t;

	/* Keyed, so colliding prefixes cannot be computed to reset a victim's
	 * bucket; two strongly universal sums (coefficients 0-4 and 5-9) for
	 * the set and the tag. An IPv4 prefix's words 1-3 are zero: their
	 * products are left out (the same sums; 12 multiplies fewer per
	 * IPv4 SYN, which hashes here twice: prefetch and allow). */
	if (k->family == FLOW_AF_INET) {
		x[0] = k->wan_addr[0] & rl->v4_mask;
		x[1] = x[2] = x[3] = 0;   /* ignore whatever sits in the unused words */
		x4 = (uint32_t)k->family | (uint32_t)rl->v4_prefix << 8 | (uint32_t)owner << 16;
		set = c->b + c->a[4] * x4 + c->a[0] * x[0];
		t = c->b + c->a[9] * x4 + c->a[5] * x[0];
	} else {
		x[0] = k->wan_addr[0] & rl->v6_mask[0];
		x[1] = k->wan_addr[1] & rl->v6_mask[1];
		x[2] = k->wan_addr[2] & rl->v6_mask[2];
		x[3] = k->wan_addr[3] & rl->v6_mask[3];
		x4 = (uint32_t)k->family | (uint32_t)rl->v6_prefix << 8 | (uint32_t)owner << 16;
		set = c->b + c->a[4] * x4;
		t = c->b + c->a[9] * x4;
		for (unsigned int i = 0; i < 4; i++) {
			set += c->a[i] * x[i];
			t += c->a[i + 5] * x[i];
		}
	}
	*tag = (uint32_t)(t >> 32) | 1;
	return &rl->b[((uint32_t)(set >> 32) & rl->set_mask) * 2];
}

/* One more SYN dropped for bucket b's prefix (masked address a). */
static inline void
talker_count(struct ratelimit *rl, const struct rl_bucket *b, const struct flow_key *k,
	     const uint32_t a[4], uint32_t weight)
{
	struct rl_talker *t = &rl->talk[b - rl->b];

	if (unlikely(t->tag != b->tag)) {
		/* First drop since this prefix took the bucket: say whose it is.
		 * tag last, so a reader that sees it sees the address too. */
		__atomic_store_n(&t->tag, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->drops, 0, __ATOMIC_RELAXED);
		memcpy(t->addr, a, sizeof(t->addr));
		t->family = k->family == FLOW_AF_INET ? FLOW_AF_INET : FLOW_AF_INET6;
		t->plen = k->family == FLOW_AF_INET ? rl->v4_prefix : rl->v6_prefix;
		__atomic_store_n(&t->tag, b->tag, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&t->drops, t->drops + weight, __ATOMIC_RELAXED);
}

void
ratelimit_note_drop(struct ratelimit *rl, const struct flow_key *k, uint32_t weight)
{
	struct rl_bucket *set, *b;
	uint32_t tag, a[4];

	/* The global buckets; an empty one is taken, none is ever evicted for
	 * this, so spoofed garbage cannot reset anybody's bucket. */
	set = prefix_set(rl, k, 0, &tag, a);
	if (set[0].tag == tag)
		b = &set[0];
	else if (set[1].tag == tag)
		b = &set[1];
	else if (set[0].tag == 0 || set[1].tag == 0) {
		b = set[0].tag == 0 ? &set[0] : &set[1];
		b->tag = tag;
		b->stamp_ms = 0;        /* a full bucket, as any takeover gives */
		b->mtokens = rl->burst_m;
	} else
		return;
	talker_count(rl, b, k, a, weight);
}

uint32_t
ratelimit_talkers(const struct ratelimit *rl, struct ratelimit_talker *out, uint32_t max)
{
	uint32_t n = 0, slots = (rl->set_mask + 1) * 2;

	for (uint32_t i = 0; i < slots && n < max; i++) {
		const struct rl_talker *t = &rl->talk[i];
		uint32_t tag = __atomic_load_n(&t->tag, __ATOMIC_ACQUIRE);
		if (tag == 0)
			continue;
		struct ratelimit_talker *o = &out[n];
		o->slot = i;
		o->tag = tag;
		o->drops = __atomic_load_n(&t->drops, __ATOMIC_RELAXED);
		memcpy(o->addr, t->addr, sizeof(o->addr));
		o->family = t->family;
		o->plen = t->plen;
		/* The worker rewrote it meanwhile (a new prefix): skip it this time. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&t->tag, __ATOMIC_RELAXED) != tag)
			continue;
		n++;
	}
	return n;
}

uint32_t
ratelimit_slots(const struct ratelimit *rl)
{
	return (rl->set_mask + 1) * 2;
}

void
ratelimit_prefetch(struct ratelimit *rl, const struct flow_key *k)
{
	uint32_t tag, a[4];

	rte_prefetch0(prefix_set(rl, k, 0, &tag, a));
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
	uint32_t tag, a[4];
	uint32_t burst_m = (burst < RATELIMIT_BURST_MAX ? burst : RATELIMIT_BURST_MAX) * MILLI;

	set = prefix_set(rl, k, owner, &tag, a);
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
	talker_count(rl, b, k, a, 1);
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
	uint32_t tag, a[4];
	struct rl_bucket *set, *b;
	uint32_t burst_m = (burst < RATELIMIT_BURST_MAX ? burst : RATELIMIT_BURST_MAX) * MILLI;

	set = prefix_set(rl, k, owner, &tag, a);
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
