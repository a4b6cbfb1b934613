/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - dpdk-synproxy: command line, startup, the control loop, shutdown.
 *
 *   dpdk-synproxy [EAL options] -- [--config FILE] [--check] [--restore] [--help] [--version]
 *
 * The config is read and validated before EAL touches any device, so a bad
 * file costs nothing. The main lcore then does control only: telemetry (its
 * own thread), cookie secret rotation, signals and the final report; every
 * other lcore is a worker owning queue i on both ports.
 */
#include <errno.h>
#include <sched.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "app.h"
#include "port.h"
#include "reload.h"
#include "fwd/synproxy.h"
#include "state/handover_ctl.h"

#ifndef SYNPROXY_VERSION
#define SYNPROXY_VERSION "dev"
#endif

struct app app;

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [--config FILE] [--check] [--restore] [--help] [--version]\n"
	       "\n"
	       "Inline TCP SYN proxy: a transparent bridge between a LAN and a WAN port.\n"
	       "  --config FILE  JSON configuration (comments allowed); without it the embedded\n"
	       "                 namespace-demo default is used (ports net_af_packet0 = lan,\n"
	       "                 net_af_packet1 = wan)\n"
	       "  --check        validate the configuration, print it with defaults filled, exit\n"
	       "  --restore      take over the connections in synproxy.state_file, written by\n"
	       "                 the previous process on SIGUSR2 (a missing file: start empty)\n"
	       "  --version      print the version\n"
	       "  --help         this text\n"
	       "\n"
	       "Example: %s -l 0-2 -a 0000:03:00.0 -a 0000:03:00.1 -- --config /etc/dpdk-synproxy.json\n"
	       "Telemetry: /synproxy/stats /synproxy/lcores /synproxy/ports /synproxy/config\n"
	       "           /synproxy/reload /synproxy/reload_status /synproxy/top\n"
	       "SIGHUP reloads the config file (see README \"Live reload\")\n",
	       prog, prog);
}

struct app_opts {
	const char *config;
	int check;
	int restore;
};

/* Options after "--". Returns 0 to go on, 1 to exit 0, -1 to exit 1. */
static int
parse_app_args(int argc, char **argv, struct app_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "restore", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'k': o->check = 1; break;
		case 'r': o->restore = 1; break;
		case 'h': usage("dpdk-synproxy"); return 1;
		case 'v': printf("dpdk-synproxy %s (DPDK %s)\n", SYNPROXY_VERSION, rte_version()); return 1;
		default:
			fprintf(stderr, "dpdk-synproxy: unknown or incomplete option '%s' (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dpdk-synproxy: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t reload_requested;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;   /* the control loop reloads (reload.h) */
	else
		worker_quit = true;
}

/* SIGUSR2: stop like SIGTERM, then write the state for the next process. */
static volatile sig_atomic_t handover_requested;

static void
on_handover(int sig)
{
	(void)sig;
	handover_requested = 1;
	worker_quit = true;
}

static int
load_config(const struct app_opts *o, struct synproxy_config *cfg)
{
	char err[CFG_ERR_LEN];
	int ret;

	if (o->config)
		ret = config_load_file(cfg, o->config, err, sizeof(err));
	else
		ret = config_load_string(cfg, config_embedded_default, "<embedded default>",
					 err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "dpdk-synproxy: config error: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * The mbuf pool must cover what the workers can hold at once, or RX refill
 * fails and the ports stop receiving (config_pool_need has the arithmetic).
 * Returns 0, or -1 with msg saying what to raise.
 */
static int
pool_check(const struct synproxy_config *cfg, unsigned nb_workers, bool sw, char *msg, size_t msglen)
{
	char how[224];
	uint64_t need = config_pool_need(cfg, nb_workers, sw, how, sizeof(how));

	if (cfg->mempool_size >= need)
		return 0;
	snprintf(msg, msglen, "mempool_size %u cannot cover %u worker(s)%s: they can hold %s mbufs at once; "
		 "raise mempool_size to at least %" PRIu64 " (or lower rx_desc/tx_desc, steer_ring_size, "
		 "mempool_cache, or use fewer workers)", cfg->mempool_size, nb_workers,
		 sw ? " with software steering" : "", how, need);
	return -1;
}

/* Add the lcore ids of an EAL list ("0-3,5", "(0-2)@(0-1)": the part before
 * each '@') to set; false if it cannot be read. */
static bool
lcore_list(const char *s, uint8_t *set, size_t n)
{
	bool at = false;
	int depth = 0;

	while (*s) {
		if (*s == '(' || *s == ')') {
			depth += *s == '(' ? 1 : -1;
			s++;
			continue;
		}
		if (*s == '@') {
			at = true;
			s++;
			continue;
		}
		if (*s == ',') {
			if (depth == 0)
				at = false;
			s++;
			continue;
		}
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return false;
		s = end;
		if (*s == '-') {
			b = strtoul(s + 1, &end, 10);
			if (end == s + 1)
				return false;
			s = end;
		}
		if (at)
			continue;   /* CPUs, not lcores */
		for (unsigned long i = a; i <= b && i < n; i++)
			set[i] = 1;
	}
	return true;
}

/* The lcores EAL will start, from its arguments (-l, -c, --lcores), or all
 * the CPUs this process may run on (the EAL default). 0 if unreadable. */
static unsigned
eal_arg_lcores(int argc, char **argv)
{
	static uint8_t set[1024];
	const char *list = NULL, *mask = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-l") == 0 || strcmp(a, "--lcores") == 0)
			list = i + 1 < argc ? argv[++i] : NULL;
		else if (strncmp(a, "--lcores=", 9) == 0)
			list = a + 9;
		else if (strncmp(a, "-l", 2) == 0 && a[2] != '\0')
			list = a + 2;
		else if (strcmp(a, "-c") == 0)
			mask = i + 1 < argc ? argv[++i] : NULL;
	}
	memset(set, 0, sizeof(set));
	if (list != NULL) {
		if (!lcore_list(list, set, sizeof(set)))
			return 0;
	} else if (mask != NULL) {
		const char *m = strncmp(mask, "0x", 2) == 0 ? mask + 2 : mask;
		size_t len = strlen(m);
		for (size_t i = 0; i < len && 4 * i < sizeof(set); i++) {
			char c = m[len - 1 - i];
			unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
				     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
				     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
			if (v == 16)
				return 0;
			for (unsigned b = 0; b < 4; b++)
				set[4 * i + b] = (v >> b) & 1;
		}
	} else {
		cpu_set_t cs;
		if (sched_getaffinity(0, sizeof(cs), &cs) != 0)
			return 0;
		return (unsigned)CPU_COUNT(&cs);
	}
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(set); i++)
		n += set[i];
	return n;
}

/* What --check prints about the pool, after "config OK" (the JSON above it
 * is read by scripts/deploy.sh). */
static char pool_note[320];

/* --check: the pool against the workers the EAL arguments give (all CPUs
 * without them). The placement is known only with the ports: "auto" is
 * checked as hardware RSS here, and again exactly at startup. */
static int
check_pool_offline(int argc, char **argv, const char *name)
{
	char msg[CFG_ERR_LEN];
	unsigned lcores = eal_arg_lcores(argc, argv);
	unsigned workers = lcores > 1 ? lcores - 1 : 1;
	bool sw = strcmp(app.cfg.rss, "software") == 0;
	uint64_t need_hw = config_pool_need(&app.cfg, workers, false, NULL, 0);
	uint64_t need_sw = config_pool_need(&app.cfg, workers, true, NULL, 0);

	if (pool_check(&app.cfg, workers, sw, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "dpdk-synproxy: config error: %s: %s\n", name, msg);
		return -1;
	}
	snprintf(pool_note, sizeof(pool_note),
		 "mbuf pool: %u mbufs for %u worker(s)%s: at most %" PRIu64 " held with hardware RSS, "
		 "%" PRIu64 " with software steering%s", app.cfg.mempool_size, workers,
		 lcores ? "" : " (lcores unknown: 1 assumed)", need_hw, need_sw,
		 !sw && workers > 1 && app.cfg.mempool_size < need_sw
		 ? " (NOT covered: startup refuses it if the ports need software steering)" : "");
	return 0;
}

static int
create_workers(char *msg, size_t msglen)
{
	unsigned lcore;
	uint16_t n = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) n++;
	if (n == 0) {
		snprintf(msg, msglen, "no worker lcore: give at least two lcores (-l 0-1): "
			 "the main lcore does control only");
		return -1;
	}
	if (n > MAX_WORKERS) {
		snprintf(msg, msglen, "%u workers, at most %u supported", n, MAX_WORKERS);
		return -1;
	}
	app.nb_workers = n;
	uint16_t i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		int socket = rte_lcore_to_socket_id(lcore);
		struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL) {
			snprintf(msg, msglen, "out of memory for worker %u", i);
			return -1;
		}
		worker_init(w, i, n);
		w->lcore_id = lcore;
		w->burst = app.cfg.burst_size;
		w->tx_retries = app.cfg.tx_retries;
		w->mp = app.mp;
		app.workers[i++] = w;
	}
	return 0;
}

static int
setup_steering(char *msg, size_t msglen)
{
	static struct rte_ring *inboxes[MAX_WORKERS];
	bool sw = port_software_steering();

	for (uint16_t i = 0; i < app.nb_workers; i++) {
		struct worker *w = app.workers[i];
		w->port[ROLE_LAN] = port_infos[ROLE_LAN].port_id;
		w->port[ROLE_WAN] = port_infos[ROLE_WAN].port_id;
		w->poll_rx[ROLE_LAN] = i < port_infos[ROLE_LAN].nb_rxq;
		w->poll_rx[ROLE_WAN] = i < port_infos[ROLE_WAN].nb_rxq;
		w->steer_sw = sw;
		if (!sw)
			continue;
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "steer_%u", i);
		int socket = rte_lcore_to_socket_id(w->lcore_id);
		inboxes[i] = rte_ring_create(name, app.cfg.steer_ring_size, socket, RING_F_SC_DEQ);
		w->steer_stash = rte_zmalloc_socket("stash", sizeof(struct rte_mbuf *) *
						    app.nb_workers * w->burst, 0, socket);
		if (inboxes[i] == NULL || w->steer_stash == NULL) {
			snprintf(msg, msglen, "steering ring for worker %u: %s", i, rte_strerror(rte_errno));
			return -1;
		}
		w->inbox = inboxes[i];
		w->inboxes = inboxes;
	}
	return 0;
}

static int
setup_synproxy(struct cookie_secrets **secrets, char *msg, size_t msglen)
{
	if (!app.cfg.synproxy.enabled) {
		SP_LOG(NOTICE, "synproxy disabled in the config: pure bridge");
		return 0;
	}
	*secrets = synproxy_secrets_create(&app.cfg, worker_clock_sec());
	if (*secrets == NULL) {
		snprintf(msg, msglen, "cannot create cookie secrets (no OS random source?)");
		return -1;
	}
	const bool tx_offload[ROLE_MAX] = {
		[ROLE_LAN] = port_infos[ROLE_LAN].tx_csum_offload,
		[ROLE_WAN] = port_infos[ROLE_WAN].tx_csum_offload,
	};
	for (uint16_t i = 0; i < app.nb_workers; i++) {
		struct worker *w = app.workers[i];
		w->sp = synproxy_lcore_create(&app.cfg, *secrets, i,
					      rte_lcore_to_socket_id(w->lcore_id), app.mp, tx_offload);
		if (w->sp == NULL) {
			snprintf(msg, msglen, "synproxy state for worker %u: out of memory "
				 "(flow_table_size %u, syn_cache_size %u)", i,
				 app.cfg.synproxy.flow_table_size, app.cfg.synproxy.syn_cache_size);
			return -1;
		}
	}
	return 0;
}

static void
print_totals(void)
{
	struct bridge_stats t;
	struct synproxy_stats s;
	struct synproxy_occupancy o;

	app_totals(&t, &s, &o);
	printf("dpdk-synproxy: final totals:");
#define X(n) printf(" %s=%" PRIu64, #n, t.n);
	BRIDGE_COUNTERS(X)
#undef X
	printf("\n");
	if (app.cfg.synproxy.enabled) {
		printf("dpdk-synproxy: synproxy totals:");
#define X(n) if (s.n) printf(" %s=%" PRIu64, #n, s.n);
		SYNPROXY_COUNTERS(X)
#undef X
		printf("\n");
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct app_opts opts = { NULL, 0, 0 };
	char msg[CFG_ERR_LEN];
	int sep = -1, ret;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	/* `dpdk-synproxy --help` / `--version` without EAL arguments. */
	if (sep < 0 && argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
				     strcmp(argv[1], "--version") == 0)) {
		char *a[] = { argv[0], argv[1], NULL };
		return parse_app_args(2, a, &opts) > 0 ? 0 : 1;
	}
	if (sep >= 0) {
		argv[sep] = argv[0];
		ret = parse_app_args(argc - sep, argv + sep, &opts);
		if (ret != 0)
			return ret > 0 ? 0 : 1;
		argc = sep;
	}
	config_defaults(&app.cfg);
	if (load_config(&opts, &app.cfg) != 0)
		return 1;
	if (opts.check) {
		if (check_pool_offline(argc, argv, opts.config ? opts.config : "<embedded default>") != 0)
			return 1;
		char *text = config_to_json(&app.cfg);
		printf("%s\nconfig OK: %s\n%s\n", text ? text : "", opts.config ? opts.config : "<embedded default>",
		       pool_note);
		free(text);
		return 0;
	}

	if (opts.restore && app.cfg.synproxy.state_file[0] == '\0') {
		fprintf(stderr, "dpdk-synproxy: --restore needs synproxy.state_file in the config\n");
		return 1;
	}

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "dpdk-synproxy: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	synproxy_log_level_set(app.cfg.log_level);
	worker_clock_init();
	app.start_tsc = rte_get_tsc_cycles();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR2, on_handover);
	signal(SIGHUP, on_signal);

	struct cookie_secrets *secrets = NULL;
	struct handover_ctl handover = { .loaded = false };
	int rc = 1;
	/* the state is read and checked before any port starts */
	if (opts.restore)
		handover_ctl_load(&handover);
	if (port_resolve(&app.cfg, msg, sizeof(msg)) != 0)
		goto fail;
	/* Before the pool exists and any port starts: can it always refill? */
	unsigned nw = 0, lc;
	bool hw = false;
	RTE_LCORE_FOREACH_WORKER(lc) nw++;
	if (nw > 0 && (port_plan_steering(&app.cfg, (uint16_t)nw, &hw, msg, sizeof(msg)) != 0 ||
		       pool_check(&app.cfg, nw, !hw && nw > 1, msg, sizeof(msg)) != 0))
		goto fail;
	unsigned data_room = RTE_MAX((unsigned)RTE_MBUF_DEFAULT_BUF_SIZE,
				     (unsigned)app.cfg.mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN +
				     2 * 4 /* QinQ */ + RTE_PKTMBUF_HEADROOM);
	app.mp = rte_pktmbuf_pool_create("mbufs", app.cfg.mempool_size, app.cfg.mempool_cache, 0,
					 data_room, rte_socket_id());
	if (app.mp == NULL) {
		snprintf(msg, sizeof(msg), "cannot create a pool of %u mbufs: %s (hugepages? -m?)",
			 app.cfg.mempool_size, rte_strerror(rte_errno));
		goto fail;
	}
	if (create_workers(msg, sizeof(msg)) != 0 ||
	    port_setup_all(&app.cfg, app.nb_workers, app.mp, msg, sizeof(msg)) != 0 ||
	    setup_steering(msg, sizeof(msg)) != 0 ||
	    setup_synproxy(&secrets, msg, sizeof(msg)) != 0 ||
	    reload_init(msg, sizeof(msg)) != 0)
		goto fail;
	if (telemetry_register() != 0)
		SP_LOG(WARNING, "telemetry commands not registered (telemetry disabled?)");
	if (rte_pdump_init() != 0)
		SP_LOG(WARNING, "pdump unavailable (needs a multi-process EAL, not --in-memory): "
		       "dpdk-dumpcap cannot attach");

	/* ...and in the tables before any worker polls a port */
	if (opts.restore)
		handover_ctl_apply(&handover);

	for (uint16_t i = 0; i < app.nb_workers; i++)
		rte_eal_remote_launch(worker_main, app.workers[i], app.workers[i]->lcore_id);
	printf("dpdk-synproxy %s: forwarding started: %u worker(s), lan '%s' <-> wan '%s', synproxy %s\n",
	       SYNPROXY_VERSION, app.nb_workers, port_infos[ROLE_LAN].name, port_infos[ROLE_WAN].name,
	       app.cfg.synproxy.enabled ? "on" : "off");
	if (opts.restore)
		printf("dpdk-synproxy: handover: forwarding resumed at %" PRIu64 " ms (unix)\n",
		       handover_wall_ms());
	fflush(stdout);

	uint64_t hz = rte_get_timer_hz(), next_rotate = 0;
	while (!worker_quit) {
		uint64_t now = rte_get_timer_cycles();
		if (secrets != NULL && now >= next_rotate) {
			synproxy_secrets_rotate(secrets, worker_clock_sec());
			next_rotate = now + hz;
		}
		app_top_tick();
		if (reload_requested) {
			reload_requested = 0;
			reload_config(msg, sizeof(msg));
		}
		rte_delay_us_sleep(50 * 1000);
	}
	rte_eal_mp_wait_lcore();
	for (uint16_t i = 0; i < app.nb_workers; i++)
		worker_drain_inbox(app.workers[i]);
	rc = 0;
	if (handover_requested && app.cfg.synproxy.state_file[0] == '\0') {
		SP_LOG(WARNING, "SIGUSR2 without synproxy.state_file: plain stop, no handover");
	} else if (handover_requested) {
		printf("dpdk-synproxy: handover: forwarding stopped at %" PRIu64 " ms (unix)\n",
		       handover_wall_ms());
		if (handover_ctl_save() != 0)
			rc = 1;
	}
	print_totals();
	goto out;
fail:
	fprintf(stderr, "dpdk-synproxy: %s\n", msg);
	handover_image_free(&handover.img);
	worker_quit = true;
out:
	rte_pdump_uninit();
	reload_fini();
	app_top_free();
	for (uint16_t i = 0; i < app.nb_workers; i++) {
		if (app.workers[i] && app.workers[i]->sp)
			synproxy_lcore_free(app.workers[i]->sp);
	}
	port_stop_all();
	rte_eal_cleanup();
	return rc;
}
