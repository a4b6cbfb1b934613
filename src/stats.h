/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.h - per-worker counters.
 *
 * Each worker owns one cache-aligned block and is its only writer; the telemetry
 * thread and the final report read them without locks. A 64-bit aligned load
 * is atomic on every platform DPDK supports, so a reader sees a slightly stale
 * but never torn value. The counter names live in one X-macro list so the
 * telemetry output, the totals and the struct can never disagree.
 */
#ifndef SYNPROXY_STATS_H
#define SYNPROXY_STATS_H

#include <stdint.h>
#include <rte_common.h>

#define BRIDGE_COUNTERS(X) \
	X(rx_lan)            /* frames received on the LAN port (incl. steered to us) */ \
	X(rx_wan)            /* frames received on the WAN port */ \
	X(tx_lan)            /* frames transmitted on the LAN port */ \
	X(tx_wan)            /* frames transmitted on the WAN port */ \
	X(fwd_lan_to_wan)    /* frames bridged LAN -> WAN */ \
	X(fwd_wan_to_lan)    /* frames bridged WAN -> LAN */ \
	X(tx_drop)           /* frames dropped after the partial-transmit retries */ \
	X(steered)           /* frames handed to their owning worker (software steering) */ \
	X(steer_drop)        /* hand-off ring full: dropped */ \
	X(parse_error)       /* malformed or truncated L2/L3/L4 headers */ \
	X(non_ip)            /* ARP and other non-IP ethertypes (bridged) */ \
	X(ipv4) X(ipv6) X(tcp) X(udp) X(icmp) \
	X(vlan)              /* frames with at least one VLAN tag */ \
	X(fragment)          /* IP fragments */

struct bridge_stats {
#define X(name) uint64_t name;
	BRIDGE_COUNTERS(X)
#undef X
} __rte_cache_aligned;

#endif
