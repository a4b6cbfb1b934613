/* SPDX-License-Identifier: BSD-3-Clause */
/* app.h - the process-wide state the control lcore and telemetry read. */
#ifndef SYNPROXY_APP_H
#define SYNPROXY_APP_H

#include <rte_mempool.h>

#include "config.h"
#include "worker.h"

struct app {
	struct synproxy_config cfg;
	struct worker *workers[MAX_WORKERS];
	uint16_t nb_workers;
	struct rte_mempool *mp;
	uint64_t start_tsc;
};

extern struct app app;

struct synproxy_stats;
struct synproxy_occupancy;

/* telemetry.c */
int telemetry_register(void);
void app_totals(struct bridge_stats *b, struct synproxy_stats *s, struct synproxy_occupancy *o);
/* Control loop: sample the top talkers once per TOP_INTERVAL_S (top.h); free at exit. */
void app_top_tick(void);
void app_top_free(void);

#endif
