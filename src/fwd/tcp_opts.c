/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_opts.c - TCP option parser and SYN/SYN-ACK option writer.
 *
 * The parser is one pass over at most 40 bytes. Each step reads the kind;
 * EOL ends the walk, NOP advances one byte, anything else must have a length
 * byte inside the area, a length >= 2 that does not run past the end, and,
 * for the kinds we interpret, exactly the length the RFCs define. Only then
 * is the option's body read, so a hostile header can make us return -1 but
 * never read past tcp_hdr_len. Multi-byte fields are read with memcpy: the
 * options have no alignment guarantee.
 *
 * The writer produces the Linux layout, all words complete:
 *   MSS          02 04 mm mm
 *   SACKOK + TS  04 02 08 0a <tsval> <tsecr>   (01 01 08 0a ... without SACKOK)
 *   SACKOK alone 01 01 04 02
 *   WS           01 03 03 ws
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "fwd/tcp_opts.h"

static inline void
tcp_opts_reset(struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->wscale = TCP_WSCALE_NONE;
}

static inline uint32_t
ld_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline void
st_be32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, sizeof(v));
}

/* The word NOP NOP TS(10) as it appears on the wire. */
#define TS_LEAD_WORD \
	((uint32_t)TCP_OPT_NOP << 24 | (uint32_t)TCP_OPT_NOP << 16 | \
	 (uint32_t)TCP_OPT_TS << 8 | TCP_OLEN_TS)

int
tcp_opts_parse(const struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, struct tcp_opts *o)
{
	const uint8_t *p = (const uint8_t *)(th + 1);
	uint32_t len, i = 0;

	tcp_opts_reset(o);
	if (unlikely(tcp_hdr_len < TCP_HDR_MIN_LEN || tcp_hdr_len > TCP_HDR_MAX_LEN))
		return -1;
	len = tcp_hdr_len - TCP_HDR_MIN_LEN;

	/* Fast path: the timestamp-only data segment, and the start of TS+SACK. */
	if (likely(len >= 12) && ld_be32(p) == TS_LEAD_WORD) {
		o->ts_present = 1;
		o->ts_off = TCP_HDR_MIN_LEN + 2;
		o->tsval = ld_be32(p + 4);
		o->tsecr = ld_be32(p + 8);
		i = 12;
	}

	while (i < len) {
		uint8_t kind = p[i];
		uint32_t olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (unlikely(len - i < 2))
			goto bad; /* kind byte without its length */
		olen = p[i + 1];
		if (unlikely(olen < 2 || olen > len - i))
			goto bad;

		switch (kind) {
		case TCP_OPT_MSS:
			if (unlikely(olen != TCP_OLEN_MSS))
				goto bad;
			o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
			o->mss_present = 1;
			break;
		case TCP_OPT_WS:
			if (unlikely(olen != TCP_OLEN_WS))
				goto bad;
			o->wscale = RTE_MIN(p[i + 2], (uint8_t)TCP_WSCALE_MAX);
			break;
		case TCP_OPT_SACK_PERM:
			if (unlikely(olen != TCP_OLEN_SACK_PERM))
				goto bad;
			o->sack_perm = 1;
			break;
		case TCP_OPT_SACK:
			/* 1..4 blocks; 4 only fits without TS, the 40-byte bound covers that */
			if (unlikely(olen < 2 + TCP_OLEN_SACK_BLK ||
				     (olen - 2) % TCP_OLEN_SACK_BLK != 0))
				goto bad;
			o->sack_off = (uint8_t)(TCP_HDR_MIN_LEN + i);
			o->sack_len = (uint8_t)olen;
			o->nsack = (uint8_t)((olen - 2) / TCP_OLEN_SACK_BLK);
			break;
		case TCP_OPT_TS:
			if (unlikely(olen != TCP_OLEN_TS))
				goto bad;
			o->ts_present = 1;
			o->ts_off = (uint8_t)(TCP_HDR_MIN_LEN + i);
			o->tsval = ld_be32(p + i + 2);
			o->tsecr = ld_be32(p + i + 6);
			break;
		default:
			break; /* unknown kinds are skipped by their length */
		}
		i += olen;
	}
	return 0;

bad:
	tcp_opts_reset(o);
	return -1;
}

static uint8_t
tcp_opts_write(uint8_t *opt, const struct tcp_synack_opts *o, uint32_t tsecr)
{
	uint8_t *p = opt;

	if (o->mss != 0) {
		p[0] = TCP_OPT_MSS;
		p[1] = TCP_OLEN_MSS;
		p[2] = (uint8_t)(o->mss >> 8);
		p[3] = (uint8_t)o->mss;
		p += 4;
	}
	if (o->ts) {
		/* SACKOK fills the two bytes that would otherwise be NOP padding */
		p[0] = o->sack_perm ? TCP_OPT_SACK_PERM : TCP_OPT_NOP;
		p[1] = o->sack_perm ? TCP_OLEN_SACK_PERM : TCP_OPT_NOP;
		p[2] = TCP_OPT_TS;
		p[3] = TCP_OLEN_TS;
		st_be32(p + 4, o->tsval);
		st_be32(p + 8, tsecr);
		p += 12;
	} else if (o->sack_perm) {
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_NOP;
		p[2] = TCP_OPT_SACK_PERM;
		p[3] = TCP_OLEN_SACK_PERM;
		p += 4;
	}
	if (o->wscale != TCP_WSCALE_NONE) {
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_WS;
		p[2] = TCP_OLEN_WS;
		p[3] = RTE_MIN(o->wscale, (uint8_t)TCP_WSCALE_MAX);
		p += 4;
	}
	return (uint8_t)(p - opt);
}

uint8_t
tcp_opts_write_synack(uint8_t *opt, const struct tcp_synack_opts *o)
{
	return tcp_opts_write(opt, o, o->tsecr);
}

uint8_t
tcp_opts_write_syn(uint8_t *opt, const struct tcp_synack_opts *o)
{
	return tcp_opts_write(opt, o, 0);
}
