/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * make_seeds.c - writes the fuzzer's seed corpus: real handshake transcripts
 * in the record format of fuzz_world.h, and checks that each replays
 * identically.
 *
 * The generator plays both ends against the real proxy in the fuzzer's
 * world (fixed hash seed, shared-key cookie secrets, clocks from the
 * records): a client on the WAN, a server on the LAN, each a tiny TCP
 * endpoint that answers what the proxy sent it (the client's ACK carries the
 * cookie from the proxy's SYN-ACK and echoes its TSval; the server answers
 * the proxy's SYN). Every frame fed in is recorded. A proxied transcript is
 * a completed handshake, data both ways and FIN both ways; others are a
 * LAN-initiated connection, a server that never answers (retransmissions,
 * give-up), and several connections sharing bursts.
 *
 * Then each transcript is replayed from its bytes through fw_run, and the
 * replay must send byte for byte what the recording run sent (a digest of
 * every output frame) and end with the same counters. Also expected of a
 * proxied transcript: one proxied_established and data translated both ways.
 *
 *   make-seeds OUTDIR     write OUTDIR/<name> for every transcript (and check)
 *   make-seeds --check DIR  every transcript must still replay identically,
 *                       every seed file DIR/<name> must still reach its goal
 *                       (a change to the handshake makes the committed seeds
 *                       stale: rewrite them with make-seeds DIR), and every
 *                       other file in DIR (a kept reproducer) must run clean
 *   make-seeds --check FILE...  replay files: each must run clean
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "fuzz_world.h"
#include "parse.h"
#include "fwd/tcp_opts.h"
#include "pktbuild.h"

#define REC_MAX 65536
#define NCONN_MAX 4

struct ep {
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_clock, ts_recent;
	bool ts_ok;              /* both sides sent TS in the handshake */
	bool got_syn;
};

struct conn {
	int family;
	uint8_t nb_vlan, ipv4_optlen, v6_ext;
	uint8_t wan_addr[16], lan_addr[16];
	uint16_t wan_port, lan_port;
	/* the options each end offers in its SYN / SYN-ACK */
	bool opt_mss, opt_ws, opt_sack, opt_ts;
	struct ep wan, lan;      /* the host on each side */
};

struct digest {
	uint64_t h;
	unsigned int n;
};

struct gen {
	struct fw w;
	uint8_t rec[REC_MAX];
	size_t len;
	struct conn c[NCONN_MAX];
	unsigned int nconn;
	struct digest d;         /* of everything the proxy sent while recording */
};

static struct gen g;


static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	if (h == 0)
		h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

static void
digest_frame(struct digest *d, enum port_role out, const struct rte_mbuf *m)
{
	uint8_t o = (uint8_t)out;
	d->h = fnv(d->h, &o, 1);
	d->h = fnv(d->h, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
	d->n++;
}

static void
digest_cb(enum port_role out, struct rte_mbuf *m, void *arg)
{
	digest_frame(arg, out, m);
}

/* The endpoint a frame sent out of `out` reaches, if it is one of ours. */
static struct ep *
ep_for(enum port_role out, const struct rte_mbuf *m, const struct pkt_meta *mt)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(f + mt->l4_off);
	/* Towards the WAN host its port is the destination, towards the LAN
	 * host the source (every LAN host here listens on port 80). */
	uint16_t port = rte_be_to_cpu_16(out == ROLE_WAN ? th->dst_port : th->src_port);

	for (unsigned int i = 0; i < g.nconn; i++) {
		struct conn *c = &g.c[i];
		if (port == c->wan_port)
			return out == ROLE_WAN ? &c->wan : &c->lan;
	}
	return NULL;
}

/* What the proxy sent reaches our hosts: they learn the peer's sequence and
 * TSval the way a TCP stack would (in-order only, which is all we send). */
static void
gen_tx(enum port_role out, struct rte_mbuf *m, void *arg)
{
	struct pkt_meta mt;
	struct tcp_opts o;

	(void)arg;
	digest_frame(&g.d, out, m);
	pkt_parse(m, &mt);
	if (!(mt.flags & PKT_F_L4) || mt.l4proto != IPPROTO_TCP)
		return;
	struct ep *e = ep_for(out, m, &mt);
	if (e == NULL)
		return;
	const struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, mt.l4_off);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t plen = mt.l4_len - mt.tcp_hlen;
	if (tcp_opts_parse(th, mt.tcp_hlen, &o) == 0 && o.ts_present)
		e->ts_recent = o.tsval;
	if (th->tcp_flags & RTE_TCP_RST_FLAG)
		return;
	if (th->tcp_flags & RTE_TCP_SYN_FLAG) {
		e->rcv_nxt = seq + 1;
		e->got_syn = true;
		e->ts_ok = e->ts_ok && o.ts_present;
		return;
	}
	if (seq == e->rcv_nxt)
		e->rcv_nxt = seq + plen + ((th->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
}

static void
put_rec(uint8_t ctl, uint16_t step, const uint8_t *frame, uint16_t len)
{
	uint8_t *h = g.rec + g.len;
	if (g.len + FW_REC_HDR + len > sizeof(g.rec)) {
		fprintf(stderr, "make-seeds: transcript too long\n");
		exit(1);
	}
	h[0] = ctl;
	h[1] = (uint8_t)step;
	h[2] = (uint8_t)(step >> 8);
	h[3] = (uint8_t)len;
	h[4] = (uint8_t)(len >> 8);
	if (len > 0)
		memcpy(h + FW_REC_HDR, frame, len);
	g.len += FW_REC_HDR + len;
	fw_record(&g.w, ctl, step, frame, len);
}

/* A clock step with no frame. */
static void
tick(uint16_t step)
{
	put_rec(FW_CTL_END, step, NULL, 0);
}

/* Options of a SYN or SYN-ACK, Linux's order, NOP padded. */
static uint8_t
syn_opts(uint8_t *p, const struct conn *c, const struct ep *e)
{
	uint8_t n = 0;
	if (c->opt_mss) {
		uint16_t mss = c->family == 4 ? 1460 : 1440;
		p[n++] = TCP_OPT_MSS; p[n++] = 4; p[n++] = mss >> 8; p[n++] = mss & 0xff;
	}
	if (c->opt_sack) {
		p[n++] = TCP_OPT_SACK_PERM; p[n++] = 2;
	}
	if (c->opt_ts) {
		uint32_t v = rte_cpu_to_be_32(e->ts_clock), r = rte_cpu_to_be_32(e->ts_recent);
		if (!c->opt_sack) {
			p[n++] = TCP_OPT_NOP; p[n++] = TCP_OPT_NOP;
		}
		p[n++] = TCP_OPT_TS; p[n++] = 10;
		memcpy(p + n, &v, 4); memcpy(p + n + 4, &r, 4);
		n += 8;
	}
	if (c->opt_ws) {
		p[n++] = TCP_OPT_NOP; p[n++] = TCP_OPT_WS; p[n++] = 3; p[n++] = 7;
	}
	while (n % 4)
		p[n++] = TCP_OPT_NOP;
	return n;
}

/* One segment from the host on `from`'s side of connection c. */
static void
send_seg(struct conn *c, enum port_role from, uint8_t flags, uint16_t payload, uint16_t step, bool end)
{
	struct ep *e = from == ROLE_WAN ? &c->wan : &c->lan;
	uint8_t opts[40], frame[FW_FRAME_MAX];
	struct pb_spec s = {
		.family = c->family, .proto = IPPROTO_TCP, .nb_vlan = c->nb_vlan,
		.ipv4_optlen = c->ipv4_optlen, .v6_ext = c->v6_ext,
		.seq = e->snd_nxt, .ack = (flags & RTE_TCP_ACK_FLAG) ? e->rcv_nxt : 0,
		.flags = flags, .win = 29200, .payload = payload, .opts = opts,
	};

	memcpy(s.src, from == ROLE_WAN ? c->wan_addr : c->lan_addr, 16);
	memcpy(s.dst, from == ROLE_WAN ? c->lan_addr : c->wan_addr, 16);
	s.sport = from == ROLE_WAN ? c->wan_port : c->lan_port;
	s.dport = from == ROLE_WAN ? c->lan_port : c->wan_port;
	e->ts_clock += 7;
	if (flags & RTE_TCP_SYN_FLAG) {
		s.optlen = syn_opts(opts, c, e);
		e->ts_ok = c->opt_ts;   /* cleared if the peer's SYN(-ACK) has none */
	} else if (e->ts_ok) {
		uint32_t v = rte_cpu_to_be_32(e->ts_clock), r = rte_cpu_to_be_32(e->ts_recent);
		opts[0] = opts[1] = TCP_OPT_NOP;
		opts[2] = TCP_OPT_TS; opts[3] = 10;
		memcpy(opts + 4, &v, 4); memcpy(opts + 8, &r, 4);
		s.optlen = 12;
	}
	uint16_t len = pb_build(frame, &s);
	e->snd_nxt += payload + ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) ? 1 : 0);
	put_rec((from == ROLE_WAN ? FW_CTL_WAN : 0) | (end ? FW_CTL_END : 0), step, frame, len);
}

static struct conn *
conn_add(int family, uint8_t nb_vlan, bool opts)
{
	struct conn *c = &g.c[g.nconn];
	uint32_t id = g.nconn++;

	memset(c, 0, sizeof(*c));
	c->family = family;
	c->nb_vlan = nb_vlan;
	if (family == 4) {
		pb_v4(c->wan_addr, 0xc6120000u + 0x100 * id + 10);   /* 198.18.x.10 */
		pb_v4(c->lan_addr, 0xc6130000u + 80);                 /* 198.19.0.80 */
	} else {
		static const uint8_t w[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
		static const uint8_t l[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x80 };
		memcpy(c->wan_addr, w, 16);
		memcpy(c->lan_addr, l, 16);
		c->wan_addr[14] = (uint8_t)id;
	}
	c->wan_port = (uint16_t)(40000 + id);
	c->lan_port = 80;
	c->opt_mss = c->opt_ws = c->opt_sack = c->opt_ts = opts;
	c->wan.snd_nxt = 0x1000000u * (id + 1) + 12345;
	c->lan.snd_nxt = 0x80000000u + 0x1000000u * id + 777;
	c->wan.ts_clock = 5000000 + id;
	c->lan.ts_clock = 9000000 + id;
	return c;
}

static void
gen_begin(uint8_t config)
{
	memset(&g, 0, sizeof(g));
	g.rec[0] = config;
	g.len = 1;
	fw_begin(&g.w, config, gen_tx, NULL);
}

/* Handshake through the proxy, data both ways, FIN both ways. With probes
 * on, the server answers the proxy's probe SYN first (the client's SYN-ACK
 * comes after it). */
static void
proxied(struct conn *c, bool probe)
{
	send_seg(c, ROLE_WAN, RTE_TCP_SYN_FLAG, 0, 1, true);
	if (probe)
		send_seg(c, ROLE_LAN, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, 1, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG, 0, 15, true);              /* the cookie ACK */
	send_seg(c, ROLE_LAN, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, 1, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 120, 10, true);
	send_seg(c, ROLE_LAN, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 900, 2, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG, 0, 12, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0, 30, true);
	send_seg(c, ROLE_LAN, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0, 1, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG, 0, 12, true);
}

/* The same for several connections, each step in one burst for all. */
static void
proxied_many(void)
{
	static const struct { uint8_t from, flags; uint16_t payload, step; } steps[] = {
		{ ROLE_WAN, RTE_TCP_SYN_FLAG, 0, 1 },
		{ ROLE_WAN, RTE_TCP_ACK_FLAG, 0, 15 },
		{ ROLE_LAN, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, 1 },
		{ ROLE_WAN, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 200, 10 },
		{ ROLE_LAN, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1200, 2 },
		{ ROLE_WAN, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0, 30 },
		{ ROLE_LAN, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0, 1 },
		{ ROLE_WAN, RTE_TCP_ACK_FLAG, 0, 12 },
	};
	for (unsigned int s = 0; s < RTE_DIM(steps); s++)
		for (unsigned int i = 0; i < g.nconn; i++)
			send_seg(&g.c[i], steps[s].from, steps[s].flags, steps[s].payload,
				 i == 0 ? steps[s].step : 0, i + 1 == g.nconn);
}

/* A connection the LAN host opens: tracked and bridged, not proxied. */
static void
lan_initiated(struct conn *c)
{
	send_seg(c, ROLE_LAN, RTE_TCP_SYN_FLAG, 0, 1, true);
	send_seg(c, ROLE_WAN, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0, 20, true);
	send_seg(c, ROLE_LAN, RTE_TCP_ACK_FLAG, 0, 1, true);
	send_seg(c, ROLE_LAN, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 300, 1, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 700, 20, true);
	send_seg(c, ROLE_LAN, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0, 5, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0, 20, true);
	send_seg(c, ROLE_LAN, RTE_TCP_ACK_FLAG, 0, 1, true);
}

/* The client completes the handshake; the server never answers. */
static void
silent_server(struct conn *c)
{
	send_seg(c, ROLE_WAN, RTE_TCP_SYN_FLAG, 0, 1, true);
	send_seg(c, ROLE_WAN, RTE_TCP_ACK_FLAG, 0, 15, true);
	for (int i = 0; i < 10; i++)
		tick(FW_STEP_SEC | 1);
}

struct seed {
	const char *name;
	uint8_t config;
	int family;
	uint8_t nb_vlan, ipv4_optlen, v6_ext;
	bool opts;
	enum { S_PROXIED, S_MANY, S_LAN, S_SILENT } kind;
};

static const struct seed seeds[] = {
	{ "v4-opts-auto", 0, 4, 0, 0, 0, true, S_PROXIED },
	{ "v4-noopts-cookie", 1, 4, 0, 0, 0, false, S_PROXIED },
	{ "v4-opts-cache", 2, 4, 0, 0, 0, true, S_PROXIED },
	{ "v4-opts-cookie-offload", 1 | FW_CFG_OFFLOAD, 4, 0, 0, 0, true, S_PROXIED },
	{ "v4-vlan-opts", 0, 4, 1, 0, 0, true, S_PROXIED },
	{ "v4-ipopts-norl", FW_CFG_NO_RL, 4, 0, 8, 0, true, S_PROXIED },
	{ "v6-opts-auto", 0, 6, 0, 0, 0, true, S_PROXIED },
	{ "v6-noopts-cache", 2, 6, 0, 0, 0, false, S_PROXIED },
	{ "v6-qinq-opts-cookie", 1, 6, 2, 0, 0, true, S_PROXIED },
	{ "v6-dstopts", 0, 6, 0, 0, 1, true, S_PROXIED },
	{ "v4-many-cache", 2, 4, 0, 0, 0, true, S_MANY },
	{ "v6-many-cookie", 1, 6, 0, 0, 0, true, S_MANY },
	{ "v4-lan-initiated", 0, 4, 0, 0, 0, true, S_LAN },
	{ "v6-lan-initiated-vlan", 0, 6, 1, 0, 0, true, S_LAN },
	{ "v4-silent-server", 0, 4, 0, 0, 0, true, S_SILENT },
	{ "v6-silent-server-cache", 2, 6, 0, 0, 0, false, S_SILENT },
	{ "v4-probe-auto", FW_CFG_PROBE, 4, 0, 0, 0, true, S_PROXIED },
	{ "v6-probe-cookie-vlan", 1 | FW_CFG_PROBE, 6, 1, 0, 0, true, S_PROXIED },
};

static int
check_stats(const struct seed *sd, const struct synproxy_stats *st)
{
	unsigned int n = sd->kind == S_MANY ? NCONN_MAX - 1 : 1;
	bool ok = true;

	switch (sd->kind) {
	case S_PROXIED:
	case S_MANY:
		ok = st->proxied_established == n && st->translated_wan >= 3 * n &&
		     st->translated_lan >= 2 * n && st->fin_seen >= 2 * n &&
		     st->probe_answered == ((sd->config & FW_CFG_PROBE) ? 1 : 0);
		break;
	case S_LAN:
		ok = st->passthrough_new == 1 && st->passthrough >= 6;
		break;
	case S_SILENT:
		ok = st->syn_to_server == 1 && st->syn_to_server_retx >= 1;
		break;
	}
	if (!ok)
		fprintf(stderr, "make-seeds: %s: established %lu, translated %lu/%lu, fin %lu, "
			"passthrough %lu/%lu, syn_to_server %lu+%lu\n", sd->name,
			(unsigned long)st->proxied_established, (unsigned long)st->translated_wan,
			(unsigned long)st->translated_lan, (unsigned long)st->fin_seen,
			(unsigned long)st->passthrough_new, (unsigned long)st->passthrough,
			(unsigned long)st->syn_to_server, (unsigned long)st->syn_to_server_retx);
	return ok ? 0 : -1;
}

/* Record one transcript, replay it, compare. Leaves it in g.rec / g.len. */
static int
make_one(const struct seed *sd)
{
	struct synproxy_stats rec_st, rep_st;
	struct digest rep = { 0, 0 };

	gen_begin(sd->config);
	unsigned int n = sd->kind == S_MANY ? NCONN_MAX - 1 : 1;
	for (unsigned int i = 0; i < n; i++) {
		struct conn *c = conn_add(sd->family, sd->nb_vlan, sd->opts);
		c->ipv4_optlen = sd->ipv4_optlen;
		c->v6_ext = sd->v6_ext;
	}
	switch (sd->kind) {
	case S_PROXIED: proxied(&g.c[0], (sd->config & FW_CFG_PROBE) != 0); break;
	case S_MANY: proxied_many(); break;
	case S_LAN: lan_initiated(&g.c[0]); break;
	case S_SILENT: silent_server(&g.c[0]); break;
	}
	tick(FW_STEP_SEC | 2);
	fw_end(&g.w, &rec_st);
	uint64_t rec_digest = g.d.h;

	fw_run(g.rec, g.len, digest_cb, &rep, &rep_st);
	if (rep.h != rec_digest || memcmp(&rec_st, &rep_st, sizeof(rec_st)) != 0) {
		fprintf(stderr, "make-seeds: %s: the replay differs from the recording\n", sd->name);
		return -1;
	}
	if (check_stats(sd, &rep_st) != 0)
		return -1;
	printf("make-seeds: %-24s %5zu bytes, %2u frames out, replays identically\n",
	       sd->name, g.len, rep.n);
	return 0;
}

static int replay_file(const char *path, const struct seed *sd);

static const struct seed *
seed_named(const char *name)
{
	for (unsigned int i = 0; i < RTE_DIM(seeds); i++)
		if (strcmp(seeds[i].name, name) == 0)
			return &seeds[i];
	return NULL;
}

/* A directory: seeds must reach their goal, other files run clean. */
static int
replay_path(const char *path)
{
	DIR *d = opendir(path);
	if (d == NULL)
		return replay_file(path, NULL);
	struct dirent *de;
	int rc = 0;
	unsigned int nseeds = 0;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		const struct seed *sd = seed_named(de->d_name);
		nseeds += sd != NULL;
		rc |= replay_file(sub, sd);
	}
	closedir(d);
	if (nseeds != RTE_DIM(seeds)) {
		fprintf(stderr, "make-seeds: %s holds %u of the %u seeds: run make-seeds %s\n",
			path, nseeds, (unsigned int)RTE_DIM(seeds), path);
		rc = -1;
	}
	return rc;
}

static int
replay_file(const char *path, const struct seed *sd)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "make-seeds: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct synproxy_stats st;
	fw_run(buf, n, NULL, NULL, &st);   /* aborts on a failed check */
	if (sd != NULL && check_stats(sd, &st) != 0) {
		fprintf(stderr, "make-seeds: %s no longer completes its connection: stale seed "
			"(rewrite the seeds with make-seeds DIR)\n", path);
		return -1;
	}
	printf("make-seeds: %s: %zu bytes, %s\n", path, n, sd ? "reaches its goal" : "ran clean");
	return 0;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: make-seeds OUTDIR | --check [FILE...]\n");
		return 2;
	}
	if (fw_init() != 0) {
		fprintf(stderr, "make-seeds: EAL init failed\n");
		return 1;
	}
	bool check = strcmp(argv[1], "--check") == 0;
	for (int i = 2; check && i < argc; i++)
		rc |= replay_path(argv[i]);
	for (unsigned int i = 0; i < RTE_DIM(seeds); i++) {
		if (make_one(&seeds[i]) != 0) {
			rc = 1;
			continue;
		}
		if (check)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], seeds[i].name);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(g.rec, 1, g.len, f) != g.len || fclose(f) != 0) {
			fprintf(stderr, "make-seeds: %s: %s\n", path, strerror(errno));
			rc = 1;
		}
	}
	return rc;
}
