/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.c - compile synproxy.services / allow / deny into lookup tables.
 *
 * Design: everything is decided here, once, so that the data path does one
 * FIB lookup and (for services) one binary search over a few port ranges.
 *  - Services are resolved first: each entry's overrides laid over the global
 *    settings, so a worker never merges anything.
 *  - Every distinct prefix becomes a group (IPv4 groups first, so the IPv4
 *    next hops stay small enough for the 1-byte DIR24_8 table when they can).
 *    A group's port map is computed by a sweep over the port ranges of every
 *    service whose prefix contains the group's prefix, longest prefix first:
 *    at each port boundary the active service with the longest prefix wins.
 *    That is O(R log R) per group for R ranges, whatever the nesting.
 *  - Source lists share one table per family: next hop 1 = allow, 2 = deny,
 *    0 (the table's default) = neither.
 *  - Tables of a family with no prefix are not created (a lookup there is a
 *    miss without touching memory); with no services at all the flag
 *    all_protected short-cuts every lookup.
 * Memory (tbl24 of the libraries): IPv4 16 MiB (1-byte next hops, up to 127
 * groups) or 32 MiB, IPv6 32 MiB, per table present.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "policy.h"

static uint32_t policy_serial;

static void __attribute__((format(printf, 3, 4)))
perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static struct policy_service
resolve_service(const struct cfg_synproxy *sp, const struct cfg_service *s, uint16_t id)
{
	struct policy_service r = {
		.id = id,
		.mode = (uint8_t)sp->mode,
		.wscale = sp->default_wscale,
		.mss = sp->default_mss,
		.sack = sp->default_sack,
		.timestamps = sp->default_timestamps,
		.ratelimit_rate = sp->ratelimit_rate,
		.ratelimit_burst = sp->ratelimit_burst,
	};

	if (s == NULL)
		return r;
	r.prefix = s->prefix;
	if (s->set & CFG_SVC_MODE)
		r.mode = s->mode;
	if (s->set & CFG_SVC_MSS)
		r.mss = s->mss;
	if (s->set & CFG_SVC_WSCALE)
		r.wscale = s->wscale;
	if (s->set & CFG_SVC_SACK)
		r.sack = s->sack;
	if (s->set & CFG_SVC_TIMESTAMPS)
		r.timestamps = s->timestamps;
	if (s->set & CFG_SVC_RL_RATE)
		r.ratelimit_rate = s->ratelimit_rate;
	if (s->set & CFG_SVC_RL_BURST)
		r.ratelimit_burst = s->ratelimit_burst;
	if (s->set & CFG_SVC_MAX_FLOWS)
		r.max_flows_per_prefix = s->max_flows_per_prefix;
	if (s->set & CFG_SVC_MAX_HALF_OPEN)
		r.max_half_open_per_prefix = s->max_half_open_per_prefix;
	return r;
}

/*
 * The counting domain of a service with per-prefix caps of its own
 * (fwd/synproxy_limits.c), 0 for one without. Derived from what identifies
 * the service, its prefix and its (sorted) ports, not from its position: a
 * reload that changes its settings, or adds, removes or reorders other
 * entries, keeps its domain and so its live counts. Unique within the policy
 * (a collision of the hash takes the next free number), never 0 (the global
 * caps' domain). A flow is released in the domain it was counted in, stored
 * in its entry, so a domain that changes or disappears leaks nothing; it
 * only starts the service's new count from zero.
 */
static uint16_t
limits_dom(const struct cfg_service *s, const struct policy_service *svcs, unsigned int n)
{
	uint8_t id[2 + 16 + 1 + 4 * CFG_MAX_SVC_PORTS];
	size_t len = 0;
	uint32_t h = 2166136261u;   /* FNV-1a */

	if (!(((s->set & CFG_SVC_MAX_FLOWS) && s->max_flows_per_prefix) ||
	      ((s->set & CFG_SVC_MAX_HALF_OPEN) && s->max_half_open_per_prefix)))
		return 0;
	id[len++] = s->prefix.family;
	id[len++] = s->prefix.len;
	memcpy(id + len, s->prefix.addr, 16);
	len += 16;
	id[len++] = s->nb_ports;
	for (unsigned int i = 0; i < s->nb_ports && i < CFG_MAX_SVC_PORTS; i++) {
		id[len++] = (uint8_t)(s->ports[i].lo >> 8);
		id[len++] = (uint8_t)s->ports[i].lo;
		id[len++] = (uint8_t)(s->ports[i].hi >> 8);
		id[len++] = (uint8_t)s->ports[i].hi;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ id[i]) * 16777619u;
	uint16_t d = (uint16_t)(h ^ h >> 16);
	for (;;) {
		unsigned int j;

		if (d == 0)
			d = 1;
		for (j = 0; j < n && svcs[j].limits_dom != d; j++)
			;
		if (j == n)
			return d;
		d++;
	}
}

/* ---- FIB helpers ---- */

static uint32_t
v4_host(const struct cfg_prefix *p)
{
	return (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	       (uint32_t)p->addr[2] << 8 | p->addr[3];
}

static struct rte_fib *
fib4_new(const struct policy *pol, const char *what, int socket, unsigned int routes,
	 unsigned int long_routes, uint64_t max_nh)
{
	char name[32];
	struct rte_fib_conf conf = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = 0,
		.max_routes = (int)routes + 1,
		.dir24_8 = {
			/* 1 byte holds next hops up to 127 */
			.nh_sz = max_nh < 128 ? RTE_FIB_DIR24_8_1B : RTE_FIB_DIR24_8_2B,
			/* one 256-entry group per prefix longer than /24, at most */
			.num_tbl8 = long_routes + 1,
		},
	};

	snprintf(name, sizeof(name), "pol%u_%s", pol->serial, what);
	return rte_fib_create(name, socket, &conf);
}

static struct rte_fib6 *
fib6_new(const struct policy *pol, const char *what, int socket, unsigned int routes)
{
	char name[32];
	struct rte_fib6_conf conf = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = (int)routes + 1,
		.trie = {
			.nh_sz = RTE_FIB6_TRIE_2B,
			/* a prefix past /24 needs up to one 256-entry group per further byte */
			.num_tbl8 = routes * 13 + 1,
		},
	};

	snprintf(name, sizeof(name), "pol%u_%s", pol->serial, what);
	return rte_fib6_create(name, socket, &conf);
}

static int
fib_add(struct rte_fib *f4, struct rte_fib6 *f6, const struct cfg_prefix *p, uint64_t nh)
{
	if (p->family == CFG_AF_INET)
		return rte_fib_add(f4, v4_host(p), p->len, nh);
	return rte_fib6_add(f6, p->addr, p->len, nh);
}

/* ---- services: groups and port maps ---- */

struct event {
	uint32_t pos;       /* a range's lo, or hi + 1 (up to 65536) */
	uint16_t k;         /* position in the chain */
	uint8_t start;      /* 1 = the range starts at pos, 0 = ends before pos */
};

static int
event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return (int)x->start - (int)y->start;   /* ends first */
}

struct chain_item {
	uint16_t svc;
	uint8_t len;
};

static int
chain_cmp(const void *a, const void *b)
{
	const struct chain_item *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;        /* longest prefix first */
	return (int)x->svc - (int)y->svc;
}

struct range_buf {
	struct policy_range *r;
	uint32_t n, cap;
};

static int
range_push(struct range_buf *b, uint32_t lo, uint32_t hi, uint16_t svc, uint32_t group_first)
{
	if (b->n > group_first && b->r[b->n - 1].svc == svc && b->r[b->n - 1].hi + 1u == lo) {
		b->r[b->n - 1].hi = (uint16_t)hi;
		return 0;
	}
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 64;
		struct policy_range *r = realloc(b->r, cap * sizeof(*r));

		if (r == NULL)
			return -1;
		b->r = r;
		b->cap = cap;
	}
	b->r[b->n++] = (struct policy_range){ .lo = (uint16_t)lo, .hi = (uint16_t)hi, .svc = svc };
	return 0;
}

/*
 * The port map of the group of prefix gp: sweep the chain (services whose
 * prefix contains gp, longest first); at every boundary the lowest active
 * chain position wins.
 */
static int
build_group(const struct cfg_synproxy *sp, const struct cfg_prefix *gp, struct chain_item *chain,
	    struct event *ev, struct range_buf *rb, struct policy_group *g)
{
	uint64_t active[(CFG_MAX_SERVICES + 63) / 64] = { 0 };
	unsigned int nc = 0, ne = 0, i = 0;

	for (unsigned int s = 0; s < sp->nb_services; s++)
		if (config_prefix_contains(&sp->services[s].prefix, gp))
			chain[nc++] = (struct chain_item){ .svc = (uint16_t)s,
							   .len = sp->services[s].prefix.len };
	qsort(chain, nc, sizeof(chain[0]), chain_cmp);
	for (unsigned int k = 0; k < nc; k++) {
		const struct cfg_service *s = &sp->services[chain[k].svc];

		for (unsigned int j = 0; j < s->nb_ports; j++) {
			ev[ne++] = (struct event){ .pos = s->ports[j].lo, .k = (uint16_t)k, .start = 1 };
			ev[ne++] = (struct event){ .pos = s->ports[j].hi + 1u, .k = (uint16_t)k };
		}
	}
	qsort(ev, ne, sizeof(ev[0]), event_cmp);
	g->first = rb->n;
	while (i < ne) {
		uint32_t pos = ev[i].pos;

		for (; i < ne && ev[i].pos == pos; i++) {
			uint64_t bit = 1ull << (ev[i].k % 64);

			if (ev[i].start)
				active[ev[i].k / 64] |= bit;
			else
				active[ev[i].k / 64] &= ~bit;
		}
		if (i == ne)
			break;          /* past the last range end: nothing active */
		for (unsigned int w = 0; w < RTE_DIM(active); w++) {
			if (active[w] == 0)
				continue;
			if (range_push(rb, pos, ev[i].pos - 1,
				       chain[w * 64 + (unsigned int)__builtin_ctzll(active[w])].svc,
				       g->first) < 0)
				return -1;
			break;
		}
	}
	g->n = rb->n - g->first;
	return 0;
}

static int
prefix_cmp(const void *a, const void *b)
{
	const struct cfg_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;          /* IPv4 (4) first */
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int
build_services(struct policy *pol, const struct cfg_synproxy *sp, int socket, char *err,
	       size_t errlen)
{
	struct cfg_prefix *pre = NULL;
	struct chain_item *chain = NULL;
	struct event *ev = NULL;
	struct range_buf rb = { 0 };
	struct policy_group *groups = NULL;
	struct policy_service *svcs = NULL;
	struct policy_range *ranges = NULL;
	unsigned int np = 0, n4 = 0, n4_long = 0, total_ports = 0;
	int ret = -1;

	svcs = rte_zmalloc_socket("policy_svc", sp->nb_services * sizeof(*svcs), 0, socket);
	pre = malloc(sp->nb_services * sizeof(*pre));
	chain = malloc(sp->nb_services * sizeof(*chain));
	if (svcs == NULL || pre == NULL || chain == NULL)
		goto nomem;
	for (unsigned int s = 0; s < sp->nb_services; s++) {
		svcs[s] = resolve_service(sp, &sp->services[s], (uint16_t)s);
		svcs[s].limits_dom = limits_dom(&sp->services[s], svcs, s);
		pol->has_svc_limits |= svcs[s].limits_dom != 0;
		total_ports += sp->services[s].nb_ports;
		pre[s] = sp->services[s].prefix;
	}
	/* distinct prefixes, sorted: IPv4 first */
	qsort(pre, sp->nb_services, sizeof(pre[0]), prefix_cmp);
	for (unsigned int s = 0; s < sp->nb_services; s++)
		if (np == 0 || prefix_cmp(&pre[np - 1], &pre[s]) != 0)
			pre[np++] = pre[s];
	for (unsigned int g = 0; g < np; g++) {
		n4 += pre[g].family == CFG_AF_INET;
		n4_long += pre[g].family == CFG_AF_INET && pre[g].len > 24;
	}
	ev = malloc(2 * (size_t)total_ports * sizeof(*ev));
	groups = rte_zmalloc_socket("policy_groups", np * sizeof(*groups), 0, socket);
	if (ev == NULL || groups == NULL)
		goto nomem;
	for (unsigned int g = 0; g < np; g++)
		if (build_group(sp, &pre[g], chain, ev, &rb, &groups[g]) < 0)
			goto nomem;
	ranges = rte_zmalloc_socket("policy_ranges", rb.n * sizeof(*ranges), 0, socket);
	if (ranges == NULL)
		goto nomem;
	memcpy(ranges, rb.r, rb.n * sizeof(*ranges));
	pol->services = svcs;
	pol->nb_services = sp->nb_services;
	pol->groups = groups;
	pol->nb_groups = np;
	pol->ranges = ranges;
	pol->nb_ranges = rb.n;
	svcs = NULL;
	groups = NULL;
	ranges = NULL;

	if (n4 > 0) {
		pol->svc4 = fib4_new(pol, "svc4", socket, n4, n4_long, n4);
		if (pol->svc4 == NULL) {
			perr(err, errlen, "policy: IPv4 service table: %s", rte_strerror(rte_errno));
			goto out;
		}
	}
	if (np > n4) {
		pol->svc6 = fib6_new(pol, "svc6", socket, np - n4);
		if (pol->svc6 == NULL) {
			perr(err, errlen, "policy: IPv6 service table: %s", rte_strerror(rte_errno));
			goto out;
		}
	}
	for (unsigned int g = 0; g < np; g++) {
		int rc = fib_add(pol->svc4, pol->svc6, &pre[g], g + 1);

		if (rc < 0) {
			char shown[CFG_PREFIX_STRLEN];

			config_prefix_format(&pre[g], shown, sizeof(shown));
			perr(err, errlen, "policy: cannot add service prefix %s: %s", shown,
			     rte_strerror(-rc));
			goto out;
		}
	}
	ret = 0;
	goto out;
nomem:
	perr(err, errlen, "policy: out of memory for %u services", sp->nb_services);
out:
	rte_free(svcs);
	rte_free(groups);
	rte_free(ranges);
	free(rb.r);
	free(ev);
	free(chain);
	free(pre);
	return ret;
}

/* ---- source lists ---- */

static int
build_sources(struct policy *pol, const struct cfg_synproxy *sp, int socket, char *err,
	      size_t errlen)
{
	unsigned int n4 = 0, n6 = 0, n4_long = 0;

	for (unsigned int l = 0; l < 2; l++) {
		const struct cfg_prefix *list = l ? sp->deny : sp->allow;
		unsigned int n = l ? sp->nb_deny : sp->nb_allow;

		for (unsigned int i = 0; i < n; i++) {
			n4 += list[i].family == CFG_AF_INET;
			n6 += list[i].family == CFG_AF_INET6;
			n4_long += list[i].family == CFG_AF_INET && list[i].len > 24;
		}
	}
	if (n4 > 0 && (pol->src4 = fib4_new(pol, "src4", socket, n4, n4_long, 2)) == NULL) {
		perr(err, errlen, "policy: IPv4 source table: %s", rte_strerror(rte_errno));
		return -1;
	}
	if (n6 > 0 && (pol->src6 = fib6_new(pol, "src6", socket, n6)) == NULL) {
		perr(err, errlen, "policy: IPv6 source table: %s", rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned int l = 0; l < 2; l++) {
		const struct cfg_prefix *list = l ? sp->deny : sp->allow;
		unsigned int n = l ? sp->nb_deny : sp->nb_allow;

		for (unsigned int i = 0; i < n; i++) {
			int rc = fib_add(pol->src4, pol->src6, &list[i],
					 l ? POLICY_SRC_DENY : POLICY_SRC_ALLOW);

			if (rc < 0) {
				char shown[CFG_PREFIX_STRLEN];

				config_prefix_format(&list[i], shown, sizeof(shown));
				perr(err, errlen, "policy: cannot add %s prefix %s: %s",
				     l ? "deny" : "allow", shown, rte_strerror(-rc));
				return -1;
			}
		}
	}
	pol->has_sources = n4 + n6 > 0;
	return 0;
}

struct policy *
policy_build(const struct synproxy_config *cfg, int socket, char *err, size_t errlen)
{
	const struct cfg_synproxy *sp;
	struct policy *pol;

	if (cfg == NULL) {
		perr(err, errlen, "policy: no configuration");
		return NULL;
	}
	sp = &cfg->synproxy;
	/* config_load enforces these; a hand-filled struct must not overrun us */
	if (sp->nb_services > CFG_MAX_SERVICES || sp->nb_allow > CFG_MAX_SRC_PREFIXES ||
	    sp->nb_deny > CFG_MAX_SRC_PREFIXES) {
		perr(err, errlen, "policy: too many services or source prefixes");
		return NULL;
	}
	for (unsigned int s = 0; s < sp->nb_services; s++) {
		if (sp->services[s].nb_ports == 0 || sp->services[s].nb_ports > CFG_MAX_SVC_PORTS) {
			perr(err, errlen, "policy: service %u has no valid port list", s);
			return NULL;
		}
	}
	pol = rte_zmalloc_socket("policy", sizeof(*pol), 0, socket);
	if (pol == NULL) {
		perr(err, errlen, "policy: out of memory");
		return NULL;
	}
	pol->serial = __atomic_fetch_add(&policy_serial, 1, __ATOMIC_RELAXED);
	pol->all = resolve_service(sp, NULL, POLICY_SERVICE_ALL);
	pol->all_protected = sp->nb_services == 0;
	if ((!pol->all_protected && build_services(pol, sp, socket, err, errlen) < 0) ||
	    build_sources(pol, sp, socket, err, errlen) < 0) {
		policy_free(pol);
		return NULL;
	}
	return pol;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	rte_fib_free(p->svc4);
	rte_fib6_free(p->svc6);
	rte_fib_free(p->src4);
	rte_fib6_free(p->src6);
	rte_free((void *)(uintptr_t)p->services);
	rte_free((void *)(uintptr_t)p->groups);
	rte_free((void *)(uintptr_t)p->ranges);
	rte_free(p);
}

/* ---- bulk lookups ---- */

/*
 * Gather the addresses of one family into the FIB's input layout, look them
 * up in one call, scatter the next hops back: chunks of POLICY_BULK_MAX.
 */
static void
bulk_nh(const struct rte_fib *f4, const struct rte_fib6 *f6, const uint8_t *family,
	const void *const *addr, uint64_t *nh, unsigned int n)
{
	uint32_t ip4[POLICY_BULK_MAX];
	uint8_t ip6[POLICY_BULK_MAX][RTE_FIB6_IPV6_ADDR_SIZE];
	uint64_t nh4[POLICY_BULK_MAX], nh6[POLICY_BULK_MAX];
	uint16_t idx4[POLICY_BULK_MAX], idx6[POLICY_BULK_MAX];
	unsigned int c4 = 0, c6 = 0;

	for (unsigned int i = 0; i < n; i++) {
		nh[i] = 0;
		if (family[i] == CFG_AF_INET && f4 != NULL) {
			uint32_t a;

			memcpy(&a, addr[i], sizeof(a));
			ip4[c4] = rte_be_to_cpu_32(a);
			idx4[c4++] = (uint16_t)i;
		} else if (family[i] == CFG_AF_INET6 && f6 != NULL) {
			memcpy(ip6[c6], addr[i], RTE_FIB6_IPV6_ADDR_SIZE);
			idx6[c6++] = (uint16_t)i;
		}
	}
	if (c4 > 0) {
		rte_fib_lookup_bulk((struct rte_fib *)(uintptr_t)f4, ip4, nh4, (int)c4);
		for (unsigned int j = 0; j < c4; j++)
			nh[idx4[j]] = nh4[j];
	}
	if (c6 > 0) {
		rte_fib6_lookup_bulk((struct rte_fib6 *)(uintptr_t)f6, ip6, nh6, (int)c6);
		for (unsigned int j = 0; j < c6; j++)
			nh[idx6[j]] = nh6[j];
	}
}

void
policy__service_bulk(const struct policy *p, const uint8_t *family, const void *const *dst_addr,
		     const uint16_t *dst_port_be, const struct policy_service **out,
		     unsigned int n)
{
	uint64_t nh[POLICY_BULK_MAX];

	for (unsigned int base = 0; base < n; base += POLICY_BULK_MAX) {
		unsigned int m = RTE_MIN(n - base, (unsigned int)POLICY_BULK_MAX);

		bulk_nh(p->svc4, p->svc6, family + base, dst_addr + base, nh, m);
		for (unsigned int i = 0; i < m; i++)
			out[base + i] = nh[i] == 0 ? NULL :
				policy__port(p, nh[i], rte_be_to_cpu_16(dst_port_be[base + i]));
	}
}

void
policy__source_bulk(const struct policy *p, const uint8_t *family, const void *const *src_addr,
		    uint8_t *out, unsigned int n)
{
	uint64_t nh[POLICY_BULK_MAX];

	for (unsigned int base = 0; base < n; base += POLICY_BULK_MAX) {
		unsigned int m = RTE_MIN(n - base, (unsigned int)POLICY_BULK_MAX);

		bulk_nh(p->src4, p->src6, family + base, src_addr + base, nh, m);
		for (unsigned int i = 0; i < m; i++)
			out[base + i] = (uint8_t)nh[i];
	}
}
