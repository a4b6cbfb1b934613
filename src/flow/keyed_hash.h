/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyed_hash.h - the one hash for every table indexed by fields an attacker
 * chooses: the flow table, the SYN cache, the rate-limit table, the learned
 * server options, the per-prefix flow counters and the software steering
 * hash.
 *
 * Why keyed: a hash anyone can compute lets an attacker who has read this
 * code pick sources that all land in one bucket. CRC32C, even with a random
 * seed, is no defence: it is linear, crc(s, A) ^ crc(s, B) = crc(0, A ^ B),
 * so keys that collide for one seed collide for all (about 2^16 source
 * address/port pairs per 32-bit value; bench scenario syn-flood-collide and
 * tests/unit/common/crc_collide.h build them).
 *
 * The function: strongly universal vector multiply-shift (Dietzfelbinger;
 * Thorup, "High speed hashing for integers and strings", 3.3). The input is n
 * 32-bit words x_i, the secret is n + 1 random 64-bit words a_i and b:
 *
 *     h(x) = (b + sum a_i * x_i  mod 2^64) >> 32
 *
 * For any two distinct inputs, (h(x), h(y)) is uniform over pairs of 32-bit
 * values, so an attacker who does not know the secret cannot aim keys at a
 * bucket any better than at random, whatever the table uses of the 32 bits
 * (rte_hash: low bits = bucket, high 16 = signature and alternate bucket).
 *
 * Why not SipHash (in the tree, used for the cookies): picked by benchmark.
 * A SYN hashes up to four times (steering, rate limit, learned options, and
 * the flow table), so the hash is on the hot path. synproxy-bench, 1 worker,
 * cycles per frame, the same code with SipHash-2-4 in place of
 * multiply-shift (medians of 5, two alternated runs each):
 *     syn-flood-cookie 365-471 -> 574-577, established-10k 182-186 -> 242-250,
 *     handshake 438-443 -> 556-557 cycles per frame.
 * Multiply-shift is ten independent multiplies with no dependency chain,
 * about as cheap as the CRC32C it replaces; SipHash is ~14 dependent rounds.
 * A PRF would also resist an attacker who learns collisions adaptively, by
 * timing; here that is bounded by the tables themselves: no bucket has an
 * overflow chain, so the worst an attacker can do to a bucket is fill it,
 * and that is counted as an eviction or a refusal, never a longer walk.
 *
 * One secret per process, from getrandom(2) on first use
 * (keyed_hash_init(), called by every table's create function), with a
 * separate set of coefficients per domain so the tables' bucket choices are
 * unrelated to each other and to the worker a flow is steered to. Tests and
 * the fuzzer call keyed_hash_set_seed() BEFORE creating any table, for
 * results that repeat; changing the secret under a live table would lose its
 * keys.
 */
#ifndef SYNPROXY_KEYED_HASH_H
#define SYNPROXY_KEYED_HASH_H

#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "flow/flow_key.h"

#define KEYED_HASH_MAX_WORDS 10     /* 32-bit input words: a flow key is 10 */

enum keyed_hash_domain {
	KH_DOM_FLOW = 0,    /* flow table and SYN cache (struct flow_key) */
	KH_DOM_RATELIMIT,   /* source prefix buckets */
	KH_DOM_SERVER,      /* learned server options */
	KH_DOM_STEER,       /* software steering (worker choice) */
	KH_DOM_PREFIX,      /* per-prefix flow counters, both rows (prefix_limits.c) */
	KH_DOM_MAX
};

struct keyed_hash_coef {
	uint64_t a[KEYED_HASH_MAX_WORDS];
	uint64_t b;
};

struct keyed_hash_secret {
	struct keyed_hash_coef dom[KH_DOM_MAX];
};

/* The process secret; read-only once the first table exists. */
extern struct keyed_hash_secret keyed_hash_secret;

/*
 * Make sure the process secret is set: random (getrandom, /dev/urandom as a
 * fallback) the first time, unchanged afterwards and after
 * keyed_hash_set_seed(). Thread-safe. 0, or -1 if no randomness could be had.
 */
int keyed_hash_init(void);

/*
 * Replace the process secret by one derived from seed, deterministically
 * (tests, fuzzer, replay). Call before creating tables.
 */
void keyed_hash_set_seed(uint64_t seed);

/* h over n (<= KEYED_HASH_MAX_WORDS) 32-bit words, in domain d. */
static inline uint32_t
keyed_hash_words(enum keyed_hash_domain d, const uint32_t *x, unsigned int n)
{
	const struct keyed_hash_coef *c = &keyed_hash_secret.dom[d];
	uint64_t s = c->b;
	unsigned int i;

	for (i = 0; i < n; i++)
		s += c->a[i] * x[i];
	return (uint32_t)(s >> 32);
}

/*
 * The flow key hash (domain FLOW): the value rte_hash uses for the flow table
 * and the SYN cache. Loads the key as five 64-bit words through memcpy (the
 * caller has just built it with other stores; see flow_key_v4) and
 * multiplies each 32-bit half by its own coefficient.
 */
static inline uint32_t
keyed_hash_flow_key(const struct flow_key *k)
{
	const struct keyed_hash_coef *c = &keyed_hash_secret.dom[KH_DOM_FLOW];
	uint64_t w[sizeof(*k) / sizeof(uint64_t)];
	uint64_t s = c->b;
	unsigned int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < RTE_DIM(w); i++)
		s += c->a[2 * i] * (uint32_t)w[i] + c->a[2 * i + 1] * (w[i] >> 32);
	return (uint32_t)(s >> 32);
}

/*
 * flow_key_v4() and keyed_hash_flow_key() of the key it builds, at once:
 * the same value, from the four words that are not zero (six of the ten
 * products are by zero words; skipping them is ~4 cycles a TCP frame, see
 * synproxy_int.h seg_key).
 */
static inline uint32_t
keyed_hash_flow_key_v4(struct flow_key *k, uint32_t wan_addr, uint32_t lan_addr,
		       uint16_t wan_port, uint16_t lan_port, uint8_t proto)
{
	flow_key_v4(k, wan_addr, lan_addr, wan_port, lan_port, proto);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	const struct keyed_hash_coef *c = &keyed_hash_secret.dom[KH_DOM_FLOW];
	uint64_t s = c->b + c->a[0] * wan_addr + c->a[4] * lan_addr +
		     c->a[8] * ((uint32_t)wan_port | (uint32_t)lan_port << 16) +
		     c->a[9] * ((uint32_t)FLOW_AF_INET | (uint32_t)proto << 8);

	return (uint32_t)(s >> 32);
#else
	return keyed_hash_flow_key(k);
#endif
}

/* rte_hash_function for tables keyed by struct flow_key (key_len 40); the
 * init value is not used: the secret is the key. */
uint32_t keyed_hash_rte_flow_key(const void *key, uint32_t key_len, uint32_t init_val);

#endif
