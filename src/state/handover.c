/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handover.c - encode and decode the handover state file (format and
 * reasons in handover.h; the file on disk is handover_file.c's). Encoding goes through put_* helpers that write
 * little-endian at a cursor; decoding through a reader that refuses to step
 * past the end, so a truncated or lying file yields an error, never a read
 * out of bounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_debug.h>
#include <rte_hash_crc.h>

#include "common.h"
#include "state/handover.h"

#define CRC_SEED  0xffffffffu
#define OFF_CRC   96u

/* ------------------------------------------------------------ the image */

#define ADD_REC(img, arr, n, cap, rec)                                        \
	do {                                                                  \
		if ((img)->n == (img)->cap) {                                 \
			uint32_t nc = (img)->cap ? (img)->cap * 2 : 256;      \
			void *p;                                              \
			if (nc <= (img)->cap)                                 \
				return -ENOMEM;                               \
			p = realloc((img)->arr, (size_t)nc * sizeof(*(img)->arr)); \
			if (p == NULL)                                        \
				return -ENOMEM;                               \
			(img)->arr = p;                                       \
			(img)->cap = nc;                                      \
		}                                                             \
		(img)->arr[(img)->n++] = *(rec);                              \
		return 0;                                                     \
	} while (0)

int
handover_add_flow(struct handover_image *img, const struct handover_flow *f)
{
	ADD_REC(img, flows, n_flows, cap_flows, f);
}

int
handover_add_learned(struct handover_image *img, const struct handover_learned *l)
{
	ADD_REC(img, learned, n_learned, cap_learned, l);
}

int
handover_add_syn(struct handover_image *img, const struct handover_syn *s)
{
	ADD_REC(img, syns, n_syns, cap_syns, s);
}

void
handover_image_free(struct handover_image *img)
{
	if (img == NULL)
		return;
	free(img->flows);
	free(img->learned);
	free(img->syns);
	memset(img, 0, sizeof(*img));
}

/* ------------------------------------------------------------ encoding */

static inline uint8_t *
put8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static inline uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static inline uint8_t *
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

static inline uint8_t *
putb(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

static uint64_t
payload_len(uint64_t nf, uint64_t nl, uint64_t ns)
{
	return nf * HANDOVER_FLOW_REC + nl * HANDOVER_LEARNED_REC + ns * HANDOVER_SYN_REC;
}

size_t
handover_encoded_size(const struct handover_image *img)
{
	return HANDOVER_HDR_LEN + (size_t)payload_len(img->n_flows, img->n_learned, img->n_syns);
}

static uint8_t *
put_flow(uint8_t *p, const struct handover_flow *f)
{
	const struct flow_entry *e = &f->e;
	uint8_t *start = p;

	p = putb(p, &f->key, sizeof(f->key));
	p = put16(p, f->worker);
	p = put8(p, e->state);
	p = put8(p, e->flags);
	p = put8(p, e->wan_wscale);
	p = put8(p, e->lan_wscale);
	p = put8(p, e->proxy_wscale);
	p = put8(p, e->state == FLOW_S_SYN_SENT ? e->retries : 0);   /* else chal_at's byte */
	p = put16(p, e->client_mss);
	p = put32(p, f->age_ms);
	p = put32(p, e->seq_delta);
	p = put32(p, e->ts_delta);
	p = put32(p, e->wan_end);
	p = put32(p, e->lan_end);
	p = put32(p, e->wan_maxwin);
	p = put32(p, e->lan_maxwin);
	p = put32(p, e->client_isn);
	p = put32(p, e->proxy_isn);
	p = put32(p, e->client_tsval);
	p = put32(p, e->lan_ack);
	p = put32(p, e->lan_tsval);
	RTE_ASSERT(p - start == HANDOVER_FLOW_REC);
	(void)start;
	return p;
}

static uint8_t *
put_learned(uint8_t *p, const struct handover_learned *l)
{
	p = putb(p, l->key.lan_addr, sizeof(l->key.lan_addr));
	p = putb(p, &l->key.lan_port, sizeof(l->key.lan_port));
	p = put8(p, l->key.family);
	p = put8(p, l->o.wscale);
	p = put16(p, l->o.mss);
	p = put8(p, (uint8_t)(l->o.sack | l->o.ts << 1 | l->o.ecn << 2));
	p = put8(p, 0);
	return put32(p, l->age_ms);
}

static uint8_t *
put_syn(uint8_t *p, const struct handover_syn *s)
{
	p = putb(p, &s->key, sizeof(s->key));
	p = put16(p, s->worker);
	p = put16(p, s->e.mss);
	p = put8(p, s->e.wscale);
	p = put8(p, s->e.flags);
	p = put8(p, s->e.proxy_wscale);
	p = put8(p, 0);
	p = put16(p, s->e.window);
	p = put32(p, s->e.client_isn);
	p = put32(p, s->e.client_tsval);
	return put32(p, s->age_ms);
}

size_t
handover_encode(const struct handover_image *img, uint8_t *buf)
{
	char ver[HANDOVER_VERSION_LEN];
	uint8_t *p = buf;
	uint32_t i, crc;

	memset(ver, 0, sizeof(ver));
	memcpy(ver, img->proxy_version, strnlen(img->proxy_version, sizeof(ver) - 1));
	p = putb(p, HANDOVER_MAGIC, 8);
	p = put32(p, HANDOVER_VERSION);
	p = put32(p, HANDOVER_HDR_LEN);
	p = putb(p, ver, sizeof(ver));
	p = put64(p, img->written_unix_ms);
	p = put32(p, img->cookie_period);
	p = put16(p, img->nb_workers);
	p = put8(p, img->steer_mode);
	p = put8(p, 0);
	p = put32(p, img->n_flows);
	p = put32(p, img->n_learned);
	p = put32(p, img->n_syns);
	p = put32(p, HANDOVER_FLOW_REC);
	p = put32(p, HANDOVER_LEARNED_REC);
	p = put32(p, HANDOVER_SYN_REC);
	p = put64(p, payload_len(img->n_flows, img->n_learned, img->n_syns));
	p = put32(p, 0);   /* checksum, filled below */
	p = put32(p, 0);
	for (i = 0; i < img->n_flows; i++)
		p = put_flow(p, &img->flows[i]);
	for (i = 0; i < img->n_learned; i++)
		p = put_learned(p, &img->learned[i]);
	for (i = 0; i < img->n_syns; i++)
		p = put_syn(p, &img->syns[i]);
	crc = rte_hash_crc(buf, (uint32_t)(p - buf), CRC_SEED);
	put32(buf + OFF_CRC, crc);
	return (size_t)(p - buf);
}

/* ------------------------------------------------------------ decoding */

struct rd {
	const uint8_t *p, *end;
};

static inline uint8_t
get8(struct rd *r)
{
	return *r->p++;
}

static inline uint16_t
get16(struct rd *r)
{
	uint16_t v = (uint16_t)(r->p[0] | r->p[1] << 8);
	r->p += 2;
	return v;
}

static inline uint32_t
get32(struct rd *r)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | r->p[i];
	r->p += 4;
	return v;
}

static inline uint64_t
get64(struct rd *r)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | r->p[i];
	r->p += 8;
	return v;
}

static inline void
getb(struct rd *r, void *dst, size_t n)
{
	memcpy(dst, r->p, n);
	r->p += n;
}

static int __rte_format_printf(3, 4)
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
wscale_ok(uint8_t ws)
{
	return ws <= SERVER_OPTS_WSCALE_MAX || ws == TCP_WSCALE_NONE;
}

/* A flow key as the proxy builds it: TCP, a known family, zero padding, IPv4
 * words 1..3 zero. NULL when fine, else why not. */
static const char *
key_problem(const struct flow_key *k)
{
	if (k->family != FLOW_AF_INET && k->family != FLOW_AF_INET6)
		return "bad address family";
	if (k->proto != IPPROTO_TCP)
		return "not TCP";
	if (k->zero != 0)
		return "nonzero padding";
	if (k->family == FLOW_AF_INET &&
	    (k->wan_addr[1] | k->wan_addr[2] | k->wan_addr[3] |
	     k->lan_addr[1] | k->lan_addr[2] | k->lan_addr[3]) != 0)
		return "IPv4 key with IPv6 bytes";
	return NULL;
}

static int
get_flow(struct rd *r, struct handover_flow *f, uint16_t nb_workers, uint32_t i,
	 char *err, size_t errlen)
{
	struct flow_entry *e = &f->e;
	const char *why;

	memset(f, 0, sizeof(*f));
	getb(r, &f->key, sizeof(f->key));
	f->worker = get16(r);
	e->state = get8(r);
	e->flags = get8(r);
	e->wan_wscale = get8(r);
	e->lan_wscale = get8(r);
	e->proxy_wscale = get8(r);
	e->retries = get8(r);
	e->client_mss = get16(r);
	f->age_ms = get32(r);
	e->seq_delta = get32(r);
	e->ts_delta = get32(r);
	e->wan_end = get32(r);
	e->lan_end = get32(r);
	e->wan_maxwin = get32(r);
	e->lan_maxwin = get32(r);
	e->client_isn = get32(r);
	e->proxy_isn = get32(r);
	e->client_tsval = get32(r);
	e->lan_ack = get32(r);
	e->lan_tsval = get32(r);
	e->pending = UINT32_MAX;
	if (e->state != FLOW_S_SYN_SENT)
		e->chal_at = 0;   /* retries is SYN_SENT's (flow_entry.h) */

	if ((why = key_problem(&f->key)) != NULL)
		return fail(err, errlen, "flow record %u: %s", i, why);
	if (e->state == FLOW_S_FREE || e->state >= FLOW_S_MAX)
		return fail(err, errlen, "flow record %u: bad state %u", i, e->state);
	if (!wscale_ok(e->wan_wscale) || !wscale_ok(e->lan_wscale) || !wscale_ok(e->proxy_wscale))
		return fail(err, errlen, "flow record %u: bad window scale", i);
	if (f->worker >= nb_workers)
		return fail(err, errlen, "flow record %u: worker %u of %u", i, f->worker, nb_workers);
	if (f->age_ms > INT32_MAX)
		return fail(err, errlen, "flow record %u: age %u ms out of range", i, f->age_ms);
	return 0;
}

static int
get_learned(struct rd *r, struct handover_learned *l, uint32_t i, char *err, size_t errlen)
{
	uint8_t fl;

	memset(l, 0, sizeof(*l));
	getb(r, l->key.lan_addr, sizeof(l->key.lan_addr));
	getb(r, &l->key.lan_port, sizeof(l->key.lan_port));
	l->key.family = get8(r);
	l->key.proto = IPPROTO_TCP;
	l->o.wscale = get8(r);
	l->o.mss = get16(r);
	fl = get8(r);
	(void)get8(r);
	l->age_ms = get32(r);
	l->o.sack = fl & 1;
	l->o.ts = (fl >> 1) & 1;
	l->o.ecn = (fl >> 2) & 1;
	l->o.valid = 1;
	if (l->key.family != FLOW_AF_INET && l->key.family != FLOW_AF_INET6)
		return fail(err, errlen, "learned record %u: bad address family", i);
	if (fl > 7 || !wscale_ok(l->o.wscale))
		return fail(err, errlen, "learned record %u: bad options", i);
	if (l->age_ms > INT32_MAX)
		return fail(err, errlen, "learned record %u: age out of range", i);
	return 0;
}

static int
get_syn(struct rd *r, struct handover_syn *s, uint16_t nb_workers, uint32_t i,
	char *err, size_t errlen)
{
	const char *why;

	memset(s, 0, sizeof(*s));
	getb(r, &s->key, sizeof(s->key));
	s->worker = get16(r);
	s->e.mss = get16(r);
	s->e.wscale = get8(r);
	s->e.flags = get8(r);
	s->e.proxy_wscale = get8(r);
	(void)get8(r);
	s->e.window = get16(r);
	s->e.client_isn = get32(r);
	s->e.client_tsval = get32(r);
	s->age_ms = get32(r);
	if ((why = key_problem(&s->key)) != NULL)
		return fail(err, errlen, "SYN record %u: %s", i, why);
	if (!wscale_ok(s->e.wscale) || !wscale_ok(s->e.proxy_wscale) ||
	    (s->e.flags & ~(SYN_CACHE_F_SACK | SYN_CACHE_F_TS | SYN_CACHE_F_ECN)) != 0)
		return fail(err, errlen, "SYN record %u: bad options", i);
	if (s->worker >= nb_workers)
		return fail(err, errlen, "SYN record %u: worker %u of %u", i, s->worker, nb_workers);
	if (s->age_ms > INT32_MAX)
		return fail(err, errlen, "SYN record %u: age out of range", i);
	return 0;
}

static int
decode_header(struct rd *r, size_t len, struct handover_image *img, uint64_t *plen,
	      char *err, size_t errlen)
{
	uint32_t version, hdr_len, fr, lr, sr;

	if (len < 8 || memcmp(r->p, HANDOVER_MAGIC, 8) != 0)
		return fail(err, errlen, "not a dpdk-synproxy state file (bad magic)");
	r->p += 8;
	if (len < 16)
		return fail(err, errlen, "truncated: %zu bytes, the header alone is %u", len,
			    HANDOVER_HDR_LEN);
	version = get32(r);
	if (version != HANDOVER_VERSION)
		return fail(err, errlen, "state file format version %u, this build reads version %u",
			    version, HANDOVER_VERSION);
	hdr_len = get32(r);
	if (len < HANDOVER_HDR_LEN)
		return fail(err, errlen, "truncated: %zu bytes, the header alone is %u", len,
			    HANDOVER_HDR_LEN);
	if (hdr_len != HANDOVER_HDR_LEN)
		return fail(err, errlen, "header length %u, expected %u", hdr_len, HANDOVER_HDR_LEN);
	getb(r, img->proxy_version, HANDOVER_VERSION_LEN);
	img->proxy_version[HANDOVER_VERSION_LEN - 1] = '\0';
	img->written_unix_ms = get64(r);
	img->cookie_period = get32(r);
	img->nb_workers = get16(r);
	img->steer_mode = get8(r);
	(void)get8(r);
	img->n_flows = get32(r);
	img->n_learned = get32(r);
	img->n_syns = get32(r);
	fr = get32(r);
	lr = get32(r);
	sr = get32(r);
	*plen = get64(r);
	if (fr != HANDOVER_FLOW_REC || lr != HANDOVER_LEARNED_REC || sr != HANDOVER_SYN_REC)
		return fail(err, errlen, "record sizes %u/%u/%u, expected %u/%u/%u", fr, lr, sr,
			    HANDOVER_FLOW_REC, HANDOVER_LEARNED_REC, HANDOVER_SYN_REC);
	if (img->nb_workers == 0 || img->nb_workers > MAX_WORKERS)
		return fail(err, errlen, "written by %u workers (1..%u)", img->nb_workers, MAX_WORKERS);
	if (*plen != payload_len(img->n_flows, img->n_learned, img->n_syns))
		return fail(err, errlen, "payload length %" PRIu64 " does not match the record counts",
			    *plen);
	if (*plen > len - HANDOVER_HDR_LEN)
		return fail(err, errlen, "truncated: %zu bytes, the header announces %" PRIu64,
			    len, *plen + HANDOVER_HDR_LEN);
	if (*plen < len - HANDOVER_HDR_LEN)
		return fail(err, errlen, "%" PRIu64 " bytes of trailing garbage",
			    (uint64_t)(len - HANDOVER_HDR_LEN - *plen));
	return 0;
}

int
handover_decode(const uint8_t *buf, size_t len, struct handover_image *img,
		char *err, size_t errlen)
{
	struct handover_image im;
	struct rd r = { buf, buf + len };
	uint64_t plen;
	uint32_t crc_file, crc, i, nf, nl, ns;
	uint8_t zero[4] = { 0, 0, 0, 0 };

	memset(&im, 0, sizeof(im));
	memset(img, 0, sizeof(*img));
	if (buf == NULL)
		return fail(err, errlen, "no data");
	if (decode_header(&r, len, &im, &plen, err, errlen) != 0)
		return -1;
	r.p = buf + OFF_CRC;
	crc_file = get32(&r);
	crc = rte_hash_crc(buf, OFF_CRC, CRC_SEED);
	crc = rte_hash_crc(zero, sizeof(zero), crc);
	crc = rte_hash_crc(buf + OFF_CRC + 4, (uint32_t)(len - OFF_CRC - 4), crc);
	if (crc != crc_file)
		return fail(err, errlen, "checksum mismatch (file 0x%08x, computed 0x%08x): "
			    "corrupt file", crc_file, crc);
	r.p = buf + HANDOVER_HDR_LEN;

	nf = im.n_flows;
	nl = im.n_learned;
	ns = im.n_syns;
	im.n_flows = im.n_learned = im.n_syns = 0;
	for (i = 0; i < nf; i++) {
		struct handover_flow f;
		if (get_flow(&r, &f, im.nb_workers, i, err, errlen) != 0)
			goto bad;
		if (handover_add_flow(&im, &f) != 0)
			goto nomem;
	}
	for (i = 0; i < nl; i++) {
		struct handover_learned l;
		if (get_learned(&r, &l, i, err, errlen) != 0)
			goto bad;
		if (handover_add_learned(&im, &l) != 0)
			goto nomem;
	}
	for (i = 0; i < ns; i++) {
		struct handover_syn s;
		if (get_syn(&r, &s, im.nb_workers, i, err, errlen) != 0)
			goto bad;
		if (handover_add_syn(&im, &s) != 0)
			goto nomem;
	}
	if (r.p != r.end) {
		fail(err, errlen, "internal error: %td bytes left after the records", r.end - r.p);
		goto bad;
	}
	*img = im;
	return 0;
nomem:
	fail(err, errlen, "out of memory");
bad:
	handover_image_free(&im);
	return -1;
}
