/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_frames.h - template frames for the benchmark.
 *
 * Every scenario builds its frames once, before timing, into a template pool:
 * a flat array of TPL_STRIDE-byte slots, read sequentially by the RX
 * emulation (so the hardware prefetcher hides the source side of the copy,
 * as a NIC's DMA would). Randomness (sources, which flow a packet belongs
 * to) is in the order and content of the slots, never computed per packet.
 *
 * All frames are Ethernet + IPv4 (no options) + TCP or UDP, with correct
 * checksums, built with the unit tests' pktbuild.h. Sizes stay in the
 * 64..100 byte range the issue asks for: SYN 74, handshake ACK 66, data 90
 * (102 with a SACK block), UDP 82.
 *
 * A struct bflow names the two ends of one TCP connection: the WAN end (the
 * client of a proxied connection, the remote peer of a LAN-initiated one)
 * and the LAN end, with both sides' ISNs and timestamp clocks, plus what the
 * proxy told the client (cookie, SYN-ACK TSval) once a handshake ran.
 */
#ifndef SYNPROXY_BENCH_FRAMES_H
#define SYNPROXY_BENCH_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#define TPL_STRIDE     128
#define BF_L3_OFF      14
#define BF_L4_OFF      34
#define BF_PAYLOAD     24
#define BF_WSCALE      7

struct tpl_pool {
	uint8_t *data;       /* cap slots of TPL_STRIDE bytes */
	uint16_t *len;
	uint32_t n, cap;
	uint32_t next;       /* RX emulation cursor */
};

int tpl_pool_init(struct tpl_pool *p, uint32_t cap);
void tpl_pool_free(struct tpl_pool *p);
/* Fisher-Yates over the first n slots. */
void tpl_pool_shuffle(struct tpl_pool *p, uint64_t *rng);

static inline uint8_t *
tpl_slot(const struct tpl_pool *p, uint32_t i)
{
	return p->data + (size_t)i * TPL_STRIDE;
}

/* Commit the frame written at slot n. */
static inline void
tpl_push(struct tpl_pool *p, uint16_t len)
{
	p->len[p->n++] = len;
}

struct bflow {
	uint32_t wan_addr, lan_addr;  /* network order */
	uint16_t wan_port, lan_port;  /* host order */
	uint32_t wan_isn, lan_isn;
	uint32_t wan_ts, lan_ts;      /* the two ends' timestamp clocks */
	uint32_t cookie;              /* ISN of the proxy's SYN-ACK */
	uint32_t synack_ts;           /* TSval of the proxy's SYN-ACK */
	uint8_t ok;
};

/* A random proxied connection: public client, one of 64 servers on 10.(100+w).0.x, port 80/443. */
void bflow_random(struct bflow *f, uint64_t *rng, uint16_t worker);
/* A random public IPv4 address (network order), avoiding 0/8, 10/8, 127/8 and 224/3. */
uint32_t bf_random_public(uint64_t *rng);

/* Generic TCP segment; from_wan picks the direction. opts: BF_O_* */
enum bf_opts { BF_O_NONE, BF_O_SYN, BF_O_TS, BF_O_TS_SACK };
uint16_t bf_tcp(uint8_t *buf, const struct bflow *f, bool from_wan, uint32_t seq, uint32_t ack,
		uint8_t flags, uint16_t win, enum bf_opts opts, uint32_t tsval, uint32_t tsecr,
		uint16_t payload);
uint16_t bf_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		uint16_t payload);

/* The proxied handshake and its aftermath, as the client and server send them. */
uint16_t bf_client_syn(uint8_t *buf, const struct bflow *f);
uint16_t bf_client_ack(uint8_t *buf, const struct bflow *f);      /* uses cookie, synack_ts */
uint16_t bf_server_synack(uint8_t *buf, const struct bflow *f);
uint16_t bf_client_data(uint8_t *buf, const struct bflow *f, bool sack);
uint16_t bf_server_data(uint8_t *buf, const struct bflow *f);
uint16_t bf_client_rst(uint8_t *buf, const struct bflow *f);

/*
 * Put a fresh ack (and TSecr, when the frame starts its options with
 * NOP NOP TS) into a frame made by the builders above, and redo the TCP
 * checksum: how the handshake scenario turns a template into the reply to
 * the SYN-ACK it just got.
 */
static inline void
bf_patch_ack(uint8_t *frame, uint32_t ack, bool ts, uint32_t tsecr)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + BF_L3_OFF);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + BF_L4_OFF);

	th->recv_ack = rte_cpu_to_be_32(ack);
	if (ts) {
		uint32_t v = rte_cpu_to_be_32(tsecr);
		memcpy((uint8_t *)th + 28, &v, 4);   /* 20 + NOP NOP kind len tsval */
	}
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

#endif
