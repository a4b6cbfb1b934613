/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handover.h - the state file a stopping proxy writes and its successor
 * reads (SIGUSR2 to the old process, --restore for the new one).
 *
 * Design
 * ------
 * This module only turns an in-memory image (struct handover_image: plain
 * arrays of flows, learned server options and SYN cache entries) into bytes
 * and back, and moves those bytes to and from a file. It knows nothing of
 * workers, ports or the proxy's tables: fwd/synproxy_handover.c gathers a
 * worker's state into an image and puts it back; main.c orchestrates.
 *
 * Times are never written as clock values: the new process has another
 * monotonic clock. Each record carries its AGE (ms since the flow's last
 * packet, since the cache entry was made, since the options were learned);
 * the header carries the wall-clock time of writing, so the reader adds the
 * wall-clock gap to every age and expires what aged out in between against
 * its own (possibly changed) timeouts. Remaining time = timeout - age.
 *
 * File layout (all integers little-endian, addresses and ports as they are
 * in struct flow_key, i.e. network order bytes):
 *
 *   header (HANDOVER_HDR_LEN bytes)
 *     0  magic "SPXSTATE"          8
 *     8  format version  u32       HANDOVER_VERSION
 *    12  header length   u32       HANDOVER_HDR_LEN
 *    16  proxy version   char[32]  NUL padded, informative
 *    48  written at      u64       wall clock, ms since the epoch
 *    56  cookie_period   u32       of the writer
 *    60  nb_workers      u16       of the writer
 *    62  steer mode      u8        enum steer_mode of the writer
 *    63  reserved        u8        0
 *    64  flows, learned, syn u32 x3  record counts
 *    76  record sizes    u32 x3    HANDOVER_*_REC, checked exactly
 *    88  payload length  u64       = sum of count * size
 *    96  checksum        u32       CRC32C of header (this field 0) + payload
 *   100  reserved        u32       0
 *   payload: the flow records, then the learned records, then the SYN records.
 *
 * The checksum (rte_hash_crc: CRC32C) is integrity against a torn or
 * corrupted file, NOT an authenticator: anyone who can write the file can
 * forge a valid one. The file is created 0600 in a directory only root
 * should write; keep it there.
 *
 * Parsing trusts nothing: every length is checked before it is read, counts
 * times sizes are computed in 64 bits, the total must match the file size
 * exactly, and every record field is range-checked (state, family, window
 * scales, worker index) before anything reaches a table.
 */
#ifndef SYNPROXY_STATE_HANDOVER_H
#define SYNPROXY_STATE_HANDOVER_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow_entry.h"
#include "flow/flow_key.h"
#include "flow/server_opts.h"
#include "syncookie/syn_cache.h"

#define HANDOVER_MAGIC       "SPXSTATE"
#define HANDOVER_VERSION     2u   /* 2: the flow record's last two u32 are lan_ack, lan_tsval */
#define HANDOVER_HDR_LEN     104u
#define HANDOVER_FLOW_REC    98u
#define HANDOVER_LEARNED_REC 28u
#define HANDOVER_SYN_REC     62u
#define HANDOVER_VERSION_LEN 32
/* A file larger than this is refused before it is read (16M flows). */
#define HANDOVER_MAX_FILE    ((uint64_t)2 << 30)

struct handover_flow {
	struct flow_key key;
	uint16_t worker;          /* the writer's worker that owned it */
	uint32_t age_ms;          /* ms since its last packet */
	struct flow_entry e;      /* last_seen and pending are not stored */
};

struct handover_learned {
	struct flow_key key;      /* lan_addr, lan_port, family only */
	struct server_opts o;     /* learned_ms is not stored */
	uint32_t age_ms;
};

struct handover_syn {
	struct flow_key key;
	uint16_t worker;
	uint32_t age_ms;          /* ms since the client's SYN */
	struct syn_cache_entry e; /* created_ms is not stored */
};

struct handover_image {
	char proxy_version[HANDOVER_VERSION_LEN];
	uint64_t written_unix_ms;
	uint32_t cookie_period;
	uint16_t nb_workers;
	uint8_t steer_mode;
	struct handover_flow *flows;
	struct handover_learned *learned;
	struct handover_syn *syns;
	uint32_t n_flows, n_learned, n_syns;
	uint32_t cap_flows, cap_learned, cap_syns;
};

/* Append one record, growing the arrays (malloc). 0 or -ENOMEM. */
int handover_add_flow(struct handover_image *img, const struct handover_flow *f);
int handover_add_learned(struct handover_image *img, const struct handover_learned *l);
int handover_add_syn(struct handover_image *img, const struct handover_syn *s);
void handover_image_free(struct handover_image *img);

/* Bytes of the encoded image. */
size_t handover_encoded_size(const struct handover_image *img);
/* Encode into buf (handover_encoded_size bytes). Returns the length. */
size_t handover_encode(const struct handover_image *img, uint8_t *buf);
/*
 * Decode and validate. On success 0 and img filled (free it with
 * handover_image_free). On failure -1, img empty, err says why in words an
 * operator can act on ("not a state file", "format version 2, this build
 * reads 1", "truncated", "checksum mismatch", "flow record 7: bad state 9").
 */
int handover_decode(const uint8_t *buf, size_t len, struct handover_image *img,
		    char *err, size_t errlen);

/* Write atomically: <path>.tmp.<pid> in the same directory, mode 0600,
 * fsync, rename over path, fsync the directory. 0 or -1 with err. */
int handover_write_file(const char *path, const struct handover_image *img,
			char *err, size_t errlen);
/* Read and decode path. 0, or -1 with err (also for a missing file). */
int handover_read_file(const char *path, struct handover_image *img,
		       char *err, size_t errlen);

#endif
