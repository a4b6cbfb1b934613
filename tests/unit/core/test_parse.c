/* SPDX-License-Identifier: BSD-3-Clause */
/* test_parse.c - the frame parser on crafted frames, good and hostile. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "parse.h"
#include "../common/pktbuild.h"

static struct rte_mempool *mp;

static int
setup(void **state)
{
	(void)state;
	char *args[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };
	if (rte_eal_init(RTE_DIM(args), args) < 0)
		return -1;
	mp = rte_pktmbuf_pool_create("t", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return mp ? 0 : -1;
}

static struct pb_spec
tcp4(void)
{
	struct pb_spec s = { .family = 4, .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
			     .seq = 1, .flags = RTE_TCP_SYN_FLAG, .win = 1000 };
	pb_v4(s.src, 0xc6120001);
	pb_v4(s.dst, 0xc6120002);
	return s;
}

static struct pb_spec
tcp6(void)
{
	struct pb_spec s = tcp4();
	s.family = 6;
	memset(s.src, 0, 16);
	memset(s.dst, 0, 16);
	s.src[0] = 0x20; s.src[1] = 0x01; s.src[3] = 0x02; s.src[15] = 1;
	s.dst[0] = 0x20; s.dst[1] = 0x01; s.dst[3] = 0x02; s.dst[15] = 2;
	return s;
}

static void
parse_spec(const struct pb_spec *s, struct pkt_meta *m, uint16_t *len)
{
	struct rte_mbuf *b = pb_mbuf(mp, s);
	assert_non_null(b);
	*len = b->data_len;
	pkt_parse(b, m);
	rte_pktmbuf_free(b);
}

static void
test_ipv4_tcp(void **state)
{
	(void)state;
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	struct pb_spec s = tcp4();
	s.opts = opts;
	s.optlen = sizeof(opts);
	s.payload = 10;
	struct pkt_meta m;
	uint16_t len;
	parse_spec(&s, &m, &len);
	assert_int_equal(m.flags, PKT_F_L4);
	assert_int_equal(m.l3, PKT_L3_IPV4);
	assert_int_equal(m.l3_off, 14);
	assert_int_equal(m.l4_off, 34);
	assert_int_equal(m.l4proto, IPPROTO_TCP);
	assert_int_equal(m.tcp_hlen, 28);
	assert_int_equal(m.l4_len, 28 + 10);
	assert_int_equal(m.tcp_flags, RTE_TCP_SYN_FLAG);
}

static void
test_ipv4_options_and_vlans(void **state)
{
	(void)state;
	for (uint8_t v = 0; v <= 2; v++) {
		struct pb_spec s = tcp4();
		s.nb_vlan = v;
		s.ipv4_optlen = 12;
		struct pkt_meta m;
		uint16_t len;
		parse_spec(&s, &m, &len);
		assert_int_equal(m.nb_vlan, v);
		assert_int_equal(m.l3_off, 14 + 4 * v);
		assert_int_equal(m.l4_off, 14 + 4 * v + 32);
		assert_true(m.flags & PKT_F_IPOPT);
		assert_true(m.flags & PKT_F_L4);
		assert_false(m.flags & PKT_F_BAD);
		assert_int_equal(!!(m.flags & PKT_F_VLAN), v > 0);
	}
}

static void
test_three_vlans_bad(void **state)
{
	(void)state;
	uint8_t f[80];
	memset(f, 0, sizeof(f));
	uint8_t *p = f + 12;
	for (int i = 0; i < 3; i++, p += 4) {
		p[0] = 0x81; p[1] = 0x00;
	}
	p[0] = 0x08; p[1] = 0x00;
	struct rte_mbuf *b = rte_pktmbuf_alloc(mp);
	memcpy(rte_pktmbuf_mtod(b, void *), f, sizeof(f));
	b->data_len = b->pkt_len = sizeof(f);
	struct pkt_meta m;
	pkt_parse(b, &m);
	assert_true(m.flags & PKT_F_BAD);
	rte_pktmbuf_free(b);
}

static void
test_ipv6_ext_headers(void **state)
{
	(void)state;
	for (uint8_t e = 0; e <= 3; e++) {
		struct pb_spec s = tcp6();
		s.v6_ext = e;
		s.payload = 5;
		struct pkt_meta m;
		uint16_t len;
		parse_spec(&s, &m, &len);
		assert_int_equal(m.l3, PKT_L3_IPV6);
		assert_int_equal(m.l4proto, IPPROTO_TCP);
		assert_int_equal(m.l4_off, 14 + 40 + 8 * e);
		assert_int_equal(m.l4_len, 20 + 5);
		assert_int_equal(!!(m.flags & PKT_F_EXTHDR), e > 0);
		assert_true(m.flags & PKT_F_L4);
		assert_false(m.flags & PKT_F_BAD);
	}
}

static void
test_ipv6_too_many_ext(void **state)
{
	(void)state;
	struct pb_spec s = tcp6();
	s.v6_ext = PKT_MAX_EXTHDR + 1;
	struct pkt_meta m;
	uint16_t len;
	parse_spec(&s, &m, &len);
	assert_true(m.flags & PKT_F_BAD);
}

static void
test_ipv6_fragment(void **state)
{
	(void)state;
	uint8_t f[14 + 40 + 8 + 20];
	struct pb_spec s = tcp6();
	pb_build(f, &s);
	/* Turn it into: IPv6 | Fragment header | TCP */
	memmove(f + 14 + 48, f + 14 + 40, 20);
	f[14 + 6] = IPPROTO_FRAGMENT;
	f[14 + 4] = 0; f[14 + 5] = 28;
	memset(f + 54, 0, 8);
	f[54] = IPPROTO_TCP;
	f[57] = 1;  /* M flag */
	struct rte_mbuf *b = rte_pktmbuf_alloc(mp);
	memcpy(rte_pktmbuf_mtod(b, void *), f, sizeof(f));
	b->data_len = b->pkt_len = sizeof(f);
	struct pkt_meta m;
	pkt_parse(b, &m);
	assert_true(m.flags & PKT_F_FRAG);
	assert_false(m.flags & PKT_F_BAD);
	assert_false(m.flags & PKT_F_L4);
	assert_int_equal(m.l4proto, IPPROTO_TCP);
	rte_pktmbuf_free(b);
}

static void
test_ipv4_fragment(void **state)
{
	(void)state;
	struct pb_spec s = tcp4();
	struct rte_mbuf *b = pb_mbuf(mp, &s);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(b, struct rte_ipv4_hdr *, 14);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	struct pkt_meta m;
	pkt_parse(b, &m);
	assert_true(m.flags & PKT_F_FRAG);
	assert_false(m.flags & PKT_F_L4);
	ip->fragment_offset = rte_cpu_to_be_16(100);
	pkt_parse(b, &m);
	assert_true(m.flags & PKT_F_FRAG);
	rte_pktmbuf_free(b);
}

static void
test_padding_ignored(void **state)
{
	(void)state;
	struct pb_spec s = tcp4();
	struct rte_mbuf *b = pb_mbuf(mp, &s);
	/* 54-byte frame padded to 60 by a NIC */
	memset(rte_pktmbuf_mtod_offset(b, uint8_t *, b->data_len), 0xee, 6);
	b->data_len += 6;
	b->pkt_len += 6;
	struct pkt_meta m;
	pkt_parse(b, &m);
	assert_int_equal(m.l4_len, 20);
	assert_false(m.flags & PKT_F_BAD);
	rte_pktmbuf_free(b);
}

/* Every truncation of a valid frame is either fine (cut inside payload is
 * impossible here: there is none) or flagged bad, never a crash. */
static void
test_truncations(void **state)
{
	(void)state;
	static const uint8_t opts[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct pb_spec specs[3] = { tcp4(), tcp6(), tcp4() };
	specs[0].opts = opts;
	specs[0].optlen = sizeof(opts);
	specs[1].v6_ext = 2;
	specs[2].nb_vlan = 2;
	specs[2].proto = IPPROTO_UDP;
	for (int k = 0; k < 3; k++) {
		struct rte_mbuf *b = pb_mbuf(mp, &specs[k]);
		uint16_t full = b->data_len;
		for (uint16_t len = 0; len < full; len++) {
			struct pkt_meta m;
			b->data_len = b->pkt_len = len;
			pkt_parse(b, &m);
			if (len >= 14 + 4 * specs[k].nb_vlan)
				assert_true(m.flags & PKT_F_BAD);
			assert_false(m.flags & PKT_F_L4);
		}
		rte_pktmbuf_free(b);
	}
}

static void
test_malformed_lengths(void **state)
{
	(void)state;
	struct pb_spec s = tcp4();
	struct rte_mbuf *b = pb_mbuf(mp, &s);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(b, struct rte_ipv4_hdr *, 14);
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(b, struct rte_tcp_hdr *, 34);
	struct pkt_meta m;

	ip->version_ihl = 0x44;           /* IHL below 5 */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	ip->version_ihl = 0x4f;           /* IHL past the end */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	ip->version_ihl = 0x65;           /* wrong version */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(1000);   /* longer than the frame */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	ip->total_length = rte_cpu_to_be_16(10);     /* shorter than its header */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	ip->total_length = rte_cpu_to_be_16(40);
	th->data_off = 0x40;              /* TCP header of 16 bytes */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	th->data_off = 0xf0;              /* TCP header past the IP payload */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	th->data_off = 0x50;
	assert_int_equal(pkt_parse(b, &m), PKT_F_L4);
	rte_pktmbuf_free(b);
}

static void
test_non_ip(void **state)
{
	(void)state;
	uint8_t f[60];
	memset(f, 0, sizeof(f));
	f[12] = 0x08; f[13] = 0x06;   /* ARP */
	struct rte_mbuf *b = rte_pktmbuf_alloc(mp);
	memcpy(rte_pktmbuf_mtod(b, void *), f, sizeof(f));
	b->data_len = b->pkt_len = sizeof(f);
	struct pkt_meta m;
	assert_int_equal(pkt_parse(b, &m), 0);
	assert_int_equal(m.l3, PKT_L3_NONE);
	b->data_len = b->pkt_len = 10;   /* runt */
	assert_true(pkt_parse(b, &m) & PKT_F_BAD);
	rte_pktmbuf_free(b);
}

/* Random bytes never crash the parser and never yield offsets past the end. */
static void
test_fuzz(void **state)
{
	(void)state;
	struct rte_mbuf *b = rte_pktmbuf_alloc(mp);
	uint8_t *p = rte_pktmbuf_mtod(b, uint8_t *);
	srand(7);
	for (int it = 0; it < 200000; it++) {
		uint16_t len = rand() % 200;
		for (uint16_t i = 0; i < len; i++)
			p[i] = rand();
		/* bias towards plausible headers so deep paths are reached */
		if (len > 14 && (it & 1)) {
			p[12] = (it & 2) ? 0x86 : 0x08;
			p[13] = (it & 2) ? 0xdd : 0x00;
			p[14] = (it & 2) ? 0x60 : 0x45;
		}
		b->data_len = b->pkt_len = len;
		struct pkt_meta m;
		pkt_parse(b, &m);
		if (m.flags & PKT_F_L4)
			assert_true(m.l4_off + m.l4_len <= len);
		if (m.l3 != PKT_L3_NONE && !(m.flags & PKT_F_BAD))
			assert_true(m.l3_off < len);
	}
	rte_pktmbuf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_options_and_vlans),
		cmocka_unit_test(test_three_vlans_bad),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_too_many_ext),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv4_fragment),
		cmocka_unit_test(test_padding_ignored),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
