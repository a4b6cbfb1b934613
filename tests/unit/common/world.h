/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * world.h - the world a SYN proxy unit test runs in: EAL (no hugepages, no
 * devices), an mbuf pool, cookie secrets, one synproxy_lcore made from a
 * config the test tweaks, the transmit sink it writes into, and the two
 * clocks it is given.
 *
 * The proxy is called exactly as the worker calls it, with world.tx and the
 * world's clocks: a test moves time by changing world.now_ms / now_sec (and
 * rotating the secrets as the control lcore would), never by sleeping.
 * Nothing is flushed: what the proxy sends stays in world.tx.q[role].
 *
 * world_end() frees what is queued and the lcore (with its pending SYN
 * copies) and asserts the pool is back to zero mbufs in use, so a leak on
 * any path fails the test that took it.
 */
#ifndef SYNPROXY_TEST_WORLD_H
#define SYNPROXY_TEST_WORLD_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "config.h"
#include "parse.h"
#include "txbuf.h"
#include "fwd/synproxy.h"

#define WORLD_T0_MS   1000000u   /* ms clock at the start of a test */
#define WORLD_T0_SEC  100000u    /* second clock at the start of a test */

struct world {
	struct rte_mempool *mp;
	struct synproxy_config cfg;
	struct cookie_secrets *secrets;
	struct synproxy_lcore *sp;
	struct tx_sink tx;             /* what the proxy sent, by output port */
	uint16_t port[ROLE_MAX];       /* mbuf->port of frames received on each role */
	bool tx_offload[ROLE_MAX];     /* handed to synproxy_lcore_create */
	uint32_t now_ms, now_sec;      /* the clocks the proxy is given */
};

extern struct world world;

typedef void (*world_tweak_fn)(struct cfg_synproxy *c);

/* cmocka group setup/teardown: EAL init and cleanup. */
int world_eal_setup(void **state);
int world_eal_teardown(void **state);

/* A fresh world: defaults, small tables (1024), mode, then tweak. */
void world_start(enum cfg_synproxy_mode mode, world_tweak_fn tweak);
/* End of a test: everything freed, and no mbuf may be left in use. */
void world_end(void);
/* Per-test teardown, also after a failure (which may have leaked): release. */
int world_teardown(void **state);

/* Frames received on a role: parsed and given to the proxy. */
void world_rx(enum port_role in, struct rte_mbuf **pkts, uint16_t n);
/* Free every frame queued on the sink. */
void world_tx_drop(void);
/* One housekeeping call at the current clock. */
void world_housekeeping(void);
/* Move the second clock to t, rotating the secrets as the control lcore would. */
void world_set_sec(uint32_t t);

#endif
