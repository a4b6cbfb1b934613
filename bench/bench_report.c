/* SPDX-License-Identifier: BSD-3-Clause */
/* bench_report.c - medians, the table and the JSON lines (see bench_report.h). */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "flow/flow_table.h"

#include "bench.h"
#include "bench_report.h"
#include "bench_scen.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3
stat_of(const struct scen_result *r, size_t field_off)
{
	double v[BENCH_MAX_REPEAT];
	struct stat3 s = { 0, 0, 0 };

	if (r->nruns == 0)
		return s;
	for (unsigned i = 0; i < r->nruns; i++)
		memcpy(&v[i], (const char *)&r->runs[i] + field_off, sizeof(double));
	qsort(v, r->nruns, sizeof(double), cmp_double);
	s.min = v[0];
	s.max = v[r->nruns - 1];
	s.med = r->nruns & 1 ? v[r->nruns / 2] : (v[r->nruns / 2 - 1] + v[r->nruns / 2]) / 2;
	return s;
}

#define STAT(r, field) stat_of((r), offsetof(struct run_sample, field))

void
report_finish(struct scen_result *r)
{
	r->median_rate = STAT(r, rate).med;
	r->median_cyc = STAT(r, cyc).med;
}

/* Derived figures shared by the table and the JSON. */
struct derived {
	struct stat3 rate, conn_rate, cyc, emu;
	double ns, dp_cyc, dp_mpps, per_core_dp;   /* per_core_dp: M/s in the headline unit */
	double path_ok, bytes_per_flow;
	const char *verdict;
};

static void
derive(const struct scen_result *r, struct derived *d)
{
	double hz = (double)rte_get_tsc_hz();
	const struct scenario *sc = r->sc;

	memset(d, 0, sizeof(*d));
	d->rate = STAT(r, rate);
	d->conn_rate = STAT(r, conn_rate);
	d->cyc = STAT(r, cyc);
	d->emu = STAT(r, emu_cyc);
	d->ns = d->cyc.med / hz * 1e9;
	d->dp_cyc = d->cyc.med - d->emu.med;
	d->dp_mpps = d->dp_cyc > 0 ? hz / d->dp_cyc / 1e6 : 0;
	if (!sc->proxy)
		d->dp_mpps = 0;
	if (sc->per_conn) {
		/* connections per core with the data path alone */
		double per_core = r->workers ? d->conn_rate.med / r->workers : 0;
		d->per_core_dp = d->dp_cyc > 0 ? per_core * d->cyc.med / d->dp_cyc / 1e6 : 0;
	} else {
		d->per_core_dp = d->dp_mpps;
	}
	d->path_ok = r->pkts ? 100.0 * (double)r->ok / (double)r->pkts : 0;
	d->bytes_per_flow = r->flow_capacity ? (double)r->flow_table_bytes / (double)r->flow_capacity : 0;
	if (sc->target <= 0)
		d->verdict = "-";
	else
		d->verdict = d->per_core_dp >= sc->target ? "ok" : "BELOW";
}

void
report_header(FILE *f)
{
	fprintf(f, "%-22s %2s %8s %17s %7s %7s %6s %7s %7s %7s %6s %8s %6s %6s %6s %9s\n",
		"scenario", "wk", "Mpps", "[min - max]", "ns/pkt", "cyc/pkt", "emu", "dp-cyc",
		"dp-Mpps", "Mconn/s", "path%", "flows", "B/flow", "target", "verdict", "scale");
}

void
report_row(FILE *f, const struct scen_result *r)
{
	struct derived d;
	char range[40], conn[16], scale[16], target[16], flows[16], bpf[16];

	derive(r, &d);
	snprintf(range, sizeof(range), "[%.2f - %.2f]", d.rate.min / 1e6, d.rate.max / 1e6);
	if (r->sc->per_conn)
		snprintf(conn, sizeof(conn), "%.3f", d.conn_rate.med / 1e6);
	else
		snprintf(conn, sizeof(conn), "-");
	if (r->scaling > 0)
		snprintf(scale, sizeof(scale), "%.2f/%.2f", r->scaling, r->cost_scaling);
	else
		snprintf(scale, sizeof(scale), "-");
	if (r->sc->target > 0)
		snprintf(target, sizeof(target), "%g%s", r->sc->target, r->sc->per_conn ? "c" : "");
	else
		snprintf(target, sizeof(target), "-");
	snprintf(flows, sizeof(flows), "%" PRIu64, r->flows_live);
	if (d.bytes_per_flow > 0)
		snprintf(bpf, sizeof(bpf), "%.1f", d.bytes_per_flow);
	else
		snprintf(bpf, sizeof(bpf), "-");
	char dpc[16] = "-", dpm[16] = "-", path[16] = "-";
	if (r->sc->proxy) {
		snprintf(dpc, sizeof(dpc), "%.1f", d.dp_cyc);
		snprintf(dpm, sizeof(dpm), "%.2f", d.dp_mpps);
		snprintf(path, sizeof(path), "%.1f", d.path_ok);
	}
	fprintf(f, "%-22s %2u %8.2f %17s %7.1f %7.1f %6.1f %7s %7s %7s %6s %8s %6s %6s %6s %9s%s%s\n",
		r->sc->name, r->workers, d.rate.med / 1e6, range, d.ns, d.cyc.med, d.emu.med, dpc,
		dpm, conn, path, flows, bpf, target, r->failed ? "FAIL" : d.verdict, scale,
		r->note[0] ? "  " : "", r->note);
}

void
report_json(FILE *f, const char *prefix, const struct scen_result *r)
{
	struct derived d;
	double hz = (double)rte_get_tsc_hz();
	json_t *o = json_object(), *c = json_object();

	derive(r, &d);
	json_object_set_new(o, "scenario", json_string(r->sc->name));
	json_object_set_new(o, "workers", json_integer(r->workers));
	json_object_set_new(o, "runs", json_integer(r->nruns));
	json_object_set_new(o, "unit", json_string(r->sc->per_conn ? "conn" : "pkt"));
	json_object_set_new(o, "packets", json_integer((json_int_t)r->pkts));
	json_object_set_new(o, "connections", json_integer((json_int_t)r->conns));
	json_object_set_new(o, "mpps_median", json_real(d.rate.med / 1e6));
	json_object_set_new(o, "mpps_min", json_real(d.rate.min / 1e6));
	json_object_set_new(o, "mpps_max", json_real(d.rate.max / 1e6));
	json_object_set_new(o, "mpps_per_core", json_real(r->workers ? d.rate.med / 1e6 / r->workers : 0));
	json_object_set_new(o, "mconn_s_median", json_real(d.conn_rate.med / 1e6));
	json_object_set_new(o, "mconn_s_min", json_real(d.conn_rate.min / 1e6));
	json_object_set_new(o, "mconn_s_max", json_real(d.conn_rate.max / 1e6));
	json_object_set_new(o, "ns_per_pkt", json_real(d.ns));
	json_object_set_new(o, "cycles_per_pkt", json_real(d.cyc.med));
	json_object_set_new(o, "rx_emulation_cycles_per_pkt", json_real(d.emu.med));
	json_object_set_new(o, "datapath_cycles_per_pkt", json_real(d.dp_cyc));
	json_object_set_new(o, "datapath_ns_per_pkt", json_real(d.dp_cyc / hz * 1e9));
	json_object_set_new(o, "datapath_mpps_per_core", json_real(d.dp_mpps));
	json_object_set_new(o, "tsc_hz", json_integer((json_int_t)hz));
	json_object_set_new(o, "path_ok_pct", json_real(d.path_ok));
	json_object_set_new(o, "flows_wanted", json_integer(r->flows_wanted));
	json_object_set_new(o, "flows_ok", json_integer(r->flows_ok));
	json_object_set_new(o, "flows_live_worker0", json_integer((json_int_t)r->flows_live));
	json_object_set_new(o, "flow_table_capacity", json_integer((json_int_t)r->flow_capacity));
	json_object_set_new(o, "flow_table_bytes", json_integer((json_int_t)r->flow_table_bytes));
	json_object_set_new(o, "flow_table_bytes_per_flow", json_real(d.bytes_per_flow));
	json_object_set_new(o, "flow_entry_bytes", json_integer((json_int_t)sizeof(struct flow_slot)));
	json_object_set_new(o, "setup_s", json_real(r->setup_s));
	json_object_set_new(o, "anon_huge_mib", json_integer(r->thp_mib));
	json_object_set_new(o, "alloc_fail", json_integer((json_int_t)r->alloc_fail));
	json_object_set_new(o, "preempted", json_integer((json_int_t)r->preempted));
	json_object_set_new(o, "interrupted_pct", json_real(r->run_s > 0 ? 100.0 * r->spike_s / r->run_s : 0));
	json_object_set_new(o, "wall_cycles_per_pkt", json_real(STAT(r, wall_cyc).med));
	if (r->sc->target > 0)
		json_object_set_new(o, "target", json_real(r->sc->target));
	json_object_set_new(o, "verdict", json_string(r->failed ? "FAIL" : d.verdict));
	if (r->scaling > 0) {
		json_object_set_new(o, "scaling", json_real(r->scaling));
		json_object_set_new(o, "cost_scaling", json_real(r->cost_scaling));
	}
#define X(n) if (r->delta.n) json_object_set_new(c, #n, json_integer((json_int_t)r->delta.n));
	SYNPROXY_COUNTERS(X)
#undef X
	json_object_set_new(o, "counters", c);
	if (r->note[0])
		json_object_set_new(o, "note", json_string(r->note));

	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (s != NULL) {
		fprintf(f, "%s%s\n", prefix, s);
		free(s);
	}
	json_decref(o);
}
