/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handover_ctl.c - save on SIGUSR2, load and distribute on --restore (see
 * handover_ctl.h).
 *
 * Each restored record goes to the worker that will see its packets, found
 * with the steering function the data path uses: the software symmetric hash
 * through the software RETA, or the Toeplitz hash of the tuple with the
 * symmetric key through the RETA rss_port_setup programmed (rte_softrss
 * gives the NIC's value). So the worker count may differ between the two
 * processes. Only the i40e rte_flow symmetric function cannot be computed:
 * there the file must come from the same worker count and the same steering,
 * and each record returns to the worker index it had; otherwise the file is
 * refused. Learned server options are per server, not per flow: every worker
 * gets all of them. SYN cache entries are restored only with a shared cookie
 * key and the same cookie_period (otherwise no cookie they go with can
 * validate in this process).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "app.h"
#include "port.h"
#include "rss.h"
#include "fwd/synproxy.h"
#include "state/handover_ctl.h"

#ifndef SYNPROXY_VERSION
#define SYNPROXY_VERSION "dev"
#endif

uint64_t
handover_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
set_aside(const char *path, const char *suffix)
{
	char to[CFG_PATH_LEN + 16];

	snprintf(to, sizeof(to), "%s%s", path, suffix);
	if (rename(path, to) != 0)
		SP_LOG(ERR, "handover: cannot rename %s to %s: %s", path, to, strerror(errno));
	else
		SP_LOG(NOTICE, "handover: %s renamed %s", path, to);
}

void
handover_ctl_load(struct handover_ctl *ctl)
{
	const char *path = app.cfg.synproxy.state_file;
	uint64_t t0 = handover_wall_ms();

	memset(ctl, 0, sizeof(*ctl));
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		SP_LOG(NOTICE, "handover: no state file %s: starting empty", path);
		return;
	}
	if (handover_read_file(path, &ctl->img, ctl->why, sizeof(ctl->why)) != 0) {
		ctl->refused = true;
		return;
	}
	ctl->loaded = true;
	SP_LOG(NOTICE, "handover: read %s (%" PRIu64 " ms): %u flows, %u learned servers, "
	       "%u cached SYNs, written by %s with %u worker(s), steering %s",
	       path, handover_wall_ms() - t0, ctl->img.n_flows, ctl->img.n_learned,
	       ctl->img.n_syns, ctl->img.proxy_version, ctl->img.nb_workers,
	       steer_mode_name((enum steer_mode)ctl->img.steer_mode));
}

/* Where the record of key k goes, or -1 if that cannot be computed. */
struct placement {
	enum steer_mode mode;
	uint16_t reta_size;
	uint16_t same_layout;   /* file from the same worker count and steering */
};

static int
owner_of(const struct placement *pl, const struct flow_key *k, uint16_t old_worker)
{
	switch (pl->mode) {
	case STEER_NONE:
		return 0;   /* one worker */
	case STEER_SW:
		return app.workers[0]->sw_reta[rss_sw_hash_key(k) & (RSS_SW_RETA_SIZE - 1)];
	case STEER_HW_KEY:
		return rss_reta_queue(rss_toeplitz_key(k), pl->reta_size, app.nb_workers);
	default:
		return pl->same_layout ? old_worker : -1;
	}
}

static int
placement_init(struct placement *pl, const struct handover_image *img, char *why, size_t len)
{
	struct rte_eth_dev_info info;

	memset(pl, 0, sizeof(*pl));
	pl->mode = port_infos[ROLE_WAN].steer;
	pl->same_layout = img->nb_workers == app.nb_workers && img->steer_mode == pl->mode;
	if (pl->mode == STEER_HW_KEY) {
		if (rte_eth_dev_info_get(port_infos[ROLE_WAN].port_id, &info) != 0 ||
		    info.reta_size == 0) {
			snprintf(why, len, "the WAN port's RSS table size is unknown");
			return -1;
		}
		pl->reta_size = RTE_MIN(info.reta_size, (uint16_t)RTE_ETH_RSS_RETA_SIZE_512);
	}
	if (pl->mode == STEER_HW_FLOW && !pl->same_layout) {
		snprintf(why, len, "written by %u worker(s) with %s steering; this process has %u "
			 "with %s, whose placement cannot be computed: flows cannot be mapped",
			 img->nb_workers, steer_mode_name((enum steer_mode)img->steer_mode),
			 app.nb_workers, steer_mode_name(pl->mode));
		return -1;
	}
	return 0;
}

static void
refuse(struct handover_ctl *ctl)
{
	const char *path = app.cfg.synproxy.state_file;

	SP_LOG(ERR, "handover: state file %s refused: %s; starting empty", path, ctl->why);
	fprintf(stderr, "dpdk-synproxy: state file %s refused: %s; starting empty\n", path, ctl->why);
	if (app.workers[0] != NULL && app.workers[0]->sp != NULL)
		synproxy_count_restore_refused(app.workers[0]->sp);
	set_aside(path, ".refused");
}

static uint32_t
aged(uint32_t age, uint64_t gap)
{
	uint64_t a = (uint64_t)age + gap;
	return a > INT32_MAX ? INT32_MAX : (uint32_t)a;
}

void
handover_ctl_apply(struct handover_ctl *ctl)
{
	struct handover_image *img = &ctl->img;
	const char *path = app.cfg.synproxy.state_file;
	struct placement pl;
	uint64_t wall = handover_wall_ms(), gap;
	uint32_t now = worker_clock_ms(), i, n_flows = 0, n_syns = 0, failed = 0;
	bool syns_ok;

	if (ctl->refused) {
		refuse(ctl);
		return;
	}
	if (!ctl->loaded)
		return;
	if (!app.cfg.synproxy.enabled) {
		SP_LOG(WARNING, "handover: synproxy disabled: the state in %s is not used", path);
		goto done;
	}
	if (placement_init(&pl, img, ctl->why, sizeof(ctl->why)) != 0) {
		handover_image_free(img);
		refuse(ctl);
		return;
	}
	/* a clock stepped back counts as no gap */
	gap = wall > img->written_unix_ms ? wall - img->written_unix_ms : 0;
	syns_ok = app.cfg.synproxy.secret_file[0] != '\0' &&
		  img->cookie_period == app.cfg.synproxy.cookie_period;

	for (i = 0; i < img->n_flows; i++) {
		const struct handover_flow *f = &img->flows[i];
		int w = owner_of(&pl, &f->key, f->worker);
		int ret = w < 0 || w >= app.nb_workers ? -EINVAL :
			  synproxy_restore_flow(app.workers[w]->sp, f, aged(f->age_ms, gap), now);
		n_flows += ret == 0;
		failed += ret < 0;
	}
	for (i = 0; i < img->n_learned; i++)
		for (uint16_t w = 0; w < app.nb_workers; w++)
			synproxy_restore_learned(app.workers[w]->sp, &img->learned[i],
						 aged(img->learned[i].age_ms, gap), now);
	for (i = 0; syns_ok && i < img->n_syns; i++) {
		const struct handover_syn *s = &img->syns[i];
		int w = owner_of(&pl, &s->key, s->worker);
		if (w >= 0 && w < app.nb_workers)
			n_syns += synproxy_restore_syn(app.workers[w]->sp, s,
						       aged(s->age_ms, gap), now) == 0;
	}
	if (!syns_ok && img->n_syns > 0)
		SP_LOG(NOTICE, "handover: %u cached SYNs not restored: they need the shared "
		       "cookie key and the same cookie_period (file %u s, config %u s)",
		       img->n_syns, img->cookie_period, app.cfg.synproxy.cookie_period);
	SP_LOG(NOTICE, "handover: restored %u of %u flows (%u aged out during the %" PRIu64
	       " ms gap, %u did not fit), %u learned servers, %u cached SYNs; steering %s",
	       n_flows, img->n_flows, img->n_flows - n_flows - failed, gap, failed,
	       img->n_learned, n_syns, steer_mode_name(pl.mode));
	printf("dpdk-synproxy: restored %u flows from %s (written %" PRIu64 " ms ago)\n",
	       n_flows, path, gap);
	fflush(stdout);
done:
	handover_image_free(img);
	set_aside(path, ".restored");
}

int
handover_ctl_save(void)
{
	struct handover_image img;
	const char *path = app.cfg.synproxy.state_file;
	uint32_t now = worker_clock_ms();
	uint64_t t0 = handover_wall_ms();
	char why[256];

	memset(&img, 0, sizeof(img));
	snprintf(img.proxy_version, sizeof(img.proxy_version), "%s", SYNPROXY_VERSION);
	img.cookie_period = app.cfg.synproxy.cookie_period;
	img.nb_workers = app.nb_workers;
	img.steer_mode = (uint8_t)port_infos[ROLE_WAN].steer;
	for (uint16_t w = 0; w < app.nb_workers; w++) {
		if (app.workers[w] == NULL || app.workers[w]->sp == NULL)
			continue;
		if (synproxy_state_export(app.workers[w]->sp, w, now, &img) != 0) {
			SP_LOG(ERR, "handover: out of memory gathering worker %u's state", w);
			handover_image_free(&img);
			return -1;
		}
	}
	img.written_unix_ms = handover_wall_ms();
	if (handover_write_file(path, &img, why, sizeof(why)) != 0) {
		SP_LOG(ERR, "handover: writing %s failed: %s", path, why);
		fprintf(stderr, "dpdk-synproxy: handover: writing %s failed: %s\n", path, why);
		handover_image_free(&img);
		return -1;
	}
	printf("dpdk-synproxy: handover: wrote %u flows, %u learned servers, %u cached SYNs "
	       "to %s in %" PRIu64 " ms\n", img.n_flows, img.n_learned, img.n_syns, path,
	       handover_wall_ms() - t0);
	fflush(stdout);
	handover_image_free(&img);
	return 0;
}
