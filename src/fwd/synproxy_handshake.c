/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_handshake.c - the three steps that make a proxied connection.
 *
 *  1. Client SYN (no flow): answered with a SYN-ACK built in the same mbuf.
 *     Its ISN is a SYN cookie; with timestamps, the TSval's low bits carry
 *     window scale, SACK, ECN and finer MSS bits. While the SYN rate is low (auto
 *     mode) the client's exact options also go into the SYN cache, and the
 *     cookie says so (a SYN with another ISN never replaces a pending entry:
 *     it gets a cookie-only SYN-ACK). Nothing else is stored: a spoofed
 *     flood costs one hash and one transmit each. The zero window holds the
 *     client's data until the server has answered. A SYN for a server:port
 *     not known (or due for its re-probe) outside an attack is kept while
 *     synproxy_probe.c asks the server; syn_answer answers it afterwards,
 *     through the same code.
 *  2. Client ACK (no flow): the cookie is checked first (one SipHash); a
 *     forged one is dropped without state. If the ACK was lost, the client's
 *     next segment does the same: its data (seq = ISN + 1, payload dropped,
 *     the client sends it again once the window opens) or its zero-window
 *     probe (seq = ISN, accepted by the same hash, cookie.h). A valid one
 *     creates the flow (SYN_SENT) and the same mbuf becomes the SYN to the
 *     server, with the client's ISN and options (exact from the cache, else
 *     from the cookie). A "cached" cookie whose entry is gone, with no
 *     timestamp to carry the options, gets a RST instead of a guess.
 *     What its retransmission needs is kept (synproxy_pending.c).
 *  3. Server SYN-ACK (flow in SYN_SENT): the sequence and timestamp offsets
 *     are recorded, the server's options learned for the next SYN-ACKs
 *     (learn_server, the rule the probe's SYN-ACK goes through too), the
 *     SYN-ACK becomes the ACK to the server and a window update goes to the
 *     client. From then on synproxy_flow.c translates.
 *
 * Bad checksums and options on a SYN or handshake ACK are dropped before they
 * create state: counted once in syn_bad / ack_bad, with tcp_bad_csum or
 * tcp_bad_options saying which check failed.
 */
#include <errno.h>

#include <rte_tcp.h>

#include "fwd/ecn.h"
#include "fwd/synproxy_int.h"
#include "fwd/synproxy_out.h"
#include "fwd/tcp_opts.h"
#include "syncookie/ratelimit.h"
#include "syncookie/syn_cache.h"

/*
 * Options the proxy announces: the server's, once learned, else the
 * defaults. A learned entry older than timeouts.reprobe (sp->reprobe_ms) is
 * due: the proxy probes the server again before it answers the next client
 * (*probe, synproxy_probe.c). Without a probe (under attack, one already in
 * flight for that server, the per-worker cap reached) an entry that says no
 * to anything is set aside once due: that client is offered the defaults
 * and its own handshake relearns the server as it is now (a learned "no" is
 * sticky by nature: the proxy stops asking, so the server never shows it
 * again). An entry marked silent (an unanswered probe) is no knowledge: the
 * defaults, and no probe until it is due.
 *
 * ECN (ecn.h) has no default: a client is told yes only by a server learned
 * to do it, and the server is asked whenever its answer is wanted - unknown,
 * or a learned "no" due for a re-probe. That is what this returns; a learned
 * "no" ECN alone does not set the other options aside.
 */
static inline bool
server_opts_or_default(struct synproxy_lcore *sp, const struct flow_key *k,
		       const struct policy_service *svc, struct server_opts *o, bool *probe)
{
	bool hit = server_opts_get(sp->learned, k, o);
	bool silent = hit && o->silent;
	bool due = hit && (int32_t)(sp->now_ms - o->learned_ms) > (int32_t)sp->reprobe_ms;
	bool known = hit && !silent;
	bool ecn_wanted = !known || (!o->ecn && due);
	if (probe != NULL)
		*probe = !hit || due;
	if (due && (!o->sack || !o->ts || o->wscale == TCP_WSCALE_NONE))
		known = false;
	if (!known) {
		o->mss = svc_mss_for(svc, k->family);
		o->wscale = svc->wscale;
		o->sack = svc->sack;
		o->ts = svc->timestamps;
		o->ecn = hit && !silent && o->ecn;   /* a learned yes stands while the rest is re-probed */
	}
	return ecn_wanted;
}

/* What the SYN-ACK offers the client: window scale, SACK and ECN only where
 * they can come back with the ACK (can_carry: in the TS cookie or the
 * cache); ECN only from a server known to do it, to a client that asked
 * (ecn_asks, ecn.h). */
static inline void
client_opts(const struct policy_service *svc, const struct tcp_opts *o,
	    const struct server_opts *so, bool ts, bool can_carry, bool ecn_asks,
	    struct cookie_opts *co)
{
	*co = (struct cookie_opts){
		.mss = o->mss_present ? o->mss : COOKIE_MSS_DEFAULT,
		.wscale = (can_carry && o->wscale != TCP_WSCALE_NONE && so->wscale != TCP_WSCALE_NONE)
			  ? o->wscale : TCP_WSCALE_NONE,
		.sack = can_carry && o->sack_perm && so->sack,
		.ts = ts,
		.ecn = can_carry && so->ecn && ecn_asks,
	};
	/* What the client is told comes back with its ACK (TS cookie or cache):
	 * the learned table may change in between. */
	co->proxy_wscale = co->wscale == TCP_WSCALE_NONE ? TCP_WSCALE_NONE
			   : (so->wscale == TCP_WSCALE_NONE ? svc->wscale : so->wscale);
}

/* The SYN-ACK to a checked, counted client SYN: options from so (learned or
 * defaults), its cookie, a cache entry if use_cache. Counts
 * synack_sent_cookie|cache (and syn_cache_conflict). */
static __rte_always_inline void
answer_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	   const struct policy_service *svc, bool use_cache, const struct tcp_opts *op,
	   const struct server_opts *sop)
{
	const struct tcp_opts o = *op;
	const struct server_opts so = *sop;
	use_cache = use_cache && sp->cache != NULL;
	bool ts = o.ts_present && so.ts;
	bool ecn_asks = ecn_syn_asks(s->mt->tcp_flags);
	struct cookie_opts co;
	client_opts(svc, &o, &so, ts, ts || use_cache, ecn_asks, &co);
	if (use_cache) {
		struct syn_cache_entry e = {
			.client_isn = s->seq,
			.client_tsval = o.tsval,
			.created_ms = sp->now_ms,
			.mss = co.mss,
			.wscale = co.wscale,
			.flags = (co.sack ? SYN_CACHE_F_SACK : 0) | (ts ? SYN_CACHE_F_TS : 0) |
				 (co.ecn ? SYN_CACHE_F_ECN : 0),
			.window = s->win,
			.proxy_wscale = co.proxy_wscale,
		};
		/* The cookie says "cached" only when the entry is there. Another
		 * ISN's entry for this tuple is kept (its client may still ACK):
		 * this SYN gets what a cookie alone can carry. */
		int rc = syn_cache_insert_new(sp->cache, k, &e);
		if (rc < 0) {
			if (rc == -EEXIST)
				sp->stats.syn_cache_conflict++;
			use_cache = false;
			client_opts(svc, &o, &so, ts, ts, ecn_asks, &co);
		}
	}
	co.cache = use_cache;
	uint32_t tsval = 0;
	uint32_t isn = cookie_encode_syn(sp->secrets, &sp->mss_table, k, s->seq, &co,
					 sp->now_sec, sp->now_ms, &tsval);
	if (use_cache)
		sp->stats.synack_sent_cache++;
	else
		sp->stats.synack_sent_cookie++;

	struct tcp_synack_opts opts = {
		.mss = so.mss,
		.wscale = co.proxy_wscale,
		.sack_perm = co.sack,
		.ts = ts,
		.tsval = tsval,
		.tsecr = o.tsval,
	};
	out_synack_to_client(sp, tx, s, isn, &opts, co.ecn);
}

__rte_noinline void
syn_answer(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	   const struct policy_service *svc, bool use_cache)
{
	struct tcp_opts o;
	struct server_opts so;

	if (unlikely(tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0)) {
		drop(sp, s->m, &sp->stats.syn_bad);   /* never: wan_syn parsed it */
		return;
	}
	server_opts_or_default(sp, k, svc, &so, NULL);
	answer_syn(sp, tx, s, k, svc, use_cache, &o, &so);
}

/* Accepts: a client SYN with no flow, to the protected service svc (its
 * mode, option defaults and rate limit apply). Counts syn_received, then
 * synack_sent_cookie|cache, or drops (syn_bad, syn_ratelimited,
 * probe_dup_syn), or keeps the SYN while its server is probed (probe_sent,
 * synproxy_probe.c: answered later). No state is created (at most a SYN
 * cache entry, or a probe slot). */
void
wan_syn(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	uint32_t hash, const struct policy_service *svc)
{
	struct tcp_opts o;

	sp->stats.syn_received++;
	if (unlikely(s->flags & RTE_TCP_FIN_FLAG))
		goto bad;   /* SYN+FIN: no TCP stack answers it, nor do we */
	if (unlikely(tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0)) {
		sp->stats.tcp_bad_options++;
		goto bad;
	}
	if (unlikely(!seg_csum_ok(s))) {
		sp->stats.tcp_bad_csum++;
		talk_drop(sp, k);
		goto bad;
	}
	/* A second SYN for a tuple whose probe is out (retransmission or
	 * spoof): the kept one is answered, this one never replaces it. */
	if (unlikely(sp->n_probes != 0) && probe_dup_syn(sp, k, hash)) {
		drop(sp, s->m, &sp->stats.probe_dup_syn);
		return;
	}
	if (sp->rl_on && !ratelimit_allow_with(sp->rl, k, rl_owner(sp, svc), svc->ratelimit_rate,
						svc->ratelimit_burst, sp->now_ms)) {
		drop(sp, s->m, &sp->stats.syn_ratelimited);
		return;
	}
	struct server_opts so;
	bool want_probe;
	server_opts_or_default(sp, k, svc, &so, &want_probe);
	/* Called for every SYN, also in cookie mode: it keeps the rate estimate
	 * and the attack verdict the probe decision reads. (After the lookup
	 * above: its cache miss overlaps this work.) */
	bool use_cache = syn_policy_use_cache_mode(&sp->policy, (enum syn_mode)svc->mode, sp->now_ms,
					      sp->cache ? syn_cache_count(sp->cache) : 0,
					      sp->cache ? syn_cache_capacity(sp->cache) : 0) &&
			 sp->cache != NULL;
	/* Unknown or due server, no attack: learn it before promising (one
	 * compare on the flood path, where under_attack is set). */
	if (unlikely(want_probe) && !sp->policy.under_attack && sp->probe_on &&
	    probe_start(sp, tx, s, k, hash, svc, use_cache))
		return;
	answer_syn(sp, tx, s, k, svc, use_cache, &o, &so);
	return;
bad:
	drop(sp, s->m, &sp->stats.syn_bad);
}

/* Accepts: a client ACK with no flow (or its zero-window probe). Counts
 * ack_cookie_ok|ack_cache_ok (ack_probe) and syn_to_server, or drops
 * (ack_bad_cookie, ack_bad, prefix_flow_cap, prefix_half_open_cap,
 * service_flow_cap, service_half_open_cap, flow_full), or answers a RST
 * (ack_cache_miss). Leaves a new flow in SYN_SENT, counted for its source
 * prefix in fe->lim_dom. */
void
wan_handshake_ack(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		  const struct flow_key *k, uint32_t hash)
{
	struct tcp_opts o;
	struct cookie_opts co;
	struct cookie_ack ca;
	const struct policy_service *svc = NULL;   /* looked up only when needed */

	/* The cookie first: a forged ACK costs one SipHash and nothing else,
	 * not even option parsing. A zero-length ACK may also be a window
	 * probe after a lost ACK (seq = the ISN): the same hash checks it. */
	bool zero_len = s->plen == 0 && !(s->flags & RTE_TCP_FIN_FLAG);
	if (cookie_check_ack(sp->secrets, k, s->seq, s->ack, zero_len, sp->now_sec, &ca) != 0 ||
	    ca.mss_idx >= sp->mss_table.n) {
		talk_drop(sp, k);
		drop(sp, s->m, &sp->stats.ack_bad_cookie);
		return;
	}
	if (unlikely(tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0)) {
		sp->stats.tcp_bad_options++;
		goto bad;
	}
	cookie_opts_from_ack(&sp->mss_table, ca.mss_idx, o.ts_present, o.tsecr, &co);
	if (unlikely(!seg_csum_ok(s))) {
		sp->stats.tcp_bad_csum++;
		goto bad;
	}
	/* The source prefix's caps, before the cache entry is taken: a refused
	 * client retransmits and finds it again. Counted from here, in the
	 * service's own domain if it has caps of its own (synproxy_limits.c);
	 * undone below if no flow is made after all. */
	uint16_t dom = PREFIX_DOM_GLOBAL;
	if (sp->limits != NULL) {
		if (unlikely(sp->svc_limits)) {
			svc = sp_service_of(sp, k);
			dom = limits_dom_of(svc);
		}
		if (!limits_admit(sp, s, k, svc, dom))
			return;
	}
	struct syn_cache_entry ce;
	bool cached = ca.cache && sp->cache != NULL && syn_cache_count(sp->cache) &&
		      syn_cache_take(sp->cache, k, &ce) == 0 && ce.client_isn == ca.client_isn;
	uint16_t syn_win;
	if (cached) {
		co.mss = ce.mss;
		co.wscale = ce.wscale;
		co.proxy_wscale = ce.proxy_wscale;
		co.sack = !!(ce.flags & SYN_CACHE_F_SACK);
		co.ts = !!(ce.flags & SYN_CACHE_F_TS);
		co.ecn = !!(ce.flags & SYN_CACHE_F_ECN);
		syn_win = ce.window;
		sp->stats.ack_cache_ok++;
	} else if (ca.cache && !o.ts_present) {
		/* The SYN-ACK's window scale and SACK came from an entry that is
		 * gone (evicted, expired) and no timestamp carries them: rather
		 * than guess, reset the client (RFC 9293: seq = its ack); it
		 * reconnects. */
		sp->stats.ack_cache_miss++;
		if (sp->limits != NULL)
			prefix_limits_release_dom(sp->limits, k, dom, true);   /* no flow after all */
		out_rst_reply_to_client(sp, tx, s);
		return;
	} else {
		/* Cookie only (a "cached" one with a timestamp: the TS cookie
		 * holds everything that SYN-ACK announced). The SYN's window
		 * is gone: the ACK's, unscaled, is as good. */
		syn_win = (uint16_t)RTE_MIN(scaled(s->win, co.wscale), 65535u);
		sp->stats.ack_cookie_ok++;
	}
	if (s->seq == ca.client_isn)
		sp->stats.ack_probe++;
	co.ts = co.ts && o.ts_present;
	/* ECN: a client told yes has the server asked; one told no (it did not
	 * ask, or asked in vain) only when the answer is wanted (ecn.h). */
	struct server_opts so_now;
	if (!co.ecn && svc == NULL)
		svc = sp_service_of(sp, k);
	bool ecn_ask = co.ecn || server_opts_or_default(sp, k, svc != NULL ? svc : &sp->dflt, &so_now,
							NULL);

	struct flow_entry *fe = flow_table_insert(sp->flows, k, hash, sp->now_ms);
	if (fe == NULL) {
		if (sp->limits != NULL)
			prefix_limits_release_dom(sp->limits, k, dom, true);
		drop(sp, s->m, &sp->stats.flow_full);
		return;
	}
	RTE_ASSERT(fe->state == FLOW_S_FREE);   /* the caller looked it up: a new key */
	if (sp->rl_on) {
		if (svc == NULL)
			svc = sp_service_of(sp, k);
		if (svc != NULL)   /* not protected since a reload: nothing to give back to */
			ratelimit_refund_with(sp->rl, k, rl_owner(sp, svc), svc->ratelimit_burst);
	}

	fe->flags = FLOW_F_PROXIED | (co.ts ? FLOW_F_TS : 0) | (co.sack ? FLOW_F_SACK : 0) |
		    (co.ecn ? FLOW_F_ECN : 0);   /* until the server answers: told yes */
	fe->wan_wscale = co.wscale;
	fe->proxy_wscale = co.proxy_wscale;
	fe->lan_wscale = TCP_WSCALE_NONE;
	fe->client_mss = co.mss;
	fe->client_isn = ca.client_isn;
	fe->proxy_isn = s->ack - 1;
	fe->client_tsval = o.tsval;
	fe->ts_delta = o.tsecr;          /* the proxy's TSval, until the server's is known */
	fe->wan_end = ca.client_isn + 1;
	fe->wan_maxwin = scaled(s->win, co.wscale);
	fe->pending = UINT32_MAX;
	fe->last_seen = sp->now_ms;
	fe->ecn_asked = ecn_ask;
	fe->lim_dom = dom;   /* released there, whatever a reload does to the service */
	set_state(sp, fe, FLOW_S_SYN_SENT);
	if (s->plen)
		sp->stats.early_data_drop++;   /* the payload only: the frame goes on as the SYN */

	/* The same mbuf becomes the SYN to the server; L2 stays as it came. */
	struct tcp_synack_opts opts = {
		.mss = co.mss,
		.wscale = co.wscale,
		.sack_perm = co.sack,
		.ts = co.ts,
		.tsval = o.tsval,
		.tsecr = 0,
	};
	out_syn_to_server(sp, tx, s, fe, syn_win, &opts, ecn_ask);
	pending_keep(sp, fe, s->m, syn_win);
	sp->stats.syn_to_server++;
	return;
bad:
	drop(sp, s->m, &sp->stats.ack_bad);
}

/* What a server's SYN-ACK (options o, ECE/CWR flags) says about it, given
 * what the SYN asked; an option not asked keeps what was known. */
void
learn_server(struct synproxy_lcore *sp, const struct flow_key *k, const struct tcp_opts *o,
	     bool asked_wscale, bool asked_sack, bool asked_ts, bool ecn_asked, bool ecn_yes)
{
	struct server_opts so = { 0 }, prev = { 0 };
	bool had = server_opts_get(sp->learned, k, &prev) && !prev.silent;
	so.mss = o->mss_present ? o->mss : COOKIE_MSS_DEFAULT;
	so.wscale = asked_wscale ? o->wscale : (had ? prev.wscale : sp->default_wscale);
	so.sack = asked_sack ? o->sack_perm : (had ? prev.sack : sp->default_sack);
	so.ts = asked_ts ? o->ts_present : (had ? prev.ts : sp->default_ts);
	so.ecn = ecn_asked ? ecn_yes : (had && prev.ecn);
	so.valid = 1;
	/* Only an answer to every question renews the entry: a "no" carried
	 * over unasked keeps its age, so the re-probe comes when it is due. */
	bool asked_all = asked_wscale && asked_sack && asked_ts && (ecn_asked || so.ecn);
	server_opts_learn(sp->learned, k, &so, had && !asked_all ? prev.learned_ms : sp->now_ms);
}

/* Accepts: a server SYN-ACK on a SYN_SENT flow. Counts server_synack and
 * proxied_established, or drops (server_synack_bad). Leaves the flow
 * ESTABLISHED. */
void
lan_server_synack(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s,
		  const struct flow_key *k, struct flow_entry *fe)
{
	struct tcp_opts o;

	if (s->ack != fe->client_isn + 1 || tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0) {
		drop(sp, s->m, &sp->stats.server_synack_bad);
		return;
	}
	/* Learn what this server supports, from what our SYN asked for. */
	bool ecn_asked = fe->ecn_asked, ecn_yes = ecn_synack_agrees(s->mt->tcp_flags);
	fe->chal_at = 0;   /* retries and ecn_asked are done with (flow_entry.h) */
	learn_server(sp, k, &o, fe->wan_wscale != TCP_WSCALE_NONE, (fe->flags & FLOW_F_SACK) != 0,
		     (fe->flags & FLOW_F_TS) != 0, ecn_asked, ecn_yes);

	/* ECN end to end only when both ends agreed; else scrub (ecn.h). An
	 * unasked ECE (a server that should not have) is scrubbed too. */
	bool ecn_told = fe->flags & FLOW_F_ECN;
	fe->flags &= ~FLOW_F_ECN;
	if (ecn_told != ecn_yes) {
		fe->flags |= FLOW_F_ECN;
		sp->stats.ecn_scrubbed++;
	} else if (ecn_yes) {
		sp->stats.ecn_on++;
	}

	uint32_t server_isn = s->seq;
	uint32_t proxy_tsval = fe->ts_delta;
	fe->seq_delta = fe->proxy_isn - server_isn;
	if ((fe->flags & FLOW_F_TS) && o.ts_present)
		fe->ts_delta = proxy_tsval - o.tsval;
	else {
		fe->flags &= ~FLOW_F_TS;   /* server without timestamps: nothing to translate */
		fe->ts_delta = 0;
	}
	if (!o.sack_perm)
		fe->flags &= ~FLOW_F_SACK;
	if (fe->proxy_wscale != TCP_WSCALE_NONE) {
		if (o.wscale == TCP_WSCALE_NONE) {
			/* The server refused scaling, the client was told to scale. */
			fe->lan_wscale = 0;
			fe->flags |= FLOW_F_WIN_ADJ | FLOW_F_CWIN_ADJ;
		} else {
			fe->lan_wscale = o.wscale;
			if (o.wscale != fe->proxy_wscale)
				fe->flags |= FLOW_F_WIN_ADJ;
		}
	}
	fe->lan_end = server_isn + 1;
	fe->lan_maxwin = s->win;       /* SYN-ACK windows are never scaled */
	fe->lan_ack = fe->client_isn + 1;   /* the edges the RST and challenge ACK rules start from */
	fe->lan_tsval = proxy_tsval;        /* = the window update's TSval below */
	fe->last_seen = sp->now_ms;
	pending_release(sp, fe);
	set_state_k(sp, fe, FLOW_S_ESTABLISHED, k);
	sp->stats.server_synack++;
	sp->stats.proxied_established++;

	/* The update copies the SYN-ACK's L2 header: before it is turned round. */
	out_window_update_to_client(sp, tx, s, fe, o.tsval);
	out_ack_to_server(sp, tx, s, fe, (fe->flags & FLOW_F_TS) != 0, o.tsval);
}
