/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * top.h - top talkers: the source prefixes with the most SYNs dropped in the
 * last interval (rate-limited, bad cookie, bad checksum, denied).
 *
 * Why this shape: the workers already keep a bucket per source prefix (the
 * rate limiter); each counts the SYN drops of its prefix beside the bucket
 * (ratelimit.h), with no lock and no extra work for prefixes that drop
 * nothing. The control lcore samples every worker's table once per interval,
 * takes per-slot differences from the previous sample (a slot taken over by
 * another prefix starts again from its own count), adds up the same prefix
 * across workers (RSS spreads one prefix over several) and keeps the largest.
 * Telemetry reads the last result. A counter read while its worker writes it
 * is at worst a few drops stale; a slot being rewritten is skipped once.
 */
#ifndef SYNPROXY_TOP_H
#define SYNPROXY_TOP_H

#include <stddef.h>
#include <stdint.h>

#define TOP_MAX        64    /* entries kept per interval */
#define TOP_INTERVAL_S 10    /* seconds per interval */

struct ratelimit;

struct top_entry {
	uint32_t addr[4];      /* masked prefix, network order (IPv4 in addr[0]) */
	uint8_t family;        /* 4 or 6 */
	uint8_t plen;
	uint64_t drops;        /* SYN drops in the interval */
};

/*
 * Merge entries of the same prefix (summing drops), then put the n largest
 * in out, most drops first (ties: lower address first). e is reordered.
 * Returns how many went to out.
 */
unsigned top_aggregate(struct top_entry *e, size_t ne, struct top_entry *out, unsigned n);

struct top_tracker;

/* For nb tables of slots[i] buckets each (slots[i] 0: that table is absent). */
struct top_tracker *top_tracker_create(unsigned nb, const uint32_t *slots);
void top_tracker_free(struct top_tracker *t);

/*
 * One interval: the drops of each table since the previous call, aggregated,
 * the n largest into out. tables[i] may be NULL. Returns how many.
 */
unsigned top_tracker_sample(struct top_tracker *t, const struct ratelimit *const *tables,
			    struct top_entry *out, unsigned n);

/* The last interval's result, for telemetry (any thread). */
void top_publish(const struct top_entry *e, unsigned n, uint64_t end_unix);
unsigned top_get(struct top_entry *out, unsigned n, uint64_t *end_unix);

/* "198.18.0.0/24" */
void top_format_prefix(const struct top_entry *e, char *buf, size_t len);

#endif
