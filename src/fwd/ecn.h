/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ecn.h - ECN (RFC 3168) through the proxy: who is told what in the
 * handshake, and the clean-up of a connection whose two ends did not agree.
 *
 * The proxy answers the client's SYN before the server has said anything,
 * so ECN is negotiated like the other options: from what the server's
 * earlier SYN-ACKs taught (server_opts.h, the ecn bit), and re-asked.
 *
 *   the handshake       client's SYN        server (learned)       SYN-ACK to client   SYN to server
 *                       ECE|CWR (asks)      does ECN               ECE (told yes)      ECE|CWR
 *                       ECE|CWR             no, or unknown         no ECE (told no)    ECE|CWR if wanted
 *                       no ECE|CWR          any                    no ECE (told no)    ECE|CWR if wanted
 *
 * "If wanted": when the server's answer would teach the table something -
 * the server is unknown, or its learned "no" is due for a re-probe
 * (LEARN_REPROBE_MS, synproxy_handshake.c) - whatever the client asked. A
 * server known to do ECN is asked only for clients told yes, one known not
 * to only at its re-probe. "Told yes" must also come back with the client's
 * ACK: the ECN bit of the timestamp cookie or of the SYN cache entry carries
 * it. A client with neither (no timestamps, and no cache entry: cookie mode,
 * or the cache full) is told no - it asked in vain.
 *
 * The server's SYN-ACK answers yes with ECE set and CWR clear (a SYN-ACK
 * with both is a reflector, not an ECN-setup SYN-ACK). Then:
 *
 *   the connection      client told   server answered   what the proxy does
 *                       yes           yes               nothing: ECT, CE, ECE, CWR pass both ways
 *                       no            no                nothing: neither end uses ECN
 *                       yes           no                scrub (FLOW_F_ECN)
 *                       no            yes               scrub (FLOW_F_ECN)
 *
 * Scrubbing, on every later segment both ways: each end agreed ECN with the
 * proxy or not at all, and the other end sees none of its ECN traffic.
 *  - ECT(0) and ECT(1) become Not-ECT (IPv4 TOS / IPv6 traffic class, the
 *    low two bits; the IPv4 header checksum is patched, IPv6 has none).
 *  - CE on a segment that carries data is dropped (ecn_ce_drop): the mark
 *    is a router's congestion signal for a sender that would never hear of
 *    it, and a loss is what that router makes of congestion on Not-ECT
 *    traffic; the sender retransmits and backs off. CE on a segment without
 *    data (no congestion to report on it) becomes Not-ECT like ECT.
 *  - ECE and CWR are cleared in the TCP header.
 * The TCP checksum is patched with an RFC 1624 update (csum.h); the IP ECN
 * bits are in no TCP checksum (the pseudo-header has no TOS).
 */
#ifndef SYNPROXY_FWD_ECN_H
#define SYNPROXY_FWD_ECN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_tcp.h>

#define ECN_SETUP_FLAGS (RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG)
#define ECN_IP_MASK     0x03      /* the ECN field: low bits of the TOS / traffic class */
#define ECN_IP_CE       0x03

/* An ECN-setup SYN: ECE and CWR both set (RFC 3168 6.1.1). */
static inline bool
ecn_syn_asks(uint8_t tcp_flags)
{
	return (tcp_flags & ECN_SETUP_FLAGS) == ECN_SETUP_FLAGS;
}

/* An ECN-setup SYN-ACK: ECE set, CWR clear. */
static inline bool
ecn_synack_agrees(uint8_t tcp_flags)
{
	return (tcp_flags & ECN_SETUP_FLAGS) == RTE_TCP_ECE_FLAG;
}

enum ecn_verdict {
	ECN_KEPT = 0,      /* nothing to clear: the segment goes on as it was */
	ECN_CLEARED,       /* ECT / CE and or ECE / CWR cleared, checksums patched */
	ECN_CE_DROP,       /* CE on data: drop it (nothing was changed) */
};

/*
 * Scrub one segment of a connection whose ends disagree on ECN. l3 is its
 * IPv4 (ipv4) or IPv6 header, th its TCP header, plen its payload bytes.
 */
enum ecn_verdict ecn_scrub(uint8_t *l3, bool ipv4, struct rte_tcp_hdr *th, uint16_t plen);

#endif
