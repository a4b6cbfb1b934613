/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqadj.c - sequence, timestamp, SACK and window translation (see seqadj.h).
 *
 * Each rewritten 32-bit field adds its old and new words to one of two
 * checksum accumulators, chosen by the parity of its offset in the header
 * (options need not be 16-bit aligned); the odd one is byte-swapped and the
 * checksum is patched once at the end. Options are located with
 * tcp_opts_parse(), except for the NOP NOP TS layout of a timestamp-only
 * segment, which is recognised inline because it is most of the traffic.
 * The parse completes before anything in the option area is written, so a
 * malformed area is never half-translated.
 */
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_branch_prediction.h>

#include "fwd/csum.h"
#include "fwd/seqadj.h"
#include "fwd/tcp_opts.h"

void
seqadj_from_flow(const struct flow_entry *f, struct seqadj *a)
{
	uint8_t from = f->lan_wscale == TCP_WSCALE_NONE ? 0 : f->lan_wscale;
	uint8_t to = f->proxy_wscale == TCP_WSCALE_NONE ? 0 : f->proxy_wscale;

	a->seq_delta = f->seq_delta;
	a->ts_delta = f->ts_delta;
	a->win_shift_from = from > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : from;
	a->win_shift_to = to > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : to;
	a->flags = 0;
	if (f->flags & FLOW_F_TS)
		a->flags |= SEQADJ_TS;
	if (f->flags & FLOW_F_SACK)
		a->flags |= SEQADJ_SACK;
	if ((f->flags & FLOW_F_WIN_ADJ) && a->win_shift_from != a->win_shift_to)
		a->flags |= SEQADJ_WIN;
	a->cwin_shift = 0;
	if ((f->flags & FLOW_F_CWIN_ADJ) && f->wan_wscale != TCP_WSCALE_NONE && f->wan_wscale != 0) {
		a->flags |= SEQADJ_CWIN;
		a->cwin_shift = f->wan_wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : f->wan_wscale;
	}
}

/* Add delta to the big-endian 32-bit field at offset off of the header. */
static inline void
field_add32(uint8_t *hdr, unsigned int off, uint32_t delta, uint32_t acc[2])
{
	uint32_t old, new;

	memcpy(&old, hdr + off, sizeof(old));
	new = rte_cpu_to_be_32(rte_be_to_cpu_32(old) + delta);
	memcpy(hdr + off, &new, sizeof(new));
	acc[off & 1] = csum_acc32(acc[off & 1], old, new);
}

static inline void
csum_commit(struct rte_tcp_hdr *th, const uint32_t acc[2])
{
	th->cksum = csum_apply(th->cksum, acc[0] + csum_acc_odd(acc[1]));
}

#define TS_ONLY_LEN (TCP_HDR_MIN_LEN + 12)

/* Locate the options: the timestamp-only layout inline, anything else by the
 * full parser. Returns -1 if the area is malformed. */
static inline int
opts_locate(const struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, struct tcp_opts *o)
{
	if (tcp_hdr_len == TS_ONLY_LEN) {
		uint32_t w;

		memcpy(&w, th + 1, sizeof(w));
		if (likely(w == RTE_BE32(0x0101080a))) {
			o->ts_present = 1;
			o->ts_off = TCP_HDR_MIN_LEN + 2;
			o->sack_off = 0;
			o->nsack = 0;
			return 0;
		}
	}
	return tcp_opts_parse(th, tcp_hdr_len, o);
}

static inline uint32_t
ts_read(const uint8_t *hdr, unsigned int off)
{
	uint32_t v;

	memcpy(&v, hdr + off, sizeof(v));
	return rte_be_to_cpu_32(v);
}

int
seqadj_lan_to_wan(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a)
{
	uint32_t unused = 0;

	return seqadj_lan_to_wan_ts(th, tcp_hdr_len, a, &unused);
}

int
seqadj_wan_to_lan(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a)
{
	uint32_t unused = 0;

	return seqadj_wan_to_lan_ts(th, tcp_hdr_len, a, &unused);
}

int
seqadj_lan_to_wan_ts(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a,
		     uint32_t *tsval)
{
	uint8_t *hdr = (uint8_t *)th;
	uint32_t acc[2] = { 0, 0 };
	struct tcp_opts o;
	int rc = 0;

	if (unlikely(tcp_hdr_len < TCP_HDR_MIN_LEN))
		return -1;

	field_add32(hdr, offsetof(struct rte_tcp_hdr, sent_seq), a->seq_delta, acc);

	/* RFC 7323 2.2: the window of a SYN is never scaled */
	if ((a->flags & SEQADJ_WIN) && !(th->tcp_flags & RTE_TCP_SYN_FLAG)) {
		uint16_t old = th->rx_win;
		uint16_t new = rte_cpu_to_be_16(seqadj_window(rte_be_to_cpu_16(old),
					a->win_shift_from, a->win_shift_to));

		th->rx_win = new;
		acc[0] = csum_acc16(acc[0], old, new);
	}

	/* Only TSval lives in server space here: SACK blocks and TSecr are the client's. */
	if ((a->flags & SEQADJ_TS) && tcp_hdr_len > TCP_HDR_MIN_LEN) {
		if (unlikely(opts_locate(th, tcp_hdr_len, &o) < 0))
			rc = -1;
		else if (o.ts_present) {
			field_add32(hdr, o.ts_off + 2u, a->ts_delta, acc);
			*tsval = ts_read(hdr, o.ts_off + 2u);
		}
	}

	csum_commit(th, acc);
	return rc;
}

int
seqadj_wan_to_lan_ts(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a,
		     uint32_t *tsval)
{
	uint8_t *hdr = (uint8_t *)th;
	uint32_t acc[2] = { 0, 0 };
	uint32_t back = 0u - a->seq_delta;
	struct tcp_opts o;
	int rc = 0;

	if (unlikely(tcp_hdr_len < TCP_HDR_MIN_LEN))
		return -1;

	/* without ACK the field is not an acknowledgement (often zero): keep it */
	if (th->tcp_flags & RTE_TCP_ACK_FLAG)
		field_add32(hdr, offsetof(struct rte_tcp_hdr, recv_ack), back, acc);

	/* The client scales its windows, the server (which refused scaling)
	 * reads them as bytes: unscale, clamped, never to zero. */
	if ((a->flags & SEQADJ_CWIN) && !(th->tcp_flags & RTE_TCP_SYN_FLAG)) {
		uint16_t old = th->rx_win;
		uint16_t new = rte_cpu_to_be_16(seqadj_window(rte_be_to_cpu_16(old), a->cwin_shift, 0));

		th->rx_win = new;
		acc[0] = csum_acc16(acc[0], old, new);
	}

	if ((a->flags & (SEQADJ_TS | SEQADJ_SACK)) && tcp_hdr_len > TCP_HDR_MIN_LEN) {
		if (unlikely(opts_locate(th, tcp_hdr_len, &o) < 0)) {
			rc = -1;
		} else {
			if ((a->flags & SEQADJ_TS) && o.ts_present) {
				field_add32(hdr, o.ts_off + 6u, 0u - a->ts_delta, acc);
				*tsval = ts_read(hdr, o.ts_off + 2u);
			}
			if (a->flags & SEQADJ_SACK) {
				unsigned int off = o.sack_off + 2u;
				unsigned int end = off + o.nsack * TCP_OLEN_SACK_BLK;

				/* both edges of every block acknowledge server-space bytes */
				for (; off < end; off += 4)
					field_add32(hdr, off, back, acc);
			}
		}
	}

	csum_commit(th, acc);
	return rc;
}
