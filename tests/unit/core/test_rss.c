/* SPDX-License-Identifier: BSD-3-Clause */
/* test_rss.c - symmetric placement: the RSS key, the RETA and the software hash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_thash.h>

#include "flow/keyed_hash.h"
#include "rss.h"
#include "worker.h"
#include "../common/pktbuild.h"

static void
rand_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rand();
}

/* The hardware key: Toeplitz with it must be symmetric (checked with DPDK's
 * software Toeplitz, the same function the NIC computes). */
static void
test_key_symmetric_toeplitz(void **state)
{
	(void)state;
	uint8_t key[52];
	rss_symmetric_key(key, sizeof(key));
	for (size_t i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], (i & 1) ? 0x5a : 0x6d);
	srand(1);
	for (int it = 0; it < 10000; it++) {
		union rte_thash_tuple a, b;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.v4.src_addr = rand(); a.v4.dst_addr = rand();
		a.v4.sport = rand(); a.v4.dport = rand();
		b.v4.src_addr = a.v4.dst_addr; b.v4.dst_addr = a.v4.src_addr;
		b.v4.sport = a.v4.dport; b.v4.dport = a.v4.sport;
		assert_int_equal(rte_softrss((uint32_t *)&a, RTE_THASH_V4_L4_LEN, key),
				 rte_softrss((uint32_t *)&b, RTE_THASH_V4_L4_LEN, key));
		rand_bytes(a.v6.src_addr, 16); rand_bytes(a.v6.dst_addr, 16);
		memcpy(b.v6.src_addr, a.v6.dst_addr, 16);
		memcpy(b.v6.dst_addr, a.v6.src_addr, 16);
		a.v6.sport = rand(); a.v6.dport = rand();
		b.v6.sport = a.v6.dport; b.v6.dport = a.v6.sport;
		assert_int_equal(rte_softrss((uint32_t *)&a, RTE_THASH_V6_L4_LEN, key),
				 rte_softrss((uint32_t *)&b, RTE_THASH_V6_L4_LEN, key));
	}
	/* and a non-symmetric key is not: the check above can fail */
	key[0] = 0x12;
	int differ = 0;
	for (int it = 0; it < 100; it++) {
		uint32_t a[3] = { rand(), rand(), rand() };
		uint32_t b[3] = { a[1], a[0], (a[2] << 16) | (a[2] >> 16) };
		differ += rte_softrss(a, 3, key) != rte_softrss(b, 3, key);
	}
	assert_true(differ > 50);
}

static void
test_reta(void **state)
{
	(void)state;
	struct rte_eth_rss_reta_entry64 reta[8];
	for (uint16_t q = 1; q <= 16; q++) {
		memset(reta, 0, sizeof(reta));
		rss_build_reta(reta, 512, q);
		unsigned hits[16] = { 0 };
		for (int i = 0; i < 512; i++) {
			assert_true(reta[i / 64].mask & (1ULL << (i % 64)));
			assert_int_equal(reta[i / 64].reta[i % 64], i % q);
			hits[reta[i / 64].reta[i % 64]]++;
		}
		for (uint16_t k = 0; k < q; k++)
			assert_true(hits[k] >= 512 / q);
	}
	/* 128-entry RETA (ixgbe) */
	memset(reta, 0, sizeof(reta));
	rss_build_reta(reta, 128, 3);
	assert_int_equal(reta[0].mask, UINT64_MAX);
	assert_int_equal(reta[1].mask, UINT64_MAX);
	assert_int_equal(reta[2].mask, 0);
}

static void
test_rss_types(void **state)
{
	(void)state;
	assert_int_equal(rss_wanted_types(0), 0);
	uint64_t t = rss_wanted_types(UINT64_MAX);
	assert_true(t & RTE_ETH_RSS_NONFRAG_IPV4_TCP);
	assert_true(t & RTE_ETH_RSS_NONFRAG_IPV6_UDP);
	assert_false(t & RTE_ETH_RSS_L2_PAYLOAD);
	struct rte_eth_dev_info info;
	memset(&info, 0, sizeof(info));
	assert_true(rss_port_capable(&info, 1));   /* one queue needs nothing */
	assert_false(rss_port_capable(&info, 2));  /* af_packet-like: no RSS */
	info.flow_type_rss_offloads = UINT64_MAX;
	info.hash_key_size = 40;
	info.reta_size = 128;
	info.max_rx_queues = 2;
	assert_true(rss_port_capable(&info, 2));
	assert_false(rss_port_capable(&info, 4));  /* too few queues */
	info.max_rx_queues = 64;
	info.flow_type_rss_offloads = RTE_ETH_RSS_IPV4;   /* no L4 hashing */
	assert_false(rss_port_capable(&info, 4));
}

static uint16_t
owner_of(const struct pb_spec *s, const uint8_t *reta)
{
	uint8_t f[256];
	struct rte_mbuf mb;
	memset(&mb, 0, sizeof(mb));
	uint16_t len = pb_build(f, s);
	mb.buf_addr = f;
	mb.data_off = 0;
	mb.data_len = mb.pkt_len = len;
	struct pkt_meta m;
	pkt_parse(&mb, &m);
	assert_false(m.flags & PKT_F_BAD);
	return reta[rss_sw_hash(f, &m) & (RSS_SW_RETA_SIZE - 1)];
}

/* Swapping source and destination lands on the same worker, for every
 * family, protocol and worker count; and flows do spread. */
static void
test_sw_hash_symmetric(void **state)
{
	(void)state;
	keyed_hash_set_seed(3);
	srand(3);
	for (uint16_t nw = 2; nw <= 8; nw += 3) {
		uint8_t reta[RSS_SW_RETA_SIZE];
		worker_build_sw_reta(reta, nw);
		unsigned hits[8] = { 0 };
		for (int it = 0; it < 20000; it++) {
			struct pb_spec a = { .family = (it & 1) ? 6 : 4,
					     .proto = (it & 2) ? IPPROTO_UDP : IPPROTO_TCP,
					     .nb_vlan = it % 3, .flags = RTE_TCP_ACK_FLAG };
			rand_bytes(a.src, 16);
			rand_bytes(a.dst, 16);
			if (it % 10 == 0)
				memcpy(a.dst, a.src, 16);   /* equal addresses: ports decide */
			a.sport = rand();
			a.dport = rand();
			struct pb_spec b = a;
			memcpy(b.src, a.dst, 16);
			memcpy(b.dst, a.src, 16);
			b.sport = a.dport;
			b.dport = a.sport;
			uint16_t oa = owner_of(&a, reta), ob = owner_of(&b, reta);
			assert_int_equal(oa, ob);
			assert_true(oa < nw);
			hits[oa]++;
		}
		for (uint16_t k = 0; k < nw; k++)
			assert_true(hits[k] > 20000 / nw / 2);
	}
}

/* The steering hash is keyed: under another secret about 1 - 1/n of the
 * flows land on another worker, so nobody can compute where a flow goes. */
static void
test_sw_hash_keyed(void **state)
{
	uint8_t reta[RSS_SW_RETA_SIZE];
	unsigned moved = 0;

	(void)state;
	worker_build_sw_reta(reta, 4);
	srand(5);
	for (int it = 0; it < 4000; it++) {
		struct pb_spec a = { .family = (it & 1) ? 6 : 4, .proto = IPPROTO_TCP,
				     .flags = RTE_TCP_ACK_FLAG };
		rand_bytes(a.src, 16);
		rand_bytes(a.dst, 16);
		a.sport = rand();
		a.dport = rand();
		keyed_hash_set_seed(11);
		uint16_t o1 = owner_of(&a, reta);
		keyed_hash_set_seed(12);
		moved += owner_of(&a, reta) != o1;
	}
	/* 3000 expected */
	assert_true(moved > 2700 && moved < 3300);
}

/* An ICMP error quoting a TCP segment goes to the worker of that
 * connection, whichever way the quoted segment went and wherever the error
 * comes from; an echo request with the same bytes goes by its addresses. */
static void
test_sw_hash_icmp_error(void **state)
{
	uint8_t reta[RSS_SW_RETA_SIZE];
	unsigned by_quote = 0, echo_elsewhere = 0;

	(void)state;
	keyed_hash_set_seed(7);
	srand(7);
	worker_build_sw_reta(reta, 4);
	for (int it = 0; it < 2000; it++) {
		int fam = (it & 1) ? 6 : 4;
		struct pb_spec a = { .family = fam, .proto = IPPROTO_TCP, .flags = RTE_TCP_ACK_FLAG,
				     .payload = 40, .v6_ext = fam == 6 ? (uint8_t)(it % 3) : 0,
				     .ipv4_optlen = fam == 4 ? (uint8_t)(it % 3 * 4) : 0 };
		rand_bytes(a.src, 16);
		rand_bytes(a.dst, 16);
		a.sport = rand();
		a.dport = rand();
		uint8_t seg[256], f[512];
		uint16_t seglen = pb_build(seg, &a);
		uint16_t quote = 20 + (uint16_t)(it % 5) * 10;   /* 20.. bytes after the IP header */

		/* the error: from some router to the quoted segment's sender */
		struct pb_spec e = { .family = fam, .proto = fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
				     .nb_vlan = it % 3 };
		rand_bytes(e.src, 16);
		memcpy(e.dst, a.src, 16);
		struct rte_mbuf mb;
		struct pkt_meta ms, me;
		memset(&mb, 0, sizeof(mb));
		mb.buf_addr = seg;
		mb.data_len = mb.pkt_len = seglen;
		pkt_parse(&mb, &ms);
		uint16_t qlen = (uint16_t)(ms.l4_off - ms.l3_off + quote);
		e.payload = 8 + qlen;
		uint16_t len = pb_build(f, &e);
		mb.buf_addr = f;
		mb.data_len = mb.pkt_len = len;
		pkt_parse(&mb, &me);
		assert_int_equal(me.flags & (PKT_F_BAD | PKT_F_L4), PKT_F_L4);
		uint8_t *icmp = f + me.l4_off;
		memset(icmp, 0, 8);
		icmp[0] = fam == 4 ? 3 : 2;
		memcpy(icmp + 8, seg + ms.l3_off, qlen);
		uint16_t seg_owner = reta[rss_sw_hash(seg, &ms) & (RSS_SW_RETA_SIZE - 1)];
		uint16_t err_owner = reta[rss_sw_hash(f, &me) & (RSS_SW_RETA_SIZE - 1)];
		assert_int_equal(err_owner, seg_owner);
		by_quote++;
		/* an echo request is no error: placed by its own addresses */
		icmp[0] = fam == 4 ? 8 : 128;
		echo_elsewhere += reta[rss_sw_hash(f, &me) & (RSS_SW_RETA_SIZE - 1)] != seg_owner;
	}
	assert_int_equal(by_quote, 2000);
	assert_true(echo_elsewhere > 1000 && echo_elsewhere < 2000);   /* 1500 expected */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_symmetric_toeplitz),
		cmocka_unit_test(test_reta),
		cmocka_unit_test(test_rss_types),
		cmocka_unit_test(test_sw_hash_symmetric),
		cmocka_unit_test(test_sw_hash_keyed),
		cmocka_unit_test(test_sw_hash_icmp_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
