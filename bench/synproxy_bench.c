/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * synproxy_bench.c - synproxy-bench: per-core packet rates of the real data path.
 *
 *   synproxy-bench [bench options]                      (EAL arguments chosen for you)
 *   synproxy-bench [EAL options] -- [bench options]
 *
 * Setup is the application's own: config_defaults + config_load_string with
 * two net_null ports named lan and wan, port_resolve, port_setup_all, the
 * mbuf pool, synproxy_secrets_create, and per worker a struct worker and a
 * synproxy_lcore_create. Each scenario then runs on 1 worker (and, with
 * --lcores N, on N workers at once): setup on every worker's own lcore, a
 * start barrier, `repeat` timed runs of the scenario's step, teardown.
 * The main lcore is worker 0, so -l 0-1 gives two workers on two cores.
 *
 * Between runs the main lcore does the control plane's one periodic job,
 * synproxy_secrets_rotate(). Frames are placed as symmetric RSS would place
 * them (each worker sees only its own flows): software steering stays off.
 *
 * Exit status: 0 when every selected scenario ran and at least 99% of its
 * frames took the path the scenario is about (and its flows could be set
 * up); the rate targets are printed, not enforced - they depend on the box.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include "config.h"
#include "port.h"
#include "worker.h"
#include "flow/flow_table.h"
#include "fwd/synproxy.h"
#include "fwd/sp_runtime.h"

#include "bench.h"
#include "bench_report.h"
#include "bench_scen.h"

struct bench_opts bench_opts = {
	.duration_s = 1.0,
	.repeat = 5,
	.lcores = 0,              /* 0: from the EAL lcore list */
	.burst = 32,
	.flows_small = 10000,
	.flows_large = 1000000,
	.pool_frames = 65536,
	.hs_tuples = 16384,
	.thp = true,
	.seed = 0x5eed5eed,
};
struct cookie_secrets *bench_secrets;

static struct synproxy_config base_cfg;
static struct rte_mempool *bench_mp;
static struct bench_worker *bws[BENCH_MAX_WORKERS];
static unsigned nb_bws;

/* ---------------------------------------------------------------- options */

static void
usage(const char *prog)
{
	printf("Usage: %s [bench options]\n"
	       "       %s [EAL options] -- [bench options]\n"
	       "\n"
	       "Drives the worker's real burst step (parse, synproxy, transmit on net_null\n"
	       "ports) with frames copied into mbufs from pre-built templates, and reports\n"
	       "packets per second per core, cycles per packet and the flow table's memory.\n"
	       "\n"
	       "  --scenario LIST  comma-separated names or prefixes (syn-flood selects all\n"
	       "                   syn-flood-*); default all; --list shows them\n"
	       "  --duration SEC   length of one run (default 1.0)\n"
	       "  --packets N      also stop a run after N frames per worker\n"
	       "  --repeat N       runs per scenario; the median is reported (default 5)\n"
	       "  --lcores N       also run every scenario on N workers at once and report\n"
	       "                   the scaling (default: 1, or the EAL lcore count)\n"
	       "  --burst N        RX burst size, 1..%u (default 32)\n"
	       "  --flows N        flows of established-10k and passthrough (default 10000)\n"
	       "  --large-flows N  flows of established-1m (default 1000000)\n"
	       "  --offload        emulate NIC checksum offload (RX verified, TX by the port)\n"
	       "  --policy         configure services (every bench server protected) and\n"
	       "                   allow/deny lists the traffic misses: the policy's cost\n"
	       "  --svc-limits     --policy, and the service every server is in has per-prefix\n"
	       "                   caps of its own (the global values): their cost\n"
	       "  --no-thp         no MADV_HUGEPAGE on template pools and EAL memory\n"
	       "  --seed N         random seed\n"
	       "  --json FILE      write the JSON lines to FILE instead of stdout ('JSON ' prefix)\n"
	       "  --quick          tiny smoke run (CI): short runs, small tables\n"
	       "  --verbose        keep DPDK and synproxy logs\n"
	       "  --list           list the scenarios\n"
	       "\n"
	       "Default EAL arguments: --no-huge --no-shconf --no-pci -m <computed> -l 0-<N-1>\n"
	       "  --vdev=net_null0 --vdev=net_null1\n",
	       prog, prog, BENCH_BURST_MAX);
}

static void
list_scenarios(void)
{
	for (unsigned i = 0; i < bench_nb_scenarios; i++) {
		const struct scenario *sc = &bench_scenarios[i];
		char t[32] = "";
		if (sc->target > 0)
			snprintf(t, sizeof(t), " [target %g M%s/s]", sc->target, sc->per_conn ? "conn" : "pkt");
		printf("  %-22s %s%s\n", sc->name, sc->desc, t);
	}
}

static bool
selected(const struct scenario *sc)
{
	const char *s = bench_opts.select;

	if (s == NULL)
		return true;
	while (*s) {
		size_t len = strcspn(s, ",");
		size_t nl = strlen(sc->name);
		if ((len == 3 && strncmp(s, "all", 3) == 0) ||
		    (len == nl && strncmp(s, sc->name, len) == 0) ||
		    (len < nl && strncmp(s, sc->name, len) == 0 && sc->name[len] == '-'))
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

/* Every name in --scenario must select something. */
static int
check_selection(void)
{
	const char *s = bench_opts.select;

	if (s == NULL)
		return 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		bool any = len == 3 && strncmp(s, "all", 3) == 0;
		for (unsigned i = 0; i < bench_nb_scenarios && !any; i++) {
			const char *n = bench_scenarios[i].name;
			any = strncmp(s, n, len) == 0 && (n[len] == '\0' || n[len] == '-');
		}
		if (!any && len > 0) {
			fprintf(stderr, "synproxy-bench: no scenario '%.*s'; there are:\n", (int)len, s);
			list_scenarios();
			return -1;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int
parse_u64(const char *arg, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	if (errno || *end || end == arg || v < min || v > max) {
		fprintf(stderr, "synproxy-bench: --%s wants an integer in %" PRIu64 "..%" PRIu64 "\n",
			name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* 1: exit 0 (help, list), 0: go on, -1: error. */
static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "packets", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "lcores", required_argument, NULL, 'l' },
		{ "burst", required_argument, NULL, 'b' },
		{ "flows", required_argument, NULL, 'f' },
		{ "large-flows", required_argument, NULL, 'F' },
		{ "offload", no_argument, NULL, 'o' },
		{ "no-thp", no_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'S' },
		{ "policy", no_argument, NULL, 'P' },
		{ "svc-limits", no_argument, NULL, 'C' },
		{ "json", required_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool quick_seen = false, dur_seen = false, rep_seen = false, flows_seen = false,
	     large_seen = false;
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': bench_opts.select = optarg; break;
		case 'd': {
			char *end;
			double d = strtod(optarg, &end);
			if (*end || end == optarg || !(d > 0 && d <= 3600)) {
				fprintf(stderr, "synproxy-bench: --duration wants seconds in (0, 3600]\n");
				return -1;
			}
			bench_opts.duration_s = d;
			dur_seen = true;
			break;
		}
		case 'p':
			if (parse_u64(optarg, "packets", 1, UINT64_MAX, &bench_opts.max_packets))
				return -1;
			break;
		case 'r':
			if (parse_u64(optarg, "repeat", 1, BENCH_MAX_REPEAT, &v))
				return -1;
			bench_opts.repeat = (unsigned)v;
			rep_seen = true;
			break;
		case 'l':
			if (parse_u64(optarg, "lcores", 1, BENCH_MAX_WORKERS, &v))
				return -1;
			bench_opts.lcores = (unsigned)v;
			break;
		case 'b':
			if (parse_u64(optarg, "burst", 1, BENCH_BURST_MAX, &v))
				return -1;
			bench_opts.burst = (uint16_t)v;
			break;
		case 'f':
			if (parse_u64(optarg, "flows", 64, 16000000, &v))
				return -1;
			bench_opts.flows_small = (uint32_t)v;
			flows_seen = true;
			break;
		case 'F':
			if (parse_u64(optarg, "large-flows", 1024, 16000000, &v))
				return -1;
			bench_opts.flows_large = (uint32_t)v;
			large_seen = true;
			break;
		case 'o': bench_opts.offload = true; break;
		case 'P': bench_opts.policy = true; break;
		case 'C': bench_opts.policy = bench_opts.svc_limits = true; break;
		case 'T': bench_opts.thp = false; break;
		case 'S':
			if (parse_u64(optarg, "seed", 1, UINT64_MAX, &bench_opts.seed))
				return -1;
			break;
		case 'j': bench_opts.json_path = optarg; break;
		case 'q': quick_seen = true; break;
		case 'v': bench_opts.verbose = true; break;
		case 'L': list_scenarios(); return 1;
		case 'h': usage("synproxy-bench"); return 1;
		default:
			fprintf(stderr, "synproxy-bench: unknown or incomplete option '%s' (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "synproxy-bench: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	if (quick_seen) {
		bench_opts.quick = true;
		if (!dur_seen)
			bench_opts.duration_s = 0.02;
		if (!rep_seen)
			bench_opts.repeat = 1;
		if (!flows_seen)
			bench_opts.flows_small = 2000;
		if (!large_seen)
			bench_opts.flows_large = 20000;
		bench_opts.pool_frames = 4096;
		bench_opts.hs_tuples = 1024;
	}
	return check_selection();
}

/* ---------------------------------------------------------------- EAL */

static char *eal_argv[32];
static char eal_mem[16], eal_lcores[32];

/* Arguments for rte_eal_init when the user gave none. */
static int
default_eal_args(const char *prog)
{
	unsigned n = bench_opts.lcores ? bench_opts.lcores : 1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/* pool + tables of the largest scenario per worker; the mapping is lazy */
	unsigned mb = 384 + n * (unsigned)(64 + (uint64_t)bench_opts.flows_large * 160 / 1000000);
	if (bench_opts.policy)
		mb += n * 96;   /* FIB tables: IPv4 services and sources, IPv6 sources */
	int a = 0;

	if (ncpu > 0 && n > (unsigned)ncpu)
		fprintf(stderr, "synproxy-bench: warning: %u workers on %ld CPUs: they will share cores\n",
			n, ncpu);
	snprintf(eal_mem, sizeof(eal_mem), "%u", mb);
	if (n == 1)
		snprintf(eal_lcores, sizeof(eal_lcores), "0");
	else
		snprintf(eal_lcores, sizeof(eal_lcores), "0-%u", n - 1);
	eal_argv[a++] = (char *)(uintptr_t)prog;
	eal_argv[a++] = (char *)(uintptr_t)"--no-huge";
	eal_argv[a++] = (char *)(uintptr_t)"--no-shconf";
	eal_argv[a++] = (char *)(uintptr_t)"--no-pci";
	eal_argv[a++] = (char *)(uintptr_t)"-m";
	eal_argv[a++] = eal_mem;
	eal_argv[a++] = (char *)(uintptr_t)"-l";
	eal_argv[a++] = eal_lcores;
	eal_argv[a++] = (char *)(uintptr_t)"--vdev=net_null0";
	eal_argv[a++] = (char *)(uintptr_t)"--vdev=net_null1";
	eal_argv[a++] = (char *)(uintptr_t)(bench_opts.verbose ? "--log-level=info" : "--log-level=error");
	eal_argv[a] = NULL;
	return a;
}

static int
thp_advise(const struct rte_memseg_list *msl, void *arg)
{
	(void)arg;
	if (msl->base_va != NULL && msl->len > 0)
		madvise(msl->base_va, msl->len, MADV_HUGEPAGE);
	return 0;
}

static int
page_size_cb(const struct rte_memseg_list *msl, void *arg)
{
	if (msl->len == 0)
		return 0;
	*(uint64_t *)arg = msl->page_sz;
	return 1;
}

/* What backs the EAL memory (the flow tables): it decides the TLB misses. */
static void
describe_eal_pages(char *buf, size_t len)
{
	uint64_t pg = 0;
	char thp[64] = "?";
	FILE *f;

	rte_memseg_list_walk(page_size_cb, &pg);
	f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");
	if (f != NULL) {
		char line[128];
		if (fgets(line, sizeof(line), f) != NULL) {
			char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
			if (a && b)
				snprintf(thp, sizeof(thp), "%.*s", (int)(b - a - 1), a + 1);
		}
		fclose(f);
	}
	if (pg >= (2u << 20))
		snprintf(buf, len, "%" PRIu64 " MiB hugepages", pg >> 20);
	else
		snprintf(buf, len, "%" PRIu64 " KiB pages (no hugepages; shmem THP '%s')", pg >> 10, thp);
}

/* AnonHugePages of this process, in MiB (-1 if unknown). */
static long
anon_huge_mib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

/* ---------------------------------------------------------------- jobs on the lcores */

enum job_kind { JOB_SETUP, JOB_RUN, JOB_TEARDOWN };

static struct {
	enum job_kind kind;
	const struct scenario *sc;
	unsigned nw;
	uint64_t dur_tsc, max_pkts;
	uint64_t spike_tsc;      /* an iteration longer than this was interrupted */
} job;

static uint32_t start_barrier;

#define SPIKE_US 250

static void
fail(struct bench_worker *bw, const char *msg)
{
	bw->err = -1;
	if (bw->errmsg[0] == '\0')
		snprintf(bw->errmsg, sizeof(bw->errmsg), "%s", msg);
}

static uint64_t
scenario_seed(const struct scenario *sc, unsigned idx)
{
	uint64_t h = bench_opts.seed ^ (0x9e3779b97f4a7c15ULL * (idx + 1));
	for (const char *p = sc->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* --policy: every server of the scenarios (10.0.0.0/8) protected on every
 * port, a narrower service beside it, and source lists the random WAN
 * addresses almost never hit: the lookups' cost, the same paths. */
static void
policy_config(struct cfg_synproxy *c)
{
	static const struct cfg_prefix all10 = { .addr = { 10 }, .family = CFG_AF_INET, .len = 8 };
	static const struct cfg_prefix ssh = { .addr = { 10, 200 }, .family = CFG_AF_INET, .len = 16 };
	static const struct cfg_prefix allow = { .addr = { 198, 18, 200 }, .family = CFG_AF_INET, .len = 24 };
	static const struct cfg_prefix deny4 = { .addr = { 198, 19 }, .family = CFG_AF_INET, .len = 16 };
	static const struct cfg_prefix deny6 = { .addr = { 0x20, 0x01, 0, 2, 0, 0, 0x06, 0x66 },
						 .family = CFG_AF_INET6, .len = 64 };

	c->nb_services = 2;
	memset(c->services, 0, 2 * sizeof(c->services[0]));
	c->services[0].prefix = all10;
	c->services[0].nb_ports = 1;
	c->services[0].ports[0].lo = 1;
	c->services[0].ports[0].hi = 65535;
	c->services[1].prefix = ssh;
	c->services[1].nb_ports = 1;
	c->services[1].ports[0].lo = c->services[1].ports[0].hi = 22;
	c->services[1].set = CFG_SVC_MSS;
	c->services[1].mss = 1400;
	if (bench_opts.svc_limits) {
		/* the same values as the global caps, counted apart: same refusals */
		c->services[0].set |= CFG_SVC_MAX_FLOWS | CFG_SVC_MAX_HALF_OPEN;
		c->services[0].max_flows_per_prefix = config_limit_value(
			c->max_flows_per_prefix, c->flow_table_size, CFG_LIMIT_FLOWS_DIV);
		c->services[0].max_half_open_per_prefix = config_limit_value(
			c->max_half_open_per_prefix, c->flow_table_size, CFG_LIMIT_HALF_OPEN_DIV);
	}
	c->nb_allow = 1;
	c->allow[0] = allow;
	c->nb_deny = 2;
	c->deny[0] = deny4;
	c->deny[1] = deny6;
}

static void
job_setup(struct bench_worker *bw)
{
	struct worker *w = bw->w;
	const struct scenario *sc = job.sc;

	bw->sc = sc;
	bw->err = 0;
	bw->errmsg[0] = '\0';
	bw->flows_wanted = bw->flows_ok = 0;
	bw->pkts = bw->conns = bw->tsc = bw->emu_tsc = bw->alloc_fail = 0;
	bw->rng = scenario_seed(sc, bw->idx);
	bw->cfg = base_cfg;
	sc->tune(&bw->cfg);
	if (bench_opts.policy)
		policy_config(&bw->cfg.synproxy);

	/* The real worker, as main.c's create_workers/setup_steering leave it. */
	worker_init(w, bw->idx, (uint16_t)nb_bws);
	w->lcore_id = bw->lcore;
	w->burst = bw->cfg.burst_size;
	w->tx_retries = bw->cfg.tx_retries;
	w->mp = bench_mp;
	w->port[ROLE_LAN] = port_infos[ROLE_LAN].port_id;
	w->port[ROLE_WAN] = port_infos[ROLE_WAN].port_id;
	w->poll_rx[ROLE_LAN] = w->poll_rx[ROLE_WAN] = true;
	w->steer_sw = false;
	w->now_ms = worker_clock_ms();
	w->sp = NULL;
	if (sc->proxy) {
		const bool tx_offload[ROLE_MAX] = {
			[ROLE_LAN] = port_infos[ROLE_LAN].tx_csum_offload,
			[ROLE_WAN] = port_infos[ROLE_WAN].tx_csum_offload,
		};
		w->sp = synproxy_lcore_create(&bw->cfg, bench_secrets, bw->idx, bw->socket, bench_mp,
					      tx_offload);
		if (w->sp == NULL) {
			snprintf(bw->errmsg, sizeof(bw->errmsg),
				 "synproxy_lcore_create failed (flow_table_size %u): out of memory? (-m)",
				 bw->cfg.synproxy.flow_table_size);
			fail(bw, "");
			return;
		}
		if (bench_opts.policy) {
			char err[120];
			bw->rt = sp_runtime_create(&bw->cfg, 1, bw->socket, err, sizeof(err));
			if (bw->rt == NULL) {
				snprintf(bw->errmsg, sizeof(bw->errmsg), "policy: %s (-m?)", err);
				fail(bw, "");
				return;
			}
			synproxy_lcore_set_runtime(w->sp, &bw->rt);
		}
	}
	if (sc->setup(bw) != 0)
		fail(bw, "scenario setup failed");
}

static void
job_run(struct bench_worker *bw)
{
	const struct scenario *sc = job.sc;
	const struct synproxy_stats *st = bw->w->sp ? synproxy_lcore_stats(bw->w->sp) : NULL;
	uint64_t start, now, max = job.max_pkts ? job.max_pkts : UINT64_MAX;

	if (bw->err)
		return;
	bw->pkts = bw->conns = bw->emu_tsc = bw->alloc_fail = 0;
	if (st)
		bw->before = *st;
	/* all workers start together */
	__atomic_add_fetch(&start_barrier, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&start_barrier, __ATOMIC_ACQUIRE) < job.nw)
		rte_pause();
	struct rusage ru0, ru1;
	getrusage(RUSAGE_THREAD, &ru0);
	bw->spike_tsc = bw->spike_emu_tsc = bw->spike_pkts = bw->spikes = 0;
	start = now = rte_rdtsc();
	do {
		uint64_t t = now, p0 = bw->pkts, e0 = bw->emu_tsc;
		sc->step(bw);
		now = rte_rdtsc();
		if (unlikely(now - t > job.spike_tsc)) {
			bw->spikes++;
			bw->spike_tsc += now - t;
			bw->spike_emu_tsc += bw->emu_tsc - e0;
			bw->spike_pkts += bw->pkts - p0;
		}
	} while (now - start < job.dur_tsc && bw->pkts < max);
	bw->tsc = now - start;
	getrusage(RUSAGE_THREAD, &ru1);
	/* Another process on this core makes every figure of the run wrong. */
	bw->preempted = (uint64_t)(ru1.ru_nivcsw - ru0.ru_nivcsw);
	memset(&bw->delta, 0, sizeof(bw->delta));
	if (st) {
#define X(n) bw->delta.n = st->n - bw->before.n;
		SYNPROXY_COUNTERS(X)
#undef X
		bw->conns = bw->delta.proxied_established;
	}
}

static void
job_teardown(struct bench_worker *bw)
{
	if (bw->sc != NULL && bw->sc->teardown != NULL)
		bw->sc->teardown(bw);
	worker_tx_flush(bw->w, ROLE_LAN);
	worker_tx_flush(bw->w, ROLE_WAN);
	synproxy_lcore_free(bw->w->sp);
	bw->w->sp = NULL;
	sp_runtime_free(bw->rt);
	bw->rt = NULL;
}

static int
job_main(void *arg)
{
	struct bench_worker *bw = arg;

	switch (job.kind) {
	case JOB_SETUP: job_setup(bw); break;
	case JOB_RUN: job_run(bw); break;
	case JOB_TEARDOWN: job_teardown(bw); break;
	}
	return 0;
}

/* Run the current job on workers 0..nw-1; worker 0 is this (main) lcore. */
static void
launch(unsigned nw)
{
	job.nw = nw;
	__atomic_store_n(&start_barrier, 0, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < nw; i++)
		if (rte_eal_remote_launch(job_main, bws[i], bws[i]->lcore) != 0)
			fail(bws[i], "cannot launch on its lcore");
	job_main(bws[0]);
	for (unsigned i = 1; i < nw; i++)
		rte_eal_wait_lcore(bws[i]->lcore);
}

/* ---------------------------------------------------------------- one scenario */

static void
run_scenario(const struct scenario *sc, unsigned nw, struct scen_result *r)
{
	double hz = (double)rte_get_tsc_hz();
	uint64_t t0;

	memset(r, 0, sizeof(*r));
	r->sc = sc;
	r->workers = nw;
	job.sc = sc;
	job.dur_tsc = (uint64_t)(bench_opts.duration_s * hz);
	job.max_pkts = bench_opts.max_packets;
	/* A loop iteration is 5-50 us; a preemption costs a scheduler slice (ms). */
	job.spike_tsc = (uint64_t)(hz * SPIKE_US / 1e6);

	job.kind = JOB_SETUP;
	t0 = rte_rdtsc();
	launch(nw);
	r->setup_s = (double)(rte_rdtsc() - t0) / hz;
	for (unsigned i = 0; i < nw; i++) {
		r->flows_wanted += bws[i]->flows_wanted;
		r->flows_ok += bws[i]->flows_ok;
		if (bws[i]->err && !r->failed) {
			r->failed = true;
			snprintf(r->note, sizeof(r->note), "worker %u: %s", i, bws[i]->errmsg);
		}
	}
	if (!r->failed && bws[0]->w->sp != NULL) {
		struct synproxy_occupancy o;
		synproxy_lcore_occupancy(bws[0]->w->sp, &o);
		r->flows_live = o.flows;
		r->flow_capacity = o.flow_capacity;
		r->flow_table_bytes = o.flow_table_bytes;
	}
	r->thp_mib = bench_opts.thp ? anon_huge_mib() : 0;

	for (unsigned rep = 0; rep < bench_opts.repeat && !r->failed; rep++) {
		struct run_sample *s = &r->runs[r->nruns++];
		/* the control lcore's periodic duty, done while the workers wait */
		synproxy_secrets_rotate(bench_secrets, worker_clock_sec());
		job.kind = JOB_RUN;
		launch(nw);
		memset(s, 0, sizeof(*s));
		for (unsigned i = 0; i < nw; i++) {
			const struct bench_worker *bw = bws[i];
			if (bw->tsc == 0 || bw->pkts == 0)
				continue;
			s->rate += (double)bw->pkts * hz / (double)bw->tsc;
			s->conn_rate += (double)bw->conns * hz / (double)bw->tsc;
			s->wall_cyc += (double)bw->tsc / (double)bw->pkts / nw;
			/* per-frame cost from the iterations nobody interrupted */
			uint64_t ct = bw->tsc - bw->spike_tsc, cp = bw->pkts - bw->spike_pkts;
			uint64_t ce = bw->emu_tsc - bw->spike_emu_tsc;
			if (cp == 0) {
				ct = bw->tsc;
				cp = bw->pkts;
				ce = bw->emu_tsc;
			}
			s->cyc += (double)ct / (double)cp / nw;
			s->emu_cyc += (double)ce / (double)cp / nw;
			r->spikes += bw->spikes;
			r->spike_s += (double)bw->spike_tsc / hz / nw;
			s->pkts += bw->pkts;
			s->conns += bw->conns;
			r->ok += bench_path_ok(&bw->delta);
			r->alloc_fail += bw->alloc_fail;
			r->preempted += bw->preempted;
			r->run_s += (double)bw->tsc / hz / nw;
#define X(n) r->delta.n += bw->delta.n;
			SYNPROXY_COUNTERS(X)
#undef X
		}
		r->pkts += s->pkts;
		r->conns += s->conns;
	}
	job.kind = JOB_TEARDOWN;
	launch(nw);
	report_finish(r);

	if (r->failed)
		return;
	if (r->pkts == 0) {
		r->failed = true;
		snprintf(r->note, sizeof(r->note), "no frame was injected (mbuf pool empty?)");
	} else if (sc->proxy && (double)r->ok < 0.99 * (double)r->pkts) {
		r->failed = true;
		snprintf(r->note, sizeof(r->note), "only %.1f%% of the frames took the expected path",
			 100.0 * (double)r->ok / (double)r->pkts);
	} else if ((double)r->flows_ok < 0.99 * (double)r->flows_wanted) {
		r->failed = true;
		snprintf(r->note, sizeof(r->note), "only %u of %u flows could be set up",
			 r->flows_ok, r->flows_wanted);
	} else if (r->spike_s > 0.01 * r->run_s) {
		snprintf(r->note, sizeof(r->note), "CPU SHARED: %.0f%% of the time preempted (%" PRIu64
			 " ctx switches): Mpps too low, cyc/pkt filtered", 100.0 * r->spike_s / r->run_s,
			 r->preempted);
	} else if (r->delta.syn_ratelimited && !r->delta.ack_bad_cookie) {
		snprintf(r->note, sizeof(r->note), "%.1f%% of SYNs rate-limited",
			 100.0 * (double)r->delta.syn_ratelimited / (double)r->delta.syn_received);
	}
}

/* ---------------------------------------------------------------- setup */

static int
setup_app(char *msg, size_t msglen)
{
	char err[CFG_ERR_LEN];
	char text[512];

	/* The application's config path, with the two null ports as lan and wan. */
	snprintf(text, sizeof(text),
		 "{ \"ports\": [ { \"name\": \"net_null0\", \"role\": \"lan\" },"
		 "               { \"name\": \"net_null1\", \"role\": \"wan\" } ],"
		 "  \"mempool_size\": 32767, \"burst_size\": %u, \"link_timeout_ms\": 1000,"
		 "  \"log_level\": \"%s\" }",
		 bench_opts.burst, bench_opts.verbose ? "info" : "warning");
	config_defaults(&base_cfg);
	if (config_load_string(&base_cfg, text, "<bench>", err, sizeof(err)) != 0) {
		snprintf(msg, msglen, "config: %.400s", err);
		return -1;
	}
	if (port_resolve(&base_cfg, msg, msglen) != 0)
		return -1;
	bench_mp = rte_pktmbuf_pool_create("mbufs", base_cfg.mempool_size, base_cfg.mempool_cache, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (bench_mp == NULL) {
		snprintf(msg, msglen, "mbuf pool: %s", rte_strerror(rte_errno));
		return -1;
	}
	if (port_setup_all(&base_cfg, (uint16_t)nb_bws, bench_mp, msg, msglen) != 0)
		return -1;
	if (bench_opts.offload) {
		/* A NIC that computes TCP/IPv4 checksums on TX: the proxy leaves them to it. */
		port_infos[ROLE_LAN].tx_csum_offload = true;
		port_infos[ROLE_WAN].tx_csum_offload = true;
	}
	bench_secrets = synproxy_secrets_create(&base_cfg, worker_clock_sec());
	if (bench_secrets == NULL) {
		snprintf(msg, msglen, "cookie secrets: no random source");
		return -1;
	}
	return 0;
}

static int
create_bench_workers(unsigned n, char *msg, size_t msglen)
{
	unsigned lcore = rte_get_main_lcore();

	for (unsigned i = 0; i < n; i++) {
		if (i > 0) {
			lcore = rte_get_next_lcore(lcore, 1, 0);
			if (lcore >= RTE_MAX_LCORE) {
				snprintf(msg, msglen, "%u workers need %u lcores; EAL has %u", n, n,
					 rte_lcore_count());
				return -1;
			}
		}
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct bench_worker *bw = rte_zmalloc_socket("bench_worker", sizeof(*bw),
							     RTE_CACHE_LINE_SIZE, socket);
		struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (bw == NULL || w == NULL) {
			snprintf(msg, msglen, "out of memory for worker %u", i);
			return -1;
		}
		bw->idx = (uint16_t)i;
		bw->lcore = lcore;
		bw->socket = socket;
		bw->w = w;
		bw->mp = NULL;
		bw->rx_ol_flags = bench_opts.offload
				  ? RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD : 0;
		bws[i] = bw;
	}
	nb_bws = n;
	return 0;
}

int
main(int argc, char **argv)
{
	char msg[CFG_ERR_LEN];
	int sep = -1, eal_argc, ret, rc = 1;
	char **eal_args;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (sep >= 0) {
		argv[sep] = argv[0];
		ret = parse_args(argc - sep, argv + sep);
		eal_argc = sep;
		eal_args = argv;
	} else {
		ret = parse_args(argc, argv);
		eal_argc = 0;
		eal_args = NULL;
	}
	if (ret != 0)
		return ret > 0 ? 0 : 1;
	if (eal_args == NULL) {
		eal_argc = default_eal_args(argv[0]);
		eal_args = eal_argv;
	}
	if (rte_eal_init(eal_argc, eal_args) < 0) {
		fprintf(stderr, "synproxy-bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (!bench_opts.verbose)
		rte_log_set_level(synproxy_logtype, RTE_LOG_WARNING);
	if (bench_opts.thp)
		rte_memseg_list_walk(thp_advise, NULL);
	worker_clock_init();

	unsigned nmax = bench_opts.lcores ? bench_opts.lcores : rte_lcore_count();
	if (nmax > BENCH_MAX_WORKERS)
		nmax = BENCH_MAX_WORKERS;
	if (nmax > rte_lcore_count()) {
		fprintf(stderr, "synproxy-bench: --lcores %u but EAL has %u lcore(s) (-l)\n", nmax,
			rte_lcore_count());
		goto out;
	}
	if (create_bench_workers(nmax, msg, sizeof(msg)) != 0 || setup_app(msg, sizeof(msg)) != 0) {
		fprintf(stderr, "synproxy-bench: %s\n", msg);
		goto out;
	}
	for (unsigned i = 0; i < nb_bws; i++)
		bws[i]->mp = bench_mp;

	FILE *jf = stdout;
	const char *jprefix = "JSON ";
	if (bench_opts.json_path) {
		jf = fopen(bench_opts.json_path, "w");
		if (jf == NULL) {
			fprintf(stderr, "synproxy-bench: %s: %s\n", bench_opts.json_path, strerror(errno));
			goto out;
		}
		jprefix = "";
	}

	char pages[128];
	describe_eal_pages(pages, sizeof(pages));
	printf("synproxy-bench: %u worker(s) (lcores", nb_bws);
	for (unsigned i = 0; i < nb_bws; i++)
		printf(" %u", bws[i]->lcore);
	printf("), TSC %.3f GHz, burst %u, %u x %.3g s per scenario%s, lan %s/%s wan %s/%s,\n"
	       "  placement %s, checksums %s, flow entry %zu B, EAL memory %s\n",
	       (double)rte_get_tsc_hz() / 1e9, base_cfg.burst_size, bench_opts.repeat,
	       bench_opts.duration_s, bench_opts.quick ? " (quick)" : "",
	       port_infos[ROLE_LAN].name, port_infos[ROLE_LAN].driver,
	       port_infos[ROLE_WAN].name, port_infos[ROLE_WAN].driver,
	       nb_bws > 1 ? "as symmetric RSS (each worker its own flows)" : "one worker",
	       bench_opts.offload ? "offload emulated" : "software (net_null has no offload)",
	       sizeof(struct flow_slot), pages);
	printf("  columns: Mpps = frames received per second, wall clock, all workers; cyc/ns = TSC cycles and ns\n"
	       "  per frame on one core (loop iterations over %u us, i.e. preempted, left out); emu = RX emulation\n"
	       "  (alloc+copy+patch); dp = data path alone (cyc - emu) and the rate one core gets from it;\n"
	       "  path%% = frames that took the scenario's path; B/flow = flow table bytes / capacity;\n"
	       "  verdict = dp rate per core vs target (c = M connections/s); scale = N workers vs 1:\n"
	       "  wall-clock rate ratio / N x cyc(1) / cyc(N) (the same without the preempted time)\n\n",
	       SPIKE_US);
	report_header(stdout);
	fflush(stdout);

	bool all_ok = true;
	for (unsigned i = 0; i < bench_nb_scenarios; i++) {
		const struct scenario *sc = &bench_scenarios[i];
		static struct scen_result one, many;
		if (!selected(sc))
			continue;
		run_scenario(sc, 1, &one);
		report_row(stdout, &one);
		report_json(jf, jprefix, &one);
		all_ok &= !one.failed;
		if (nb_bws > 1) {
			run_scenario(sc, nb_bws, &many);
			if (!many.failed && one.median_rate > 0 && many.median_cyc > 0) {
				many.scaling = many.median_rate / one.median_rate;
				many.cost_scaling = nb_bws * one.median_cyc / many.median_cyc;
			}
			report_row(stdout, &many);
			report_json(jf, jprefix, &many);
			all_ok &= !many.failed;
		}
		fflush(stdout);
		fflush(jf);
	}
	if (jf != stdout)
		fclose(jf);
	rc = all_ok ? 0 : 1;
	if (!all_ok)
		fprintf(stderr, "synproxy-bench: some scenarios FAILED (see the notes)\n");
out:
	port_stop_all();
	rte_eal_cleanup();
	return rc;
}
