/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktbuild.h - crafting frames for unit tests: Ethernet (+VLAN tags), IPv4 or
 * IPv6, TCP with options or UDP, with correct checksums, written into a
 * caller buffer or an rte_mbuf. Test-only code.
 */
#ifndef SYNPROXY_TEST_PKTBUILD_H
#define SYNPROXY_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

struct pb_spec {
	int family;                 /* 4 or 6 */
	uint8_t proto;              /* IPPROTO_TCP / IPPROTO_UDP / other */
	uint8_t nb_vlan;            /* 0..2 */
	uint8_t src[16], dst[16];   /* v4 in the first 4 bytes */
	uint16_t sport, dport;      /* host order */
	uint32_t seq, ack;
	uint8_t flags;              /* TCP flags */
	uint16_t win;
	const uint8_t *opts;        /* TCP options, padded to 4 */
	uint8_t optlen;
	uint16_t payload;           /* bytes of payload (pattern) */
	uint8_t ipv4_optlen;        /* IPv4 options bytes (NOPs), multiple of 4 */
	uint8_t v6_ext;             /* number of 8-byte destination-options headers */
};

static inline void
pb_v4(uint8_t *a, uint32_t host_addr)
{
	uint32_t be = rte_cpu_to_be_32(host_addr);
	memcpy(a, &be, 4);
}

/* Build the frame at buf; returns its length. */
static inline uint16_t
pb_build(uint8_t *buf, const struct pb_spec *s)
{
	uint8_t *p = buf;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 1 }, dmac[6] = { 0x02, 0, 0, 0, 0, 2 };
	memcpy(&eth->src_addr, smac, 6);
	memcpy(&eth->dst_addr, dmac, 6);
	p += 12;
	for (int i = 0; i < s->nb_vlan; i++) {
		uint16_t tpid = rte_cpu_to_be_16(i == 0 && s->nb_vlan == 2 ? RTE_ETHER_TYPE_QINQ
								      : RTE_ETHER_TYPE_VLAN);
		uint16_t tci = rte_cpu_to_be_16(100 + i);
		memcpy(p, &tpid, 2);
		memcpy(p + 2, &tci, 2);
		p += 4;
	}
	uint16_t et = rte_cpu_to_be_16(s->family == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	memcpy(p, &et, 2);
	p += 2;

	uint16_t l4len;
	if (s->proto == IPPROTO_TCP)
		l4len = sizeof(struct rte_tcp_hdr) + s->optlen + s->payload;
	else if (s->proto == IPPROTO_UDP)
		l4len = sizeof(struct rte_udp_hdr) + s->payload;
	else
		l4len = s->payload;

	uint8_t *l3 = p, *l4;
	if (s->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
		uint16_t hl = sizeof(*ip) + s->ipv4_optlen;
		memset(ip, 0, hl);
		ip->version_ihl = 0x40 | (hl / 4);
		ip->total_length = rte_cpu_to_be_16(hl + l4len);
		ip->time_to_live = 64;
		ip->next_proto_id = s->proto;
		memcpy(&ip->src_addr, s->src, 4);
		memcpy(&ip->dst_addr, s->dst, 4);
		memset(p + sizeof(*ip), 1 /* NOP */, s->ipv4_optlen);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		l4 = p + hl;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)p;
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(l4len + 8 * s->v6_ext);
		ip->proto = s->v6_ext ? IPPROTO_DSTOPTS : s->proto;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, s->src, 16);
		memcpy(ip->dst_addr, s->dst, 16);
		uint8_t *e = p + sizeof(*ip);
		for (int i = 0; i < s->v6_ext; i++, e += 8) {
			memset(e, 0, 8);
			e[0] = i + 1 < s->v6_ext ? IPPROTO_DSTOPTS : s->proto;
			e[2] = 1; e[3] = 4;   /* PadN of 4 */
		}
		l4 = e;
	}
	if (s->proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
		memset(th, 0, sizeof(*th));
		th->src_port = rte_cpu_to_be_16(s->sport);
		th->dst_port = rte_cpu_to_be_16(s->dport);
		th->sent_seq = rte_cpu_to_be_32(s->seq);
		th->recv_ack = rte_cpu_to_be_32(s->ack);
		th->data_off = ((sizeof(*th) + s->optlen) / 4) << 4;
		th->tcp_flags = s->flags;
		th->rx_win = rte_cpu_to_be_16(s->win);
		if (s->optlen)
			memcpy(l4 + sizeof(*th), s->opts, s->optlen);
		for (uint16_t i = 0; i < s->payload; i++)
			l4[sizeof(*th) + s->optlen + i] = (uint8_t)(i * 7);
	} else if (s->proto == IPPROTO_UDP) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)l4;
		uh->src_port = rte_cpu_to_be_16(s->sport);
		uh->dst_port = rte_cpu_to_be_16(s->dport);
		uh->dgram_len = rte_cpu_to_be_16(l4len);
		uh->dgram_cksum = 0;
		for (uint16_t i = 0; i < s->payload; i++)
			l4[sizeof(*uh) + i] = (uint8_t)i;
	} else {
		for (uint16_t i = 0; i < s->payload; i++)
			l4[i] = (uint8_t)i;
	}
	/* L4 checksum over the real L4 header (after any IPv6 extension headers). */
	if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
		uint16_t *ck = s->proto == IPPROTO_TCP ? &((struct rte_tcp_hdr *)l4)->cksum
						       : &((struct rte_udp_hdr *)l4)->dgram_cksum;
		*ck = 0;
		if (s->family == 4) {
			*ck = rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)l3, l4);
		} else {
			/* rte_ipv6_udptcp_cksum assumes no extension headers: build
			 * the pseudo header sum by hand over the final L4. */
			struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;
			uint32_t sum = rte_raw_cksum(ip->src_addr, 32);
			sum += rte_cpu_to_be_16(l4len) + rte_cpu_to_be_16((uint16_t)s->proto);
			sum = __rte_raw_cksum(l4, l4len, sum);
			uint16_t c = ~__rte_raw_cksum_reduce(sum);
			*ck = c == 0 && s->proto == IPPROTO_UDP ? 0xffff : c;
		}
	}
	return (uint16_t)(l4 - buf) + l4len;
}

static inline struct rte_mbuf *
pb_mbuf(struct rte_mempool *mp, const struct pb_spec *s)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	uint16_t len = pb_build(rte_pktmbuf_mtod(m, uint8_t *), s);
	m->data_len = m->pkt_len = len;
	return m;
}

#endif
