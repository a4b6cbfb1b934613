/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siphash.c - the general byte-string SipHash-2-4.
 *
 * Whole 8-byte blocks are compressed as they come; the 0..7 trailing bytes
 * are packed little-endian into the final block together with the message
 * length (mod 256) in its top byte, as the specification requires. The
 * per-packet callers use the word-based inline form in siphash.h instead.
 */
#include "syncookie/siphash.h"

uint64_t
siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t nblocks = len / 8;
	size_t tail = len & 7;
	uint64_t k[2];
	uint64_t v0, v1, v2, v3, m, b;
	size_t i;

	siphash24_key_load(k, key);
	v0 = k[0] ^ UINT64_C(0x736f6d6570736575);
	v1 = k[1] ^ UINT64_C(0x646f72616e646f6d);
	v2 = k[0] ^ UINT64_C(0x6c7967656e657261);
	v3 = k[1] ^ UINT64_C(0x7465646279746573);

	for (i = 0; i < nblocks; i++, p += 8) {
		m = siphash24_load_le64(p);
		v3 ^= m;
		SIPHASH_ROUND(v0, v1, v2, v3);
		SIPHASH_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}

	b = (uint64_t)(len & 0xff) << 56;
	for (i = 0; i < tail; i++)
		b |= (uint64_t)p[i] << (8 * i);

	v3 ^= b;
	SIPHASH_ROUND(v0, v1, v2, v3);
	SIPHASH_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPHASH_ROUND(v0, v1, v2, v3);
	SIPHASH_ROUND(v0, v1, v2, v3);
	SIPHASH_ROUND(v0, v1, v2, v3);
	SIPHASH_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
