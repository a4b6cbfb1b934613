/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server_opts.h - TCP options learned from the servers' SYN-ACKs, per worker.
 *
 * When the proxy answers a client's SYN itself it has to announce MSS, window
 * scale, SACK, timestamps and ECN before the server has said anything. The
 * first proxied connection to a server teaches us what that server really
 * offers; later SYNs for the same server (LAN address + port) announce that
 * instead of the configured defaults, so fewer connections need window
 * translation, and a client gets ECN only from a server known to do it
 * (fwd/ecn.h).
 *
 * The table is a small fixed-size cache, not a map: it may forget a server,
 * and the caller then falls back to the defaults. It is 2-way set
 * associative: a set is two 32-byte slots in one 64-byte cache line, chosen by
 * the process's keyed hash (keyed_hash.h, domain SERVER) of (family, address,
 * port), so nobody can compute servers that evict each other; the full tag
 * is compared, so an IPv4
 * address never matches the IPv6 address with the same leading bytes. A third
 * server hashing to a full set replaces the way learned longest ago (learning
 * refreshes learned_ms, so a busy server stays).
 *
 * Single writer, single reader (the owning lcore): no locks. Counters are
 * plain integers for telemetry.
 */
#ifndef SYNPROXY_SERVER_OPTS_H
#define SYNPROXY_SERVER_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "flow/flow_entry.h"
#include "flow/flow_key.h"
#include "flow/keyed_hash.h"

#define SERVER_OPTS_WAYS      2
#define SERVER_OPTS_MAX_SLOTS (1u << 24)
#define SERVER_OPTS_WSCALE_MAX  14    /* RFC 7323: larger shifts are used as 14 */

struct server_opts {
	uint16_t mss;
	uint8_t wscale;          /* 0..14, or TCP_WSCALE_NONE */
	uint8_t sack:1,
		ts:1,
		valid:1,
		ecn:1,           /* answered an ECN-setup SYN with ECE (RFC 3168) */
		silent:1;        /* nothing learned: a probe went unanswered (the rest is the
				  * defaults; fwd/synproxy_probe.c), so no probe until due */
	uint32_t learned_ms;     /* worker ms clock of the last SYN-ACK seen */
};

struct server_opts_slot {
	uint32_t addr[4];        /* LAN address, as in struct flow_key */
	uint16_t port;           /* LAN port, network order */
	uint8_t family;
	uint8_t reserved;
	struct server_opts o;    /* o.valid marks a used slot */
	uint32_t reserved2;
};

_Static_assert(sizeof(struct server_opts) == 8, "server_opts is 8 bytes");
_Static_assert(sizeof(struct server_opts_slot) * SERVER_OPTS_WAYS == RTE_CACHE_LINE_SIZE,
	       "a set is one cache line");

struct server_opts_stats {
	uint64_t learned;        /* learn calls */
	uint64_t replaced;       /* a different server evicted */
	uint64_t hits;
	uint64_t misses;
};

struct server_opts_table {
	struct server_opts_slot *slots;   /* nb_sets * SERVER_OPTS_WAYS */
	uint32_t set_mask;
	uint32_t nb_slots;
	int socket_id;
	struct server_opts_stats stats;
	char name[32];
};

/*
 * `slots` is rounded up to a power of two, at least SERVER_OPTS_WAYS and at
 * most SERVER_OPTS_MAX_SLOTS. NULL with rte_errno = EINVAL / ENOMEM.
 */
struct server_opts_table *server_opts_create(const char *name, uint32_t slots,
					     int socket);
void server_opts_free(struct server_opts_table *t);

/* Set the server (k->lan_addr, k->lan_port, k->family) belongs to. */
static inline uint32_t
server_opts_set_index(const struct server_opts_table *t, const struct flow_key *k)
{
	uint32_t x[5];

	/* memcpy: the caller may have just built k with other stores */
	memcpy(x, k->lan_addr, sizeof(k->lan_addr));
	x[4] = ((uint32_t)k->family << 16) | k->lan_port;
	return keyed_hash_words(KH_DOM_SERVER, x, RTE_DIM(x)) & t->set_mask;
}

static inline bool
server_opts_slot_match(const struct server_opts_slot *s, const struct flow_key *k)
{
	return s->o.valid && s->port == k->lan_port && s->family == k->family &&
	       memcmp(s->addr, k->lan_addr, sizeof(s->addr)) == 0;
}

/* Record what the server of k answered (sack/ts/ecn/wscale/mss of o; o->valid
 * and o->learned_ms are set here). */
void server_opts_learn(struct server_opts_table *t, const struct flow_key *k,
		       const struct server_opts *o, uint32_t now_ms);

/* Copy the options learned for k's server; false if unknown (the caller then
 * uses the configured defaults). */
static inline bool
server_opts_get(struct server_opts_table *t, const struct flow_key *k,
		struct server_opts *out)
{
	const struct server_opts_slot *set =
		&t->slots[server_opts_set_index(t, k) * SERVER_OPTS_WAYS];
	unsigned int w;

	for (w = 0; w < SERVER_OPTS_WAYS; w++) {
		if (server_opts_slot_match(&set[w], k)) {
			*out = set[w].o;
			t->stats.hits++;
			return true;
		}
	}
	t->stats.misses++;
	return false;
}

/* Drop what was learned for k's server (e.g. it stopped answering). */
void server_opts_forget(struct server_opts_table *t, const struct flow_key *k);

void server_opts_get_stats(const struct server_opts_table *t,
			   struct server_opts_stats *out);

/* State handover: call cb on every learned server (slot order), read-only;
 * a nonzero return stops the walk and is returned. Restore goes through
 * server_opts_learn() with now_ms set back by the entry's age. */
typedef int (*server_opts_visit_cb)(void *arg, const struct server_opts_slot *slot);
int server_opts_foreach(const struct server_opts_table *t, server_opts_visit_cb cb, void *arg);

#endif
