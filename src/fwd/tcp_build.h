/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_build.h - write the IP and TCP headers of a segment the proxy itself
 * sends (SYN-ACK to a client, SYN and ACK to a server, window update, RST).
 *
 * The headers are written fresh at the frame's L3 offset, so whatever IPv4
 * options or IPv6 extension headers the triggering packet carried are simply
 * not repeated; the L2 header (MACs, VLAN tags) in front stays as the caller
 * left it. Checksums are computed in software, or left to the port when it
 * offers TCP/IPv4 checksum offload.
 */
#ifndef SYNPROXY_FWD_TCP_BUILD_H
#define SYNPROXY_FWD_TCP_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_mbuf.h>

#include "fwd/tcp_opts.h"

enum tcp_build_opts {
	TCP_BUILD_NO_OPTS = 0,
	TCP_BUILD_SYNACK,    /* tcp_opts_write_synack layout */
	TCP_BUILD_SYN,       /* tcp_opts_write_syn layout */
	TCP_BUILD_TS,        /* NOP NOP TS only (data/ACK segments) */
};

struct tcp_build {
	uint8_t family;              /* 4 or 6 */
	uint32_t src[4], dst[4];     /* network order; IPv4 in word 0 */
	uint16_t sport, dport;       /* network order */
	uint32_t seq, ack;           /* host order */
	uint8_t flags;               /* RTE_TCP_*_FLAG */
	uint16_t win;                /* host order */
	enum tcp_build_opts opts_kind;
	struct tcp_synack_opts opts; /* MSS/WS/SACK/TS for SYN kinds; TS for TCP_BUILD_TS */
};

/* Write headers at l3_off and trim the frame to them. Returns the frame length. */
uint16_t tcp_build_frame(struct rte_mbuf *m, uint16_t l3_off, const struct tcp_build *b,
			 bool tx_csum_offload);

/* Swap the Ethernet source and destination addresses. */
void tcp_build_swap_mac(struct rte_mbuf *m);

#endif
