/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp_err.h - ICMP and ICMPv6 errors about proxied connections (icmp_err.c).
 *
 * The burst step (synproxy.c) asks icmp_err_candidate() about every
 * unfragmented, well-formed ICMP/ICMPv6 frame: one load of the type byte,
 * so echo, neighbour discovery and the like stay on the bridge path. Errors
 * go to icmp_err(), which looks up the quoted connection once.
 */
#ifndef SYNPROXY_FWD_ICMP_ERR_H
#define SYNPROXY_FWD_ICMP_ERR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common.h"
#include "parse.h"
#include "txbuf.h"

struct synproxy_lcore;

#define ICMP4_DEST_UNREACH   3    /* code 4: fragmentation needed (RFC 1191) */
#define ICMP4_TIME_EXCEEDED  11
#define ICMP4_PARAM_PROBLEM  12
#define ICMP6_DEST_UNREACH   1
#define ICMP6_PACKET_TOO_BIG 2    /* RFC 8201 */
#define ICMP6_TIME_EXCEEDED  3
#define ICMP6_PARAM_PROBLEM  4

/* An ICMP error that may quote a TCP segment (the frame has PKT_F_L4, so
 * at least the 4-byte ICMP header is there). */
static inline bool
icmp_err_candidate(const struct rte_mbuf *m, const struct pkt_meta *mt)
{
	if (!(mt->flags & PKT_F_L4))
		return false;
	uint8_t type = *rte_pktmbuf_mtod_offset(m, const uint8_t *, mt->l4_off);
	if (mt->l3 == PKT_L3_IPV4 && mt->l4proto == IPPROTO_ICMP)
		return type == ICMP4_DEST_UNREACH || type == ICMP4_TIME_EXCEEDED ||
		       type == ICMP4_PARAM_PROBLEM;
	if (mt->l3 == PKT_L3_IPV6 && mt->l4proto == IPPROTO_ICMPV6)
		return type >= ICMP6_DEST_UNREACH && type <= ICMP6_PARAM_PROBLEM;
	return false;
}

/* Translate (icmp_err_translated), bridge untouched (icmp_err_no_flow) or
 * drop (icmp_err_out_of_window) one ICMP error received on `in`. */
void icmp_err(struct synproxy_lcore *sp, struct tx_sink *tx, struct rte_mbuf *m,
	      const struct pkt_meta *mt, enum port_role in);

#endif
