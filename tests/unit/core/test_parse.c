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

/*
 * IPv6 header chains. A chain is a list of extension headers (type, total
 * length, fragment field for Fragment headers) followed by the upper layer:
 * a 20-byte TCP SYN header, or 8 bytes of anything else. The IPv6 payload
 * length, and the frame, can be cut short by `cut` bytes.
 */
struct xh {
	uint8_t type;
	uint16_t len;    /* bytes: multiple of 8 (AH: of 4); Fragment: 8 */
	uint16_t frag;   /* Fragment header: offset << 3 | M */
};

#define FRAG_FIRST 0x0001
#define FRAG_ATOMIC 0x0000
#define FRAG_LATER (100 << 3)

static struct rte_mbuf *
v6_chain(const struct xh *x, int n, uint8_t upper, uint16_t cut)
{
	struct pb_spec s = tcp6();
	uint8_t f[14 + 40 + 2048];
	pb_build(f, &s);   /* Ethernet + IPv6 header with the addresses */
	uint8_t *ip = f + 14;
	uint16_t off = 40;

	memset(ip + off, 0, sizeof(f) - 14 - off);
	ip[6] = n > 0 ? x[0].type : upper;
	for (int i = 0; i < n; i++) {
		uint8_t *h = ip + off;
		h[0] = i + 1 < n ? x[i + 1].type : upper;
		if (x[i].type == IPPROTO_FRAGMENT) {
			h[2] = x[i].frag >> 8;
			h[3] = x[i].frag & 0xff;
			h[7] = 0x42;   /* identification */
		} else if (x[i].type == IPPROTO_AH) {
			h[1] = x[i].len / 4 - 2;
		} else {
			h[1] = x[i].len / 8 - 1;
		}
		off += x[i].len;
	}
	uint16_t ulen = upper == IPPROTO_TCP ? 20 : 8;
	if (upper == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + off);
		th->src_port = rte_cpu_to_be_16(40000);
		th->dst_port = rte_cpu_to_be_16(80);
		th->data_off = 0x50;
		th->tcp_flags = RTE_TCP_SYN_FLAG;
	}
	off += ulen;
	assert_true(cut <= off - 40);
	off -= cut;
	ip[4] = (off - 40) >> 8;
	ip[5] = (off - 40) & 0xff;
	struct rte_mbuf *b = rte_pktmbuf_alloc(mp);
	assert_non_null(b);
	memcpy(rte_pktmbuf_mtod(b, void *), f, 14 + off);
	b->data_len = b->pkt_len = 14 + off;
	return b;
}

static uint8_t
parse_chain(const struct xh *x, int n, uint8_t upper, uint16_t cut, struct pkt_meta *m)
{
	struct rte_mbuf *b = v6_chain(x, n, upper, cut);
	pkt_parse(b, m);
	rte_pktmbuf_free(b);
	return m->flags;
}

/* RFC 6946: an atomic fragment is an ordinary packet; the TCP behind the
 * rest of the chain is found and parsed (the proxy answers such a SYN). */
static void
test_ipv6_atomic_fragment(void **state)
{
	(void)state;
	struct pkt_meta m;
	const struct xh a[] = { { IPPROTO_FRAGMENT, 8, FRAG_ATOMIC }, { IPPROTO_DSTOPTS, 8, 0 } };
	parse_chain(a, 2, IPPROTO_TCP, 0, &m);
	assert_int_equal(m.flags, PKT_F_L4 | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_TCP);
	assert_int_equal(m.l4_off, 14 + 40 + 16);
	assert_int_equal(m.l4_len, 20);
	assert_int_equal(m.tcp_flags, RTE_TCP_SYN_FLAG);

	const struct xh b[] = { { IPPROTO_FRAGMENT, 8, FRAG_ATOMIC }, { IPPROTO_ROUTING, 24, 0 } };
	assert_int_equal(parse_chain(b, 2, IPPROTO_TCP, 0, &m), PKT_F_L4 | PKT_F_EXTHDR);
	assert_int_equal(m.l4_off, 14 + 40 + 32);

	const struct xh c[] = { { IPPROTO_HOPOPTS, 8, 0 }, { IPPROTO_FRAGMENT, 8, FRAG_ATOMIC } };
	assert_int_equal(parse_chain(c, 2, IPPROTO_TCP, 0, &m), PKT_F_L4 | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_TCP);

	/* a bare atomic fragment of TCP, and one of UDP */
	assert_int_equal(parse_chain(a, 1, IPPROTO_TCP, 0, &m), PKT_F_L4 | PKT_F_EXTHDR);
	assert_int_equal(m.l4_off, 14 + 40 + 8);
	assert_int_equal(parse_chain(a, 1, IPPROTO_UDP, 0, &m), PKT_F_L4 | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_UDP);
}

/* A first fragment names its upper layer through the whole chain, TCP
 * included, so the proxy can drop it from the WAN. */
static void
test_ipv6_first_fragment_chains(void **state)
{
	(void)state;
	static const struct {
		struct xh x[4];
		int n;
		uint16_t l4_off;
	} shapes[] = {
		{ { { IPPROTO_FRAGMENT, 8, FRAG_FIRST } }, 1, 48 },
		{ { { IPPROTO_FRAGMENT, 8, FRAG_FIRST }, { IPPROTO_DSTOPTS, 8, 0 } }, 2, 56 },
		{ { { IPPROTO_FRAGMENT, 8, FRAG_FIRST }, { IPPROTO_ROUTING, 24, 0 } }, 2, 72 },
		{ { { IPPROTO_HOPOPTS, 8, 0 }, { IPPROTO_FRAGMENT, 8, FRAG_FIRST } }, 2, 56 },
		{ { { IPPROTO_FRAGMENT, 8, FRAG_FIRST }, { IPPROTO_AH, 24, 0 },
		    { IPPROTO_DSTOPTS, 16, 0 } }, 3, 88 },
		{ { { IPPROTO_HOPOPTS, 8, 0 }, { IPPROTO_DSTOPTS, 8, 0 }, { IPPROTO_ROUTING, 24, 0 },
		    { IPPROTO_FRAGMENT, 8, FRAG_FIRST } }, 4, 88 },
		/* an atomic fragment header, then a real first fragment */
		{ { { IPPROTO_FRAGMENT, 8, FRAG_ATOMIC }, { IPPROTO_FRAGMENT, 8, FRAG_FIRST } }, 2, 56 },
	};
	for (unsigned k = 0; k < RTE_DIM(shapes); k++) {
		struct pkt_meta m;
		parse_chain(shapes[k].x, shapes[k].n, IPPROTO_TCP, 0, &m);
		assert_int_equal(m.flags, PKT_F_FRAG | PKT_F_EXTHDR);
		assert_int_equal(m.l4proto, IPPROTO_TCP);
		assert_int_equal(m.l4_off, 14 + shapes[k].l4_off);
		assert_int_equal(m.tcp_flags, 0);   /* named, not parsed */
		parse_chain(shapes[k].x, shapes[k].n, IPPROTO_UDP, 0, &m);
		assert_int_equal(m.flags, PKT_F_FRAG | PKT_F_EXTHDR);
		assert_int_equal(m.l4proto, IPPROTO_UDP);
	}
	/* ESP and No Next Header end the chain */
	const struct xh f[] = { { IPPROTO_FRAGMENT, 8, FRAG_FIRST } };
	struct pkt_meta m;
	assert_int_equal(parse_chain(f, 1, IPPROTO_ESP, 0, &m), PKT_F_FRAG | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_ESP);
	assert_int_equal(parse_chain(f, 1, IPPROTO_NONE, 0, &m), PKT_F_FRAG | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_NONE);
}

/* A later fragment carries no headers: it names the Fragment header's next
 * header and is not parsed further. */
static void
test_ipv6_later_fragment(void **state)
{
	(void)state;
	struct pkt_meta m;
	const struct xh a[] = { { IPPROTO_FRAGMENT, 8, FRAG_LATER | 1 }, { IPPROTO_DSTOPTS, 8, 0 } };
	assert_int_equal(parse_chain(a, 2, IPPROTO_TCP, 0, &m), PKT_F_FRAG | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_DSTOPTS);
	assert_int_equal(m.l4_off, 14 + 48);
	assert_int_equal(m.l4_len, 8 + 20);
	const struct xh b[] = { { IPPROTO_HOPOPTS, 8, 0 }, { IPPROTO_FRAGMENT, 8, FRAG_LATER } };
	assert_int_equal(parse_chain(b, 2, IPPROTO_TCP, 0, &m), PKT_F_FRAG | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, IPPROTO_TCP);
	assert_int_equal(m.l4_off, 14 + 56);
	/* whatever follows a later fragment's header is data, even a bad chain */
	const struct xh c[] = { { IPPROTO_FRAGMENT, 8, FRAG_LATER }, { 253, 8, 0 } };
	assert_int_equal(parse_chain(c, 2, IPPROTO_TCP, 0, &m), PKT_F_FRAG | PKT_F_EXTHDR);
	assert_int_equal(m.l4proto, 253);
}

/* Extension headers the parser cannot walk hide the upper layer: bad, in a
 * fragment or not. */
static void
test_ipv6_unknown_ext(void **state)
{
	(void)state;
	static const uint8_t unknown[] = { 139, 140, 253, 254 };
	for (unsigned k = 0; k < RTE_DIM(unknown); k++) {
		struct pkt_meta m;
		const struct xh a[] = { { unknown[k], 8, 0 } };
		assert_true(parse_chain(a, 1, IPPROTO_TCP, 0, &m) & PKT_F_BAD);
		assert_false(m.flags & PKT_F_L4);
		const struct xh b[] = { { IPPROTO_FRAGMENT, 8, FRAG_FIRST }, { unknown[k], 8, 0 } };
		assert_true(parse_chain(b, 2, IPPROTO_TCP, 0, &m) & PKT_F_BAD);
		const struct xh c[] = { { IPPROTO_FRAGMENT, 8, FRAG_ATOMIC }, { IPPROTO_DSTOPTS, 8, 0 },
					{ unknown[k], 16, 0 } };
		assert_true(parse_chain(c, 3, IPPROTO_TCP, 0, &m) & PKT_F_BAD);
	}
}

/* Up to PKT_MAX_EXTHDR extension headers of any kind, atomic Fragment
 * headers included; one more is bad. */
static void
test_ipv6_chain_bound(void **state)
{
	(void)state;
	struct xh x[PKT_MAX_EXTHDR + 1];
	struct pkt_meta m;
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i <= PKT_MAX_EXTHDR; i++) {
			x[i].type = k == 0 ? IPPROTO_DSTOPTS : IPPROTO_FRAGMENT;
			x[i].len = 8;
			x[i].frag = k == 2 && i == PKT_MAX_EXTHDR - 1 ? FRAG_FIRST : FRAG_ATOMIC;
		}
		parse_chain(x, PKT_MAX_EXTHDR, IPPROTO_TCP, 0, &m);
		assert_false(m.flags & PKT_F_BAD);
		assert_int_equal(m.l4proto, IPPROTO_TCP);
		assert_int_equal(m.l4_off, 14 + 40 + 8 * PKT_MAX_EXTHDR);
		assert_int_equal(!!(m.flags & PKT_F_FRAG), k == 2);
		assert_int_equal(!!(m.flags & PKT_F_L4), k != 2);
		x[PKT_MAX_EXTHDR - 1].frag = FRAG_ATOMIC;
		x[0].frag = k == 2 ? FRAG_FIRST : FRAG_ATOMIC;
		parse_chain(x, PKT_MAX_EXTHDR + 1, IPPROTO_TCP, 0, &m);
		assert_true(m.flags & PKT_F_BAD);
		assert_false(m.flags & PKT_F_L4);
	}
}

/* Every cut of a chain's payload is bad, or (a first fragment cut inside its
 * upper layer) still names TCP: a truncated chain never passes as non-TCP. */
static void
test_ipv6_truncated_chains(void **state)
{
	(void)state;
	static const struct {
		struct xh x[3];
		int n;
	} shapes[] = {
		{ { { IPPROTO_FRAGMENT, 8, FRAG_FIRST }, { IPPROTO_DSTOPTS, 16, 0 } }, 2 },
		{ { { IPPROTO_HOPOPTS, 8, 0 }, { IPPROTO_FRAGMENT, 8, FRAG_FIRST },
		    { IPPROTO_ROUTING, 24, 0 } }, 3 },
		{ { { IPPROTO_FRAGMENT, 8, FRAG_ATOMIC }, { IPPROTO_AH, 16, 0 } }, 2 },
	};
	for (unsigned k = 0; k < RTE_DIM(shapes); k++) {
		uint16_t full = 20;
		for (int i = 0; i < shapes[k].n; i++)
			full += shapes[k].x[i].len;
		for (uint16_t cut = 1; cut <= full; cut++) {
			struct pkt_meta m;
			parse_chain(shapes[k].x, shapes[k].n, IPPROTO_TCP, cut, &m);
			assert_false(m.flags & PKT_F_L4);
			if (!(m.flags & PKT_F_BAD)) {
				assert_true(m.flags & PKT_F_FRAG);
				assert_int_equal(m.l4proto, IPPROTO_TCP);
			}
		}
	}
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
	assert_int_equal(m.l4proto, IPPROTO_TCP);   /* a first fragment of TCP */
	assert_int_equal(m.l4_off, 34);
	ip->fragment_offset = rte_cpu_to_be_16(100);
	pkt_parse(b, &m);
	assert_true(m.flags & PKT_F_FRAG);
	assert_false(m.flags & PKT_F_L4);
	assert_int_equal(m.l4proto, IPPROTO_TCP);   /* a later one */
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(pkt_parse(b, &m), PKT_F_L4);   /* DF alone: whole */
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
		cmocka_unit_test(test_ipv6_atomic_fragment),
		cmocka_unit_test(test_ipv6_first_fragment_chains),
		cmocka_unit_test(test_ipv6_later_fragment),
		cmocka_unit_test(test_ipv6_unknown_ext),
		cmocka_unit_test(test_ipv6_chain_bound),
		cmocka_unit_test(test_ipv6_truncated_chains),
		cmocka_unit_test(test_ipv4_fragment),
		cmocka_unit_test(test_padding_ignored),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
