/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_limits.c - per source prefix caps on proxied flows and half-open
 * handshakes (synproxy.limits, and synproxy.services[].limits; the counters
 * are flow/prefix_limits.c, a count-min sketch: it may over-count, never under).
 *
 * A proxied flow is counted for its source prefix from its creation (the
 * validated handshake ACK) to its removal, and as half-open while it is in
 * SYN_SENT. The three hooks are the only ways in and out, which is what
 * keeps every decrement paired with an increment:
 *   limits_admit           before the flow is inserted (undone if the insert fails)
 *   limits_half_open_done  from set_state(), when a proxied flow leaves SYN_SENT
 *   limits_release         from flow_release() and flow expiry
 * A flow is counted if and only if it is FLOW_F_PROXIED (every proxied flow
 * is created through limits_admit when the counters exist).
 *
 * Per-service caps. A service with a non-zero limits value has its own
 * counting domain (policy.c gives it a number, limits_dom): its flows count
 * per (source prefix, service), against its caps (for the one it does not
 * set, the global value), and in nothing else; the flows of every service
 * without limits (and of "everything protected") share domain 0, the global
 * caps, as before. So a /24 at its cap on service A still has its whole
 * allowance on B, and A's caps can be set above the global ones (a service
 * for large NATs) as well as below (a fragile backend): what an operator
 * expects from a per-service setting, like a per-rule meter in nftables or
 * per-service limits in DPVS, where each rule or service counts its own
 * clients. The price: one prefix may hold the global cap plus every
 * service's cap per worker; the flow table (flow_full) bounds the sum.
 *
 * The domain a flow was counted in is stored in it (fe->lim_dom) and every
 * decrement uses that, never the current policy: a reload that changes a
 * service's caps, moves it, takes its limits away or removes it never makes
 * a release land elsewhere. New caps apply to the next handshake; flows
 * already open stay, counted where they were until they go. The domain
 * follows the service's identity (prefix and ports), so a service whose
 * caps change keeps its count; one whose prefix or ports change starts a new
 * count (its old flows still release into the old one).
 *
 * Cost: with no service limits the handshake ACK does what it did (one flag
 * test more); with them, one policy lookup more per handshake ACK (the
 * service, reused for the rate-limit refund). Expiry and release read the
 * domain from the entry: nothing more.
 *
 * A refused handshake is dropped, not reset: the client believes it is
 * connected and retransmits (its request, or its ACK's data), and each
 * retransmission is a new handshake ACK that the cookie still validates for
 * up to two cookie periods, admitted as soon as its prefix is below the
 * caps. A RST would turn a momentary limit into an error the application
 * sees. The refusal keeps the rate-limit token spent (no refund).
 */
#include "fwd/synproxy_int.h"

bool
limits_admit(struct synproxy_lcore *sp, struct seg *s, const struct flow_key *k,
	     const struct policy_service *svc, uint16_t dom)
{
	if (likely(dom == PREFIX_DOM_GLOBAL)) {
		switch (prefix_limits_admit(sp->limits, k)) {
		case PREFIX_ADMIT_OK:
			return true;
		case PREFIX_ADMIT_FLOW_CAP:
			drop(sp, s->m, &sp->stats.prefix_flow_cap);
			return false;
		case PREFIX_ADMIT_HALF_OPEN_CAP:
		default:
			drop(sp, s->m, &sp->stats.prefix_half_open_cap);
			return false;
		}
	}
	/* The service's caps; one it does not set is the global value. */
	uint32_t mf = svc->max_flows_per_prefix ? svc->max_flows_per_prefix : sp->lim_flows;
	uint32_t mh = svc->max_half_open_per_prefix ? svc->max_half_open_per_prefix
						    : sp->lim_half_open;
	switch (prefix_limits_admit_dom(sp->limits, k, dom, mf, mh)) {
	case PREFIX_ADMIT_OK:
		return true;
	case PREFIX_ADMIT_FLOW_CAP:
		drop(sp, s->m, &sp->stats.service_flow_cap);
		return false;
	case PREFIX_ADMIT_HALF_OPEN_CAP:
	default:
		drop(sp, s->m, &sp->stats.service_half_open_cap);
		return false;
	}
}

void
limits_half_open_done(struct synproxy_lcore *sp, const struct flow_key *k, struct flow_entry *fe)
{
	struct flow_key key;

	if (k == NULL) {
		if (flow_table_get_key(sp->flows, flow_table_index(sp->flows, fe), &key) != 0)
			return;
		k = &key;
	}
	prefix_limits_half_open_done_dom(sp->limits, k, fe->lim_dom);
}

/* k: the flow's key when the caller has it (expiry), else NULL. */
void
limits_release(struct synproxy_lcore *sp, const struct flow_key *k, struct flow_entry *fe)
{
	struct flow_key key;

	if (sp->limits == NULL || !(fe->flags & FLOW_F_PROXIED))
		return;
	if (k == NULL) {
		if (flow_table_get_key(sp->flows, flow_table_index(sp->flows, fe), &key) != 0)
			return;
		k = &key;
	}
	prefix_limits_release_dom(sp->limits, k, fe->lim_dom, fe->state == FLOW_S_SYN_SENT);
}
