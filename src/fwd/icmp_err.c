/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp_err.c - ICMP and ICMPv6 errors that quote a proxied connection.
 *
 * An ICMP error (IPv4 types 3, 11, 12; ICMPv6 types 1..4) quotes the IP
 * header and the first bytes of the packet that caused it. The end host
 * matches the quote against its socket and, for TCP, ignores it unless the
 * quoted sequence number lies within what it has sent (RFC 5927; Linux
 * tcp_v4_err/tcp_v6_err). A proxied connection has two sequence spaces, so
 * a quote written in one must be rewritten into the other on its way to the
 * end host, or PMTU discovery (fragmentation needed, packet too big) and
 * every other error are lost on it.
 *
 * The quoted packet travels the opposite way of the error:
 *  - from the WAN, the quote is a server->client segment as the client saw
 *    it: seq in the proxy's space (server seq + seq_delta), ack in the
 *    client's own space. seq -= seq_delta; the ack stays.
 *  - from the LAN, the quote is a client->server segment as the server saw
 *    it: seq in the client's space, ack in the server's (client ack -
 *    seq_delta). ack += seq_delta, when the quote holds the ack (12 bytes of
 *    TCP) and, when it holds the flags, the ACK flag is set.
 * Only the fixed header is rewritten: options (TSval, SACK) in a long quote
 * stay as quoted; no stack looks at them. The error's checksum is updated
 * incrementally (RFC 1624); for ICMPv6 the pseudo-header holds the outer
 * addresses and length, which do not change. When the quote holds the inner
 * TCP checksum it is updated by the same difference, so a complete quote
 * still verifies; it is never recomputed (quotes are usually truncated).
 *
 * Blind attacks (RFC 5927): from the WAN, a quote of a proxied connection
 * whose translated seq is not within the server's send window is dropped
 * (icmp_err_out_of_window). The proxy does not track the server's snd_una;
 * it approximates the window as [lan_end - W, lan_end], lan_end being the
 * highest seq + len the server sent and W the largest window the client
 * advertised (at least WIN_MIN_TRACK): the server cannot have more than
 * that in flight. An error that arrives late, when the server has already
 * had the quoted data acknowledged and sent a window more, is dropped too:
 * the server would ignore it as well. The server applies its own exact
 * check to the errors that pass.
 *
 * Everything else is bridged untouched and counted icmp_err_no_flow: a
 * quote of no tracked connection, of a LAN-initiated one (one sequence
 * space), of a proxied one whose server has not answered yet (nothing to
 * translate), a quote too short to hold ports and seq (8 bytes of TCP),
 * a quoted IPv4 header with a fragment offset, or an error not addressed to
 * the quoted packet's sender. With several workers an error is placed by its
 * outer addresses by hardware RSS: one that reaches a worker that does not
 * hold the flow is bridged the same way (software steering places it by the
 * quote, rss.c).
 *
 * The quote is found by icmp_quote.c (shared with steering, which places an
 * error on the worker that holds the quoted connection when it hashes in
 * software).
 */
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "fwd/icmp_err.h"
#include "fwd/synproxy_int.h"

void
icmp_err(struct synproxy_lcore *sp, struct tx_sink *tx, struct rte_mbuf *m,
	 const struct pkt_meta *mt, enum port_role in)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *icmp = f + mt->l4_off;
	const uint8_t *outer = f + mt->l3_off;
	struct icmp_quote q;
	struct flow_key k;

	if (!icmp_quote_tcp(f, mt, &q))
		goto bridge;
	const uint8_t *qip = f + q.ip_off;
	uint8_t *qth = f + q.tcp_off;
	/* addressed to the quoted packet's sender */
	if (mt->l3 == PKT_L3_IPV4 ? memcmp(outer + offsetof(struct rte_ipv4_hdr, dst_addr),
					   qip + offsetof(struct rte_ipv4_hdr, src_addr), 4) != 0
				  : memcmp(outer + offsetof(struct rte_ipv6_hdr, dst_addr),
					   qip + offsetof(struct rte_ipv6_hdr, src_addr), 16) != 0)
		goto bridge;

	/* The key names the client (WAN side) first; the quoted segment went
	 * to the WAN when the error comes from there. */
	uint16_t qsp, qdp;
	memcpy(&qsp, qth, 2);
	memcpy(&qdp, qth + 2, 2);
	if (mt->l3 == PKT_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)qip;
		if (in == ROLE_WAN)
			flow_key_v4(&k, ip->dst_addr, ip->src_addr, qdp, qsp, IPPROTO_TCP);
		else
			flow_key_v4(&k, ip->src_addr, ip->dst_addr, qsp, qdp, IPPROTO_TCP);
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)qip;
		if (in == ROLE_WAN)
			flow_key_v6(&k, ip->dst_addr, ip->src_addr, qdp, qsp, IPPROTO_TCP);
		else
			flow_key_v6(&k, ip->src_addr, ip->dst_addr, qsp, qdp, IPPROTO_TCP);
	}
	struct flow_entry *fe = flow_table_lookup(sp->flows, &k, flow_table_hash(sp->flows, &k));
	if (fe == NULL || !(fe->flags & FLOW_F_PROXIED) || fe->state < FLOW_S_ESTABLISHED)
		goto bridge;

	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)qth;
	uint32_t acc = 0;
	if (in == ROLE_WAN) {
		uint32_t old = th->sent_seq;
		uint32_t seq = rte_be_to_cpu_32(old) - fe->seq_delta;
		uint32_t win = RTE_MAX(fe->wan_maxwin, WIN_MIN_TRACK);
		if ((uint32_t)(fe->lan_end - seq) > win) {
			drop(sp, m, &sp->stats.icmp_err_out_of_window);
			return;
		}
		th->sent_seq = rte_cpu_to_be_32(seq);
		acc = csum_acc32(acc, old, th->sent_seq);
	} else if (q.tcp_len >= 12 && (q.tcp_len < 14 || (th->tcp_flags & RTE_TCP_ACK_FLAG))) {
		uint32_t old = th->recv_ack;
		th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(old) + fe->seq_delta);
		acc = csum_acc32(acc, old, th->recv_ack);
	}
	if (q.tcp_len >= offsetof(struct rte_tcp_hdr, cksum) + 2) {
		uint16_t old = th->cksum;
		th->cksum = csum_apply(old, acc);
		acc = csum_acc16(acc, old, th->cksum);
	}
	/* Every changed field lies at an even offset from the ICMP header: the
	 * quoted IP header is a multiple of 4 bytes, as is each extension. */
	uint16_t ck;
	memcpy(&ck, icmp + 2, 2);
	ck = csum_apply(ck, acc);
	memcpy(icmp + 2, &ck, 2);
	sp->stats.icmp_err_translated++;
	tx_sink_forward(tx, in, m);
	return;
bridge:
	sp->stats.icmp_err_no_flow++;
	tx_sink_forward(tx, in, m);
}
