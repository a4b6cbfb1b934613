/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_out.h - the segments the SYN proxy itself sends, one builder each.
 *
 * Every builder writes fresh IP and TCP headers (tcp_build.c) into the frame
 * that triggered it, or into a new mbuf for the window update, and queues it
 * on the transmit sink. A reply (back where the frame came from) swaps the
 * MACs and the addresses; anything sent on in the frame's own direction keeps
 * its L2 header. All are inline: they sit on the SYN and handshake paths.
 *
 * The window the server is told (the client's, in the server's view of the
 * scale) is computed in one place, server_view_window().
 */
#ifndef SYNPROXY_FWD_SYNPROXY_OUT_H
#define SYNPROXY_FWD_SYNPROXY_OUT_H

#include <string.h>

#include "fwd/seqadj.h"
#include "fwd/synproxy_int.h"
#include "fwd/tcp_build.h"

/* Addresses and ports of a segment, reversed (for a reply) or not. */
static inline void
build_addrs(struct tcp_build *b, const struct seg *s, bool reverse)
{
	uint32_t *src = reverse ? b->dst : b->src, *dst = reverse ? b->src : b->dst;
	memset(b->src, 0, sizeof(b->src));
	memset(b->dst, 0, sizeof(b->dst));
	if (s->mt->l3 == PKT_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)s->l3;
		b->family = 4;
		src[0] = ip->src_addr;
		dst[0] = ip->dst_addr;
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)s->l3;
		b->family = 6;
		memcpy(src, ip->src_addr, 16);
		memcpy(dst, ip->dst_addr, 16);
	}
	b->sport = reverse ? s->th->dst_port : s->th->src_port;
	b->dport = reverse ? s->th->src_port : s->th->dst_port;
}

/* The common tail of every builder: s's frame becomes segment b, sent back
 * where it came from (reply) or on in its own direction, out of port out. */
static inline void
out_segment(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s, bool reply,
	    enum port_role out, struct tcp_build *b)
{
	build_addrs(b, s, reply);
	if (reply)
		tcp_build_swap_mac(s->m);
	tcp_build_frame(s->m, s->mt->l3_off, b, sp->tx_offload[out]);
	tx_sink_push(tx, out, s->m);
}

/* The client's window as the server understands it: unscaled when the
 * server does not scale (CWIN_ADJ) or the client does not. */
static inline uint16_t
server_view_window(const struct flow_entry *fe)
{
	uint8_t ws = (fe->flags & FLOW_F_CWIN_ADJ) || fe->wan_wscale == TCP_WSCALE_NONE
		     ? 0 : fe->wan_wscale;
	return (uint16_t)RTE_MIN(fe->wan_maxwin >> ws, 65535u);
}

/* Client SYN -> the proxy's SYN-ACK (ISN = cookie), zero window; with ECE
 * when the client is told yes to ECN (ecn.h). */
static inline void
out_synack_to_client(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
		     uint32_t isn, const struct tcp_synack_opts *opts, bool ecn)
{
	struct tcp_build b = {
		.seq = isn, .ack = s->seq + 1,
		.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | (ecn ? RTE_TCP_ECE_FLAG : 0),
		.win = 0,   /* hold the client's data until the server has answered */
		.opts_kind = TCP_BUILD_SYNACK, .opts = *opts,
	};
	out_segment(sp, tx, s, true, ROLE_WAN, &b);
}

/* A segment of the probe on the kept client SYN s's tuple, in the new frame
 * m that holds s's L2 header (client -> server), to the server. */
static inline void
out_probe_frame(struct synproxy_lcore *sp, struct tx_sink *tx, struct rte_mbuf *m,
		const struct seg *s, struct tcp_build *b)
{
	build_addrs(b, s, false);
	tcp_build_frame(m, s->mt->l3_off, b, sp->tx_offload[ROLE_LAN]);
	m->port = s->m->port;
	tx_sink_push(tx, ROLE_LAN, m);
}

/* The RST that ends probe p, in the server's view of it (seq = ISN + 1). */
static inline struct tcp_build
probe_rst(const struct probe *p)
{
	return (struct tcp_build){
		.seq = p->isn + 1, .ack = 0, .flags = RTE_TCP_RST_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
}

/* Client SYN to a server whose options are wanted -> the proxy's probe SYN
 * (synproxy_probe.c) in the new frame m, which holds the client SYN's L2
 * header: the client's tuple, the probe's ISN, every option the proxy wants
 * to learn and an ECN-setup SYN. */
static inline void
out_probe_syn_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, struct rte_mbuf *m,
			const struct seg *s, const struct probe *p)
{
	uint16_t mss = svc_mss_for(&p->svc, p->key.family);
	struct tcp_build b = {
		.seq = p->isn, .ack = 0, .win = 65535,
		.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG,
		.opts_kind = TCP_BUILD_SYN,
		.opts = { .mss = mss, .wscale = p->svc.wscale, .sack_perm = 1, .ts = 1,
			  .tsval = sp->now_ms, .tsecr = 0 },
	};
	out_probe_frame(sp, tx, m, s, &b);
}

/* The server's SYN-ACK to a probe -> the RST that ends the probe (in the
 * SYN-ACK's frame). */
static inline void
out_probe_rst_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
			const struct probe *p)
{
	struct tcp_build b = probe_rst(p);
	out_segment(sp, tx, s, true, ROLE_LAN, &b);
}

/* A probe past its last try -> the RST that ends it, in a new frame m. */
static inline void
out_probe_rst_on_timeout(struct synproxy_lcore *sp, struct tx_sink *tx, struct rte_mbuf *m,
			 const struct seg *s, const struct probe *p)
{
	struct tcp_build b = probe_rst(p);
	out_probe_frame(sp, tx, m, s, &b);
}

/* The server refused a probe (RST: port closed) -> the kept client SYN s
 * becomes the RST the server's stack would have sent it (seq 0, ack = its
 * ISN + 1, as to any SYN to a closed port). */
static inline void
out_rst_probe_refused_to_client(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s)
{
	struct tcp_build b = {
		.seq = 0, .ack = s->seq + 1, .flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
	out_segment(sp, tx, s, true, ROLE_WAN, &b);
}

/* Client handshake ACK -> the SYN to the server, with the client's ISN; an
 * ECN-setup SYN (ECE|CWR) when the server is asked (ecn.h). */
static inline void
out_syn_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
		  const struct flow_entry *fe, uint16_t win, const struct tcp_synack_opts *opts,
		  bool ecn)
{
	struct tcp_build b = {
		.seq = fe->client_isn, .ack = 0, .win = win,
		.flags = RTE_TCP_SYN_FLAG | (ecn ? RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG : 0),
		.opts_kind = TCP_BUILD_SYN, .opts = *opts,
	};
	out_segment(sp, tx, s, false, ROLE_LAN, &b);
}

/* The SYN to the server of a pending flow, rebuilt in a new mbuf from the
 * flow (ISN, options, client TSval, ECN setup), its key (addresses, ports) and its slot
 * (L2 header, window): byte for byte the first one. NULL (alloc_fail) if
 * the pool is empty. */
static inline struct rte_mbuf *
syn_frame_from_flow(struct synproxy_lcore *sp, const struct flow_key *k,
		    const struct flow_entry *fe, const struct pending_syn *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sp->mp);
	if (m == NULL) {
		sp->stats.alloc_fail++;
		return NULL;
	}
	char *d = rte_pktmbuf_append(m, p->l2_len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, p->l2, p->l2_len);
	struct tcp_build b = {
		.seq = fe->client_isn, .ack = 0, .win = p->win,
		.flags = RTE_TCP_SYN_FLAG | (fe->ecn_asked ? RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG : 0),
		.opts_kind = TCP_BUILD_SYN,
		.opts = {
			.mss = fe->client_mss,
			.wscale = fe->wan_wscale,
			.sack_perm = (fe->flags & FLOW_F_SACK) != 0,
			.ts = (fe->flags & FLOW_F_TS) != 0,
			.tsval = fe->client_tsval,
			.tsecr = 0,
		},
		.family = k->family == FLOW_AF_INET ? 4 : 6,
		.sport = k->wan_port, .dport = k->lan_port,
	};
	memcpy(b.src, k->wan_addr, sizeof(b.src));   /* IPv4: word 0, the rest zero */
	memcpy(b.dst, k->lan_addr, sizeof(b.dst));
	tcp_build_frame(m, p->l2_len, &b, sp->tx_offload[ROLE_LAN]);
	return m;
}

/* A pending SYN due again -> the same SYN to the server (syn_frame_from_flow). */
static inline void
out_syn_retx_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, const struct flow_key *k,
		       const struct flow_entry *fe, const struct pending_syn *p)
{
	struct rte_mbuf *m = syn_frame_from_flow(sp, k, fe, p);
	if (m != NULL)
		tx_sink_push(tx, ROLE_LAN, m);
}

/* Server SYN-ACK (first or retransmitted) -> the ACK that completes the
 * server's handshake, in the client's name. */
static inline void
out_ack_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
		  const struct flow_entry *fe, bool ts, uint32_t tsecr)
{
	struct tcp_build b = {
		.seq = fe->client_isn + 1, .ack = fe->lan_end, .flags = RTE_TCP_ACK_FLAG,
		.win = server_view_window(fe),
		.opts_kind = ts ? TCP_BUILD_TS : TCP_BUILD_NO_OPTS,
		.opts = { .tsval = fe->client_tsval, .tsecr = tsecr },
	};
	out_segment(sp, tx, s, true, ROLE_LAN, &b);
}

/* Server SYN-ACK -> a window update to the client in a new mbuf (the
 * SYN-ACK itself becomes the ACK to the server): the client may send.
 * server_tsval is the SYN-ACK's TSval, in the server's clock. */
static inline void
out_window_update_to_client(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
			    const struct flow_entry *fe, uint32_t server_tsval)
{
	struct rte_mbuf *upd = rte_pktmbuf_alloc(sp->mp);
	if (upd == NULL) {
		sp->stats.alloc_fail++;
		return;
	}
	uint16_t l3_off = s->mt->l3_off;
	char *d = rte_pktmbuf_append(upd, l3_off);
	if (d == NULL) {
		rte_pktmbuf_free(upd);
		return;
	}
	memcpy(d, rte_pktmbuf_mtod(s->m, void *), l3_off);   /* server->client L2 */
	uint8_t to = fe->proxy_wscale == TCP_WSCALE_NONE ? 0 : fe->proxy_wscale;
	struct tcp_build b = {
		.seq = fe->proxy_isn + 1, .ack = fe->client_isn + 1, .flags = RTE_TCP_ACK_FLAG,
		.win = seqadj_window(s->win, 0, to),
		.opts_kind = (fe->flags & FLOW_F_TS) ? TCP_BUILD_TS : TCP_BUILD_NO_OPTS,
		.opts = { .tsval = server_tsval + fe->ts_delta, .tsecr = fe->client_tsval },
	};
	build_addrs(&b, s, false);
	tcp_build_frame(upd, l3_off, &b, sp->tx_offload[ROLE_WAN]);
	upd->port = s->m->port;
	tx_sink_push(tx, ROLE_WAN, upd);
}

/* Client RST while the server holds our SYN -> RST to the server in its
 * sequence space (no ACK: none of its numbers is known yet). */
static inline void
out_rst_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
		  const struct flow_entry *fe)
{
	struct tcp_build b = {
		.seq = fe->client_isn + 1, .ack = 0, .flags = RTE_TCP_RST_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
	out_segment(sp, tx, s, false, ROLE_LAN, &b);
}

/* Server refused (RST) -> RST to the client, which believes it is
 * connected, in the sequence space the client knows. */
static inline void
out_rst_to_client(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
		  const struct flow_entry *fe)
{
	struct tcp_build b = {
		.seq = fe->proxy_isn + 1, .ack = fe->client_isn + 1,
		.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
	out_segment(sp, tx, s, false, ROLE_WAN, &b);
}

/* The server never answered the last SYN retransmission -> a RST to the
 * client, which believes it is connected, in the sequence space it knows;
 * s is the SYN rebuilt (client -> server direction), turned round. */
static inline void
out_rst_timeout_to_client(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
			  const struct flow_entry *fe)
{
	struct tcp_build b = {
		.seq = fe->proxy_isn + 1, .ack = fe->client_isn + 1,
		.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
	out_segment(sp, tx, s, true, ROLE_WAN, &b);
}

/* Good cookie ACK whose cached options are gone -> the RST the client's
 * stack accepts (RFC 9293: seq = the ACK's ack, no ACK flag). */
static inline void
out_rst_reply_to_client(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s)
{
	struct tcp_build b = {
		.seq = s->ack, .ack = 0, .flags = RTE_TCP_RST_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
	out_segment(sp, tx, s, true, ROLE_WAN, &b);
}

/* Server challenge ACK (an older connection on the tuple) -> the RST the
 * client's stack would answer with (RFC 5961: seq = the ACK's ack). */
static inline void
out_rst_reply_to_server(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s)
{
	struct tcp_build b = {
		.seq = s->ack, .ack = 0, .flags = RTE_TCP_RST_FLAG, .win = 0,
		.opts_kind = TCP_BUILD_NO_OPTS,
	};
	out_segment(sp, tx, s, true, ROLE_LAN, &b);
}

/* A SYN on a live flow, or an in-window RST not at the exact sequence, from
 * the WAN -> a challenge ACK back to its sender (RFC 5961 §3.2, §4.2), as
 * the LAN end would send it, in the sender's own view of the connection:
 * seq = the LAN end's next seq (translated), ack = what the LAN end last
 * acknowledged (never data it may not have: no early ACK, no RTT sample),
 * the largest window the LAN end offered in the scale the sender reads, and
 * on a proxied flow with timestamps the last TSval the client saw (never
 * backwards for its PAWS) echoing its latest TSval. A sender that lost the
 * connection answers with an RST at exactly that ack, which the flow
 * accepts. Pass-through flows carry no timestamp (their clocks are not
 * tracked; the option is not required on an ACK that only elicits an RST). */
static inline void
out_challenge_ack(struct synproxy_lcore *sp, struct tx_sink *tx, const struct seg *s,
		  const struct flow_entry *fe)
{
	bool proxied = (fe->flags & FLOW_F_PROXIED) != 0;
	uint8_t ws = proxied ? fe->proxy_wscale : fe->lan_wscale;
	bool ts = proxied && (fe->flags & FLOW_F_TS);
	struct tcp_build b = {
		.seq = fe->lan_end + fe->seq_delta, .ack = fe->lan_ack, .flags = RTE_TCP_ACK_FLAG,
		.win = (uint16_t)RTE_MIN(fe->lan_maxwin >> (ws == TCP_WSCALE_NONE ? 0 : ws), 65535u),
		.opts_kind = ts ? TCP_BUILD_TS : TCP_BUILD_NO_OPTS,
		.opts = { .tsval = fe->lan_tsval, .tsecr = fe->client_tsval },
	};
	out_segment(sp, tx, s, true, ROLE_WAN, &b);
}

#endif
