// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE /* program_invocation_short_name */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum qs_log_level log_level = QS_LOG_INFO;

static const char *const level_names[] = {
	[QS_LOG_WARN] = "warning",
	[QS_LOG_INFO] = "info",
	[QS_LOG_DEBUG] = "debug",
};

void qs_log_set_level(enum qs_log_level level)
{
	log_level = level;
}

enum qs_log_level qs_log_get_level(void)
{
	return log_level;
}

static void qs_vlog(enum qs_log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	/* one line per message, whichever thread writes it */
	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", program_invocation_short_name, level_names[level]);
	vfprintf(stderr, fmt, ap);
	funlockfile(stderr);
}

void qs_log(enum qs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	qs_vlog(level, fmt, ap);
	va_end(ap);
}

/* libbpf's warnings are our info, its info our debug, its debug dropped. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	switch (level) {
	case LIBBPF_WARN:
		qs_vlog(QS_LOG_INFO, fmt, ap);
		break;
	case LIBBPF_INFO:
		qs_vlog(QS_LOG_DEBUG, fmt, ap);
		break;
	default:
		break;
	}
	return 0;
}

void qs_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
