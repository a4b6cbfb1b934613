/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy.c - the per-worker SYN proxy state machine.
 *
 * A connection opened from the WAN goes through three stages:
 *
 *  1. Client SYN (no flow): the proxy answers with a SYN-ACK built in the
 *     same mbuf and sent back out the WAN port. Its ISN is a SYN cookie; when
 *     the client sent timestamps, the TSval's low byte carries the negotiated
 *     window scale, SACK and finer MSS bits. While the SYN rate is low (auto
 *     mode) the client's exact options also go into the SYN cache. Nothing
 *     else is stored: a spoofed flood costs one hash and one transmit each.
 *     The SYN-ACK advertises a zero window so the client holds its data until
 *     the server has answered (then a window update releases it).
 *
 *  2. Client ACK (no flow): the cookie is checked (one SipHash); a forged
 *     one is dropped without state. A valid one creates the flow (SYN_SENT)
 *     and the same mbuf becomes the SYN to the server: the client's ISN and
 *     options (exact from the cache, else from the cookie). A copy is kept
 *     for retransmission.
 *
 *  3. Server SYN-ACK (flow in SYN_SENT): the sequence and timestamp offsets
 *     between the two halves are recorded, the server's options are learned
 *     for the next SYN-ACKs, the SYN-ACK becomes the ACK to the server, and a
 *     window update goes to the client. From then on every segment is
 *     translated (seqadj.c): seq/ack, SACK blocks, TSval/TSecr and, where the
 *     scales differ, windows.
 *
 * Connections opened from the LAN are tracked (so their WAN-side ACKs are
 * never taken for cookie ACKs) and bridged untouched. RSTs are checked
 * against the window, FINs tracked, and each state has its own timeout.
 *
 * Rules for the odd cases, one counter each:
 *  - non-IP and non-TCP: bridged (bridge counters, non_tcp_pass);
 *  - malformed headers: from the WAN dropped (bad_pass counts LAN ones bridged);
 *  - TCP fragments from the WAN: dropped (a fragmented SYN must not reach the
 *    server past the proxy); other fragments bridged (fragment_pass);
 *  - IPv4 options / IPv6 extension headers: proxied; the proxy's own replies
 *    carry none; translated segments keep them;
 *  - VLAN/QinQ tags: kept as they are on every frame, replies included;
 *  - bad TCP checksum on a SYN or handshake ACK: dropped (tcp_bad_csum);
 *    on other segments left to the end host (incremental updates keep a bad
 *    checksum bad);
 *  - malformed TCP options: the SYN/ACK is dropped (tcp_bad_options).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "worker.h"
#include "port.h"
#include "flow/flow_table.h"
#include "flow/server_opts.h"
#include "fwd/csum.h"
#include "fwd/seqadj.h"
#include "fwd/synproxy.h"
#include "fwd/tcp_build.h"
#include "fwd/tcp_opts.h"
#include "syncookie/cookie.h"
#include "syncookie/ratelimit.h"
#include "syncookie/syn_cache.h"
#include "syncookie/syn_policy.h"

#define TCP_FLAGS_MASK (RTE_TCP_FIN_FLAG | RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG)
#define EXPIRE_BUDGET   64
#define PENDING_BUDGET  64
#define CACHE_BUDGET    32
#define WIN_MIN_TRACK   65535u   /* window tolerance before any window was seen */

struct pending_syn {
	struct rte_mbuf *m;      /* copy of the SYN sent to the server */
	uint32_t flow_idx;
	uint32_t next_ms;        /* when to retransmit */
};

struct synproxy_lcore {
	/* hot */
	struct flow_table *flows;
	const struct cookie_secrets *secrets;
	struct syn_cache *cache;
	struct ratelimit *rl;
	struct server_opts_table *learned;
	struct rte_mempool *mp;
	struct cookie_mss_table mss_table;
	struct syn_policy policy;
	uint32_t now_ms;
	uint32_t now_sec;
	bool tx_offload[ROLE_MAX];
	/* settings */
	uint16_t default_mss;
	uint8_t default_wscale;
	bool default_sack, default_ts;
	uint32_t retx_ms;
	uint8_t retries;
	uint32_t cache_max_age_ms;
	/* SYN copies kept for retransmission */
	struct pending_syn *pend;
	uint32_t *pend_free;
	uint32_t pend_cap, pend_nfree, pend_hand;

	/* frames dropped in this burst, freed together at its end */
	struct rte_mbuf *drops[MAX_BURST];
	uint16_t n_drops;

	struct synproxy_stats stats;
};

/* The cookie period counter needs one clock for all lcores: seconds of TSC. */
static inline uint32_t
now_seconds(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

struct cookie_secrets *
synproxy_secrets_create(const struct synproxy_config *cfg)
{
	struct cookie_secrets *s = rte_zmalloc("cookie_secrets", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return NULL;
	if (cookie_secrets_init(s, cfg->synproxy.cookie_period, now_seconds()) != 0) {
		rte_free(s);
		return NULL;
	}
	return s;
}

void
synproxy_secrets_rotate(struct cookie_secrets *s)
{
	if (cookie_secrets_rotate(s, now_seconds()) < 0)
		SP_LOG(ERR, "cookie secret rotation: no random bytes; keeping the previous key");
}

/* ---------------------------------------------------------------- setup */

struct synproxy_lcore *
synproxy_lcore_create(const struct synproxy_config *cfg, const struct cookie_secrets *secrets,
		      uint16_t idx, int socket, struct rte_mempool *mp)
{
	const struct cfg_synproxy *c = &cfg->synproxy;
	char name[32];
	struct synproxy_lcore *sp = rte_zmalloc_socket("synproxy", sizeof(*sp), RTE_CACHE_LINE_SIZE, socket);

	if (sp == NULL)
		return NULL;
	sp->secrets = secrets;
	sp->mp = mp;
	sp->default_mss = c->default_mss;
	sp->default_wscale = c->default_wscale;
	sp->default_sack = c->default_sack;
	sp->default_ts = c->default_timestamps;
	sp->retx_ms = c->syn_retransmit_ms;
	sp->retries = c->syn_retries;
	/* As long as the cookie it goes with can validate: two periods. */
	sp->cache_max_age_ms = c->cookie_period * 2000;
	for (int r = 0; r < ROLE_MAX; r++)
		sp->tx_offload[r] = port_infos[r].tx_csum_offload;
	if (cookie_mss_table_init(&sp->mss_table, c->mss_table, c->mss_table_len) != 0)
		goto fail;

	uint32_t timeouts[FLOW_S_MAX] = {
		[FLOW_S_FREE] = 1000,
		[FLOW_S_SYN_SENT] = c->timeout_syn_sent * 1000,
		[FLOW_S_LAN_SYN] = c->timeout_syn_sent * 1000,
		[FLOW_S_ESTABLISHED] = c->timeout_established * 1000,
		[FLOW_S_FIN_WAIT] = c->timeout_fin * 1000,
		[FLOW_S_TIME_WAIT] = c->timeout_time_wait * 1000,
		[FLOW_S_CLOSED] = c->timeout_close * 1000,
	};
	snprintf(name, sizeof(name), "flows%u", idx);
	sp->flows = flow_table_create(name, c->flow_table_size, socket, timeouts);
	snprintf(name, sizeof(name), "syncache%u", idx);
	sp->cache = c->mode == CFG_MODE_COOKIE ? NULL : syn_cache_create(name, c->syn_cache_size, socket);
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
	if (sp->flows == NULL || sp->learned == NULL || (c->mode != CFG_MODE_COOKIE && sp->cache == NULL))
		goto fail;
	syn_policy_init(&sp->policy,
			c->mode == CFG_MODE_COOKIE ? SYN_MODE_COOKIE :
			c->mode == CFG_MODE_CACHE ? SYN_MODE_CACHE : SYN_MODE_AUTO,
			c->auto_syn_rate, c->auto_cache_fill_pct);

	/* One pending SYN per handshake in flight; bounded separately from the
	 * flow table because each holds an mbuf. */
	sp->pend_cap = RTE_MIN(c->flow_table_size, (uint32_t)(mp->size / 4));
	sp->pend_cap = RTE_MAX(sp->pend_cap, 1u);
	sp->pend = rte_zmalloc_socket("pending", sizeof(*sp->pend) * sp->pend_cap, 0, socket);
	sp->pend_free = rte_malloc_socket("pending_free", sizeof(uint32_t) * sp->pend_cap, 0, socket);
	if (sp->pend == NULL || sp->pend_free == NULL)
		goto fail;
	for (uint32_t i = 0; i < sp->pend_cap; i++)
		sp->pend_free[i] = sp->pend_cap - 1 - i;
	sp->pend_nfree = sp->pend_cap;
	sp->now_ms = worker_clock_ms();
	sp->now_sec = now_seconds();
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
	if (sp->pend != NULL)
		for (uint32_t i = 0; i < sp->pend_cap; i++)
			rte_pktmbuf_free(sp->pend[i].m);
	rte_free(sp->pend);
	rte_free(sp->pend_free);
	flow_table_free(sp->flows);
	syn_cache_free(sp->cache);
	server_opts_free(sp->learned);
	ratelimit_free(sp->rl);
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

/* ---------------------------------------------------------------- helpers */

struct seg {
	struct rte_mbuf *m;
	const struct pkt_meta *mt;
	uint8_t *l3;
	struct rte_tcp_hdr *th;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t plen;           /* payload bytes */
	uint8_t flags;           /* SYN/ACK/FIN/RST only */
};

static inline void
seg_init(struct seg *s, struct rte_mbuf *m, const struct pkt_meta *mt)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	s->m = m;
	s->mt = mt;
	s->l3 = f + mt->l3_off;
	s->th = (struct rte_tcp_hdr *)(f + mt->l4_off);
	s->seq = rte_be_to_cpu_32(s->th->sent_seq);
	s->ack = rte_be_to_cpu_32(s->th->recv_ack);
	s->win = rte_be_to_cpu_16(s->th->rx_win);
	s->plen = mt->l4_len - mt->tcp_hlen;
	s->flags = mt->tcp_flags & TCP_FLAGS_MASK;
}

static inline void
seg_key(const struct seg *s, enum port_role in, struct flow_key *k)
{
	const uint16_t *ports = (const uint16_t *)s->th;
	uint16_t sp = ports[0], dp = ports[1];

	if (s->mt->l3 == PKT_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)s->l3;
		if (in == ROLE_WAN)
			flow_key_v4(k, ip->src_addr, ip->dst_addr, sp, dp, IPPROTO_TCP);
		else
			flow_key_v4(k, ip->dst_addr, ip->src_addr, dp, sp, IPPROTO_TCP);
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)s->l3;
		if (in == ROLE_WAN)
			flow_key_v6(k, ip->src_addr, ip->dst_addr, sp, dp, IPPROTO_TCP);
		else
			flow_key_v6(k, ip->dst_addr, ip->src_addr, dp, sp, IPPROTO_TCP);
	}
}

/* Verify the TCP checksum (hardware verdict when the port gave one). The
 * pseudo header uses the real L4 length so IPv6 extension headers are fine. */
static bool
seg_csum_ok(const struct seg *s)
{
	uint64_t ck = s->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	uint64_t sum;
	uint16_t len = s->mt->l4_len;
	if (s->mt->l3 == PKT_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)s->l3;
		sum = csum_raw(&ip->src_addr, 8, 0);
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)s->l3;
		sum = csum_raw(ip->src_addr, 32, 0);
	}
	sum += rte_cpu_to_be_16(len) + rte_cpu_to_be_16((uint16_t)IPPROTO_TCP);
	sum = csum_raw(s->th, len, sum);
	return csum_fold64(sum) == 0xffff;
}

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

/*
 * Options the proxy announces: the server's, once learned, else the
 * defaults. A learned "no" is sticky by nature (the proxy stops asking, so
 * the server never shows it again), so an entry that says no to anything is
 * set aside after LEARN_REPROBE_MS: the next client is offered the defaults
 * and that handshake relearns the server as it is now.
 */
#define LEARN_REPROBE_MS 10000

static inline void
server_opts_or_default(struct synproxy_lcore *sp, const struct flow_key *k, struct server_opts *o)
{
	bool known = server_opts_get(sp->learned, k, o);
	if (known && (!o->sack || !o->ts || o->wscale == SERVER_OPTS_WSCALE_NONE) &&
	    (int32_t)(sp->now_ms - o->learned_ms) > LEARN_REPROBE_MS)
		known = false;
	if (!known) {
		/* The default is for IPv4 over the MTU; IPv6 headers are 20 bytes longer. */
		o->mss = k->family == FLOW_AF_INET6 && sp->default_mss > 20 + 536 ? sp->default_mss - 20
										    : sp->default_mss;
		o->wscale = sp->default_wscale;
		o->sack = sp->default_sack;
		o->ts = sp->default_ts;
	}
}

static inline bool
in_window(uint32_t seq, uint32_t end, uint32_t win)
{
	if (win < WIN_MIN_TRACK)
		win = WIN_MIN_TRACK;
	return (uint32_t)(seq - (end - win)) <= 2 * win;
}

static inline uint32_t
scaled(uint16_t win, uint8_t ws)
{
	return (uint32_t)win << (ws == FLOW_WSCALE_NONE ? 0 : ws);
}

static inline void
set_state(struct synproxy_lcore *sp, struct flow_entry *fe, enum flow_state st)
{
	flow_table_set_state(sp->flows, fe, st);
}

/* Drop a frame: freed in bulk when the burst is done. */
static inline void
drop(struct synproxy_lcore *sp, struct rte_mbuf *m)
{
	sp->drops[sp->n_drops++] = m;
}

/* Send a frame on to the other port (bridged or translated). */
static inline void
forward(struct worker *w, enum port_role in, struct rte_mbuf *m)
{
	if (in == ROLE_LAN) {
		w->stats.fwd_lan_to_wan++;
		worker_tx(w, ROLE_WAN, m);
	} else {
		w->stats.fwd_wan_to_lan++;
		worker_tx(w, ROLE_LAN, m);
	}
}

/* ---------------------------------------------------------------- pending SYNs */

static void
pending_release(struct synproxy_lcore *sp, struct flow_entry *fe)
{
	uint32_t i = fe->pending;
	if (i == UINT32_MAX || i >= sp->pend_cap)
		return;
	rte_pktmbuf_free(sp->pend[i].m);
	sp->pend[i].m = NULL;
	sp->pend_free[sp->pend_nfree++] = i;
	fe->pending = UINT32_MAX;
}

static void
pending_keep(struct synproxy_lcore *sp, struct flow_entry *fe, struct rte_mbuf *syn)
{
	if (sp->pend_nfree == 0 || sp->retries == 0)
		return;   /* no retransmission for this one; the client will retry */
	struct rte_mbuf *copy = rte_pktmbuf_copy(syn, sp->mp, 0, UINT32_MAX);
	if (copy == NULL) {
		sp->stats.alloc_fail++;
		return;
	}
	uint32_t i = sp->pend_free[--sp->pend_nfree];
	sp->pend[i].m = copy;
	sp->pend[i].flow_idx = flow_table_index(sp->flows, fe);
	sp->pend[i].next_ms = sp->now_ms + sp->retx_ms;
	fe->pending = i;
	fe->retries = 0;
}

/* Retransmit due SYNs, a few slots per loop. */
static void
pending_scan(struct synproxy_lcore *sp, struct worker *w)
{
	for (unsigned b = 0; b < PENDING_BUDGET && sp->pend_nfree < sp->pend_cap; b++) {
		uint32_t i = sp->pend_hand;
		sp->pend_hand = (i + 1 == sp->pend_cap) ? 0 : i + 1;
		struct pending_syn *p = &sp->pend[i];
		if (p->m == NULL || (int32_t)(sp->now_ms - p->next_ms) < 0)
			continue;
		struct flow_entry *fe = flow_table_entry_at(sp->flows, p->flow_idx);
		if (fe->retries >= sp->retries) {
			pending_release(sp, fe);
			continue;
		}
		struct rte_mbuf *copy = rte_pktmbuf_copy(p->m, sp->mp, 0, UINT32_MAX);
		if (copy == NULL) {
			sp->stats.alloc_fail++;
			continue;
		}
		fe->retries++;
		p->next_ms = sp->now_ms + (sp->retx_ms << fe->retries);
		sp->stats.syn_to_server_retx++;
		worker_tx(w, ROLE_LAN, copy);
	}
}

/* Flow table expiry: free the pending SYN and count why the flow went. */
static void
on_expire(void *arg, const struct flow_key *k, struct flow_entry *fe)
{
	struct synproxy_lcore *sp = arg;
	(void)k;
	if (fe->state == FLOW_S_SYN_SENT && (fe->flags & FLOW_F_PROXIED))
		sp->stats.syn_to_server_timeout++;
	pending_release(sp, fe);
	sp->stats.flows_expired++;
}

static void
flow_release(struct synproxy_lcore *sp, struct flow_entry *fe)
{
	pending_release(sp, fe);
	flow_table_remove_entry(sp->flows, fe);
	sp->stats.flows_closed++;
}

void
synproxy_housekeeping(struct synproxy_lcore *sp, struct worker *w)
{
	sp->now_ms = w->now_ms;
	flow_table_expire(sp->flows, sp->now_ms, EXPIRE_BUDGET, on_expire, sp);
	if (sp->pend_nfree < sp->pend_cap)
		pending_scan(sp, w);
	if (sp->cache && syn_cache_count(sp->cache))
		syn_cache_expire(sp->cache, sp->now_ms, sp->cache_max_age_ms, CACHE_BUDGET);
}

/* ---------------------------------------------------------------- WAN: SYN */

static void
wan_syn(struct synproxy_lcore *sp, struct worker *w, struct seg *s, const struct flow_key *k)
{
	struct tcp_opts o;

	sp->stats.syn_received++;
	if (unlikely(s->flags & RTE_TCP_FIN_FLAG))
		goto drop;   /* SYN+FIN: no TCP stack answers it, nor do we */
	if (unlikely(tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0)) {
		sp->stats.tcp_bad_options++;
		goto drop;
	}
	if (unlikely(!seg_csum_ok(s))) {
		sp->stats.tcp_bad_csum++;
		goto drop;
	}
	if (sp->rl != NULL && !ratelimit_allow(sp->rl, k, sp->now_ms)) {
		sp->stats.syn_ratelimited++;
		drop(sp, s->m);
		return;
	}
	struct server_opts so;
	server_opts_or_default(sp, k, &so);

	/* Called for every SYN, also in cookie mode: it keeps the rate estimate. */
	bool use_cache = syn_policy_use_cache(&sp->policy, sp->now_ms,
					      sp->cache ? syn_cache_count(sp->cache) : 0,
					      sp->cache ? syn_cache_capacity(sp->cache) : 0) &&
			 sp->cache != NULL;
	bool ts = o.ts_present && so.ts;
	/* Window scale and SACK survive a cookie only inside the timestamp;
	 * with the cache they need no room. */
	bool can_carry = ts || use_cache;
	struct cookie_opts co = {
		.mss = o.mss_present ? o.mss : COOKIE_MSS_DEFAULT,
		.wscale = (can_carry && o.wscale != TCP_WSCALE_NONE && so.wscale != SERVER_OPTS_WSCALE_NONE)
			  ? o.wscale : COOKIE_WSCALE_NONE,
		.sack = can_carry && o.sack_perm && so.sack,
		.ts = ts,
		.ecn = 0,
	};
	/* What the client is told comes back with its ACK (TS cookie or cache):
	 * the learned table may change in between. */
	co.proxy_wscale = co.wscale == COOKIE_WSCALE_NONE ? COOKIE_WSCALE_NONE
			  : (so.wscale == SERVER_OPTS_WSCALE_NONE ? sp->default_wscale : so.wscale);
	uint32_t tsval = 0;
	uint32_t isn = cookie_encode_syn(sp->secrets, &sp->mss_table, k, s->seq, &co,
					 sp->now_sec, sp->now_ms, &tsval);
	if (use_cache) {
		struct syn_cache_entry e = {
			.client_isn = s->seq,
			.client_tsval = o.tsval,
			.created_ms = sp->now_ms,
			.mss = co.mss,
			.wscale = co.wscale,
			.flags = (co.sack ? SYN_CACHE_F_SACK : 0) | (ts ? SYN_CACHE_F_TS : 0),
			.window = s->win,
			.proxy_wscale = co.proxy_wscale,
		};
		syn_cache_insert(sp->cache, k, &e);
		sp->stats.synack_sent_cache++;
	} else {
		sp->stats.synack_sent_cookie++;
	}

	struct tcp_build b;
	build_addrs(&b, s, true);
	b.seq = isn;
	b.ack = s->seq + 1;
	b.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	b.win = 0;   /* hold the client's data until the server has answered */
	b.opts_kind = TCP_BUILD_SYNACK;
	b.opts.mss = so.mss;
	b.opts.wscale = co.proxy_wscale == COOKIE_WSCALE_NONE ? TCP_WSCALE_NONE : co.proxy_wscale;
	b.opts.sack_perm = co.sack;
	b.opts.ts = ts;
	b.opts.tsval = tsval;
	b.opts.tsecr = o.tsval;
	tcp_build_swap_mac(s->m);
	tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_WAN]);
	worker_tx(w, ROLE_WAN, s->m);
	return;
drop:
	sp->stats.syn_bad++;
	drop(sp, s->m);
}

/* ---------------------------------------------------------------- WAN: handshake ACK */

static void
wan_handshake_ack(struct synproxy_lcore *sp, struct worker *w, struct seg *s,
		  const struct flow_key *k, uint32_t hash)
{
	struct tcp_opts o;
	struct cookie_opts co;
	uint8_t mss_idx;

	/* The cookie first: a forged ACK costs one SipHash and nothing else,
	 * not even option parsing. */
	if (cookie_check(sp->secrets, k, s->seq - 1, s->ack - 1, sp->now_sec, &mss_idx) != 0 ||
	    mss_idx >= sp->mss_table.n) {
		sp->stats.ack_bad_cookie++;
		goto drop;
	}
	if (unlikely(tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0)) {
		sp->stats.tcp_bad_options++;
		sp->stats.ack_bad++;
		goto drop;
	}
	cookie_opts_from_ack(&sp->mss_table, mss_idx, o.ts_present, o.tsecr, &co);
	if (unlikely(!seg_csum_ok(s))) {
		sp->stats.tcp_bad_csum++;
		sp->stats.ack_bad++;
		goto drop;
	}
	struct syn_cache_entry ce;
	bool cached = sp->cache != NULL && syn_cache_count(sp->cache) &&
		      syn_cache_take(sp->cache, k, &ce) == 0 && ce.client_isn == s->seq - 1;
	uint16_t syn_win;
	if (cached) {
		co.mss = ce.mss;
		co.wscale = ce.wscale;
		co.proxy_wscale = ce.proxy_wscale;
		co.sack = !!(ce.flags & SYN_CACHE_F_SACK);
		co.ts = !!(ce.flags & SYN_CACHE_F_TS);
		syn_win = ce.window;
		sp->stats.ack_cache_ok++;
	} else {
		/* The SYN's window is gone: the ACK's, unscaled, is as good. */
		syn_win = (uint16_t)RTE_MIN(scaled(s->win, co.wscale), 65535u);
		sp->stats.ack_cookie_ok++;
		if (!o.ts_present && sp->policy.mode == SYN_MODE_CACHE) {
			/* Cache mode told this client a window scale that only
			 * the (now evicted) entry remembered. Assume it did: the
			 * server's windows are then scaled down for the client,
			 * which can only understate them, never overrun. */
			struct server_opts so;
			server_opts_or_default(sp, k, &so);
			co.proxy_wscale = so.wscale == SERVER_OPTS_WSCALE_NONE ? sp->default_wscale : so.wscale;
		}
	}
	co.ts = co.ts && o.ts_present;

	struct flow_entry *fe = flow_table_insert(sp->flows, k, hash, sp->now_ms);
	if (fe == NULL) {
		sp->stats.flow_full++;
		goto drop;
	}
	RTE_ASSERT(fe->state == FLOW_S_FREE);   /* the caller looked it up: a new key */
	if (sp->rl != NULL)
		ratelimit_refund(sp->rl, k);

	fe->flags = FLOW_F_PROXIED | (co.ts ? FLOW_F_TS : 0) | (co.sack ? FLOW_F_SACK : 0);
	fe->wan_wscale = co.wscale;
	fe->proxy_wscale = co.proxy_wscale;
	fe->lan_wscale = FLOW_WSCALE_NONE;
	fe->client_mss = co.mss;
	fe->client_isn = s->seq - 1;
	fe->proxy_isn = s->ack - 1;
	fe->client_tsval = o.tsval;
	fe->ts_delta = o.tsecr;          /* the proxy's TSval, until the server's is known */
	fe->wan_end = s->seq;
	fe->wan_maxwin = scaled(s->win, co.wscale);
	fe->pending = UINT32_MAX;
	fe->last_seen = sp->now_ms;
	set_state(sp, fe, FLOW_S_SYN_SENT);
	if (s->plen)
		sp->stats.early_data_drop++;

	/* The same mbuf becomes the SYN to the server; L2 stays as it came. */
	struct tcp_build b;
	build_addrs(&b, s, false);
	b.seq = fe->client_isn;
	b.ack = 0;
	b.flags = RTE_TCP_SYN_FLAG;
	b.win = syn_win;
	b.opts_kind = TCP_BUILD_SYN;
	b.opts.mss = co.mss;
	b.opts.wscale = co.wscale == COOKIE_WSCALE_NONE ? TCP_WSCALE_NONE : co.wscale;
	b.opts.sack_perm = co.sack;
	b.opts.ts = co.ts;
	b.opts.tsval = o.tsval;
	b.opts.tsecr = 0;
	tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_LAN]);
	pending_keep(sp, fe, s->m);
	sp->stats.syn_to_server++;
	worker_tx(w, ROLE_LAN, s->m);
	return;
drop:
	drop(sp, s->m);
}

/* ---------------------------------------------------------------- LAN: server SYN-ACK */

static void
lan_server_synack(struct synproxy_lcore *sp, struct worker *w, struct seg *s,
		  const struct flow_key *k, struct flow_entry *fe)
{
	struct tcp_opts o;

	if (s->ack != fe->client_isn + 1 || tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) != 0) {
		sp->stats.server_synack_bad++;
		drop(sp, s->m);
		return;
	}
	/* Learn what this server supports, from what our SYN asked for. */
	struct server_opts so, prev = { 0 };
	bool had = server_opts_get(sp->learned, k, &prev);
	so.mss = o.mss_present ? o.mss : COOKIE_MSS_DEFAULT;
	so.wscale = (fe->wan_wscale != FLOW_WSCALE_NONE) ? o.wscale
		    : (had ? prev.wscale : sp->default_wscale);
	so.sack = (fe->flags & FLOW_F_SACK) ? o.sack_perm : (had ? prev.sack : sp->default_sack);
	so.ts = (fe->flags & FLOW_F_TS) ? o.ts_present : (had ? prev.ts : sp->default_ts);
	so.valid = 1;
	/* Only an answer to every question renews the entry: a "no" carried
	 * over unasked keeps its age, so the re-probe comes when it is due. */
	bool asked_all = fe->wan_wscale != FLOW_WSCALE_NONE && (fe->flags & FLOW_F_SACK) &&
			 (fe->flags & FLOW_F_TS);
	server_opts_learn(sp->learned, k, &so, had && !asked_all ? prev.learned_ms : sp->now_ms);

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
	if (fe->proxy_wscale != FLOW_WSCALE_NONE) {
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
	fe->last_seen = sp->now_ms;
	pending_release(sp, fe);
	set_state(sp, fe, FLOW_S_ESTABLISHED);
	sp->stats.server_synack++;
	sp->stats.proxied_established++;

	/* Window update for the client, in a fresh mbuf: the client may send. */
	struct rte_mbuf *upd = rte_pktmbuf_alloc(sp->mp);
	if (upd != NULL) {
		uint16_t l3_off = s->mt->l3_off;
		char *d = rte_pktmbuf_append(upd, l3_off);
		if (d != NULL) {
			memcpy(d, rte_pktmbuf_mtod(s->m, void *), l3_off);   /* server->client L2 */
			struct tcp_build b;
			build_addrs(&b, s, false);
			b.seq = fe->proxy_isn + 1;
			b.ack = fe->client_isn + 1;
			b.flags = RTE_TCP_ACK_FLAG;
			uint8_t to = fe->proxy_wscale == FLOW_WSCALE_NONE ? 0 : fe->proxy_wscale;
			b.win = seqadj_window(s->win, 0, to);
			b.opts_kind = (fe->flags & FLOW_F_TS) ? TCP_BUILD_TS : TCP_BUILD_NO_OPTS;
			b.opts.tsval = o.tsval + fe->ts_delta;
			b.opts.tsecr = fe->client_tsval;
			tcp_build_frame(upd, l3_off, &b, sp->tx_offload[ROLE_WAN]);
			upd->port = s->m->port;
			worker_tx(w, ROLE_WAN, upd);
		} else {
			rte_pktmbuf_free(upd);
		}
	} else {
		sp->stats.alloc_fail++;
	}

	/* The SYN-ACK itself becomes the ACK that completes the server's handshake. */
	struct tcp_build b;
	build_addrs(&b, s, true);
	b.seq = fe->client_isn + 1;
	b.ack = server_isn + 1;
	b.flags = RTE_TCP_ACK_FLAG;
	uint32_t cwin = fe->wan_maxwin;   /* the client's window, in bytes */
	uint8_t ws_server_view = (fe->flags & FLOW_F_CWIN_ADJ) || fe->wan_wscale == FLOW_WSCALE_NONE
				 ? 0 : fe->wan_wscale;
	b.win = (uint16_t)RTE_MIN(cwin >> ws_server_view, 65535u);
	b.opts_kind = (fe->flags & FLOW_F_TS) ? TCP_BUILD_TS : TCP_BUILD_NO_OPTS;
	b.opts.tsval = fe->client_tsval;
	b.opts.tsecr = o.tsval;
	tcp_build_swap_mac(s->m);
	tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_LAN]);
	worker_tx(w, ROLE_LAN, s->m);
}

/* ---------------------------------------------------------------- tracking */

/* FIN/RST bookkeeping common to proxied and pass-through flows. Returns
 * false if the segment must be dropped (RST out of window). Sequence
 * numbers are in the sender's own space. */
static inline bool
track(struct synproxy_lcore *sp, struct flow_entry *fe, const struct seg *s, enum port_role in)
{
	uint32_t *end = in == ROLE_WAN ? &fe->wan_end : &fe->lan_end;
	uint32_t peer_win = in == ROLE_WAN ? fe->lan_maxwin : fe->wan_maxwin;
	uint8_t ws = in == ROLE_WAN ? fe->wan_wscale : fe->lan_wscale;

	if (unlikely(s->flags & RTE_TCP_RST_FLAG)) {
		if (fe->state >= FLOW_S_ESTABLISHED && !in_window(s->seq, *end, peer_win)) {
			sp->stats.rst_out_of_window++;
			return false;
		}
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

static void
wan_flow(struct synproxy_lcore *sp, struct worker *w, struct seg *s, struct flow_entry *fe)
{
	if (!(fe->flags & FLOW_F_PROXIED)) {
		/* LAN-initiated: the WAN side's SYN-ACK completes it. */
		if (fe->state == FLOW_S_LAN_SYN &&
		    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
			struct tcp_opts o;
			fe->wan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 &&
					 o.wscale != TCP_WSCALE_NONE ? o.wscale : FLOW_WSCALE_NONE;
			if (fe->wan_wscale == FLOW_WSCALE_NONE)
				fe->lan_wscale = FLOW_WSCALE_NONE;   /* scaling needs both */
			else if (fe->lan_wscale == FLOW_WSCALE_NONE)
				fe->wan_wscale = FLOW_WSCALE_NONE;
			fe->wan_end = s->seq;
			set_state(sp, fe, FLOW_S_ESTABLISHED);
		}
		if (!track(sp, fe, s, ROLE_WAN))
			goto drop;
		sp->stats.passthrough++;
		forward(w, ROLE_WAN, s->m);
		return;
	}
	if (unlikely(fe->state == FLOW_S_SYN_SENT)) {
		/* The server has not answered yet: duplicates and early data
		 * wait (the zero window asked the client to). */
		if (s->flags & RTE_TCP_RST_FLAG) {
			if (s->seq != fe->client_isn + 1) {
				sp->stats.rst_out_of_window++;
				goto drop;
			}
			/* The server holds our SYN: pass the reset on, in its
			 * sequence space (no ACK: none of its numbers is known). */
			struct tcp_build b;
			build_addrs(&b, s, false);
			b.seq = fe->client_isn + 1;
			b.ack = 0;
			b.flags = RTE_TCP_RST_FLAG;
			b.win = 0;
			b.opts_kind = TCP_BUILD_NO_OPTS;
			tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_LAN]);
			sp->stats.rst_accepted++;
			flow_release(sp, fe);
			worker_tx(w, ROLE_LAN, s->m);
			return;
		} else if (s->plen) {
			sp->stats.early_data_drop++;
		}
		goto drop;
	}
	if (unlikely(s->flags & RTE_TCP_SYN_FLAG)) {
		/* A SYN on a live proxied flow: the client's retransmission. */
		sp->stats.syn_retransmit++;
		goto drop;
	}
	if (!track(sp, fe, s, ROLE_WAN))
		goto drop;
	struct seqadj a;
	seqadj_from_flow(fe, &a);
	if (seqadj_wan_to_lan(s->th, s->mt->tcp_hlen, &a) != 0)
		sp->stats.tcp_bad_options++;
	sp->stats.translated_wan++;
	forward(w, ROLE_WAN, s->m);
	return;
drop:
	drop(sp, s->m);
}

static void
lan_flow(struct synproxy_lcore *sp, struct worker *w, struct seg *s, const struct flow_key *k,
	 struct flow_entry *fe)
{
	if (!(fe->flags & FLOW_F_PROXIED)) {
		if ((s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
			/* retransmitted or reused LAN SYN */
			fe->lan_end = s->seq;
		}
		if (!track(sp, fe, s, ROLE_LAN))
			goto drop;
		sp->stats.passthrough++;
		forward(w, ROLE_LAN, s->m);
		return;
	}
	if (unlikely(fe->state == FLOW_S_SYN_SENT)) {
		if ((s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
			lan_server_synack(sp, w, s, k, fe);
			return;
		}
		if ((s->flags & RTE_TCP_RST_FLAG) && (s->flags & RTE_TCP_ACK_FLAG) &&
		    s->ack == fe->client_isn + 1) {
			/* The server refused: reset the client, which believes it
			 * is connected, in the sequence space it knows. */
			sp->stats.server_rst++;
			struct tcp_build b;
			build_addrs(&b, s, false);
			b.seq = fe->proxy_isn + 1;
			b.ack = fe->client_isn + 1;
			b.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
			b.win = 0;
			b.opts_kind = TCP_BUILD_NO_OPTS;
			tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_WAN]);
			flow_release(sp, fe);
			worker_tx(w, ROLE_WAN, s->m);
			return;
		}
		if ((s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) == RTE_TCP_ACK_FLAG &&
		    s->ack != fe->client_isn + 1) {
			/* A challenge ACK (RFC 5961): the server still holds an
			 * older connection on this tuple. Reset it the way the
			 * client's stack would; the SYN retransmission follows. */
			struct tcp_build b;
			build_addrs(&b, s, true);
			b.seq = s->ack;
			b.ack = 0;
			b.flags = RTE_TCP_RST_FLAG;
			b.win = 0;
			b.opts_kind = TCP_BUILD_NO_OPTS;
			tcp_build_swap_mac(s->m);
			tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_LAN]);
			sp->stats.server_challenge_ack++;
			worker_tx(w, ROLE_LAN, s->m);
			return;
		}
		sp->stats.server_synack_bad++;
		goto drop;
	}
	if (unlikely(s->flags & RTE_TCP_SYN_FLAG)) {
		/* Retransmitted server SYN-ACK (our ACK was lost): ACK it again. */
		if ((s->flags & RTE_TCP_ACK_FLAG) && s->seq + 1 == fe->lan_end &&
		    fe->state == FLOW_S_ESTABLISHED) {
			struct tcp_opts o;
			struct tcp_build b;
			bool ts = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 && o.ts_present &&
				  (fe->flags & FLOW_F_TS);
			build_addrs(&b, s, true);
			b.seq = fe->client_isn + 1;
			b.ack = fe->lan_end;
			b.flags = RTE_TCP_ACK_FLAG;
			b.win = (uint16_t)RTE_MIN(fe->wan_maxwin >>
				((fe->flags & FLOW_F_CWIN_ADJ) || fe->wan_wscale == FLOW_WSCALE_NONE ? 0 : fe->wan_wscale),
				65535u);
			b.opts_kind = ts ? TCP_BUILD_TS : TCP_BUILD_NO_OPTS;
			b.opts.tsval = fe->client_tsval;
			b.opts.tsecr = ts ? o.tsval : 0;
			tcp_build_swap_mac(s->m);
			tcp_build_frame(s->m, s->mt->l3_off, &b, sp->tx_offload[ROLE_LAN]);
			sp->stats.server_synack++;
			worker_tx(w, ROLE_LAN, s->m);
			return;
		}
		sp->stats.server_synack_bad++;
		goto drop;
	}
	if (!track(sp, fe, s, ROLE_LAN))
		goto drop;
	struct seqadj a;
	seqadj_from_flow(fe, &a);
	if (seqadj_lan_to_wan(s->th, s->mt->tcp_hlen, &a) != 0)
		sp->stats.tcp_bad_options++;
	sp->stats.translated_lan++;
	forward(w, ROLE_LAN, s->m);
	return;
drop:
	drop(sp, s->m);
}

/* ---------------------------------------------------------------- no flow */

static void
wan_new(struct synproxy_lcore *sp, struct worker *w, struct seg *s, const struct flow_key *k,
	uint32_t hash)
{
	uint8_t f = s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG);
	if (f == RTE_TCP_SYN_FLAG) {
		wan_syn(sp, w, s, k);
		return;
	}
	if (f == RTE_TCP_ACK_FLAG) {
		wan_handshake_ack(sp, w, s, k, hash);
		return;
	}
	/* RST, SYN-ACK or flagless segments of nothing we know: never let them
	 * reach a server. */
	sp->stats.wan_no_flow++;
	drop(sp, s->m);
}

static void
lan_new(struct synproxy_lcore *sp, struct worker *w, struct seg *s, const struct flow_key *k,
	uint32_t hash)
{
	if ((s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) == RTE_TCP_SYN_FLAG) {
		struct flow_entry *fe = flow_table_insert(sp->flows, k, hash, sp->now_ms);
		if (fe == NULL) {
			/* Its answer would find no flow and be dropped: better the
			 * LAN host retries its SYN. */
			sp->stats.flow_full++;
			drop(sp, s->m);
			return;
		}
		struct tcp_opts o;
		fe->flags = 0;
		fe->lan_wscale = tcp_opts_parse(s->th, s->mt->tcp_hlen, &o) == 0 ? o.wscale : FLOW_WSCALE_NONE;
		fe->wan_wscale = FLOW_WSCALE_NONE;
		fe->proxy_wscale = FLOW_WSCALE_NONE;
		fe->lan_end = s->seq + 1;
		fe->wan_end = 0;
		fe->pending = UINT32_MAX;
		fe->last_seen = sp->now_ms;
		set_state(sp, fe, FLOW_S_LAN_SYN);
		sp->stats.passthrough_new++;
		forward(w, ROLE_LAN, s->m);
		return;
	}
	/* Untracked LAN traffic (older than the proxy, or expired) is let out;
	 * its WAN replies will not be let in without a flow. */
	sp->stats.lan_no_flow++;
	forward(w, ROLE_LAN, s->m);
}

/* ---------------------------------------------------------------- the burst */

/* Changes whenever a slot may have been freed or reused. */
static inline uint64_t
table_generation(const struct flow_table *t)
{
	return t->stats.inserts + t->stats.removes + t->stats.expired;
}

static inline bool
syn_restarts(const struct flow_entry *fe, const struct seg *s)
{
	if (fe->state == FLOW_S_TIME_WAIT || fe->state == FLOW_S_CLOSED)
		return true;
	return (fe->flags & FLOW_F_PROXIED) && fe->state >= FLOW_S_ESTABLISHED &&
	       !in_window(s->seq, fe->wan_end, fe->lan_maxwin);
}

void
synproxy_process_burst(struct synproxy_lcore *sp, struct worker *w, struct rte_mbuf **pkts,
		       struct pkt_meta *meta, uint16_t n, enum port_role in)
{
	struct seg segs[MAX_BURST];
	struct flow_key keys[MAX_BURST];
	const struct flow_key *kp[MAX_BURST];
	uint32_t hashes[MAX_BURST];
	struct flow_entry *fes[MAX_BURST];
	uint16_t nt = 0;

	sp->now_ms = w->now_ms;
	sp->now_sec = now_seconds();

	/* Classify: non-TCP and odd frames leave here; TCP gets a key. */
	for (uint16_t i = 0; i < n; i++) {
		const struct pkt_meta *mt = &meta[i];
		if (likely((mt->flags & (PKT_F_L4 | PKT_F_BAD | PKT_F_FRAG)) == PKT_F_L4 &&
			   mt->l4proto == IPPROTO_TCP)) {
			struct seg *s = &segs[nt];
			seg_init(s, pkts[i], mt);
			seg_key(s, in, &keys[nt]);
			kp[nt] = &keys[nt];
			hashes[nt] = flow_table_hash(sp->flows, &keys[nt]);
			/* A flood's SYNs come from everywhere: start the rate-limit
			 * bucket's cache miss now, it is needed a burst later. */
			if (in == ROLE_WAN && sp->rl != NULL &&
			    (s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) == RTE_TCP_SYN_FLAG)
				ratelimit_prefetch(sp->rl, &keys[nt]);
			nt++;
		} else if (mt->l3 == PKT_L3_NONE) {
			forward(w, in, pkts[i]);
		} else if (mt->flags & PKT_F_BAD) {
			/* Nothing malformed gets past the proxy towards the servers. */
			if (in == ROLE_WAN) {
				sp->stats.bad_drop++;
				drop(sp, pkts[i]);
			} else {
				sp->stats.bad_pass++;
				forward(w, in, pkts[i]);
			}
		} else if (mt->flags & PKT_F_FRAG) {
			/* A fragmented SYN must not reassemble at a server. */
			if (in == ROLE_WAN && mt->l4proto == IPPROTO_TCP) {
				sp->stats.fragment_drop++;
				drop(sp, pkts[i]);
			} else {
				sp->stats.fragment_pass++;
				forward(w, in, pkts[i]);
			}
		} else {
			sp->stats.non_tcp_pass++;
			forward(w, in, pkts[i]);
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
	for (uint16_t j = 0; j < nt; j++)
		if (fes[j] != NULL)
			rte_prefetch0(fes[j]);
	const uint64_t gen = table_generation(sp->flows);
	bool stale = false;
	for (uint16_t j = 0; j < nt; j++) {
		struct seg *s = &segs[j];
		struct flow_entry *fe = fes[j];
		stale = stale || table_generation(sp->flows) != gen;
		if (unlikely(stale))
			fe = flow_table_lookup(sp->flows, &keys[j], hashes[j]);
		/* A new SYN on a finished tuple, or one far outside a live
		 * proxied connection's window (the client lost it), starts over. */
		if (fe != NULL && unlikely((s->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) &&
		    in == ROLE_WAN && syn_restarts(fe, s))
			flow_release(sp, fe), fe = NULL;
		if (in == ROLE_WAN) {
			if (fe != NULL)
				wan_flow(sp, w, s, fe);
			else
				wan_new(sp, w, s, &keys[j], hashes[j]);
		} else {
			if (fe != NULL)
				lan_flow(sp, w, s, &keys[j], fe);
			else
				lan_new(sp, w, s, &keys[j], hashes[j]);
		}
	}
out:
	if (sp->n_drops) {
		rte_pktmbuf_free_bulk(sp->drops, sp->n_drops);
		sp->n_drops = 0;
	}
}
