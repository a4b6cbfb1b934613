/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.h - bring the LAN and WAN ports up as the config says.
 *
 * Ports are found by the name the operator wrote (PCI address or vdev name).
 * Each gets one TX queue per worker and, where it can, one RX queue per
 * worker with symmetric RSS; otherwise as many RX queues as it has and the
 * workers steer in software (rss.h). The choice is made for both ports at
 * once so the two placements never disagree.
 */
#ifndef SYNPROXY_PORT_H
#define SYNPROXY_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "common.h"
#include "config.h"
#include "rss.h"

struct port_info {
	uint16_t port_id;
	enum port_role role;
	char name[CFG_NAME_LEN];
	char driver[64];
	uint16_t nb_rxq;
	uint16_t nb_txq;
	enum steer_mode steer;
	char steer_note[160];       /* why this method, for the log and telemetry */
	bool rx_csum_offload;       /* RX L4 checksum flags are trustworthy */
	bool tx_csum_offload;       /* port computes IPv4/TCP checksums on TX */
	bool started;
	struct rte_ether_addr mac;
};

extern struct port_info port_infos[ROLE_MAX];

/* Resolve names to port ids. Returns 0, or -1 with msg set. */
int port_resolve(const struct synproxy_config *cfg, char *msg, size_t msglen);

/* The placement port_setup_all will choose, before any port is configured:
 * *hw = symmetric RSS in hardware, else software steering. Returns 0, or -1
 * with msg set (rss "hardware" on a port that cannot). */
int port_plan_steering(const struct synproxy_config *cfg, uint16_t nb_workers, bool *hw,
		       char *msg, size_t msglen);

/* Configure, start, set up placement and wait for the links. */
int port_setup_all(const struct synproxy_config *cfg, uint16_t nb_workers,
		   struct rte_mempool *mp, char *msg, size_t msglen);

void port_stop_all(void);

/* True when every worker must hash in software. */
bool port_software_steering(void);

#endif
