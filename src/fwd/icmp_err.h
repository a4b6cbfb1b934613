/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icmp_err.h - ICMP and ICMPv6 errors about proxied connections (icmp_err.c).
 *
 * The burst step (synproxy.c) asks icmp_is_error() (icmp_quote.h) about
 * every unfragmented, well-formed ICMP/ICMPv6 frame: one load of the type
 * byte, so echo, neighbour discovery and the like stay on the bridge path.
 * Errors go to icmp_err(), which looks up the quoted connection once.
 */
#ifndef SYNPROXY_FWD_ICMP_ERR_H
#define SYNPROXY_FWD_ICMP_ERR_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "common.h"
#include "icmp_quote.h"
#include "parse.h"
#include "txbuf.h"

struct synproxy_lcore;

/* Translate (icmp_err_translated), bridge untouched (icmp_err_no_flow) or
 * drop (icmp_err_out_of_window) one ICMP error received on `in`. */
void icmp_err(struct synproxy_lcore *sp, struct tx_sink *tx, struct rte_mbuf *m,
	      const struct pkt_meta *mt, enum port_role in);

#endif
