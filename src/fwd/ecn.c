/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ecn.c - scrubbing the ECN marks of a connection whose ends disagree (see
 * ecn.h for when and why). Called only for such connections; the learned
 * table keeps them few: a server's first connection, its re-probes, and
 * servers that changed their mind.
 *
 * Both rewrites patch 16-bit words at even offsets: the IPv4 word holding
 * version/IHL and TOS (offset 0 of the header), and the TCP word holding the
 * data offset and the flags (offset 12).
 */
#include <string.h>

#include <rte_ip.h>

#include "fwd/csum.h"
#include "fwd/ecn.h"

enum ecn_verdict
ecn_scrub(uint8_t *l3, bool ipv4, struct rte_tcp_hdr *th, uint16_t plen)
{
	/* The ECN field: IPv4 TOS byte 1; IPv6 byte 1 bits 5..4 (the traffic
	 * class straddles the first two bytes). */
	uint8_t shift = ipv4 ? 0 : 4;
	uint8_t ip_ecn = (l3[1] >> shift) & ECN_IP_MASK;
	uint8_t tcp_ecn = th->tcp_flags & ECN_SETUP_FLAGS;

	if (ip_ecn == ECN_IP_CE && plen != 0)
		return ECN_CE_DROP;
	if (ip_ecn == 0 && tcp_ecn == 0)
		return ECN_KEPT;
	if (ip_ecn != 0) {
		uint16_t old, new;

		memcpy(&old, l3, 2);
		l3[1] &= (uint8_t)~(ECN_IP_MASK << shift);
		memcpy(&new, l3, 2);
		if (ipv4) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
			csum_replace2(&ip->hdr_checksum, old, new);
		}
	}
	if (tcp_ecn != 0) {
		uint8_t *w = (uint8_t *)th + 12;   /* data offset, flags */
		uint16_t old, new;

		memcpy(&old, w, 2);
		th->tcp_flags &= (uint8_t)~ECN_SETUP_FLAGS;
		memcpy(&new, w, 2);
		csum_replace2(&th->cksum, old, new);
	}
	return ECN_CLEARED;
}
