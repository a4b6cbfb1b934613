/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rss.h - symmetric flow placement, in hardware and in software.
 *
 * Both directions of a TCP/UDP flow must reach the same worker, because only
 * that worker holds the flow's state. Hardware RSS does this with a Toeplitz
 * key whose 16-bit pattern repeats (0x6d5a...): swapping source and
 * destination shifts the input by a multiple of 16 bits, so the hash is
 * unchanged. On i40e the rte_flow RSS action can ask for the symmetric Toeplitz
 * function directly. Both ports get the same key and the same RETA (entry i ->
 * queue i % n), so queue i on the LAN port and queue i on the WAN port see the
 * same flows.
 *
 * Where a port cannot do that (no RSS, fewer queues than workers: af_packet,
 * tap, ring, virtio...), every worker hashes in software and hands frames it
 * does not own to the owner (steer.h). The software hash need not equal the
 * NIC's: the mode is chosen for both ports together, so the two never mix.
 */
#ifndef SYNPROXY_RSS_H
#define SYNPROXY_RSS_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ethdev.h>

#include "parse.h"
#include "flow/flow_key.h"

#define RSS_KEY_MAX 64
#define RSS_SW_RETA_SIZE 256   /* software RETA: a power of two */

enum steer_mode { STEER_NONE = 0, STEER_HW_KEY, STEER_HW_FLOW, STEER_SW };

const char *steer_mode_name(enum steer_mode m);

/* Fill key[len] with the symmetric pattern 0x6d 0x5a repeated. */
void rss_symmetric_key(uint8_t *key, size_t len);

/* RETA: entry i -> queue i % nb_queues, for reta_size entries. */
void rss_build_reta(struct rte_eth_rss_reta_entry64 *conf, uint16_t reta_size, uint16_t nb_queues);

/* RSS hash types we want, masked by what the port supports. */
uint64_t rss_wanted_types(uint64_t supported);

/* Whether a port can place flows symmetrically by itself on nb_queues queues. */
bool rss_port_capable(const struct rte_eth_dev_info *info, uint16_t nb_queues);

/*
 * After rte_eth_dev_start: program key + RETA (ixgbe style) or, for i40e, an
 * rte_flow rule with the symmetric Toeplitz function, falling back to the key.
 * Returns the mode in use, or STEER_NONE on failure (msg filled).
 */
enum steer_mode rss_port_setup(uint16_t port_id, const struct rte_eth_dev_info *info,
			       uint16_t nb_queues, char *msg, size_t msglen);

/*
 * Software symmetric hash of a parsed frame: the two (address, port)
 * endpoints are put in a fixed order before hashing, so swapping source and
 * destination yields the same value. The hash is keyed with the process
 * secret (keyed_hash.h; port setup calls keyed_hash_init() before choosing
 * software steering), so the worker a flow lands on cannot be predicted. Non-TCP/UDP and fragments hash on the
 * addresses alone (fragments carry no ports past the first one), except an
 * ICMP/ICMPv6 error quoting a TCP segment, which hashes like the quoted
 * connection (icmp_quote.h) so the worker holding it can translate it.
 * Non-IP frames hash to 0.
 */
uint32_t rss_sw_hash(const uint8_t *frame, const struct pkt_meta *m);

/* The same value as rss_sw_hash() gives for any frame of the flow k (either
 * direction): where a restored flow goes in software steering. */
uint32_t rss_sw_hash_key(const struct flow_key *k);

/* The Toeplitz hash a NIC computes for the flow k with the symmetric key of
 * rss_symmetric_key() (either direction gives the same): where a restored
 * flow goes in hardware RSS, through the RETA of rss_build_reta(). */
uint32_t rss_toeplitz_key(const struct flow_key *k);

/* The queue a NIC programmed by rss_port_setup (STEER_HW_KEY) picks for
 * hash h: RETA entry h % reta_size, which holds that index % nb_queues. */
static inline uint16_t
rss_reta_queue(uint32_t h, uint16_t reta_size, uint16_t nb_queues)
{
	if (reta_size == 0 || nb_queues == 0)
		return 0;
	return (uint16_t)((h % reta_size) % nb_queues);
}

#endif
