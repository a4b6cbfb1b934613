/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_frames.c - template pools and the frames of each connection role
 * (design in bench_frames.h). Setup-time code: clarity over speed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>

#include "pktbuild.h"

#include "bench.h"
#include "bench_frames.h"

int
tpl_pool_init(struct tpl_pool *p, uint32_t cap)
{
	size_t bytes = RTE_ALIGN_CEIL((size_t)cap * TPL_STRIDE, 2u << 20);

	memset(p, 0, sizeof(*p));
	if (cap == 0)
		cap = 1;
	p->data = aligned_alloc(2u << 20, bytes);
	p->len = calloc(cap, sizeof(*p->len));
	if (p->data == NULL || p->len == NULL) {
		tpl_pool_free(p);
		return -1;
	}
	/* Big pools stream from memory: huge pages keep that off the TLB. */
	if (bench_opts.thp)
		madvise(p->data, bytes, MADV_HUGEPAGE);
	p->cap = cap;
	return 0;
}

void
tpl_pool_free(struct tpl_pool *p)
{
	free(p->data);
	free(p->len);
	memset(p, 0, sizeof(*p));
}

void
tpl_pool_shuffle(struct tpl_pool *p, uint64_t *rng)
{
	uint8_t tmp[TPL_STRIDE];

	for (uint32_t i = p->n; i > 1; i--) {
		uint32_t j = (uint32_t)(bench_rand(rng) % i);
		uint16_t l = p->len[i - 1];
		memcpy(tmp, tpl_slot(p, i - 1), TPL_STRIDE);
		memcpy(tpl_slot(p, i - 1), tpl_slot(p, j), TPL_STRIDE);
		memcpy(tpl_slot(p, j), tmp, TPL_STRIDE);
		p->len[i - 1] = p->len[j];
		p->len[j] = l;
	}
}

uint32_t
bf_random_public(uint64_t *rng)
{
	for (;;) {
		uint32_t a = (uint32_t)(bench_rand(rng) >> 16);
		uint8_t top = a >> 24;
		if (top == 0 || top == 10 || top == 127 || top >= 224)
			continue;
		return rte_cpu_to_be_32(a);
	}
}

void
bflow_random(struct bflow *f, uint64_t *rng, uint16_t worker)
{
	uint64_t r = bench_rand(rng);

	memset(f, 0, sizeof(*f));
	f->wan_addr = bf_random_public(rng);
	f->lan_addr = rte_cpu_to_be_32((10u << 24) | ((100u + worker) & 0xff) << 16 | (1u + (r & 63)));
	f->wan_port = (uint16_t)(1024 + (r >> 8) % 64512);
	f->lan_port = (r >> 32) & 1 ? 443 : 80;
	r = bench_rand(rng);
	f->wan_isn = (uint32_t)r;
	f->lan_isn = (uint32_t)(r >> 32);
	r = bench_rand(rng);
	f->wan_ts = (uint32_t)r;
	f->lan_ts = (uint32_t)(r >> 32);
}

/* Linux's SYN layout: MSS, SACK-permitted + TS, NOP + WS (20 bytes). */
static uint8_t
opts_syn(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	uint32_t v = rte_cpu_to_be_32(tsval), e = rte_cpu_to_be_32(tsecr);

	o[0] = 2; o[1] = 4; o[2] = 1460 >> 8; o[3] = 1460 & 0xff;
	o[4] = 4; o[5] = 2;
	o[6] = 8; o[7] = 10;
	memcpy(o + 8, &v, 4);
	memcpy(o + 12, &e, 4);
	o[16] = 1; o[17] = 3; o[18] = 3; o[19] = BF_WSCALE;
	return 20;
}

/* NOP NOP TS (12 bytes), optionally followed by NOP NOP SACK with one block. */
static uint8_t
opts_ts(uint8_t *o, uint32_t tsval, uint32_t tsecr, bool sack, uint32_t left, uint32_t right)
{
	uint32_t v = rte_cpu_to_be_32(tsval), e = rte_cpu_to_be_32(tsecr);

	o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
	memcpy(o + 4, &v, 4);
	memcpy(o + 8, &e, 4);
	if (!sack)
		return 12;
	v = rte_cpu_to_be_32(left);
	e = rte_cpu_to_be_32(right);
	o[12] = 1; o[13] = 1; o[14] = 5; o[15] = 10;
	memcpy(o + 16, &v, 4);
	memcpy(o + 20, &e, 4);
	return 24;
}

uint16_t
bf_tcp(uint8_t *buf, const struct bflow *f, bool from_wan, uint32_t seq, uint32_t ack,
       uint8_t flags, uint16_t win, enum bf_opts opts, uint32_t tsval, uint32_t tsecr,
       uint16_t payload)
{
	uint8_t o[40];
	struct pb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.proto = IPPROTO_TCP;
	memcpy(s.src, from_wan ? &f->wan_addr : &f->lan_addr, 4);
	memcpy(s.dst, from_wan ? &f->lan_addr : &f->wan_addr, 4);
	s.sport = from_wan ? f->wan_port : f->lan_port;
	s.dport = from_wan ? f->lan_port : f->wan_port;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.win = win;
	switch (opts) {
	case BF_O_SYN:
		s.optlen = opts_syn(o, tsval, tsecr);
		break;
	case BF_O_TS:
		s.optlen = opts_ts(o, tsval, tsecr, false, 0, 0);
		break;
	case BF_O_TS_SACK:
		/* SACKs data the other side sent 1000..2000 bytes ahead. */
		s.optlen = opts_ts(o, tsval, tsecr, true, ack + 1000, ack + 2000);
		break;
	default:
		break;
	}
	s.opts = o;
	s.payload = payload;
	return pb_build(buf, &s);
}

uint16_t
bf_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint16_t payload)
{
	struct pb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.proto = IPPROTO_UDP;
	memcpy(s.src, &src, 4);
	memcpy(s.dst, &dst, 4);
	s.sport = sport;
	s.dport = dport;
	s.payload = payload;
	return pb_build(buf, &s);
}

uint16_t
bf_client_syn(uint8_t *buf, const struct bflow *f)
{
	return bf_tcp(buf, f, true, f->wan_isn, 0, RTE_TCP_SYN_FLAG, 64240, BF_O_SYN,
		      f->wan_ts, 0, 0);
}

uint16_t
bf_client_ack(uint8_t *buf, const struct bflow *f)
{
	return bf_tcp(buf, f, true, f->wan_isn + 1, f->cookie + 1, RTE_TCP_ACK_FLAG, 502, BF_O_TS,
		      f->wan_ts + 1, f->synack_ts, 0);
}

uint16_t
bf_server_synack(uint8_t *buf, const struct bflow *f)
{
	return bf_tcp(buf, f, false, f->lan_isn, f->wan_isn + 1,
		      RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 65160, BF_O_SYN, f->lan_ts, f->wan_ts + 1, 0);
}

uint16_t
bf_client_data(uint8_t *buf, const struct bflow *f, bool sack)
{
	return bf_tcp(buf, f, true, f->wan_isn + 1, f->cookie + 1,
		      RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 502, sack ? BF_O_TS_SACK : BF_O_TS,
		      f->wan_ts + 2, f->synack_ts, BF_PAYLOAD);
}

uint16_t
bf_server_data(uint8_t *buf, const struct bflow *f)
{
	/* acks the handshake only: replayed in any order, it never acknowledges
	 * client data the proxy has not seen yet (that is dropped: RFC 5961 §5) */
	return bf_tcp(buf, f, false, f->lan_isn + 1, f->wan_isn + 1,
		      RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 509, BF_O_TS, f->lan_ts + 1, f->wan_ts + 2,
		      BF_PAYLOAD);
}

uint16_t
bf_client_rst(uint8_t *buf, const struct bflow *f)
{
	return bf_tcp(buf, f, true, f->wan_isn + 1 + BF_PAYLOAD, f->cookie + 1,
		      RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, BF_O_NONE, 0, 0, 0);
}
