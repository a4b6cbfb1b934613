/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp_build.c - headers for segments the proxy originates (see tcp_build.h). */
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "fwd/csum.h"
#include "fwd/tcp_build.h"

void
tcp_build_swap_mac(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr t = eth->src_addr;
	eth->src_addr = eth->dst_addr;
	eth->dst_addr = t;
}

static uint8_t
write_opts(uint8_t *o, const struct tcp_build *b)
{
	switch (b->opts_kind) {
	case TCP_BUILD_SYNACK:
		return tcp_opts_write_synack(o, &b->opts);
	case TCP_BUILD_SYN:
		return tcp_opts_write_syn(o, &b->opts);
	case TCP_BUILD_TS: {
		uint32_t v = rte_cpu_to_be_32(b->opts.tsval), e = rte_cpu_to_be_32(b->opts.tsecr);
		o[0] = TCP_OPT_NOP;
		o[1] = TCP_OPT_NOP;
		o[2] = TCP_OPT_TS;
		o[3] = TCP_OLEN_TS;
		memcpy(o + 4, &v, 4);
		memcpy(o + 8, &e, 4);
		return 12;
	}
	default:
		return 0;
	}
}

/* As rte_ipv4_udptcp_cksum: complemented, and 0 sent as 0xffff. */
static inline uint16_t
tcp_csum_final(uint64_t sum)
{
	uint16_t ck = (uint16_t)~csum_fold64(sum);
	return ck == 0 ? 0xffff : ck;
}

uint16_t
tcp_build_frame(struct rte_mbuf *m, uint16_t l3_off, const struct tcp_build *b, bool offload)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, l3_off);
	uint16_t l3_len = b->family == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(l3 + l3_len);
	uint8_t optlen = write_opts((uint8_t *)(th + 1), b);
	uint16_t tcp_len = sizeof(*th) + optlen;

	th->src_port = b->sport;
	th->dst_port = b->dport;
	th->sent_seq = rte_cpu_to_be_32(b->seq);
	th->recv_ack = rte_cpu_to_be_32(b->ack);
	th->data_off = (tcp_len / 4) << 4;
	th->tcp_flags = b->flags;
	th->rx_win = rte_cpu_to_be_16(b->win);
	th->cksum = 0;
	th->tcp_urp = 0;

	m->ol_flags &= ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM |
			 RTE_MBUF_F_TX_L4_MASK);
	if (b->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16(l3_len + tcp_len);
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->hdr_checksum = 0;
		ip->src_addr = b->src[0];
		ip->dst_addr = b->dst[0];
		if (offload) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
			th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			/* csum_raw, not rte_ipv4_cksum/rte_ipv4_udptcp_cksum: same
			 * values, 4 bytes per add (see csum.h). */
			ip->hdr_checksum = (uint16_t)~csum_fold64(csum_raw(ip, sizeof(*ip), 0));
			uint64_t sum = csum_tcp_pseudo(&ip->src_addr, 8, tcp_len);
			th->cksum = tcp_csum_final(csum_raw(th, tcp_len, sum));
		}
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(tcp_len);
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, b->src, 16);
		memcpy(ip->dst_addr, b->dst, 16);
		/* IPv6 TCP offload is not universal on 82599/X710 paths: software. */
		uint64_t sum = csum_tcp_pseudo(ip->src_addr, 32, tcp_len);
		th->cksum = tcp_csum_final(csum_raw(th, tcp_len, sum));
	}
	if (unlikely(m->next != NULL)) {
		/* a scattered frame (jumbo SYN or RST with data): only the first
		 * segment holds the headers written; the rest is payload to lose */
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	m->l2_len = l3_off;
	m->l3_len = l3_len;
	m->l4_len = tcp_len;
	m->data_len = m->pkt_len = l3_off + l3_len + tcp_len;
	return m->data_len;
}
