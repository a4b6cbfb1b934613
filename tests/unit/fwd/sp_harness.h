/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sp_harness.h - what the SYN proxy tests share on top of the world
 * (tests/unit/common/world.h): frames written by a test, frames the proxy
 * sent parsed again and checked, and the handshake steps.
 *
 * A connection is a struct conn: both endpoints, what each side offers, and
 * what the proxy answered (its ISN and TSval, the scale it announced), so
 * every later segment can be written in its sender's own sequence space and
 * the translation checked in both directions. view_parse recomputes the IPv4
 * and TCP checksums from scratch for every TCP frame it looks at.
 */
#ifndef SYNPROXY_TEST_SP_HARNESS_H
#define SYNPROXY_TEST_SP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "flow/flow_entry.h"
#include "fwd/synproxy.h"
#include "fwd/tcp_opts.h"
#include "../common/world.h"

#define T0          WORLD_T0_MS   /* ms clock at the start of a test */
#define SWEEP_CALLS 64         /* housekeeping calls: > (1023 slots / budget 64) */
#define SYN_ACK     (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)
#define ACK         RTE_TCP_ACK_FLAG
#define WS_NONE     TCP_WSCALE_NONE
#define ECE_CWR     (RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG)

extern const struct rte_ether_addr cli_mac, srv_mac;

/* TCP options as a test writes them; NOP-padded, 32-bit aligned. */
struct optspec {
	uint16_t mss;              /* 0: no option */
	bool ws_on;
	uint8_t ws;
	bool sack_perm, ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;             /* 0..3 */
	uint32_t sack[6];          /* left, right edges */
};

/* A connection: client on the WAN, server on the LAN. */
struct conn {
	int family;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint8_t nb_vlan, ipv4_optlen, v6_ext;   /* applied to every frame */
	/* client SYN */
	uint32_t client_isn, cli_tsval;
	uint16_t cli_mss;                       /* 0: no option */
	uint8_t cli_ws;                         /* WS_NONE: no option */
	bool cli_sack, cli_ts;
	uint16_t cli_win;                       /* the SYN's window */
	uint16_t cli_ackwin;                    /* later windows (scaled) */
	bool cli_ecn;                           /* an ECN-setup SYN (ECE|CWR) */
	/* the proxy's SYN-ACK */
	uint32_t proxy_isn, proxy_tsval;
	uint16_t proxy_mss;
	uint8_t proxy_ws;
	bool proxy_sack, proxy_ts;
	bool proxy_ecn;                         /* the SYN-ACK carried ECE */
	/* the proxy's SYN to the server */
	struct tcp_opts syn_o;
	bool syn_ecn;                           /* it carried ECE|CWR */
	/* server */
	uint32_t server_isn, srv_tsval;
	uint16_t srv_mss, srv_win;
	uint8_t srv_ws;                         /* WS_NONE: server does not scale */
	bool srv_sack, srv_ts;
	bool srv_ecn;                           /* answers an ECN-setup SYN with ECE */
};

/* A TCP frame the proxy sent, parsed again. */
struct view {
	struct rte_mbuf *m;
	uint8_t *f;
	struct pkt_meta mt;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip4;      /* NULL for IPv6 */
	struct rte_ipv6_hdr *ip6;      /* NULL for IPv4 */
	struct rte_tcp_hdr *th;
	struct tcp_opts o;
	uint32_t seq, ack;
	uint16_t win, plen;
	uint8_t flags;
};

const struct synproxy_stats *st(void);
struct synproxy_occupancy occ(void);
uint32_t nflows(void);
uint32_t nstate(enum flow_state s);
void sweep(void);
void rx(enum port_role in, struct rte_mbuf **pkts, uint16_t n);
void rx1(enum port_role in, struct rte_mbuf *m);
void put32(uint8_t *p, uint32_t v);
uint8_t opts_put(uint8_t *p, const struct optspec *o);
struct optspec ts_opt(uint32_t tsval, uint32_t tsecr);
void conn_init(struct conn *c, int family, uint32_t id);
void set_macs(struct rte_mbuf *m, bool from_client);
struct rte_mbuf *seg_mbuf(const struct conn *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
	 uint16_t win, const struct optspec *o, uint16_t payload);
void seg_in(const struct conn *c, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
       uint16_t win, const struct optspec *o, uint16_t payload);
void expect_tx(uint16_t n_lan, uint16_t n_wan);
struct rte_mbuf *tx_pop(enum port_role r);
bool tcp_sum_ok(const uint8_t *f, const struct pkt_meta *mt);
void check_csums(const struct view *v);
void view_parse(struct rte_mbuf *m, struct view *v);
void view_take(enum port_role r, struct view *v);
void view_free(struct view *v);
void assert_dir(const struct view *v, const struct conn *c, bool to_server);
void assert_clean_l3(const struct view *v);
void assert_payload(const struct view *v, uint16_t n);
void expect_bridged(enum port_role in, struct rte_mbuf *m);
struct optspec conn_syn_opts(const struct conn *c);
void send_syn(const struct conn *c);
void do_syn(struct conn *c, struct view *sa);
void syn_ok(struct conn *c);
void send_ack3(const struct conn *c, uint16_t payload);
void do_ack3(struct conn *c, struct view *syn);
void ack3_ok(struct conn *c);
void send_server_synack(const struct conn *c, uint32_t ack);
void do_server_synack(struct conn *c, struct view *ack, struct view *upd);
void establish(struct conn *c);
bool conn_ts(const struct conn *c);
void check_synack_common(const struct conn *c, const struct view *sa);
void exchange(struct conn *c, uint32_t srv_off, uint32_t cli_off, uint32_t ts_step);
uint16_t server_window_seen(struct conn *c, uint16_t win);
uint16_t default_mss(int family);

#endif
