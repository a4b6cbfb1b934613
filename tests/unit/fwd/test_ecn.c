/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ecn.c - unit tests of the ECN scrubbing (fwd/ecn.c) and of the
 * handshake predicates (fwd/ecn.h), on frames built in plain memory.
 *
 * Every combination of the IP ECN field (Not-ECT, ECT(1), ECT(0), CE), the
 * TCP ECE and CWR flags, with and without payload, over IPv4 (with and
 * without IP options, with DSCP bits set) and IPv6 (with a traffic class
 * and a flow label, with and without an extension header). The expectation
 * is built independently: a copy of the frame edited by hand whose IPv4
 * header checksum and TCP checksum are recomputed from scratch; the scrubbed
 * frame must equal it byte for byte (RFC 1624 equation 3 gives exactly what
 * a recomputation gives) and pass rte_ipv*_udptcp_cksum_verify. A sweep of
 * the urgent pointer drives the TCP checksum through every value. No EAL is
 * needed: everything used is inline or plain C.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ipv*_udptcp_cksum_verify */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "fwd/ecn.h"
#include "../common/pktbuild.h"

struct frame {
	uint8_t b[256];
	uint16_t len;
	int family;
	uint8_t *l3, *l4;
	uint16_t l3_len, l4_len, plen;
};

/* A TCP frame with payload plen; the IP ECN field and TCP flags come later. */
static void
frame_build(struct frame *f, int family, uint8_t ipv4_optlen, uint8_t v6_ext, uint8_t flags,
	    uint16_t plen)
{
	static const uint8_t opts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct pb_spec s;

	memset(f, 0, sizeof(*f));
	memset(&s, 0, sizeof(s));
	s.family = family;
	s.proto = IPPROTO_TCP;
	s.ipv4_optlen = ipv4_optlen;
	s.v6_ext = v6_ext;
	if (family == 4) {
		pb_v4(s.src, 0xc6120001u);
		pb_v4(s.dst, 0xc6130002u);
	} else {
		static const uint8_t a[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		memcpy(s.src, a, 16);
		memcpy(s.dst, a, 16);
		s.dst[15] = 2;
	}
	s.sport = 40001;
	s.dport = 80;
	s.seq = 0x01020304;
	s.ack = 0x0a0b0c0d;
	s.flags = flags;
	s.win = 501;
	s.opts = opts;
	s.optlen = sizeof(opts);
	s.payload = plen;
	f->len = pb_build(f->b, &s);
	f->family = family;
	f->l3 = f->b + 14;
	f->l3_len = family == 4 ? 20 + ipv4_optlen : 40 + 8 * v6_ext;
	f->l4 = f->l3 + f->l3_len;
	f->l4_len = (uint16_t)(f->len - 14 - f->l3_len);
	f->plen = plen;
}

/* The TCP checksum over the pseudo header and the segment, from scratch
 * (the checksum field taken as zero). */
static uint16_t
tcp_csum_fresh(const struct frame *f)
{
	uint8_t seg[256];
	uint32_t sum;

	memcpy(seg, f->l4, f->l4_len);
	seg[16] = seg[17] = 0;
	if (f->family == 4)
		sum = __rte_raw_cksum(f->l3 + 12, 8, 0);
	else
		sum = __rte_raw_cksum(f->l3 + 8, 32, 0);
	sum += rte_cpu_to_be_16(f->l4_len) + rte_cpu_to_be_16((uint16_t)IPPROTO_TCP);
	sum = __rte_raw_cksum(seg, f->l4_len, sum);
	return (uint16_t)~__rte_raw_cksum_reduce(sum);
}

/* Recompute both checksums of a frame from scratch. */
static void
frame_fix(struct frame *f)
{
	if (f->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)f->l3;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, f->l3_len);
	}
	uint16_t ck = tcp_csum_fresh(f);
	memcpy(f->l4 + 16, &ck, 2);
}

/* Set the IP ECN field (and the rest of the TOS / traffic class, and for
 * IPv6 a flow label) and the TCP flags, checksums recomputed. */
static void
frame_mark(struct frame *f, uint8_t dscp, uint8_t ecn, uint8_t tcp_flags)
{
	uint8_t tc = (uint8_t)(dscp << 2 | ecn);

	if (f->family == 4) {
		f->l3[1] = tc;
	} else {
		uint32_t v = 6u << 28 | (uint32_t)tc << 20 | 0xabcde;
		v = rte_cpu_to_be_32(v);
		memcpy(f->l3, &v, 4);
	}
	f->l4[13] = tcp_flags;
	frame_fix(f);
}

static uint8_t
frame_ecn(const struct frame *f)
{
	return f->family == 4 ? f->l3[1] & 3 : (f->l3[1] >> 4) & 3;
}

static void
frame_verify(const struct frame *f)
{
	if (f->family == 4) {
		assert_int_equal(rte_raw_cksum(f->l3, f->l3_len), 0xffff);
		if (f->l3_len == 20)
			assert_int_equal(rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)f->l3,
								      f->l4), 0);
	} else if (f->l3_len == 40) {
		assert_int_equal(rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)f->l3, f->l4), 0);
	}
	uint16_t ck;
	memcpy(&ck, f->l4 + 16, 2);
	assert_int_equal(ck, tcp_csum_fresh(f));
}

static enum ecn_verdict
scrub(struct frame *f)
{
	return ecn_scrub(f->l3, f->family == 4, (struct rte_tcp_hdr *)f->l4, f->plen);
}

/* ---------------------------------------------------------------- the predicates */

static void
test_predicates(void **state)
{
	(void)state;
	for (unsigned int fl = 0; fl < 256; fl++) {
		bool ece = fl & RTE_TCP_ECE_FLAG, cwr = fl & RTE_TCP_CWR_FLAG;
		assert_int_equal(ecn_syn_asks((uint8_t)fl), ece && cwr);
		assert_int_equal(ecn_synack_agrees((uint8_t)fl), ece && !cwr);
	}
}

/* ---------------------------------------------------------------- the scrub matrix */

static void
matrix_case(int family, uint8_t ipv4_optlen, uint8_t v6_ext)
{
	static const uint8_t tcp_ecn[] = { 0, RTE_TCP_ECE_FLAG, RTE_TCP_CWR_FLAG,
					   RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG };
	static const uint16_t plens[] = { 0, 1, 100 };
	struct frame f, want;

	for (unsigned int ecn = 0; ecn < 4; ecn++)
	for (unsigned int t = 0; t < RTE_DIM(tcp_ecn); t++)
	for (unsigned int p = 0; p < RTE_DIM(plens); p++)
	for (unsigned int dscp = 0; dscp < 64; dscp += 21) {
		uint8_t flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | tcp_ecn[t];
		frame_build(&f, family, ipv4_optlen, v6_ext, flags, plens[p]);
		frame_mark(&f, (uint8_t)dscp, (uint8_t)ecn, flags);
		frame_verify(&f);
		want = f;
		want.l3 = want.b + (f.l3 - f.b);
		want.l4 = want.b + (f.l4 - f.b);

		enum ecn_verdict v = scrub(&f);
		if (ecn == 3 && plens[p] != 0) {
			/* CE on data: dropped, and nothing was touched */
			assert_int_equal(v, ECN_CE_DROP);
			assert_memory_equal(f.b, want.b, f.len);
			continue;
		}
		if (ecn == 0 && tcp_ecn[t] == 0) {
			assert_int_equal(v, ECN_KEPT);
			assert_memory_equal(f.b, want.b, f.len);
			continue;
		}
		assert_int_equal(v, ECN_CLEARED);
		/* the expectation: DSCP, flow label and other flags kept */
		frame_mark(&want, (uint8_t)dscp, 0, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
		assert_int_equal(frame_ecn(&f), 0);
		assert_int_equal(f.l4[13], RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
		assert_memory_equal(f.b, want.b, f.len);
		frame_verify(&f);
		/* a second pass has nothing left to do */
		assert_int_equal(scrub(&f), ECN_KEPT);
	}
}

static void test_matrix_v4(void **s) { (void)s; matrix_case(4, 0, 0); }
static void test_matrix_v4_ipopts(void **s) { (void)s; matrix_case(4, 8, 0); }
static void test_matrix_v6(void **s) { (void)s; matrix_case(6, 0, 0); }
static void test_matrix_v6_ext(void **s) { (void)s; matrix_case(6, 0, 1); }

/* The urgent pointer walks the TCP checksum (and, with the TOS, the IPv4
 * one) through every value, 0x0000 included: the update must still equal
 * a recomputation bit for bit. */
static void
sweep_case(int family)
{
	struct frame f;
	unsigned int zero_before = 0;

	for (uint32_t urp = 0; urp < 0x10000; urp++) {
		frame_build(&f, family, 0, 0, RTE_TCP_ACK_FLAG | RTE_TCP_ECE_FLAG, 10);
		uint16_t u = rte_cpu_to_be_16((uint16_t)urp);
		memcpy(f.l4 + 18, &u, 2);
		frame_mark(&f, (uint8_t)(urp & 63), 1 + (urp & 1), RTE_TCP_ACK_FLAG | RTE_TCP_ECE_FLAG);
		uint16_t ck;
		memcpy(&ck, f.l4 + 16, 2);
		zero_before += ck == 0;
		assert_int_equal(scrub(&f), ECN_CLEARED);
		frame_verify(&f);
	}
	assert_true(zero_before > 0);   /* the corner was visited */
}

static void test_sweep_v4(void **s) { (void)s; sweep_case(4); }
static void test_sweep_v6(void **s) { (void)s; sweep_case(6); }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_matrix_v4),
		cmocka_unit_test(test_matrix_v4_ipopts),
		cmocka_unit_test(test_matrix_v6),
		cmocka_unit_test(test_matrix_v6_ext),
		cmocka_unit_test(test_sweep_v4),
		cmocka_unit_test(test_sweep_v6),
	};

	return cmocka_run_group_tests_name("ecn", tests, NULL, NULL);
}
