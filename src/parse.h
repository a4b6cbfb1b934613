/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parse.h - one pass over a frame's headers, filling a small metadata record.
 *
 * The parser never trusts a length field: every header must lie inside the
 * first segment, and the IP payload length (not the frame length, which may
 * carry Ethernet padding) bounds L4. Anything that does not add up gets
 * PKT_F_BAD and is counted by the caller; such a frame is still bridged when
 * it is not TCP the proxy must see (rule in fwd/synproxy.c).
 *
 * Recognised: Ethernet II, up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8,
 * and the old QinQ 0x9100), IPv4 with options, IPv6 with extension headers
 * (hop-by-hop, routing, destination options, fragment, AH, mobility), TCP,
 * UDP, ICMP.
 *
 * Fragments: the proxy must never let a TCP header past it unseen, so the
 * parser always names the upper layer a fragment belongs to.
 *  - An IPv6 atomic fragment (Fragment header with offset 0, M = 0; RFC 6946)
 *    is parsed like an unfragmented packet: no PKT_F_FRAG.
 *  - A first fragment (IPv4 MF = 1 offset 0; IPv6 offset 0 M = 1) gets
 *    PKT_F_FRAG and l4proto = its upper layer: the IPv6 chain is followed to
 *    the end inside the fragment (RFC 7112 requires the whole chain there).
 *  - A later fragment gets PKT_F_FRAG and l4proto = the IPv4 protocol or the
 *    IPv6 Fragment header's next header.
 *  - An IPv6 chain that cannot be followed to its upper layer (more than
 *    PKT_MAX_EXTHDR extension headers, a header cut short by the payload
 *    length, an extension header the parser does not walk: HIP, Shim6, the
 *    experimental 253/254) is PKT_F_BAD, fragment or not.
 * PKT_F_L4 is never set on a fragment.
 */
#ifndef SYNPROXY_PARSE_H
#define SYNPROXY_PARSE_H

#include <stdint.h>
#include <rte_mbuf.h>

#define PKT_L3_NONE 0
#define PKT_L3_IPV4 4
#define PKT_L3_IPV6 6

#define PKT_F_BAD     0x01  /* malformed or truncated header */
#define PKT_F_FRAG    0x02  /* IP fragment, not atomic (l4proto: see above) */
#define PKT_F_L4      0x04  /* an L4 header of l4proto is present at l4_off */
#define PKT_F_VLAN    0x08  /* at least one VLAN tag */
#define PKT_F_IPOPT   0x10  /* IPv4 options present */
#define PKT_F_EXTHDR  0x20  /* IPv6 extension headers present */

#define PKT_MAX_VLAN     2
#define PKT_MAX_EXTHDR   8  /* IPv6 extension headers walked, Fragment included */

struct pkt_meta {
	uint16_t l3_off;    /* frame start -> IP header */
	uint16_t l4_off;    /* frame start -> L4 header */
	uint16_t l4_len;    /* L4 header + payload, from the IP length */
	uint8_t l3;         /* PKT_L3_* */
	uint8_t l4proto;    /* IPPROTO_* of the final header, 0 if none */
	uint8_t flags;      /* PKT_F_* */
	uint8_t nb_vlan;
	uint8_t tcp_flags;  /* when l4proto is TCP and PKT_F_L4 */
	uint8_t tcp_hlen;   /* TCP header length incl. options */
	uint32_t hash;      /* symmetric flow hash, filled by steering when it needs it */
};

/* Parse one frame. Returns the meta's flags. */
uint8_t pkt_parse(const struct rte_mbuf *m, struct pkt_meta *meta);

static inline void
pkt_parse_burst(struct rte_mbuf **pkts, struct pkt_meta *meta, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		pkt_parse(pkts[i], &meta[i]);
}

#endif
