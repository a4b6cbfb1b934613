/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c - the application's rte_log type, "synproxy" (set with --log-level=synproxy:debug). */
#include "common.h"

RTE_LOG_REGISTER_DEFAULT(synproxy_logtype, INFO);
