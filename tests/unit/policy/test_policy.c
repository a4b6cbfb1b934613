/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c - unit tests of the compiled policy (src/policy/policy.c).
 *
 * Policies are built from config text through config_load_string, so the
 * tests also cover the path an operator's file takes. The tables are the real
 * rte_fib / rte_fib6 under EAL with --no-huge. Besides hand-picked cases
 * (nesting, port edges, /0, IPv6, overrides, list exceptions), random
 * policies are checked against a brute-force reference written from the
 * documented rule, and the bulk lookups against the single ones. Addresses
 * stay inside 198.18.0.0/15 and 2001:2::/48.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "flow/flow_key.h"
#include "parse.h"
#include "policy/policy.h"

/* The parser's pkt_meta.l3 and a flow key's family can be passed as they are. */
_Static_assert(CFG_AF_INET == PKT_L3_IPV4 && CFG_AF_INET6 == PKT_L3_IPV6, "l3 != family");
_Static_assert(CFG_AF_INET == FLOW_AF_INET && CFG_AF_INET6 == FLOW_AF_INET6, "flow family");

#define PORTS "\"ports\": [{\"name\": \"a\", \"role\": \"lan\"}, {\"name\": \"b\", \"role\": \"wan\"}]"

static struct synproxy_config cfg;
static char err[CFG_ERR_LEN];

/* Load {PORTS, "synproxy": {SYNPROXY}} and build its policy; both must succeed. */
static struct policy *
build(const char *synproxy)
{
	char *doc = malloc(strlen(synproxy) + 256);
	struct policy *p;

	assert_non_null(doc);
	sprintf(doc, "{" PORTS ", \"synproxy\": {%s}}", synproxy);
	if (config_load_string(&cfg, doc, "t.json", err, sizeof(err)) != 0) {
		print_error("config: %s\n", err);
		fail();
	}
	free(doc);
	p = policy_build(&cfg, SOCKET_ID_ANY, err, sizeof(err));
	if (p == NULL) {
		print_error("policy_build: %s\n", err);
		fail();
	}
	return p;
}

struct addr {
	uint8_t family;
	uint8_t b[16];
};

static struct addr
A(const char *s)
{
	struct addr a = { 0 };

	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = CFG_AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = CFG_AF_INET6;
	else
		fail_msg("bad test address %s", s);
	return a;
}

/* The id of the service protecting addr:port, -1 for none. Checks the bulk path too. */
static int
svc(const struct policy *p, const char *addr, uint16_t port)
{
	struct addr a = A(addr);
	uint16_t pb = htons(port);
	const void *ap = a.b;
	const struct policy_service *s = policy_service(p, a.family, a.b, pb), *b = NULL;

	policy_service_bulk(p, &a.family, &ap, &pb, &b, 1);
	assert_ptr_equal(s, b);
	return s == NULL ? -1 : s->id;
}

static enum policy_src
src(const struct policy *p, const char *addr)
{
	struct addr a = A(addr);
	const void *ap = a.b;
	enum policy_src s = policy_source(p, a.family, a.b);
	uint8_t b = 0xee;

	policy_source_bulk(p, &a.family, &ap, &b, 1);
	assert_int_equal(s, b);
	return s;
}

/* ---- hand-picked cases ---- */

static void
test_no_services_protects_everything(void **state)
{
	struct policy *p;
	const struct policy_service *s;
	struct addr a = A("198.18.0.1");

	(void)state;
	p = build("\"mode\": \"cache\", \"defaults\": {\"mss\": 1300, \"wscale\": 3, \"sack\": false},"
		  " \"ratelimit\": {\"rate\": 77, \"burst\": 88}");
	assert_true(p->all_protected);
	assert_false(p->has_sources);
	assert_null(p->svc4);
	assert_null(p->svc6);
	assert_null(p->src4);
	assert_null(p->src6);
	s = policy_service(p, a.family, a.b, htons(1));
	assert_non_null(s);
	assert_int_equal(s->id, POLICY_SERVICE_ALL);
	assert_int_equal(s->mode, CFG_MODE_CACHE);
	assert_int_equal(s->mss, 1300);
	assert_int_equal(s->wscale, 3);
	assert_false(s->sack);
	assert_true(s->timestamps);
	assert_int_equal(s->ratelimit_rate, 77);
	assert_int_equal(s->ratelimit_burst, 88);
	assert_int_equal(s->max_flows_per_prefix, 0);
	assert_int_equal(svc(p, "2001:2::1", 65535), POLICY_SERVICE_ALL);
	assert_int_equal(src(p, "198.18.0.1"), POLICY_SRC_NONE);
	assert_int_equal(src(p, "2001:2::1"), POLICY_SRC_NONE);
	policy_free(p);
}

/* A /32 inside a /24: the host's own ports go to it, the /24's stay protected. */
static void
test_nesting_falls_back_to_shorter_prefix(void **state)
{
	struct policy *p;

	(void)state;
	p = build("\"services\": ["
		  "{\"prefix\": \"198.18.1.0/24\", \"ports\": [80, 443]},"
		  "{\"prefix\": \"198.18.1.5\", \"ports\": [22, 80], \"mode\": \"cache\"},"
		  "{\"prefix\": \"198.18.0.0/16\", \"ports\": [\"1-1024\"]}]");
	assert_false(p->all_protected);
	assert_int_equal(svc(p, "198.18.1.5", 22), 1);
	assert_int_equal(svc(p, "198.18.1.5", 80), 1);      /* the /32 lists 80 too: it wins */
	assert_int_equal(svc(p, "198.18.1.5", 443), 0);     /* falls back to the /24 */
	assert_int_equal(svc(p, "198.18.1.5", 25), 2);      /* and to the /16 */
	assert_int_equal(svc(p, "198.18.1.5", 1025), -1);
	assert_int_equal(svc(p, "198.18.1.6", 80), 0);
	assert_int_equal(svc(p, "198.18.1.6", 22), 2);
	assert_int_equal(svc(p, "198.18.1.6", 8080), -1);
	assert_int_equal(svc(p, "198.18.2.1", 443), 2);
	assert_int_equal(svc(p, "198.18.2.1", 1024), 2);
	assert_int_equal(svc(p, "198.18.2.1", 1025), -1);
	assert_int_equal(svc(p, "198.19.1.5", 22), -1);     /* outside every prefix */
	assert_int_equal(svc(p, "2001:2::1", 22), -1);      /* no IPv6 service at all */
	assert_null(p->svc6);
	assert_int_equal(p->services[1].mode, CFG_MODE_CACHE);
	assert_int_equal(p->nb_groups, 3);
	policy_free(p);
}

static void
test_port_edges_and_same_prefix_services(void **state)
{
	struct policy *p;

	(void)state;
	p = build("\"services\": ["
		  "{\"prefix\": \"198.18.3.0/24\", \"ports\": [\"8000-8099\", 1, 65535]},"
		  "{\"prefix\": \"198.18.3.0/24\", \"ports\": [\"8100-8100\", 7999], \"mode\": \"cookie\"},"
		  "{\"prefix\": \"198.18.4.0/24\", \"ports\": [\"1-65535\"]}]");
	assert_int_equal(svc(p, "198.18.3.9", 7998), -1);
	assert_int_equal(svc(p, "198.18.3.9", 7999), 1);
	assert_int_equal(svc(p, "198.18.3.9", 8000), 0);
	assert_int_equal(svc(p, "198.18.3.9", 8099), 0);
	assert_int_equal(svc(p, "198.18.3.9", 8100), 1);
	assert_int_equal(svc(p, "198.18.3.9", 8101), -1);
	assert_int_equal(svc(p, "198.18.3.9", 1), 0);
	assert_int_equal(svc(p, "198.18.3.9", 2), -1);
	assert_int_equal(svc(p, "198.18.3.9", 65535), 0);
	assert_int_equal(svc(p, "198.18.3.9", 0), -1);
	assert_int_equal(svc(p, "198.18.4.200", 0), -1);    /* port 0 is never a service port */
	assert_int_equal(svc(p, "198.18.4.200", 1), 2);
	assert_int_equal(svc(p, "198.18.4.200", 65535), 2);
	assert_int_equal(svc(p, "198.18.5.1", 80), -1);
	/* one group per distinct prefix: 1, 7999, 8000-8099, 8100, 65535 and 1-65535 */
	assert_int_equal(p->nb_groups, 2);
	assert_int_equal(p->nb_ranges, 5 + 1);
	policy_free(p);
}

static void
test_default_route_and_long_prefixes(void **state)
{
	struct policy *p;

	(void)state;
	p = build("\"services\": ["
		  "{\"prefix\": \"0.0.0.0/0\", \"ports\": [80]},"
		  "{\"prefix\": \"198.18.9.128/25\", \"ports\": [443]},"
		  "{\"prefix\": \"198.18.9.130/31\", \"ports\": [25]},"
		  "{\"prefix\": \"::/0\", \"ports\": [80]},"
		  "{\"prefix\": \"2001:2:0:9::/64\", \"ports\": [443]},"
		  "{\"prefix\": \"2001:2:0:9::8/125\", \"ports\": [25]},"
		  "{\"prefix\": \"2001:2:0:9::9\", \"ports\": [22]}]");
	assert_int_equal(svc(p, "198.19.200.1", 80), 0);
	assert_int_equal(svc(p, "198.19.200.1", 443), -1);
	assert_int_equal(svc(p, "198.18.9.127", 443), -1);
	assert_int_equal(svc(p, "198.18.9.128", 443), 1);
	assert_int_equal(svc(p, "198.18.9.131", 25), 2);
	assert_int_equal(svc(p, "198.18.9.131", 443), 1);
	assert_int_equal(svc(p, "198.18.9.131", 80), 0);
	assert_int_equal(svc(p, "198.18.9.132", 25), -1);
	assert_int_equal(svc(p, "2001:2::77", 80), 3);
	assert_int_equal(svc(p, "2001:2::77", 443), -1);
	assert_int_equal(svc(p, "2001:2:0:9:ffff::1", 443), 4);
	assert_int_equal(svc(p, "2001:2:0:9::f", 25), 5);
	assert_int_equal(svc(p, "2001:2:0:9::10", 25), -1);
	assert_int_equal(svc(p, "2001:2:0:9::f", 443), 4);
	assert_int_equal(svc(p, "2001:2:0:9::a", 25), 5);
	assert_int_equal(svc(p, "2001:2:0:9::9", 22), 6);
	assert_int_equal(svc(p, "2001:2:0:9::9", 25), 5);
	assert_int_equal(svc(p, "2001:2:0:9::9", 80), 3);
	assert_int_equal(svc(p, "2001:2:0:9::8", 22), -1);
	policy_free(p);
}

static void
test_overrides_resolved(void **state)
{
	struct policy *p;
	const struct policy_service *s;

	(void)state;
	p = build("\"mode\": \"auto\", \"defaults\": {\"mss\": 1460, \"wscale\": 7},"
		  " \"ratelimit\": {\"rate\": 1000, \"burst\": 2000}, \"services\": ["
		  "{\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"mode\": \"cookie\","
		  " \"defaults\": {\"mss\": 1200, \"timestamps\": false},"
		  " \"ratelimit\": {\"burst\": 5},"
		  " \"limits\": {\"max_flows_per_prefix\": 100, \"max_half_open_per_prefix\": 10}},"
		  "{\"prefix\": \"2001:2::/64\", \"ports\": [80], \"defaults\": {\"wscale\": 0,"
		  " \"sack\": false}, \"ratelimit\": {\"rate\": 3}}]");
	s = &p->services[0];
	assert_int_equal(s->id, 0);
	assert_int_equal(s->mode, CFG_MODE_COOKIE);
	assert_int_equal(s->mss, 1200);
	assert_int_equal(s->wscale, 7);
	assert_true(s->sack);
	assert_false(s->timestamps);
	assert_int_equal(s->ratelimit_rate, 1000);
	assert_int_equal(s->ratelimit_burst, 5);
	assert_int_equal(s->max_flows_per_prefix, 100);
	assert_int_equal(s->max_half_open_per_prefix, 10);
	assert_int_equal(s->prefix.family, CFG_AF_INET);
	assert_int_equal(s->prefix.len, 24);
	s = &p->services[1];
	assert_int_equal(s->mode, CFG_MODE_AUTO);
	assert_int_equal(s->mss, 1460);
	assert_int_equal(s->wscale, 0);
	assert_false(s->sack);
	assert_true(s->timestamps);
	assert_int_equal(s->ratelimit_rate, 3);
	assert_int_equal(s->ratelimit_burst, 2000);
	assert_int_equal(s->max_flows_per_prefix, 0);
	assert_int_equal(s->prefix.family, CFG_AF_INET6);
	assert_int_equal(svc(p, "2001:2::5", 80), 1);
	/* caps of its own: a counting domain of its own; none: the global one */
	assert_int_not_equal(p->services[0].limits_dom, 0);
	assert_int_equal(p->services[1].limits_dom, 0);
	assert_true(p->has_svc_limits);
	assert_int_equal(p->all.limits_dom, 0);
	/* the policy does not refer to the config it came from */
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(svc(p, "198.18.1.1", 80), 0);
	assert_int_equal(p->services[0].mss, 1200);
	policy_free(p);
}

/* Counting domains (fwd/synproxy_limits.c): distinct and non-zero for every
 * service with caps, the same for a service wherever it sits in the list
 * and whatever its caps, another for other ports; none for limits of 0. */
static void
test_limits_domains(void **state)
{
	struct policy *p;
	static char json[65536];
	size_t n = 0;
	uint16_t d80, d80b;

	(void)state;
	n += (size_t)snprintf(json + n, sizeof(json) - n, "\"services\": [");
	for (unsigned i = 0; i < 200; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
				      "%s{\"prefix\": \"198.18.%u.%u\", \"ports\": [80],"
				      " \"limits\": {\"max_flows_per_prefix\": %u}}",
				      i ? "," : "", i / 100, i % 100, 1 + i);
	snprintf(json + n, sizeof(json) - n, "]");
	p = build(json);
	assert_true(p->has_svc_limits);
	for (unsigned i = 0; i < 200; i++) {
		assert_int_not_equal(p->services[i].limits_dom, 0);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(p->services[i].limits_dom, p->services[j].limits_dom);
	}
	policy_free(p);

	p = build("\"services\": [{\"prefix\": \"198.18.1.0/24\", \"ports\": [80],"
		  " \"limits\": {\"max_flows_per_prefix\": 2}},"
		  "{\"prefix\": \"198.18.1.0/24\", \"ports\": [81],"
		  " \"limits\": {\"max_half_open_per_prefix\": 2}},"
		  "{\"prefix\": \"198.18.2.0/24\", \"ports\": [80],"
		  " \"limits\": {\"max_flows_per_prefix\": 0}}]");
	d80 = p->services[0].limits_dom;
	assert_int_not_equal(p->services[1].limits_dom, 0);
	assert_int_not_equal(p->services[1].limits_dom, d80);
	assert_int_equal(p->services[2].limits_dom, 0);   /* 0 = the global cap */
	policy_free(p);
	p = build("\"services\": [{\"prefix\": \"198.18.9.0/24\", \"ports\": [22]},"
		  "{\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"mode\": \"cookie\","
		  " \"limits\": {\"max_flows_per_prefix\": 7, \"max_half_open_per_prefix\": 1}}]");
	d80b = p->services[1].limits_dom;
	assert_int_equal(d80b, d80);
	assert_int_equal(p->services[0].limits_dom, 0);
	policy_free(p);
	p = build("\"services\": [{\"prefix\": \"198.18.1.0/24\", \"ports\": [80]}]");
	assert_false(p->has_svc_limits);
	policy_free(p);
}

static void
test_source_lists(void **state)
{
	struct policy *p;

	(void)state;
	p = build("\"deny\": [\"198.18.0.0/16\", \"2001:2::/48\", \"198.19.0.7\"],"
		  " \"allow\": [\"198.18.7.0/24\", \"2001:2:0:1::/64\", \"198.18.8.8/32\"]");
	assert_true(p->all_protected);
	assert_true(p->has_sources);
	assert_int_equal(src(p, "198.18.0.1"), POLICY_SRC_DENY);
	assert_int_equal(src(p, "198.18.7.1"), POLICY_SRC_ALLOW);
	assert_int_equal(src(p, "198.18.8.8"), POLICY_SRC_ALLOW);
	assert_int_equal(src(p, "198.18.8.9"), POLICY_SRC_DENY);
	assert_int_equal(src(p, "198.19.0.7"), POLICY_SRC_DENY);
	assert_int_equal(src(p, "198.19.0.8"), POLICY_SRC_NONE);
	assert_int_equal(src(p, "2001:2:0:1::99"), POLICY_SRC_ALLOW);
	assert_int_equal(src(p, "2001:2:0:2::99"), POLICY_SRC_DENY);
	assert_int_equal(src(p, "2001:3::1"), POLICY_SRC_NONE);
	/* an unknown family matches nothing */
	{
		uint8_t b[16] = { 198, 18, 0, 1 }, fam = 0, out = 0xee;
		const void *bp = b;

		assert_int_equal(policy_source(p, 0, b), POLICY_SRC_NONE);
		policy_source_bulk(p, &fam, &bp, &out, 1);
		assert_int_equal(out, POLICY_SRC_NONE);
	}
	policy_free(p);

	/* IPv6 only: no IPv4 table, IPv4 sources are in no list */
	p = build("\"allow\": [\"2001:2::/64\"], \"deny\": []");
	assert_null(p->src4);
	assert_non_null(p->src6);
	assert_int_equal(src(p, "198.18.0.1"), POLICY_SRC_NONE);
	assert_int_equal(src(p, "2001:2::1"), POLICY_SRC_ALLOW);
	policy_free(p);

	/* empty lists cost nothing */
	p = build("\"allow\": [], \"deny\": []");
	assert_false(p->has_sources);
	assert_null(p->src4);
	assert_null(p->src6);
	policy_free(p);
}

static void
test_build_refuses_bad_struct(void **state)
{
	struct synproxy_config *c = malloc(sizeof(*c));

	(void)state;
	assert_non_null(c);
	config_defaults(c);
	c->synproxy.nb_services = CFG_MAX_SERVICES + 1;
	assert_null(policy_build(c, SOCKET_ID_ANY, err, sizeof(err)));
	assert_non_null(strstr(err, "too many"));
	config_defaults(c);
	c->synproxy.nb_services = 1;        /* a service without ports */
	assert_null(policy_build(c, SOCKET_ID_ANY, err, sizeof(err)));
	assert_non_null(strstr(err, "port"));
	assert_null(policy_build(NULL, SOCKET_ID_ANY, err, sizeof(err)));
	free(c);
	policy_free(NULL);
}

/* Build and free repeatedly: the heap comes back to where it was. */
static void
test_build_free_returns_memory(void **state)
{
	struct rte_malloc_socket_stats before, after;
	int sock = 0;

	(void)state;
	rte_malloc_get_socket_stats(sock, &before);
	for (int i = 0; i < 5; i++) {
		struct policy *p = build("\"services\": [{\"prefix\": \"198.18.1.0/24\", \"ports\": [80]},"
					 "{\"prefix\": \"2001:2::/64\", \"ports\": [80]}],"
					 " \"allow\": [\"198.18.2.0/24\", \"2001:2:0:1::/64\"]");

		assert_non_null(p->svc4);
		assert_non_null(p->svc6);
		assert_non_null(p->src4);
		assert_non_null(p->src6);
		if (i == 0) {
			struct rte_malloc_socket_stats mid;

			rte_malloc_get_socket_stats(sock, &mid);
			print_message("four tables: %.1f MiB\n",
				      (double)(mid.heap_allocsz_bytes - before.heap_allocsz_bytes) / 1048576);
		}
		policy_free(p);
	}
	rte_malloc_get_socket_stats(sock, &after);
	assert_int_equal(before.heap_allocsz_bytes, after.heap_allocsz_bytes);
}

/* ---- random policies against a reference ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* A random address of family inside 198.18.0.0/15 or 2001:2::/48, often near base. */
static struct addr
rnd_addr(uint8_t family, const struct cfg_prefix *near)
{
	struct addr a = { .family = family };
	unsigned int nb = family == CFG_AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < nb; i++)
		a.b[i] = (uint8_t)rnd();
	if (near != NULL && rnd() % 4 != 0) {
		/* copy a random-length head of a configured prefix */
		unsigned int keep = rnd() % (near->len + 9);

		for (unsigned int bit = 0; bit < keep && bit < nb * 8; bit++) {
			uint8_t m = (uint8_t)(0x80 >> (bit % 8));

			a.b[bit / 8] = (uint8_t)((a.b[bit / 8] & ~m) | (near->addr[bit / 8] & m));
		}
	}
	if (family == CFG_AF_INET) {
		a.b[0] = 198;
		a.b[1] = (uint8_t)(18 | (a.b[1] & 1));
	} else {
		a.b[0] = 0x20; a.b[1] = 0x01; a.b[2] = 0x00; a.b[3] = 0x02;
		a.b[4] = 0x00; a.b[5] = 0x00;
	}
	return a;
}

static struct cfg_prefix
rnd_prefix(void)
{
	struct cfg_prefix p = { 0 };
	uint8_t fam = rnd() % 2 ? CFG_AF_INET : CFG_AF_INET6;
	struct addr a = rnd_addr(fam, NULL);
	unsigned int max = fam == CFG_AF_INET ? 32 : 128, min = fam == CFG_AF_INET ? 15 : 48;

	p.family = fam;
	p.len = (uint8_t)(min + rnd() % (max - min + 1));
	memcpy(p.addr, a.b, 16);
	for (unsigned int bit = p.len; bit < max; bit++)
		p.addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	return p;
}

static bool
addr_in(const struct cfg_prefix *p, const struct addr *a)
{
	struct cfg_prefix h = { .family = a->family, .len = a->family == CFG_AF_INET ? 32 : 128 };

	memcpy(h.addr, a->b, 16);
	return config_prefix_contains(p, &h);
}

/* The rule as documented: longest prefix among entries holding addr AND port. */
static int
ref_service(const struct cfg_synproxy *sp, const struct addr *a, uint16_t port)
{
	int best = -1;

	for (unsigned int s = 0; s < sp->nb_services; s++) {
		const struct cfg_service *e = &sp->services[s];
		bool hit = false;

		if (!addr_in(&e->prefix, a))
			continue;
		for (unsigned int j = 0; j < e->nb_ports; j++)
			hit |= e->ports[j].lo <= port && port <= e->ports[j].hi;
		if (hit && (best < 0 || e->prefix.len > sp->services[best].prefix.len))
			best = (int)s;
	}
	return best;
}

static enum policy_src
ref_source(const struct cfg_synproxy *sp, const struct addr *a)
{
	int best_len = -1;
	enum policy_src r = POLICY_SRC_NONE;

	for (unsigned int l = 0; l < 2; l++) {
		const struct cfg_prefix *list = l ? sp->deny : sp->allow;
		unsigned int n = l ? sp->nb_deny : sp->nb_allow;

		for (unsigned int i = 0; i < n; i++)
			if (addr_in(&list[i], a) && list[i].len > best_len) {
				best_len = list[i].len;
				r = l ? POLICY_SRC_DENY : POLICY_SRC_ALLOW;
			}
	}
	return r;
}

static void
random_config(struct synproxy_config *c)
{
	struct cfg_synproxy *sp = &c->synproxy;
	unsigned int want = 1 + rnd() % 40;

	config_defaults(c);
	while (sp->nb_services < want) {
		struct cfg_service *e = &sp->services[sp->nb_services];
		unsigned int n = 1 + rnd() % 6;
		bool clash = false;

		memset(e, 0, sizeof(*e));
		/* reuse an earlier prefix now and then: same-prefix entries, disjoint ports */
		e->prefix = sp->nb_services > 0 && rnd() % 3 == 0 ?
			    sp->services[rnd() % sp->nb_services].prefix : rnd_prefix();
		for (unsigned int j = 0; j < n; j++) {
			uint16_t lo = (uint16_t)(1 + rnd() % 2000), span = rnd() % 3 ? 0 : rnd() % 300;
			struct cfg_port_range r = { lo, (uint16_t)(lo + span) };
			bool ok = true;

			for (unsigned int k = 0; k < e->nb_ports; k++)
				ok &= r.hi < e->ports[k].lo || e->ports[k].hi < r.lo;
			if (ok)
				e->ports[e->nb_ports++] = r;
		}
		/* keep ports sorted as the config loader does */
		for (unsigned int x = 1; x < e->nb_ports; x++)
			for (unsigned int y = x; y > 0 && e->ports[y - 1].lo > e->ports[y].lo; y--) {
				struct cfg_port_range t = e->ports[y];

				e->ports[y] = e->ports[y - 1];
				e->ports[y - 1] = t;
			}
		for (unsigned int s = 0; s < sp->nb_services && !clash; s++) {
			const struct cfg_service *o = &sp->services[s];

			if (o->prefix.family != e->prefix.family || o->prefix.len != e->prefix.len ||
			    memcmp(o->prefix.addr, e->prefix.addr, 16) != 0)
				continue;
			for (unsigned int x = 0; x < o->nb_ports; x++)
				for (unsigned int y = 0; y < e->nb_ports; y++)
					clash |= o->ports[x].lo <= e->ports[y].hi &&
						 e->ports[y].lo <= o->ports[x].hi;
		}
		if (!clash)
			sp->nb_services++;
	}
	for (unsigned int i = 0, n = rnd() % 30; i < n; i++) {
		struct cfg_prefix p = rnd_prefix();
		bool deny = rnd() % 2, dup = false;

		for (unsigned int j = 0; j < sp->nb_allow; j++)
			dup |= memcmp(&sp->allow[j], &p, sizeof(p)) == 0;
		for (unsigned int j = 0; j < sp->nb_deny; j++)
			dup |= memcmp(&sp->deny[j], &p, sizeof(p)) == 0;
		if (dup)
			continue;
		if (deny)
			sp->deny[sp->nb_deny++] = p;
		else
			sp->allow[sp->nb_allow++] = p;
	}
}

#define BURST 37        /* not a multiple of anything the code chunks by */

static void
test_random_against_reference(void **state)
{
	struct synproxy_config *c = malloc(sizeof(*c));
	unsigned int checked = 0, hits = 0, src_hits = 0;

	(void)state;
	assert_non_null(c);
	for (int round = 0; round < 30; round++) {
		struct policy *p;

		random_config(c);
		p = policy_build(c, SOCKET_ID_ANY, err, sizeof(err));
		if (p == NULL)
			fail_msg("policy_build: %s", err);
		for (int b = 0; b < 200; b++) {
			struct addr a[BURST];
			const void *ap[BURST];
			uint8_t fam[BURST], sb[BURST];
			uint16_t port[BURST];
			const struct policy_service *out[BURST];

			for (unsigned int i = 0; i < BURST; i++) {
				const struct cfg_service *e = &c->synproxy.services[rnd() %
								c->synproxy.nb_services];
				const struct cfg_port_range *r = &e->ports[rnd() % e->nb_ports];

				a[i] = rnd_addr(rnd() % 8 ? e->prefix.family :
						(rnd() % 2 ? CFG_AF_INET : CFG_AF_INET6), &e->prefix);
				if (rnd() % 16 == 0)
					a[i].family = 0;        /* not IP at all */
				port[i] = htons((uint16_t)(rnd() % 4 ? r->lo + rnd() % (r->hi - r->lo + 1u) :
							   rnd()));
				fam[i] = a[i].family;
				ap[i] = a[i].b;
			}
			policy_service_bulk(p, fam, ap, port, out, BURST);
			policy_source_bulk(p, fam, ap, sb, BURST);
			for (unsigned int i = 0; i < BURST; i++) {
				const struct policy_service *s = policy_service(p, fam[i], ap[i], port[i]);
				int want = fam[i] ? ref_service(&c->synproxy, &a[i], ntohs(port[i])) : -1;
				enum policy_src ws = fam[i] ? ref_source(&c->synproxy, &a[i]) :
							     POLICY_SRC_NONE;

				assert_ptr_equal(s, out[i]);
				if ((s == NULL ? -1 : s->id) != want)
					fail_msg("round %d: service %d, reference %d", round,
						 s == NULL ? -1 : s->id, want);
				assert_int_equal(policy_source(p, fam[i], ap[i]), sb[i]);
				assert_int_equal(sb[i], ws);
				hits += want >= 0;
				src_hits += ws != POLICY_SRC_NONE;
				checked++;
			}
		}
		policy_free(p);
	}
	/* the generator must exercise both outcomes, or the test proves little */
	assert_true(hits > checked / 10 && hits < checked - checked / 10);
	assert_true(src_hits > 0);
	print_message("random: %u lookups, %u protected, %u in a source list\n", checked, hits,
		      src_hits);
	free(c);
}

/*
 * The largest config: 256 services of 32 ranges each, on prefixes nested as
 * deep as the families allow, so every group's chain holds nearly every
 * service. It must build quickly (the sweep is O(R log R) per group) and
 * still agree with the reference.
 */
static void
test_worst_case_nesting(void **state)
{
	struct synproxy_config *c = malloc(sizeof(*c));
	struct cfg_synproxy *sp;
	struct policy *p;
	uint64_t t0;
	double ms;

	(void)state;
	assert_non_null(c);
	config_defaults(c);
	sp = &c->synproxy;
	for (unsigned int s = 0; s < CFG_MAX_SERVICES; s++) {
		struct cfg_service *e = &sp->services[s];
		struct addr base = s % 2 ? A("2001:2:0:ffff:ffff:ffff:ffff:ffff") : A("198.19.255.255");
		unsigned int len = s % 2 ? 48 + (s / 2) % 81 : 15 + (s / 2) % 18;
		unsigned int round = s / (s % 2 ? 162 : 36);   /* which pass over the lengths */

		memset(e, 0, sizeof(*e));
		e->prefix.family = base.family;
		e->prefix.len = (uint8_t)len;
		memcpy(e->prefix.addr, base.b, 16);
		for (unsigned int bit = len; bit < 128; bit++)
			e->prefix.addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
		/* entries sharing a prefix interleave their ranges, never overlapping */
		for (unsigned int j = 0; j < CFG_MAX_SVC_PORTS; j++) {
			uint16_t lo = (uint16_t)(1 + j * 2000 + round * 140 + (s % 7) * 10);

			e->ports[j] = (struct cfg_port_range){ lo, (uint16_t)(lo + 50 + s % 20) };
		}
		e->nb_ports = CFG_MAX_SVC_PORTS;
	}
	sp->nb_services = CFG_MAX_SERVICES;
	/* valid as the loader would demand: same prefix, disjoint ports */
	for (unsigned int x = 0; x < CFG_MAX_SERVICES; x++)
		for (unsigned int y = x + 1; y < CFG_MAX_SERVICES; y++) {
			const struct cfg_service *u = &sp->services[x], *v = &sp->services[y];

			if (memcmp(&u->prefix, &v->prefix, sizeof(u->prefix)) != 0)
				continue;
			for (unsigned int i = 0; i < u->nb_ports; i++)
				for (unsigned int j = 0; j < v->nb_ports; j++)
					assert_true(u->ports[i].hi < v->ports[j].lo ||
						    v->ports[j].hi < u->ports[i].lo);
		}
	t0 = rte_get_tsc_cycles();
	p = policy_build(c, SOCKET_ID_ANY, err, sizeof(err));
	ms = (double)(rte_get_tsc_cycles() - t0) * 1000.0 / (double)rte_get_tsc_hz();
	if (p == NULL)
		fail_msg("policy_build: %s", err);
	print_message("worst case: %u groups, %u ranges, built in %.1f ms\n", p->nb_groups,
		      p->nb_ranges, ms);
	assert_true(ms < 5000);
	for (int i = 0; i < 20000; i++) {
		const struct cfg_service *e = &sp->services[rnd() % sp->nb_services];
		struct addr a = rnd_addr(e->prefix.family, &e->prefix);
		uint16_t port = (uint16_t)(rnd() % 65536);
		const struct policy_service *got = policy_service(p, a.family, a.b, htons(port));

		assert_int_equal(got == NULL ? -1 : got->id, ref_service(sp, &a, port));
	}
	policy_free(p);
	free(c);
}

/* ---- main ---- */

static int
eal_setup(void **state)
{
	/* as in the flow table tests: --no-shconf, not --in-memory, with --no-huge */
	char *argv[] = { "test", "--no-huge", "-m", "512", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	return rte_eal_init(RTE_DIM(argv), argv) < 0 ? -1 : 0;
}

static int
eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_services_protects_everything),
		cmocka_unit_test(test_nesting_falls_back_to_shorter_prefix),
		cmocka_unit_test(test_port_edges_and_same_prefix_services),
		cmocka_unit_test(test_default_route_and_long_prefixes),
		cmocka_unit_test(test_overrides_resolved),
		cmocka_unit_test(test_limits_domains),
		cmocka_unit_test(test_source_lists),
		cmocka_unit_test(test_build_refuses_bad_struct),
		cmocka_unit_test(test_build_free_returns_memory),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_worst_case_nesting),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
