/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_pos.c - map a JSON path to the line:column where its value starts.
 *
 * Design: a cursor over the text (byte offsets only) and three primitives:
 * skip whitespace, skip a string (honouring backslash escapes), skip any value.
 * Skipping a compound value counts bracket depth instead of recursing, so a
 * deeply nested document cannot exhaust the stack. Lookup walks object members
 * and array elements along the path, comparing keys after decoding their
 * escapes (a key written "ro\u006ce" is still "role"). Offsets become
 * line:column only at the end, counting UTF-8 lead bytes like jansson does.
 *
 * The text has normally been accepted by jansson already, but every step still
 * checks bounds and syntax: on anything unexpected the lookup simply fails and
 * the caller reports the error without a position.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config_pos.h"

struct scan {
	const char *s;
	size_t len;
	size_t i;
};

/* Upper bound on bytes re-scanned while hunting duplicates: keeps a hostile
 * object with a huge number of keys from turning an error path into a hang. */
#define DUP_SCAN_BUDGET (64u << 20)

static inline int
peek(const struct scan *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}

static void
skip_ws(struct scan *sc)
{
	while (sc->i < sc->len) {
		char c = sc->s[sc->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->i++;
	}
}

/* At an opening quote: move past the closing one. */
static int
skip_string(struct scan *sc)
{
	if (peek(sc) != '"')
		return -1;
	for (sc->i++; sc->i < sc->len; sc->i++) {
		char c = sc->s[sc->i];

		if (c == '\\')
			sc->i++;        /* the escaped byte can never end the string */
		else if (c == '"') {
			sc->i++;
			return 0;
		}
	}
	return -1;
}

static int
skip_value(struct scan *sc)
{
	int c = peek(sc);
	size_t start = sc->i;
	unsigned long depth = 0;

	if (c == '"')
		return skip_string(sc);
	if (c == '{' || c == '[') {
		while (sc->i < sc->len) {
			c = (unsigned char)sc->s[sc->i];
			if (c == '"') {
				if (skip_string(sc) < 0)
					return -1;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']')
				depth--;
			sc->i++;
			if (depth == 0)
				return 0;
		}
		return -1;
	}
	/* number or literal: everything up to a delimiter */
	while (sc->i < sc->len) {
		c = (unsigned char)sc->s[sc->i];
		if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' ||
		    c == '\n' || c == '\r' || c == '"' || c == '{' || c == '[' || c == ':')
			break;
		sc->i++;
	}
	return sc->i > start ? 0 : -1;
}

static int
hex4(const char *s, size_t n, size_t i, uint32_t *v)
{
	uint32_t r = 0;

	if (i + 4 > n)
		return -1;
	for (size_t k = i; k < i + 4; k++) {
		char c = s[k];

		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			r |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*v = r;
	return 0;
}

/*
 * Decode one unit of a string body (a raw byte or an escape) starting at *i,
 * which must be before end (the closing quote). Writes 1..4 UTF-8 bytes to out
 * and returns how many, or -1 on a malformed escape.
 */
static int
decode_unit(const char *s, size_t end, size_t *i, unsigned char out[4])
{
	uint32_t cp, lo;
	char c = s[*i];

	if (c != '\\') {
		out[0] = (unsigned char)c;
		(*i)++;
		return 1;
	}
	if (*i + 1 >= end)
		return -1;
	c = s[*i + 1];
	*i += 2;
	switch (c) {
	case '"': out[0] = '"'; return 1;
	case '\\': out[0] = '\\'; return 1;
	case '/': out[0] = '/'; return 1;
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u':
		break;
	default:
		return -1;
	}
	if (hex4(s, end, *i, &cp) < 0)
		return -1;
	*i += 4;
	/* a surrogate pair spells one code point beyond the BMP */
	if (cp >= 0xd800 && cp <= 0xdbff && *i + 6 <= end && s[*i] == '\\' &&
	    s[*i + 1] == 'u' && hex4(s, end, *i + 2, &lo) == 0 &&
	    lo >= 0xdc00 && lo <= 0xdfff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*i += 6;
	}
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Does the string literal at s[start] (its opening quote) decode to key? */
static bool
key_equals(const char *s, size_t start, size_t end_quote, const char *key, size_t key_len)
{
	size_t i = start + 1, k = 0;
	unsigned char u[4];

	while (i < end_quote) {
		int n = decode_unit(s, end_quote, &i, u);

		if (n < 0 || k + (size_t)n > key_len || memcmp(key + k, u, (size_t)n) != 0)
			return false;
		k += (size_t)n;
	}
	return k == key_len;
}

/* Decode the string literal at s[start] into out (NUL-terminated); returns its length. */
static size_t
decode_key(const char *s, size_t start, size_t end_quote, char *out)
{
	size_t i = start + 1, k = 0;
	unsigned char u[4];

	while (i < end_quote) {
		int n = decode_unit(s, end_quote, &i, u);

		if (n < 0)
			break;
		memcpy(out + k, u, (size_t)n);
		k += (size_t)n;
	}
	out[k] = '\0';
	return k;
}

/*
 * At the start of a member (its key string): read key, colon and leading
 * whitespace. Leaves the cursor on the value; key_start/key_end bracket the
 * key's quotes.
 */
static int
read_member_head(struct scan *sc, size_t *key_start, size_t *key_end)
{
	*key_start = sc->i;
	if (skip_string(sc) < 0)
		return -1;
	*key_end = sc->i - 1;
	skip_ws(sc);
	if (peek(sc) != ':')
		return -1;
	sc->i++;
	skip_ws(sc);
	return 0;
}

/* After a member or element: step over the comma, or stop at the closer. */
static int
next_item(struct scan *sc, char closer)
{
	skip_ws(sc);
	if (peek(sc) == ',') {
		sc->i++;
		skip_ws(sc);
		return 1;
	}
	return peek(sc) == closer ? 0 : -1;
}

struct cfg_pos
cfg_pos_of_offset(const char *text, size_t len, size_t off)
{
	struct cfg_pos p = { 1, 1 };

	if (off > len)
		off = len;
	/* the column is one plus the characters (UTF-8 lead bytes) before off */
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			p.line++;
			p.col = 1;
		} else if ((c & 0xc0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

int
cfg_pos_lookup(const char *text, size_t len, const struct cfg_path_seg *path,
	       unsigned int depth, bool want_key, struct cfg_pos *pos)
{
	struct scan sc = { text, len, 0 };
	size_t key_start = 0, key_end;
	bool found_key = false;

	skip_ws(&sc);
	for (unsigned int d = 0; d < depth; d++) {
		const struct cfg_path_seg *seg = &path[d];
		int more;

		found_key = false;
		if (seg->key != NULL) {
			size_t klen = strlen(seg->key);

			if (peek(&sc) != '{')
				return -1;
			sc.i++;
			skip_ws(&sc);
			if (peek(&sc) == '}')
				return -1;
			for (;;) {
				if (read_member_head(&sc, &key_start, &key_end) < 0)
					return -1;
				if (key_equals(text, key_start, key_end, seg->key, klen)) {
					found_key = true;
					break;
				}
				if (skip_value(&sc) < 0)
					return -1;
				more = next_item(&sc, '}');
				if (more <= 0)
					return -1;
			}
		} else {
			size_t idx = 0;

			if (peek(&sc) != '[')
				return -1;
			sc.i++;
			skip_ws(&sc);
			if (peek(&sc) == ']')
				return -1;
			while (idx < seg->index) {
				if (skip_value(&sc) < 0)
					return -1;
				more = next_item(&sc, ']');
				if (more <= 0)
					return -1;
				idx++;
			}
		}
	}
	if (sc.i >= len)
		return -1;
	*pos = cfg_pos_of_offset(text, len, want_key && found_key ? key_start : sc.i);
	return 0;
}

struct dup_ctx {
	const char *s;
	size_t len;
	struct cfg_path_seg *path;
	char *key_buf;
	size_t key_used;
	size_t budget;
	size_t found_at;
	unsigned int found_depth;
};

/* Is the key at [key_start, key_end] already used by an earlier member of the
 * object opening at obj? */
static int
key_seen_before(struct dup_ctx *dc, size_t obj, size_t key_start, const char *key, size_t klen)
{
	struct scan sc = { dc->s, dc->len, obj + 1 };
	size_t ks, ke;

	if (key_start - obj > dc->budget)
		return -1;
	dc->budget -= key_start - obj;
	skip_ws(&sc);
	while (sc.i < key_start) {
		if (read_member_head(&sc, &ks, &ke) < 0)
			return -1;
		if (key_equals(dc->s, ks, ke, key, klen))
			return 1;
		if (skip_value(&sc) < 0 || next_item(&sc, '}') <= 0)
			return -1;
	}
	return 0;
}

/* Walk the value under the cursor; 1 = duplicate found, 0 = none, -1 = give up. */
static int
find_dup(struct dup_ctx *dc, struct scan *sc, unsigned int depth)
{
	int c = peek(sc), r, more;
	size_t open = sc->i;

	if ((c != '{' && c != '[') || depth >= CFG_PATH_MAX)
		return skip_value(sc) < 0 ? -1 : 0;
	sc->i++;
	skip_ws(sc);
	if (peek(sc) == (c == '{' ? '}' : ']')) {
		sc->i++;
		return 0;
	}
	for (size_t idx = 0;; idx++) {
		if (c == '{') {
			size_t ks, ke, klen, saved = dc->key_used;
			char *key = dc->key_buf + dc->key_used;

			if (read_member_head(sc, &ks, &ke) < 0)
				return -1;
			klen = decode_key(dc->s, ks, ke, key);
			dc->path[depth].key = key;
			r = key_seen_before(dc, open, ks, key, klen);
			if (r != 0) {
				if (r > 0) {
					dc->found_at = ks;
					dc->found_depth = depth + 1;
				}
				return r;
			}
			dc->key_used += klen + 1;
			r = find_dup(dc, sc, depth + 1);
			if (r != 0)
				return r;
			/* the key is off the path again: reuse its room */
			dc->key_used = saved;
		} else {
			dc->path[depth].key = NULL;
			dc->path[depth].index = idx;
			r = find_dup(dc, sc, depth + 1);
			if (r != 0)
				return r;
		}
		more = next_item(sc, c == '{' ? '}' : ']');
		if (more < 0)
			return -1;
		if (more == 0) {
			sc->i++;
			return 0;
		}
	}
}

int
cfg_pos_find_duplicate(const char *text, size_t len, struct cfg_path_seg *path,
		       unsigned int *depth, char *key_buf, struct cfg_pos *pos)
{
	struct dup_ctx dc = {
		.s = text, .len = len, .path = path, .key_buf = key_buf,
		.budget = DUP_SCAN_BUDGET,
	};
	struct scan sc = { text, len, 0 };

	skip_ws(&sc);
	if (find_dup(&dc, &sc, 0) != 1)
		return -1;
	*depth = dc.found_depth;
	*pos = cfg_pos_of_offset(text, len, dc.found_at);
	return 0;
}

/* Append to a bounded buffer; silently truncates. */
struct sbuf {
	char *b;
	size_t size;
	size_t n;
};

static void
sb_putc(struct sbuf *sb, char c)
{
	if (sb->n + 1 < sb->size)
		sb->b[sb->n++] = c;
	sb->b[sb->n < sb->size ? sb->n : sb->size - 1] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	while (*s != '\0')
		sb_putc(sb, *s++);
}

static bool
is_ident(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
		return false;
	for (k++; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

void
cfg_path_format(const struct cfg_path_seg *path, unsigned int depth, char *buf, size_t size)
{
	struct sbuf sb = { buf, size, 0 };
	char tmp[32];

	if (size == 0)
		return;
	sb_puts(&sb, "$");
	for (unsigned int d = 0; d < depth; d++) {
		const char *k = path[d].key;

		if (k == NULL) {
			snprintf(tmp, sizeof(tmp), "[%zu]", path[d].index);
			sb_puts(&sb, tmp);
		} else if (is_ident(k)) {
			sb_putc(&sb, '.');
			sb_puts(&sb, k);
		} else {
			/* a key an operator mistyped may hold anything: quote it */
			sb_puts(&sb, "[\"");
			for (; *k != '\0'; k++) {
				unsigned char c = (unsigned char)*k;

				if (c == '"' || c == '\\') {
					sb_putc(&sb, '\\');
					sb_putc(&sb, (char)c);
				} else if (c < 0x20) {
					snprintf(tmp, sizeof(tmp), "\\u%04x", c);
					sb_puts(&sb, tmp);
				} else {
					sb_putc(&sb, (char)c);
				}
			}
			sb_puts(&sb, "\"]");
		}
	}
}
