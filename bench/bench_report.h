/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_report.h - what one scenario measured, as a table row and a JSON line.
 *
 * Per run and per worker the bench has: frames injected, TSC cycles of the
 * whole loop, and cycles of the RX emulation inside it. A run's rate is the
 * sum of the workers' rates; its cost per frame is the mean of the workers'
 * cycles per frame. Over the repeats the median is reported (min and max for
 * the rate). "dp" columns subtract the emulation: the data path's own cost
 * per frame on one core, and the rate one core would reach with it alone.
 */
#ifndef SYNPROXY_BENCH_REPORT_H
#define SYNPROXY_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fwd/synproxy.h"

#define BENCH_MAX_REPEAT 101

struct scenario;

struct run_sample {
	double rate;          /* frames/s, all workers */
	double conn_rate;     /* connections/s, all workers */
	double cyc;           /* TSC cycles per frame on one core, uninterrupted iterations */
	double wall_cyc;      /* the same over the whole run, interruptions included */
	double emu_cyc;       /* of which RX emulation */
	uint64_t pkts, conns;
};

struct scen_result {
	const struct scenario *sc;
	unsigned workers;
	unsigned nruns;
	struct run_sample runs[BENCH_MAX_REPEAT];
	uint64_t pkts, conns, ok, alloc_fail;
	uint64_t preempted;                   /* involuntary context switches, all runs */
	double run_s;                         /* timed seconds, all runs */
	double spike_s;                       /* of which in interrupted iterations */
	uint64_t spikes;
	struct synproxy_stats delta;          /* all runs, all workers */
	uint64_t flow_capacity, flow_table_bytes, flows_live;   /* worker 0 after setup */
	uint32_t flows_wanted, flows_ok;      /* all workers */
	double setup_s;
	long thp_mib;                         /* AnonHugePages after setup, MiB */
	double scaling;                       /* rate / single-worker rate, 0 = not measured */
	double cost_scaling;                  /* workers * single-worker cyc / cyc: scaling without stolen time */
	double median_rate;                   /* filled by report_finish */
	double median_cyc;
	bool failed;
	char note[200];
};

/* Sort the samples' statistics; call once all runs are in. */
void report_finish(struct scen_result *r);
void report_header(FILE *f);
void report_row(FILE *f, const struct scen_result *r);
/* One JSON object on one line (no prefix). */
void report_json(FILE *f, const char *prefix, const struct scen_result *r);

#endif
