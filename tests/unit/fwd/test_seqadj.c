/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_seqadj.c - unit tests of the incremental checksum helpers (csum.h)
 * and of the segment translation (seqadj.c).
 *
 * Frames are built in plain memory: Ethernet + IPv4 or IPv6 + TCP with a
 * random option layout (random order, NOP padding, EOL with garbage after
 * it, 0-4 SACK blocks, with and without TS, unknown kinds) and a random
 * payload of any length. The builder records where it put TS and SACK, so
 * the expectation does not rely on the parser under test: after each
 * translation the frame must equal, byte for byte, a copy edited field by
 * field whose TCP checksum was recomputed from scratch with
 * rte_ipv4_udptcp_cksum/rte_ipv6_udptcp_cksum, and must pass
 * rte_ipv*_udptcp_cksum_verify. An exhaustive sweep over the urgent pointer
 * drives the checksum through every value, including 0x0000 before and after
 * the update. No EAL is needed: everything used is inline.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ipv*_udptcp_cksum_verify */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "fwd/csum.h"
#include "fwd/seqadj.h"
#include "fwd/tcp_opts.h"

/* ---- random numbers: deterministic, so a failure reproduces ---- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Values that like to break arithmetic: around 0 and 2^31, 2^32. */
static uint32_t
rnd_u32_edgy(void)
{
	static const uint32_t edge[] = { 0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001,
					 0xfffffffe, 0xffffffff, 0xffff, 0x10000 };

	switch (rnd() % 4) {
	case 0:
		return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return 0xffffffffu - rnd() % 4096; /* wraps when something is added */
	default:
		return rnd();
	}
}

/* ---- frames ---- */

#define L3_OFF RTE_ETHER_HDR_LEN

struct pkt {
	uint8_t frame[1700];
	int v6;
	unsigned int l4;     /* offset of the TCP header in frame */
	uint16_t hlen;       /* TCP header length */
	uint16_t plen;       /* payload length */
	/* where the builder put things (offsets from the TCP header), 0 if absent */
	unsigned int ts_off;
	unsigned int sack_off;
	unsigned int nsack;
};

static struct rte_tcp_hdr *
pkt_th(struct pkt *p)
{
	return (struct rte_tcp_hdr *)(p->frame + p->l4);
}

static uint8_t *
pkt_tcp(struct pkt *p)
{
	return p->frame + p->l4;
}

static size_t
pkt_len(const struct pkt *p)
{
	return p->l4 + p->hlen + p->plen;
}

/* The checksum a full recomputation gives for the frame as it is now. */
static uint16_t
pkt_full_cksum(struct pkt *p)
{
	struct rte_tcp_hdr *th = pkt_th(p);
	uint16_t saved = th->cksum, c;

	th->cksum = 0;
	if (p->v6)
		c = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(p->frame + L3_OFF), th);
	else
		c = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(p->frame + L3_OFF), th);
	th->cksum = saved;
	return c;
}

static int
pkt_verify(struct pkt *p)
{
	if (p->v6)
		return rte_ipv6_udptcp_cksum_verify(
			(const struct rte_ipv6_hdr *)(p->frame + L3_OFF), pkt_th(p));
	return rte_ipv4_udptcp_cksum_verify(
		(const struct rte_ipv4_hdr *)(p->frame + L3_OFF), pkt_th(p));
}

static void
pkt_fix_cksum(struct pkt *p)
{
	pkt_th(p)->cksum = pkt_full_cksum(p);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void
put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* IP headers for the TCP segment currently described by p (hlen, plen). */
static void
pkt_ip(struct pkt *p)
{
	uint8_t *l3 = p->frame + L3_OFF;
	unsigned int i;

	memset(p->frame, 0, L3_OFF);
	p->frame[12] = p->v6 ? 0x86 : 0x08;
	p->frame[13] = p->v6 ? 0xdd : 0x00;
	if (p->v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(p->hlen + p->plen));
		ip6->proto = IPPROTO_TCP;
		ip6->hop_limits = 64;
		for (i = 0; i < 16; i++) {
			ip6->src_addr[i] = (uint8_t)rnd();
			ip6->dst_addr[i] = (uint8_t)rnd();
		}
	} else {
		struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)l3;

		memset(ip4, 0, sizeof(*ip4));
		ip4->version_ihl = 0x45;
		ip4->total_length = rte_cpu_to_be_16((uint16_t)(20 + p->hlen + p->plen));
		ip4->time_to_live = 64;
		ip4->next_proto_id = IPPROTO_TCP;
		ip4->src_addr = rnd();
		ip4->dst_addr = rnd();
		ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	}
}

/* Fixed TCP header fields. */
static void
pkt_tcp_fixed(struct pkt *p, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win)
{
	struct rte_tcp_hdr *th = pkt_th(p);

	th->src_port = rte_cpu_to_be_16((uint16_t)rnd());
	th->dst_port = rte_cpu_to_be_16((uint16_t)rnd());
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((p->hlen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->cksum = 0;
	th->tcp_urp = rte_cpu_to_be_16((uint16_t)(rnd() % 4 == 0 ? rnd() : 0));
}

/* A frame with the given option bytes and a random payload. */
static void
pkt_build(struct pkt *p, int v6, const uint8_t *opt, unsigned int olen, uint16_t plen,
	  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->v6 = v6;
	p->l4 = L3_OFF + (v6 ? 40u : 20u);
	p->hlen = (uint16_t)(20 + olen);
	p->plen = plen;
	pkt_ip(p);
	pkt_tcp_fixed(p, seq, ack, flags, win);
	if (olen)
		memcpy(pkt_tcp(p) + 20, opt, olen);
	for (i = 0; i < plen; i++)
		pkt_tcp(p)[p->hlen + i] = (uint8_t)rnd();
	pkt_fix_cksum(p);
}

/* A random option layout. Fills where TS and SACK went (0 if not present). */
struct layout {
	uint8_t opt[40];
	unsigned int len;
	unsigned int ts_off, sack_off, nsack;
};

enum { IT_TS, IT_SACK, IT_MSS, IT_WS, IT_SACKOK, IT_UNK1, IT_UNK2, IT_MAX };

static unsigned int
item_len(int it, unsigned int nsack, unsigned int unk_len)
{
	switch (it) {
	case IT_TS: return 10;
	case IT_SACK: return 2 + 8 * nsack;
	case IT_MSS: return 4;
	case IT_WS: return 3;
	case IT_SACKOK: return 2;
	default: return unk_len;
	}
}

static void
layout_random(struct layout *l)
{
	int order[IT_MAX], n = 0, i;
	unsigned int nsack = rnd() % 2 ? 1 + rnd() % 4 : 0;
	unsigned int unk_len[IT_MAX] = { 0 };
	int want[IT_MAX];

	memset(l, 0, sizeof(*l));
	if (rnd() % 3 == 0) {
		/* the canonical data-segment layout: NOP NOP TS [NOP NOP SACK] */
		static const uint8_t lead[] = { 1, 1, 8, 10 };

		memcpy(l->opt, lead, 4);
		for (i = 4; i < 12; i++)
			l->opt[i] = (uint8_t)rnd();
		l->ts_off = 22;
		l->len = 12;
		nsack = nsack > 3 ? 3 : nsack;
		if (nsack) {
			l->opt[12] = 1;
			l->opt[13] = 1;
			l->opt[14] = 5;
			l->opt[15] = (uint8_t)(2 + 8 * nsack);
			for (i = 16; i < 16 + 8 * (int)nsack; i++)
				l->opt[i] = (uint8_t)rnd();
			l->sack_off = 34;
			l->nsack = nsack;
			l->len = 16 + 8 * nsack;
		}
		return;
	}

	want[IT_TS] = rnd() % 2;
	want[IT_SACK] = nsack != 0;
	want[IT_MSS] = rnd() % 4 == 0;
	want[IT_WS] = rnd() % 4 == 0;
	want[IT_SACKOK] = rnd() % 4 == 0;
	want[IT_UNK1] = rnd() % 5 == 0;
	want[IT_UNK2] = rnd() % 8 == 0;
	unk_len[IT_UNK1] = 2 + rnd() % 7;
	unk_len[IT_UNK2] = 2 + rnd() % 7;
	for (i = 0; i < IT_MAX; i++)
		if (want[i])
			order[n++] = i;
	for (i = n - 1; i > 0; i--) { /* Fisher-Yates */
		int j = (int)(rnd() % (unsigned int)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		int it = order[i];
		unsigned int nops = rnd() % 3, ilen = item_len(it, nsack, unk_len[it]), k;
		uint8_t *o;

		if (l->len + nops + ilen > 40)
			continue; /* does not fit: leave it out */
		while (nops--)
			l->opt[l->len++] = 1;
		o = l->opt + l->len;
		switch (it) {
		case IT_TS:
			o[0] = 8;
			l->ts_off = 20 + l->len;
			break;
		case IT_SACK:
			o[0] = 5;
			l->sack_off = 20 + l->len;
			l->nsack = nsack;
			break;
		case IT_MSS:
			o[0] = 2;
			break;
		case IT_WS:
			o[0] = 3;
			break;
		case IT_SACKOK:
			o[0] = 4;
			break;
		default:
			o[0] = (uint8_t)(it == IT_UNK1 ? 30 : 253);
			break;
		}
		o[1] = (uint8_t)ilen;
		for (k = 2; k < ilen; k++)
			o[k] = (uint8_t)rnd();
		l->len += ilen;
	}
	/* pad to a multiple of 4: NOPs, or EOL followed by garbage that must be ignored */
	if (l->len % 4 != 0 || (l->len < 40 && rnd() % 4 == 0)) {
		if (rnd() % 2) {
			while (l->len % 4)
				l->opt[l->len++] = 1;
		} else {
			l->opt[l->len++] = 0;
			while (l->len % 4)
				l->opt[l->len++] = (uint8_t)rnd();
		}
	}
}

static uint8_t
rnd_flags(void)
{
	uint8_t f = RTE_TCP_ACK_FLAG;

	if (rnd() % 8 == 0)
		f = 0; /* a bare segment: RST or garbage */
	if (rnd() % 4 == 0)
		f |= RTE_TCP_PSH_FLAG;
	if (rnd() % 16 == 0)
		f |= RTE_TCP_FIN_FLAG;
	if (rnd() % 16 == 0)
		f |= RTE_TCP_RST_FLAG;
	if (rnd() % 16 == 0)
		f |= RTE_TCP_SYN_FLAG;
	return f;
}

static uint16_t
rnd_win(void)
{
	switch (rnd() % 4) {
	case 0:
		return (uint16_t)(rnd() % 4); /* 0 and tiny windows */
	case 1:
		return (uint16_t)(0xffff - rnd() % 4);
	default:
		return (uint16_t)rnd();
	}
}

static void
pkt_random(struct pkt *p, int v6)
{
	struct layout l;
	uint16_t plen;

	layout_random(&l);
	switch (rnd() % 4) {
	case 0:
		plen = 0;
		break;
	case 1:
		plen = (uint16_t)(1 + rnd() % 7); /* odd lengths */
		break;
	default:
		plen = (uint16_t)(rnd() % 1461);
		break;
	}
	pkt_build(p, v6, l.opt, l.len, plen, rnd_u32_edgy(), rnd_u32_edgy(), rnd_flags(),
		  rnd_win());
	p->ts_off = l.ts_off;
	p->sack_off = l.sack_off;
	p->nsack = l.nsack;
}

static void
seqadj_random(struct seqadj *a)
{
	a->seq_delta = rnd_u32_edgy();
	a->ts_delta = rnd_u32_edgy();
	a->flags = (uint8_t)(rnd() % 8);
	a->win_shift_from = (uint8_t)(rnd() % 15);
	a->win_shift_to = (uint8_t)(rnd() % 15);
}

/* The window rule, written independently of seqadj_window(). */
static uint16_t
ref_window(uint16_t w, unsigned int from, unsigned int to)
{
	uint64_t v = ((uint64_t)w * (1ull << from)) / (1ull << to);

	if (v > 65535)
		v = 65535;
	if (v == 0 && w != 0)
		v = 1;
	return (uint16_t)v;
}

/* The expected result of lan_to_wan / wan_to_lan, edited field by field. */
static void
expect_lan_to_wan(struct pkt *e, const struct seqadj *a)
{
	uint8_t *t = pkt_tcp(e);

	put32(t + 4, get32(t + 4) + a->seq_delta);
	if ((a->flags & SEQADJ_WIN) && !(t[13] & RTE_TCP_SYN_FLAG))
		put16(t + 14, ref_window(get16(t + 14), a->win_shift_from, a->win_shift_to));
	if ((a->flags & SEQADJ_TS) && e->ts_off)
		put32(t + e->ts_off + 2, get32(t + e->ts_off + 2) + a->ts_delta);
	pkt_fix_cksum(e);
}

static void
expect_wan_to_lan(struct pkt *e, const struct seqadj *a)
{
	uint8_t *t = pkt_tcp(e);
	unsigned int i;

	if (t[13] & RTE_TCP_ACK_FLAG)
		put32(t + 8, get32(t + 8) - a->seq_delta);
	if ((a->flags & SEQADJ_TS) && e->ts_off)
		put32(t + e->ts_off + 6, get32(t + e->ts_off + 6) - a->ts_delta);
	if (a->flags & SEQADJ_SACK)
		for (i = 0; i < 2 * e->nsack; i++) {
			uint8_t *edge = t + e->sack_off + 2 + 4 * i;

			put32(edge, get32(edge) - a->seq_delta);
		}
	pkt_fix_cksum(e);
}

static void
assert_same_frame(struct pkt *got, struct pkt *want)
{
	assert_int_equal(pkt_th(got)->cksum, pkt_th(want)->cksum);
	assert_memory_equal(got->frame, want->frame, pkt_len(want));
	assert_int_equal(pkt_verify(got), 0);
}

/* ---- csum.h ---- */

static void
test_csum_fold(void **state)
{
	(void)state;
	assert_int_equal(csum_fold(0), 0);
	assert_int_equal(csum_fold(1), 1);
	assert_int_equal(csum_fold(0xffff), 0xffff);
	assert_int_equal(csum_fold(0x10000), 1);
	assert_int_equal(csum_fold(0x1fffe), 0xffff);
	assert_int_equal(csum_fold(0xffffffff), 0xffff);
	assert_int_equal(csum_fold(0xfffeffff), 0xfffe);
	/* odd-offset conversion is multiplication by 2^8 mod 0xffff */
	assert_int_equal(csum_acc_odd(0x1234), 0x3412);
	assert_int_equal(csum_acc_odd(0x12345), (((0x2345 + 1) << 8) | ((0x2345 + 1) >> 8)) & 0xffff);
}

/* Random in-place rewrites of any part of a segment, at even and odd
 * offsets, through every helper, against a full recomputation. */
static void
test_csum_random_rewrites(void **state)
{
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 60000; iter++) {
		struct pkt p;
		uint8_t *t;
		unsigned int seg, off, len, kind = rnd() % 4;
		uint8_t old[64], new[64];
		uint16_t sum;

		pkt_random(&p, (int)(rnd() % 2));
		t = pkt_tcp(&p);
		seg = p.hlen + p.plen;
		len = kind == 0 ? 2 : kind == 1 ? 4 : 1 + rnd() % 40;
		if (seg < 18 + len)
			continue;
		/* anywhere that does not overlap the checksum field itself */
		do {
			off = rnd() % (seg - len + 1);
			if (kind < 3)
				off &= ~1u;
		} while (off < 18 && off + len > 16);
		memcpy(old, t + off, len);
		for (unsigned int i = 0; i < len; i++)
			new[i] = rnd() % 8 ? (uint8_t)rnd() : old[i];
		if (rnd() % 16 == 0)
			memset(new, rnd() % 2 ? 0xff : 0, len); /* all-ones / all-zero words */
		memcpy(t + off, new, len);

		sum = pkt_th(&p)->cksum;
		if (kind == 0) {
			uint16_t a, b;

			memcpy(&a, old, 2);
			memcpy(&b, new, 2);
			csum_replace2(&sum, a, b);
		} else if (kind == 1) {
			uint32_t a, b;

			memcpy(&a, old, 4);
			memcpy(&b, new, 4);
			csum_replace4(&sum, a, b);
		} else if (kind == 2 && off % 2 == 0) {
			csum_replace_block(&sum, old, new, len);
		} else {
			uint32_t acc = csum_acc_block(0, old, new, len);

			sum = csum_apply(sum, off % 2 ? csum_acc_odd(acc) : acc);
		}
		pkt_th(&p)->cksum = sum;
		assert_int_equal(sum, pkt_full_cksum(&p));
		assert_int_equal(pkt_verify(&p), 0);
	}
}

/*
 * Sweep the urgent pointer over all 65536 values of a fixed segment: the
 * checksum before (and so after) translation takes every value 0x0000..0xfffe,
 * in particular 0x0000 before and 0x0000 after the update. The incremental
 * result must be the full recomputation every time (never 0xffff for 0x0000).
 */
static void
sweep(int v6, int dir)
{
	static const uint8_t opt[] = { 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff,
				       1, 1, 5, 10, 0x80, 0, 0, 0, 0xff, 0xff, 0, 1 };
	const struct seqadj a = {
		.seq_delta = 0x89abcdef, .ts_delta = 0x76543210,
		.flags = SEQADJ_TS | SEQADJ_SACK | SEQADJ_WIN,
		.win_shift_from = 2, .win_shift_to = 7,
	};
	struct pkt base, p;
	unsigned int u, zero_before = 0, zero_after = 0;

	pkt_build(&base, v6, opt, sizeof(opt), 33, 0xfffffff0, 0x00000010,
		  RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1000);
	for (u = 0; u <= 0xffff; u++) {
		uint16_t c;

		memcpy(&p, &base, sizeof(p));
		pkt_th(&p)->tcp_urp = rte_cpu_to_be_16((uint16_t)u);
		pkt_fix_cksum(&p);
		zero_before += pkt_th(&p)->cksum == 0;
		assert_int_not_equal(pkt_th(&p)->cksum, 0xffff);
		if (dir)
			assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), p.hlen, &a), 0);
		else
			assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), 0);
		c = pkt_th(&p)->cksum;
		zero_after += c == 0;
		if (c != pkt_full_cksum(&p)) {
			print_message("v6 %d dir %d urp %#x: got %#x want %#x\n", v6, dir, u, c,
				      pkt_full_cksum(&p));
			fail();
		}
	}
	assert_true(zero_before >= 1);
	assert_true(zero_after >= 1);
}

static void
test_csum_sweep_all_values(void **state)
{
	(void)state;
	sweep(0, 0);
	sweep(0, 1);
	sweep(1, 0);
	sweep(1, 1);
}

/* A received checksum of 0xffff (the other zero, sent by some stacks) stays valid. */
static void
test_csum_received_ffff(void **state)
{
	static const uint8_t opt[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	const struct seqadj a = { .seq_delta = 12345, .ts_delta = 678, .flags = SEQADJ_TS };
	struct pkt base, p;
	unsigned int u, hits = 0;

	(void)state;
	pkt_build(&base, 0, opt, sizeof(opt), 0, 1000, 2000, RTE_TCP_ACK_FLAG, 100);
	for (u = 0; u <= 0xffff; u++) {
		memcpy(&p, &base, sizeof(p));
		pkt_th(&p)->tcp_urp = rte_cpu_to_be_16((uint16_t)u);
		pkt_fix_cksum(&p);
		if (pkt_th(&p)->cksum != 0)
			continue;
		hits++;
		pkt_th(&p)->cksum = 0xffff;
		assert_int_equal(pkt_verify(&p), 0);
		assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), 0);
		assert_int_equal(pkt_verify(&p), 0);
		assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), p.hlen, &a), 0);
		assert_int_equal(pkt_verify(&p), 0);
		if (hits > 4)
			break;
	}
	assert_true(hits >= 1);
}

/* ---- seqadj ---- */

static void
test_window_table(void **state)
{
	static const struct { uint16_t w; uint8_t from, to; uint16_t want; } t[] = {
		{ 0, 0, 7, 0 },          /* zero stays zero */
		{ 0, 14, 0, 0 },
		{ 1, 0, 7, 1 },          /* never zero from non-zero */
		{ 127, 0, 7, 1 },
		{ 128, 0, 7, 1 },
		{ 256, 0, 7, 2 },
		{ 65535, 0, 14, 3 },
		{ 1, 0, 14, 1 },
		{ 500, 2, 0, 2000 },     /* from > to: grows */
		{ 16383, 2, 0, 65532 },
		{ 16384, 2, 0, 65535 },  /* clamp */
		{ 1000, 7, 0, 65535 },
		{ 3, 14, 0, 49152 },
		{ 4, 14, 0, 65535 },
		{ 65535, 14, 0, 65535 },
		{ 65535, 14, 14, 65535 },
		{ 100, 5, 5, 100 },
		{ 1000, 7, 9, 250 },     /* from < to: shrinks, rounds down */
		{ 1001, 7, 9, 250 },
		{ 1, 3, 9, 1 },
		{ 5, 20, 30, 5 },        /* out-of-range shifts are taken as 14 */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint16_t got = seqadj_window(t[i].w, t[i].from, t[i].to);

		if (got != t[i].want) {
			print_message("w %u from %u to %u: got %u want %u\n", t[i].w, t[i].from,
				      t[i].to, got, t[i].want);
			fail();
		}
	}
	/* exhaustively against the independent formula */
	for (unsigned int from = 0; from <= 14; from++)
		for (unsigned int to = 0; to <= 14; to++)
			for (unsigned int w = 0; w <= 0xffff; w += 1 + (w > 300) * 97)
				assert_int_equal(seqadj_window((uint16_t)w, (uint8_t)from, (uint8_t)to),
						 ref_window((uint16_t)w, from, to));
}

static void
test_window_in_packet(void **state)
{
	const struct seqadj a = { .flags = SEQADJ_WIN, .win_shift_from = 0, .win_shift_to = 7 };
	const struct seqadj noflag = { .win_shift_from = 0, .win_shift_to = 7 };
	struct pkt p;

	(void)state;
	pkt_build(&p, 0, NULL, 0, 10, 1, 2, RTE_TCP_ACK_FLAG, 100);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), 0);
	assert_int_equal(rte_be_to_cpu_16(pkt_th(&p)->rx_win), 1);
	assert_int_equal(pkt_verify(&p), 0);

	pkt_build(&p, 1, NULL, 0, 10, 1, 2, RTE_TCP_ACK_FLAG, 0);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), 0);
	assert_int_equal(rte_be_to_cpu_16(pkt_th(&p)->rx_win), 0);
	assert_int_equal(pkt_verify(&p), 0);

	/* a SYN's window is never scaled */
	pkt_build(&p, 0, NULL, 0, 0, 1, 2, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 29200);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), 0);
	assert_int_equal(rte_be_to_cpu_16(pkt_th(&p)->rx_win), 29200);
	assert_int_equal(pkt_verify(&p), 0);

	/* no flag, no rescale */
	pkt_build(&p, 0, NULL, 0, 0, 1, 2, RTE_TCP_ACK_FLAG, 29200);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &noflag), 0);
	assert_int_equal(rte_be_to_cpu_16(pkt_th(&p)->rx_win), 29200);

	/* the client's window towards the server is never touched */
	pkt_build(&p, 0, NULL, 0, 0, 1, 2, RTE_TCP_ACK_FLAG, 29200);
	assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), p.hlen, &a), 0);
	assert_int_equal(rte_be_to_cpu_16(pkt_th(&p)->rx_win), 29200);
}

static void
random_direction(int dir)
{
	unsigned int iter, with_ts = 0, with_sack = 0, odd_ts = 0;

	for (iter = 0; iter < 20000; iter++) {
		struct pkt p, e;
		struct seqadj a;
		int rc;

		pkt_random(&p, (int)(iter & 1));
		seqadj_random(&a);
		memcpy(&e, &p, sizeof(e));
		with_ts += p.ts_off != 0;
		with_sack += p.nsack != 0;
		odd_ts += p.ts_off & 1;
		if (dir) {
			rc = seqadj_wan_to_lan(pkt_th(&p), p.hlen, &a);
			expect_wan_to_lan(&e, &a);
		} else {
			rc = seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a);
			expect_lan_to_wan(&e, &a);
		}
		if (rc != 0 || pkt_th(&p)->cksum != pkt_th(&e)->cksum ||
		    memcmp(p.frame, e.frame, pkt_len(&e)) != 0) {
			print_message("iteration %u dir %d v6 %d hlen %u plen %u ts %u sack %u/%u "
				      "flags %#x rc %d\n", iter, dir, p.v6, p.hlen, p.plen,
				      p.ts_off, p.sack_off, p.nsack, a.flags, rc);
			assert_same_frame(&p, &e);
			fail();
		}
		assert_int_equal(pkt_verify(&p), 0);
	}
	/* the generator really covers the interesting layouts */
	assert_true(with_ts > 2000);
	assert_true(with_sack > 2000);
	assert_true(odd_ts > 200);
}

static void
test_random_lan_to_wan(void **state)
{
	(void)state;
	random_direction(0);
}

static void
test_random_wan_to_lan(void **state)
{
	(void)state;
	random_direction(1);
}

/*
 * The server's sequence S and TSval V reach the client as S+d and V+td; the
 * client's ack, TSecr and SACK edges referring to them reach the server as
 * S.., V again, whatever the deltas (wrapping included).
 */
static void
test_round_trip(void **state)
{
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 5000; iter++) {
		struct seqadj a = {
			.seq_delta = rnd_u32_edgy(), .ts_delta = rnd_u32_edgy(),
			.flags = SEQADJ_TS | SEQADJ_SACK,
		};
		uint32_t s = rnd_u32_edgy(), v = rnd_u32_edgy(), cseq = rnd();
		uint32_t cts = rnd(), s_client, v_client;
		uint16_t len = (uint16_t)(1 + rnd() % 1460);
		uint8_t opt[40];
		unsigned int nsack = 1 + rnd() % 3, i;
		struct pkt srv, cli;
		uint8_t *t;

		/* server -> client */
		memset(opt, 0, sizeof(opt));
		opt[0] = 1;
		opt[1] = 1;
		opt[2] = 8;
		opt[3] = 10;
		put32(opt + 4, v);
		put32(opt + 8, cts);
		pkt_build(&srv, (int)(iter & 1), opt, 12, len, s, cseq, RTE_TCP_ACK_FLAG, 500);
		assert_int_equal(seqadj_lan_to_wan(pkt_th(&srv), srv.hlen, &a), 0);
		assert_int_equal(pkt_verify(&srv), 0);
		t = pkt_tcp(&srv);
		s_client = get32(t + 4);
		v_client = get32(t + 24);
		assert_int_equal(s_client, s + a.seq_delta);
		assert_int_equal(v_client, v + a.ts_delta);
		assert_int_equal(get32(t + 8), cseq);   /* client space: untouched */
		assert_int_equal(get32(t + 28), cts);

		/* client -> server: acks the segment, SACKs some later ranges */
		put32(opt + 4, cts + 1);
		put32(opt + 8, v_client);
		opt[12] = 1;
		opt[13] = 1;
		opt[14] = 5;
		opt[15] = (uint8_t)(2 + 8 * nsack);
		for (i = 0; i < nsack; i++) {
			put32(opt + 16 + 8 * i, s_client + len + 1000 * (i + 1));
			put32(opt + 20 + 8 * i, s_client + len + 1000 * (i + 1) + 500);
		}
		pkt_build(&cli, (int)(iter & 1), opt, 16 + 8 * nsack, 0, cseq,
			  s_client + len, RTE_TCP_ACK_FLAG, 700);
		assert_int_equal(seqadj_wan_to_lan(pkt_th(&cli), cli.hlen, &a), 0);
		assert_int_equal(pkt_verify(&cli), 0);
		t = pkt_tcp(&cli);
		assert_int_equal(get32(t + 4), cseq);
		assert_int_equal(get32(t + 8), s + len);
		assert_int_equal(get32(t + 24), cts + 1);
		assert_int_equal(get32(t + 28), v);
		for (i = 0; i < nsack; i++) {
			assert_int_equal(get32(t + 36 + 8 * i), s + len + 1000 * (i + 1));
			assert_int_equal(get32(t + 40 + 8 * i), s + len + 1000 * (i + 1) + 500);
		}
		assert_int_equal(rte_be_to_cpu_16(pkt_th(&cli)->rx_win), 700);
	}
}

static void
test_ack_flag_and_flags_off(void **state)
{
	static const uint8_t opt[] = { 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6,
				       1, 1, 5, 10, 0, 0, 0, 100, 0, 0, 0, 200 };
	const struct seqadj all = { .seq_delta = 10, .ts_delta = 3,
				    .flags = SEQADJ_TS | SEQADJ_SACK | SEQADJ_WIN,
				    .win_shift_from = 1 };
	const struct seqadj none = { .seq_delta = 10, .ts_delta = 3 };
	struct pkt p, orig;
	uint8_t *t;

	(void)state;
	/* no ACK flag (a client RST): ack untouched, options still translated */
	pkt_build(&p, 0, opt, sizeof(opt), 0, 1, 0x1234, RTE_TCP_RST_FLAG, 0);
	assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), p.hlen, &all), 0);
	t = pkt_tcp(&p);
	assert_int_equal(get32(t + 8), 0x1234);
	assert_int_equal(get32(t + 28), 3);
	assert_int_equal(get32(t + 36), 90);
	assert_int_equal(get32(t + 40), 190);
	assert_int_equal(pkt_verify(&p), 0);

	/* TS/SACK not negotiated: options left as they are, both ways */
	pkt_build(&p, 1, opt, sizeof(opt), 5, 1, 50, RTE_TCP_ACK_FLAG, 9);
	memcpy(&orig, &p, sizeof(p));
	assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), p.hlen, &none), 0);
	assert_memory_equal(pkt_tcp(&p) + 20, pkt_tcp(&orig) + 20, sizeof(opt));
	assert_int_equal(get32(pkt_tcp(&p) + 8), 40);
	assert_int_equal(pkt_verify(&p), 0);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &none), 0);
	assert_memory_equal(pkt_tcp(&p) + 20, pkt_tcp(&orig) + 20, sizeof(opt));
	assert_int_equal(get32(pkt_tcp(&p) + 4), 11);
	assert_int_equal(pkt_verify(&p), 0);

	/* LAN->WAN never touches SACK blocks or TSecr (client space) */
	pkt_build(&p, 0, opt, sizeof(opt), 5, 1, 50, RTE_TCP_ACK_FLAG, 9);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &all), 0);
	t = pkt_tcp(&p);
	assert_int_equal(get32(t + 24), 8);
	assert_int_equal(get32(t + 28), 6);
	assert_int_equal(get32(t + 36), 100);
	assert_int_equal(get32(t + 40), 200);
	assert_int_equal(get32(t + 8), 50);
	assert_int_equal(rte_be_to_cpu_16(pkt_th(&p)->rx_win), 18);
	assert_int_equal(pkt_verify(&p), 0);
}

/* Two TS options: the last one, which the receiver uses, is translated. */
static void
test_duplicate_ts(void **state)
{
	static const uint8_t opt[] = { 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
				       8, 10, 0, 0, 0, 3, 0, 0, 0, 4 };
	const struct seqadj a = { .ts_delta = 100, .flags = SEQADJ_TS };
	struct pkt p;
	uint8_t *t;

	(void)state;
	pkt_build(&p, 0, opt, sizeof(opt), 0, 1, 2, RTE_TCP_ACK_FLAG, 9);
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), 0);
	t = pkt_tcp(&p);
	assert_int_equal(get32(t + 22), 1);
	assert_int_equal(get32(t + 32), 103);
	assert_int_equal(pkt_verify(&p), 0);
}

struct bad_layout {
	const char *what;
	uint8_t len;
	uint8_t opt[40];
};

static const struct bad_layout bad_layouts[] = {
	{ "len 0", 4, { 30, 0, 1, 1 } },
	{ "len 0 after TS", 16, { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 99, 0, 0, 0 } },
	{ "overrun", 12, { 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 9 } },
	{ "truncated TS", 8, { 1, 1, 8, 10, 0, 0, 0, 1 } },
	{ "TS len 8", 12, { 1, 1, 8, 8, 0, 0, 0, 1, 0, 0, 1, 1 } },
	{ "TS then truncated SACK", 24, { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
					  1, 1, 5, 18, 0, 0, 0, 5, 0, 0, 0, 6 } },
	{ "SACK len 12", 16, { 1, 1, 5, 12, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 0 } },
	{ "lone kind at the end", 12, { 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2 } },
};

static void
test_malformed_options(void **state)
{
	const struct seqadj a = { .seq_delta = 0x10000001, .ts_delta = 77,
				  .flags = SEQADJ_TS | SEQADJ_SACK | SEQADJ_WIN,
				  .win_shift_from = 3, .win_shift_to = 1 };
	unsigned int i, v6;

	(void)state;
	for (i = 0; i < sizeof(bad_layouts) / sizeof(bad_layouts[0]); i++) {
		const struct bad_layout *b = &bad_layouts[i];

		for (v6 = 0; v6 < 2; v6++) {
			struct pkt p, orig;
			uint8_t *t;

			print_message("  malformed: %s (v6 %u)\n", b->what, v6);
			pkt_build(&p, (int)v6, b->opt, b->len, 7, 0xfffffff0, 0x5,
				  RTE_TCP_ACK_FLAG, 1000);
			memcpy(&orig, &p, sizeof(p));
			t = pkt_tcp(&p);

			assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a), -1);
			assert_memory_equal(t + 20, pkt_tcp(&orig) + 20, b->len);
			assert_int_equal(get32(t + 4), 0xfffffff0u + 0x10000001u);
			assert_int_equal(get16(t + 14), 4000);
			assert_int_equal(pkt_th(&p)->cksum, pkt_full_cksum(&p));
			assert_int_equal(pkt_verify(&p), 0);

			assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), p.hlen, &a), -1);
			assert_memory_equal(t + 20, pkt_tcp(&orig) + 20, b->len);
			assert_int_equal(get32(t + 8), 0x5u - 0x10000001u);
			assert_int_equal(pkt_th(&p)->cksum, pkt_full_cksum(&p));
			assert_int_equal(pkt_verify(&p), 0);
			/* payload untouched */
			assert_memory_equal(t + p.hlen, pkt_tcp(&orig) + p.hlen, p.plen);
		}
	}
}

/* Random garbage in the option area: never a crash, checksum always right,
 * and either the options were fine (rc 0) or they are left untouched. */
static void
test_garbage_options(void **state)
{
	unsigned int iter, bad = 0;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		uint8_t opt[40];
		unsigned int olen = 4 * (rnd() % 11), i;
		struct pkt p, orig;
		struct seqadj a;
		int rc;

		for (i = 0; i < olen; i++)
			opt[i] = (uint8_t)(rnd() % 3 ? rnd() % 10 : rnd());
		seqadj_random(&a);
		a.flags |= SEQADJ_TS | SEQADJ_SACK;
		pkt_build(&p, (int)(iter & 1), opt, olen, (uint16_t)(rnd() % 64), rnd(), rnd(),
			  rnd_flags(), rnd_win());
		memcpy(&orig, &p, sizeof(p));
		rc = iter & 2 ? seqadj_lan_to_wan(pkt_th(&p), p.hlen, &a)
			      : seqadj_wan_to_lan(pkt_th(&p), p.hlen, &a);
		assert_int_equal(pkt_th(&p)->cksum, pkt_full_cksum(&p));
		if (rc < 0) {
			bad++;
			assert_memory_equal(pkt_tcp(&p) + 20, pkt_tcp(&orig) + 20, olen);
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_true(bad > 1000);
}

static void
test_short_header(void **state)
{
	const struct seqadj a = { .seq_delta = 1, .flags = SEQADJ_TS };
	struct pkt p, orig;

	(void)state;
	pkt_build(&p, 0, NULL, 0, 0, 1, 2, RTE_TCP_ACK_FLAG, 3);
	memcpy(&orig, &p, sizeof(p));
	assert_int_equal(seqadj_lan_to_wan(pkt_th(&p), 16, &a), -1);
	assert_int_equal(seqadj_wan_to_lan(pkt_th(&p), 0, &a), -1);
	assert_memory_equal(p.frame, orig.frame, pkt_len(&p));
}

static void
test_from_flow(void **state)
{
	struct flow_entry f;
	struct seqadj a;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.seq_delta = 0xdeadbeef;
	f.ts_delta = 0x12345678;
	f.flags = FLOW_F_PROXIED | FLOW_F_TS | FLOW_F_SACK | FLOW_F_WIN_ADJ;
	f.lan_wscale = 2;
	f.wan_wscale = 9;
	f.proxy_wscale = 7;
	seqadj_from_flow(&f, &a);
	assert_int_equal(a.seq_delta, 0xdeadbeef);
	assert_int_equal(a.ts_delta, 0x12345678);
	assert_int_equal(a.flags, SEQADJ_TS | SEQADJ_SACK | SEQADJ_WIN);
	assert_int_equal(a.win_shift_from, 2);
	assert_int_equal(a.win_shift_to, 7);

	/* server without wscale counts as 0 */
	f.lan_wscale = TCP_WSCALE_NONE;
	f.flags = FLOW_F_PROXIED | FLOW_F_WIN_ADJ;
	seqadj_from_flow(&f, &a);
	assert_int_equal(a.flags, SEQADJ_WIN);
	assert_int_equal(a.win_shift_from, 0);
	assert_int_equal(a.win_shift_to, 7);

	/* equal scales: nothing to rescale even if flagged */
	f.lan_wscale = 7;
	seqadj_from_flow(&f, &a);
	assert_int_equal(a.flags, 0);

	/* no flags, both NONE */
	f.flags = FLOW_F_PROXIED;
	f.lan_wscale = TCP_WSCALE_NONE;
	f.proxy_wscale = TCP_WSCALE_NONE;
	seqadj_from_flow(&f, &a);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.win_shift_from, 0);
	assert_int_equal(a.win_shift_to, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_fold),
		cmocka_unit_test(test_csum_random_rewrites),
		cmocka_unit_test(test_csum_sweep_all_values),
		cmocka_unit_test(test_csum_received_ffff),
		cmocka_unit_test(test_window_table),
		cmocka_unit_test(test_window_in_packet),
		cmocka_unit_test(test_random_lan_to_wan),
		cmocka_unit_test(test_random_wan_to_lan),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ack_flag_and_flags_off),
		cmocka_unit_test(test_duplicate_ts),
		cmocka_unit_test(test_malformed_options),
		cmocka_unit_test(test_garbage_options),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_from_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
