/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ratelimit.h - per-source-prefix SYN token buckets.
 *
 * Each client prefix (IPv4 masked to /v4_prefix, IPv6 to /v6_prefix) gets a
 * token bucket of `burst` tokens refilled at `rate` tokens per second; every
 * SYN the proxy answers costs one token, and a handshake that completes gives
 * it back (ratelimit_refund), so well-behaved clients are limited only by
 * their rate of half-open attempts.
 *
 * The table is fixed-size and 2-way set-associative: a keyed hash of the
 * masked prefix (multiply-shift with the process secret, keyed_hash.h) picks
 * the set and a 32-bit tag that tells the set's two buckets apart. A prefix that finds neither takes over
 * an empty bucket, or the one used least recently, starting with a full
 * bucket. Memory stays bounded, every operation is O(1) and allocation-free,
 * and since the hash key is random an attacker cannot aim prefixes at a
 * victim's set to reset its bucket. The price of a takeover is only that a
 * prefix may get a fresh burst now and then, never that it is starved.
 *
 * Tokens are kept in thousandths, refilled lazily from a millisecond clock:
 * elapsed_ms * rate thousandths exactly, so no fraction is lost however often
 * the bucket is touched. One instance per lcore; no locks.
 */
#ifndef SYNPROXY_RATELIMIT_H
#define SYNPROXY_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow_key.h"

#define RATELIMIT_BURST_MAX (UINT32_MAX / 1000)   /* tokens are kept in thousandths */

struct ratelimit_stats {
	uint64_t allowed;    /* SYNs that got a token */
	uint64_t limited;    /* SYNs refused */
	uint64_t refunded;   /* tokens given back by completed handshakes */
	uint64_t takeovers;  /* buckets reused by a new prefix (hash set full) */
};

struct ratelimit;

/*
 * slots: buckets in the table (rounded up to a power of two, at least 2).
 * rate: tokens per second (0 = burst only, never refilled). burst: bucket
 * depth, >= 1 (values above RATELIMIT_BURST_MAX are clamped to it).
 * v4_prefix 0..32, v6_prefix 0..128. Returns NULL on bad arguments or no
 * memory. name tags the rte_malloc allocation.
 */
struct ratelimit *ratelimit_create(const char *name, uint32_t slots, uint32_t rate,
				   uint32_t burst, uint8_t v4_prefix, uint8_t v6_prefix,
				   int socket);
void ratelimit_free(struct ratelimit *rl);

/*
 * Take a token for the WAN source of k (k->wan_addr and k->family; any family
 * other than FLOW_AF_INET is masked like IPv6). true = answer the SYN.
 */
bool ratelimit_allow(struct ratelimit *rl, const struct flow_key *k, uint64_t now_ms);

/*
 * The same with the limits given per call (a protected service's own rate and
 * burst, or the live-reloaded global ones) and the owner of the buckets: 0 =
 * the global buckets (the ones ratelimit_prefetch loads), else a service with
 * limits of its own, whose prefixes get buckets of their own (same table). A
 * prefix limited on one service is then not limited on another. burst >= 1
 * (clamped to RATELIMIT_BURST_MAX).
 */
bool ratelimit_allow_with(struct ratelimit *rl, const struct flow_key *k, uint16_t owner,
			  uint32_t rate, uint32_t burst, uint64_t now_ms);

/* Start loading k's bucket set (call a little before ratelimit_allow). */
void ratelimit_prefetch(struct ratelimit *rl, const struct flow_key *k);

/* Give one token back (capped at burst), if the prefix still has its bucket. */
void ratelimit_refund(struct ratelimit *rl, const struct flow_key *k);
void ratelimit_refund_with(struct ratelimit *rl, const struct flow_key *k, uint16_t owner,
			   uint32_t burst);

void ratelimit_stats_get(const struct ratelimit *rl, struct ratelimit_stats *st);

/*
 * Top talkers. Every SYN ratelimit_allow* refuses is counted for its prefix's
 * bucket; ratelimit_note_drop counts `weight` more dropped SYNs of k's prefix
 * (bad checksum, denied source, an ACK with a bad cookie: the caller samples
 * them, see synproxy_int.h) in the global bucket if the prefix has one or an
 * empty one is free - it never evicts a bucket. The count lives beside the
 * bucket and restarts when a new prefix takes it.
 */
void ratelimit_note_drop(struct ratelimit *rl, const struct flow_key *k, uint32_t weight);

struct ratelimit_talker {
	uint32_t slot;        /* bucket index: the same prefix stays in one slot until taken over */
	uint32_t tag;         /* the prefix's tag: a new tag in a slot is a new prefix */
	uint32_t drops;       /* SYN drops counted since the prefix got the slot (wraps) */
	uint32_t addr[4];     /* masked prefix, network order (IPv4 in addr[0]) */
	uint8_t family;       /* FLOW_AF_INET or FLOW_AF_INET6 */
	uint8_t plen;
};

/*
 * Copy the slots that counted drops (at most max) into out; returns how many.
 * For another lcore while the owner runs: no lock; a slot being rewritten at
 * that moment is left out, a count may be a few drops stale.
 */
uint32_t ratelimit_talkers(const struct ratelimit *rl, struct ratelimit_talker *out, uint32_t max);
uint32_t ratelimit_slots(const struct ratelimit *rl);

#endif
