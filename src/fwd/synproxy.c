/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy.c - the SYN proxy's lifecycle and its burst step.
 *
 * A connection opened from the WAN is answered by the proxy (SYN cookie or
 * SYN cache), validated on the client's ACK, opened to the server with the
 * client's own ISN and options, then translated for its whole life. The
 * stages live in their own files (see synproxy_int.h); this one creates and
 * frees the per-lcore state and runs the burst step:
 *
 *   classify (odd frames leave here) -> key + hash -> bulk lookup ->
 *   per segment, in arrival order: flow_segment() (synproxy_flow.c), or with
 *   no flow the handshake from the WAN (wan_new) or lan_new from the LAN
 *
 * Everything comes in as arguments: frames with their parse metadata, the
 * input port, the transmit sink and the clocks. Nothing here reaches back
 * into the worker.
 *
 * Rules for the odd cases, one counter each:
 *  - non-IP and non-TCP: bridged (bridge counters, non_tcp_pass), except
 *    ICMP/ICMPv6 errors quoting a TCP segment: icmp_err.c translates the
 *    quote of a proxied connection (icmp_err_translated), drops one from
 *    the WAN outside the server's window (icmp_err_out_of_window) and
 *    bridges the rest (icmp_err_no_flow);
 *  - malformed headers: from the WAN dropped (bad_drop); from the LAN
 *    bridged (bad_pass);
 *  - TCP fragments from the WAN, first fragments included: dropped (a
 *    fragmented SYN must not reach the server past the proxy); other
 *    fragments bridged (fragment_pass); IPv6 atomic fragments are proxied
 *    like unfragmented segments; an IPv6 chain the parser cannot follow is
 *    malformed (bad_drop);
 *  - IPv4 options / IPv6 extension headers: proxied; the proxy's own replies
 *    carry none; translated segments keep them;
 *  - VLAN/QinQ tags: kept as they are on every frame, replies included;
 *  - bad TCP checksum on a SYN or handshake ACK: dropped (tcp_bad_csum);
 *    on other segments left to the end host (incremental updates keep a bad
 *    checksum bad);
 *  - malformed TCP options: the SYN/ACK is dropped (tcp_bad_options).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fwd/icmp_err.h"
#include "fwd/synproxy_int.h"
#include "syncookie/ratelimit.h"
#include "syncookie/syn_cache.h"

/* With a shared key the period counter follows the wall clock (cookie.h). */
static inline uint32_t
wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)ts.tv_sec;
}

struct cookie_secrets *
synproxy_secrets_create(const struct synproxy_config *cfg, uint32_t now_sec)
{
	const struct cfg_synproxy *c = &cfg->synproxy;
	bool keyed = c->secret_file[0] != '\0';
	struct cookie_secrets *s = rte_zmalloc("cookie_secrets", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return NULL;
	int rc = keyed ? cookie_secrets_init_keyed(s, c->cookie_period, c->secret_key,
						   now_sec, wall_seconds())
		       : cookie_secrets_init(s, c->cookie_period, now_sec);
	if (rc != 0) {
		rte_free(s);
		return NULL;
	}
	if (keyed)
		SP_LOG(NOTICE, "cookie secrets derived from the shared key %s", c->secret_file);
	return s;
}

void
synproxy_secrets_rotate(struct cookie_secrets *s, uint32_t now_sec)
{
	if (cookie_secrets_set_clock(s, now_sec, wall_seconds()) > 0)
		SP_LOG(NOTICE, "wall clock stepped: cookie period counter follows it");
	if (cookie_secrets_rotate(s, now_sec) < 0)
		SP_LOG(ERR, "cookie secret rotation: no random bytes; keeping the previous key");
}

/* ---------------------------------------------------------------- setup */

bool
synproxy_config_needs_cache(const struct synproxy_config *cfg)
{
	const struct cfg_synproxy *c = &cfg->synproxy;

	if (c->mode != CFG_MODE_COOKIE)
		return true;
	for (uint16_t i = 0; i < c->nb_services; i++)
		if ((c->services[i].set & CFG_SVC_MODE) && c->services[i].mode != CFG_MODE_COOKIE)
			return true;
	return false;
}

/* Copy the live settings into the lcore (at create, then whenever the
 * runtime's generation changes: a reload). The SYN rate estimate and every
 * table keep their contents. */
static void
sp_apply(struct synproxy_lcore *sp, const struct sp_runtime *rt)
{
	sp->default_mss = rt->default_mss;
	sp->default_wscale = rt->default_wscale;
	sp->default_sack = rt->default_sack;
	sp->default_ts = rt->default_ts;
	sp->retx_ms = rt->retx_ms;
	sp->retries = rt->retries;
	sp->probe_on = rt->probe_on;
	sp->probe_ms = rt->probe_ms;
	sp->reprobe_ms = rt->reprobe_ms;
	sp->policy.mode = (enum syn_mode)rt->mode;
	sp->policy.rate_threshold = rt->auto_syn_rate;
	sp->policy.fill_pct = rt->auto_fill_pct;
	flow_table_set_timeouts(sp->flows, rt->timeouts_ms);
	sp->rl_on = rt->ratelimit_on && sp->rl != NULL;
	sp->dflt = (struct policy_service){
		.id = POLICY_SERVICE_ALL,
		.mode = rt->mode,
		.wscale = rt->default_wscale,
		.mss = rt->default_mss,
		.sack = rt->default_sack,
		.timestamps = rt->default_ts,
		.ratelimit_rate = rt->ratelimit_rate,
		.ratelimit_burst = rt->ratelimit_burst,
	};
	sp->pol = rt->policy;
	sp->pol_sources = sp->pol != NULL && sp->pol->has_sources;
	sp->pol_services = sp->pol != NULL && !sp->pol->all_protected;
	sp->svc_limits = sp->pol_services && sp->pol->has_svc_limits && sp->limits != NULL;
	sp->lim_flows = rt->max_flows;
	sp->lim_half_open = rt->max_half_open;
	if (sp->limits != NULL)
		prefix_limits_set_caps(sp->limits, rt->max_flows, rt->max_half_open);
	sp->rt_gen = rt->generation;
}

void
sp_runtime_sync(struct synproxy_lcore *sp)
{
	if (sp->rt_slot != NULL) {
		/* Once per burst: a reload shows as a new generation. */
		const struct sp_runtime *rt = __atomic_load_n(sp->rt_slot, __ATOMIC_ACQUIRE);
		if (unlikely(rt->generation != sp->rt_gen))
			sp_apply(sp, rt);
	}
}

void
synproxy_lcore_set_runtime(struct synproxy_lcore *sp, struct sp_runtime *const *slot)
{
	sp->rt_slot = slot;
	sp->rt_gen = 0;   /* the first burst applies *slot */
}

struct synproxy_lcore *
synproxy_lcore_create(const struct synproxy_config *cfg, const struct cookie_secrets *secrets,
		      uint16_t idx, int socket, struct rte_mempool *mp,
		      const bool tx_csum_offload[ROLE_MAX])
{
	const struct cfg_synproxy *c = &cfg->synproxy;
	char name[32];
	struct synproxy_lcore *sp = rte_zmalloc_socket("synproxy", sizeof(*sp), RTE_CACHE_LINE_SIZE, socket);

	if (sp == NULL)
		return NULL;
	sp->secrets = secrets;
	sp->mp = mp;
	/* As long as the cookie it goes with can validate: two periods. */
	sp->cache_max_age_ms = c->cookie_period * 2000;
	for (int r = 0; r < ROLE_MAX; r++)
		sp->tx_offload[r] = tx_csum_offload[r];
	if (cookie_mss_table_init(&sp->mss_table, c->mss_table, c->mss_table_len) != 0)
		goto fail;

	struct sp_runtime rt;
	sp_runtime_settings(cfg, &rt);
	snprintf(name, sizeof(name), "flows%u", idx);
	sp->flows = flow_table_create(name, c->flow_table_size, socket, rt.timeouts_ms);
	bool need_cache = synproxy_config_needs_cache(cfg);
	snprintf(name, sizeof(name), "syncache%u", idx);
	sp->cache = need_cache ? syn_cache_create(name, c->syn_cache_size, socket) : NULL;
	snprintf(name, sizeof(name), "learn%u", idx);
	sp->learned = server_opts_create(name, c->learn_table_size, socket);
	if (c->ratelimit_enabled) {
		snprintf(name, sizeof(name), "rl%u", idx);
		sp->rl = ratelimit_create(name, c->ratelimit_table_size, c->ratelimit_rate,
					  c->ratelimit_burst, c->ratelimit_v4_prefix,
					  c->ratelimit_v6_prefix, socket);
		if (sp->rl == NULL)
			goto fail;
	}
	/* Per-prefix caps (resolved here too for a config built by hand): the
	 * counters exist if a global or a service's cap does (a reload cannot
	 * add them: config_diff.c). */
	if (config_needs_prefix_limits(c)) {
		snprintf(name, sizeof(name), "pfx%u", idx);
		sp->limits = prefix_limits_create(name, c->flow_table_size, c->ratelimit_v4_prefix,
						  c->ratelimit_v6_prefix, rt.max_flows, rt.max_half_open,
						  socket);
		if (sp->limits == NULL)
			goto fail;
	}
	if (sp->flows == NULL || sp->learned == NULL || (need_cache && sp->cache == NULL))
		goto fail;
	syn_policy_init(&sp->policy, (enum syn_mode)c->mode, c->auto_syn_rate,
			c->auto_cache_fill_pct);
	sp_apply(sp, &rt);

	/* Retransmission slots: a quarter of the flow table (see
	 * synproxy_pending.c); they hold no mbuf. */
	sp->pend_cap = RTE_MAX(c->flow_table_size / 4, 1u);
	sp->pend = rte_zmalloc_socket("pending", sizeof(*sp->pend) * sp->pend_cap, 0, socket);
	sp->pend_free = rte_malloc_socket("pending_free", sizeof(uint32_t) * sp->pend_cap, 0, socket);
	if (sp->pend == NULL || sp->pend_free == NULL)
		goto fail;
	for (uint32_t i = 0; i < sp->pend_cap; i++)
		sp->pend_free[i] = sp->pend_cap - 1 - i;
	sp->pend_nfree = sp->pend_cap;
	/* Probes in flight (synproxy_probe.c). */
	sp->probes = rte_zmalloc_socket("probes", sizeof(*sp->probes), RTE_CACHE_LINE_SIZE, socket);
	if (sp->probes == NULL)
		goto fail;
	return sp;
fail:
	synproxy_lcore_free(sp);
	return NULL;
}

void
synproxy_lcore_free(struct synproxy_lcore *sp)
{
	if (sp == NULL)
		return;
	probe_free_all(sp);
	rte_free(sp->probes);
	rte_free(sp->pend);
	rte_free(sp->pend_free);
	flow_table_free(sp->flows);
	syn_cache_free(sp->cache);
	server_opts_free(sp->learned);
	ratelimit_free(sp->rl);
	prefix_limits_free(sp->limits);
	rte_free(sp);
}

const struct synproxy_stats *
synproxy_lcore_stats(const struct synproxy_lcore *sp)
{
	return &sp->stats;
}

void
synproxy_lcore_occupancy(const struct synproxy_lcore *sp, struct synproxy_occupancy *o)
{
	memset(o, 0, sizeof(*o));
	o->flows = sp->flows->stats.count;
	o->flow_capacity = sp->flows->stats.capacity;
	for (unsigned i = 0; i < FLOW_S_MAX && i < RTE_DIM(o->per_state); i++)
		o->per_state[i] = sp->flows->stats.per_state[i];
	o->flow_table_bytes = flow_table_memory(sp->flows);
	if (sp->cache) {
		struct syn_cache_stats cs;
		syn_cache_stats_get(sp->cache, &cs);
		o->syn_cache = syn_cache_count(sp->cache);
		o->syn_cache_capacity = syn_cache_capacity(sp->cache);
		o->syn_cache_evictions = cs.evictions;
		o->syn_cache_expired = cs.expired;
		o->syn_cache_refused = cs.refused;
	}
	if (sp->rl) {
		struct ratelimit_stats rs;
		ratelimit_stats_get(sp->rl, &rs);
		o->ratelimit_takeovers = rs.takeovers;
	}
	o->learned_replaced = sp->learned->stats.replaced;
	o->pending_syn = sp->pend_cap - sp->pend_nfree;
	o->under_attack = sp->policy.under_attack;
}

/* ---------------------------------------------------------------- the burst */

/* No flow, from the WAN. Accepts: a SYN (wan_syn; or, from an allowed source
 * or to no protected service, wan_passthrough_new) or an ACK
 * (wan_handshake_ack). Drops the rest: wan_no_flow. */
static inline void
wan_new(struct synproxy_lcore *sp, struct tx_sink *tx, struct seg *s, const struct flow_key *k,
	uint32_t hash)
{
	uint8_t f = s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG);
	if (f == RTE_TCP_SYN_FLAG) {
		/* The policy decides here, for new connections only: an allowed
		 * source or a destination no service protects is bridged and
		 * tracked; a protected one is answered with its service's settings. */
		if (unlikely(s->src == POLICY_SRC_ALLOW)) {
			wan_passthrough_new(sp, tx, s, k, hash, &sp->stats.allow_pass);
			return;
		}
		const struct policy_service *svc = sp_service_of(sp, k);
		if (unlikely(svc == NULL)) {
			wan_passthrough_new(sp, tx, s, k, hash, &sp->stats.syn_unprotected);
			return;
		}
		wan_syn(sp, tx, s, k, hash, svc);
		return;
	}
	if (f == RTE_TCP_ACK_FLAG) {
		wan_handshake_ack(sp, tx, s, k, hash);
		return;
	}
	/* RST, SYN-ACK or flagless segments of nothing we know: never let them
	 * reach a server. */
	drop(sp, s->m, &sp->stats.wan_no_flow);
}


/* The allow/deny verdict of every IP frame's source (frames without a sound
 * IP header: none). */
static void
sources_bulk(const struct policy *pol, struct rte_mbuf **pkts, const struct pkt_meta *meta,
	     uint16_t n, uint8_t *out)
{
	uint8_t fam[MAX_BURST];
	const void *addr[MAX_BURST];

	for (uint16_t i = 0; i < n; i++) {
		const struct pkt_meta *mt = &meta[i];
		const uint8_t *l3 = rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, mt->l3_off);
		bool ip = !(mt->flags & PKT_F_BAD) &&
			  (mt->l3 == PKT_L3_IPV4 || mt->l3 == PKT_L3_IPV6);
		fam[i] = ip ? mt->l3 : 0;
		addr[i] = mt->l3 == PKT_L3_IPV4 ? l3 + offsetof(struct rte_ipv4_hdr, src_addr)
						: l3 + offsetof(struct rte_ipv6_hdr, src_addr);
	}
	policy_source_bulk(pol, fam, addr, out, n);
}

/* A denied SYN counts for its prefix in the top talkers (ratelimit.h). */
static void
denied_talker(struct synproxy_lcore *sp, struct rte_mbuf *m, const struct pkt_meta *mt)
{
	if (!sp->rl_on || (mt->flags & (PKT_F_L4 | PKT_F_BAD | PKT_F_FRAG)) != PKT_F_L4 ||
	    mt->l4proto != IPPROTO_TCP ||
	    (mt->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) != RTE_TCP_SYN_FLAG)
		return;
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, mt->l3_off);
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	k.family = mt->l3;
	if (mt->l3 == PKT_L3_IPV4)
		memcpy(k.wan_addr, l3 + offsetof(struct rte_ipv4_hdr, src_addr), 4);
	else
		memcpy(k.wan_addr, l3 + offsetof(struct rte_ipv6_hdr, src_addr), 16);
	talk_drop(sp, &k);
}

const struct ratelimit *
synproxy_lcore_ratelimit(const struct synproxy_lcore *sp)
{
	return sp->rl;
}

/* Changes whenever a slot may have been freed or reused. */
static inline uint64_t
table_generation(const struct flow_table *t)
{
	return t->stats.inserts + t->stats.removes + t->stats.expired;
}

/* A new SYN on a finished tuple starts over. On a live flow it is the flow's
 * business (a challenge ACK, synproxy_flow.c): its sequence number proves
 * nothing, an off-path attacker can send any. */
static inline bool
syn_restarts(const struct flow_entry *fe)
{
	return fe->state == FLOW_S_TIME_WAIT || fe->state == FLOW_S_CLOSED;
}

void
synproxy_process_burst(struct synproxy_lcore *sp, struct rte_mbuf **pkts, struct pkt_meta *meta,
		       uint16_t n, enum port_role in, struct tx_sink *tx, uint32_t now_ms,
		       uint32_t now_sec)
{
	struct seg segs[MAX_BURST];
	struct flow_key keys[MAX_BURST];
	const struct flow_key *kp[MAX_BURST];
	uint32_t hashes[MAX_BURST];
	struct flow_entry *fes[MAX_BURST];
	uint16_t nt = 0;

	sp->now_ms = now_ms;
	sp->now_sec = now_sec;
	sp_runtime_sync(sp);
	/* Source lists: one bulk lookup for the burst, only when there are lists. */
	uint8_t srcv[MAX_BURST];
	const bool lists = in == ROLE_WAN && unlikely(sp->pol_sources);
	if (lists)
		sources_bulk(sp->pol, pkts, meta, n, srcv);

	/* Classify: denied sources, non-TCP and odd frames leave here; TCP gets a key. */
	for (uint16_t i = 0; i < n; i++) {
		const struct pkt_meta *mt = &meta[i];
		if (lists && unlikely(srcv[i] == POLICY_SRC_DENY)) {
			denied_talker(sp, pkts[i], mt);
			drop(sp, pkts[i], &sp->stats.deny_drop);
			continue;
		}
		if (likely((mt->flags & (PKT_F_L4 | PKT_F_BAD | PKT_F_FRAG)) == PKT_F_L4 &&
			   mt->l4proto == IPPROTO_TCP)) {
			struct seg *s = &segs[nt];
			seg_init(s, pkts[i], mt);
			s->src = lists ? srcv[i] : POLICY_SRC_NONE;
			hashes[nt] = seg_key(s, in, &keys[nt]);
			kp[nt] = &keys[nt];
			/* A flood's SYNs come from everywhere: start the rate-limit
			 * bucket's cache miss now, it is needed a burst later. */
			if (in == ROLE_WAN && sp->rl_on &&
			    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) == RTE_TCP_SYN_FLAG)
				ratelimit_prefetch(sp->rl, &keys[nt]);
			nt++;
		} else if (mt->l3 == PKT_L3_NONE) {
			tx_sink_forward(tx, in, pkts[i]);
		} else if (mt->flags & PKT_F_BAD) {
			/* Nothing malformed gets past the proxy towards the servers. */
			if (in == ROLE_WAN) {
				drop(sp, pkts[i], &sp->stats.bad_drop);
			} else {
				sp->stats.bad_pass++;
				tx_sink_forward(tx, in, pkts[i]);
			}
		} else if (mt->flags & PKT_F_FRAG) {
			/* A fragmented SYN must not reassemble at a server: from
			 * the WAN every fragment of TCP is dropped, the first
			 * one included (the parser names its upper layer through
			 * the whole IPv6 chain; a chain it cannot follow is
			 * PKT_F_BAD above). What passes is safe: a first
			 * fragment of another protocol reassembles into that
			 * protocol (IPv4 fragments of different protocols never
			 * share a queue; IPv6 takes the chain from the first
			 * fragment, and a server discards overlapping fragments,
			 * RFC 5722), and a later fragment of any kind cannot
			 * complete a TCP datagram whose first fragment was
			 * dropped: the server's reassembly times out. Atomic
			 * fragments are not PKT_F_FRAG; they are proxied. */
			if (in == ROLE_WAN && mt->l4proto == IPPROTO_TCP) {
				drop(sp, pkts[i], &sp->stats.fragment_drop);
			} else {
				sp->stats.fragment_pass++;
				tx_sink_forward(tx, in, pkts[i]);
			}
		} else if (unlikely(icmp_is_error(rte_pktmbuf_mtod(pkts[i], const uint8_t *), mt))) {
			/* Errors are rare: one flow lookup each (icmp_err.c). */
			icmp_err(sp, tx, pkts[i], mt, in);
		} else {
			sp->stats.non_tcp_pass++;
			tx_sink_forward(tx, in, pkts[i]);
		}
	}
	if (nt == 0)
		goto out;

	/* Bulk lookup, then act in arrival order. After an insert or removal
	 * in this burst, later segments look up again (slots may be reused). */
	for (uint16_t b = 0; b < nt; b += FLOW_TABLE_BULK_MAX) {
		uint16_t cnt = RTE_MIN((uint16_t)FLOW_TABLE_BULK_MAX, (uint16_t)(nt - b));
		flow_table_lookup_bulk_hash(sp->flows, kp + b, hashes + b, cnt, fes + b);
	}
	/* The bulk lookup prefetched buckets and keys, not our entries: start
	 * all their misses at once instead of one per segment below. */
	for (uint16_t j = 0; j < nt; j++) {
		if (fes[j] == NULL)
			continue;
		rte_prefetch0(fes[j]);
		/* A WAN SYN on a flow: a restart will release it, and the
		 * prefix counters it gives back are cold by now (one miss per
		 * row, ~30 cycles a frame on the handshake bench). The global
		 * domain's: reading the entry's own (lim_dom) would wait for
		 * the miss just started; a flow counted in a service's domain
		 * only loses the prefetch. */
		if (unlikely((segs[j].flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) &&
		    in == ROLE_WAN && sp->limits != NULL)
			prefix_limits_prefetch_dom(sp->limits, &keys[j], PREFIX_DOM_GLOBAL);
	}
	const uint64_t gen = table_generation(sp->flows);
	bool stale = false;
	for (uint16_t j = 0; j < nt; j++) {
		struct seg *s = &segs[j];
		struct flow_entry *fe = fes[j];
		stale = stale || table_generation(sp->flows) != gen;
		if (unlikely(stale))
			fe = flow_table_lookup(sp->flows, &keys[j], hashes[j]);
		/* A new SYN on a finished tuple starts over. */
		if (fe != NULL && unlikely((s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) &&
		    in == ROLE_WAN && syn_restarts(fe))
			flow_release_key(sp, fe, &keys[j], hashes[j]), fe = NULL;
		if (fe != NULL)
			flow_segment(sp, tx, s, &keys[j], fe, in);
		else if (in == ROLE_WAN)
			wan_new(sp, tx, s, &keys[j], hashes[j]);
		else if (likely(sp->n_probes == 0) || !lan_probe_answer(sp, tx, s, &keys[j], hashes[j]))
			lan_new(sp, tx, s, &keys[j], hashes[j]);
	}
out:
	if (sp->n_drops) {
		rte_pktmbuf_free_bulk(sp->drops, sp->n_drops);
		sp->n_drops = 0;
	}
}
