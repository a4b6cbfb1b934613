/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_scen.h - the benchmark scenarios.
 *
 * A scenario is a config tweak, a setup (template frames, and flows
 * established through the real data path where it needs them), a step and a
 * teardown. The step is one worker loop iteration: one emulated RX burst per
 * port the traffic arrives on (LAN first, as worker_poll_once polls), then
 * housekeeping and both TX flushes. The handshake steps run one group of
 * complete handshakes instead (bench_hs.h).
 *
 * Every frame a scenario injects must end on one expected path of the proxy
 * (answered, translated, bridged, or dropped for the reason the scenario is
 * about); bench_path_ok() adds up those counters so a run can prove it
 * measured what it claims to.
 */
#ifndef SYNPROXY_BENCH_SCEN_H
#define SYNPROXY_BENCH_SCEN_H

#include <stdbool.h>

#include "bench.h"

struct scenario {
	const char *name;
	const char *desc;
	bool proxy;              /* false: RX emulation only, no data path */
	bool per_conn;           /* the headline rate counts connections */
	double target;           /* M/s per core (packets or connections), 0 = none */
	void (*tune)(struct synproxy_config *cfg);
	int (*setup)(struct bench_worker *bw);
	void (*step)(struct bench_worker *bw);
	void (*teardown)(struct bench_worker *bw);
};

extern const struct scenario bench_scenarios[];
extern const unsigned bench_nb_scenarios;

/* Frames of a run that took an expected path, from the synproxy counters. */
uint64_t bench_path_ok(const struct synproxy_stats *d);

#endif
