/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_scen.c - scenario setups and steps (design in bench_scen.h).
 *
 *   rx-emulation            alloc + copy + free only: the cost the others include
 *   syn-flood-cookie        SYNs (MSS/SACK/TS/WS) from random sources, cookie mode
 *   syn-flood-auto          the same in auto mode: the rate trips it to cookies
 *   syn-flood-ratelimited   SYNs from 4 /24 prefixes: the rate limit drops most
 *   syn-flood-collide       SYNs whose flow keys share one CRC32C under every seed
 *                           (the tables' old hash), mode auto: cached at auto_syn_rate
 *   ack-flood               ACKs with forged cookies from random sources
 *   established-10k         data both ways on proxied flows (seq/TS/SACK translation)
 *   established-1m          the same on 1M flows (flow table far beyond the caches)
 *   handshake               SYN, ACK, server SYN-ACK, data, RST per connection
 *   passthrough             LAN-initiated TCP both ways + UDP both ways
 *   mix                     all of the above at once
 *
 * Sources are random per frame, the flows a data packet belongs to are
 * visited in a random permutation; every worker has its own seed and its
 * own server subnet (10.(100 + worker).0.0/24).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_tcp.h>

#include "bench_frames.h"
#include "bench_hs.h"
#include "bench_rx.h"
#include "bench_scen.h"
#include "crc_collide.h"

struct scen_priv {
	struct tpl_pool wan, lan;    /* frames of the measured loop, by input role */
	struct bflow *flows;         /* established (proxied) flows */
	uint32_t nflows;
	struct bflow *pt;            /* LAN-initiated flows */
	uint32_t npt;
	struct hs_set hs;            /* tuples cycled through complete handshakes */
	uint32_t steps;
};

static struct scen_priv *
priv_new(struct bench_worker *bw)
{
	struct scen_priv *p = calloc(1, sizeof(*p));
	bw->priv = p;
	if (p == NULL)
		snprintf(bw->errmsg, sizeof(bw->errmsg), "out of memory");
	return p;
}

static void
teardown_all(struct bench_worker *bw)
{
	struct scen_priv *p = bw->priv;

	if (p == NULL)
		return;
	tpl_pool_free(&p->wan);
	tpl_pool_free(&p->lan);
	hs_set_free(&p->hs);
	free(p->flows);
	free(p->pt);
	free(p);
	bw->priv = NULL;
}

static int
oom(struct bench_worker *bw, const char *what)
{
	snprintf(bw->errmsg, sizeof(bw->errmsg), "out of memory for %s", what);
	return -1;
}

uint64_t
bench_path_ok(const struct synproxy_stats *d)
{
	/* One counter per injected frame (a client RST also counts rst_accepted,
	 * but it is forwarded, so translated_wan has it). */
	return d->synack_sent_cookie + d->synack_sent_cache + d->syn_ratelimited +
	       d->ack_bad_cookie + d->ack_cookie_ok + d->ack_cache_ok + d->server_synack +
	       d->translated_wan + d->translated_lan + d->passthrough + d->passthrough_new +
	       d->non_tcp_pass + d->probe_answered;   /* a server's SYN-ACK to a probe */
}

/* ---------------------------------------------------------------- frame makers */

/* A client SYN from a random source; prefixes > 0 keeps sources in that many /24s. */
static uint16_t
make_flood_syn(uint8_t *buf, uint64_t *rng, uint16_t widx, unsigned prefixes)
{
	struct bflow f;

	bflow_random(&f, rng, widx);
	if (prefixes) {
		uint32_t r = (uint32_t)bench_rand(rng);
		/* documentation and shared ranges: 192.0.2, 198.51.100, 203.0.113, 100.64.x */
		static const uint32_t nets[] = { 0xc0000200, 0xc6336400, 0xcb007100, 0x64400000 };
		uint32_t net = nets[(r >> 8) % RTE_DIM(nets)] + (((r >> 16) % ((prefixes + 3) / 4)) << 8);
		f.wan_addr = rte_cpu_to_be_32(net | (1 + (r & 0xff) % 254));
	}
	return bf_client_syn(buf, &f);
}

/* An ACK nobody sent a SYN-ACK for: random seq/ack, half with timestamps. */
static uint16_t
make_forged_ack(uint8_t *buf, uint64_t *rng, uint16_t widx)
{
	struct bflow f;
	uint64_t r;

	bflow_random(&f, rng, widx);
	r = bench_rand(rng);
	return bf_tcp(buf, &f, true, f.wan_isn, (uint32_t)r, RTE_TCP_ACK_FLAG, 502,
		      (r >> 32) & 1 ? BF_O_TS : BF_O_NONE, f.wan_ts, (uint32_t)(r >> 33), 0);
}

static uint16_t
make_udp(uint8_t *buf, uint64_t *rng, uint16_t widx, bool from_wan)
{
	struct bflow f;

	bflow_random(&f, rng, widx);
	if (from_wan)
		return bf_udp(buf, f.wan_addr, f.lan_addr, f.wan_port, 53, 40);
	return bf_udp(buf, f.lan_addr, f.wan_addr, f.wan_port, 443, 40);
}

/* LAN-initiated connection: the LAN host connects out to port 443. */
static void
pt_flow(struct bflow *f, uint64_t *rng, uint16_t widx)
{
	bflow_random(f, rng, widx);
	f->lan_port = f->wan_port;
	f->wan_port = 443;
}

static uint16_t
make_pt_data(uint8_t *buf, const struct bflow *f, bool from_wan)
{
	if (from_wan)
		return bf_tcp(buf, f, true, f->wan_isn + 1, f->lan_isn + 1,   /* as bf_server_data */
			      RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 509, BF_O_TS, f->wan_ts + 1,
			      f->lan_ts + 1, BF_PAYLOAD);
	return bf_tcp(buf, f, false, f->lan_isn + 1, f->wan_isn + 1, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
		      502, BF_O_TS, f->lan_ts + 1, f->wan_ts, BF_PAYLOAD);
}

/* ---------------------------------------------------------------- establishing flows */

/* Proxied flows through complete handshakes (no data, no close), a group at a time. */
static int
establish_proxied(struct bench_worker *bw, struct bflow *flows, uint32_t n)
{
	struct hs_set h;
	uint16_t g = RTE_MIN(bw->w->burst, (uint16_t)(TX_BUF_SIZE / 2));

	if (hs_set_init(&h, g) != 0)
		return oom(bw, "handshake templates");
	for (uint32_t b = 0; b < n; b += g) {
		uint16_t cnt = (uint16_t)RTE_MIN((uint32_t)g, n - b);
		h.n = h.syn.n = h.ack.n = h.synack.n = h.data.n = h.rst.n = 0;
		for (uint16_t i = 0; i < cnt; i++)
			hs_set_add(&h, &flows[b + i]);
		hs_group(bw, &h, 0, cnt, 0);
		for (uint16_t i = 0; i < cnt; i++) {
			flows[b + i].ok = h.f[i].ok;
			flows[b + i].cookie = h.f[i].cookie;
			flows[b + i].synack_ts = h.f[i].synack_ts;
			bw->flows_ok += h.f[i].ok;
		}
	}
	hs_set_free(&h);
	return 0;
}

/* LAN-initiated flows: LAN SYN, WAN SYN-ACK, LAN ACK. */
static int
establish_passthrough(struct bench_worker *bw, struct bflow *flows, uint32_t n)
{
	struct tpl_pool t;
	uint16_t g = bw->w->burst;
	const struct synproxy_stats *st = synproxy_lcore_stats(bw->w->sp);
	uint64_t before = st->passthrough_new;

	if (tpl_pool_init(&t, g) != 0)
		return oom(bw, "passthrough templates");
	for (uint32_t b = 0; b < n; b += g) {
		uint16_t cnt = (uint16_t)RTE_MIN((uint32_t)g, n - b);
		bench_clock(bw);
		t.n = t.next = 0;
		for (uint16_t i = 0; i < cnt; i++) {
			const struct bflow *f = &flows[b + i];
			tpl_push(&t, bf_tcp(tpl_slot(&t, i), f, false, f->lan_isn, 0, RTE_TCP_SYN_FLAG,
					    64240, BF_O_SYN, f->lan_ts, 0, 0));
		}
		bench_rx(bw, &t, cnt, ROLE_LAN);
		t.n = t.next = 0;
		for (uint16_t i = 0; i < cnt; i++) {
			const struct bflow *f = &flows[b + i];
			tpl_push(&t, bf_tcp(tpl_slot(&t, i), f, true, f->wan_isn, f->lan_isn + 1,
					    RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 65160, BF_O_SYN,
					    f->wan_ts, f->lan_ts, 0));
		}
		bench_rx(bw, &t, cnt, ROLE_WAN);
		t.n = t.next = 0;
		for (uint16_t i = 0; i < cnt; i++) {
			const struct bflow *f = &flows[b + i];
			tpl_push(&t, bf_tcp(tpl_slot(&t, i), f, false, f->lan_isn + 1, f->wan_isn + 1,
					    RTE_TCP_ACK_FLAG, 502, BF_O_TS, f->lan_ts + 1, f->wan_ts, 0));
		}
		bench_rx(bw, &t, cnt, ROLE_LAN);
		bench_loop_tail(bw);
		for (uint16_t i = 0; i < cnt; i++)
			flows[b + i].ok = 1;
	}
	tpl_pool_free(&t);
	bw->flows_ok += (uint32_t)(st->passthrough_new - before);
	return 0;
}

/* n random proxied flows, established; data frames of each direction in a random order. */
static int
setup_proxied_flows(struct bench_worker *bw, struct scen_priv *p, uint32_t n)
{
	p->flows = calloc(n, sizeof(*p->flows));
	if (p->flows == NULL)
		return oom(bw, "flows");
	p->nflows = n;
	for (uint32_t i = 0; i < n; i++)
		bflow_random(&p->flows[i], &bw->rng, bw->idx);
	bw->flows_wanted += n;
	return establish_proxied(bw, p->flows, n);
}

static int
setup_pt_flows(struct bench_worker *bw, struct scen_priv *p, uint32_t n)
{
	p->pt = calloc(n, sizeof(*p->pt));
	if (p->pt == NULL)
		return oom(bw, "passthrough flows");
	p->npt = n;
	for (uint32_t i = 0; i < n; i++)
		pt_flow(&p->pt[i], &bw->rng, bw->idx);
	bw->flows_wanted += n;
	return establish_passthrough(bw, p->pt, n);
}

/* A random permutation of 0..n-1. */
static uint32_t *
permutation(uint32_t n, uint64_t *rng)
{
	uint32_t *perm = malloc(sizeof(*perm) * (n ? n : 1));

	if (perm == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = (uint32_t)(bench_rand(rng) % i);
		uint32_t t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	return perm;
}

/* Handshake tuples, warmed up by one full cycle so every measured round recycles. */
static int
setup_hs(struct bench_worker *bw, struct scen_priv *p, uint32_t n)
{
	struct bflow f;
	uint16_t g = RTE_MIN(bw->w->burst, (uint16_t)(TX_BUF_SIZE / 2));

	if (hs_set_init(&p->hs, n) != 0)
		return oom(bw, "handshake tuples");
	for (uint32_t i = 0; i < n; i++) {
		bflow_random(&f, &bw->rng, bw->idx);
		hs_set_add(&p->hs, &f);
	}
	for (uint32_t i = 0; i < n; i += g)
		hs_group(bw, &p->hs, i, g, HS_DATA | HS_RST);
	return 0;
}

/* ---------------------------------------------------------------- tunes */

static void
tune_none(struct synproxy_config *cfg)
{
	(void)cfg;
}

/*
 * The floods measure a sustained attack: the proxy answers with cookies and
 * never probes a server (src/fwd/synproxy_probe.c). Only a flood's first
 * SYNs, below auto_syn_rate, would (64 probes per worker at most, held
 * 300 ms, and the template pool's repeated tuples dropped as duplicates
 * meanwhile): a transient short runs would magnify. Probes off: the flood
 * path still makes the probe decision's checks, as under attack.
 */
static void
tune_cookie(struct synproxy_config *cfg)
{
	cfg->synproxy.mode = CFG_MODE_COOKIE;
	cfg->synproxy.probe = false;
}

static void
tune_auto(struct synproxy_config *cfg)
{
	cfg->synproxy.mode = CFG_MODE_AUTO;
	cfg->synproxy.probe = false;
}

/*
 * Mode auto, the default, as in the attack this scenario is about: the proxy
 * caches SYNs up to auto_syn_rate per second (and 75% fill), so a flood
 * fills the cache with colliding keys at that rate, then gets cookies.
 */
static void
tune_collide(struct synproxy_config *cfg)
{
	cfg->synproxy.mode = CFG_MODE_AUTO;
	cfg->synproxy.probe = false;   /* as tune_cookie */
}

static void
tune_large(struct synproxy_config *cfg)
{
	/* Exactly the flows wanted: the table's memory per flow is what is reported. */
	cfg->synproxy.flow_table_size = RTE_MAX(bench_opts.flows_large, 1024u);
}

/* ---------------------------------------------------------------- steps */

static void
step_wan(struct bench_worker *bw)
{
	struct scen_priv *p = bw->priv;

	bench_clock(bw);
	bench_rx(bw, &p->wan, bw->w->burst, ROLE_WAN);
	bench_loop_tail(bw);
}

static void
step_both(struct bench_worker *bw)
{
	struct scen_priv *p = bw->priv;

	bench_clock(bw);
	bench_rx(bw, &p->lan, bw->w->burst, ROLE_LAN);
	bench_rx(bw, &p->wan, bw->w->burst, ROLE_WAN);
	bench_loop_tail(bw);
}

static void
step_rx_emulation(struct bench_worker *bw)
{
	struct scen_priv *p = bw->priv;
	struct rte_mbuf *pkts[BENCH_BURST_MAX];
	uint16_t n = bw->w->burst;
	uint64_t t0 = rte_rdtsc();
	uint32_t next = p->wan.next;

	if (bench_alloc(bw, pkts, n) == 0) {
		for (uint16_t i = 0; i < n; i++) {
			bench_mbuf_fill(bw, pkts[i], tpl_slot(&p->wan, next), p->wan.len[next], ROLE_WAN);
			if (++next == p->wan.n)
				next = 0;
		}
		p->wan.next = next;
		rte_pktmbuf_free_bulk(pkts, n);
		bw->pkts += n;
	}
	bw->emu_tsc += rte_rdtsc() - t0;
}

static void
step_handshake(struct bench_worker *bw)
{
	struct scen_priv *p = bw->priv;
	uint16_t g = RTE_MIN(bw->w->burst, (uint16_t)(TX_BUF_SIZE / 2));

	if (p->hs.next + g > p->hs.n)
		p->hs.next = 0;
	hs_group(bw, &p->hs, p->hs.next, g, HS_DATA | HS_RST);
	p->hs.next += g;
}

static void
step_mix(struct bench_worker *bw)
{
	struct scen_priv *p = bw->priv;
	const uint16_t g = 8;

	step_both(bw);
	/* a group of 8 complete connections every 4th iteration */
	if ((++p->steps & 3) == 0) {
		if (p->hs.next + g > p->hs.n)
			p->hs.next = 0;
		hs_group(bw, &p->hs, p->hs.next, g, HS_DATA | HS_RST);
		p->hs.next += g;
	}
}

/* ---------------------------------------------------------------- setups */

static int
setup_flood(struct bench_worker *bw, bool ack, unsigned prefixes)
{
	struct scen_priv *p = priv_new(bw);
	uint32_t n = bench_opts.pool_frames;

	if (p == NULL || tpl_pool_init(&p->wan, n) != 0)
		return oom(bw, "templates");
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *buf = tpl_slot(&p->wan, i);
		tpl_push(&p->wan, ack ? make_forged_ack(buf, &bw->rng, bw->idx)
				      : make_flood_syn(buf, &bw->rng, bw->idx, prefixes));
	}
	return 0;
}

static int
setup_rx_emulation(struct bench_worker *bw)
{
	return setup_flood(bw, false, 0);
}

static int
setup_syn_flood(struct bench_worker *bw)
{
	return setup_flood(bw, false, 0);
}

static int
setup_syn_flood_rl(struct bench_worker *bw)
{
	return setup_flood(bw, false, 4);
}

/*
 * SYNs to one server from one class of sources that collide under
 * rte_hash_crc (crc_collide.h): up to 65,536 address/port pairs with one
 * 32-bit CRC, less the addresses a real network would not route (and ports
 * below 1024), sent in a random order.
 */
static int
setup_syn_flood_collide(struct bench_worker *bw)
{
	struct scen_priv *p = priv_new(bw);
	uint32_t n = bench_opts.pool_frames;
	struct crc_collide cc;
	struct bflow base, f;
	uint16_t base_port;

	if (p == NULL || tpl_pool_init(&p->wan, n) != 0)
		return oom(bw, "templates");
	if (crc_collide_init(&cc) < CRC_COLLIDE_DIM) {
		snprintf(bw->errmsg, sizeof(bw->errmsg), "CRC kernel too small");
		return -1;
	}
	bflow_random(&base, &bw->rng, bw->idx);
	base_port = rte_cpu_to_be_16(base.wan_port);
	for (uint32_t idx = 0; p->wan.n < n && idx < (UINT32_C(1) << CRC_COLLIDE_DIM); idx++) {
		uint32_t addr;
		uint16_t port;
		uint8_t top;

		crc_collide_member(&cc, base.wan_addr, base_port, idx, &addr, &port);
		top = (uint8_t)(rte_be_to_cpu_32(addr) >> 24);
		if (top == 0 || top == 10 || top == 127 || top >= 224 ||
		    rte_be_to_cpu_16(port) < 1024)
			continue;
		bflow_random(&f, &bw->rng, bw->idx);   /* fresh ISN and TSval */
		f.wan_addr = addr;
		f.wan_port = rte_be_to_cpu_16(port);
		f.lan_addr = base.lan_addr;
		f.lan_port = base.lan_port;
		tpl_push(&p->wan, bf_client_syn(tpl_slot(&p->wan, p->wan.n), &f));
	}
	tpl_pool_shuffle(&p->wan, &bw->rng);
	return 0;
}

static int
setup_ack_flood(struct bench_worker *bw)
{
	return setup_flood(bw, true, 0);
}

/* Data both ways on n proxied flows; 1 client segment in 8 carries a SACK block. */
static int
setup_established(struct bench_worker *bw, uint32_t n)
{
	struct scen_priv *p = priv_new(bw);

	if (p == NULL || setup_proxied_flows(bw, p, n) != 0)
		return -1;
	uint32_t *pw = permutation(n, &bw->rng), *pl = permutation(n, &bw->rng);
	if (pw == NULL || pl == NULL || tpl_pool_init(&p->wan, n) || tpl_pool_init(&p->lan, n)) {
		free(pw);
		free(pl);
		return oom(bw, "data templates");
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct bflow *fw = &p->flows[pw[i]], *fl = &p->flows[pl[i]];
		if (fw->ok)
			tpl_push(&p->wan, bf_client_data(tpl_slot(&p->wan, p->wan.n), fw, (i & 7) == 0));
		if (fl->ok)
			tpl_push(&p->lan, bf_server_data(tpl_slot(&p->lan, p->lan.n), fl));
	}
	free(pw);
	free(pl);
	if (p->wan.n == 0 || p->lan.n == 0) {
		snprintf(bw->errmsg, sizeof(bw->errmsg), "no flow could be established");
		return -1;
	}
	return 0;
}

static int
setup_est_small(struct bench_worker *bw)
{
	return setup_established(bw, bench_opts.flows_small);
}

static int
setup_est_large(struct bench_worker *bw)
{
	return setup_established(bw, bench_opts.flows_large);
}

static int
setup_handshake(struct bench_worker *bw)
{
	struct scen_priv *p = priv_new(bw);

	if (p == NULL)
		return -1;
	bw->flows_wanted = bench_opts.hs_tuples;
	if (setup_hs(bw, p, bench_opts.hs_tuples) != 0)
		return -1;
	for (uint32_t i = 0; i < p->hs.n; i++)
		bw->flows_ok += p->hs.f[i].ok;
	return 0;
}

/* TCP data of LAN-initiated flows and UDP, half and half, in each direction. */
static int
setup_passthrough(struct bench_worker *bw)
{
	struct scen_priv *p = priv_new(bw);
	uint32_t n = bench_opts.flows_small;

	if (p == NULL || setup_pt_flows(bw, p, n) != 0)
		return -1;
	if (tpl_pool_init(&p->wan, 2 * n) || tpl_pool_init(&p->lan, 2 * n))
		return oom(bw, "templates");
	for (uint32_t i = 0; i < n; i++) {
		tpl_push(&p->wan, make_pt_data(tpl_slot(&p->wan, p->wan.n), &p->pt[i], true));
		tpl_push(&p->wan, make_udp(tpl_slot(&p->wan, p->wan.n), &bw->rng, bw->idx, true));
		tpl_push(&p->lan, make_pt_data(tpl_slot(&p->lan, p->lan.n), &p->pt[i], false));
		tpl_push(&p->lan, make_udp(tpl_slot(&p->lan, p->lan.n), &bw->rng, bw->idx, false));
	}
	tpl_pool_shuffle(&p->wan, &bw->rng);
	tpl_pool_shuffle(&p->lan, &bw->rng);
	return 0;
}

/*
 * From the WAN: 50% established data, 20% flood SYNs, 10% forged ACKs, 10%
 * passthrough data, 10% UDP. From the LAN: 60% established data, 20%
 * passthrough data, 20% UDP. Plus complete handshakes (step_mix).
 */
static int
setup_mix(struct bench_worker *bw)
{
	struct scen_priv *p = priv_new(bw);
	uint32_t nf = bench_opts.flows_small, npt = RTE_MAX(nf / 4, 1u);
	uint32_t n = bench_opts.pool_frames;

	if (p == NULL || setup_proxied_flows(bw, p, nf) != 0 || setup_pt_flows(bw, p, npt) != 0 ||
	    setup_hs(bw, p, RTE_MAX(bench_opts.hs_tuples / 4, 64u)) != 0)
		return -1;
	if (tpl_pool_init(&p->wan, n) || tpl_pool_init(&p->lan, n))
		return oom(bw, "templates");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = (uint32_t)(bench_rand(&bw->rng) % 10);
		const struct bflow *f = &p->flows[bench_rand(&bw->rng) % nf];
		const struct bflow *pt = &p->pt[bench_rand(&bw->rng) % npt];
		uint8_t *buf = tpl_slot(&p->wan, p->wan.n);

		if (r < 5 && f->ok)
			tpl_push(&p->wan, bf_client_data(buf, f, (i & 7) == 0));
		else if (r < 7)
			tpl_push(&p->wan, make_flood_syn(buf, &bw->rng, bw->idx, 0));
		else if (r < 8)
			tpl_push(&p->wan, make_forged_ack(buf, &bw->rng, bw->idx));
		else if (r < 9)
			tpl_push(&p->wan, make_pt_data(buf, pt, true));
		else
			tpl_push(&p->wan, make_udp(buf, &bw->rng, bw->idx, true));

		r = (uint32_t)(bench_rand(&bw->rng) % 10);
		f = &p->flows[bench_rand(&bw->rng) % nf];
		buf = tpl_slot(&p->lan, p->lan.n);
		if (r < 6 && f->ok)
			tpl_push(&p->lan, bf_server_data(buf, f));
		else if (r < 8)
			tpl_push(&p->lan, make_pt_data(buf, pt, false));
		else
			tpl_push(&p->lan, make_udp(buf, &bw->rng, bw->idx, false));
	}
	for (uint32_t i = 0; i < p->hs.n; i++)
		bw->flows_ok += p->hs.f[i].ok;
	bw->flows_wanted += p->hs.n;
	return 0;
}

/* ---------------------------------------------------------------- the list */

const struct scenario bench_scenarios[] = {
	{ "rx-emulation", "alloc_bulk + rte_memcpy of the template + free_bulk; no data path",
	  false, false, 0, tune_none, setup_rx_emulation, step_rx_emulation, teardown_all },
	{ "syn-flood-cookie", "SYNs with MSS/SACK/TS/WS from random sources, mode cookie",
	  true, false, 15, tune_cookie, setup_syn_flood, step_wan, teardown_all },
	{ "syn-flood-auto", "the same flood in mode auto (rate above auto_syn_rate: cookies)",
	  true, false, 15, tune_auto, setup_syn_flood, step_wan, teardown_all },
	{ "syn-flood-ratelimited", "SYNs from 4 /24 prefixes: the per-prefix rate limit drops most",
	  true, false, 0, tune_cookie, setup_syn_flood_rl, step_wan, teardown_all },
	{ "syn-flood-collide", "SYNs from sources with one CRC32C (old table hash), mode auto",
	  true, false, 0, tune_collide, setup_syn_flood_collide, step_wan, teardown_all },
	{ "ack-flood", "ACKs with forged cookies from random sources: dropped",
	  true, false, 20, tune_none, setup_ack_flood, step_wan, teardown_all },
	{ "established-10k", "data both ways on proxied flows: seq/TS/SACK translation",
	  true, false, 20, tune_none, setup_est_small, step_both, teardown_all },
	{ "established-1m", "data both ways on 1M proxied flows per worker",
	  true, false, 10, tune_large, setup_est_large, step_both, teardown_all },
	{ "handshake", "client SYN, ACK, server SYN-ACK, client data, client RST",
	  true, true, 2, tune_none, setup_handshake, step_handshake, teardown_all },
	{ "passthrough", "LAN-initiated TCP data both ways + UDP both ways",
	  true, false, 0, tune_none, setup_passthrough, step_both, teardown_all },
	{ "mix", "established, floods, passthrough, UDP and handshakes together",
	  true, false, 0, tune_none, setup_mix, step_mix, teardown_all },
};

const unsigned bench_nb_scenarios = RTE_DIM(bench_scenarios);
