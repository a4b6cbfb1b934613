/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_handover.c - the handover state file (state/handover.c) and the
 * pieces a restore relies on:
 *  - format: round trip field by field; every single corrupted byte, every
 *    truncation, a wrong version, a wrong magic and trailing bytes are each
 *    refused with their own message; records with bad fields are refused;
 *  - files: atomic write (0600, no temporary left), read back, missing file;
 *  - the tables' iteration and insert-with-state functions;
 *  - placement: the key-based software hash and Toeplitz hash equal what the
 *    data path and a NIC compute from the frames, in both directions;
 *  - a proxied connection established in one proxy instance is exported,
 *    encoded, decoded and restored into a fresh instance on another clock,
 *    and keeps translating; one whose age passed its timeout is not restored.
 * Clocks are plain numbers: no sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include "parse.h"
#include "rss.h"
#include "flow/flow_table.h"
#include "flow/prefix_limits.h"
#include "flow/server_opts.h"
#include "fwd/synproxy_int.h"
#include "state/handover.h"
#include "syncookie/syn_cache.h"
#include "../fwd/sp_harness.h"

/* ================================================================ format */

static void
key_v4(struct flow_key *k, uint32_t id)
{
	flow_key_v4(k, rte_cpu_to_be_32(0xc6120000u | id), rte_cpu_to_be_32(0xc6130001u),
		    rte_cpu_to_be_16((uint16_t)(1024 + id)), rte_cpu_to_be_16(80), IPPROTO_TCP);
}

static void
sample_image(struct handover_image *img, uint32_t nflows)
{
	memset(img, 0, sizeof(*img));
	snprintf(img->proxy_version, sizeof(img->proxy_version), "test-1.2.3");
	img->written_unix_ms = 1700000000123ull;
	img->cookie_period = 64;
	img->nb_workers = 3;
	img->steer_mode = STEER_SW;
	for (uint32_t i = 0; i < nflows; i++) {
		struct handover_flow f;
		memset(&f, 0, sizeof(f));
		key_v4(&f.key, i);
		f.worker = (uint16_t)(i % 3);
		f.age_ms = 1000 * i + 7;
		f.e.state = (uint8_t)(FLOW_S_SYN_SENT + i % (FLOW_S_MAX - 1));
		f.e.flags = (uint8_t)(FLOW_F_PROXIED | FLOW_F_TS | (i & 1 ? FLOW_F_SACK : 0));
		f.e.wan_wscale = 7;
		f.e.lan_wscale = TCP_WSCALE_NONE;
		f.e.proxy_wscale = 14;
		if (f.e.state == FLOW_S_SYN_SENT)
			f.e.retries = 2;   /* else those bytes are chal_at, not handed over */
		f.e.client_mss = 1460;
		f.e.seq_delta = 0xdeadbeefu + i;
		f.e.ts_delta = 0x01020304u;
		f.e.wan_end = 11; f.e.lan_end = 12; f.e.wan_maxwin = 13; f.e.lan_maxwin = 14;
		f.e.client_isn = 15; f.e.proxy_isn = 16; f.e.client_tsval = 17;
		f.e.lan_ack = 18; f.e.lan_tsval = 19;
		f.e.pending = UINT32_MAX;
		assert_int_equal(handover_add_flow(img, &f), 0);
	}
	struct handover_learned l;
	memset(&l, 0, sizeof(l));
	static const uint8_t a6[16] = { 0x20, 0x01, 0, 2, [15] = 9 };
	memcpy(l.key.lan_addr, a6, 16);
	l.key.lan_port = rte_cpu_to_be_16(443);
	l.key.family = FLOW_AF_INET6;
	l.key.proto = IPPROTO_TCP;
	l.o.mss = 1440; l.o.wscale = 9; l.o.sack = 1; l.o.ts = 0; l.o.ecn = 1; l.o.valid = 1;
	l.age_ms = 42;
	assert_int_equal(handover_add_learned(img, &l), 0);
	struct handover_syn s;
	memset(&s, 0, sizeof(s));
	key_v4(&s.key, 999);
	s.worker = 2;
	s.age_ms = 5;
	s.e.client_isn = 0x11111111u; s.e.client_tsval = 0x22222222u;
	s.e.mss = 1380; s.e.wscale = 6; s.e.flags = SYN_CACHE_F_SACK | SYN_CACHE_F_TS;
	s.e.window = 64240; s.e.proxy_wscale = 7;
	assert_int_equal(handover_add_syn(img, &s), 0);
}

static uint8_t *
encode(const struct handover_image *img, size_t *len)
{
	*len = handover_encoded_size(img);
	uint8_t *buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(handover_encode(img, buf), *len);
	return buf;
}

/* Decoding must fail, and err must contain want. */
static void
expect_refused(const uint8_t *buf, size_t len, const char *want)
{
	struct handover_image out;
	char err[256] = "";

	assert_int_equal(handover_decode(buf, len, &out, err, sizeof(err)), -1);
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("expected '%s' in '%s'", want, err);
	assert_int_equal(out.n_flows + out.n_learned + out.n_syns, 0);
	assert_null(out.flows);
}

static void
test_round_trip(void **state)
{
	struct handover_image in, out;
	char err[256];
	size_t len;

	(void)state;
	sample_image(&in, 40);
	uint8_t *buf = encode(&in, &len);
	assert_int_equal(len, HANDOVER_HDR_LEN + 40 * HANDOVER_FLOW_REC + HANDOVER_LEARNED_REC +
			 HANDOVER_SYN_REC);
	assert_int_equal(handover_decode(buf, len, &out, err, sizeof(err)), 0);
	assert_string_equal(out.proxy_version, "test-1.2.3");
	assert_true(out.written_unix_ms == in.written_unix_ms);
	assert_int_equal(out.cookie_period, 64);
	assert_int_equal(out.nb_workers, 3);
	assert_int_equal(out.steer_mode, STEER_SW);
	assert_int_equal(out.n_flows, 40);
	for (uint32_t i = 0; i < 40; i++) {
		assert_memory_equal(&out.flows[i].key, &in.flows[i].key, sizeof(struct flow_key));
		assert_int_equal(out.flows[i].worker, in.flows[i].worker);
		assert_int_equal(out.flows[i].age_ms, in.flows[i].age_ms);
		assert_memory_equal(&out.flows[i].e, &in.flows[i].e, sizeof(struct flow_entry));
	}
	assert_int_equal(out.n_learned, 1);
	assert_memory_equal(out.learned[0].key.lan_addr, in.learned[0].key.lan_addr, 16);
	assert_int_equal(out.learned[0].key.lan_port, in.learned[0].key.lan_port);
	assert_int_equal(out.learned[0].key.family, FLOW_AF_INET6);
	assert_int_equal(out.learned[0].o.mss, 1440);
	assert_int_equal(out.learned[0].o.wscale, 9);
	assert_int_equal(out.learned[0].o.sack, 1);
	assert_int_equal(out.learned[0].o.ts, 0);
	assert_int_equal(out.learned[0].o.ecn, 1);
	assert_int_equal(out.learned[0].age_ms, 42);
	assert_int_equal(out.n_syns, 1);
	assert_memory_equal(&out.syns[0].key, &in.syns[0].key, sizeof(struct flow_key));
	assert_memory_equal(&out.syns[0].e, &in.syns[0].e, sizeof(struct syn_cache_entry));
	assert_int_equal(out.syns[0].worker, 2);
	assert_int_equal(out.syns[0].age_ms, 5);
	handover_image_free(&out);

	/* an empty image is a valid file too */
	struct handover_image empty = { .nb_workers = 1 };
	free(buf);
	buf = encode(&empty, &len);
	assert_int_equal(len, HANDOVER_HDR_LEN);
	assert_int_equal(handover_decode(buf, len, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n_flows, 0);
	handover_image_free(&out);
	free(buf);
	handover_image_free(&in);
}

static void
test_corrupt_byte(void **state)
{
	struct handover_image in;
	size_t len;

	(void)state;
	sample_image(&in, 5);
	uint8_t *buf = encode(&in, &len);
	/* every byte, every bit pattern change: refused, never accepted */
	for (size_t i = 0; i < len; i++) {
		for (unsigned x = 0x01; x <= 0x80; x <<= 1) {
			buf[i] ^= (uint8_t)x;
			expect_refused(buf, len, NULL);
			buf[i] ^= (uint8_t)x;
		}
	}
	/* a payload byte: the checksum says so */
	buf[HANDOVER_HDR_LEN + 50] ^= 0x40;
	expect_refused(buf, len, "checksum mismatch");
	buf[HANDOVER_HDR_LEN + 50] ^= 0x40;
	free(buf);
	handover_image_free(&in);
}

static void
test_truncated(void **state)
{
	struct handover_image in;
	size_t len;

	(void)state;
	sample_image(&in, 5);
	uint8_t *buf = encode(&in, &len);
	for (size_t n = 0; n < len; n++)
		expect_refused(buf, n, n < 8 ? "bad magic" : n < 16 ? "truncated" : NULL);
	expect_refused(buf, HANDOVER_HDR_LEN - 1, "truncated");
	expect_refused(buf, len - 1, "truncated");
	expect_refused(buf, HANDOVER_HDR_LEN + 3, "truncated");
	/* and one byte too many */
	uint8_t *big = malloc(len + 1);
	memcpy(big, buf, len);
	big[len] = 0;
	expect_refused(big, len + 1, "trailing");
	free(big);
	free(buf);
	handover_image_free(&in);
}

static void
test_wrong_version_magic(void **state)
{
	struct handover_image in;
	size_t len;

	(void)state;
	sample_image(&in, 2);
	uint8_t *buf = encode(&in, &len);
	buf[8] = 3;     /* version 3, little-endian */
	expect_refused(buf, len, "format version 3, this build reads version 2");
	buf[8] = 1;
	buf[11] = 0x80;
	expect_refused(buf, len, "format version 2147483649");
	buf[11] = 0;
	memcpy(buf, "SPXSTATX", 8);
	expect_refused(buf, len, "not a dpdk-synproxy state file (bad magic)");
	memcpy(buf, "SPXSTATE", 8);
	expect_refused(NULL, 0, "no data");
	free(buf);
	handover_image_free(&in);
}

/* Re-encode with one record field changed (the checksum then matches): the
 * field checks must catch what the checksum cannot. */
static void
test_bad_records(void **state)
{
	struct handover_image in;
	size_t len;
	uint8_t *buf;

	(void)state;
	sample_image(&in, 3);
	in.flows[1].e.state = FLOW_S_MAX;
	buf = encode(&in, &len);
	expect_refused(buf, len, "flow record 1: bad state");
	free(buf);
	in.flows[1].e.state = FLOW_S_FREE;
	buf = encode(&in, &len);
	expect_refused(buf, len, "flow record 1: bad state 0");
	free(buf);
	in.flows[1].e.state = FLOW_S_ESTABLISHED;
	in.flows[2].worker = 3;
	buf = encode(&in, &len);
	expect_refused(buf, len, "flow record 2: worker 3 of 3");
	free(buf);
	in.flows[2].worker = 0;
	in.flows[0].key.family = 5;
	buf = encode(&in, &len);
	expect_refused(buf, len, "flow record 0: bad address family");
	free(buf);
	in.flows[0].key.family = FLOW_AF_INET;
	in.flows[0].key.proto = IPPROTO_UDP;
	buf = encode(&in, &len);
	expect_refused(buf, len, "not TCP");
	free(buf);
	in.flows[0].key.proto = IPPROTO_TCP;
	in.flows[0].e.wan_wscale = 15 + 1;
	buf = encode(&in, &len);
	expect_refused(buf, len, "bad window scale");
	free(buf);
	in.flows[0].e.wan_wscale = 7;
	in.syns[0].e.flags = 0x80;
	buf = encode(&in, &len);
	expect_refused(buf, len, "SYN record 0: bad options");
	free(buf);
	in.syns[0].e.flags = 0;
	in.nb_workers = 0;
	buf = encode(&in, &len);
	expect_refused(buf, len, "written by 0 workers");
	free(buf);
	in.nb_workers = 3;
	buf = encode(&in, &len);
	/* counts that lie about the payload: caught before the checksum */
	buf[64] = 4;
	expect_refused(buf, len, "does not match the record counts");
	free(buf);
	handover_image_free(&in);
}

/* ================================================================ files */

static void
test_file(void **state)
{
	struct handover_image in, out;
	char dir[] = "/tmp/ho_test_XXXXXX", path[128], err[256];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(handover_read_file(path, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));

	sample_image(&in, 10);
	assert_int_equal(handover_write_file(path, &in, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal((size_t)st.st_size, handover_encoded_size(&in));
	/* a second write replaces the first atomically */
	in.cookie_period = 30;
	assert_int_equal(handover_write_file(path, &in, err, sizeof(err)), 0);
	assert_int_equal(handover_read_file(path, &out, err, sizeof(err)), 0);
	assert_int_equal(out.cookie_period, 30);
	assert_int_equal(out.n_flows, 10);
	handover_image_free(&out);

	/* nothing but the file is left in the directory */
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) = 1", dir);
	assert_int_equal(system(cmd), 0);

	/* a truncated file on disk */
	assert_int_equal(truncate(path, 200), 0);
	assert_int_equal(handover_read_file(path, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));
	/* an unwritable place: a clear error, no crash */
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/nodir/state", dir);
	assert_int_equal(handover_write_file(bad, &in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nodir"));
	unlink(path);
	rmdir(dir);
	handover_image_free(&in);
}

/* ================================================================ tables */

static int
count_flow(void *arg, const struct flow_key *k, const struct flow_entry *e)
{
	uint32_t *n = arg;
	(void)k;
	assert_int_equal(e->state, FLOW_S_ESTABLISHED);
	assert_int_equal(e->seq_delta, 77);
	(*n)++;
	return 0;
}

static void
test_flow_table_api(void **state)
{
	struct flow_table *t = flow_table_create("ho_ft", 1024, SOCKET_ID_ANY, NULL);
	struct flow_entry e;
	struct flow_key k;
	uint32_t n = 0;

	(void)state;
	assert_non_null(t);
	memset(&e, 0, sizeof(e));
	e.state = FLOW_S_ESTABLISHED;
	e.seq_delta = 77;
	e.last_seen = 5000;
	e.pending = 3;           /* never carried over */
	for (uint32_t i = 0; i < 300; i++) {
		key_v4(&k, i);
		assert_int_equal(flow_table_insert_state(t, &k, &e), 0);
	}
	key_v4(&k, 7);
	assert_int_equal(flow_table_insert_state(t, &k, &e), -EEXIST);
	e.state = FLOW_S_MAX;
	key_v4(&k, 1000);
	assert_int_equal(flow_table_insert_state(t, &k, &e), -EINVAL);
	assert_int_equal(t->stats.count, 300);
	assert_int_equal(t->stats.per_state[FLOW_S_ESTABLISHED], 300);
	assert_int_equal(t->stats.per_state[FLOW_S_FREE], 0);
	key_v4(&k, 7);
	struct flow_entry *got = flow_table_lookup(t, &k, flow_table_hash(t, &k));
	assert_non_null(got);
	assert_int_equal(got->pending, UINT32_MAX);
	assert_int_equal(got->last_seen, 5000);
	assert_int_equal(flow_table_foreach(t, count_flow, &n), 0);
	assert_int_equal(n, 300);
	/* expiry sees restored entries like any other */
	assert_int_equal(flow_table_expire(t, 5000 + 7440001, 1024, NULL, NULL), 300);
	flow_table_free(t);
}

static int
collect_syn(void *arg, const struct flow_key *k, const struct syn_cache_entry *e)
{
	uint32_t *next = arg;
	(void)k;
	assert_int_equal(e->client_isn, *next);
	(*next)++;
	return 0;
}

static int
stop_at_two(void *arg, const struct server_opts_slot *s)
{
	uint32_t *n = arg;
	assert_true(s->o.valid);
	return ++(*n) == 2 ? 9 : 0;
}

static void
test_cache_and_learned_api(void **state)
{
	struct syn_cache *c = syn_cache_create("ho_sc", 64, SOCKET_ID_ANY);
	struct server_opts_table *so = server_opts_create("ho_so", 64, SOCKET_ID_ANY);
	struct syn_cache_entry e;
	struct server_opts o = { .mss = 1400, .wscale = 7 };
	struct flow_key k;
	uint32_t next = 0, n = 0;

	(void)state;
	assert_non_null(c);
	assert_non_null(so);
	memset(&e, 0, sizeof(e));
	for (uint32_t i = 0; i < 100; i++) {   /* 36 oldest evicted */
		key_v4(&k, i);
		e.client_isn = i;
		assert_true(syn_cache_insert(c, &k, &e) >= 0);
	}
	next = 36;
	assert_int_equal(syn_cache_foreach(c, collect_syn, &next), 0);
	assert_int_equal(next, 100);   /* oldest first, every one */
	for (uint32_t i = 0; i < 5; i++) {
		key_v4(&k, 0);
		k.lan_port = rte_cpu_to_be_16((uint16_t)(1000 + i));
		server_opts_learn(so, &k, &o, 10);
	}
	assert_int_equal(server_opts_foreach(so, stop_at_two, &n), 9);
	assert_int_equal(n, 2);
	syn_cache_free(c);
	server_opts_free(so);
}

/* ================================================================ placement */

static void
test_placement_hashes(void **state)
{
	uint8_t rsskey[RSS_KEY_MAX];

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	rss_symmetric_key(rsskey, sizeof(rsskey));
	for (int fam = 4; fam <= 6; fam += 2) {
		for (uint32_t id = 1; id < 40; id++) {
			struct conn c;
			struct flow_key k;
			uint32_t sw[2], hw[2];

			conn_init(&c, fam, id * 977);
			if (fam == 4) {
				uint32_t a, b;
				memcpy(&a, c.cli, 4);
				memcpy(&b, c.srv, 4);
				flow_key_v4(&k, a, b, rte_cpu_to_be_16(c.cport),
					    rte_cpu_to_be_16(c.sport), IPPROTO_TCP);
			} else {
				flow_key_v6(&k, c.cli, c.srv, rte_cpu_to_be_16(c.cport),
					    rte_cpu_to_be_16(c.sport), IPPROTO_TCP);
			}
			for (int dir = 0; dir < 2; dir++) {
				struct rte_mbuf *m = seg_mbuf(&c, dir == 0, ACK, 1, 1, 100, NULL, 0);
				struct pkt_meta mt;
				union rte_thash_tuple tu;
				const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
				const uint16_t *ports;

				pkt_parse(m, &mt);
				sw[dir] = rss_sw_hash(f, &mt);
				ports = (const uint16_t *)(f + mt.l4_off);
				memset(&tu, 0, sizeof(tu));
				if (fam == 4) {
					const struct rte_ipv4_hdr *ip = (const void *)(f + mt.l3_off);
					tu.v4.src_addr = rte_be_to_cpu_32(ip->src_addr);
					tu.v4.dst_addr = rte_be_to_cpu_32(ip->dst_addr);
					tu.v4.sport = rte_be_to_cpu_16(ports[0]);
					tu.v4.dport = rte_be_to_cpu_16(ports[1]);
					hw[dir] = rte_softrss((uint32_t *)&tu, RTE_THASH_V4_L4_LEN, rsskey);
				} else {
					const struct rte_ipv6_hdr *ip = (const void *)(f + mt.l3_off);
					rte_thash_load_v6_addrs(ip, &tu);
					tu.v6.sport = rte_be_to_cpu_16(ports[0]);
					tu.v6.dport = rte_be_to_cpu_16(ports[1]);
					hw[dir] = rte_softrss((uint32_t *)&tu, RTE_THASH_V6_L4_LEN, rsskey);
				}
				rte_pktmbuf_free(m);
			}
			assert_int_equal(sw[0], sw[1]);
			assert_int_equal(hw[0], hw[1]);
			assert_int_equal(rss_sw_hash_key(&k), sw[0]);
			assert_int_equal(rss_toeplitz_key(&k), hw[0]);
		}
	}
	assert_int_equal(rss_reta_queue(0x12345u, 128, 3), (0x12345u % 128) % 3);
	world_end();
}

/* ================================================================ through the proxy */

/* What main.c does on both sides, for one worker. */
static void
handover(uint32_t gap_ms, uint32_t restored_expect, uint32_t expired_expect)
{
	struct handover_image img, back;
	char err[256];
	size_t len;
	uint32_t restored = 0;

	memset(&img, 0, sizeof(img));
	img.nb_workers = 1;
	img.cookie_period = world.cfg.synproxy.cookie_period;
	assert_int_equal(synproxy_state_export(world.sp, 0, world.now_ms, &img), 0);
	uint8_t *buf = encode(&img, &len);
	handover_image_free(&img);
	world_teardown(NULL);

	/* the new process: another clock */
	world_start(CFG_MODE_COOKIE, NULL);
	world.now_ms = 77777;
	assert_int_equal(handover_decode(buf, len, &back, err, sizeof(err)), 0);
	free(buf);
	for (uint32_t i = 0; i < back.n_flows; i++)
		restored += synproxy_restore_flow(world.sp, &back.flows[i],
						  back.flows[i].age_ms + gap_ms, world.now_ms) == 0;
	for (uint32_t i = 0; i < back.n_learned; i++)
		synproxy_restore_learned(world.sp, &back.learned[i], back.learned[i].age_ms,
					 world.now_ms);
	handover_image_free(&back);
	assert_int_equal(restored, restored_expect);
	assert_int_equal(st()->restored_flows, restored_expect);
	assert_int_equal(st()->restore_expired, expired_expect);
}

static void
test_proxy_restore(void **state)
{
	struct conn c4, c6;

	(void)state;
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c4, 4, 31);
	conn_init(&c6, 6, 32);
	establish(&c4);
	establish(&c6);
	exchange(&c4, 0, 0, 5);
	exchange(&c6, 0, 0, 5);
	world.now_ms += 1500;

	handover(2000, 2, 0);
	assert_int_equal(nstate(FLOW_S_ESTABLISHED), 2);
	/* restored proxied flows count for their prefixes, and leave exactly */
	struct prefix_limits_stats ps;
	prefix_limits_stats_get(world.sp->limits, &ps);
	assert_int_equal(ps.flows, 2);
	/* the restored offsets translate as before the restart */
	exchange(&c4, 100, 20, 9);
	exchange(&c6, 100, 20, 9);
	assert_int_equal(st()->translated_lan, 2);
	assert_int_equal(st()->wan_no_flow, 0);
	/* the restored flow expires on the new clock: age 3.5 s at restore */
	world.now_ms += world.cfg.synproxy.timeout_established * 1000 + 1;
	sweep();
	assert_int_equal(nflows(), 0);
	prefix_limits_stats_get(world.sp->limits, &ps);
	assert_int_equal(ps.flows, 0);
	assert_int_equal(ps.half_open, 0);
	assert_int_equal(ps.underflows, 0);
	world_end();
	world_teardown(NULL);

	/* a gap longer than the established timeout: nothing comes back */
	world_start(CFG_MODE_COOKIE, NULL);
	conn_init(&c4, 4, 33);
	establish(&c4);
	handover(world.cfg.synproxy.timeout_established * 1000 + 1, 0, 1);
	assert_int_equal(nflows(), 0);
	world_end();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_corrupt_byte),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_version_magic),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_flow_table_api),
		cmocka_unit_test(test_cache_and_learned_api),
		cmocka_unit_test_teardown(test_placement_hashes, world_teardown),
		cmocka_unit_test_teardown(test_proxy_restore, world_teardown),
	};
	return cmocka_run_group_tests_name("handover", tests, world_eal_setup, world_eal_teardown);
}
