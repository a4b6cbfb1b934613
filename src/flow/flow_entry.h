/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_entry.h - per-connection state, one 64-byte cache line at most.
 *
 * The flow table (flow_table.h) owns storage and expiry; the proxy state
 * machine (fwd/synproxy*.c) owns the meaning of the fields. The key lives in the
 * table's hash, not here, so an entry is pure state.
 *
 * Times are the worker's millisecond clock (uint32_t, wraps after 49 days:
 * always compare with (int32_t)(a - b)).
 */
#ifndef SYNPROXY_FLOW_ENTRY_H
#define SYNPROXY_FLOW_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

enum flow_state {
	FLOW_S_FREE = 0,     /* slot unused */
	FLOW_S_SYN_SENT,     /* proxied: client validated, SYN sent to the server */
	FLOW_S_LAN_SYN,      /* pass-through: SYN seen from the LAN, waiting for the answer */
	FLOW_S_ESTABLISHED,
	FLOW_S_FIN_WAIT,     /* one side has sent FIN */
	FLOW_S_TIME_WAIT,    /* both FINs seen */
	FLOW_S_CLOSED,       /* RST seen */
	/* Appended, not in handshake order: the values are written into the
	 * handover file, so a state keeps its number across versions. */
	FLOW_S_WAN_SYN,      /* pass-through: SYN seen from the WAN (allowed source or
	                      * unprotected service), waiting for the server's answer */
	FLOW_S_MAX
};

/* The states' names, as telemetry shows them (state_<name>). */
static inline const char *
flow_state_name(enum flow_state s)
{
	static const char *const names[FLOW_S_MAX] = {
		[FLOW_S_FREE] = "free",
		[FLOW_S_SYN_SENT] = "syn_sent",
		[FLOW_S_LAN_SYN] = "lan_syn",
		[FLOW_S_ESTABLISHED] = "established",
		[FLOW_S_FIN_WAIT] = "fin_wait",
		[FLOW_S_TIME_WAIT] = "time_wait",
		[FLOW_S_CLOSED] = "closed",
		[FLOW_S_WAN_SYN] = "wan_syn",
	};
	return (unsigned)s < FLOW_S_MAX ? names[s] : "invalid";
}

/* Both ends' sequence spaces are known (ESTABLISHED .. CLOSED): the window
 * checks apply. WAN_SYN is numbered after CLOSED but knows one end only. */
static inline bool
flow_state_has_window(uint8_t st)
{
	return st >= FLOW_S_ESTABLISHED && st <= FLOW_S_CLOSED;
}

/* flags */
#define FLOW_F_PROXIED   0x01  /* WAN-initiated and proxied, translated; else pass-through */
#define FLOW_F_TS        0x02  /* timestamps in use on both halves: translate TSval/TSecr */
#define FLOW_F_SACK      0x04  /* SACK permitted: translate SACK blocks */
#define FLOW_F_WIN_ADJ   0x08  /* server wscale differs from what the client was told */
#define FLOW_F_WAN_FIN   0x10  /* FIN seen from the WAN side */
#define FLOW_F_LAN_FIN   0x20  /* FIN seen from the LAN side */
#define FLOW_F_ECN       0x40  /* SYN_SENT: the client was told yes to ECN; from the server's
				* SYN-ACK on: one end does ECN, the other not: scrub both ways (fwd/ecn.h) */
#define FLOW_F_CWIN_ADJ  0x80  /* server ignores window scaling the client uses: unscale WAN->LAN windows */

struct flow_entry {
	uint32_t last_seen;      /* ms clock of the last packet */
	uint8_t state;           /* enum flow_state */
	uint8_t flags;           /* FLOW_F_* */
	uint8_t wan_wscale;      /* client's window scale, TCP_WSCALE_NONE if absent */
	uint8_t lan_wscale;      /* server's window scale */
	uint8_t proxy_wscale;    /* window scale the proxy announced to the client */
	uint16_t client_mss;     /* MSS the client offered (exact from cache, else decoded) */
	uint32_t seq_delta;      /* proxy ISN - server ISN: added to LAN->WAN seq, taken from WAN->LAN ack/SACK */
	uint32_t ts_delta;       /* proxy TSval - server TSval: added to LAN->WAN TSval, taken from WAN->LAN TSecr */
	uint32_t wan_end;        /* highest seq + len seen from the WAN side (client's sequence space) */
	uint32_t lan_end;        /* highest seq + len seen from the LAN side (server's sequence space) */
	uint32_t wan_maxwin;     /* largest scaled window the client advertised */
	uint32_t lan_maxwin;     /* largest scaled window the server advertised */
	uint32_t client_isn;     /* client's ISN (seq of its SYN) */
	uint32_t proxy_isn;      /* ISN the proxy gave the client (the cookie) */
	uint32_t client_tsval;   /* client's latest TSval, echoed in the proxy's own packets */
	uint32_t pending;        /* index of the SYN kept for retransmission, UINT32_MAX if none */
	uint32_t lan_ack;        /* highest ACK from the LAN side (client's space): the server's rcv_nxt as it last said */
	uint32_t lan_tsval;      /* latest TSval sent to the client (its view): challenge ACKs reuse it (PAWS) */
	union {
		struct {                 /* a proxied flow in SYN_SENT */
			uint8_t retries;     /* SYN retransmissions sent to the server */
			uint8_t ecn_asked;   /* the SYN to the server carried ECE|CWR (fwd/ecn.h);
					      * not handed over: a restored flow learns no ECN
					      * from its SYN-ACK */
		};
		uint16_t chal_at;        /* every other state: when the flow last drew a
					  * challenge ACK (flow_chal_clock), 0 = never; the
					  * proxy's own challenge ACKs are limited per flow
					  * (fwd/synproxy_flow.c) */
	};
	uint16_t lim_dom;        /* proxied: the per-prefix counting domain it was counted in
				  * (fwd/synproxy_limits.c), released there whatever the policy says
				  * since; not handed over: a restored flow is counted afresh */
};

_Static_assert(sizeof(struct flow_entry) <= 64, "a flow must fit one cache line");

/* chal_at's clock: the ms clock in units of 16 ms, 16 bits (wraps after
 * 17 minutes; compare with (uint16_t)(a - b)); never 0, which says "never". */
static inline uint16_t
flow_chal_clock(uint32_t now_ms)
{
	uint16_t c = (uint16_t)(now_ms >> 4);
	return c != 0 ? c : 1;
}

#endif
