/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_world.h - the world the fuzzer and its seed generator run the SYN
 * proxy in: EAL (no hugepages, no devices), one mbuf pool, fixed secrets, a
 * synproxy_lcore per input, and the record format both of them speak.
 *
 * Input format (one fuzz input, one seed file):
 *
 *   input  = config record*
 *   config = 1 byte: bits 0-1 mode (0 auto, 1 cookie, 2 cache, 3 auto),
 *            bit 2 rate limit off, bit 3 TX checksum offload on both ports,
 *            bit 4 server probes on (synproxy.probe; fwd/synproxy_probe.c),
 *            other bits ignored
 *   record = ctl:u8  step:u16 little endian  len:u16 little endian  frame[len]
 *     ctl bit 0   the port the frame arrives on: 0 LAN, 1 WAN
 *     ctl bit 1   end the burst after this frame
 *     step        clock advance before this record, in ms; with bit 15 set,
 *                 (step & 0x7fff) seconds instead
 *     len         frame length; 0 = no frame (a clock step only); cut to
 *                 what is left of the input, and to FW_FRAME_MAX
 *   A truncated record header ends the input.
 *
 * Bursts: frames are gathered into one burst (as one rx_burst of one port)
 * until a record ends it (ctl bit 1), comes from the other port, moves the
 * clock, or the burst holds FW_BURST_MAX frames. A burst is parsed with the
 * real parser (pkt_parse_burst) and handed to the real
 * synproxy_process_burst with the clocks; after every burst
 * synproxy_housekeeping runs once, as the worker's loop does, and a clock step
 * of n ms runs it min(1 + n / 50, 20) times (a worker loops thousands of times
 * a ms; 20 calls sweep a whole table of 1024 within the housekeeping budgets,
 * and every timer is 1 s or more). The ms
 * clock starts at FW_T0_MS; the second clock is FW_T0_SEC + elapsed ms /
 * 1000, and the cookie secrets are rotated as the control lcore would when
 * it changes.
 *
 * Determinism: the table hash secret is keyed_hash_set_seed(FW_HASH_SEED),
 * the cookie secrets come from the shared-key derivation with a fixed master
 * key (cookie_secrets_init_keyed) and the input's clocks, and nothing reads
 * a real clock: a recorded transcript, cookie ACK included, replays
 * identically, so seeds start from live flows.
 *
 * Checks: the proxy's output bound (tx.overflow stays 0); after each burst
 * everything it sent is freed (after the tx callback has seen it); at the
 * end of the input, with its flows still live, the pool holds no mbuf but
 * the client SYNs kept by probes in flight (probe_sent less the probes
 * ended; a pending SYN is rebuilt from flow state), and none after the
 * proxy is freed. The probe ISN comes from rte_rand, seeded with
 * FW_HASH_SEED per input. A failed check aborts (a crash for libFuzzer).
 */
#ifndef SYNPROXY_FUZZ_WORLD_H
#define SYNPROXY_FUZZ_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "common.h"
#include "config.h"
#include "txbuf.h"
#include "fwd/synproxy.h"

#define FW_T0_MS      1000000u
#define FW_T0_SEC     100000u
#define FW_HASH_SEED  0x5eedf022u
#define FW_BURST_MAX  32            /* the default burst_size */
#define FW_FRAME_MAX  2048          /* one mbuf's data room: single-segment frames, as RX gives */
#define FW_REC_HDR    5

#define FW_CTL_WAN    0x01
#define FW_CTL_END    0x02
#define FW_STEP_SEC   0x8000u

#define FW_CFG_MODE_MASK 0x03
#define FW_CFG_NO_RL     0x04
#define FW_CFG_OFFLOAD   0x08
#define FW_CFG_PROBE     0x10

/* Called with what the proxy queued on each output port after a burst or a
 * housekeeping call, before it is freed. */
typedef void (*fw_tx_fn)(enum port_role out, struct rte_mbuf *m, void *arg);

struct fw {
	struct rte_mempool *mp;
	struct synproxy_config cfg;
	struct cookie_secrets *secrets;
	struct synproxy_lcore *sp;
	struct tx_sink tx;
	uint32_t now_ms, now_sec;
	struct rte_mbuf *burst[FW_BURST_MAX];
	uint16_t nb;
	enum port_role burst_in;
	fw_tx_fn tx_cb;
	void *tx_arg;
};

/* Once per process: EAL, the pool, the hash seed. 0 or -1. */
int fw_init(void);
/* Start an input: a fresh proxy for this config byte at FW_T0. */
void fw_begin(struct fw *w, uint8_t config, fw_tx_fn cb, void *arg);
/* Feed one record (the frame is copied). */
void fw_record(struct fw *w, uint8_t ctl, uint16_t step, const uint8_t *frame, uint16_t len);
/* End an input: last burst, leak checks, proxy freed. Counters of the
 * input's proxy are copied to stats (may be NULL) before it goes. */
void fw_end(struct fw *w, struct synproxy_stats *stats);
/* A whole input in the format above. */
void fw_run(const uint8_t *data, size_t size, fw_tx_fn cb, void *arg, struct synproxy_stats *stats);

#endif
