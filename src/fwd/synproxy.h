/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy.h - the per-worker SYN proxy: the decide/rewrite step of the loop.
 *
 * See synproxy.c for the state machine. The worker calls
 * synproxy_process_burst() with frames from one port, parsed; every frame
 * comes out queued on a port (bridged, answered or rewritten) or freed and
 * counted. synproxy_housekeeping() runs once per loop: SYN retransmissions,
 * flow and cache expiry, each with a small budget so the loop never stalls.
 */
#ifndef SYNPROXY_FWD_SYNPROXY_H
#define SYNPROXY_FWD_SYNPROXY_H

#include <stdint.h>
#include <rte_mbuf.h>

#include "common.h"
#include "config.h"
#include "parse.h"

struct worker;
struct synproxy_lcore;
struct cookie_secrets;

/*
 * Every decision the proxy takes, one counter each (per worker, exported
 * by telemetry under the same names).
 */
#define SYNPROXY_COUNTERS(X) \
	X(syn_received)        /* SYNs from the WAN to be proxied */ \
	X(synack_sent_cookie)  /* SYN-ACKs answered with state in the cookie only */ \
	X(synack_sent_cache)   /* SYN-ACKs answered with the client's options cached */ \
	X(syn_ratelimited)     /* SYNs dropped by the per-prefix rate limit */ \
	X(syn_bad)             /* SYNs with bad checksum, options or flags: dropped */ \
	X(syn_retransmit)      /* client SYN for a flow already handed to the server */ \
	X(ack_cookie_ok)       /* handshake ACKs validated by the cookie */ \
	X(ack_cache_ok)        /* handshake ACKs validated from the SYN cache */ \
	X(ack_bad_cookie)      /* ACKs with no flow and a wrong cookie: dropped */ \
	X(ack_bad)             /* ACKs with bad checksum or malformed: dropped */ \
	X(flow_full)           /* validated handshakes refused: flow table full */ \
	X(syn_to_server)       /* SYNs sent to servers (first copies) */ \
	X(syn_to_server_retx)  /* SYN retransmissions to servers */ \
	X(syn_to_server_timeout) /* handshakes given up: server never answered */ \
	X(server_synack)       /* server SYN-ACKs completing a proxied handshake */ \
	X(server_rst)          /* server refused (RST) a proxied handshake */ \
	X(server_synack_bad)   /* unexpected SYN-ACKs from the LAN: dropped */ \
	X(server_challenge_ack) /* server held an old connection: reset so the SYN can succeed */ \
	X(proxied_established) /* proxied connections established */ \
	X(translated_wan)      /* segments translated client -> server */ \
	X(translated_lan)      /* segments translated server -> client */ \
	X(early_data_drop)     /* client data before the server answered: dropped (client retransmits) */ \
	X(rst_out_of_window)   /* RSTs outside the window: dropped */ \
	X(rst_accepted)        /* RSTs that closed a flow (repeats on a closed flow not counted) */ \
	X(fin_seen)            /* FINs */ \
	X(flows_closed)        /* flows removed on close or timeout */ \
	X(passthrough_new)     /* LAN-initiated connections tracked */ \
	X(passthrough)         /* segments of LAN-initiated connections bridged */ \
	X(wan_no_flow)         /* WAN TCP segments with no flow, not SYN/ACK: dropped */ \
	X(lan_no_flow)         /* LAN TCP segments with no flow: bridged */ \
	X(tcp_bad_csum)        /* TCP checksum wrong on a packet that would create state */ \
	X(tcp_bad_options)     /* malformed TCP options */ \
	X(fragment_pass)       /* IP fragments bridged (never proxied) */ \
	X(fragment_drop)       /* TCP fragments from the WAN: dropped */ \
	X(non_tcp_pass)        /* non-TCP IP traffic bridged */ \
	X(bad_pass)            /* malformed frames from the LAN bridged untouched */ \
	X(bad_drop)            /* malformed IP frames from the WAN: dropped */ \
	X(flows_expired)       /* flows removed by timeout */ \
	X(alloc_fail)          /* mbuf allocation failures */

struct synproxy_stats {
#define X(n) uint64_t n;
	SYNPROXY_COUNTERS(X)
#undef X
} __rte_cache_aligned;

/* Created once by the control lcore; workers only read the secrets. */
struct cookie_secrets *synproxy_secrets_create(const struct synproxy_config *cfg);
/* Control lcore, about once a second: prepare the next period's secret. */
void synproxy_secrets_rotate(struct cookie_secrets *s);

struct synproxy_lcore *synproxy_lcore_create(const struct synproxy_config *cfg,
					     const struct cookie_secrets *secrets,
					     uint16_t worker_idx, int socket, struct rte_mempool *mp);
void synproxy_lcore_free(struct synproxy_lcore *sp);

void synproxy_process_burst(struct synproxy_lcore *sp, struct worker *w, struct rte_mbuf **pkts,
			    struct pkt_meta *meta, uint16_t n, enum port_role in);
void synproxy_housekeeping(struct synproxy_lcore *sp, struct worker *w);

/* For telemetry. */
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
