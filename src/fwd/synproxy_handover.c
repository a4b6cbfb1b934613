/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_handover.c - a worker's proxy state to and from a handover image
 * (the file format is state/handover.c's business; main.c decides which
 * worker gets which record).
 *
 * Clock values never leave the process: each timer becomes an age relative
 * to the writer's clock, and comes back as now - age on the reader's. A flow
 * whose age (restart gap included) exceeds its state's timeout in the NEW
 * configuration is not restored (restore_expired); neither is a SYN cache
 * entry older than the cookie it belongs to can be.
 *
 * SYN copies kept for retransmission are not written: a restored SYN_SENT
 * flow has none. If the SYN reached the server, the server (in SYN_RECV)
 * retransmits its SYN-ACK and the restored flow completes the handshake; if
 * it was lost, the flow times out after timeouts.syn_sent like any other
 * unanswered handshake (syn_to_server_timeout).
 */
#include "fwd/synproxy_int.h"
#include "state/handover.h"
#include "syncookie/syn_cache.h"

struct export_ctx {
	struct handover_image *img;
	uint16_t worker;
	uint32_t now_ms;
};

static uint32_t
age_of(uint32_t now_ms, uint32_t then_ms)
{
	int32_t age = (int32_t)(now_ms - then_ms);
	return age > 0 ? (uint32_t)age : 0;
}

static int
export_flow(void *arg, const struct flow_key *k, const struct flow_entry *e)
{
	struct export_ctx *x = arg;
	struct handover_flow f = { .key = *k, .worker = x->worker, .e = *e };

	if (e->state == FLOW_S_FREE || e->state >= FLOW_S_MAX)
		return 0;   /* inserted, never claimed: nothing to keep */
	f.age_ms = age_of(x->now_ms, e->last_seen);
	f.e.last_seen = 0;
	f.e.pending = UINT32_MAX;
	return handover_add_flow(x->img, &f);
}

static int
export_learned(void *arg, const struct server_opts_slot *s)
{
	struct export_ctx *x = arg;
	struct handover_learned l = { .o = s->o };

	if (s->o.silent)
		return 0;   /* nothing learned (an unanswered probe): the next process probes */
	memcpy(l.key.lan_addr, s->addr, sizeof(l.key.lan_addr));
	l.key.lan_port = s->port;
	l.key.family = s->family;
	l.key.proto = IPPROTO_TCP;
	l.age_ms = age_of(x->now_ms, s->o.learned_ms);
	l.o.learned_ms = 0;
	return handover_add_learned(x->img, &l);
}

static int
export_syn(void *arg, const struct flow_key *k, const struct syn_cache_entry *e)
{
	struct export_ctx *x = arg;
	struct handover_syn s = { .key = *k, .worker = x->worker, .e = *e };

	s.age_ms = age_of(x->now_ms, e->created_ms);
	s.e.created_ms = 0;
	return handover_add_syn(x->img, &s);
}

int
synproxy_state_export(const struct synproxy_lcore *sp, uint16_t worker, uint32_t now_ms,
		      struct handover_image *img)
{
	struct export_ctx x = { img, worker, now_ms };
	int ret;

	ret = flow_table_foreach(sp->flows, export_flow, &x);
	if (ret == 0)
		ret = server_opts_foreach(sp->learned, export_learned, &x);
	if (ret == 0 && sp->cache != NULL)
		ret = syn_cache_foreach(sp->cache, export_syn, &x);
	return ret;
}

int
synproxy_restore_flow(struct synproxy_lcore *sp, const struct handover_flow *f,
		      uint32_t age_ms, uint32_t now_ms)
{
	struct flow_entry e = f->e;
	int ret;

	if (age_ms > sp->flows->timeouts_ms[e.state]) {
		sp->stats.restore_expired++;
		return 1;
	}
	e.last_seen = now_ms - age_ms;
	e.pending = UINT32_MAX;
	/* A proxied flow counts for its source prefix (synproxy_limits.c), in
	 * the domain of the service that protects it under this process's
	 * policy (the state file has no domain: the writer's policy may differ). */
	bool counted = sp->limits != NULL && (e.flags & FLOW_F_PROXIED);
	e.lim_dom = PREFIX_DOM_GLOBAL;
	if (counted) {
		sp_runtime_sync(sp);
		if (sp->svc_limits)
			e.lim_dom = limits_dom_of(sp_service_of(sp, &f->key));
		prefix_limits_add_dom(sp->limits, &f->key, e.lim_dom, e.state == FLOW_S_SYN_SENT);
	}
	ret = flow_table_insert_state(sp->flows, &f->key, &e);
	if (ret == 0)
		sp->stats.restored_flows++;
	else if (counted)
		prefix_limits_release_dom(sp->limits, &f->key, e.lim_dom,
					  e.state == FLOW_S_SYN_SENT);
	return ret;
}

int
synproxy_restore_learned(struct synproxy_lcore *sp, const struct handover_learned *l,
			 uint32_t age_ms, uint32_t now_ms)
{
	server_opts_learn(sp->learned, &l->key, &l->o, now_ms - age_ms);
	return 0;
}

int
synproxy_restore_syn(struct synproxy_lcore *sp, const struct handover_syn *s,
		     uint32_t age_ms, uint32_t now_ms)
{
	struct syn_cache_entry e = s->e;
	int ret;

	if (sp->cache == NULL || age_ms > sp->cache_max_age_ms)
		return 1;
	e.created_ms = now_ms - age_ms;
	ret = syn_cache_insert(sp->cache, &s->key, &e);
	return ret < 0 ? ret : 0;
}

void
synproxy_count_restore_refused(struct synproxy_lcore *sp)
{
	sp->stats.restore_refused++;
}
