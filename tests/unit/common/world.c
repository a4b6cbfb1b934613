/* SPDX-License-Identifier: BSD-3-Clause */
/* world.c - the SYN proxy unit tests' world (see world.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "world.h"

#define POOL_SIZE 4095

struct world world;

int
world_eal_setup(void **state)
{
	char *argv[] = { "test", "--no-huge", "--no-shconf", "--no-pci", "-l", "0",
			 "--log-level=error" };

	(void)state;
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return -1;
	return 0;
}

int
world_eal_teardown(void **state)
{
	(void)state;
	rte_eal_cleanup();
	return 0;
}

void
world_start(enum cfg_synproxy_mode mode, world_tweak_fn tweak)
{
	struct cfg_synproxy *c = &world.cfg.synproxy;

	memset(&world, 0, sizeof(world));
	config_defaults(&world.cfg);
	c->mode = mode;
	/* The config minimum everywhere: a whole table sweep is 16 calls. */
	c->flow_table_size = 1024;
	c->syn_cache_size = 1024;
	c->learn_table_size = 1024;
	c->ratelimit_table_size = 1024;
	/* SYNs answered at once, with the defaults or what was learned: the
	 * handshake suites test that machinery (what a flood gets, and what a
	 * server that changed gets); test_sp_probe turns probes on. */
	c->probe = false;
	if (tweak != NULL)
		tweak(c);
	world.mp = rte_pktmbuf_pool_create("sp_test", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert_non_null(world.mp);
	world.port[ROLE_LAN] = 0;
	world.port[ROLE_WAN] = 1;
	world.now_ms = WORLD_T0_MS;
	world.now_sec = WORLD_T0_SEC;
	world.secrets = synproxy_secrets_create(&world.cfg, world.now_sec);
	assert_non_null(world.secrets);
	world.sp = synproxy_lcore_create(&world.cfg, world.secrets, 0, 0, world.mp, world.tx_offload);
	assert_non_null(world.sp);
}

void
world_tx_drop(void)
{
	for (int r = 0; r < ROLE_MAX; r++) {
		struct tx_buf *b = &world.tx.q[r];
		if (b->n)
			rte_pktmbuf_free_bulk(b->pkts, b->n);
		b->n = 0;
	}
}

void
world_end(void)
{
	world_tx_drop();
	synproxy_lcore_free(world.sp);
	world.sp = NULL;
	assert_int_equal(rte_mempool_in_use_count(world.mp), 0);
}

int
world_teardown(void **state)
{
	(void)state;
	if (world.mp != NULL)
		world_tx_drop();
	synproxy_lcore_free(world.sp);
	world.sp = NULL;
	rte_free(world.secrets);
	world.secrets = NULL;
	rte_mempool_free(world.mp);
	world.mp = NULL;
	return 0;
}

void
world_rx(enum port_role in, struct rte_mbuf **pkts, uint16_t n)
{
	struct pkt_meta meta[MAX_BURST];

	for (uint16_t i = 0; i < n; i++)
		pkts[i]->port = world.port[in];
	pkt_parse_burst(pkts, meta, n);
	synproxy_process_burst(world.sp, pkts, meta, n, in, &world.tx, world.now_ms, world.now_sec);
	/* The proxy's output bound (synproxy.h): never more than n per queue. */
	assert_int_equal(world.tx.overflow, 0);
}

void
world_housekeeping(void)
{
	synproxy_housekeeping(world.sp, &world.tx, world.now_ms);
	assert_int_equal(world.tx.overflow, 0);
}

void
world_set_sec(uint32_t t)
{
	world.now_sec = t;
	synproxy_secrets_rotate(world.secrets, t);
}
