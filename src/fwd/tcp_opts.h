/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_opts.h - reading and writing the TCP options the proxy cares about.
 *
 * Parsing: tcp_opts_parse() walks the option area of a header in any order
 * and records MSS, window scale, SACK-permitted, timestamps and the SACK
 * block option. It records where TS and SACK sit (offsets from the TCP header
 * start) so the translation code (seqadj.c) can patch them in place. Input is
 * hostile: every length is checked against the header before a byte is read,
 * and a malformed area (length < 2, an option running past the header, a
 * known kind with the wrong length) makes the whole parse fail with -1 and an
 * empty result, so callers never act on half of a broken header. Bytes after
 * EOL are ignored. A kind seen twice keeps its last instance, as the Linux
 * and BSD receivers do; that is the one the end host will act on.
 *
 * The common data-segment layout (NOP NOP TS first, Linux and BSD send it on
 * every segment once timestamps are on) is recognised with one 32-bit
 * compare before the generic walk.
 *
 * Writing: tcp_opts_write_synack()/tcp_opts_write_syn() lay options out the
 * way Linux does (MSS, SACK-permitted folded into the TS word when both are
 * present, NOP padding, WS last), so the proxy's SYN-ACKs and SYNs look like
 * an ordinary Linux host's and stay 32-bit aligned.
 */
#ifndef SYNPROXY_FWD_TCP_OPTS_H
#define SYNPROXY_FWD_TCP_OPTS_H

#include <stdint.h>

#include <rte_tcp.h>

#include "common.h"

#define TCP_OPT_EOL        0
#define TCP_OPT_NOP        1
#define TCP_OPT_MSS        2
#define TCP_OPT_WS         3
#define TCP_OPT_SACK_PERM  4
#define TCP_OPT_SACK       5
#define TCP_OPT_TS         8

#define TCP_OLEN_MSS       4
#define TCP_OLEN_WS        3
#define TCP_OLEN_SACK_PERM 2
#define TCP_OLEN_TS        10
#define TCP_OLEN_SACK_BLK  8   /* one SACK block: left and right edge */

#define TCP_HDR_MIN_LEN    20
#define TCP_HDR_MAX_LEN    60
#define TCP_OPTS_MAX_LEN   40
#define TCP_SACK_MAX_BLKS  4   /* 2 + 4 * 8 = 34 bytes, the most that fits */
#define TCP_WSCALE_MAX     14  /* RFC 7323 2.3 */

struct tcp_opts {
	uint16_t mss;          /* host order, valid if mss_present */
	uint8_t wscale;        /* 0..14, TCP_WSCALE_NONE if absent */
	uint8_t sack_perm:1,
		ts_present:1,
		mss_present:1;
	uint32_t tsval, tsecr; /* host order, valid if ts_present */
	uint8_t ts_off;        /* offset of the TS option's kind byte from the TCP header start, 0 if none */
	uint8_t sack_off;      /* offset of the SACK option's kind byte, 0 if none */
	uint8_t sack_len;      /* its length byte: 2 + 8 * nsack */
	uint8_t nsack;         /* SACK blocks, 0..4 */
};

/*
 * Parse the options of a TCP header of tcp_hdr_len bytes (data offset * 4;
 * the caller guarantees that many bytes are readable). Returns 0, or -1 for
 * a malformed option area or a tcp_hdr_len outside 20..60; on -1, *o is
 * reset to "no options". A window scale above 14 is clamped to 14.
 */
int tcp_opts_parse(const struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, struct tcp_opts *o);

/* What the proxy puts in the SYN-ACK to the client and in the SYN to the server. */
struct tcp_synack_opts {
	uint16_t mss;          /* host order; 0 = don't send */
	uint8_t wscale;        /* TCP_WSCALE_NONE = don't send; other values above 14 are sent as 14 */
	uint8_t sack_perm:1,
		ts:1;
	uint32_t tsval, tsecr; /* host order */
};

/*
 * Write the options to opt (room for TCP_OPTS_MAX_LEN bytes) and return their
 * length: a multiple of 4, at most 20. The SYN variant always writes TSecr 0
 * (RFC 7323 3.2: TSecr is meaningless without ACK and should be zero).
 */
uint8_t tcp_opts_write_synack(uint8_t *opt, const struct tcp_synack_opts *o);
uint8_t tcp_opts_write_syn(uint8_t *opt, const struct tcp_synack_opts *o);

#endif
