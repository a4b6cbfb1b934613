/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_diff.c - which changes a live reload refuses (config_diff.c):
 * every restart-only key is named, live keys pass, and a change needing a
 * table the process lacks is named too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config_diff.h"

static struct synproxy_config run, next;
static const struct config_caps all = { .syn_cache = true, .ratelimit_table = true,
					 .prefix_limits = true };

static void
fresh(void)
{
	config_defaults(&run);
	config_defaults(&next);
}

static unsigned
diff(const struct config_caps *caps, char *buf, size_t len)
{
	return config_restart_keys(&run, &next, caps, buf, len);
}

static void
test_identical_and_live(void **state)
{
	char buf[512];

	(void)state;
	fresh();
	assert_int_equal(diff(&all, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* everything that needs no table re-created */
	struct cfg_synproxy *x = &next.synproxy;
	x->mode = CFG_MODE_CACHE;
	x->timeout_established = 10;
	x->timeout_fin = 11;
	x->default_mss = 1300;
	x->default_wscale = 2;
	x->default_sack = false;
	x->default_timestamps = false;
	x->ratelimit_rate = 5;
	x->ratelimit_burst = 6;
	x->ratelimit_enabled = false;
	x->syn_retransmit_ms = 300;
	x->syn_retries = 1;
	x->auto_syn_rate = 7;
	x->auto_cache_fill_pct = 8;
	x->nb_services = 1;
	x->services[0].prefix.family = CFG_AF_INET;
	x->services[0].nb_ports = 1;
	x->services[0].ports[0].lo = x->services[0].ports[0].hi = 80;
	x->nb_allow = 1;
	x->allow[0].family = CFG_AF_INET;
	x->allow[0].len = 8;
	x->allow[0].addr[0] = 10;
	strcpy(next.log_level, "debug");
	assert_int_equal(diff(&all, buf, sizeof(buf)), 0);
}

static void
test_restart_keys_named(void **state)
{
	char buf[1024];

	(void)state;
	fresh();
	run.nb_ports = next.nb_ports = 2;
	strcpy(next.ports[0].name, "0000:03:00.0");
	next.mempool_size = 1;
	next.burst_size = 2;
	next.mtu = 9000;
	strcpy(next.rss, "software");
	next.synproxy.flow_table_size = 3;
	next.synproxy.syn_cache_size = 4;
	next.synproxy.ratelimit_table_size = 5;
	next.synproxy.ratelimit_v4_prefix = 16;
	next.synproxy.cookie_period = 9;
	next.synproxy.mss_table[0] = 500;
	assert_int_equal(diff(&all, buf, sizeof(buf)), 11);
	static const char *const keys[] = {
		"ports", "mempool_size", "burst_size", "mtu", "rss", "synproxy.flow_table_size",
		"synproxy.syn_cache_size", "synproxy.ratelimit.table_size",
		"synproxy.ratelimit.ipv4_prefix", "synproxy.cookie_period", "synproxy.mss_table",
	};
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(strstr(buf, keys[i]));
	/* a short buffer still counts every key and stays terminated */
	char small[16];
	assert_int_equal(diff(&all, small, sizeof(small)), 11);
	assert_true(strlen(small) < sizeof(small));
}

static void
test_secret(void **state)
{
	char buf[256];

	(void)state;
	fresh();
	strcpy(run.synproxy.secret_file, "/etc/k");
	strcpy(next.synproxy.secret_file, "/etc/k");
	next.synproxy.secret_key[3] ^= 1;        /* same file, new contents */
	assert_int_equal(diff(&all, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "synproxy.secret_file (the key file's contents changed)"));
	strcpy(next.synproxy.secret_file, "/etc/other");
	assert_int_equal(diff(&all, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "synproxy.secret_file");
}

/* Live keys that need a table the process did not create. */
static void
test_caps(void **state)
{
	char buf[512];
	const struct config_caps none = { false, false, false };

	(void)state;
	fresh();
	run.synproxy.mode = next.synproxy.mode = CFG_MODE_COOKIE;
	run.synproxy.ratelimit_enabled = next.synproxy.ratelimit_enabled = false;
	run.synproxy.max_flows_per_prefix = next.synproxy.max_flows_per_prefix = 0;
	run.synproxy.max_half_open_per_prefix = next.synproxy.max_half_open_per_prefix = 0;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 0);
	next.synproxy.ratelimit_enabled = true;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "synproxy.ratelimit.enabled"));
	next.synproxy.ratelimit_enabled = false;
	/* a service asking for the cache in a cookie-only process */
	next.synproxy.nb_services = 1;
	next.synproxy.services[0].set = CFG_SVC_MODE;
	next.synproxy.services[0].mode = CFG_MODE_AUTO;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "synproxy.mode"));
	assert_int_equal(diff(&all, buf, sizeof(buf)), 0);
	/* per-prefix caps, global or a service's, without the counters */
	next.synproxy.services[0].set = CFG_SVC_MAX_FLOWS;   /* 0: the global value, none */
	next.synproxy.services[0].max_flows_per_prefix = 0;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 0);
	next.synproxy.services[0].max_flows_per_prefix = 2;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "synproxy.services[].limits"));
	assert_int_equal(diff(&all, buf, sizeof(buf)), 0);
	next.synproxy.services[0].set = 0;
	next.synproxy.max_half_open_per_prefix = 8;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "synproxy.limits"));
	assert_int_equal(diff(&all, buf, sizeof(buf)), 0);
	/* with the proxy off there is nothing to have */
	run.synproxy.enabled = next.synproxy.enabled = false;
	assert_int_equal(diff(&none, buf, sizeof(buf)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_and_live),
		cmocka_unit_test(test_restart_keys_named),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests_name("config_diff", tests, NULL, NULL);
}
