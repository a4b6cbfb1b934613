/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keyfile.h - the shared cookie key file (synproxy.secret_file).
 *
 * Several processes or boxes that share this file (and a roughly synchronized
 * clock) derive the same cookie secret for every period, so a cookie minted
 * by one validates on the others. The file is the root of that trust, so it
 * is refused unless it is a regular file of KEYFILE_MIN..KEYFILE_MAX bytes,
 * owned by root or by the proxy's own user, with no permission at all for
 * group or others, and not made of one repeated byte (an empty placeholder
 * filled by mistake). It is opened once, read through the same descriptor
 * that was checked (no check-then-open race), and its bytes are condensed
 * into a 256-bit master key; the raw bytes are wiped before returning.
 *
 * Extraction: with A = bytes 0..15 and B = bytes 16..31 of the file M,
 *	master word j = SipHash(A, L || j || M) ^ SipHash(B, L || j || M), j = 0..3
 * (L a fixed 16-byte label). Every byte of M counts, and the XOR of two
 * SipHash outputs under independent halves stays unpredictable as long as
 * either half is secret. cookie.c expands the master per period.
 */
#ifndef SYNPROXY_KEYFILE_H
#define SYNPROXY_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define KEYFILE_MIN        32      /* bytes: two independent 128-bit halves */
#define KEYFILE_MAX        1024    /* a key, not a data file */
#define KEYFILE_MASTER_LEN 32

/*
 * Check and read path; on success write the master key and return 0. On
 * failure return -1 and a one-line reason (without the path) in err.
 */
int keyfile_load(const char *path, uint8_t master[KEYFILE_MASTER_LEN], char *err, size_t errlen);

/* The extraction alone, for keys that do not come from a file (tests). */
int keyfile_extract(const uint8_t *key, size_t len, uint8_t master[KEYFILE_MASTER_LEN]);

#endif
