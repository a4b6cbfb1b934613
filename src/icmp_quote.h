/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp_quote.h - the TCP segment an ICMP or ICMPv6 error quotes.
 *
 * An error (IPv4 types 3, 11, 12; ICMPv6 types 1..4) carries, behind its
 * 8-byte header, the start of the packet that caused it: its IP header and
 * at least 8 bytes of the upper layer (RFC 792; ICMPv6 as much as fits in
 * 1280 bytes). Two layers need that quote: steering (rss.c), which places an
 * error on the worker that holds the quoted connection, and the proxy
 * (fwd/icmp_err.c), which translates it.
 *
 * The quote has its own small parser, separate from the frame parser
 * (parse.c): IPv4 with options; IPv6 with the extension headers the frame
 * parser walks (hop-by-hop, routing, destination options, mobility, AH, a
 * first or atomic fragment), at most PKT_MAX_EXTHDR of them. Every byte it
 * reads lies inside the error's own L4 length. Its end is the quoted IP
 * length when that is shorter (RFC 4884 padding or extensions behind it).
 * A quoted later fragment (no TCP header in it) is not a TCP quote.
 */
#ifndef SYNPROXY_ICMP_QUOTE_H
#define SYNPROXY_ICMP_QUOTE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

#define ICMP4_DEST_UNREACH   3    /* code 4: fragmentation needed (RFC 1191) */
#define ICMP4_TIME_EXCEEDED  11
#define ICMP4_PARAM_PROBLEM  12
#define ICMP6_DEST_UNREACH   1
#define ICMP6_PACKET_TOO_BIG 2    /* RFC 8201 */
#define ICMP6_TIME_EXCEEDED  3
#define ICMP6_PARAM_PROBLEM  4

#define ICMP_ERR_HDR_LEN     8    /* type, code, checksum, 4 bytes (MTU, pointer, unused) */
#define ICMP_QUOTE_TCP_MIN   8    /* ports + seq */

/* An ICMP error that may quote a TCP segment: one load of the type byte,
 * so echo, neighbour discovery and the like stay on their fast path. */
static inline bool
icmp_is_error(const uint8_t *frame, const struct pkt_meta *mt)
{
	if ((mt->flags & (PKT_F_L4 | PKT_F_BAD)) != PKT_F_L4)
		return false;
	uint8_t type = frame[mt->l4_off];
	if (mt->l3 == PKT_L3_IPV4 && mt->l4proto == IPPROTO_ICMP)
		return type == ICMP4_DEST_UNREACH || type == ICMP4_TIME_EXCEEDED ||
		       type == ICMP4_PARAM_PROBLEM;
	if (mt->l3 == PKT_L3_IPV6 && mt->l4proto == IPPROTO_ICMPV6)
		return type >= ICMP6_DEST_UNREACH && type <= ICMP6_PARAM_PROBLEM;
	return false;
}

/* Where the quote lies, as offsets from the frame start. */
struct icmp_quote {
	uint16_t ip_off;     /* quoted IP header (same family as the error) */
	uint16_t tcp_off;    /* quoted TCP header */
	uint16_t tcp_len;    /* bytes of TCP quoted, at least ICMP_QUOTE_TCP_MIN */
};

/* Find the quoted TCP segment of an error (icmp_is_error() true). Returns
 * false when the quote is not IP-in-the-same-family + TCP, or too short
 * to hold ports and seq. */
bool icmp_quote_tcp(const uint8_t *frame, const struct pkt_meta *mt, struct icmp_quote *q);

#endif
