/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server_opts.c - creation and the write side (learn, forget) of the learned
 * server-options cache; the lookup is inline in server_opts.h. Replacement
 * policy: the matching way if any, else an empty way, else the way learned
 * longest ago (wrap-safe ms compare).
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "flow/server_opts.h"

struct server_opts_table *
server_opts_create(const char *name, uint32_t slots, int socket)
{
	struct server_opts_table *t;

	if (name == NULL || slots == 0 || slots > SERVER_OPTS_MAX_SLOTS) {
		rte_errno = EINVAL;
		return NULL;
	}
	slots = rte_align32pow2(RTE_MAX(slots, (uint32_t)SERVER_OPTS_WAYS));
	if (keyed_hash_init() < 0) {
		rte_errno = EIO;
		return NULL;
	}

	t = rte_zmalloc_socket("server_opts", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->slots = rte_zmalloc_socket("server_opts_slots",
				      (size_t)slots * sizeof(struct server_opts_slot),
				      RTE_CACHE_LINE_SIZE, socket);
	if (t->slots == NULL) {
		rte_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	t->nb_slots = slots;
	t->set_mask = slots / SERVER_OPTS_WAYS - 1;
	t->socket_id = socket;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

void
server_opts_free(struct server_opts_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->slots);
	rte_free(t);
}

void
server_opts_learn(struct server_opts_table *t, const struct flow_key *k,
		  const struct server_opts *o, uint32_t now_ms)
{
	struct server_opts_slot *set, *s = NULL;
	unsigned int w;

	if (t == NULL || k == NULL || o == NULL)
		return;
	set = &t->slots[server_opts_set_index(t, k) * SERVER_OPTS_WAYS];

	for (w = 0; w < SERVER_OPTS_WAYS && s == NULL; w++)
		if (server_opts_slot_match(&set[w], k))
			s = &set[w];
	for (w = 0; w < SERVER_OPTS_WAYS && s == NULL; w++)
		if (!set[w].o.valid)
			s = &set[w];
	if (s == NULL) {
		s = &set[0];
		for (w = 1; w < SERVER_OPTS_WAYS; w++)
			if ((int32_t)(set[w].o.learned_ms - s->o.learned_ms) < 0)
				s = &set[w];
		t->stats.replaced++;
	}

	memcpy(s->addr, k->lan_addr, sizeof(s->addr));
	s->port = k->lan_port;
	s->family = k->family;
	s->o.mss = o->mss;
	/* a shift above 14 is treated as 14 (RFC 7323 2.3); "none" stays */
	s->o.wscale = (o->wscale > SERVER_OPTS_WSCALE_MAX &&
		       o->wscale != TCP_WSCALE_NONE) ?
		      SERVER_OPTS_WSCALE_MAX : o->wscale;
	s->o.sack = o->sack;
	s->o.ts = o->ts;
	s->o.ecn = o->ecn;
	s->o.silent = o->silent;
	s->o.valid = 1;
	s->o.learned_ms = now_ms;
	t->stats.learned++;
}

void
server_opts_forget(struct server_opts_table *t, const struct flow_key *k)
{
	struct server_opts_slot *set;
	unsigned int w;

	if (t == NULL || k == NULL)
		return;
	set = &t->slots[server_opts_set_index(t, k) * SERVER_OPTS_WAYS];
	for (w = 0; w < SERVER_OPTS_WAYS; w++)
		if (server_opts_slot_match(&set[w], k))
			memset(&set[w], 0, sizeof(set[w]));
}

void
server_opts_get_stats(const struct server_opts_table *t,
		      struct server_opts_stats *out)
{
	if (t == NULL || out == NULL)
		return;
	*out = t->stats;
}

int
server_opts_foreach(const struct server_opts_table *t, server_opts_visit_cb cb, void *arg)
{
	if (t == NULL || cb == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < t->nb_slots; i++) {
		int ret;

		if (!t->slots[i].o.valid)
			continue;
		ret = cb(arg, &t->slots[i]);
		if (ret != 0)
			return ret;
	}
	return 0;
}
