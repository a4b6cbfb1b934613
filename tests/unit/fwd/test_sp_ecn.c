/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_sp_ecn.c - ECN through the SYN proxy (fwd/ecn.h): the handshake
 * matrix (client asks or not, server known to do ECN, known not to, or
 * unknown, and what it answers this time), the learned "no" and its
 * re-probe, the clients a cookie has no room for, and what the segments of
 * an established connection look like when both ends agreed and when the
 * proxy scrubs. Every frame the proxy sends is parsed again with both
 * checksums recomputed from scratch (view_parse).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "parse.h"
#include "syncookie/cookie.h"
#include "../common/pktbuild.h"
#include "sp_harness.h"

#define NOT_ECT 0
#define ECT1    1
#define ECT0    2
#define CE      3

enum known { K_UNKNOWN, K_YES, K_NO };

/* The IP ECN field of a frame the proxy sent. */
static uint8_t
view_ecn(const struct view *v)
{
	if (v->ip4 != NULL)
		return v->ip4->type_of_service & 3;
	return (rte_be_to_cpu_32(v->ip6->vtc_flow) >> 20) & 3;
}

/* Set the IP ECN field of a frame built by seg_mbuf (IPv4 checksum redone;
 * neither field is in the TCP checksum). DSCP bits are set too, to see they
 * are kept. */
static void
mark_ip(const struct conn *c, struct rte_mbuf *m, uint8_t ecn)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 4 * c->nb_vlan);

	if (c->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		ip->type_of_service = 0x28 << 2 | ecn;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;
		uint32_t v = rte_be_to_cpu_32(ip->vtc_flow) & 0xf00fffffu;
		ip->vtc_flow = rte_cpu_to_be_32(v | (uint32_t)(0x28 << 2 | ecn) << 20);
	}
}

/* A segment of an established c with an IP ECN field and extra TCP flags;
 * returns the frame that came out, parsed (NULL if the proxy sent none). */
static bool
seg_ecn(struct conn *c, bool from_client, uint8_t ecn, uint8_t tcp_ecn, uint16_t plen,
	struct view *out)
{
	struct optspec o = from_client ? ts_opt(c->cli_tsval + 1, c->proxy_tsval)
				       : ts_opt(c->srv_tsval + 1, c->cli_tsval + 1);
	bool ts = conn_ts(c);
	struct rte_mbuf *m = from_client
		? seg_mbuf(c, true, ACK | tcp_ecn, c->client_isn + 1, c->proxy_isn + 1, c->cli_ackwin,
			   ts ? &o : NULL, plen)
		: seg_mbuf(c, false, ACK | tcp_ecn, c->server_isn + 1, c->client_isn + 1, 100,
			   ts ? &o : NULL, plen);
	mark_ip(c, m, ecn);
	rx1(from_client ? ROLE_WAN : ROLE_LAN, m);
	enum port_role r = from_client ? ROLE_LAN : ROLE_WAN;
	if (world.tx.q[r].n == 0) {
		expect_tx(0, 0);
		return false;
	}
	expect_tx(r == ROLE_LAN, r == ROLE_WAN);
	view_take(r, out);
	assert_dir(out, c, from_client);
	assert_payload(out, plen);
	/* the DSCP bits are the sender's, always kept */
	uint8_t tc = out->ip4 ? out->ip4->type_of_service
			      : (uint8_t)(rte_be_to_cpu_32(out->ip6->vtc_flow) >> 20);
	assert_int_equal(tc >> 2, 0x28);
	return true;
}

/* What a segment with every ECN mark looks like on the other side. */
static void
check_marks(struct conn *c, bool scrubbed)
{
	struct view v;

	for (int dir = 0; dir < 2; dir++) {
		bool from_client = dir == 0;
		uint64_t cleared = st()->ecn_cleared;
		assert_true(seg_ecn(c, from_client, ECT0, ECE_CWR, 100, &v));
		assert_int_equal(view_ecn(&v), scrubbed ? NOT_ECT : ECT0);
		assert_int_equal(v.flags & ECE_CWR, scrubbed ? 0 : ECE_CWR);
		view_free(&v);
		assert_true(seg_ecn(c, from_client, ECT1, 0, 10, &v));
		assert_int_equal(view_ecn(&v), scrubbed ? NOT_ECT : ECT1);
		view_free(&v);
		/* a pure ACK with CE (no data, nothing to signal): cleared */
		assert_true(seg_ecn(c, from_client, CE, RTE_TCP_ECE_FLAG, 0, &v));
		assert_int_equal(view_ecn(&v), scrubbed ? NOT_ECT : CE);
		assert_int_equal(v.flags & ECE_CWR, scrubbed ? 0 : RTE_TCP_ECE_FLAG);
		view_free(&v);
		/* nothing to clear: untouched either way */
		assert_true(seg_ecn(c, from_client, NOT_ECT, 0, 10, &v));
		assert_int_equal(view_ecn(&v), NOT_ECT);
		view_free(&v);
		assert_int_equal(st()->ecn_cleared - cleared, scrubbed ? 3 : 0);
		/* CE on data: a drop where the proxy scrubs, else it passes */
		uint64_t drops = st()->ecn_ce_drop;
		bool out = seg_ecn(c, from_client, CE, 0, 50, &v);
		assert_int_equal(out, !scrubbed);
		assert_int_equal(st()->ecn_ce_drop - drops, scrubbed);
		if (out) {
			assert_int_equal(view_ecn(&v), CE);
			view_free(&v);
		}
	}
}

/* A complete handshake of c; the ACK and window update carry no ECN flags. */
static void
handshake(struct conn *c)
{
	struct view sa, syn, a, u;

	do_syn(c, &sa);
	check_synack_common(c, &sa);
	view_free(&sa);
	do_ack3(c, &syn);
	assert_int_equal(view_ecn(&syn), NOT_ECT);
	view_free(&syn);
	do_server_synack(c, &a, &u);
	assert_int_equal(a.flags, ACK);
	assert_int_equal(u.flags, ACK);
	view_free(&a);
	view_free(&u);
}

/* Teach the proxy that c's server does ECN (K_YES) or not (K_NO). */
static void
prime(int family, enum known k, uint32_t id)
{
	struct conn p;

	if (k == K_UNKNOWN)
		return;
	conn_init(&p, family, id);
	p.srv_ecn = k == K_YES;
	handshake(&p);
	assert_true(p.syn_ecn);   /* an unknown server is always asked */
}

/* ================================================================ the matrix */

static void
matrix_case(int family, enum cfg_synproxy_mode mode)
{
	for (int ask = 0; ask < 2; ask++)
	for (int k = K_UNKNOWN; k <= K_NO; k++)
	for (int answer = 0; answer < 2; answer++) {
		struct conn c;

		world_start(mode, NULL);
		prime(family, (enum known)k, 100);
		uint64_t on = st()->ecn_on, scrubbed = st()->ecn_scrubbed;
		conn_init(&c, family, 1);
		c.cli_ecn = ask;
		c.srv_ecn = answer;
		handshake(&c);

		bool told = ask && k == K_YES;
		bool asked = told || k == K_UNKNOWN;
		bool agreed = asked && answer;
		if (c.proxy_ecn != told || c.syn_ecn != asked)
			fail_msg("client %s, server %s, answers %s: SYN-ACK ECE %d (want %d), "
				 "SYN to the server ECE|CWR %d (want %d)",
				 ask ? "asks" : "does not ask",
				 k == K_YES ? "known yes" : k == K_NO ? "known no" : "unknown",
				 answer ? "yes" : "no", c.proxy_ecn, told, c.syn_ecn, asked);
		assert_int_equal(st()->ecn_on - on, told && agreed);
		assert_int_equal(st()->ecn_scrubbed - scrubbed, told != agreed);
		check_marks(&c, told != agreed);
		world_end();
		world_teardown(NULL);   /* the next world_start makes a new pool */
	}
}

static void test_matrix_v4_cache(void **s) { (void)s; matrix_case(4, CFG_MODE_CACHE); }
static void test_matrix_v4_cookie(void **s) { (void)s; matrix_case(4, CFG_MODE_COOKIE); }
static void test_matrix_v6_cache(void **s) { (void)s; matrix_case(6, CFG_MODE_CACHE); }
static void test_matrix_v6_cookie(void **s) { (void)s; matrix_case(6, CFG_MODE_COOKIE); }

/* ================================================================ room to remember */

/* Without timestamps only the SYN cache can remember a yes: with it the
 * client gets ECN, with a plain cookie it asks in vain. */
static void
no_ts_case(enum cfg_synproxy_mode mode)
{
	struct conn c;

	world_start(mode, NULL);
	prime(4, K_YES, 100);          /* its client did not ask: scrubbed */
	uint64_t on = st()->ecn_on, scrubbed = st()->ecn_scrubbed;
	conn_init(&c, 4, 1);
	c.cli_ecn = true;
	c.cli_ts = false;
	c.srv_ecn = true;
	handshake(&c);
	bool room = mode == CFG_MODE_CACHE;
	assert_int_equal(c.proxy_ecn, room);
	assert_int_equal(c.syn_ecn, room);   /* known yes: asked only for a client told yes */
	assert_int_equal(st()->ecn_on - on, room);
	assert_int_equal(st()->ecn_scrubbed - scrubbed, 0);
	check_marks(&c, false);
	world_end();
}

static void test_no_ts_cache(void **s) { (void)s; no_ts_case(CFG_MODE_CACHE); }
static void test_no_ts_cookie(void **s) { (void)s; no_ts_case(CFG_MODE_COOKIE); }

/* The ECN bit of the timestamp cookie says what the SYN-ACK said. */
static void
test_ts_cookie_bit(void **state)
{
	struct conn c;
	struct view sa;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	prime(4, K_YES, 100);
	for (int ask = 0; ask < 2; ask++) {
		conn_init(&c, 4, 1 + ask);
		c.cli_ecn = ask;
		do_syn(&c, &sa);
		struct cookie_opts co;
		memset(&co, 0, sizeof(co));
		cookie_ts_decode(sa.o.tsval, &co);
		assert_int_equal(co.ecn, ask);
		assert_int_equal(c.proxy_ecn, ask);
		view_free(&sa);
	}
	world_end();
}

/* ================================================================ learning */

/* A server's ECE|CWR SYN-ACK (a reflector) is a no. */
static void
test_reflector_is_no(void **state)
{
	struct conn c;
	struct view sa, syn, a, u;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 4, 1);
	c.cli_ecn = true;
	syn_ok(&c);
	do_ack3(&c, &syn);
	assert_true(c.syn_ecn);
	view_free(&syn);
	struct optspec o = ts_opt(c.srv_tsval, c.syn_o.tsval);
	o.mss = 1460;
	seg_in(&c, false, SYN_ACK | ECE_CWR, c.server_isn, c.client_isn + 1, c.srv_win, &o, 0);
	expect_tx(1, 1);
	view_take(ROLE_LAN, &a);
	view_take(ROLE_WAN, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(st()->ecn_on, 0);
	assert_int_equal(st()->ecn_scrubbed, 0);
	/* learned as a no: the next client that asks is told no */
	conn_init(&c, 4, 2);
	c.cli_ecn = true;
	do_syn(&c, &sa);
	assert_false(c.proxy_ecn);
	view_free(&sa);
	world_end();
}

/*
 * A learned "no" is asked again once LEARN_REPROBE_MS (10 s) have passed,
 * whatever the client asked; connections that did not ask about ECN keep
 * the "no" at its age (they cannot renew it). A learned "yes" stands while
 * the other options are re-probed.
 */
static void
test_reprobe(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	prime(4, K_NO, 100);
	/* 6 s later: a client that asks is told no, the server is not asked */
	world.now_ms += 6000;
	conn_init(&c, 4, 1);
	c.cli_ecn = true;
	c.srv_ecn = true;   /* the server turned ECN on meanwhile */
	handshake(&c);
	assert_false(c.proxy_ecn);
	assert_false(c.syn_ecn);
	assert_int_equal(st()->ecn_scrubbed, 0);
	/* 11 s after the learning (5 s after that connection): due. This
	 * client does not ask, but the server is asked: it says yes, the
	 * connection is scrubbed (the client was told no). */
	world.now_ms += 5000;
	conn_init(&c, 4, 2);
	c.srv_ecn = true;
	handshake(&c);
	assert_false(c.proxy_ecn);
	assert_true(c.syn_ecn);
	assert_int_equal(st()->ecn_scrubbed, 1);
	check_marks(&c, true);
	/* learned: the next client that asks is told yes */
	conn_init(&c, 4, 3);
	c.cli_ecn = true;
	c.srv_ecn = true;
	handshake(&c);
	assert_true(c.proxy_ecn);
	assert_true(c.syn_ecn);
	assert_int_equal(st()->ecn_on, 1);
	world_end();
}

static void
test_yes_stands_while_reprobing(void **state)
{
	struct conn c;

	(void)state;
	world_start(CFG_MODE_CACHE, NULL);
	conn_init(&c, 4, 100);
	c.srv_ecn = true;
	c.srv_sack = false;
	handshake(&c);                 /* learns: ECN, no SACK (this one scrubbed) */
	assert_int_equal(st()->ecn_scrubbed, 1);
	world.now_ms += 11000;         /* the "no SACK" is due: defaults offered */
	conn_init(&c, 4, 1);
	c.cli_ecn = true;
	c.srv_ecn = true;
	struct view sa;
	do_syn(&c, &sa);
	assert_true(sa.o.sack_perm);   /* the defaults: SACK is asked again */
	assert_true(c.proxy_ecn);      /* and the learned ECN still holds */
	view_free(&sa);
	struct view syn, a, u;
	do_ack3(&c, &syn);
	assert_true(c.syn_ecn);
	view_free(&syn);
	do_server_synack(&c, &a, &u);
	view_free(&a);
	view_free(&u);
	assert_int_equal(st()->ecn_on, 1);
	assert_int_equal(st()->ecn_scrubbed, 1);
	check_marks(&c, false);
	world_end();
}

/* ================================================================ main */

#define T(f) cmocka_unit_test_teardown(f, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_matrix_v4_cache),
		T(test_matrix_v4_cookie),
		T(test_matrix_v6_cache),
		T(test_matrix_v6_cookie),
		T(test_no_ts_cache),
		T(test_no_ts_cookie),
		T(test_ts_cookie_bit),
		T(test_reflector_is_no),
		T(test_reprobe),
		T(test_yes_stands_while_reprobing),
	};

	return cmocka_run_group_tests_name("synproxy_ecn", tests, world_eal_setup, world_eal_teardown);
}
