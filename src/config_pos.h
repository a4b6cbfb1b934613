/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_pos.h - where in the config text a JSON value starts.
 *
 * jansson forgets source positions once a document is parsed, yet a good
 * validation error must say "line 12:13". So the validator keeps the path of
 * the value it is checking ($.ports[1].role as a list of segments) and asks this
 * scanner to walk the (comment-blanked) text along that path. The scanner is a
 * minimal JSON tokenizer that only skips values: strings with escapes, numbers,
 * literals, objects and arrays. It runs once per error, never on a hot path.
 *
 * Positions are 1-based; columns count UTF-8 characters, as jansson's do, so a
 * syntax error from jansson and a validation error from here read the same.
 *
 * The same walk also finds the first duplicate key in an object: jansson
 * rejects duplicates (JSON_REJECT_DUPLICATES) but only says "near ...", while
 * an operator wants the path and the place.
 */
#ifndef SYNPROXY_CONFIG_POS_H
#define SYNPROXY_CONFIG_POS_H

#include <stdbool.h>
#include <stddef.h>

/* Deep enough for the schema (ports[i].rx_desc is depth 3) with room to spare. */
#define CFG_PATH_MAX 16

/* One step of a path: an object member (key != NULL) or an array element. */
struct cfg_path_seg {
	const char *key;
	size_t index;
};

struct cfg_pos {
	unsigned int line;
	unsigned int col;
};

/*
 * Position of the value at path (depth segments; depth 0 is the root value), or
 * of its key when want_key is set and the last segment is an object member.
 * Returns 0, or -1 when the path does not exist in the text.
 */
int cfg_pos_lookup(const char *text, size_t len, const struct cfg_path_seg *path,
		   unsigned int depth, bool want_key, struct cfg_pos *pos);

/*
 * Find the first key that repeats within its object (compared as decoded
 * strings). Writes the path of the repeated key (keys point into key_buf, which
 * must hold at least len + CFG_PATH_MAX bytes) and the position of its second
 * occurrence. Returns 0 when found, -1 otherwise.
 */
int cfg_pos_find_duplicate(const char *text, size_t len, struct cfg_path_seg *path,
			   unsigned int *depth, char *key_buf, struct cfg_pos *pos);

/* Render a path as "$.ports[1].role"; unusual keys as $["a b"]. */
void cfg_path_format(const struct cfg_path_seg *path, unsigned int depth, char *buf, size_t size);

/* Line:column of a byte offset in text. */
struct cfg_pos cfg_pos_of_offset(const char *text, size_t len, size_t off);

#endif
