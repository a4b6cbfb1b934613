/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_key.h - the one key every per-lcore table uses for a TCP/UDP connection.
 *
 * The proxy knows which port a frame came in on, so it needs no sorting to make
 * both directions meet: the WAN-side endpoint (the client of a proxied
 * connection) always goes first. A frame from the WAN fills wan_* from its
 * source; a frame from the LAN fills wan_* from its destination.
 *
 * IPv4 addresses sit in word 0 with words 1..3 zero. All fields are in network
 * byte order, and every padding byte is zero, so the struct can be hashed and
 * compared as 40 raw bytes.
 */
#ifndef SYNPROXY_FLOW_KEY_H
#define SYNPROXY_FLOW_KEY_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#define FLOW_AF_INET  4
#define FLOW_AF_INET6 6

struct flow_key {
	uint32_t wan_addr[4];
	uint32_t lan_addr[4];
	uint16_t wan_port;
	uint16_t lan_port;
	uint8_t family;   /* FLOW_AF_INET or FLOW_AF_INET6 */
	uint8_t proto;    /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t zero;    /* always 0: keeps memcmp/hash well defined */
};

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must stay 40 bytes");

static inline void
flow_key_v4(struct flow_key *k, uint32_t wan_addr, uint32_t lan_addr,
	    uint16_t wan_port, uint16_t lan_port, uint8_t proto)
{
	/* Whole 8-byte words: the keyed hash and SipHash that read the key
	 * next load 8 bytes at a time, and a load spanning several narrower
	 * stores cannot be forwarded from the store buffer (a stall per word). */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	uint64_t w[5] = { wan_addr, 0, lan_addr, 0,
			  (uint64_t)wan_port | (uint64_t)lan_port << 16 |
			  (uint64_t)FLOW_AF_INET << 32 | (uint64_t)proto << 40 };

	memcpy(k, w, sizeof(w));
#else
	memset(k, 0, sizeof(*k));
	k->wan_addr[0] = wan_addr;
	k->lan_addr[0] = lan_addr;
	k->wan_port = wan_port;
	k->lan_port = lan_port;
	k->family = FLOW_AF_INET;
	k->proto = proto;
#endif
}

static inline void
flow_key_v6(struct flow_key *k, const void *wan_addr, const void *lan_addr,
	    uint16_t wan_port, uint16_t lan_port, uint8_t proto)
{
	memcpy(k->wan_addr, wan_addr, 16);
	memcpy(k->lan_addr, lan_addr, 16);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	/* One 8-byte store for the tail, as in flow_key_v4 (store forwarding). */
	uint64_t tail = (uint64_t)wan_port | (uint64_t)lan_port << 16 |
			(uint64_t)FLOW_AF_INET6 << 32 | (uint64_t)proto << 40;
	memcpy(&k->wan_port, &tail, sizeof(tail));
#else
	k->wan_port = wan_port;
	k->lan_port = lan_port;
	k->family = FLOW_AF_INET6;
	k->proto = proto;
	k->zero = 0;
#endif
}


/* Mask of 32-bit word `word` of an address under a /prefix, network order:
 * what the per-prefix tables (rate limit, caps) keep of a source address. */
static inline uint32_t
flow_prefix_word_mask(unsigned int prefix, unsigned int word)
{
	int bits = (int)prefix - 32 * (int)word;

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return UINT32_MAX;
	return rte_cpu_to_be_32(UINT32_MAX << (32 - bits));
}

#endif
