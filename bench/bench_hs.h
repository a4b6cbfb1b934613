/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_hs.h - complete proxied handshakes through the real worker step.
 *
 * A group of up to one burst of tuples goes through, in order:
 *
 *   client SYN      (WAN)  -> the proxy answers with cookie SYN-ACKs, queued
 *                             in w->tx.q[ROLE_WAN]; before that buffer is
 *                             flushed the bench reads each SYN-ACK's ISN (the
 *                             cookie) and TSval - what a client would read
 *  [probe SYN-ACK   (LAN)] -> for a server:port the proxy probed first (new,
 *                             or due: once per timeouts.reprobe), the bench's
 *                             server answers the probe, and that client's
 *                             SYN-ACK joins the others
 *   client ACK      (WAN)  -> cookie checked, flow created, SYN to the server
 *                             queued in w->tx.q[ROLE_LAN]; read there too, so
 *                             only tuples that really got a flow go on
 *   server SYN-ACK  (LAN)  -> flow established, ACK to the server and window
 *                             update to the client
 *   [client data    (WAN)] -> translated to the server       (HS_DATA)
 *   [client RST+ACK (WAN)] -> flow closed; the tuple's next SYN recycles it
 *                                                              (HS_RST)
 *
 * Frames come from per-tuple templates; the ACK, data and RST templates get
 * the cookie patched in after the copy (bf_patch_ack). Reading the TX
 * buffers and patching are bench work and are timed as RX emulation.
 */
#ifndef SYNPROXY_BENCH_HS_H
#define SYNPROXY_BENCH_HS_H

#include <stdint.h>

#include "bench.h"
#include "bench_frames.h"

#define HS_DATA 0x1
#define HS_RST  0x2

struct hs_set {
	struct bflow *f;                 /* n tuples */
	struct tpl_pool syn, ack, synack, data, rst;   /* slot i = tuple i */
	uint32_t n, cap;
	uint32_t next;                   /* next tuple of the cycling scenarios */
};

int hs_set_init(struct hs_set *h, uint32_t cap);
void hs_set_free(struct hs_set *h);
/* Add a tuple and build its templates; returns its index. */
uint32_t hs_set_add(struct hs_set *h, const struct bflow *f);

/*
 * Run tuples [first, first + n) (n <= burst) through the handshake.
 * Afterwards f[i].ok says whether tuple i got its flow, f[i].cookie and
 * f[i].synack_ts hold what the proxy answered. Returns the number of
 * tuples that got a flow.
 */
uint16_t hs_group(struct bench_worker *bw, struct hs_set *h, uint32_t first, uint16_t n,
		  unsigned flags);

#endif
