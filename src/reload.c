/* SPDX-License-Identifier: BSD-3-Clause */
/* reload.c - live reload, control side (design in reload.h and sp_runtime.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "app.h"
#include "config_diff.h"
#include "reload.h"
#include "fwd/sp_runtime.h"
#include "fwd/synproxy.h"

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reload_status status;
static struct config_caps caps;
static struct rte_rcu_qsbr *qsbr;
static struct sp_runtime *runtime;   /* what the workers read (their slot) */
static struct synproxy_config next_cfg;   /* big: not on the stack */
static bool stopped;

int
reload_init(char *msg, size_t msglen)
{
	status.generation = 1;
	snprintf(status.message, sizeof(status.message), "startup config");
	if (!app.cfg.synproxy.enabled)
		return 0;
	caps.syn_cache = synproxy_config_needs_cache(&app.cfg);
	caps.ratelimit_table = app.cfg.synproxy.ratelimit_enabled;
	caps.prefix_limits = config_needs_prefix_limits(&app.cfg.synproxy);
	runtime = sp_runtime_create(&app.cfg, 1, (int)rte_socket_id(), msg, msglen);
	if (runtime == NULL)
		return -1;
	size_t sz = rte_rcu_qsbr_get_memsize(app.nb_workers);
	qsbr = rte_zmalloc("reload_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, app.nb_workers) != 0) {
		snprintf(msg, msglen, "cannot create the reload QSBR variable");
		return -1;
	}
	for (uint16_t i = 0; i < app.nb_workers; i++) {
		app.workers[i]->qsbr = qsbr;
		synproxy_lcore_set_runtime(app.workers[i]->sp, &runtime);
	}
	return 0;
}

static int
reload_locked(char *msg, size_t msglen)
{
	char keys[CFG_ERR_LEN];

	if (stopped) {
		snprintf(msg, msglen, "shutting down");
		return -1;
	}
	if (app.cfg.path[0] == '\0' || strcmp(app.cfg.path, "<embedded default>") == 0) {
		snprintf(msg, msglen, "started without --config: no file to reload");
		return -1;
	}
	config_defaults(&next_cfg);
	if (config_load_file(&next_cfg, app.cfg.path, msg, msglen) != 0)
		return -1;   /* the parser's message, with path and line:column */
	if (config_restart_keys(&app.cfg, &next_cfg, &caps, keys, sizeof(keys)) > 0) {
		snprintf(msg, msglen, "needs a restart, nothing applied: %s", keys);
		return -1;
	}
	if (app.cfg.synproxy.enabled) {
		struct sp_runtime *rt = sp_runtime_create(&next_cfg, status.generation + 1,
							  (int)rte_socket_id(), msg, msglen);
		if (rt == NULL)
			return -1;
		struct sp_runtime *old = runtime;
		__atomic_store_n(&runtime, rt, __ATOMIC_RELEASE);
		/* Every worker has finished the bursts that could read old. */
		rte_rcu_qsbr_synchronize(qsbr, RTE_QSBR_THRID_INVALID);
		sp_runtime_free(old);
	}
	synproxy_log_level_set(next_cfg.log_level);
	memcpy(&app.cfg, &next_cfg, sizeof(app.cfg));
	status.generation++;
	snprintf(msg, msglen, "applied: generation %" PRIu64 ", %u service(s), %u allow, %u deny",
		 status.generation, app.cfg.synproxy.nb_services, app.cfg.synproxy.nb_allow,
		 app.cfg.synproxy.nb_deny);
	return 0;
}

int
reload_config(char *msg, size_t msglen)
{
	pthread_mutex_lock(&reload_lock);
	int rc = reload_locked(msg, msglen);
	status.last_time = (uint64_t)time(NULL);
	status.last_ok = rc == 0;
	if (rc == 0)
		status.applied++;
	else
		status.refused++;
	snprintf(status.message, sizeof(status.message), "%s", msg);
	pthread_mutex_unlock(&reload_lock);
	if (rc == 0)
		SP_LOG(NOTICE, "reload: %s", msg);
	else
		SP_LOG(ERR, "reload refused, the running config stays: %s", msg);
	return rc;
}

void
reload_status_get(struct reload_status *st)
{
	pthread_mutex_lock(&reload_lock);
	*st = status;
	pthread_mutex_unlock(&reload_lock);
}

char *
reload_config_json(void)
{
	pthread_mutex_lock(&reload_lock);
	char *text = config_to_json(&app.cfg);
	pthread_mutex_unlock(&reload_lock);
	return text;
}

void
reload_fini(void)
{
	pthread_mutex_lock(&reload_lock);
	stopped = true;
	sp_runtime_free(runtime);
	runtime = NULL;
	rte_free(qsbr);
	qsbr = NULL;
	pthread_mutex_unlock(&reload_lock);
}
