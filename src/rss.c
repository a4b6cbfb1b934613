/* SPDX-License-Identifier: BSD-3-Clause */
/* rss.c - symmetric RSS setup and the software symmetric hash (see rss.h). */
#include <string.h>
#include <netinet/in.h>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "common.h"
#include "flow/keyed_hash.h"
#include "icmp_quote.h"
#include "rss.h"

const char *
steer_mode_name(enum steer_mode m)
{
	switch (m) {
	case STEER_HW_KEY: return "hardware-rss";
	case STEER_HW_FLOW: return "hardware-rss-flow";
	case STEER_SW: return "software";
	default: return "single-queue";
	}
}

void
rss_symmetric_key(uint8_t *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

void
rss_build_reta(struct rte_eth_rss_reta_entry64 *conf, uint16_t reta_size, uint16_t nb_queues)
{
	for (uint16_t i = 0; i < reta_size; i++) {
		struct rte_eth_rss_reta_entry64 *e = &conf[i / RTE_ETH_RETA_GROUP_SIZE];
		if (i % RTE_ETH_RETA_GROUP_SIZE == 0)
			e->mask = 0;
		e->mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		e->reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % nb_queues;
	}
}

#define RSS_WANTED (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | \
		    RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_OTHER | \
		    RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | \
		    RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_NONFRAG_IPV6_OTHER | \
		    RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_TCP_EX | RTE_ETH_RSS_IPV6_UDP_EX)
#define RSS_REQUIRED (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP | \
		      RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP)

uint64_t
rss_wanted_types(uint64_t supported)
{
	return RSS_WANTED & supported;
}

bool
rss_port_capable(const struct rte_eth_dev_info *info, uint16_t nb_queues)
{
	if (nb_queues <= 1)
		return true;   /* nothing to place */
	return (info->flow_type_rss_offloads & RSS_REQUIRED) == RSS_REQUIRED &&
	       info->hash_key_size >= 40 && info->hash_key_size <= RSS_KEY_MAX &&
	       info->reta_size > 0 && info->max_rx_queues >= nb_queues;
}

static int
rss_flow_symmetric(uint16_t port_id, uint16_t nb_queues, uint64_t types, char *msg, size_t msglen)
{
	uint16_t queues[RTE_MAX_QUEUES_PER_PORT];
	for (uint16_t i = 0; i < nb_queues; i++)
		queues[i] = i;
	struct rte_flow_action_rss rss = {
		.func = RTE_ETH_HASH_FUNCTION_SYMMETRIC_TOEPLITZ,
		.level = 0,
		.types = types,
		.key_len = 0,
		.queue_num = nb_queues,
		.queue = queues,
	};
	struct rte_flow_attr attr = { .ingress = 1 };
	/* One rule per L3/L4 combination keeps i40e happy: it programs the
	 * hash function per packet type. */
	static const struct {
		enum rte_flow_item_type l3, l4;
		uint64_t types;
	} pats[] = {
		{ RTE_FLOW_ITEM_TYPE_IPV4, RTE_FLOW_ITEM_TYPE_TCP, RTE_ETH_RSS_NONFRAG_IPV4_TCP },
		{ RTE_FLOW_ITEM_TYPE_IPV4, RTE_FLOW_ITEM_TYPE_UDP, RTE_ETH_RSS_NONFRAG_IPV4_UDP },
		{ RTE_FLOW_ITEM_TYPE_IPV6, RTE_FLOW_ITEM_TYPE_TCP, RTE_ETH_RSS_NONFRAG_IPV6_TCP },
		{ RTE_FLOW_ITEM_TYPE_IPV6, RTE_FLOW_ITEM_TYPE_UDP, RTE_ETH_RSS_NONFRAG_IPV6_UDP },
	};
	for (unsigned i = 0; i < RTE_DIM(pats); i++) {
		struct rte_flow_item pattern[] = {
			{ .type = RTE_FLOW_ITEM_TYPE_ETH },
			{ .type = pats[i].l3 },
			{ .type = pats[i].l4 },
			{ .type = RTE_FLOW_ITEM_TYPE_END },
		};
		struct rte_flow_action actions[] = {
			{ .type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &rss },
			{ .type = RTE_FLOW_ACTION_TYPE_END },
		};
		struct rte_flow_error err;
		rss.types = pats[i].types & types;
		if (rte_flow_validate(port_id, &attr, pattern, actions, &err) != 0 ||
		    rte_flow_create(port_id, &attr, pattern, actions, &err) == NULL) {
			snprintf(msg, msglen, "rte_flow symmetric Toeplitz refused: %s",
				 err.message ? err.message : "unknown");
			rte_flow_flush(port_id, &err);
			return -1;
		}
	}
	return 0;
}

enum steer_mode
rss_port_setup(uint16_t port_id, const struct rte_eth_dev_info *info, uint16_t nb_queues,
	       char *msg, size_t msglen)
{
	uint8_t key[RSS_KEY_MAX];
	uint64_t types = rss_wanted_types(info->flow_type_rss_offloads);
	int ret;

	msg[0] = '\0';
	if (strcmp(info->driver_name, "net_i40e") == 0 &&
	    rss_flow_symmetric(port_id, nb_queues, types, msg, msglen) == 0)
		return STEER_HW_FLOW;

	rss_symmetric_key(key, info->hash_key_size);
	struct rte_eth_rss_conf conf = {
		.rss_key = key, .rss_key_len = info->hash_key_size, .rss_hf = types,
	};
	ret = rte_eth_dev_rss_hash_update(port_id, &conf);
	if (ret != 0) {
		snprintf(msg, msglen, "RSS key update failed: %s", rte_strerror(-ret));
		return STEER_NONE;
	}
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t rsz = RTE_MIN(info->reta_size, (uint16_t)RTE_ETH_RSS_RETA_SIZE_512);
	memset(reta, 0, sizeof(reta));
	rss_build_reta(reta, rsz, nb_queues);
	ret = rte_eth_dev_rss_reta_update(port_id, reta, rsz);
	if (ret != 0) {
		snprintf(msg, msglen, "RETA update failed: %s", rte_strerror(-ret));
		return STEER_NONE;
	}
	return STEER_HW_KEY;
}

/*
 * Hash two endpoints in a canonical order, the smaller (address, port) first,
 * so both directions give the same value; keyed (keyed_hash.h, domain STEER),
 * so nobody can compute sources that all land on one worker. nw is the
 * address size in 32-bit words (1 or 4); the last word says which.
 */
static inline uint32_t
hash_endpoints(const void *a, const void *b, unsigned int nw, uint16_t pa, uint16_t pb)
{
	uint32_t x[2 * 4 + 2];
	int c = memcmp(a, b, nw * 4);

	if (c > 0 || (c == 0 && pa > pb)) {
		const void *t = a; a = b; b = t;
		uint16_t tp = pa; pa = pb; pb = tp;
	}
	memcpy(x, a, nw * 4);
	memcpy(x + nw, b, nw * 4);
	x[2 * nw] = ((uint32_t)pa << 16) | pb;
	x[2 * nw + 1] = nw;
	return keyed_hash_words(KH_DOM_STEER, x, 2 * nw + 2);
}

/* An ICMP error goes where the TCP connection it quotes goes (the proxy
 * translates it there, fwd/icmp_err.c): the quoted endpoints hash like the
 * connection's own segments, whichever way the quoted one went. */
static bool
hash_icmp_quote(const uint8_t *frame, const struct pkt_meta *m, uint32_t *h)
{
	struct icmp_quote q;

	if (!icmp_quote_tcp(frame, m, &q))
		return false;
	const uint16_t *ports = (const uint16_t *)(frame + q.tcp_off);
	const uint8_t *ip = frame + q.ip_off;
	if (m->l3 == PKT_L3_IPV4)
		*h = hash_endpoints(ip + offsetof(struct rte_ipv4_hdr, src_addr),
				    ip + offsetof(struct rte_ipv4_hdr, dst_addr), 1, ports[0], ports[1]);
	else
		*h = hash_endpoints(ip + offsetof(struct rte_ipv6_hdr, src_addr),
				    ip + offsetof(struct rte_ipv6_hdr, dst_addr), 4, ports[0], ports[1]);
	return true;
}

uint32_t
rss_sw_hash(const uint8_t *frame, const struct pkt_meta *m)
{
	uint16_t sp = 0, dp = 0;
	uint32_t h;

	if (unlikely(icmp_is_error(frame, m)) && hash_icmp_quote(frame, m, &h))
		return h;

	if ((m->flags & (PKT_F_L4 | PKT_F_FRAG | PKT_F_BAD)) == PKT_F_L4 &&
	    (m->l4proto == IPPROTO_TCP || m->l4proto == IPPROTO_UDP)) {
		const uint16_t *ports = (const uint16_t *)(frame + m->l4_off);
		sp = ports[0];
		dp = ports[1];
	}
	if (m->l3 == PKT_L3_IPV4 && !(m->flags & PKT_F_BAD)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(frame + m->l3_off);
		return hash_endpoints(&ip->src_addr, &ip->dst_addr, 1, sp, dp);
	}
	if (m->l3 == PKT_L3_IPV6 && !(m->flags & PKT_F_BAD)) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(frame + m->l3_off);
		return hash_endpoints(ip->src_addr, ip->dst_addr, 4, sp, dp);
	}
	return 0;
}

uint32_t
rss_sw_hash_key(const struct flow_key *k)
{
	if (k->family == FLOW_AF_INET)
		return hash_endpoints(&k->wan_addr[0], &k->lan_addr[0], 1, k->wan_port, k->lan_port);
	return hash_endpoints(k->wan_addr, k->lan_addr, 4, k->wan_port, k->lan_port);
}

uint32_t
rss_toeplitz_key(const struct flow_key *k)
{
	uint8_t key[RSS_KEY_MAX];
	uint32_t in[RTE_THASH_V6_L4_LEN];
	uint32_t ports = (uint32_t)rte_be_to_cpu_16(k->wan_port) << 16 |
			 rte_be_to_cpu_16(k->lan_port);
	unsigned i;

	/* the input of a v4 TCP hash is src, dst, then the two ports in
	 * one word (struct rte_ipv4_tuple); the symmetric key makes the
	 * order of the endpoints irrelevant */
	rss_symmetric_key(key, sizeof(key));
	if (k->family == FLOW_AF_INET) {
		in[0] = rte_be_to_cpu_32(k->wan_addr[0]);
		in[1] = rte_be_to_cpu_32(k->lan_addr[0]);
		in[2] = ports;
		return rte_softrss(in, RTE_THASH_V4_L4_LEN, key);
	}
	for (i = 0; i < 4; i++) {
		in[i] = rte_be_to_cpu_32(k->wan_addr[i]);
		in[4 + i] = rte_be_to_cpu_32(k->lan_addr[i]);
	}
	in[8] = ports;
	return rte_softrss(in, RTE_THASH_V6_L4_LEN, key);
}
