/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crc_collide.h - IPv4 flow keys that collide under the OLD table hash,
 * rte_hash_crc(key, 40, seed), whatever the seed: what an attacker who has
 * read the code could send. Used by the unit tests (to show the keyed hash
 * spreads them) and by the bench scenario syn-flood-collide.
 *
 * The raw CRC32C register is affine in (seed, data), so for two keys of the
 * same length crc(s, A) ^ crc(s, B) = crc(0, A ^ B): keys differing by D
 * collide under every seed iff crc(0, D) = 0. The attacker picks 48 bits of
 * the key (source address and port); D -> crc(0, D) restricted to those bits
 * is a linear map GF(2)^48 -> GF(2)^32, so its kernel has dimension >= 16.
 * Gaussian elimination over the 48 columns crc(0, e_j) finds a kernel basis;
 * base XOR any combination of the basis is one more member of the class:
 * 2^16 (or more) source address/port pairs with one and the same 32-bit hash.
 *
 * Bit j < 32 is bit j of the address word as stored in the key (network
 * order, loaded as a host uint32_t), bit 32 + j is bit j of the port as
 * stored (network order uint16_t).
 */
#ifndef SYNPROXY_TEST_CRC_COLLIDE_H
#define SYNPROXY_TEST_CRC_COLLIDE_H

#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "flow/flow_key.h"

#define CRC_COLLIDE_BITS 48
#define CRC_COLLIDE_DIM  16     /* kernel vectors used: 65,536 keys per class */

struct crc_collide {
	uint64_t kern[CRC_COLLIDE_BITS];   /* kernel basis, 48-bit differences */
	unsigned int dim;                  /* its dimension (>= 16) */
};

/* The difference pattern d as a 40-byte key (all other bytes zero). */
static inline void
crc_collide_diff_key(struct flow_key *k, uint64_t d)
{
	memset(k, 0, sizeof(*k));
	k->wan_addr[0] = (uint32_t)d;
	k->wan_port = (uint16_t)(d >> 32);
}

/* Kernel of D -> crc(0, D) over the 48 attacker bits. Returns dim. */
static inline unsigned int
crc_collide_init(struct crc_collide *cc)
{
	uint32_t piv_v[32];          /* reduced column with its top bit at i */
	uint64_t piv_c[32];          /* the combination of bits it came from */
	uint32_t have = 0;
	unsigned int j;

	memset(cc, 0, sizeof(*cc));
	for (j = 0; j < CRC_COLLIDE_BITS; j++) {
		struct flow_key k;
		uint64_t c = UINT64_C(1) << j;
		uint32_t v;

		crc_collide_diff_key(&k, c);
		v = rte_hash_crc(&k, sizeof(k), 0);
		while (v != 0) {
			unsigned int top = 31 - (unsigned int)__builtin_clz(v);

			if (!(have & (UINT32_C(1) << top))) {
				have |= UINT32_C(1) << top;
				piv_v[top] = v;
				piv_c[top] = c;
				break;
			}
			v ^= piv_v[top];
			c ^= piv_c[top];
		}
		if (v == 0)
			cc->kern[cc->dim++] = c;
	}
	return cc->dim;
}

/*
 * Member idx (0 .. 2^CRC_COLLIDE_DIM - 1) of the class of (addr, port), both
 * as stored in the key (network order): idx selects kernel vectors.
 */
static inline void
crc_collide_member(const struct crc_collide *cc, uint32_t addr, uint16_t port,
		   uint32_t idx, uint32_t *out_addr, uint16_t *out_port)
{
	uint64_t d = 0;
	unsigned int b;

	for (b = 0; b < CRC_COLLIDE_DIM && b < cc->dim; b++)
		if (idx & (UINT32_C(1) << b))
			d ^= cc->kern[b];
	*out_addr = addr ^ (uint32_t)d;
	*out_port = port ^ (uint16_t)(d >> 32);
}

#endif
