/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siphash.h - SipHash-2-4 (Aumasson & Bernstein): a keyed PRF with a 128-bit
 * key and a 64-bit output, used wherever an attacker must not be able to
 * predict or forge a value (SYN cookies, rate-limiter bucket placement).
 *
 * Two entry points:
 *  - siphash24(): the general byte-string form, exactly as the paper defines
 *    it (key and message read little-endian). Used by tests and cold paths.
 *  - siphash24_words(): the same function over a message that is already a
 *    whole number of 64-bit words. With a constant word count the compiler
 *    unrolls it completely, which is what the per-packet paths want; the
 *    cookie uses the 6-word (48-byte) wrapper siphash24_6w().
 *
 * For a message of n words, siphash24_words(k, w, n) equals siphash24() of
 * the same 8n bytes when the words were loaded little-endian (see
 * siphash24_load_le64()), so one set of test vectors checks both.
 */
#ifndef SYNPROXY_SIPHASH_H
#define SYNPROXY_SIPHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#define SIPHASH_KEY_LEN 16

static inline uint64_t
siphash_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

/* One SipRound on the four-word state. */
#define SIPHASH_ROUND(v0, v1, v2, v3) do {				\
	(v0) += (v1); (v1) = siphash_rotl((v1), 13); (v1) ^= (v0);	\
	(v0) = siphash_rotl((v0), 32);					\
	(v2) += (v3); (v3) = siphash_rotl((v3), 16); (v3) ^= (v2);	\
	(v0) += (v3); (v3) = siphash_rotl((v3), 21); (v3) ^= (v0);	\
	(v2) += (v1); (v1) = siphash_rotl((v1), 17); (v1) ^= (v2);	\
	(v2) = siphash_rotl((v2), 32);					\
} while (0)

/* Read 8 bytes as a little-endian word, whatever the alignment and the CPU. */
static inline uint64_t
siphash24_load_le64(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return rte_le_to_cpu_64(w);
}

/*
 * SipHash-2-4 over n whole 64-bit words; key[0]/key[1] are k0/k1 (the
 * little-endian halves of the 16-byte key). The final block is just the
 * length byte (8n mod 256) in the top byte, since there is no tail.
 */
static inline uint64_t
siphash24_words(const uint64_t key[2], const uint64_t *w, unsigned int n)
{
	uint64_t v0 = key[0] ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = key[1] ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = key[0] ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = key[1] ^ UINT64_C(0x7465646279746573);
	uint64_t b = (uint64_t)((n * 8) & 0xff) << 56;
	unsigned int i;

	for (i = 0; i < n; i++) {
		v3 ^= w[i];
		SIPHASH_ROUND(v0, v1, v2, v3);
		SIPHASH_ROUND(v0, v1, v2, v3);
		v0 ^= w[i];
	}
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

/* The cookie input: flow_key (40 bytes) + client ISN + period = 6 words. */
static inline uint64_t
siphash24_6w(const uint64_t key[2], const uint64_t w[6])
{
	return siphash24_words(key, w, 6);
}

/* Load a 16-byte key (as the paper writes it) into k0/k1. */
static inline void
siphash24_key_load(uint64_t out[2], const uint8_t key[SIPHASH_KEY_LEN])
{
	out[0] = siphash24_load_le64(key);
	out[1] = siphash24_load_le64(key + 8);
}

/* General SipHash-2-4 over any byte string. */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

#endif
