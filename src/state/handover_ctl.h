/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handover_ctl.h - the control lcore's side of a state handover: which file,
 * when, and which worker gets which record. The format is handover.h's; the
 * proxy tables' side is fwd/synproxy_handover.c.
 *
 *   old process, SIGUSR2: workers stop -> handover_ctl_save() -> exit 0
 *   new process, --restore: handover_ctl_load() before the ports start (the
 *     file is read and checked, nothing applied), then handover_ctl_apply()
 *     once the proxy tables exist and before any worker runs.
 *
 * A refused file (corrupt, truncated, another format version, a worker
 * placement that cannot be mapped) is logged with its reason, counted
 * (restore_refused) and renamed <file>.refused; the proxy starts empty. A
 * restored file is renamed <file>.restored, so a later crash and restart
 * cannot revive stale state. A missing file is only a notice: nothing to
 * restore.
 */
#ifndef SYNPROXY_STATE_HANDOVER_CTL_H
#define SYNPROXY_STATE_HANDOVER_CTL_H

#include <stdbool.h>

#include "state/handover.h"

struct handover_ctl {
	struct handover_image img;
	bool loaded;          /* img holds a checked file */
	bool refused;         /* the file exists but was refused */
	char why[256];
};

/* Wall clock, ms since the epoch (the header's time base). */
uint64_t handover_wall_ms(void);

/* Read and check cfg.synproxy.state_file into ctl (logs the outcome). */
void handover_ctl_load(struct handover_ctl *ctl);
/* Put ctl's records into the workers' tables, or count the refusal.
 * Frees the image. */
void handover_ctl_apply(struct handover_ctl *ctl);
/* Workers stopped: write their state. 0, or -1 (logged). */
int handover_ctl_save(void);

#endif
