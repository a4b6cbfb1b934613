/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.c - unit tests of the JSON configuration (src/config.c).
 *
 * Every error test feeds a small hand-laid document and checks the whole
 * prefix of the message: file name, JSON path and line:column. The columns in
 * the comments were counted by hand from the text, so a scanner that is off by
 * one fails here. The sample files are read from the source tree (SOURCE_ROOT
 * comes from meson). No EAL is needed: config.c only uses jansson and libc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

static char err[CFG_ERR_LEN];

/* Line 2 of most documents; its columns: [ at 12, ports[0] at 13, ports[1] at 43. */
#define PORTS "  \"ports\": [{\"name\": \"a\", \"role\": \"lan\"}, {\"name\": \"b\", \"role\": \"wan\"}],\n"

static int
load(struct synproxy_config *cfg, const char *text)
{
	memset(err, 0, sizeof(err));
	return config_load_string(cfg, text, "t.json", err, sizeof(err));
}

/* The load must fail and the message must start with want. */
static void
expect_error(const char *text, const char *want)
{
	struct synproxy_config cfg;
	int rc = load(&cfg, text);

	if (rc == 0 || strncmp(err, want, strlen(want)) != 0) {
		print_error("document:\n%s\nwant: %s\ngot (rc %d): %s\n", text, want, rc, err);
		fail();
	}
}

static void
expect_ok(struct synproxy_config *cfg, const char *text)
{
	if (load(cfg, text) != 0) {
		print_error("document:\n%s\nunexpected error: %s\n", text, err);
		fail();
	}
}

static void
assert_cfg_equal(const struct synproxy_config *a, const struct synproxy_config *b, bool ports)
{
	const struct cfg_synproxy *x = &a->synproxy, *y = &b->synproxy;

	if (ports) {
		assert_int_equal(a->nb_ports, b->nb_ports);
		for (unsigned int i = 0; i < a->nb_ports; i++) {
			assert_string_equal(a->ports[i].name, b->ports[i].name);
			assert_int_equal(a->ports[i].role, b->ports[i].role);
			assert_int_equal(a->ports[i].rx_desc, b->ports[i].rx_desc);
			assert_int_equal(a->ports[i].tx_desc, b->ports[i].tx_desc);
			assert_int_equal(a->ports[i].rx_queues, b->ports[i].rx_queues);
		}
	}
	assert_int_equal(a->mempool_size, b->mempool_size);
	assert_int_equal(a->mempool_cache, b->mempool_cache);
	assert_int_equal(a->burst_size, b->burst_size);
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->link_timeout_ms, b->link_timeout_ms);
	assert_int_equal(a->tx_retries, b->tx_retries);
	assert_int_equal(a->steer_ring_size, b->steer_ring_size);
	assert_string_equal(a->rss, b->rss);
	assert_string_equal(a->log_level, b->log_level);
	assert_int_equal(x->enabled, y->enabled);
	assert_int_equal(x->mode, y->mode);
	assert_int_equal(x->flow_table_size, y->flow_table_size);
	assert_int_equal(x->timeout_syn_sent, y->timeout_syn_sent);
	assert_int_equal(x->timeout_established, y->timeout_established);
	assert_int_equal(x->timeout_fin, y->timeout_fin);
	assert_int_equal(x->timeout_time_wait, y->timeout_time_wait);
	assert_int_equal(x->timeout_close, y->timeout_close);
	assert_int_equal(x->cookie_period, y->cookie_period);
	assert_int_equal(x->mss_table_len, y->mss_table_len);
	assert_memory_equal(x->mss_table, y->mss_table, x->mss_table_len * sizeof(x->mss_table[0]));
	assert_int_equal(x->syn_cache_size, y->syn_cache_size);
	assert_int_equal(x->auto_syn_rate, y->auto_syn_rate);
	assert_int_equal(x->auto_cache_fill_pct, y->auto_cache_fill_pct);
	assert_int_equal(x->default_mss, y->default_mss);
	assert_int_equal(x->default_wscale, y->default_wscale);
	assert_int_equal(x->default_sack, y->default_sack);
	assert_int_equal(x->default_timestamps, y->default_timestamps);
	assert_int_equal(x->learn_table_size, y->learn_table_size);
	assert_int_equal(x->syn_retransmit_ms, y->syn_retransmit_ms);
	assert_int_equal(x->syn_retries, y->syn_retries);
	assert_int_equal(x->ratelimit_enabled, y->ratelimit_enabled);
	assert_int_equal(x->ratelimit_v4_prefix, y->ratelimit_v4_prefix);
	assert_int_equal(x->ratelimit_v6_prefix, y->ratelimit_v6_prefix);
	assert_int_equal(x->ratelimit_rate, y->ratelimit_rate);
	assert_int_equal(x->ratelimit_burst, y->ratelimit_burst);
	assert_int_equal(x->ratelimit_table_size, y->ratelimit_table_size);
	assert_int_equal(x->nb_services, y->nb_services);
	assert_memory_equal(x->services, y->services, x->nb_services * sizeof(x->services[0]));
	assert_int_equal(x->nb_allow, y->nb_allow);
	assert_memory_equal(x->allow, y->allow, x->nb_allow * sizeof(x->allow[0]));
	assert_int_equal(x->nb_deny, y->nb_deny);
	assert_memory_equal(x->deny, y->deny, x->nb_deny * sizeof(x->deny[0]));
}

/* Render, reload, compare: the effective config survives a round trip. */
static void
assert_round_trip(const struct synproxy_config *cfg)
{
	struct synproxy_config back;
	char *text = config_to_json(cfg), *again;

	assert_non_null(text);
	expect_ok(&back, text);
	assert_cfg_equal(cfg, &back, true);
	again = config_to_json(&back);
	assert_non_null(again);
	assert_string_equal(text, again);
	free(again);
	free(text);
}

/* ---- samples and defaults ---- */

static void
test_embedded_default(void **state)
{
	struct synproxy_config cfg;
	const struct cfg_port *lan, *wan;

	(void)state;
	assert_int_equal(config_load_string(&cfg, config_embedded_default, "<embedded>",
					    err, sizeof(err)), 0);
	assert_int_equal(cfg.nb_ports, 2);
	lan = config_port_by_role(&cfg, CFG_ROLE_LAN);
	wan = config_port_by_role(&cfg, CFG_ROLE_WAN);
	assert_non_null(lan);
	assert_non_null(wan);
	assert_string_equal(lan->name, "net_af_packet0");
	assert_string_equal(wan->name, "net_af_packet1");
	assert_int_equal(cfg.mempool_size, 16383);
	assert_int_equal(cfg.mtu, 1500);
	assert_int_equal(cfg.synproxy.flow_table_size, 65536);
	assert_int_equal(cfg.synproxy.mode, CFG_MODE_AUTO);
	assert_true(cfg.synproxy.enabled);
	/* not in the file: defaults */
	assert_int_equal(cfg.burst_size, 32);
	assert_int_equal(lan->rx_desc, 1024);
	assert_int_equal(cfg.synproxy.mss_table_len, 8);
	assert_string_equal(cfg.path, "<embedded>");
	assert_round_trip(&cfg);
}

static void
test_demo_file_is_embedded_default(void **state)
{
	struct synproxy_config file, emb;
	char *a, *b;

	(void)state;
	if (config_load_file(&file, SOURCE_ROOT "/config/demo.json", err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		fail();
	}
	assert_string_equal(file.path, SOURCE_ROOT "/config/demo.json");
	assert_int_equal(config_load_string(&emb, config_embedded_default, NULL, err,
					    sizeof(err)), 0);
	a = config_to_json(&file);
	b = config_to_json(&emb);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void
test_baremetal_file(void **state)
{
	struct synproxy_config cfg;
	const struct cfg_port *lan, *wan;

	(void)state;
	if (config_load_file(&cfg, SOURCE_ROOT "/config/baremetal.json", err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		fail();
	}
	lan = config_port_by_role(&cfg, CFG_ROLE_LAN);
	wan = config_port_by_role(&cfg, CFG_ROLE_WAN);
	assert_non_null(lan);
	assert_non_null(wan);
	assert_string_equal(lan->name, "0000:03:00.0");
	assert_string_equal(wan->name, "0000:03:00.1");
	assert_int_equal(lan->rx_desc, 2048);
	assert_int_equal(wan->tx_desc, 2048);
	assert_int_equal(cfg.synproxy.flow_table_size, 1048576);
	assert_int_equal(cfg.mempool_size, 262143);
	assert_int_equal(cfg.synproxy.ratelimit_table_size, 262144);
	assert_round_trip(&cfg);
}

static void
test_defaults_filled(void **state)
{
	struct synproxy_config cfg, def;

	(void)state;
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"timeouts\": {}, \"defaults\": {}}\n}");
	config_defaults(&def);
	assert_cfg_equal(&cfg, &def, false);
	/* spot-check the values promised in config.h, not just self-consistency */
	assert_int_equal(def.mempool_size, 16383);
	assert_int_equal(def.mempool_cache, 256);
	assert_int_equal(def.steer_ring_size, 4096);
	assert_string_equal(def.rss, "auto");
	assert_string_equal(def.log_level, "info");
	assert_int_equal(def.synproxy.flow_table_size, 262144);
	assert_int_equal(def.synproxy.timeout_established, 7440);
	assert_int_equal(def.synproxy.mss_table[0], 536);
	assert_int_equal(def.synproxy.mss_table[7], 1460);
	assert_int_equal(def.synproxy.default_wscale, 7);
	assert_int_equal(def.synproxy.ratelimit_burst, 2000);
	assert_int_equal(cfg.ports[0].rx_desc, 1024);
	assert_int_equal(cfg.ports[1].tx_desc, 1024);
	assert_int_equal(cfg.ports[0].rx_queues, 0);
}

static void
test_every_value_round_trips(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	expect_ok(&cfg,
		  "{\"ports\": [{\"name\": \"w\", \"role\": \"wan\", \"rx_desc\": 64, \"tx_desc\": 16384,"
		  " \"rx_queues\": 128}, {\"name\": \"l\", \"role\": \"lan\"}],"
		  " \"mempool_size\": 16777215, \"mempool_cache\": 0, \"burst_size\": 256,"
		  " \"mtu\": 9600, \"link_timeout_ms\": 0, \"tx_retries\": 1000,"
		  " \"steer_ring_size\": 64, \"rss\": \"software\", \"log_level\": \"debug\","
		  " \"synproxy\": {\"enabled\": false, \"mode\": \"cookie\", \"flow_table_size\": 16777216,"
		  " \"timeouts\": {\"syn_sent\": 600, \"established\": 1, \"fin\": 2, \"time_wait\": 3,"
		  " \"close\": 3600}, \"cookie_period\": 3600, \"mss_table\": [88, 65535],"
		  " \"syn_cache_size\": 1024, \"auto_syn_rate\": 1, \"auto_cache_fill_pct\": 100,"
		  " \"defaults\": {\"mss\": 88, \"wscale\": 14, \"sack\": false, \"timestamps\": false},"
		  " \"learn_table_size\": 1024, \"syn_retransmit_ms\": 10, \"syn_retries\": 0,"
		  " \"ratelimit\": {\"enabled\": false, \"ipv4_prefix\": 0, \"ipv6_prefix\": 128,"
		  " \"rate\": 100000000, \"burst\": 1, \"table_size\": 1024}}}");
	assert_int_equal(cfg.ports[0].role, CFG_ROLE_WAN);
	assert_int_equal(cfg.ports[0].rx_queues, 128);
	assert_ptr_equal(config_port_by_role(&cfg, CFG_ROLE_LAN), &cfg.ports[1]);
	assert_int_equal(cfg.mempool_size, 16777215);
	assert_string_equal(cfg.rss, "software");
	assert_string_equal(cfg.log_level, "debug");
	assert_false(cfg.synproxy.enabled);
	assert_int_equal(cfg.synproxy.mode, CFG_MODE_COOKIE);
	assert_int_equal(cfg.synproxy.mss_table_len, 2);
	assert_int_equal(cfg.synproxy.mss_table[1], 65535);
	assert_int_equal(cfg.synproxy.default_wscale, 14);
	assert_false(cfg.synproxy.default_timestamps);
	assert_int_equal(cfg.synproxy.ratelimit_v6_prefix, 128);
	assert_int_equal(cfg.synproxy.ratelimit_rate, 100000000);
	assert_round_trip(&cfg);
}

/* ---- comments ---- */

static void
test_comments_accepted(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	expect_ok(&cfg,
		  "// leading \"quote and /* an opener that is not one\n"
		  "{\n"
		  "  /* block\n"
		  "     spanning lines */ \"ports\": [\n"
		  "    {\"name\": \"net//a\", \"role\": \"lan\"}, // trailing\n"
		  "    {\"name\": \"b/*c*/\\\"//\", \"role\": \"wan\"}\n"
		  "  ],\n"
		  "  \"mtu\" /* between key and colon */ : 9000, // \xc3\xbc unicode \xe2\x9c\x93\n"
		  "  \"burst_size\": 64 /**/\n"
		  "}\n"
		  "/* trailing */ // and a last line without newline");
	assert_string_equal(cfg.ports[0].name, "net//a");
	assert_string_equal(cfg.ports[1].name, "b/*c*/\"//");
	assert_int_equal(cfg.mtu, 9000);
	assert_int_equal(cfg.burst_size, 64);
}

static void
test_comments_keep_positions(void **state)
{
	(void)state;
	/* two 3-byte characters in a comment count as two columns: value at 4:26 */
	expect_error("{\n" PORTS "  // \xe2\x9c\x93\n"
		     "  /* \xe2\x9c\x93\xe2\x9c\x93 */ \"burst_size\": 0\n}",
		     "t.json: $.burst_size (line 4:26): 0 is out of range 1..256");
	/* a multi-line block comment keeps the line count */
	expect_error("{\n/*\n\n\n*/" PORTS "  \"mtu\": 1\n}",
		     "t.json: $.mtu (line 6:10): 1 is out of range 68..9600");
	/* a multibyte character inside a string also counts once: role at 3:27 */
	expect_error("{\n  \"ports\": [\n    {\"name\": \"\xc3\xbc\", \"role\": \"dmz\"},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[0].role (line 3:27): expected \"lan\" or \"wan\"");
	/* syntax errors after a comment keep jansson's column: the stray } at 3:23 */
	expect_error("{\n" PORTS "  /* \xc3\xbc */ \"mtu\": 1500,}\n",
		     "t.json:3:23: ");
	expect_error("{\n  \"mtu\": 1 /* open\n\n", "t.json:2:12: unterminated /* comment");
	expect_error("/* \xc3\xbc */ /*", "t.json:1:9: unterminated /* comment");
}

/* ---- validation errors ---- */

static void
test_unknown_keys(void **state)
{
	(void)state;
	expect_error("{\n" PORTS "  \"bogus\": 1\n}",
		     "t.json: $.bogus (line 3:3): unknown key");
	expect_error("{\n" PORTS "  \"synproxy\": {\n    \"timeouts\": {\"fin\": 30, \"finn\": 30}\n  }\n}",
		     "t.json: $.synproxy.timeouts.finn (line 4:29): unknown key");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\", \"speed\": 10},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[0].speed (line 3:34): unknown key");
	/* a key that is no identifier is quoted in the path */
	expect_error("{\n" PORTS "  \"a b\\\"c\": 1\n}",
		     "t.json: $[\"a b\\\"c\"] (line 3:3): unknown key");
	/* case matters */
	expect_error("{\n" PORTS "  \"MTU\": 1500\n}", "t.json: $.MTU (line 3:3): unknown key");
	/* the unknown key's value is skipped correctly even when deeply nested */
	{
		char doc[4096];
		size_t n = 0;

		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\n" PORTS "  \"deep\": ");
		for (int i = 0; i < 1000; i++)
			doc[n++] = '[';
		for (int i = 0; i < 1000; i++)
			doc[n++] = ']';
		snprintf(doc + n, sizeof(doc) - n, "\n}");
		expect_error(doc, "t.json: $.deep (line 3:3): unknown key");
	}
}

static void
test_wrong_types(void **state)
{
	(void)state;
	expect_error("{\n" PORTS "  \"mtu\": \"1500\"\n}",
		     "t.json: $.mtu (line 3:10): expected an integer, got a string");
	expect_error("{\n" PORTS "  \"synproxy\": {\"enabled\": 1}\n}",
		     "t.json: $.synproxy.enabled (line 3:27): expected true or false, got an integer");
	expect_error("{\n" PORTS "  \"burst_size\": 1.5\n}",
		     "t.json: $.burst_size (line 3:17): expected an integer, got a fractional number");
	expect_error("{\n" PORTS "  \"synproxy\": [1]\n}",
		     "t.json: $.synproxy (line 3:15): expected an object, got an array");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mode\": null}\n}",
		     "t.json: $.synproxy.mode (line 3:24): expected one of \"cookie\", \"cache\", \"auto\", got null");
	expect_error("{\n" PORTS "  \"rss\": true\n}",
		     "t.json: $.rss (line 3:10): expected one of \"auto\", \"hardware\", \"software\", got a boolean");
	expect_error("{\n  \"ports\": {}\n}",
		     "t.json: $.ports (line 2:12): expected an array, got an object");
	expect_error("{\n  \"ports\": [1, 2]\n}",
		     "t.json: $.ports[0] (line 2:13): expected an object, got an integer");
	expect_error("{\n  \"ports\": [{\"name\": 7, \"role\": \"lan\"}, {\"name\": \"b\", \"role\": \"wan\"}]\n}",
		     "t.json: $.ports[0].name (line 2:22): expected a string, got an integer");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": 1460}\n}",
		     "t.json: $.synproxy.mss_table (line 3:29): expected an array, got an integer");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": [536, \"1460\"]}\n}",
		     "t.json: $.synproxy.mss_table[1] (line 3:35): expected an integer, got a string");
	/* the root must be an object */
	expect_error("[]", "t.json: $ (line 1:1): expected an object, got an array");
	expect_error("\n\n  []", "t.json: $ (line 3:3): expected an object");
}

static void
test_out_of_range(void **state)
{
	(void)state;
	expect_error("{\n" PORTS "  \"mtu\": 67\n}",
		     "t.json: $.mtu (line 3:10): 67 is out of range 68..9600");
	expect_error("{\n" PORTS "  \"mtu\": 9601\n}",
		     "t.json: $.mtu (line 3:10): 9601 is out of range 68..9600");
	expect_error("{\n" PORTS "  \"mtu\": -1\n}",
		     "t.json: $.mtu (line 3:10): -1 is out of range 68..9600");
	expect_error("{\n" PORTS "  \"burst_size\": 0\n}",
		     "t.json: $.burst_size (line 3:17): 0 is out of range 1..256");
	expect_error("{\n" PORTS "  \"burst_size\": 257\n}",
		     "t.json: $.burst_size (line 3:17): 257 is out of range 1..256");
	expect_error("{\n" PORTS "  \"mempool_size\": 1022\n}",
		     "t.json: $.mempool_size (line 3:19): 1022 is out of range 1023..16777215");
	expect_error("{\n" PORTS "  \"mempool_size\": 16777216\n}",
		     "t.json: $.mempool_size (line 3:19): 16777216 is out of range");
	expect_error("{\n" PORTS "  \"mempool_cache\": 513\n}",
		     "t.json: $.mempool_cache (line 3:20): 513 is out of range 0..512");
	/* values too large for any integer: jansson's own error */
	expect_error("{\n" PORTS "  \"mtu\": 99999999999999999999999\n}", "t.json:3:");
	expect_error("{\n" PORTS "  \"synproxy\": {\"defaults\": {\"wscale\": 15}}\n}",
		     "t.json: $.synproxy.defaults.wscale (line 3:39): 15 is out of range 0..14");
	expect_error("{\n" PORTS "  \"synproxy\": {\"defaults\": {\"mss\": 87}}\n}",
		     "t.json: $.synproxy.defaults.mss (line 3:36): 87 is out of range 88..65535");
	expect_error("{\n" PORTS "  \"synproxy\": {\"ratelimit\": {\"ipv4_prefix\": 33}}\n}",
		     "t.json: $.synproxy.ratelimit.ipv4_prefix (line 3:45): 33 is out of range 0..32");
	expect_error("{\n" PORTS "  \"synproxy\": {\"ratelimit\": {\"ipv6_prefix\": 129}}\n}",
		     "t.json: $.synproxy.ratelimit.ipv6_prefix (line 3:45): 129 is out of range 0..128");
	expect_error("{\n" PORTS "  \"synproxy\": {\"auto_cache_fill_pct\": 0}\n}",
		     "t.json: $.synproxy.auto_cache_fill_pct (line 3:39): 0 is out of range 1..100");
	expect_error("{\n" PORTS "  \"synproxy\": {\"auto_cache_fill_pct\": 101}\n}",
		     "t.json: $.synproxy.auto_cache_fill_pct (line 3:39): 101 is out of range 1..100");
	expect_error("{\n" PORTS "  \"synproxy\": {\"flow_table_size\": 1023}\n}",
		     "t.json: $.synproxy.flow_table_size (line 3:35): 1023 is out of range 1024..16777216");
	expect_error("{\n" PORTS "  \"synproxy\": {\"flow_table_size\": 16777217}\n}",
		     "t.json: $.synproxy.flow_table_size (line 3:35): 16777217 is out of range");
	expect_error("{\n" PORTS "  \"synproxy\": {\"timeouts\": {\"syn_sent\": 0}}\n}",
		     "t.json: $.synproxy.timeouts.syn_sent (line 3:41): 0 is out of range 1..600");
	/* descriptors: range and power of two; rx_desc of ports[0] at 3:45 */
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\", \"rx_desc\": 1000},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[0].rx_desc (line 3:45): 1000 is not a power of two");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\", \"rx_desc\": 32},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[0].rx_desc (line 3:45): 32 is out of range 64..16384");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\", \"tx_desc\": 32768},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[0].tx_desc (line 3:45): 32768 is out of range 64..16384");
	/* an empty or over-long port name */
	expect_error("{\n  \"ports\": [{\"name\": \"\", \"role\": \"lan\"}, {\"name\": \"b\", \"role\": \"wan\"}]\n}",
		     "t.json: $.ports[0].name (line 2:22): must be 1..127 characters");
	{
		char doc[512], name[CFG_NAME_LEN + 1];

		memset(name, 'x', CFG_NAME_LEN);
		name[CFG_NAME_LEN] = '\0';
		snprintf(doc, sizeof(doc), "{\"ports\": [{\"name\": \"b\", \"role\": \"lan\"},"
			 " {\"name\": \"%s\", \"role\": \"wan\"}]}", name);
		expect_error(doc, "t.json: $.ports[1].name (line 1:51): must be 1..127 characters");
		/* 127 characters is fine */
		name[CFG_NAME_LEN - 1] = '\0';
		snprintf(doc, sizeof(doc), "{\"ports\": [{\"name\": \"b\", \"role\": \"lan\"},"
			 " {\"name\": \"%s\", \"role\": \"wan\"}]}", name);
		struct synproxy_config cfg;
		expect_ok(&cfg, doc);
		assert_string_equal(cfg.ports[1].name, name);
	}
}

static void
test_enumerations(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	expect_error("{\n" PORTS "  \"synproxy\": {\"mode\": \"fast\"}\n}",
		     "t.json: $.synproxy.mode (line 3:24): expected one of \"cookie\", \"cache\", \"auto\"");
	expect_error("{\n" PORTS "  \"rss\": \"Auto\"\n}",
		     "t.json: $.rss (line 3:10): expected one of \"auto\", \"hardware\", \"software\"");
	expect_error("{\n" PORTS "  \"log_level\": \"verbose\"\n}",
		     "t.json: $.log_level (line 3:16): expected one of \"emerg\", \"alert\", \"crit\", "
		     "\"error\", \"warning\", \"notice\", \"info\", \"debug\"");
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"mode\": \"cache\"}, \"log_level\": \"emerg\", "
		  "\"rss\": \"hardware\"\n}");
	assert_int_equal(cfg.synproxy.mode, CFG_MODE_CACHE);
	assert_string_equal(cfg.log_level, "emerg");
	assert_string_equal(cfg.rss, "hardware");
}

static void
test_ports(void **state)
{
	(void)state;
	expect_error("{}", "t.json: $.ports (line 1:1): missing required key");
	expect_error("// header\n  {\n  \"mtu\": 1500\n}", "t.json: $.ports (line 2:3): missing required key");
	expect_error("{\n  \"ports\": []\n}",
		     "t.json: $.ports (line 2:12): expected exactly 2 ports (one lan, one wan), got 0");
	expect_error("{\n  \"ports\": [{\"name\": \"a\", \"role\": \"lan\"}]\n}",
		     "t.json: $.ports (line 2:12): expected exactly 2 ports (one lan, one wan), got 1");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\"},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"},\n    {\"name\": \"c\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[2] (line 5:5): too many ports");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\"},\n"
		     "    {\"name\": \"b\", \"role\": \"lan\"}\n  ]\n}",
		     "t.json: $.ports[1].role (line 4:27): duplicate role \"lan\"");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"wan\"},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[1].role (line 4:27): duplicate role \"wan\"");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\"},\n"
		     "    {\"name\": \"b\", \"role\": \"dmz\"}\n  ]\n}",
		     "t.json: $.ports[1].role (line 4:27): expected \"lan\" or \"wan\"");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\"},\n"
		     "    {\"name\": \"a\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[1].name (line 4:14): duplicate port name");
	/* a required key missing in a port points at that port's object */
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\"},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[0].role (line 3:5): missing required key");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\"},\n"
		     "    { \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[1].name (line 4:5): missing required key");
}

static void
test_mss_table(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": [536, 1460, 1400]}\n}",
		     "t.json: $.synproxy.mss_table[2] (line 3:41): 1400 must be greater than the previous entry 1460");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": [536, 536]}\n}",
		     "t.json: $.synproxy.mss_table[1] (line 3:35): 536 must be greater");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": []}\n}",
		     "t.json: $.synproxy.mss_table (line 3:29): must hold 1..8 MSS values");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": [100, 200, 300, 400, 500, 600, 700, 800, 900]}\n}",
		     "t.json: $.synproxy.mss_table[8] (line 3:70): too many entries");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": [87]}\n}",
		     "t.json: $.synproxy.mss_table[0] (line 3:30): 87 is out of range 88..65535");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mss_table\": [1000, 65536]}\n}",
		     "t.json: $.synproxy.mss_table[1] (line 3:36): 65536 is out of range 88..65535");
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"mss_table\": [100, 200, 300, 400, 500, 600, 700, 800]}\n}");
	assert_int_equal(cfg.synproxy.mss_table_len, 8);
	assert_int_equal(cfg.synproxy.mss_table[7], 800);
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"mss_table\": [1460]}\n}");
	assert_int_equal(cfg.synproxy.mss_table_len, 1);
	assert_int_equal(cfg.synproxy.mss_table[0], 1460);
}

/* ---- protected services and source lists ---- */

/* Line 3 opens the list; entries start on line 4 at column 5. */
#define SVC_DOC(entries) "{\n" PORTS "  \"synproxy\": {\"services\": [\n" entries "\n]}}"
/*
 * Columns of line 4 "    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80]}":
 * { at 5, the prefix value at 16, the ports array at 42, ports[0] at 43.
 */
#define E24(ports) "    {\"prefix\": \"198.18.1.0/24\", \"ports\": " ports "}"

static void
test_service_prefixes(void **state)
{
	(void)state;
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.1/24\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): host bits set past /24 "
		     "(did you mean \"198.18.1.0/24\"?)");
	expect_error(SVC_DOC("    {\"prefix\": \"2001:2::1/48\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): host bits set past /48 "
		     "(did you mean \"2001:2::/48\"?)");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): \"198.18.1\" is not an IPv4 or IPv6 address");
	expect_error(SVC_DOC("    {\"prefix\": \"198.018.1.0\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): \"198.018.1.0\" is not an IPv4");
	expect_error(SVC_DOC("    {\"prefix\": \"2001:2::/129\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): prefix length 129 is out of range 0..128 for IPv6");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.0.0/33\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): prefix length 33 is out of range 0..32 for IPv4");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.0.0/\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): prefix length \"\" must be a number 0..32");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.0.0/016\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): prefix length \"016\" must be a number");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.0.0/+16\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): prefix length \"+16\" must be a number");
	expect_error(SVC_DOC("    {\"prefix\": \"fe80::1%eth0\", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): \"fe80::1%eth0\" is not");
	expect_error(SVC_DOC("    {\"prefix\": 198, \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): expected an address or prefix string");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.0.0/16                                               \", \"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:16): not an IPv4 or IPv6 address or prefix");
	expect_error(SVC_DOC("    {\"ports\": [80]}"),
		     "t.json: $.synproxy.services[0].prefix (line 4:5): missing required key");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\"}"),
		     "t.json: $.synproxy.services[0].ports (line 4:5): missing required key");
	expect_error("{\n" PORTS "  \"synproxy\": {\"services\": []}}",
		     "t.json: $.synproxy.services (line 3:28): an empty list would protect nothing");
	expect_error("{\n" PORTS "  \"synproxy\": {\"services\": {}}}",
		     "t.json: $.synproxy.services (line 3:28): expected an array of services, got an object");
	expect_error(SVC_DOC("    [\"198.18.1.0/24\"]"),
		     "t.json: $.synproxy.services[0] (line 4:5): expected an object, got an array");
}

static void
test_service_ports(void **state)
{
	(void)state;
	expect_error(SVC_DOC(E24("[]")),
		     "t.json: $.synproxy.services[0].ports (line 4:42): must hold 1..32 ports or ranges");
	expect_error(SVC_DOC(E24("80")),
		     "t.json: $.synproxy.services[0].ports (line 4:42): expected an array of port numbers");
	expect_error(SVC_DOC(E24("[0]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): 0 is out of range 1..65535");
	expect_error(SVC_DOC(E24("[65536]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): 65536 is out of range 1..65535");
	expect_error(SVC_DOC(E24("[-1]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): -1 is out of range 1..65535");
	expect_error(SVC_DOC(E24("[80.5]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): expected a port number or a \"lo-hi\" range string, got a fractional number");
	expect_error(SVC_DOC(E24("[\"90-80\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): range \"90-80\" is reversed: 90 is above 80");
	expect_error(SVC_DOC(E24("[\"0-80\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): range \"0-80\": ports are 1..65535");
	expect_error(SVC_DOC(E24("[\"80-65536\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): range \"80-65536\": ports are 1..65535");
	expect_error(SVC_DOC(E24("[\"80-99999999999\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \"80-99999999999\" is not a port range");
	expect_error(SVC_DOC(E24("[\"80\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \"80\" is not a port range");
	expect_error(SVC_DOC(E24("[\"http\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \"http\" is not a port range");
	expect_error(SVC_DOC(E24("[\"80-\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \"80-\" is not a port range");
	expect_error(SVC_DOC(E24("[\"-80\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \"-80\" is not a port range");
	expect_error(SVC_DOC(E24("[\"1-2-3\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \"1-2-3\" is not a port range");
	expect_error(SVC_DOC(E24("[\" 1-2\"]")),
		     "t.json: $.synproxy.services[0].ports[0] (line 4:43): \" 1-2\" is not a port range");
	/* within one entry no two items may share a port */
	expect_error(SVC_DOC(E24("[80, \"79-81\"]")),
		     "t.json: $.synproxy.services[0].ports[1] (line 4:47): 79-81 overlaps 80 at ports[0]");
	expect_error(SVC_DOC(E24("[80, 80]")),
		     "t.json: $.synproxy.services[0].ports[1] (line 4:47): 80 overlaps 80 at ports[0]");
	expect_error(SVC_DOC(E24("[\"1-100\", \"100-200\"]")),
		     "t.json: $.synproxy.services[0].ports[1] (line 4:52): 100-200 overlaps 1-100 at ports[0]");
	expect_error(SVC_DOC(E24("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,"
				 " 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33]")),
		     "t.json: $.synproxy.services[0].ports[32] (line 4:162): too many entries: a service holds at most 32");
}

static void
test_service_overlaps(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	/* the same prefix with a shared port, however it is spelled */
	expect_error(SVC_DOC(E24("[80]") ",\n" E24("[80]")),
		     "t.json: $.synproxy.services[1].ports (line 5:42): overlaps $.synproxy.services[0]: "
		     "both name 198.18.1.0/24 and port 80");
	expect_error(SVC_DOC(E24("[\"8000-8100\", 443]") ",\n" E24("[22, \"8100-9000\"]")),
		     "t.json: $.synproxy.services[1].ports (line 5:42): overlaps $.synproxy.services[0]: "
		     "both name 198.18.1.0/24 and port 8100");
	expect_error(SVC_DOC("    {\"prefix\": \"2001:2::/64\", \"ports\": [\"1-65535\"]},\n"
			     "    {\"prefix\": \"2001:2:0:0::/64\", \"ports\": [443]}"),
		     "t.json: $.synproxy.services[1].ports (line 5:44): overlaps $.synproxy.services[0]: "
		     "both name 2001:2::/64 and port 443");
	/* the same prefix with disjoint ports, nested prefixes, other families: fine */
	expect_ok(&cfg, SVC_DOC(E24("[80, 443]") ",\n" E24("[22]") ",\n"
				"    {\"prefix\": \"198.18.1.5\", \"ports\": [80]},\n"
				"    {\"prefix\": \"198.18.0.0/15\", \"ports\": [\"1-65535\"]},\n"
				"    {\"prefix\": \"0.0.0.0/0\", \"ports\": [80]},\n"
				"    {\"prefix\": \"::ffff:198.18.1.0/120\", \"ports\": [80]}"));
	assert_int_equal(cfg.synproxy.nb_services, 6);
	assert_int_equal(cfg.synproxy.services[2].prefix.len, 32);
	assert_int_equal(cfg.synproxy.services[4].prefix.len, 0);
	assert_int_equal(cfg.synproxy.services[5].prefix.family, CFG_AF_INET6);
	assert_int_equal(cfg.synproxy.services[5].prefix.len, 120);
}

static void
test_service_overrides(void **state)
{
	struct synproxy_config cfg;
	const struct cfg_service *s;

	(void)state;
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"port\": 1}"),
		     "t.json: $.synproxy.services[0].port (line 4:48): unknown key");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"mode\": \"fast\"}"),
		     "t.json: $.synproxy.services[0].mode (line 4:56): expected one of \"cookie\", \"cache\", \"auto\"");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"defaults\": {\"wscale\": 15}}"),
		     "t.json: $.synproxy.services[0].defaults.wscale (line 4:71): 15 is out of range 0..14");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"defaults\": {\"mss\": 87}}"),
		     "t.json: $.synproxy.services[0].defaults.mss (line 4:68): 87 is out of range 88..65535");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"defaults\": {\"sack\": 1}}"),
		     "t.json: $.synproxy.services[0].defaults.sack (line 4:69): expected true or false");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"ratelimit\": {\"rate\": 0}}"),
		     "t.json: $.synproxy.services[0].ratelimit.rate (line 4:70): 0 is out of range 1..100000000");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"ratelimit\": {\"enabled\": false}}"),
		     "t.json: $.synproxy.services[0].ratelimit.enabled (line 4:62): unknown key");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"limits\": {\"max_flows_per_prefix\": 16777217}}"),
		     "t.json: $.synproxy.services[0].limits.max_flows_per_prefix (line 4:83): 16777217 is out of range 0..16777216");
	expect_error(SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [80], \"limits\": {\"max_half_open_per_prefix\": -1}}"),
		     "t.json: $.synproxy.services[0].limits.max_half_open_per_prefix (line 4:87): -1 is out of range");
	expect_ok(&cfg, SVC_DOC("    {\"prefix\": \"198.18.1.0/24\", \"ports\": [443, 80, \"8000-8099\"],"
				" \"mode\": \"cache\", \"defaults\": {\"mss\": 1200, \"timestamps\": false},"
				" \"ratelimit\": {\"burst\": 9},"
				" \"limits\": {\"max_flows_per_prefix\": 0, \"max_half_open_per_prefix\": 16777216}},\n"
				"    {\"prefix\": \"198.18.2.0/24\", \"ports\": [80], \"defaults\": {}}"));
	s = &cfg.synproxy.services[0];
	assert_int_equal(s->set, CFG_SVC_MODE | CFG_SVC_MSS | CFG_SVC_TIMESTAMPS | CFG_SVC_RL_BURST |
				 CFG_SVC_MAX_FLOWS | CFG_SVC_MAX_HALF_OPEN);
	assert_int_equal(s->mode, CFG_MODE_CACHE);
	assert_int_equal(s->mss, 1200);
	assert_false(s->timestamps);
	assert_int_equal(s->ratelimit_burst, 9);
	assert_int_equal(s->max_half_open_per_prefix, 16777216);
	/* ports come back sorted */
	assert_int_equal(s->nb_ports, 3);
	assert_int_equal(s->ports[0].lo, 80);
	assert_int_equal(s->ports[1].lo, 443);
	assert_int_equal(s->ports[2].lo, 8000);
	assert_int_equal(s->ports[2].hi, 8099);
	assert_int_equal(cfg.synproxy.services[1].set, 0);
	/* the globals are untouched by a service's overrides */
	assert_int_equal(cfg.synproxy.mode, CFG_MODE_AUTO);
	assert_int_equal(cfg.synproxy.default_mss, 1460);
	assert_round_trip(&cfg);
}

static void
test_service_limits(void **state)
{
	size_t cap = 64 + (CFG_MAX_SERVICES + 1) * 64;
	char *doc = malloc(cap + 256), *p;
	struct synproxy_config cfg;

	(void)state;
	assert_non_null(doc);
	p = doc + sprintf(doc, "{" PORTS "\"synproxy\": {\"services\": [");
	for (unsigned int i = 0; i <= CFG_MAX_SERVICES; i++)
		p += sprintf(p, "%s{\"prefix\": \"198.18.%u.%u\", \"ports\": [80]}", i ? "," : "",
			     i / 256, i % 256);
	strcpy(p, "]}}");
	expect_error(doc, "t.json: $.synproxy.services[256] (line 2:");
	assert_non_null(strstr(err, "too many services: at most 256"));
	/* exactly the maximum loads and round-trips */
	p = strrchr(doc, '{');
	strcpy(p - 1, "]}}");
	expect_ok(&cfg, doc);
	assert_int_equal(cfg.synproxy.nb_services, CFG_MAX_SERVICES);
	assert_round_trip(&cfg);
	free(doc);
}

/* synproxy.limits: defaults follow flow_table_size, 0 turns a cap off. */
static void
test_prefix_limits(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {}}");
	assert_int_equal(cfg.synproxy.max_flows_per_prefix, 65536);
	assert_int_equal(cfg.synproxy.max_half_open_per_prefix, 4096);
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {\"flow_table_size\": 1024}}");
	assert_int_equal(cfg.synproxy.max_flows_per_prefix, 256);
	assert_int_equal(cfg.synproxy.max_half_open_per_prefix, 16);
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {\"limits\": {\"max_flows_per_prefix\": 0,"
		  " \"max_half_open_per_prefix\": 7}}}");
	assert_int_equal(cfg.synproxy.max_flows_per_prefix, 0);
	assert_int_equal(cfg.synproxy.max_half_open_per_prefix, 7);
	assert_round_trip(&cfg);
	expect_error("{" PORTS "\"synproxy\": {\"limits\": {\"max_flows_per_prefix\": 16777217}}}",
		     "t.json: $.synproxy.limits.max_flows_per_prefix (line 2:49): 16777217 is out of range");
	expect_error("{" PORTS "\"synproxy\": {\"limits\": {\"max_flows\": 1}}}",
		     "t.json: $.synproxy.limits.max_flows");
	/* by hand: resolved the same way */
	config_defaults(&cfg);
	assert_int_equal(cfg.synproxy.max_flows_per_prefix, CFG_LIMIT_AUTO);
	config_limits_resolve(&cfg.synproxy);
	assert_int_equal(cfg.synproxy.max_flows_per_prefix, 65536);
}

/* The pool arithmetic of README "Sizing the mbuf pool", on the defaults:
 * rings 4 x 1024, in flight 6 x 32 + 64 + 64 probes, cache 1.5 x 256 per lcore. */
static void
test_pool_need(void **state)
{
	struct synproxy_config cfg;
	char how[256];

	(void)state;
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {}}");
	assert_int_equal(config_pool_need(&cfg, 1, false, NULL, 0), 4096 + 320 + 2 * 384);
	/* software steering: the steering ring and the stash (one burst per worker) */
	assert_int_equal(config_pool_need(&cfg, 2, true, how, sizeof(how)),
			 2 * (4096 + 4096 + 320 + 64) + 3 * 384);
	assert_non_null(strstr(how, "= 18304"));
	/* with one worker nothing is steered */
	assert_int_equal(config_pool_need(&cfg, 1, true, NULL, 0), 4096 + 320 + 32 + 2 * 384);
	assert_int_equal(config_pool_need(&cfg, 4, false, NULL, 0), 4 * (4096 + 320) + 5 * 384);
	/* the shipped configs cover what they say */
	expect_ok(&cfg, config_embedded_default);
	assert_true(config_pool_need(&cfg, 2, true, NULL, 0) <= cfg.mempool_size);
	assert_true(config_pool_need(&cfg, 3, true, NULL, 0) > cfg.mempool_size);
	assert_int_equal(config_load_file(&cfg, SOURCE_ROOT "/config/baremetal.json", err, sizeof(err)), 0);
	assert_true(config_pool_need(&cfg, 8, true, NULL, 0) <= cfg.mempool_size);
}

/* Line 3 "  \"synproxy\": {\"allow\": [...": the list at 25, allow[0] at 26. */
static void
test_source_lists(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	expect_error("{\n" PORTS "  \"synproxy\": {\"allow\": [\"198.18.0.0/16\", \"198.18.0.0/16\"]}}",
		     "t.json: $.synproxy.allow[1] (line 3:43): duplicate of $.synproxy.allow[0] (198.18.0.0/16)");
	expect_error("{\n" PORTS "  \"synproxy\": {\"allow\": [\"198.18.0.0/16\", \"198.18.1.0/24\"]}}",
		     "t.json: $.synproxy.allow[1] (line 3:43): 198.18.1.0/24 lies inside $.synproxy.allow[0] "
		     "(198.18.0.0/16), which already covers it");
	expect_error("{\n" PORTS "  \"synproxy\": {\"deny\": [\"2001:2::1\", \"2001:2::/48\"]}}",
		     "t.json: $.synproxy.deny[1] (line 3:38): 2001:2::/48 covers $.synproxy.deny[0] (2001:2::1/128)");
	expect_error("{\n" PORTS "  \"synproxy\": {\"allow\": [\"198.18.1.0/24\"], \"deny\": [\"198.18.1.0/24\"]}}",
		     "t.json: $.synproxy.deny[0] (line 3:53): 198.18.1.0/24 is also in $.synproxy.allow[0]: "
		     "a source cannot be both allowed and denied");
	expect_error("{\n" PORTS "  \"synproxy\": {\"deny\": [\"2001:2::/64\"], \"allow\": [\"2001:2:0::/64\"]}}",
		     "t.json: $.synproxy.allow[0] (line 3:51): 2001:2::/64 is also in $.synproxy.deny[0]");
	expect_error("{\n" PORTS "  \"synproxy\": {\"deny\": [\"198.18.0.1/8\"]}}",
		     "t.json: $.synproxy.deny[0] (line 3:25): host bits set past /8 (did you mean \"198.0.0.0/8\"?)");
	expect_error("{\n" PORTS "  \"synproxy\": {\"deny\": \"198.18.0.0/16\"}}",
		     "t.json: $.synproxy.deny (line 3:24): expected an array of source prefixes, got a string");
	expect_error("{\n" PORTS "  \"synproxy\": {\"allow\": [null]}}",
		     "t.json: $.synproxy.allow[0] (line 3:26): expected an address or prefix string");
	/* nested across the lists is the intended exception; families never clash */
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"deny\": [\"198.18.0.0/15\", \"2001:2::/48\"],"
			" \"allow\": [\"198.18.7.0/24\", \"198.18.9.9\", \"::ffff:198.18.0.0/112\", \"2001:2:0:1::/64\"]}}");
	assert_int_equal(cfg.synproxy.nb_deny, 2);
	assert_int_equal(cfg.synproxy.nb_allow, 4);
	assert_int_equal(cfg.synproxy.allow[1].len, 32);
	assert_int_equal(cfg.synproxy.allow[2].family, CFG_AF_INET6);
	assert_round_trip(&cfg);
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"deny\": [], \"allow\": []}}");
	assert_int_equal(cfg.synproxy.nb_deny + cfg.synproxy.nb_allow, 0);
}

/* --check and /synproxy/config show services and lists in their normal form. */
static void
test_policy_rendered(void **state)
{
	struct synproxy_config cfg;
	char *text;

	(void)state;
	expect_ok(&cfg, "{\n" PORTS "  \"synproxy\": {\"services\": [{\"prefix\": \"2001:0002:0::/64\","
			" \"ports\": [\"10-20\", 5, \"7-7\"], \"defaults\": {\"sack\": false}}],"
			" \"deny\": [\"198.18.9.9\"]}}");
	text = config_to_json(&cfg);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"prefix\": \"2001:2::/64\""));
	assert_non_null(strstr(text, "5,\n          7,\n          \"10-20\""));
	assert_non_null(strstr(text, "\"defaults\": {\n          \"sack\": false\n        }"));
	assert_null(strstr(text, "\"mode\": \"auto\",\n        "));      /* no override shown unset */
	assert_non_null(strstr(text, "\"198.18.9.9/32\""));
	assert_non_null(strstr(text, "\"allow\": []"));
	free(text);
	assert_round_trip(&cfg);
	/* without services the key is left out: an empty list would not load */
	expect_ok(&cfg, "{\n" PORTS "  \"mtu\": 1500\n}");
	text = config_to_json(&cfg);
	assert_non_null(text);
	assert_null(strstr(text, "services"));
	free(text);
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	expect_error("{\n" PORTS "  \"mtu\": 1500,\n  \"mtu\": 9000\n}",
		     "t.json: $.mtu (line 4:3): duplicate key");
	expect_error("{\n" PORTS "  \"synproxy\": {\"mode\": \"auto\", \"mode\": \"cache\"}\n}",
		     "t.json: $.synproxy.mode (line 3:32): duplicate key");
	expect_error("{\n  \"ports\": [\n    {\"name\": \"a\", \"role\": \"lan\"},\n"
		     "    {\"name\": \"b\", \"role\": \"wan\", \"role\": \"wan\"}\n  ]\n}",
		     "t.json: $.ports[1].role (line 4:34): duplicate key");
	/* the same key spelled with an escape is still the same key */
	expect_error("{\n" PORTS "  \"mtu\": 1500, \"m\\u0074u\": 1500\n}",
		     "t.json: $.mtu (line 3:16): duplicate key");
	/* a duplicate deeper than the scanner follows still fails with jansson's text */
	{
		char doc[1024];
		size_t n = 0;

		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\"x\": ");
		for (int i = 0; i < 40; i++)
			doc[n++] = '[';
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\"a\": 1, \"a\": 2}");
		for (int i = 0; i < 40; i++)
			doc[n++] = ']';
		snprintf(doc + n, sizeof(doc) - n, "}");
		expect_error(doc, "t.json:1:");
		assert_non_null(strstr(err, "duplicate"));
	}
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	/* missing comma: jansson stops after the next key string, which ends at 4:14 */
	expect_error("{\n" PORTS "  \"mtu\": 1500\n  \"burst_size\": 32\n}", "t.json:4:14: ");
	/* a trailing comma before the closing brace at 3:14 */
	expect_error("{\n" PORTS "  \"mtu\": 1500,\n}", "t.json:4:1: ");
	expect_error("", "t.json:");
	expect_error("   ", "t.json:");
	expect_error("null", "t.json:1:");
	expect_error("{\"ports\": [", "t.json:1:");
	expect_error("{} {}", "t.json:1:");
	expect_error("{\"mtu\": 1500 / 2}", "t.json:1:");
	expect_error("{\"a\": \"unterminated}", "t.json:1:");
	/* too deep for jansson: rejected, not a stack overflow */
	{
		char *doc = malloc(200001);

		assert_non_null(doc);
		memset(doc, '[', 200000);
		doc[200000] = '\0';
		expect_error(doc, "t.json:1:");
		free(doc);
	}
}

static void
test_escaped_key_found(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	/* "m\u0074u" is "mtu"; its value starts at 3:15 */
	expect_error("{\n" PORTS "  \"m\\u0074u\": 67\n}",
		     "t.json: $.mtu (line 3:15): 67 is out of range");
	expect_ok(&cfg, "{\n" PORTS "  \"m\\u0074u\": 1280\n}");
	assert_int_equal(cfg.mtu, 1280);
}

/* ---- API edges and robustness ---- */

static void
test_failure_keeps_config(void **state)
{
	struct synproxy_config cfg, before;

	(void)state;
	expect_ok(&cfg, "{\n" PORTS "  \"mtu\": 9000\n}");
	before = cfg;
	assert_int_equal(load(&cfg, "{\n" PORTS "  \"mtu\": 9000, \"burst_size\": 0\n}"), -1);
	assert_cfg_equal(&cfg, &before, true);
	assert_int_equal(cfg.burst_size, 32);
	/* no error buffer: still fails cleanly */
	assert_int_equal(config_load_string(&cfg, "{}", "x", NULL, 0), -1);
	assert_int_equal(config_load_string(&cfg, NULL, "x", err, sizeof(err)), -1);
	assert_int_equal(config_load_file(&cfg, NULL, err, sizeof(err)), -1);
	assert_null(config_to_json(NULL));
	assert_null(config_port_by_role(NULL, CFG_ROLE_LAN));
	/* a short error buffer truncates, never overflows */
	{
		char small[8];

		memset(small, 'Z', sizeof(small));
		assert_int_equal(config_load_string(&cfg, "{}", "name", small, 5), -1);
		assert_string_equal(small, "name");
		assert_int_equal(small[5], 'Z');
	}
}

static void
test_load_file_errors(void **state)
{
	struct synproxy_config cfg;
	char path[] = "/tmp/test_config_XXXXXX";
	char want[128];
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(config_load_file(&cfg, "/nonexistent/x.json", err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.json: cannot open: No such file or directory");
	/* a directory opens but cannot be read */
	assert_int_equal(config_load_file(&cfg, "/", err, sizeof(err)), -1);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("{\n" PORTS "  \"synproxy\": {\"mode\": \"fast\"}\n}\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: $.synproxy.mode (line 3:24): ", path);
	assert_memory_equal(err, want, strlen(want));

	/* larger than any config: refused before parsing */
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < (1 << 20) + 1; i++)
		fputc(' ', f);
	fclose(f);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	unlink(path);
}

/* Every strict prefix of a valid document fails cleanly. */
static void
test_truncations(void **state)
{
	struct synproxy_config cfg;
	size_t len = strlen(config_embedded_default), last = len;
	char *buf = malloc(len + 1);

	(void)state;
	assert_non_null(buf);
	while (last > 0 && config_embedded_default[last - 1] != '}')
		last--;
	assert_true(last > 0);
	for (size_t n = 0; n < last; n++) {
		memcpy(buf, config_embedded_default, n);
		buf[n] = '\0';
		assert_int_equal(load(&cfg, buf), -1);
		assert_true(strncmp(err, "t.json", 6) == 0);
	}
	free(buf);
}

/* Random byte damage to the bare-metal sample: never a crash, always a verdict. */
/* timeouts.syn_sent must outlive the SYN retransmissions to the server. */
static void
test_syn_backoff_check(void **state)
{
	struct synproxy_config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_syn_giveup_ms(&cfg.synproxy), 15000);   /* 1 + 2 + 4 + 8 s */
	assert_true((uint64_t)cfg.synproxy.timeout_syn_sent * 1000 >= 15500);
	expect_ok(&cfg, "{" PORTS "\"log_level\": \"info\"}");
	/* the old default, 5 s, is too short for 3 retries at 1 s */
	expect_error("{" PORTS "\"synproxy\": {\"timeouts\": {\"syn_sent\": 5}}}",
		     "t.json: synproxy.timeouts.syn_sent: 5 s ends the handshake before the SYN "
		     "retransmissions to the server do (syn_retransmit_ms 1000 x (2^(syn_retries 3 + 1)"
		     " - 1) = 15000 ms, + 500 ms): raise timeouts.syn_sent to at least 16");
	expect_error("{" PORTS "\"synproxy\": {\"timeouts\": {\"syn_sent\": 15}}}",
		     "t.json: synproxy.timeouts.syn_sent: 15 s");
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {\"timeouts\": {\"syn_sent\": 5}, \"syn_retries\": 1}}");
	assert_int_equal(config_syn_giveup_ms(&cfg.synproxy), 3000);
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {\"timeouts\": {\"syn_sent\": 2}, \"syn_retransmit_ms\": 200,"
		  " \"syn_retries\": 2}}");
	expect_error("{" PORTS "\"synproxy\": {\"timeouts\": {\"syn_sent\": 600}, \"syn_retransmit_ms\": 60000,"
		     " \"syn_retries\": 10}}", "t.json: synproxy.timeouts.syn_sent: 600 s");
	/* not proxying: nothing to retransmit */
	expect_ok(&cfg, "{" PORTS "\"synproxy\": {\"enabled\": false, \"timeouts\": {\"syn_sent\": 1}}}");
}

static void
test_mutations(void **state)
{
	struct synproxy_config cfg;
	static const char junk[] = "{}[]\",:/*\\ \n0-9eu\xc3\xbc\x01";
	char *doc = NULL;
	size_t len = 0;
	FILE *f = fopen(SOURCE_ROOT "/config/baremetal.json", "rb");
	unsigned int seed = 12345;

	(void)state;
	assert_non_null(f);
	doc = malloc(1 << 16);
	assert_non_null(doc);
	len = fread(doc, 1, (1 << 16) - 1, f);
	fclose(f);
	assert_true(len > 0);
	for (int round = 0; round < 3000; round++) {
		char *m = malloc(len + 1);

		assert_non_null(m);
		memcpy(m, doc, len + 1);
		m[len] = '\0';
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			m[(seed >> 8) % len] = junk[(seed >> 20) % (sizeof(junk) - 1)];
		}
		if (load(&cfg, m) != 0)
			assert_true(strncmp(err, "t.json", 6) == 0);
		free(m);
	}
	free(doc);
}

/*
 * synproxy.secret_file: checked and read at load with the usual path and
 * line:column; the key itself is kept, never rendered.
 */
static void
test_secret_file(void **state)
{
	char dir[] = "/tmp/sp-cfgkey.XXXXXX", path[96], doc[512], want[256];
	struct synproxy_config cfg, back;
	uint8_t zero[sizeof(cfg.synproxy.secret_key)] = { 0 };
	char *text;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cookie.key", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (int i = 0; i < 40; i++)
		fputc(i * 37 + 11, f);
	fclose(f);

	/* Line 3, the value at column 51. */
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(doc, sizeof(doc), "{\n" PORTS "  \"synproxy\": {\"cookie_period\": 8, \"secret_file\": \"%s\"}\n}", path);
	snprintf(want, sizeof(want), "t.json: $.synproxy.secret_file (line 3:51): %s: the key file has mode 0644", path);
	expect_error(doc, want);
	assert_int_equal(chmod(path, 0600), 0);
	expect_ok(&cfg, doc);
	assert_string_equal(cfg.synproxy.secret_file, path);
	assert_memory_not_equal(cfg.synproxy.secret_key, zero, sizeof(zero));
	/* Rendered as the path; loading the rendering reads the same key. */
	text = config_to_json(&cfg);
	assert_non_null(text);
	assert_non_null(strstr(text, path));
	expect_ok(&back, text);
	assert_memory_equal(back.synproxy.secret_key, cfg.synproxy.secret_key, sizeof(zero));
	free(text);
	/* Unset: random secrets, not rendered at all. */
	expect_ok(&cfg, "{\n" PORTS "  \"mtu\": 1500\n}");
	assert_string_equal(cfg.synproxy.secret_file, "");
	text = config_to_json(&cfg);
	assert_null(strstr(text, "secret_file"));
	free(text);

	expect_error("{\n" PORTS "  \"synproxy\": {\"secret_file\": 5}\n}",
		     "t.json: $.synproxy.secret_file (line 3:31): expected a file name, got an integer");
	expect_error("{\n" PORTS "  \"synproxy\": {\"secret_file\": \"cookie.key\"}\n}",
		     "t.json: $.synproxy.secret_file (line 3:31): \"cookie.key\" is not an absolute path");
	expect_error("{\n" PORTS "  \"synproxy\": {\"secret_file\": \"\"}\n}",
		     "t.json: $.synproxy.secret_file (line 3:31): must be 1..255 characters");
	snprintf(doc, sizeof(doc), "{\n" PORTS "  \"synproxy\": {\"secret_file\": \"%s/none\"}\n}", dir);
	snprintf(want, sizeof(want), "t.json: $.synproxy.secret_file (line 3:31): %s/none: cannot open the key file: No such file", dir);
	expect_error(doc, want);
	unlink(path);
	rmdir(dir);
}

/*
 * synproxy.state_file: an absolute path to a file in a directory that
 * exists; rendered as given; unset by default.
 */
static void
test_state_file(void **state)
{
	char dir[] = "/tmp/sp-cfgstate.XXXXXX", doc[512], want[256];
	struct synproxy_config cfg, back;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(doc, sizeof(doc), "{\n" PORTS "  \"synproxy\": {\"state_file\": \"%s/ho.state\"}\n}", dir);
	expect_ok(&cfg, doc);
	snprintf(want, sizeof(want), "%s/ho.state", dir);
	assert_string_equal(cfg.synproxy.state_file, want);
	text = config_to_json(&cfg);
	assert_non_null(strstr(text, want));
	expect_ok(&back, text);
	assert_string_equal(back.synproxy.state_file, want);
	free(text);
	expect_ok(&cfg, "{\n" PORTS "  \"mtu\": 1500\n}");
	assert_string_equal(cfg.synproxy.state_file, "");
	text = config_to_json(&cfg);
	assert_null(strstr(text, "state_file"));
	free(text);

	expect_error("{\n" PORTS "  \"synproxy\": {\"state_file\": true}\n}",
		     "t.json: $.synproxy.state_file (line 3:30): expected a file name, got a boolean");
	expect_error("{\n" PORTS "  \"synproxy\": {\"state_file\": \"ho.state\"}\n}",
		     "t.json: $.synproxy.state_file (line 3:30): \"ho.state\" is not an absolute path");
	expect_error("{\n" PORTS "  \"synproxy\": {\"state_file\": \"\"}\n}",
		     "t.json: $.synproxy.state_file (line 3:30): must be 1..255 characters");
	snprintf(doc, sizeof(doc), "{\n" PORTS "  \"synproxy\": {\"state_file\": \"%s/\"}\n}", dir);
	snprintf(want, sizeof(want), "t.json: $.synproxy.state_file (line 3:30): \"%s/\" names a directory, not a file", dir);
	expect_error(doc, want);
	snprintf(doc, sizeof(doc), "{\n" PORTS "  \"synproxy\": {\"state_file\": \"%s/no/ho.state\"}\n}", dir);
	snprintf(want, sizeof(want), "t.json: $.synproxy.state_file (line 3:30): directory %s/no of \"%s/no/ho.state\": No such file or directory", dir, dir);
	expect_error(doc, want);
	/* the path names a directory that exists */
	snprintf(doc, sizeof(doc), "{\n" PORTS "  \"synproxy\": {\"state_file\": \"%s\"}\n}", dir);
	snprintf(want, sizeof(want), "t.json: $.synproxy.state_file (line 3:30): \"%s\" exists and is not a regular file", dir);
	expect_error(doc, want);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_demo_file_is_embedded_default),
		cmocka_unit_test(test_baremetal_file),
		cmocka_unit_test(test_defaults_filled),
		cmocka_unit_test(test_every_value_round_trips),
		cmocka_unit_test(test_comments_accepted),
		cmocka_unit_test(test_comments_keep_positions),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_enumerations),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_mss_table),
		cmocka_unit_test(test_service_prefixes),
		cmocka_unit_test(test_service_ports),
		cmocka_unit_test(test_service_overlaps),
		cmocka_unit_test(test_service_overrides),
		cmocka_unit_test(test_service_limits),
		cmocka_unit_test(test_prefix_limits),
		cmocka_unit_test(test_pool_need),
		cmocka_unit_test(test_source_lists),
		cmocka_unit_test(test_policy_rendered),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_escaped_key_found),
		cmocka_unit_test(test_failure_keeps_config),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_syn_backoff_check),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
