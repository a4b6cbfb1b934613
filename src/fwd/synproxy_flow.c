/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_flow.c - what happens to a TCP segment, by the state of its flow.
 *
 * flow_segment() switches on fe->state, one handler per state (the four
 * states after the handshake share one: track() moves between them). A
 * proxied flow (WAN-initiated) is translated by seqadj.c: seq/ack, SACK,
 * timestamps and, where the scales differ, windows. A pass-through flow
 * (LAN-initiated, or WAN-initiated from an allowed source or to no protected
 * service) is tracked so that its WAN-side segments are never taken for
 * cookie ACKs, and bridged untouched. RSTs are checked against the window,
 * FINs tracked; each state has its own timeout in the flow table. A SYN from
 * the LAN with no flow opens a pass-through flow (lan_new), so does a WAN SYN
 * the policy does not protect (wan_passthrough_new); the rest of the WAN side
 * of "no flow" is the handshake (synproxy.c dispatches it).
 *
 * Each handler's contract says what it accepts, what it counts and the state
 * it leaves; every frame it drops is counted once, in the counter given to
 * drop().
 */
#include <rte_tcp.h>

#include "fwd/ecn.h"
#include "fwd/seqadj.h"
#include "fwd/synproxy_int.h"
#include "fwd/synproxy_out.h"
#include "fwd/tcp_opts.h"

#define SYN_ACK_RST (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)

/* FIN/RST bookkeeping common to proxied and pass-through flows. Returns
 * false for an RST outside the window (the caller drops it as
 * rst_out_of_window). Sequence numbers are in the sender's own space. */
static __rte_always_inline bool
track(struct synproxy_lcore *sp, struct flow_entry *fe, const struct seg *s, enum port_role in)
{
	uint32_t *end = in == ROLE_WAN ? &fe->wan_end : &fe->lan_end;
	uint32_t peer_win = in == ROLE_WAN ? fe->lan_maxwin : fe->wan_maxwin;
	uint8_t ws = in == ROLE_WAN ? fe->wan_wscale : fe->lan_wscale;

	if (unlikely(s->flags & RTE_TCP_RST_FLAG)) {
		/* Once both sides are known (ESTABLISHED .. CLOSED; WAN_SYN is
		 * numbered after them but knows one side only). */
		if (fe->state >= FLOW_S_ESTABLISHED && fe->state <= FLOW_S_CLOSED &&
		    !in_window(s->seq, *end, peer_win))
			return false;
		if (fe->state != FLOW_S_CLOSED) {
			sp->stats.rst_accepted++;
			set_state(sp, fe, FLOW_S_CLOSED);
		}
		fe->last_seen = sp->now_ms;
		return true;
	}
	uint32_t seg_end = s->seq + s->plen + !!(s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG));
	if ((int32_t)(seg_end - *end) > 0)
		*end = seg_end;
	uint32_t wbytes = scaled(s->win, (s->flags & RTE_TCP_SYN_FLAG) ? 0 : ws);
	if (in == ROLE_WAN) {
		if (wbytes > fe->wan_maxwin)
			fe->wan_maxwin = wbytes;
	} else if (wbytes > fe->lan_maxwin) {
		fe->lan_maxwin = wbytes;
	}
	if (unlikely(s->flags & RTE_TCP_FIN_FLAG)) {
		uint8_t bit = in == ROLE_WAN ? FLOW_F_WAN_FIN : FLOW_F_LAN_FIN;
		if (!(fe->flags & bit)) {
			fe->flags |= bit;
			sp->stats.fin_seen++;
			if (in == ROLE_WAN)
				fe->wan_fin_seq = s->seq + s->plen;
			else
				fe->lan_fin_seq = s->seq + s->plen;
		}
		if ((fe->flags & (FLOW_F_WAN_FIN | FLOW_F_LAN_FIN)) == (FLOW_F_WAN_FIN | FLOW_F_LAN_FIN))
			set_state(sp, fe, FLOW_S_TIME_WAIT);
		else if (fe->state == FLOW_S_ESTABLISHED)
			set_state(sp, fe, FLOW_S_FIN_WAIT);
	}
	fe->last_seen = sp->now_ms;
	return true;
}

/* ---------------------------------------------------------------- pass-through */

/* Accepts: any segment of a pass-through flow, either side. Counts
 * passthrough (fin_seen, rst_accepted), or drops (rst_out_of_window).
 * State: ESTABLISHED.. as track() moves it. */
static __rte_always_inline void
passthrough(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	    enum port_role in)
{
	if (in == ROLE_LAN && (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG)
		fe->lan_end = s->seq;   /* retransmitted or reused LAN SYN */
	if (!track(sp, fe, s, in)) {
		drop(sp, s->m, &sp->stats.rst_out_of_window);
		return;
	}
	sp->stats.passthrough++;
	tx_sink_forward(tx, in, s->m);
}

/* LAN_SYN. Accepts: any segment; from the WAN, the SYN-ACK that answers the
 * LAN host. Counts as passthrough(). Leaves LAN_SYN, or ESTABLISHED on that
 * SYN-ACK. */
static void
on_lan_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	   enum port_role in)
{
	if (in == ROLE_WAN &&
	    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		struct tcp_opts o;
		fe->wan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 ? o.wscale
										  : TCP_WSCALE_NONE;
		if (fe->wan_wscale == TCP_WSCALE_NONE)
			fe->lan_wscale = TCP_WSCALE_NONE;   /* scaling needs both */
		else if (fe->lan_wscale == TCP_WSCALE_NONE)
			fe->wan_wscale = TCP_WSCALE_NONE;
		fe->wan_end = s->seq;
		set_state(sp, fe, FLOW_S_ESTABLISHED);
	}
	passthrough(sp, tx, s, fe, in);
}

/* WAN_SYN (a WAN-initiated pass-through flow). Accepts: any segment; from
 * the LAN, the server's SYN-ACK. Counts as passthrough(). Leaves WAN_SYN, or
 * ESTABLISHED on that SYN-ACK. */
static void
on_wan_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	   enum port_role in)
{
	if (in == ROLE_LAN &&
	    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		struct tcp_opts o;
		fe->lan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 ? o.wscale
										  : TCP_WSCALE_NONE;
		if (fe->lan_wscale == TCP_WSCALE_NONE)
			fe->wan_wscale = TCP_WSCALE_NONE;   /* scaling needs both */
		else if (fe->wan_wscale == TCP_WSCALE_NONE)
			fe->lan_wscale = TCP_WSCALE_NONE;
		fe->lan_end = s->seq;
		set_state(sp, fe, FLOW_S_ESTABLISHED);
	} else if (in == ROLE_WAN &&
		   (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
		fe->wan_end = s->seq;   /* retransmitted SYN */
	}
	passthrough(sp, tx, s, fe, in);
}

/* ---------------------------------------------------------------- SYN_SENT */

/* SYN_SENT, from the client. Accepts: its RST (passed on to the server,
 * rst_accepted; flow removed). Drops the rest: rst_out_of_window,
 * early_data_drop (data, duplicate ACKs), syn_retransmit. Else SYN_SENT. */
static void
wan_syn_sent(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe)
{
	/* The server has not answered yet: duplicates and early data wait
	 * (the zero window asked the client to). */
	if (s->flags & RTE_TCP_RST_FLAG) {
		if (s->seq != fe->client_isn + 1) {
			drop(sp, s->m, &sp->stats.rst_out_of_window);
			return;
		}
		/* The server holds our SYN: pass the reset on. */
		out_rst_to_server(sp, tx, s, fe);
		sp->stats.rst_accepted++;
		flow_release(sp, fe);
		return;
	}
	if (s->plen == 0 && (s->flags & RTE_TCP_SYN_FLAG))
		drop(sp, s->m, &sp->stats.syn_retransmit);
	else
		drop(sp, s->m, &sp->stats.early_data_drop);
}

/* SYN_SENT, from the server. Accepts: its SYN-ACK (-> ESTABLISHED, see
 * lan_server_synack), its RST (server_rst, client reset, flow removed), a
 * challenge ACK (server_challenge_ack). Drops the rest: server_synack_bad. */
static void
lan_syn_sent(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	     struct flow_entry *fe)
{
	uint8_t f = s->flags & SYN_ACK_RST;

	if (f == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		lan_server_synack(sp, tx, s, k, fe);
		return;
	}
	if ((s->flags & RTE_TCP_RST_FLAG) && (s->flags & RTE_TCP_ACK_FLAG) &&
	    s->ack == fe->client_isn + 1) {
		sp->stats.server_rst++;
		out_rst_to_client(sp, tx, s, fe);
		flow_release(sp, fe);
		return;
	}
	if (f == RTE_TCP_ACK_FLAG && s->ack != fe->client_isn + 1) {
		/* A challenge ACK (RFC 5961): the server still holds an older
		 * connection on this tuple. Reset it the way the client's stack
		 * would; the SYN retransmission follows. */
		out_rst_reply_to_server(sp, tx, s);
		sp->stats.server_challenge_ack++;
		return;
	}
	drop(sp, s->m, &sp->stats.server_synack_bad);
}

/* ---------------------------------------------------------------- ESTABLISHED.. */

/* A flow whose ends disagree on ECN (FLOW_F_ECN, see ecn.h): clear its
 * marks (ecn_cleared), or drop CE-marked data (ecn_ce_drop). Returns false
 * when the frame was dropped. */
static __rte_noinline bool
ecn_fixup(struct synproxy_lcore *sp, struct seg *s)
{
	switch (ecn_scrub(s->l3, s->mt->l3 == PKT_L3_IPV4, s->th, s->plen)) {
	case ECN_CE_DROP:
		drop(sp, s->m, &sp->stats.ecn_ce_drop);
		return false;
	case ECN_CLEARED:
		sp->stats.ecn_cleared++;
		return true;
	default:
		return true;
	}
}

/* ESTABLISHED, FIN_WAIT, TIME_WAIT, CLOSED of a proxied flow, from the
 * client. Accepts: in-window segments, translated (translated_wan; ECN
 * scrubbed, ecn_cleared). Drops: syn_retransmit, ecn_ce_drop,
 * rst_out_of_window. State as track() moves it. */
static __rte_always_inline void
wan_open(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe)
{
	if (unlikely(s->flags & RTE_TCP_SYN_FLAG)) {
		/* A SYN on a live proxied flow: the client's retransmission. */
		drop(sp, s->m, &sp->stats.syn_retransmit);
		return;
	}
	if (unlikely(fe->flags & FLOW_F_ECN) && !ecn_fixup(sp, s))
		return;
	if (!track(sp, fe, s, ROLE_WAN)) {
		drop(sp, s->m, &sp->stats.rst_out_of_window);
		return;
	}
	struct seqadj a;
	seqadj_from_flow(fe, &a);
	if (seqadj_wan_to_lan(s->th, s->mt->tcp_hlen, &a) != 0)
		sp->stats.tcp_bad_options++;   /* options left as they were; not a drop */
	sp->stats.translated_wan++;
	tx_sink_forward(tx, ROLE_WAN, s->m);
}

/* ESTABLISHED.. of a proxied flow, from the server. Accepts: segments,
 * translated (translated_lan; ECN scrubbed, ecn_cleared); a retransmitted
 * SYN-ACK is ACKed again (server_synack). Drops: server_synack_bad,
 * ecn_ce_drop, rst_out_of_window. */
static __rte_always_inline void
lan_open(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe)
{
	if (unlikely(s->flags & RTE_TCP_SYN_FLAG)) {
		/* Retransmitted server SYN-ACK (our ACK was lost): ACK it again. */
		if ((s->flags & RTE_TCP_ACK_FLAG) && s->seq + 1 == fe->lan_end &&
		    fe->state == FLOW_S_ESTABLISHED) {
			struct tcp_opts o;
			bool ts = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 && o.ts_present &&
				  (fe->flags & FLOW_F_TS);
			out_ack_to_server(sp, tx, s, fe, ts, ts ? o.tsval : 0);
			sp->stats.server_synack++;
			return;
		}
		drop(sp, s->m, &sp->stats.server_synack_bad);
		return;
	}
	if (unlikely(fe->flags & FLOW_F_ECN) && !ecn_fixup(sp, s))
		return;
	if (!track(sp, fe, s, ROLE_LAN)) {
		drop(sp, s->m, &sp->stats.rst_out_of_window);
		return;
	}
	struct seqadj a;
	seqadj_from_flow(fe, &a);
	if (seqadj_lan_to_wan(s->th, s->mt->tcp_hlen, &a) != 0)
		sp->stats.tcp_bad_options++;   /* options left as they were; not a drop */
	sp->stats.translated_lan++;
	tx_sink_forward(tx, ROLE_LAN, s->m);
}

void
flow_segment(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	     struct flow_entry *fe, enum port_role in)
{
	switch (fe->state) {
	case FLOW_S_SYN_SENT:
		if (in == ROLE_WAN)
			wan_syn_sent(sp, tx, s, fe);
		else
			lan_syn_sent(sp, tx, s, k, fe);
		return;
	case FLOW_S_LAN_SYN:
		on_lan_syn(sp, tx, s, fe, in);
		return;
	case FLOW_S_WAN_SYN:
		on_wan_syn(sp, tx, s, fe, in);
		return;
	case FLOW_S_ESTABLISHED:
	case FLOW_S_FIN_WAIT:
	case FLOW_S_TIME_WAIT:
	case FLOW_S_CLOSED:
	default:   /* FLOW_S_FREE is never returned by a lookup */
		if (!(fe->flags & FLOW_F_PROXIED))
			passthrough(sp, tx, s, fe, in);
		else if (in == ROLE_WAN)
			wan_open(sp, tx, s, fe);
		else
			lan_open(sp, tx, s, fe);
		return;
	}
}

/* ---------------------------------------------------------------- no flow */

/* No flow, from the LAN. Accepts: a SYN (passthrough_new, new flow in
 * LAN_SYN) and anything else, bridged (lan_no_flow). Drops: flow_full. */
void
lan_new(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	uint32_t hash)
{
	if ((s->flags & SYN_ACK_RST) == RTE_TCP_SYN_FLAG) {
		struct flow_entry *fe = flow_table_insert(sp->flows, k, hash, sp->now_ms);
		if (fe == NULL) {
			/* Its answer would find no flow and be dropped: better the
			 * LAN host retries its SYN. */
			drop(sp, s->m, &sp->stats.flow_full);
			return;
		}
		struct tcp_opts o;
		fe->flags = 0;
		fe->lan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 ? o.wscale : TCP_WSCALE_NONE;
		fe->wan_wscale = TCP_WSCALE_NONE;
		fe->proxy_wscale = TCP_WSCALE_NONE;
		fe->lan_end = s->seq + 1;
		fe->wan_end = 0;
		fe->pending = UINT32_MAX;
		fe->last_seen = sp->now_ms;
		set_state(sp, fe, FLOW_S_LAN_SYN);
		sp->stats.passthrough_new++;
		tx_sink_forward(tx, ROLE_LAN, s->m);
		return;
	}
	/* Untracked LAN traffic (older than the proxy, or expired) is let out;
	 * its WAN replies will not be let in without a flow. */
	sp->stats.lan_no_flow++;
	tx_sink_forward(tx, ROLE_LAN, s->m);
}

/* No flow, from the WAN: a SYN from an allowed source or to a destination no
 * service protects (synproxy.c decided). Accepts: that SYN, bridged untouched
 * to the server (counter: allow_pass or syn_unprotected), new flow in WAN_SYN
 * so the server's answer and the rest of the connection pass both ways.
 * Drops: flow_full. */
void
wan_passthrough_new(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		    const struct flow_key *k, uint32_t hash, uint64_t *counter)
{
	struct flow_entry *fe = flow_table_insert(sp->flows, k, hash, sp->now_ms);
	if (fe == NULL) {
		drop(sp, s->m, &sp->stats.flow_full);
		return;
	}
	struct tcp_opts o;
	fe->flags = 0;
	fe->wan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 ? o.wscale : TCP_WSCALE_NONE;
	fe->lan_wscale = TCP_WSCALE_NONE;
	fe->proxy_wscale = TCP_WSCALE_NONE;
	fe->wan_end = s->seq + 1;
	fe->lan_end = 0;
	fe->wan_maxwin = 0;
	fe->lan_maxwin = 0;
	fe->pending = UINT32_MAX;
	fe->last_seen = sp->now_ms;
	set_state(sp, fe, FLOW_S_WAN_SYN);
	(*counter)++;
	tx_sink_forward(tx, ROLE_WAN, s->m);
}
