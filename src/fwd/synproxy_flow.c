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
 * cookie ACKs, and bridged untouched. Both kinds get the same blind
 * attack checks (RFC 5961, track()): out-of-window segments dropped, RSTs
 * only at the exact sequence, a SYN on a live flow or an inexact WAN RST
 * answered by a challenge ACK (at most one per flow per 512 ms), edges and FINs
 * moved only by segments in the window. Each state has its own timeout.
 * A SYN from the LAN with no flow opens a pass-through flow (lan_new), so
 * does a WAN SYN the policy does not protect (wan_passthrough_new); the
 * rest of the WAN side of "no flow" is the handshake (synproxy.c
 * dispatches it).
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

/* What track() made of a segment. */
enum track_verdict {
	TRACK_PASS,          /* in the window, bookkeeping done: send it on */
	TRACK_RST_INEXACT,   /* RST in the window, not at the exact sequence: state untouched */
	TRACK_RST_OOW,       /* RST outside the window: drop (rst_out_of_window) */
	TRACK_SEG_OOW,       /* other segment outside the window, or an impossible ACK: drop */
};

/*
 * The window checks (RFC 5961, as conntrack's tcp_in_window), common to
 * proxied and pass-through flows once established; the caller has dealt
 * with SYNs. Sequence numbers are the sender's own; an ACK is compared in
 * the peer's space (a WAN ACK minus seq_delta, 0 on pass-through flows).
 *  - seq must lie within the receiver's largest window around the sender's
 *    highest seq + len (in_window: 65535 bytes before any window was seen);
 *  - an ACK must acknowledge nothing beyond the peer's highest seq + len and
 *    nothing more than two of the sender's windows below it;
 *  - an RST acts only at the exact next sequence number, the receiver's
 *    rcv_nxt: the sender's highest seq + len (what an aborting end sends),
 *    or for a WAN RST also the server's last ACK (lan_ack: what a client
 *    that lost the connection sends in reply to a challenge ACK, whose ack
 *    it is). Any other RST in the window leaves the state as it is
 *    (TRACK_RST_INEXACT);
 *  - only a segment that passed these moves the edges (end, the server's
 *    highest ACK, largest window) and the FIN flags.
 * Before ESTABLISHED (a pass-through flow in LAN_SYN) there is no window
 * yet: the caller filtered the WAN side; anything passes here.
 * Cost on the fast path: two modular compares and the edge updates.
 */
static __rte_always_inline enum track_verdict
track(struct synproxy_lcore *sp, struct flow_entry *fe, const struct seg *s, enum port_role in)
{
	bool wan = in == ROLE_WAN;
	uint32_t *end = wan ? &fe->wan_end : &fe->lan_end;
	uint32_t rcv_win = wan ? fe->lan_maxwin : fe->wan_maxwin;
	uint32_t own_win = wan ? fe->wan_maxwin : fe->lan_maxwin;
	uint8_t ws = wan ? fe->wan_wscale : fe->lan_wscale;

	if (likely(flow_state_has_window(fe->state))) {
		if (unlikely(!in_window(s->seq, *end, rcv_win)))
			return (s->flags & RTE_TCP_RST_FLAG) ? TRACK_RST_OOW : TRACK_SEG_OOW;
		if (unlikely(s->flags & RTE_TCP_RST_FLAG)) {
			if (s->seq != *end && (!wan || s->seq != fe->lan_ack))
				return TRACK_RST_INEXACT;
		} else if (likely(s->flags & RTE_TCP_ACK_FLAG)) {
			uint32_t a = wan ? s->ack - fe->seq_delta : s->ack;
			if (unlikely(!ack_in_window(a, wan ? fe->lan_end : fe->wan_end, own_win)))
				return TRACK_SEG_OOW;
			if (!wan && (int32_t)(a - fe->lan_ack) > 0)
				fe->lan_ack = a;
		}
	}
	if (unlikely(s->flags & RTE_TCP_RST_FLAG)) {
		if (fe->state != FLOW_S_CLOSED) {
			sp->stats.rst_accepted++;
			set_state(sp, fe, FLOW_S_CLOSED);
		}
		fe->last_seen = sp->now_ms;
		return TRACK_PASS;
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
		}
		if ((fe->flags & (FLOW_F_WAN_FIN | FLOW_F_LAN_FIN)) == (FLOW_F_WAN_FIN | FLOW_F_LAN_FIN))
			set_state(sp, fe, FLOW_S_TIME_WAIT);
		else if (fe->state == FLOW_S_ESTABLISHED)
			set_state(sp, fe, FLOW_S_FIN_WAIT);
	}
	fe->last_seen = sp->now_ms;
	return TRACK_PASS;
}

/*
 * Challenge ACKs are limited per flow, never by a budget flows share: a
 * shared budget is a side channel (CVE-2016-5696, "Off-Path TCP Exploits:
 * Global Rate Limit Considered Dangerous"). An off-path attacker spends it
 * with spoofed SYNs or RSTs guessed at a victim's tuple and sequence, counts
 * how many challenge ACKs its own connection still gets, and learns whether
 * a guess hit a live flow or its window. Per flow, what a guess costs is
 * seen only by that flow's own ends. Nor is there a reflection to bound: a
 * challenge ACK goes to the flow's real client, one per spoofed segment at
 * most, and only for a tuple that is live; per flow, at most one per
 * CHALLENGE_ACK_GAP (512 ms, Linux's per-socket tcp_invalid_ratelimit; Linux
 * dropped its global limit for the same reason). A client that lost its
 * connection and retries its SYN is answered by the next one at the latest.
 * fe->chal_at shares its bytes with SYN_SENT's retries (flow_entry.h): no
 * SYN_SENT flow gets here (wan_syn_sent and lan_syn_sent answer their own).
 */
static inline bool
challenge_ack_allowed(struct synproxy_lcore *sp, struct flow_entry *fe)
{
	uint16_t now = flow_chal_clock(sp->now_ms);

	RTE_ASSERT(fe->state != FLOW_S_SYN_SENT);
	if (fe->chal_at != 0 && (uint16_t)(now - fe->chal_at) < CHALLENGE_ACK_GAP)
		return false;
	fe->chal_at = now;
	return true;
}

/* A WAN segment the flow must not act on (a SYN on a live flow, an inexact
 * RST): answered with a challenge ACK (challenge_ack_sent; the frame becomes
 * it) or, within CHALLENGE_ACK_GAP of the flow's last one, dropped
 * (challenge_ack_limited). State untouched but for the flow's chal_at. */
static inline void
challenge(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe)
{
	if (!challenge_ack_allowed(sp, fe)) {
		drop(sp, s->m, &sp->stats.challenge_ack_limited);
		return;
	}
	sp->stats.challenge_ack_sent++;
	out_challenge_ack(sp, tx, s, fe);
}

/* What becomes of a segment track() did not pass. An inexact RST from the
 * WAN draws the proxy's challenge ACK; one from the LAN (a protected host)
 * goes on to the WAN end, whose stack checks it itself. Returns true when
 * the frame was consumed here. */
static __rte_always_inline bool
refused(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	enum port_role in, enum track_verdict v)
{
	switch (v) {
	case TRACK_PASS:
		return false;
	case TRACK_RST_INEXACT:
		if (in == ROLE_LAN)
			return false;
		challenge(sp, tx, s, fe);
		return true;
	case TRACK_RST_OOW:
		drop(sp, s->m, &sp->stats.rst_out_of_window);
		return true;
	case TRACK_SEG_OOW:
	default:
		drop(sp, s->m, &sp->stats.seg_out_of_window);
		return true;
	}
}

/* ---------------------------------------------------------------- pass-through */

/* A LAN SYN opens (or, on a tuple the LAN host reuses, reopens) a
 * pass-through flow: LAN_SYN, the LAN end's edges from its SYN. */
static inline void
lan_syn_init(struct synproxy_lcore *sp, struct flow_entry *fe, const struct seg *s)
{
	struct tcp_opts o;
	fe->flags = 0;
	fe->lan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 ? o.wscale : TCP_WSCALE_NONE;
	fe->wan_wscale = TCP_WSCALE_NONE;
	fe->proxy_wscale = TCP_WSCALE_NONE;
	fe->lan_end = s->seq + 1;
	fe->lan_maxwin = s->win;   /* a SYN's window is never scaled */
	fe->wan_end = 0;
	fe->wan_maxwin = 0;
	fe->lan_ack = 0;
	fe->last_seen = sp->now_ms;
	set_state(sp, fe, FLOW_S_LAN_SYN);
}

/* Accepts: in-window segments of a LAN-initiated flow, either side (track);
 * a LAN SYN starts the flow over (LAN_SYN); from the WAN the retransmitted
 * SYN-ACK. From the WAN, once established, any other SYN draws a challenge
 * ACK, as an inexact RST does. Counts passthrough (fin_seen, rst_accepted,
 * challenge_ack_sent), or drops (rst_out_of_window, seg_out_of_window,
 * challenge_ack_limited). State: as track() moves it. */
static __rte_always_inline void
passthrough(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	    enum port_role in)
{
	if (unlikely(s->flags & RTE_TCP_SYN_FLAG)) {
		if (in == ROLE_LAN) {
			if (!(s->flags & RTE_TCP_ACK_FLAG)) {
				/* retransmitted or reused LAN SYN: the protected side */
				lan_syn_init(sp, fe, s);
				sp->stats.passthrough++;
				tx_sink_forward(tx, in, s->m);
				return;
			}
		} else if (flow_state_has_window(fe->state) && s->seq + 1 != fe->wan_end) {
			challenge(sp, tx, s, fe);   /* RFC 5961 §4 */
			return;
		}
	}
	if (refused(sp, tx, s, fe, in, track(sp, fe, s, in)))
		return;
	sp->stats.passthrough++;
	tx_sink_forward(tx, in, s->m);
}

/* LAN_SYN. Accepts: from the LAN, anything (passthrough); from the WAN, the
 * SYN-ACK that acknowledges the LAN SYN (-> ESTABLISHED), an RST that does
 * (rst_accepted, -> CLOSED), a SYN (simultaneous open). Drops the rest of
 * the WAN side: nothing else can come before the handshake, and the LAN
 * host's RST to it would close the flow: seg_out_of_window,
 * rst_out_of_window. */
static void
on_lan_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	   enum port_role in)
{
	if (in == ROLE_WAN) {
		uint8_t f = s->flags & SYN_ACK_RST;
		bool acks_syn = (s->flags & RTE_TCP_ACK_FLAG) && s->ack == fe->lan_end;
		if (f == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) && acks_syn) {
			struct tcp_opts o;
			fe->wan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0
					 ? o.wscale : TCP_WSCALE_NONE;
			if (fe->wan_wscale == TCP_WSCALE_NONE)
				fe->lan_wscale = TCP_WSCALE_NONE;   /* scaling needs both */
			else if (fe->lan_wscale == TCP_WSCALE_NONE)
				fe->wan_wscale = TCP_WSCALE_NONE;
			fe->wan_end = s->seq + 1;
			fe->lan_ack = s->seq + 1;
			set_state(sp, fe, FLOW_S_ESTABLISHED);
		} else if (s->flags & RTE_TCP_RST_FLAG) {
			if (!acks_syn) {
				drop(sp, s->m, &sp->stats.rst_out_of_window);
				return;
			}
		} else if (f != RTE_TCP_SYN_FLAG) {
			drop(sp, s->m, &sp->stats.seg_out_of_window);
			return;
		}
	}
	passthrough(sp, tx, s, fe, in);
}

/* WAN_SYN (a WAN-initiated pass-through flow), the mirror of LAN_SYN with the
 * untrusted end first. Accepts: from the LAN, anything (passthrough), its
 * SYN-ACK that acknowledges the WAN SYN moving the flow to ESTABLISHED; from
 * the WAN, the SYN again (retransmission) or an RST at its exact next
 * sequence. Drops the rest of the WAN side (nothing else can come before the
 * server answers, and a blind RST would close the flow): rst_out_of_window,
 * seg_out_of_window. A WAN SYN never moves the edges here. */
static void
on_wan_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe,
	   enum port_role in)
{
	uint8_t f = s->flags & SYN_ACK_RST;

	if (in == ROLE_LAN) {
		/* The server answers only a SYN it accepted: its ack says
		 * which, even if a spoofed SYN came in between. */
		if (f == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
			struct tcp_opts o;
			fe->lan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0
					 ? o.wscale : TCP_WSCALE_NONE;
			if (fe->lan_wscale == TCP_WSCALE_NONE)
				fe->wan_wscale = TCP_WSCALE_NONE;   /* scaling needs both */
			else if (fe->wan_wscale == TCP_WSCALE_NONE)
				fe->lan_wscale = TCP_WSCALE_NONE;
			fe->lan_end = s->seq + 1;
			fe->lan_maxwin = s->win;   /* a SYN-ACK's window is never scaled */
			fe->wan_end = s->ack;
			fe->lan_ack = s->ack;
			set_state(sp, fe, FLOW_S_ESTABLISHED);
		}
	} else if (f == RTE_TCP_SYN_FLAG) {
		/* a retransmission (or another ISN, which the server judges) */
	} else if (s->flags & RTE_TCP_RST_FLAG) {
		if (s->seq != fe->wan_end) {
			drop(sp, s->m, &sp->stats.rst_out_of_window);
			return;
		}
	} else {
		drop(sp, s->m, &sp->stats.seg_out_of_window);
		return;
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
 * client. Accepts: segments track() passes, translated (translated_wan;
 * ECN scrubbed, ecn_cleared). A SYN (a pure one on TIME_WAIT/CLOSED
 * restarted in the burst step) or an inexact RST draws a challenge ACK
 * (challenge_ack_sent). Drops: ecn_ce_drop, rst_out_of_window,
 * seg_out_of_window, challenge_ack_limited. State as track() moves it. */
static __rte_always_inline void
wan_open(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, struct flow_entry *fe)
{
	if (unlikely(s->flags & RTE_TCP_SYN_FLAG)) {
		/* RFC 5961 §4: whatever its sequence number. A client that lost
		 * the connection answers with the RST that closes it. */
		challenge(sp, tx, s, fe);
		return;
	}
	if (unlikely(fe->flags & FLOW_F_ECN) && !ecn_fixup(sp, s))
		return;
	if (refused(sp, tx, s, fe, ROLE_WAN, track(sp, fe, s, ROLE_WAN)))
		return;
	struct seqadj a;
	uint32_t tsval = fe->client_tsval;
	seqadj_from_flow(fe, &a);
	if (seqadj_wan_to_lan_ts(s->th, s->mt->tcp_hlen, &a, &tsval) != 0)
		sp->stats.tcp_bad_options++;   /* options left as they were; not a drop */
	if ((int32_t)(tsval - fe->client_tsval) > 0)
		fe->client_tsval = tsval;
	sp->stats.translated_wan++;
	tx_sink_forward(tx, ROLE_WAN, s->m);
}

/* ESTABLISHED.. of a proxied flow, from the server. Accepts: segments
 * track() passes, translated (translated_lan; ECN scrubbed, ecn_cleared), an
 * inexact RST too (state untouched: the client's stack judges it); a
 * retransmitted SYN-ACK is ACKed again (server_synack). Drops:
 * server_synack_bad, ecn_ce_drop, rst_out_of_window, seg_out_of_window. */
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
	if (refused(sp, tx, s, fe, ROLE_LAN, track(sp, fe, s, ROLE_LAN)))
		return;
	struct seqadj a;
	uint32_t tsval = fe->lan_tsval;
	seqadj_from_flow(fe, &a);
	if (seqadj_lan_to_wan_ts(s->th, s->mt->tcp_hlen, &a, &tsval) != 0)
		sp->stats.tcp_bad_options++;   /* options left as they were; not a drop */
	if ((int32_t)(tsval - fe->lan_tsval) > 0)
		fe->lan_tsval = tsval;
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
		fe->pending = UINT32_MAX;
		lan_syn_init(sp, fe, s);
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
	fe->wan_maxwin = s->win;   /* a SYN's window is never scaled */
	fe->lan_maxwin = 0;
	fe->lan_ack = 0;
	fe->pending = UINT32_MAX;
	fe->last_seen = sp->now_ms;
	set_state(sp, fe, FLOW_S_WAN_SYN);
	(*counter)++;
	tx_sink_forward(tx, ROLE_WAN, s->m);
}
