/* SPDX-License-Identifier: BSD-3-Clause */
/* top.c - top talkers from the rate limiter's buckets (design in top.h). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"
#include "syncookie/ratelimit.h"

static int
cmp_prefix(const void *a, const void *b)
{
	const struct top_entry *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static int
cmp_drops(const void *a, const void *b)
{
	const struct top_entry *x = a, *y = b;

	if (x->drops != y->drops)
		return x->drops > y->drops ? -1 : 1;
	return cmp_prefix(a, b);
}

unsigned
top_aggregate(struct top_entry *e, size_t ne, struct top_entry *out, unsigned n)
{
	size_t m = 0;

	if (ne == 0 || n == 0)
		return 0;
	qsort(e, ne, sizeof(*e), cmp_prefix);
	for (size_t i = 1; i < ne; i++) {
		if (cmp_prefix(&e[m], &e[i]) == 0)
			e[m].drops += e[i].drops;
		else
			e[++m] = e[i];
	}
	m++;
	qsort(e, m, sizeof(*e), cmp_drops);
	if (m > n)
		m = n;
	memcpy(out, e, m * sizeof(*e));
	return (unsigned)m;
}

struct top_table {
	uint32_t slots;
	uint32_t *prev_tag;
	uint32_t *prev_drops;
};

struct top_tracker {
	unsigned nb;
	uint32_t max_slots;
	struct ratelimit_talker *buf;
	struct top_entry *entries;
	struct top_table t[];
};

struct top_tracker *
top_tracker_create(unsigned nb, const uint32_t *slots)
{
	struct top_tracker *t = calloc(1, sizeof(*t) + nb * sizeof(t->t[0]));
	size_t total = 0;

	if (t == NULL)
		return NULL;
	t->nb = nb;
	for (unsigned i = 0; i < nb; i++) {
		t->t[i].slots = slots[i];
		total += slots[i];
		if (slots[i] > t->max_slots)
			t->max_slots = slots[i];
		if (slots[i] == 0)
			continue;
		t->t[i].prev_tag = calloc(slots[i], sizeof(uint32_t));
		t->t[i].prev_drops = calloc(slots[i], sizeof(uint32_t));
		if (t->t[i].prev_tag == NULL || t->t[i].prev_drops == NULL)
			goto fail;
	}
	t->buf = calloc(t->max_slots ? t->max_slots : 1, sizeof(*t->buf));
	t->entries = calloc(total ? total : 1, sizeof(*t->entries));
	if (t->buf == NULL || t->entries == NULL)
		goto fail;
	return t;
fail:
	top_tracker_free(t);
	return NULL;
}

void
top_tracker_free(struct top_tracker *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < t->nb; i++) {
		free(t->t[i].prev_tag);
		free(t->t[i].prev_drops);
	}
	free(t->buf);
	free(t->entries);
	free(t);
}

unsigned
top_tracker_sample(struct top_tracker *t, const struct ratelimit *const *tables,
		   struct top_entry *out, unsigned n)
{
	size_t ne = 0;

	for (unsigned i = 0; i < t->nb; i++) {
		struct top_table *tt = &t->t[i];
		if (tables[i] == NULL || tt->slots == 0 || ratelimit_slots(tables[i]) != tt->slots)
			continue;
		uint32_t got = ratelimit_talkers(tables[i], t->buf, tt->slots);
		for (uint32_t j = 0; j < got; j++) {
			const struct ratelimit_talker *r = &t->buf[j];
			/* The same prefix as last time: the difference; a new one: all
			 * of its count (it started at 0 when it got the slot). */
			uint32_t d = r->tag == tt->prev_tag[r->slot] ? r->drops - tt->prev_drops[r->slot]
								     : r->drops;
			tt->prev_tag[r->slot] = r->tag;
			tt->prev_drops[r->slot] = r->drops;
			if (d == 0)
				continue;
			struct top_entry *e = &t->entries[ne++];
			memcpy(e->addr, r->addr, sizeof(e->addr));
			e->family = r->family;
			e->plen = r->plen;
			e->drops = d;
		}
	}
	return top_aggregate(t->entries, ne, out, n);
}

static pthread_mutex_t top_lock = PTHREAD_MUTEX_INITIALIZER;
static struct top_entry top_last[TOP_MAX];
static unsigned top_n;
static uint64_t top_end;

void
top_publish(const struct top_entry *e, unsigned n, uint64_t end_unix)
{
	if (n > TOP_MAX)
		n = TOP_MAX;
	pthread_mutex_lock(&top_lock);
	memcpy(top_last, e, n * sizeof(*e));
	top_n = n;
	top_end = end_unix;
	pthread_mutex_unlock(&top_lock);
}

unsigned
top_get(struct top_entry *out, unsigned n, uint64_t *end_unix)
{
	pthread_mutex_lock(&top_lock);
	if (n > top_n)
		n = top_n;
	memcpy(out, top_last, n * sizeof(*out));
	*end_unix = top_end;
	pthread_mutex_unlock(&top_lock);
	return n;
}

void
top_format_prefix(const struct top_entry *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, e->plen);
}
