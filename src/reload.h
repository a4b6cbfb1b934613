/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reload.h - live reload of the config file (SIGHUP, /synproxy/reload).
 *
 * The control side of sp_runtime.h: the running settings are one object in
 * app.runtime that every worker reads once per burst. A reload re-reads and
 * fully validates the file, refuses it whole if it is broken (with the
 * parser's message) or if a key changed that needs a restart (config_diff.h,
 * naming the keys), else builds the new object, publishes it (release store),
 * waits for an rte_rcu QSBR grace period and frees the old one. Open flows and
 * every table are untouched: nothing is lost, existing connections keep the
 * policy they were opened under. Reloads are serialized by a mutex on the
 * control side only; the data path takes no lock.
 */
#ifndef SYNPROXY_RELOAD_H
#define SYNPROXY_RELOAD_H

#include <stdint.h>

#include "config.h"

struct reload_status {
	uint64_t generation;        /* 1 = the startup config; +1 per applied reload */
	uint64_t last_time;         /* unix seconds of the last attempt, 0 = none yet */
	int last_ok;                /* 1 applied, 0 refused (meaningful if last_time) */
	uint64_t applied, refused;  /* counts */
	char message[CFG_ERR_LEN];  /* what the last attempt did, or why it was refused */
};

/* After the workers are created (before they run): the first runtime
 * (generation 1), the QSBR variable, both handed to every worker. */
int reload_init(char *msg, size_t msglen);

/* Re-read the config file and apply it. 0 = applied, -1 = refused; msg says
 * what happened either way. Any thread but a worker's. */
int reload_config(char *msg, size_t msglen);

void reload_status_get(struct reload_status *st);

/* The config as it runs, rendered as JSON (free()), consistent with reloads. */
char *reload_config_json(void);

/* After the workers stopped. */
void reload_fini(void);

#endif
