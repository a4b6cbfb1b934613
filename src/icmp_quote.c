/* SPDX-License-Identifier: BSD-3-Clause */
/* icmp_quote.c - the quoted TCP segment of an ICMP error (see icmp_quote.h). */
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "icmp_quote.h"

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

/* p: the quoted IPv4 header, avail bytes of it readable. Returns the TCP
 * header's offset from p and sets *tcp_len, or 0. */
static uint16_t
quote_v4(const uint8_t *p, uint16_t avail, uint16_t *tcp_len)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;

	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4 || ip->next_proto_id != IPPROTO_TCP)
		return 0;
	uint16_t hl = (ip->version_ihl & 0xf) * 4;
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);
	if (hl < sizeof(*ip) || tot < hl)
		return 0;
	/* A later fragment quotes payload, not a TCP header. */
	if (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)
		return 0;
	if (tot < avail)
		avail = tot;
	if (avail < hl + ICMP_QUOTE_TCP_MIN)
		return 0;
	*tcp_len = avail - hl;
	return hl;
}

static uint16_t
quote_v6(const uint8_t *p, uint16_t avail, uint16_t *tcp_len)
{
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)p;

	if (avail < sizeof(*ip) || (p[0] >> 4) != 6)
		return 0;
	uint32_t end = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	if (end < avail)
		avail = end;
	uint32_t off = sizeof(*ip);
	uint8_t nh = ip->proto;

	for (int i = 0; i <= PKT_MAX_EXTHDR; i++) {
		uint32_t hlen;
		switch (nh) {
		case IPPROTO_TCP:
			if (off + ICMP_QUOTE_TCP_MIN > avail)
				return 0;
			*tcp_len = avail - off;
			return off;
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			if (off + 2 > avail)
				return 0;
			hlen = (p[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (off + 2 > avail)
				return 0;
			hlen = (p[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (off + 8 > avail)
				return 0;
			if ((((uint16_t)p[off + 2] << 8) | p[off + 3]) & 0xfff8)
				return 0;   /* a later fragment: no TCP header */
			hlen = 8;
			break;
		default:
			return 0;
		}
		nh = p[off];
		off += hlen;
	}
	return 0;
}

bool
icmp_quote_tcp(const uint8_t *frame, const struct pkt_meta *mt, struct icmp_quote *q)
{
	if (mt->l4_len < ICMP_ERR_HDR_LEN)
		return false;
	uint16_t ip_off = mt->l4_off + ICMP_ERR_HDR_LEN;
	uint16_t avail = mt->l4_len - ICMP_ERR_HDR_LEN;
	uint16_t th = mt->l3 == PKT_L3_IPV4 ? quote_v4(frame + ip_off, avail, &q->tcp_len)
					    : quote_v6(frame + ip_off, avail, &q->tcp_len);
	if (th == 0)
		return false;
	q->ip_off = ip_off;
	q->tcp_off = ip_off + th;
	return true;
}
