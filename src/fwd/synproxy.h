/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy.h - the per-worker SYN proxy: the decide/rewrite step of the loop.
 *
 * See synproxy.c for the state machine and synproxy_int.h for its files.
 * The worker calls synproxy_process_burst() with frames from one port,
 * parsed, a transmit sink and its clocks; every frame comes out queued on
 * the sink (bridged, answered or rewritten) or freed and counted.
 * synproxy_housekeeping() runs once per loop: SYN retransmissions, flow and
 * cache expiry, each with a small budget so the loop never stalls. The proxy
 * depends on nothing above it: no worker, no port, no global.
 */
#ifndef SYNPROXY_FWD_SYNPROXY_H
#define SYNPROXY_FWD_SYNPROXY_H

#include <stdint.h>
#include <rte_mbuf.h>

#include "common.h"
#include "config.h"
#include "parse.h"
#include "txbuf.h"

struct synproxy_lcore;
struct cookie_secrets;
struct sp_runtime;

/*
 * Every decision the proxy takes, one counter each (per worker, exported
 * by telemetry under the same names).
 *
 * Drops: every frame the proxy drops is counted exactly once, in the one
 * counter marked [drop] below that says why. tcp_bad_csum and tcp_bad_options
 * are not drop counters: they tell which check failed on a SYN or handshake
 * ACK already counted in syn_bad or ack_bad (and tcp_bad_options also counts
 * translated segments whose options were left untouched). A rate-limited
 * SYN is not a bad one: syn_received = synack_sent_cookie + synack_sent_cache
 * + syn_bad + syn_ratelimited.
 */
#define SYNPROXY_COUNTERS(X) \
	X(syn_received)        /* SYNs from the WAN to be proxied */ \
	X(synack_sent_cookie)  /* SYN-ACKs answered with state in the cookie only */ \
	X(synack_sent_cache)   /* SYN-ACKs answered with the client's options cached */ \
	X(syn_ratelimited)     /* [drop] SYNs over the per-prefix rate limit */ \
	X(syn_bad)             /* [drop] SYNs with bad checksum, options or flags */ \
	X(syn_retransmit)      /* [drop] client SYN for a flow already handed to the server */ \
	X(probe_sent)          /* client SYNs kept while the proxy probes their server (unknown or due) */ \
	X(probe_answered)      /* of those, answered after the server's SYN-ACK taught its options */ \
	X(probe_refused)       /* [drop] server RSTs to a probe (port closed): the kept client SYN answered by a RST */ \
	X(probe_retx)          /* probe SYNs sent again (the first, or the server's answer, lost) */ \
	X(probe_timeout)       /* probes unanswered within timeouts.probe_ms: client answered with the defaults */ \
	X(probe_dup_syn)       /* [drop] SYNs on the tuple of a probe in flight (retransmission or spoof) */ \
	X(probe_bad)           /* [drop] SYN-ACKs/RSTs on a probe's tuple with a wrong ack or checksum */ \
	X(ack_cookie_ok)       /* handshake ACKs validated by the cookie */ \
	X(ack_cache_ok)        /* handshake ACKs validated from the SYN cache */ \
	X(ack_probe)           /* of those, zero-window probes (seq = ISN: the client's ACK was lost) */ \
	X(ack_cache_miss)      /* good cookie ACKs whose SYN cache entry was gone (no TS): client reset */ \
	X(syn_cache_conflict)  /* SYNs with another ISN for a tuple with a pending cache entry: cookie only */ \
	X(ack_bad_cookie)      /* [drop] ACKs with no flow and a wrong cookie */ \
	X(ack_bad)             /* [drop] handshake ACKs with bad checksum or options */ \
	X(flow_full)           /* [drop] validated handshakes (or LAN SYNs) refused: flow table full */ \
	X(prefix_flow_cap)     /* [drop] validated handshakes refused: the source prefix holds max_flows_per_prefix flows */ \
	X(prefix_half_open_cap) /* [drop] validated handshakes refused: the source prefix holds max_half_open_per_prefix handshakes in SYN_SENT */ \
	X(service_flow_cap)    /* [drop] validated handshakes refused: the source prefix holds its service's limits.max_flows_per_prefix flows to it */ \
	X(service_half_open_cap) /* [drop] validated handshakes refused: the source prefix holds its service's limits.max_half_open_per_prefix handshakes to it in SYN_SENT */ \
	X(syn_to_server)       /* SYNs sent to servers (first copies) */ \
	X(syn_to_server_retx)  /* SYN retransmissions to servers */ \
	X(syn_to_server_timeout) /* handshakes given up: server never answered */ \
	X(syn_timeout_rst)     /* of those, clients reset after the last SYN retransmission went unanswered */ \
	X(server_synack)       /* server SYN-ACKs completing a proxied handshake */ \
	X(server_rst)          /* server refused (RST) a proxied handshake */ \
	X(server_synack_bad)   /* [drop] unexpected SYN-ACKs (or segments) from the server before/after its handshake */ \
	X(server_challenge_ack) /* server held an old connection: reset so the SYN can succeed */ \
	X(proxied_established) /* proxied connections established */ \
	X(translated_wan)      /* segments translated client -> server */ \
	X(translated_lan)      /* segments translated server -> client */ \
	X(ecn_on)              /* proxied connections with ECN end to end (both ends agreed) */ \
	X(ecn_scrubbed)        /* proxied connections where one end does ECN and the other not: marks cleared */ \
	X(ecn_cleared)         /* segments of such connections whose ECT / ECE / CWR the proxy cleared */ \
	X(ecn_ce_drop)         /* [drop] CE-marked data on such connections: a loss for the sender instead */ \
	X(early_data_drop)     /* [drop] client segments before the server answered (client retransmits); also a handshake ACK's payload */ \
	X(rst_out_of_window)   /* [drop] RSTs outside the window */ \
	X(rst_accepted)        /* RSTs that closed a flow: at the exact sequence (repeats on a closed flow not counted) */ \
	X(seg_out_of_window)   /* [drop] segments of a live flow outside the receiver's window, or ACKing data never sent / too old */ \
	X(challenge_ack_sent)  /* challenge ACKs sent to the WAN: each answers (and replaces) a SYN on a live flow or an RST not at the exact sequence */ \
	X(challenge_ack_limited) /* [drop] SYNs on live flows / inexact RSTs within 512 ms of the flow's last challenge ACK */ \
	X(fin_seen)            /* FINs */ \
	X(flows_closed)        /* flows removed on close or timeout */ \
	X(passthrough_new)     /* LAN-initiated connections tracked */ \
	X(passthrough)         /* segments of pass-through connections bridged */ \
	X(deny_drop)           /* [drop] IP frames from the WAN with a source in synproxy.deny */ \
	X(allow_pass)          /* WAN SYNs from a source in synproxy.allow: bridged, tracked as pass-through */ \
	X(syn_unprotected)     /* WAN SYNs to no protected service: bridged, tracked as pass-through */ \
	X(wan_no_flow)         /* [drop] WAN TCP segments with no flow, not SYN/ACK */ \
	X(lan_no_flow)         /* LAN TCP segments with no flow: bridged */ \
	X(tcp_bad_csum)        /* TCP checksum wrong on a SYN/handshake ACK (dropped as syn_bad/ack_bad) */ \
	X(tcp_bad_options)     /* malformed TCP options (SYN/ACK dropped as syn_bad/ack_bad; translated segments pass) */ \
	X(fragment_pass)       /* IP fragments bridged (never proxied) */ \
	X(fragment_drop)       /* [drop] TCP fragments from the WAN */ \
	X(non_tcp_pass)        /* non-TCP IP traffic bridged (ICMP errors: the three below) */ \
	X(icmp_err_translated) /* ICMP/ICMPv6 errors quoting a proxied connection, quote translated */ \
	X(icmp_err_no_flow)    /* ICMP/ICMPv6 errors quoting no proxied connection (or too little): bridged */ \
	X(icmp_err_out_of_window) /* [drop] WAN ICMP errors quoting a proxied connection outside the server's send window */ \
	X(bad_pass)            /* malformed frames from the LAN bridged untouched */ \
	X(bad_drop)            /* [drop] malformed IP frames from the WAN */ \
	X(flows_expired)       /* flows removed by timeout */ \
	X(alloc_fail)          /* mbuf allocation failures */ \
	X(restored_flows)      /* flows taken over from a state file (--restore) */ \
	X(restore_expired)     /* flows in the state file that aged out during the restart gap */ \
	X(restore_refused)     /* state files refused (corrupt, truncated, other version, unmappable); worker 0 */

struct synproxy_stats {
#define X(n) uint64_t n;
	SYNPROXY_COUNTERS(X)
#undef X
} __rte_cache_aligned;

/*
 * Clocks: now_sec is the cookie period clock (seconds, the same on every
 * lcore), now_ms the worker's millisecond clock (timeouts, retransmissions,
 * TSval). The caller reads them; the proxy never does.
 */

/* Created once by the control lcore; workers only read the secrets. */
struct cookie_secrets *synproxy_secrets_create(const struct synproxy_config *cfg, uint32_t now_sec);
/* Control lcore, about once a second: prepare the next period's secret. */
void synproxy_secrets_rotate(struct cookie_secrets *s, uint32_t now_sec);

/* tx_csum_offload[role]: that port computes IPv4/TCP checksums on TX. */
struct synproxy_lcore *synproxy_lcore_create(const struct synproxy_config *cfg,
					     const struct cookie_secrets *secrets,
					     uint16_t worker_idx, int socket, struct rte_mempool *mp,
					     const bool tx_csum_offload[ROLE_MAX]);
void synproxy_lcore_free(struct synproxy_lcore *sp);

/*
 * Make the proxy read its live settings and policy from *slot (sp_runtime.h),
 * loaded once per burst with acquire. Without it the proxy keeps the settings
 * of the config it was created with and protects every destination. The slot
 * must stay valid as long as sp, and *slot never NULL.
 */
void synproxy_lcore_set_runtime(struct synproxy_lcore *sp, struct sp_runtime *const *slot);

/* Whether cfg (global mode or a service's) may put SYNs in the SYN cache:
 * the table is then created, and a reload can only use it if it exists. */
bool synproxy_config_needs_cache(const struct synproxy_config *cfg);

/*
 * Decide on n (<= MAX_BURST) parsed frames received on port `in`. Each
 * frame is queued on tx or freed. Output bound: at most n frames on each of
 * tx's queues, so the caller makes that much room first (tx_sink_room).
 */
void synproxy_process_burst(struct synproxy_lcore *sp, struct rte_mbuf **pkts,
			    struct pkt_meta *meta, uint16_t n, enum port_role in,
			    struct tx_sink *tx, uint32_t now_ms, uint32_t now_sec);

/* Once per loop. Queues at most SYNPROXY_HK_TX_MAX frames (SYN
 * retransmissions, LAN queue). */
#define SYNPROXY_HK_TX_MAX 64
void synproxy_housekeeping(struct synproxy_lcore *sp, struct tx_sink *tx, uint32_t now_ms);

/*
 * State handover (state/handover.h), control lcore only, workers stopped.
 * _export appends this worker's flows, learned server options and SYN cache
 * to img with ages relative to now_ms. _restore_* put one record back; age_ms
 * already includes the restart gap. A record that aged out is skipped
 * (returns 1); 0 restored; negative errno when the table refused it.
 */
struct handover_image;
struct handover_flow;
struct handover_learned;
struct handover_syn;
int synproxy_state_export(const struct synproxy_lcore *sp, uint16_t worker, uint32_t now_ms,
			  struct handover_image *img);
int synproxy_restore_flow(struct synproxy_lcore *sp, const struct handover_flow *f,
			  uint32_t age_ms, uint32_t now_ms);
int synproxy_restore_learned(struct synproxy_lcore *sp, const struct handover_learned *l,
			     uint32_t age_ms, uint32_t now_ms);
int synproxy_restore_syn(struct synproxy_lcore *sp, const struct handover_syn *s,
			 uint32_t age_ms, uint32_t now_ms);
void synproxy_count_restore_refused(struct synproxy_lcore *sp);

/* For telemetry. */
struct ratelimit;
/* The rate-limit table (top talkers: ratelimit_talkers, read from another
 * lcore), NULL without one. */
const struct ratelimit *synproxy_lcore_ratelimit(const struct synproxy_lcore *sp);
const struct synproxy_stats *synproxy_lcore_stats(const struct synproxy_lcore *sp);
struct synproxy_occupancy {
	uint32_t flows, flow_capacity, syn_cache, syn_cache_capacity, pending_syn;
	uint32_t per_state[8];
	uint64_t flow_table_bytes;
	uint64_t syn_cache_evictions;  /* oldest entries dropped to make room */
	uint64_t syn_cache_expired;
	uint64_t syn_cache_refused;    /* inserts refused: both buckets of the key full */
	uint64_t ratelimit_takeovers;  /* buckets handed to a new prefix (table full) */
	uint64_t learned_replaced;     /* learned server options evicted by another server */
	uint8_t under_attack;
};
void synproxy_lcore_occupancy(const struct synproxy_lcore *sp, struct synproxy_occupancy *o);

#endif
