/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_int.h - what the SYN proxy's stages share, and nothing else.
 *
 * The proxy is split along the way a connection goes (see synproxy.c):
 *   synproxy.c            lifecycle and the burst step (classify, look up, dispatch)
 *   synproxy_handshake.c  client SYN, client ACK, server SYN-ACK
 *   synproxy_flow.c       one handler per flow state: tracking and translation
 *   synproxy_pending.c    SYN retransmission, expiry, housekeeping
 *   synproxy_limits.c     per source prefix caps on flows and half-open handshakes
 *   synproxy_probe.c      a server's options learned before a client is answered
 *   synproxy_out.h        one builder per segment the proxy itself sends
 *   icmp_err.c            ICMP/ICMPv6 errors quoting a proxied connection
 * Everything per packet here is inline; the stages get the transmit sink and
 * the clocks from the burst step, never from the worker above.
 */
#ifndef SYNPROXY_FWD_SYNPROXY_INT_H
#define SYNPROXY_FWD_SYNPROXY_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "txbuf.h"
#include "flow/flow_table.h"
#include "flow/prefix_limits.h"
#include "flow/server_opts.h"
#include "fwd/csum.h"
#include "fwd/sp_runtime.h"
#include "fwd/tcp_opts.h"
#include "fwd/synproxy.h"
#include "policy/policy.h"
#include "syncookie/cookie.h"
#include "syncookie/ratelimit.h"
#include "syncookie/syn_policy.h"

#define TCP_FLAGS_MASK (RTE_TCP_FIN_FLAG | RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG)
#define EXPIRE_BUDGET   64
#define PENDING_BUDGET  SYNPROXY_HK_TX_MAX   /* each slot may retransmit once */
#define CACHE_BUDGET    32
#define WIN_MIN_TRACK   65535u   /* window tolerance before any window was seen */
/* Challenge ACKs (RFC 5961 §7): at most one per flow per this many units
 * of flow_chal_clock (16 ms): 512 ms, Linux's tcp_invalid_ratelimit. */
#define CHALLENGE_ACK_GAP 32u

/* The L2 header of a SYN to a server: Ethernet and up to PKT_MAX_VLAN tags. */
#define PENDING_L2_MAX (RTE_ETHER_HDR_LEN + PKT_MAX_VLAN * 4)

/* What a SYN retransmission needs beyond its flow (synproxy_pending.c): no
 * mbuf is held between retransmissions. */
struct pending_syn {
	uint32_t flow_idx;
	uint32_t next_ms;        /* when to retransmit */
	uint16_t win;            /* the SYN's window */
	uint8_t l2_len;          /* 0: slot free */
	uint8_t l2[PENDING_L2_MAX];
};
_Static_assert(sizeof(struct pending_syn) == 36, "the design comment of synproxy_pending.c says 36");

/* A client SYN kept while its server is probed (synproxy_probe.c). The
 * service is copied: the policy it came from is only valid during a burst. */
struct probe {
	struct rte_mbuf *syn;        /* the client's SYN; NULL: slot free */
	struct pkt_meta mt;          /* its parse */
	struct flow_key key;         /* the client's tuple (= the probe's) */
	uint32_t isn;                /* the probe SYN's sequence number */
	uint32_t deadline_ms;        /* now_ms past which the probe is sent again, or after
				      * the last try the client gets the defaults */
	uint8_t tries;               /* probe SYNs sent (at most SYNPROXY_PROBE_TRIES) */
	bool use_cache;              /* the SYN policy's verdict when the SYN came */
	struct policy_service svc;   /* the service's settings when the SYN came */
};

/* The probes of a worker: slots, and what the checks scan before a slot is
 * touched (a SYN on the flood path reads one filter byte). */
struct probe_table {
	uint8_t filter[1024];                    /* probes in flight by tuple hash >> 22 */
	uint32_t hash[SYNPROXY_PROBE_MAX];       /* tuple hash of each slot (stale when free) */
	uint32_t srv[SYNPROXY_PROBE_MAX];        /* server:port digest of each slot (ditto) */
	struct probe slot[SYNPROXY_PROBE_MAX];
};

struct synproxy_lcore {
	/* hot */
	struct flow_table *flows;
	const struct cookie_secrets *secrets;
	struct syn_cache *cache;
	struct ratelimit *rl;
	struct server_opts_table *learned;
	struct prefix_limits *limits;   /* NULL: no per-prefix caps */
	struct rte_mempool *mp;
	struct cookie_mss_table mss_table;
	struct syn_policy policy;
	uint32_t now_ms;         /* the caller's clocks, set by each call */
	uint32_t now_sec;
	bool tx_offload[ROLE_MAX];
	/* live settings: applied from *rt_slot when its generation changes */
	struct sp_runtime *const *rt_slot;   /* NULL: the create-time settings, all protected */
	uint64_t rt_gen;
	const struct policy *pol;   /* valid during a burst only (RCU); NULL: all protected */
	bool pol_sources;           /* allow/deny lists not empty: look sources up */
	bool pol_services;          /* services configured: look destinations up */
	bool svc_limits;            /* a service has caps of its own (synproxy_limits.c) */
	uint32_t lim_flows, lim_half_open;   /* synproxy.limits (0 = none): a service's fallback */
	bool rl_on;
	uint32_t talk_tick;         /* top-talker sampling (talk_drop) */
	struct policy_service dflt; /* the global settings as a service (no policy) */
	uint16_t default_mss;
	uint8_t default_wscale;
	bool default_sack, default_ts;
	uint32_t retx_ms;
	uint8_t retries;
	uint32_t cache_max_age_ms;
	bool probe_on;           /* synproxy.probe */
	uint32_t probe_ms;       /* timeouts.probe_ms */
	uint32_t reprobe_ms;     /* timeouts.reprobe, ms */
	/* probes in flight (synproxy_probe.c): n_probes used slots of SYNPROXY_PROBE_MAX */
	struct probe_table *probes;
	uint32_t n_probes;
	uint32_t probe_next_ms;  /* no deadline before this */
	/* SYNs to servers, kept for retransmission (synproxy_pending.c) */
	struct pending_syn *pend;
	uint32_t *pend_free;
	uint32_t pend_cap, pend_nfree, pend_hand;

	/* frames dropped in this burst, freed together at its end */
	struct rte_mbuf *drops[MAX_BURST];
	uint16_t n_drops;

	struct synproxy_stats stats;
};

/* A TCP segment being decided on: its frame, parse metadata and header fields. */
struct seg {
	struct rte_mbuf *m;
	const struct pkt_meta *mt;
	uint8_t *l3;
	struct rte_tcp_hdr *th;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t plen;           /* payload bytes */
	uint8_t flags;           /* SYN/ACK/FIN/RST only */
	uint8_t src;             /* enum policy_src of a WAN segment's source (set by classify) */
};

static inline void
seg_init(struct seg *s, struct rte_mbuf *m, const struct pkt_meta *mt)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	s->m = m;
	s->mt = mt;
	s->l3 = f + mt->l3_off;
	s->th = (struct rte_tcp_hdr *)(f + mt->l4_off);
	s->seq = rte_be_to_cpu_32(s->th->sent_seq);
	s->ack = rte_be_to_cpu_32(s->th->recv_ack);
	s->win = rte_be_to_cpu_16(s->th->rx_win);
	s->plen = mt->l4_len - mt->tcp_hlen;
	s->flags = mt->tcp_flags & TCP_FLAGS_MASK;
}

/* The flow key: always client (WAN side) first. Returns its hash in the
 * flow table (flow_table_hash), computed with the key: an IPv4 key's zero
 * words need no products (keyed_hash_flow_key_v4). */
static inline uint32_t
seg_key(const struct seg *s, enum port_role in, struct flow_key *k)
{
	const uint16_t *ports = (const uint16_t *)s->th;
	uint16_t sp = ports[0], dp = ports[1];

	if (s->mt->l3 == PKT_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)s->l3;
		if (in == ROLE_WAN)
			return keyed_hash_flow_key_v4(k, ip->src_addr, ip->dst_addr, sp, dp,
						      IPPROTO_TCP);
		return keyed_hash_flow_key_v4(k, ip->dst_addr, ip->src_addr, dp, sp, IPPROTO_TCP);
	}
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)s->l3;
	if (in == ROLE_WAN)
		flow_key_v6(k, ip->src_addr, ip->dst_addr, sp, dp, IPPROTO_TCP);
	else
		flow_key_v6(k, ip->dst_addr, ip->src_addr, dp, sp, IPPROTO_TCP);
	return keyed_hash_flow_key(k);
}

/* Verify the TCP checksum (hardware verdict when the port gave one). The
 * pseudo header uses the real L4 length so IPv6 extension headers are fine. */
static inline bool
seg_csum_ok(const struct seg *s)
{
	uint64_t ck = s->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	uint16_t len = s->mt->l4_len;
	uint64_t sum = s->mt->l3 == PKT_L3_IPV4
		? csum_tcp_pseudo(&((const struct rte_ipv4_hdr *)s->l3)->src_addr, 8, len)
		: csum_tcp_pseudo(((const struct rte_ipv6_hdr *)s->l3)->src_addr, 32, len);
	sum = csum_raw(s->th, len, sum);
	return csum_fold64(sum) == 0xffff;
}

static inline bool
in_window(uint32_t seq, uint32_t end, uint32_t win)
{
	if (win < WIN_MIN_TRACK)
		win = WIN_MIN_TRACK;
	return (uint32_t)(seq - (end - win)) <= 2 * win;
}

/* The ACK check (RFC 5961 §5): ack acknowledges nothing the peer has not
 * sent (beyond peer_end, its highest seq + len) and nothing older than two of
 * the acker's windows below it (what the peer may have in flight, and an ACK
 * reordered behind it). win is the acker's largest window, scaled bytes;
 * modular, so it holds across sequence wraparound. */
static inline bool
ack_in_window(uint32_t ack, uint32_t peer_end, uint32_t win)
{
	if (win < WIN_MIN_TRACK)
		win = WIN_MIN_TRACK;
	return (uint32_t)(peer_end - ack) <= 2 * win;
}

static inline uint32_t
scaled(uint16_t win, uint8_t ws)
{
	return (uint32_t)win << (ws == TCP_WSCALE_NONE ? 0 : ws);
}

/* Per-prefix caps (synproxy_limits.c). dom: the counting domain, 0 or the
 * service's own (svc->limits_dom). */
bool limits_admit(struct synproxy_lcore *sp, struct seg *s, const struct flow_key *k,
		  const struct policy_service *svc, uint16_t dom);
/* k: the flow's key when the caller has it, else NULL (read from the table). */
void limits_half_open_done(struct synproxy_lcore *sp, const struct flow_key *k,
			   struct flow_entry *fe);
void limits_release(struct synproxy_lcore *sp, const struct flow_key *k, struct flow_entry *fe);

/* The one way to change a flow's state: a proxied flow leaving SYN_SENT,
 * whichever way, stops counting as half-open for its prefix. k: the flow's
 * key if the caller has it (saves reading it back from the table), or NULL. */
static inline void
set_state_k(struct synproxy_lcore *sp, struct flow_entry *fe, enum flow_state st,
	    const struct flow_key *k)
{
	if (unlikely(fe->state == FLOW_S_SYN_SENT) && st != FLOW_S_SYN_SENT &&
	    (fe->flags & FLOW_F_PROXIED) && sp->limits != NULL)
		limits_half_open_done(sp, k, fe);
	flow_table_set_state(sp->flows, fe, st);
}

static inline void
set_state(struct synproxy_lcore *sp, struct flow_entry *fe, enum flow_state st)
{
	set_state_k(sp, fe, st, NULL);
}

/* Drop a frame, counted once in the counter that says why (the rule is in
 * synproxy.h); freed in bulk when the burst is done. */
static inline void
drop(struct synproxy_lcore *sp, struct rte_mbuf *m, uint64_t *counter)
{
	(*counter)++;
	sp->drops[sp->n_drops++] = m;
}

/* The rate-limit buckets a service's SYNs use: the global ones (0) unless
 * its limits differ from the global limits (ratelimit.h). */
static inline uint16_t
rl_owner(const struct synproxy_lcore *sp, const struct policy_service *svc)
{
	return svc->ratelimit_rate == sp->dflt.ratelimit_rate &&
	       svc->ratelimit_burst == sp->dflt.ratelimit_burst ? 0 : (uint16_t)(svc->id + 1);
}

/*
 * A dropped SYN (bad checksum, denied) or bad-cookie ACK for the top talkers:
 * one in TALK_SAMPLE is counted, TALK_SAMPLE times (a prefix that floods shows
 * after a few hundred drops; the sampling keeps a random-source flood at ~2
 * cycles a packet instead of ~35 at 1 in 16). The rate limiter's own
 * drops are all counted (their bucket is at hand); these would cost a bucket
 * lookup each, a cache miss per packet in a spoofed flood.
 */
#define TALK_SAMPLE 256u
static inline void
talk_drop(struct synproxy_lcore *sp, const struct flow_key *k)
{
	if (sp->rl_on && (++sp->talk_tick & (TALK_SAMPLE - 1)) == 0)
		ratelimit_note_drop(sp->rl, k, TALK_SAMPLE);
}

/* Stages, each in its own file. */
void wan_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
	     const struct flow_key *k, uint32_t hash, const struct policy_service *svc);
/* The SYN-ACK to a client SYN already checked and counted by wan_syn, with
 * the options known for its server now (a probe's deferred answer). */
void syn_answer(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		const struct flow_key *k, const struct policy_service *svc, bool use_cache);
/* Learn k's server from its SYN-ACK options o (and ECN flags), given what the
 * SYN asked: the one learning rule, for handshakes and probes alike. */
void learn_server(struct synproxy_lcore *sp, const struct flow_key *k, const struct tcp_opts *o,
		  bool asked_wscale, bool asked_sack, bool asked_ts, bool ecn_asked, bool ecn_yes);
void wan_handshake_ack(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		       const struct flow_key *k, uint32_t hash);
void lan_server_synack(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		       const struct flow_key *k, struct flow_entry *fe);
void flow_segment(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		  const struct flow_key *k, struct flow_entry *fe, enum port_role in);
void lan_new(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
	     const struct flow_key *k, uint32_t hash);
void wan_passthrough_new(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
			 const struct flow_key *k, uint32_t hash, uint64_t *counter);

/* The service protecting k's server side: the policy's, or the global
 * settings when no policy is attached; NULL = not protected. */
static inline const struct policy_service *
sp_service_of(const struct synproxy_lcore *sp, const struct flow_key *k)
{
	if (likely(!sp->pol_services))
		return &sp->dflt;
	return policy_service(sp->pol, k->family, k->lan_addr, k->lan_port);
}

/* Apply *sp->rt_slot if a reload published a new generation (synproxy.c). */
void sp_runtime_sync(struct synproxy_lcore *sp);

/* The counting domain of a new proxied flow to svc (NULL: unprotected, or
 * not looked up because no service has caps of its own). */
static inline uint16_t
limits_dom_of(const struct policy_service *svc)
{
	return svc != NULL ? svc->limits_dom : 0;
}

/* A service's MSS default for a key of this family: the setting is for
 * IPv4 over the MTU; IPv6 headers are 20 bytes longer. */
static inline uint16_t
svc_mss_for(const struct policy_service *svc, uint8_t family)
{
	return family == FLOW_AF_INET6 && svc->mss > 20 + 536 ? svc->mss - 20 : svc->mss;
}

/* Pending SYNs and flow removal (synproxy_pending.c). syn is the SYN just
 * built for the server (out_syn_to_server), win its window. */
void pending_keep(struct synproxy_lcore *sp, struct flow_entry *fe, const struct rte_mbuf *syn,
		  uint16_t win);
void pending_release(struct synproxy_lcore *sp, struct flow_entry *fe);
void flow_release(struct synproxy_lcore *sp, struct flow_entry *fe);
/* The same with the flow's key and table hash at hand (no read back). */
void flow_release_key(struct synproxy_lcore *sp, struct flow_entry *fe, const struct flow_key *k,
		      uint32_t hash);

/* Probes (synproxy_probe.c). */
bool probe_dup_syn(const struct synproxy_lcore *sp, const struct flow_key *k, uint32_t hash);
bool probe_start(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		 const struct flow_key *k, uint32_t hash, const struct policy_service *svc,
		 bool use_cache);
bool lan_probe_answer(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		      const struct flow_key *k, uint32_t hash);
void probe_expire(struct synproxy_lcore *sp, struct tx_sink *tx);
void probe_free_all(struct synproxy_lcore *sp);

#endif
