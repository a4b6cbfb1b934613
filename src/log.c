/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c - the application's rte_log type, "synproxy" (set with --log-level=synproxy:debug). */
#include <string.h>

#include "common.h"

RTE_LOG_REGISTER_DEFAULT(synproxy_logtype, INFO);

int
synproxy_log_level_set(const char *name)
{
	static const char *const names[] = { "", "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	for (unsigned i = 1; i < RTE_DIM(names); i++)
		if (strcmp(name, names[i]) == 0)
			return rte_log_set_level(synproxy_logtype, i);
	return -1;
}
