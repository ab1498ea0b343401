/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data path's counters in the Prometheus text exposition format
 * (version 0.0.4): per reason, per VIP, per backend and the auxiliary
 * counters, summed over CPUs. The agent serves this beside its own
 * counters; names and labels are stable (reason names from reasons.c).
 */
#ifndef QS_METRICS_H
#define QS_METRICS_H

#include <stdio.h>
#include <linux/types.h>

struct qs_metric_maps {
	int stats; /* qs_stats_v2 */
	int vip_stats; /* qs_vip_stats */
	int be_stats; /* qs_be_stats */
	int aux_stats; /* qs_aux_v2 */
};

/* Label names for ids; NULL: the id is not configured and gets no series. */
struct qs_metric_names {
	const char *(*vip)(void *ctx, __u32 vip_id);
	const char *(*backend)(void *ctx, __u32 backend_id);
	void *ctx;
};

int qs_metrics_router(FILE *out, const struct qs_metric_maps *maps,
		      const struct qs_metric_names *names);

/* One counter with no labels, for the agent's own counters. */
void qs_metrics_counter(FILE *out, const char *name, const char *help, __u64 value);
void qs_metrics_gauge(FILE *out, const char *name, const char *help, __u64 value);

/* Writes s as a label value: backslash, double quote and newline escaped. */
void qs_metrics_label_value(FILE *out, const char *s);

#endif /* QS_METRICS_H */
