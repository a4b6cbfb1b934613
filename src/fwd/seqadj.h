/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqadj.h - in-place translation of the segments of a proxied connection.
 *
 * The client's half of a proxied connection was opened by the proxy, with
 * the proxy's ISN (the cookie) and the proxy's timestamp clock; the server's
 * half has the server's ISN and clock. The client's own sequence space and
 * clock reach the server unchanged (the proxy's SYN to the server reuses the
 * client's ISN and TSval), so only server-space values need translating:
 *
 *   server -> client (LAN -> WAN)          client -> server (WAN -> LAN)
 *     seq    += seq_delta                    ack        -= seq_delta (if ACK)
 *     TSval  += ts_delta                     TSecr      -= ts_delta
 *     window rescaled lan_wscale ->          SACK edges -= seq_delta
 *            proxy_wscale (not on SYN)
 *     ack, TSecr, SACK: client space,        seq, TSval, window: client's
 *            untouched                              own, untouched
 *
 * The window: the server scales by its own wscale, the client was told the
 * proxy's. w' = (w << from) >> to rounds down (never promises more than the
 * server offered), is clamped to 65535, and a non-zero window never becomes
 * 0 (that would stall the client into zero-window probing): it becomes 1.
 *
 * Checksums are updated incrementally (csum.h); addresses do not change, so
 * the pseudo-header and therefore the code are the same for IPv4 and IPv6.
 * All arithmetic is uint32_t and wraps at 2^32 like TCP sequence space.
 *
 * Malformed options (see tcp_opts_parse()): the fixed header (seq, ack,
 * window) is translated, the option area is left byte-for-byte untouched,
 * the checksum stays correct for what was changed, and the function returns
 * -1 so the caller can count bad_options (and may decide to drop). The option
 * area is only looked at when there is something to translate in it (TS or
 * SACK enabled for that direction), so -1 means "options needed translating
 * and could not be". If TS or SACK appears twice, the last instance is
 * translated: it is the one the receiving stack uses.
 */
#ifndef SYNPROXY_FWD_SEQADJ_H
#define SYNPROXY_FWD_SEQADJ_H

#include <stdint.h>

#include <rte_tcp.h>

#include "flow/flow_entry.h"

#define SEQADJ_TS    0x01  /* translate TSval (LAN->WAN) / TSecr (WAN->LAN) */
#define SEQADJ_SACK  0x02  /* translate SACK block edges (WAN->LAN) */
#define SEQADJ_WIN   0x04  /* rescale the window (LAN->WAN) */
#define SEQADJ_CWIN  0x08  /* unscale the client's window (WAN->LAN): the server refused scaling */

struct seqadj {
	uint32_t seq_delta;      /* proxy ISN - server ISN */
	uint32_t ts_delta;       /* proxy TSval - server TSval */
	uint8_t flags;           /* SEQADJ_* */
	uint8_t win_shift_from;  /* server's wscale, 0..14 */
	uint8_t win_shift_to;    /* wscale the client was told, 0..14 */
	uint8_t cwin_shift;      /* client's wscale, for SEQADJ_CWIN */
};

/*
 * Fill a from a flow's state. TS and SACK follow FLOW_F_TS / FLOW_F_SACK;
 * the window is rescaled only with FLOW_F_WIN_ADJ and when the two shifts
 * really differ. A TCP_WSCALE_NONE scale counts as 0.
 */
void seqadj_from_flow(const struct flow_entry *f, struct seqadj *a);

/* The rescaled window (host order). from/to above 14 are taken as 14. */
static inline uint16_t
seqadj_window(uint16_t w, uint8_t from, uint8_t to)
{
	uint32_t v;

	from = from > 14 ? 14 : from;
	to = to > 14 ? 14 : to;
	v = ((uint32_t)w << from) >> to;
	v = v > 0xffff ? 0xffff : v;
	v |= (uint32_t)(v == 0 && w != 0);
	return (uint16_t)v;
}

/*
 * Translate a segment from the server (LAN) for the client (WAN), or from
 * the client for the server, in place. th points at tcp_hdr_len readable
 * bytes (data offset * 4). Returns 0, or -1 if the option area was malformed
 * and left untouched (fixed header still translated), or tcp_hdr_len < 20
 * (nothing touched).
 */
int seqadj_lan_to_wan(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a);
int seqadj_wan_to_lan(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a);

/* The same, and when SEQADJ_TS is set and the segment carries a timestamp,
 * *tsval gets its TSval as it leaves (LAN->WAN: translated, the client's view
 * of the server's clock; WAN->LAN: the client's own). Else *tsval is kept. */
int seqadj_lan_to_wan_ts(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a,
			 uint32_t *tsval);
int seqadj_wan_to_lan_ts(struct rte_tcp_hdr *th, uint16_t tcp_hdr_len, const struct seqadj *a,
			 uint32_t *tsval);

#endif
