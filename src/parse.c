/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * parse.c - the frame parser (see parse.h for the rules).
 *
 * Written as straight-line code over the first segment with an explicit
 * remaining-length check before each header, so a hostile frame can at worst
 * be marked bad, never read past its end.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_byteorder.h>

#include "parse.h"

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif
/* IPv6 extension headers (IANA registry) the parser does not walk. */
#define PKT_IPPROTO_HIP   139
#define PKT_IPPROTO_SHIM6 140
#define PKT_IPPROTO_EXP1  253
#define PKT_IPPROTO_EXP2  254

static inline int
is_vlan_tpid(uint16_t be_type)
{
	return be_type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
	       be_type == RTE_BE16(RTE_ETHER_TYPE_QINQ) ||
	       be_type == RTE_BE16(RTE_ETHER_TYPE_QINQ1);
}

/* L4: fill proto-specific fields; off/len already bound by the IP layer. */
static inline void
parse_l4(const uint8_t *p, uint16_t len, struct pkt_meta *mt)
{
	switch (mt->l4proto) {
	case IPPROTO_TCP: {
		if (len < sizeof(struct rte_tcp_hdr))
			goto bad;
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)p;
		uint8_t hl = (th->data_off >> 4) * 4;
		if (hl < sizeof(struct rte_tcp_hdr) || hl > len)
			goto bad;
		mt->tcp_hlen = hl;
		mt->tcp_flags = th->tcp_flags;
		break;
	}
	case IPPROTO_UDP:
		if (len < 8)
			goto bad;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len < 4)
			goto bad;
		break;
	default:
		break;
	}
	mt->flags |= PKT_F_L4;
	return;
bad:
	mt->flags |= PKT_F_BAD;
}

static inline void
parse_ipv4(const uint8_t *p, uint16_t avail, struct pkt_meta *mt)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;

	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		goto bad;
	uint16_t hl = (ip->version_ihl & 0xf) * 4;
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	if (hl < sizeof(*ip) || tot < hl || tot > avail)
		goto bad;
	if (hl > sizeof(*ip))
		mt->flags |= PKT_F_IPOPT;
	mt->l4proto = ip->next_proto_id;
	mt->l4_off = mt->l3_off + hl;
	mt->l4_len = tot - hl;
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		/* Every fragment names the protocol; only the first has an
		 * L4 header, and not even it is complete enough to act on:
		 * fragments are never proxied (l4proto set, no PKT_F_L4). */
		mt->flags |= PKT_F_FRAG;
		return;
	}
	parse_l4(p + hl, tot - hl, mt);
	return;
bad:
	mt->flags |= PKT_F_BAD;
}

/*
 * IPv6: follow the header chain to the upper layer. The bound is
 * PKT_MAX_EXTHDR extension headers (a conforming sender needs at most six:
 * RFC 8200 4.1); one more, a header past the payload, or an extension header
 * the parser cannot interpret (HIP, Shim6, the experimental 253/254) makes the
 * frame PKT_F_BAD: its upper layer is unknown, so from the WAN it might hide
 * a TCP SYN that a server would find.
 *
 * Fragment headers (RFC 8200 4.5, RFC 6946, RFC 7112):
 *  - atomic (offset 0, M = 0): not a fragment at all; the walk goes on and
 *    the frame is parsed like an unfragmented one (no PKT_F_FRAG);
 *  - first (offset 0, M = 1): PKT_F_FRAG; the walk goes on through the rest
 *    of the chain, which must lie inside this fragment, to name the upper
 *    layer in l4proto (not parsed, no PKT_F_L4);
 *  - later (offset > 0): PKT_F_FRAG, l4proto is the Fragment header's next
 *    header, l4_off points past it; the bytes behind are a middle piece of a
 *    datagram, not headers.
 * The walk is out of line: parse_ipv6 takes TCP and UDP right behind the
 * IPv6 header itself, and most frames are that.
 */
static __rte_noinline void
parse_ipv6_chain(const uint8_t *p, uint32_t end, uint8_t nh, struct pkt_meta *mt)
{
	uint32_t off = sizeof(struct rte_ipv6_hdr);
	uint8_t fl = 0;   /* PKT_F_EXTHDR, PKT_F_FRAG seen so far */

	for (int i = 0; i <= PKT_MAX_EXTHDR; i++) {
		uint32_t hlen;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			if (off + 2 > end)
				goto bad;
			hlen = (p[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (off + 2 > end)
				goto bad;
			hlen = (p[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT: {
			if (off + 8 > end)
				goto bad;
			uint16_t fo = ((uint16_t)p[off + 2] << 8) | p[off + 3];
			if (fo & 0xfff8) {
				mt->flags |= fl | PKT_F_FRAG | PKT_F_EXTHDR;
				mt->l4proto = p[off];
				mt->l4_off = mt->l3_off + off + 8;
				mt->l4_len = end - off - 8;
				return;
			}
			if (fo & 1)
				fl |= PKT_F_FRAG;
			hlen = 8;
			break;
		}
		case PKT_IPPROTO_HIP:
		case PKT_IPPROTO_SHIM6:
		case PKT_IPPROTO_EXP1:
		case PKT_IPPROTO_EXP2:
			goto bad;
		default:
			/* The upper layer (ESP and No Next Header end the
			 * chain here too: nothing behind them is readable). */
			mt->flags |= fl;
			mt->l4proto = nh;
			mt->l4_off = mt->l3_off + off;
			mt->l4_len = end - off;
			if (nh != IPPROTO_NONE && !(fl & PKT_F_FRAG))
				parse_l4(p + off, end - off, mt);
			return;
		}
		if (i == PKT_MAX_EXTHDR || off + hlen > end)
			goto bad;
		fl |= PKT_F_EXTHDR;
		nh = p[off];
		off += hlen;
	}
bad:
	mt->flags |= fl | PKT_F_BAD;
}

static inline void
parse_ipv6(const uint8_t *p, uint16_t avail, struct pkt_meta *mt)
{
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)p;

	if (avail < sizeof(*ip) || (p[0] >> 4) != 6)
		goto bad;
	uint32_t plen = rte_be_to_cpu_16(ip->payload_len);
	if (plen + sizeof(*ip) > avail)
		goto bad;
	uint8_t nh = ip->proto;
	if (likely(nh == IPPROTO_TCP || nh == IPPROTO_UDP)) {
		mt->l4proto = nh;
		mt->l4_off = mt->l3_off + sizeof(*ip);
		mt->l4_len = plen;
		parse_l4(p + sizeof(*ip), plen, mt);
		return;
	}
	parse_ipv6_chain(p, sizeof(*ip) + plen, nh, mt);
	return;
bad:
	mt->flags |= PKT_F_BAD;
}

uint8_t
pkt_parse(const struct rte_mbuf *m, struct pkt_meta *mt)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	uint16_t off = sizeof(struct rte_ether_hdr);

	memset(mt, 0, sizeof(*mt));
	if (len < off) {
		mt->flags = PKT_F_BAD;
		return mt->flags;
	}
	uint16_t type = ((const struct rte_ether_hdr *)p)->ether_type;
	while (is_vlan_tpid(type)) {
		if (mt->nb_vlan == PKT_MAX_VLAN || len < off + 4) {
			mt->flags = PKT_F_BAD | PKT_F_VLAN;
			return mt->flags;
		}
		mt->nb_vlan++;
		type = *(const uint16_t *)(p + off + 2);
		off += 4;
	}
	if (mt->nb_vlan)
		mt->flags |= PKT_F_VLAN;
	mt->l3_off = off;
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		mt->l3 = PKT_L3_IPV4;
		parse_ipv4(p + off, len - off, mt);
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		mt->l3 = PKT_L3_IPV6;
		parse_ipv6(p + off, len - off, mt);
	}
	return mt->flags;
}
