/* SPDX-License-Identifier: BSD-3-Clause */
/* port.c - port discovery, configuration, placement and link wait (see port.h). */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "flow/keyed_hash.h"
#include "port.h"

struct port_info port_infos[ROLE_MAX];

static int
find_port(const char *name, uint16_t *pid)
{
	char alt[CFG_NAME_LEN + 8];

	if (rte_eth_dev_get_port_by_name(name, pid) == 0)
		return 0;
	/* Operators often drop the PCI domain: "03:00.0" for "0000:03:00.0". */
	snprintf(alt, sizeof(alt), "0000:%s", name);
	return rte_eth_dev_get_port_by_name(alt, pid);
}

int
port_resolve(const struct synproxy_config *cfg, char *msg, size_t msglen)
{
	for (unsigned i = 0; i < cfg->nb_ports; i++) {
		const struct cfg_port *cp = &cfg->ports[i];
		enum port_role r = cp->role == CFG_ROLE_LAN ? ROLE_LAN : ROLE_WAN;
		struct port_info *pi = &port_infos[r];
		uint16_t pid;

		if (find_port(cp->name, &pid) != 0) {
			snprintf(msg, msglen,
				 "port '%s' (role %s) was not probed by EAL: give it with -a %s "
				 "(PCI, bound to vfio-pci) or --vdev=%s,... (%u port(s) available)",
				 cp->name, role_name(r), cp->name, cp->name, rte_eth_dev_count_avail());
			return -1;
		}
		memset(pi, 0, sizeof(*pi));
		pi->port_id = pid;
		pi->role = r;
		snprintf(pi->name, sizeof(pi->name), "%s", cp->name);
	}
	if (port_infos[ROLE_LAN].port_id == port_infos[ROLE_WAN].port_id) {
		snprintf(msg, msglen, "the lan and wan roles name the same port");
		return -1;
	}
	return 0;
}

static bool sw_steering;

bool
port_software_steering(void)
{
	return sw_steering;
}

static int
configure_port(struct port_info *pi, const struct cfg_port *cp, const struct synproxy_config *cfg,
	       const struct rte_eth_dev_info *info, uint16_t nb_workers, bool hw,
	       struct rte_mempool *mp, char *msg, size_t msglen)
{
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	pi->nb_txq = nb_workers;
	if (info->max_tx_queues < nb_workers) {
		snprintf(msg, msglen,
			 "port '%s' has %u TX queue(s) but %u workers need one each "
			 "(af_packet: add qpairs=%u to its --vdev; or use fewer lcores)",
			 pi->name, info->max_tx_queues, nb_workers, nb_workers);
		return -1;
	}
	pi->nb_rxq = RTE_MIN(nb_workers, info->max_rx_queues);
	if (cp->rx_queues)
		pi->nb_rxq = RTE_MIN(pi->nb_rxq, cp->rx_queues);
	if (hw && nb_workers > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss_wanted_types(info->flow_type_rss_offloads);
	}
	conf.rxmode.mtu = cfg->mtu;
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
					RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
		pi->rx_csum_offload = (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
	}
	uint64_t tx_ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	if ((info->tx_offload_capa & tx_ck) == tx_ck) {
		conf.txmode.offloads |= tx_ck;
		pi->tx_csum_offload = true;
	}
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	ret = rte_eth_dev_configure(pi->port_id, pi->nb_rxq, pi->nb_txq, &conf);
	if (ret < 0) {
		snprintf(msg, msglen, "port '%s': configure failed: %s", pi->name, rte_strerror(-ret));
		return -1;
	}
	uint16_t nrx = cp->rx_desc, ntx = cp->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(pi->port_id, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(pi->port_id);
	for (uint16_t q = 0; q < pi->nb_rxq; q++) {
		struct rte_eth_rxconf rxc = info->default_rxconf;
		rxc.offloads = conf.rxmode.offloads;
		ret = rte_eth_rx_queue_setup(pi->port_id, q, nrx, socket, &rxc, mp);
		if (ret < 0) {
			snprintf(msg, msglen, "port '%s': rx queue %u: %s", pi->name, q, rte_strerror(-ret));
			return -1;
		}
	}
	for (uint16_t q = 0; q < pi->nb_txq; q++) {
		struct rte_eth_txconf txc = info->default_txconf;
		txc.offloads = conf.txmode.offloads;
		ret = rte_eth_tx_queue_setup(pi->port_id, q, ntx, socket, &txc);
		if (ret < 0) {
			snprintf(msg, msglen, "port '%s': tx queue %u: %s", pi->name, q, rte_strerror(-ret));
			return -1;
		}
	}
	/* The MTU in rte_eth_conf is only a hint for some PMDs. */
	ret = rte_eth_dev_set_mtu(pi->port_id, cfg->mtu);
	if (ret < 0 && ret != -ENOTSUP)
		SP_LOG(WARNING, "port '%s': MTU %u not set: %s", pi->name, cfg->mtu, rte_strerror(-ret));
	return 0;
}

static void
wait_links(uint32_t timeout_ms)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;

	for (;;) {
		bool all_up = true;
		for (int r = 0; r < ROLE_MAX; r++) {
			struct rte_eth_link link;
			memset(&link, 0, sizeof(link));
			if (rte_eth_link_get_nowait(port_infos[r].port_id, &link) < 0 ||
			    link.link_status != RTE_ETH_LINK_UP)
				all_up = false;
		}
		if (all_up || rte_get_timer_cycles() > deadline)
			break;
		rte_delay_ms(100);
	}
	for (int r = 0; r < ROLE_MAX; r++) {
		struct rte_eth_link link;
		char text[RTE_ETH_LINK_MAX_STR_LEN];
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(port_infos[r].port_id, &link);
		rte_eth_link_to_str(text, sizeof(text), &link);
		if (link.link_status == RTE_ETH_LINK_UP)
			SP_LOG(INFO, "port %s '%s': %s", role_name(r), port_infos[r].name, text);
		else
			SP_LOG(WARNING, "port %s '%s': link still down after %u ms, forwarding anyway",
			       role_name(r), port_infos[r].name, timeout_ms);
	}
}

int
port_plan_steering(const struct synproxy_config *cfg, uint16_t nb_workers, bool *hw,
		   char *msg, size_t msglen)
{
	struct rte_eth_dev_info info;
	bool capable[ROLE_MAX];
	int ret;

	for (int r = 0; r < ROLE_MAX; r++) {
		struct port_info *pi = &port_infos[r];
		const struct cfg_port *cp = config_port_by_role(cfg, r == ROLE_LAN ? CFG_ROLE_LAN : CFG_ROLE_WAN);
		ret = rte_eth_dev_info_get(pi->port_id, &info);
		if (ret != 0) {
			snprintf(msg, msglen, "port '%s': no device info: %s", pi->name, rte_strerror(-ret));
			return -1;
		}
		uint16_t want = cp->rx_queues ? cp->rx_queues : nb_workers;
		capable[r] = want >= nb_workers && rss_port_capable(&info, nb_workers);
	}
	/* One placement for both ports: hardware only if both can. */
	if (strcmp(cfg->rss, "software") == 0)
		*hw = false;
	else if (strcmp(cfg->rss, "hardware") == 0) {
		if (!capable[ROLE_LAN] || !capable[ROLE_WAN]) {
			snprintf(msg, msglen, "rss \"hardware\" requested but port '%s' cannot do symmetric RSS on %u queues",
				 port_infos[capable[ROLE_LAN] ? ROLE_WAN : ROLE_LAN].name, nb_workers);
			return -1;
		}
		*hw = true;
	} else
		*hw = capable[ROLE_LAN] && capable[ROLE_WAN];
	return 0;
}

int
port_setup_all(const struct synproxy_config *cfg, uint16_t nb_workers,
	       struct rte_mempool *mp, char *msg, size_t msglen)
{
	struct rte_eth_dev_info info[ROLE_MAX];
	bool capable[ROLE_MAX];
	const struct cfg_port *cports[ROLE_MAX];
	int ret;

	for (int r = 0; r < ROLE_MAX; r++) {
		struct port_info *pi = &port_infos[r];
		cports[r] = config_port_by_role(cfg, r == ROLE_LAN ? CFG_ROLE_LAN : CFG_ROLE_WAN);
		ret = rte_eth_dev_info_get(pi->port_id, &info[r]);
		if (ret != 0) {
			snprintf(msg, msglen, "port '%s': no device info: %s", pi->name, rte_strerror(-ret));
			return -1;
		}
		snprintf(pi->driver, sizeof(pi->driver), "%s", info[r].driver_name);
		uint16_t want = cports[r]->rx_queues ? cports[r]->rx_queues : nb_workers;
		capable[r] = want >= nb_workers && rss_port_capable(&info[r], nb_workers);
	}
	bool hw;
	if (port_plan_steering(cfg, nb_workers, &hw, msg, msglen) != 0)
		return -1;

	for (int r = 0; r < ROLE_MAX; r++) {
		if (configure_port(&port_infos[r], cports[r], cfg, &info[r], nb_workers, hw, mp, msg, msglen))
			return -1;
	}
	for (int r = 0; r < ROLE_MAX; r++) {
		struct port_info *pi = &port_infos[r];
		ret = rte_eth_dev_start(pi->port_id);
		if (ret < 0) {
			snprintf(msg, msglen, "port '%s': start failed: %s", pi->name, rte_strerror(-ret));
			return -1;
		}
		pi->started = true;
		ret = rte_eth_promiscuous_enable(pi->port_id);
		if (ret != 0 && ret != -ENOTSUP)
			SP_LOG(WARNING, "port '%s': promiscuous mode: %s", pi->name, rte_strerror(-ret));
		rte_eth_macaddr_get(pi->port_id, &pi->mac);
	}
	sw_steering = false;
	for (int r = 0; r < ROLE_MAX; r++) {
		struct port_info *pi = &port_infos[r];
		if (nb_workers == 1) {
			pi->steer = STEER_NONE;
			snprintf(pi->steer_note, sizeof(pi->steer_note), "one worker: nothing to place");
		} else if (hw) {
			pi->steer = rss_port_setup(pi->port_id, &info[r], nb_workers,
						   pi->steer_note, sizeof(pi->steer_note));
			if (pi->steer == STEER_NONE) {
				snprintf(msg, msglen, "port '%s': symmetric RSS setup failed: %s",
					 pi->name, pi->steer_note);
				return -1;
			}
			if (pi->steer_note[0] == '\0')
				snprintf(pi->steer_note, sizeof(pi->steer_note),
					 "symmetric Toeplitz on %u queues", nb_workers);
		} else {
			if (keyed_hash_init() < 0) {   /* rss_sw_hash's secret */
				snprintf(msg, msglen, "no randomness for the steering hash secret");
				return -1;
			}
			pi->steer = STEER_SW;
			sw_steering = true;
			snprintf(pi->steer_note, sizeof(pi->steer_note),
				 "%s; %u rx queue(s), symmetric software hash + ring hand-off",
				 !capable[r] ? "port has no symmetric RSS for this many queues"
					     : "other port has no symmetric RSS",
				 pi->nb_rxq);
		}
		SP_LOG(INFO, "port %s '%s' (port %u, driver %s): rxq=%u txq=%u steering=%s (%s), "
		       "rx-csum=%s tx-csum=%s", role_name(r), pi->name, pi->port_id, pi->driver,
		       pi->nb_rxq, pi->nb_txq, steer_mode_name(pi->steer), pi->steer_note,
		       pi->rx_csum_offload ? "hw" : "sw", pi->tx_csum_offload ? "hw" : "sw");
	}
	wait_links(cfg->link_timeout_ms);
	return 0;
}

void
port_stop_all(void)
{
	for (int r = 0; r < ROLE_MAX; r++) {
		struct port_info *pi = &port_infos[r];
		if (!pi->started)
			continue;
		struct rte_flow_error err;
		rte_flow_flush(pi->port_id, &err);
		rte_eth_dev_stop(pi->port_id);
		rte_eth_dev_close(pi->port_id);
		pi->started = false;
	}
}
