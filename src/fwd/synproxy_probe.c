/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_probe.c - learn a server's options before promising them.
 *
 * Why: the proxy answers a client's SYN before the server has said a word,
 * so it must promise options (timestamps, SACK, window scale) on the
 * server's behalf. Promised from defaults to a server that lacks one, the
 * promise breaks for the whole connection: the client gets segments without
 * the timestamps it was told to expect (RFC 7323 says drop them), or no SACK
 * blocks on an upload it was told would have them. So when a server:port is
 * unknown, or its learned entry is due (timeouts.reprobe), and the proxy is
 * not under attack, the client is not answered at once:
 *
 *   client SYN  -> kept; the proxy sends its own probe SYN to the server on
 *                  the client's tuple, with a fresh random ISN and every
 *                  option it wants to know (MSS, window scale, SACK-permitted,
 *                  timestamps, ECE|CWR)                             probe_sent
 *   SYN-ACK     -> (ack = probe ISN + 1, checksum good) the server is learned
 *                  (learn_server, the same rule as a real handshake), the
 *                  probe reset (RST, seq = probe ISN + 1) and the kept SYN
 *                  answered by syn_answer with the fresh entry: one LAN round
 *                  trip later than an immediate answer         probe_answered
 *   RST         -> (ack = probe ISN + 1) the port is closed: the client gets
 *                  the RST a bridge would have let through; the server:port
 *                  is marked silent (below)                    probe_refused
 *   nothing     -> the probe SYN is sent again (SYNPROXY_PROBE_TRIES in all, spread
 *                  over timeouts.probe_ms: a lost SYN or SYN-ACK is not a
 *                  reason to promise from the defaults)            probe_retx
 *                  after the last try the probe is reset (RST, in case
 *                  only the SYN-ACK was lost) and the client answered with the
 *                  defaults; the server:port is marked silent, and not probed
 *                  again before timeouts.reprobe                probe_timeout
 * A second SYN on the tuple of a probe in flight is dropped (probe_dup_syn):
 * it never replaces the kept one (the client's retransmission is answered
 * by the first). Other clients of the same server:port are answered at
 * once with what is known. SYN-ACKs and RSTs that fail the checks are
 * dropped (probe_bad): from the LAN they are as forgeable as anything, and
 * a probe's SYN-ACK must never reach the client.
 *
 * The safety bound: a probe is sent only (1) when the SYN policy's own
 * judgement (syn_policy.h: SYN rate at or above auto_syn_rate, or the SYN
 * cache at auto_cache_fill_pct) says no attack - in every mode, a forced
 * cookie or cache mode included, since the rate estimate runs for every SYN;
 * (2) when no probe is in flight for that server:port; (3) when the server:port
 * is unknown or due, and every probe that ends makes it known for
 * timeouts.reprobe (answered: learned; refused or unanswered: marked
 * silent); (4) within SYNPROXY_PROBE_MAX slots per worker. So a spoofed
 * flood reaches a server:port through probes at most once per
 * timeouts.reprobe (or per eviction of its learned entry), and only while the SYN rate is still below the
 * threshold; once it is over, not at all. A flood to one server costs it
 * one probe, a flood across many servers at most SYNPROXY_PROBE_MAX in
 * flight per worker (each a half-open connection, reset as soon as the
 * server answers); clients beyond the cap are answered as before. The
 * cost on the flood path is one compare (under_attack).
 *
 * State: a slot per probe in a fixed array of SYNPROXY_PROBE_MAX (64): the
 * client's SYN mbuf and its parse, its key, the probe ISN, the deadline and
 * a copy of the service settings (the policy is only valid during a burst).
 * Keeping the mbuf rather than parsed fields: the deferred answer then goes
 * through exactly the code that answers SYNs today (same cookie, cache and
 * options logic, in the same frame), and needs no allocation when the
 * server answers. 64 slots: a probe is needed once per new server:port per
 * reprobe interval, and beyond 64 in flight per worker clients are simply
 * answered as before; the pool check (config_pool_need) counts the 64 mbufs.
 * What a SYN pays while probes are out: one byte of a 1024-entry filter
 * (probes by tuple hash, keyed: nobody can aim at it); on a hit (6% of SYNs
 * with all 64 slots used), 64 hashes (four cache lines) are compared before
 * any slot is read. With no probe out, one compare of
 * n_probes.
 * Every slot ends within timeouts.probe_ms (answered, refused, or timed out
 * in housekeeping); at shutdown the kept SYNs are freed. Probes are not in a
 * handover's state: a client whose SYN was kept retransmits it. A reload
 * keeps them (they answer with the settings of their SYN's time, as an
 * answer sent just before the reload would have).
 *
 * Residual: a server that changes its options between connections is
 * relearned by the next probe (due after timeouts.reprobe) and by every real
 * handshake's SYN-ACK; connections promised before that still carry the
 * old promise (the proxy does not insert options the server lacks).
 */
#include <rte_random.h>

#include "fwd/ecn.h"
#include "fwd/synproxy_int.h"
#include "fwd/synproxy_out.h"
#include "fwd/tcp_opts.h"

static inline bool
same_server(const struct flow_key *a, const struct flow_key *b)
{
	return a->family == b->family && a->lan_port == b->lan_port &&
	       memcmp(a->lan_addr, b->lan_addr, sizeof(a->lan_addr)) == 0;
}

/* A digest of k's server:port, to scan before comparing keys. */
static inline uint32_t
server_digest(const struct flow_key *k)
{
	return (k->lan_addr[0] ^ k->lan_addr[1] ^ k->lan_addr[2] ^ k->lan_addr[3]) +
	       ((uint32_t)k->lan_port << 8 | k->family);
}

static inline uint32_t
filter_idx(uint32_t hash)
{
	return hash >> 22;   /* 1024 entries: with 64 probes out, 6% of SYNs scan */
}

/* The slot of tuple k, or -1: one byte read when no probe shares the
 * filter entry, else a scan of 64 hashes (256 bytes) and a key compare. */
static int
probe_find(const struct synproxy_lcore *sp, const struct flow_key *k, uint32_t hash)
{
	const struct probe_table *t = sp->probes;
	if (t->filter[filter_idx(hash)] == 0)
		return -1;
	for (int i = 0; i < SYNPROXY_PROBE_MAX; i++)
		if (t->hash[i] == hash && t->slot[i].syn != NULL &&
		    memcmp(&t->slot[i].key, k, sizeof(*k)) == 0)
			return i;
	return -1;
}

/* Not inlined (LTO would): the SYN path stays as compact as without probes. */
__rte_noinline bool
probe_dup_syn(const struct synproxy_lcore *sp, const struct flow_key *k, uint32_t hash)
{
	return probe_find(sp, k, hash) >= 0;
}

/* The kept SYN of slot p as a segment again (its frame is untouched). */
static inline void
probe_seg(struct probe *p, struct seg *s)
{
	seg_init(s, p->syn, &p->mt);
	s->src = POLICY_SRC_NONE;
}

static inline void
probe_release(struct synproxy_lcore *sp, int i)
{
	struct probe_table *t = sp->probes;
	t->slot[i].syn = NULL;
	t->filter[filter_idx(t->hash[i])]--;
	sp->n_probes--;
}

/* A new frame holding the client SYN's L2 header (client -> server), for a
 * segment the proxy sends to the server on the client's tuple; NULL (counted
 * alloc_fail) when the pool is dry. */
static struct rte_mbuf *
probe_frame(struct synproxy_lcore *sp, const struct seg *s)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sp->mp);
	uint16_t l2 = s->mt->l3_off;
	char *d = m != NULL ? rte_pktmbuf_append(m, l2) : NULL;
	if (d == NULL) {
		rte_pktmbuf_free(m);   /* NULL-safe */
		sp->stats.alloc_fail++;
		return NULL;
	}
	memcpy(d, rte_pktmbuf_mtod(s->m, const void *), l2);
	return m;
}

/* The time between two probe SYNs, and after the last one: the tries
 * spread over timeouts.probe_ms (at least 10 ms, so at least 3 ms each). */
static inline uint32_t
probe_step(const struct synproxy_lcore *sp)
{
	return sp->probe_ms / SYNPROXY_PROBE_TRIES;
}

/* Accepts: a checked, counted client SYN whose server (k) wants a probe,
 * outside an attack. Takes the frame and returns true when a probe went out
 * (probe_sent); false (the caller answers at once) when one is in flight for
 * the server, no slot is free, or no mbuf (alloc_fail). */
__rte_noinline bool
probe_start(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	    uint32_t hash, const struct policy_service *svc, bool use_cache)
{
	struct probe_table *t = sp->probes;
	uint32_t srv = server_digest(k);
	int free_slot = -1;

	if (sp->n_probes >= SYNPROXY_PROBE_MAX)
		return false;
	for (int i = 0; i < SYNPROXY_PROBE_MAX; i++) {
		if (t->slot[i].syn == NULL) {
			if (free_slot < 0)
				free_slot = i;
		} else if (t->srv[i] == srv && same_server(&t->slot[i].key, k)) {
			return false;   /* one in flight per server:port */
		}
	}
	if (free_slot < 0)
		return false;
	struct rte_mbuf *m = probe_frame(sp, s);
	if (m == NULL)
		return false;

	struct probe *p = &t->slot[free_slot];
	p->syn = s->m;
	p->mt = *s->mt;
	p->key = *k;
	p->isn = (uint32_t)rte_rand();
	p->deadline_ms = sp->now_ms + probe_step(sp);
	p->tries = 1;
	p->use_cache = use_cache;
	p->svc = *svc;
	t->hash[free_slot] = hash;
	t->srv[free_slot] = srv;
	t->filter[filter_idx(hash)]++;
	if (sp->n_probes++ == 0 || (int32_t)(p->deadline_ms - sp->probe_next_ms) < 0)
		sp->probe_next_ms = p->deadline_ms;
	sp->stats.probe_sent++;
	out_probe_syn_to_server(sp, tx, m, s, p);
	return true;
}

/* Nothing learned from p's server (no answer, or a refusal): no probe for
 * it before timeouts.reprobe; meanwhile its clients get the defaults. */
static void
probe_mark_silent(struct synproxy_lcore *sp, const struct probe *p)
{
	struct server_opts silent = {
		.mss = p->svc.mss, .wscale = p->svc.wscale, .sack = p->svc.sack,
		.ts = p->svc.timestamps, .silent = 1,
	};
	server_opts_learn(sp->learned, &p->key, &silent, sp->now_ms);
}

/* Accepts: a LAN segment with no flow while probes are out. Returns false
 * (not a probe's: the caller goes on) unless it is a SYN-ACK or RST on the
 * tuple of a probe in flight; then it is consumed: a good SYN-ACK counts
 * probe_answered (the server learned, the probe reset, the client answered),
 * a good RST probe_refused (the client reset), anything else probe_bad
 * (dropped; the probe stays). */
__rte_noinline bool
lan_probe_answer(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		 const struct flow_key *k, uint32_t hash)
{
	uint8_t f = s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG);
	bool synack = f == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	if (!synack && !(f & RTE_TCP_RST_FLAG))
		return false;
	int i = probe_find(sp, k, hash);
	if (i < 0)
		return false;
	struct probe *p = &sp->probes->slot[i];
	struct tcp_opts o;
	if (s->ack != p->isn + 1 || !(s->flags & RTE_TCP_ACK_FLAG) || !seg_csum_ok(s) ||
	    (synack && tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0)) {
		drop(sp, s->m, &sp->stats.probe_bad);
		return true;
	}
	struct seg cs;
	probe_seg(p, &cs);
	if (!synack) {
		/* Closed port: what the server's RST would have told the client.
		 * Nothing learned: silent until due, so a closed port is not
		 * probed once per client (the next ones are answered at once and
		 * reset by the server through their handshake, as before). */
		probe_mark_silent(sp, p);
		drop(sp, s->m, &sp->stats.probe_refused);
		out_rst_probe_refused_to_client(sp, tx, &cs);
		probe_release(sp, i);
		return true;
	}
	learn_server(sp, k, &o, true, true, true, true, ecn_synack_agrees(s->mt->tcp_flags));
	sp->stats.probe_answered++;
	out_probe_rst_to_server(sp, tx, s, p);   /* the SYN-ACK's frame */
	syn_answer(sp, tx, &cs, &p->key, &p->svc, p->use_cache);
	probe_release(sp, i);
	return true;
}

/* Housekeeping: a probe past its deadline is sent again (SYNPROXY_PROBE_TRIES in
 * all, probe_retx; without a frame or LAN room that try is skipped, so a
 * probe still ends within about timeouts.probe_ms);
 * after the last try its client is answered with the defaults and the
 * server marked silent (probe_timeout; only while the WAN queue has room:
 * the kept SYN is the frame). The slots are scanned only once the earliest
 * deadline has passed. */
void
probe_expire(struct synproxy_lcore *sp, struct tx_sink *tx)
{
	if ((int32_t)(sp->now_ms - sp->probe_next_ms) <= 0)
		return;
	uint32_t next = sp->now_ms + sp->probe_ms;
	struct seg cs;
	for (int i = 0; i < SYNPROXY_PROBE_MAX && sp->n_probes != 0; i++) {
		struct probe *p = &sp->probes->slot[i];
		if (p->syn == NULL)
			continue;
		if ((int32_t)(sp->now_ms - p->deadline_ms) <= 0 || tx_sink_room(tx, ROLE_WAN) == 0) {
			if ((int32_t)(p->deadline_ms - next) < 0)
				next = p->deadline_ms;   /* not due, or no room: later */
			continue;
		}
		probe_seg(p, &cs);
		if (p->tries < SYNPROXY_PROBE_TRIES) {
			struct rte_mbuf *m = tx_sink_room(tx, ROLE_LAN) != 0 ? probe_frame(sp, &cs) : NULL;
			if (m != NULL) {
				out_probe_syn_to_server(sp, tx, m, &cs, p);
				sp->stats.probe_retx++;
			}
			p->tries++;   /* a try without a frame or room counts: every probe ends */
			p->deadline_ms = sp->now_ms + probe_step(sp);
			if ((int32_t)(p->deadline_ms - next) < 0)
				next = p->deadline_ms;
			continue;
		}
		probe_mark_silent(sp, p);
		sp->stats.probe_timeout++;
		/* The probe SYN may have reached the server and only its SYN-ACK
		 * been lost: reset the half-open probe now, or the client's real
		 * SYN on the same tuple meets it and waits a retransmission. A
		 * RST for a connection the server never saw is ignored by it. */
		struct rte_mbuf *rst = tx_sink_room(tx, ROLE_LAN) != 0 ? probe_frame(sp, &cs) : NULL;
		if (rst != NULL)
			out_probe_rst_on_timeout(sp, tx, rst, &cs, p);
		syn_answer(sp, tx, &cs, &p->key, &p->svc, p->use_cache);
		probe_release(sp, i);
	}
	sp->probe_next_ms = next;
}

/* Shutdown: the kept SYNs go back to the pool. */
void
probe_free_all(struct synproxy_lcore *sp)
{
	if (sp->probes == NULL)
		return;
	for (int i = 0; i < SYNPROXY_PROBE_MAX; i++)
		if (sp->probes->slot[i].syn != NULL) {
			rte_pktmbuf_free(sp->probes->slot[i].syn);
			probe_release(sp, i);
		}
}
