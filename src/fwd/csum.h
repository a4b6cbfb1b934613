/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * csum.h - incremental update of the TCP checksum (RFC 1624) for fields the
 * proxy rewrites in place (sequence numbers, timestamps, SACK edges, window,
 * option blocks).
 *
 * The update is RFC 1624 equation 3:   HC' = ~(~HC + ~m + m')
 * with + the one's complement (end-around carry) sum. Changes are collected
 * in a plain uint32_t "accumulator" (a sum of 16-bit terms, congruent modulo
 * 0xffff to the change of the one's complement sum) and folded into the
 * checksum once per packet, so rewriting six fields costs one fold.
 *
 * Byte order: every value here is taken exactly as it is stored in the packet
 * (network order, loaded with a plain memcpy/load on whatever host). The one's
 * complement sum commutes with byte swapping (RFC 1071 section 2(B)): swapping
 * the bytes of every operand swaps the bytes of the result. So if HC, m and m'
 * are all read the same way, the result is right when stored back the same
 * way, and no rte_be_to_cpu conversion is needed. A 32-bit field is just two
 * 16-bit words of the packet; their order in the sum does not matter.
 *
 * Alignment: the words must sit at even offsets from the TCP header start
 * (the checksum is a sum of 16-bit words of the segment). A field at an odd
 * offset (an option after a single NOP, say) straddles words: its
 * contribution is its even-offset contribution multiplied by 2^8 modulo
 * 0xffff, which is a byte swap of the folded value. Collect such changes in a
 * separate accumulator and pass it through csum_acc_odd() before adding.
 *
 * The 0x0000/0xffff corner: a full recomputation of a TCP checksum
 * (rte_ipv4_udptcp_cksum) folds a sum that is never zero (the pseudo-header
 * holds protocol 6), so the sum S lies in 1..0xffff and the checksum ~S in
 * 0x0000..0xfffe: 0xffff never appears, 0x0000 does. Equation 3 keeps that:
 * ~HC is that same non-zero S, and an end-around carry sum with a non-zero
 * term is never 0, so the new sum is again in 1..0xffff, the one
 * representative of its class, and ~sum equals what a full recomputation
 * gives, bit for bit. (Equation 2, HC - m + m', could produce 0xffff
 * where the recomputation gives 0x0000; that is the bug RFC 1624 fixed.)
 * Only a received checksum of 0xffff (a non-canonical "minus zero" some
 * stacks send) can carry through as 0xffff; it still verifies.
 */
#ifndef SYNPROXY_FWD_CSUM_H
#define SYNPROXY_FWD_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>

/* Fold a 32-bit sum of 16-bit terms to 16 bits with end-around carry. Two
 * rounds suffice: the first leaves at most 0x1fffe, the second at most 0xffff.
 * Never returns 0 for a non-zero input. */
static inline uint16_t
csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Record that a 16-bit word of the packet changed from 'from' to 'to'. */
static inline uint32_t
csum_acc16(uint32_t acc, uint16_t from, uint16_t to)
{
	return acc + (uint16_t)~from + to;
}

/* Record that a 32-bit field (two words) changed from 'from' to 'to'. At most
 * ~16000 calls per accumulator before it could overflow: far beyond any use. */
static inline uint32_t
csum_acc32(uint32_t acc, uint32_t from, uint32_t to)
{
	return acc + (uint16_t)~from + (uint16_t)~(from >> 16) +
		(to & 0xffff) + (to >> 16);
}

/* Record that 'len' bytes changed from old to new. Even length is the normal
 * case; an odd last byte is padded with zero as in the checksum itself, which
 * is right because the other byte of that word does not change. */
static inline uint32_t
csum_acc_block(uint32_t acc, const void *old, const void *new, size_t len)
{
	const uint8_t *o = old, *n = new;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint16_t a, b;

		memcpy(&a, o + i, 2);
		memcpy(&b, n + i, 2);
		acc = csum_acc16(acc, a, b);
	}
	if (len & 1) {
		uint16_t a = 0, b = 0;

		/* byte-order independent: the byte lands where a load would put it */
		memcpy(&a, o + i, 1);
		memcpy(&b, n + i, 1);
		acc = csum_acc16(acc, a, b);
	}
	return acc;
}

/* Turn an accumulator of changes made at odd offsets into one for even
 * offsets (multiply by 2^8 mod 0xffff == swap the bytes of the folded sum). */
static inline uint32_t
csum_acc_odd(uint32_t acc)
{
	uint16_t s = csum_fold(acc);

	return (uint16_t)((s << 8) | (s >> 8));
}

/* Apply an accumulator to a checksum as stored in the packet (RFC 1624 eqn 3). */
static inline uint16_t
csum_apply(uint16_t sum, uint32_t acc)
{
	return (uint16_t)~csum_fold((uint32_t)(uint16_t)~sum + csum_fold(acc));
}

/* The classic one-field helpers. Values as stored in the packet. */
static inline void
csum_replace2(uint16_t *sum, uint16_t from, uint16_t to)
{
	*sum = csum_apply(*sum, csum_acc16(0, from, to));
}

static inline void
csum_replace4(uint16_t *sum, uint32_t from, uint32_t to)
{
	*sum = csum_apply(*sum, csum_acc32(0, from, to));
}

/* A block of bytes at an even offset from the TCP header start changed (an
 * option rewrite): old and new may be any alignment in memory. */
static inline void
csum_replace_block(uint16_t *sum, const void *old, const void *new, size_t len)
{
	*sum = csum_apply(*sum, csum_acc_block(0, old, new, len));
}

/*
 * One's-complement sum of len bytes, read 4 at a time into 64 bits; fold
 * with csum_fold64. Same value as DPDK's __rte_raw_cksum, which in 22.11
 * adds 16 bits per iteration: on the SYN path (verify the SYN, build the
 * SYN-ACK) that loop was the largest single cost in synproxy-bench.
 */
static inline uint64_t
csum_raw(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = buf;

	for (; len >= 4; p += 4, len -= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		sum += v;
	}
	if (len >= 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		sum += v;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t v = 0;
		memcpy(&v, p, 1);   /* byte-order independent, as DPDK does */
		sum += v;
	}
	return sum;
}

static inline uint16_t
csum_fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return csum_fold((uint32_t)s);
}

/*
 * The TCP pseudo header, unfolded: the source and destination addresses
 * (contiguous in both IP headers: addr_len 8 for IPv4, 32 for IPv6), the
 * protocol and the TCP length (header + payload, host order). Add the
 * segment with csum_raw and fold.
 */
static inline uint64_t
csum_tcp_pseudo(const void *addrs, size_t addr_len, uint16_t tcp_len)
{
	return csum_raw(addrs, addr_len, 0) + rte_cpu_to_be_16(tcp_len) +
	       rte_cpu_to_be_16((uint16_t)IPPROTO_TCP);
}

#endif
