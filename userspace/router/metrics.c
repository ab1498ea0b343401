// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include "maps.h"
#include "metrics.h"
#include "abi/abi.h"
#include "reasons.h"

void qs_metrics_label_value(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void family_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void qs_metrics_counter(FILE *out, const char *name, const char *help, __u64 value)
{
	family_head(out, name, "counter", help);
	fprintf(out, "%s %llu\n", name, (unsigned long long)value);
}

void qs_metrics_gauge(FILE *out, const char *name, const char *help, __u64 value)
{
	family_head(out, name, "gauge", help);
	fprintf(out, "%s %llu\n", name, (unsigned long long)value);
}

static int reasons(FILE *out, int fd)
{
	struct qs_counter c[QS_R__COUNT];
	int err;

	for (__u32 r = 0; r < QS_R__COUNT; r++) {
		err = qs_counter_read(fd, r, &c[r]);
		if (err)
			return err;
	}
	family_head(out, "quicsteer_packets_total", "counter",
		    "Packets the router handled, by the reason of its verdict.");
	for (__u32 r = 0; r < QS_R__COUNT; r++)
		fprintf(out, "quicsteer_packets_total{reason=\"%s\"} %llu\n", qs_reason_name(r),
			(unsigned long long)c[r].packets);
	family_head(out, "quicsteer_bytes_total", "counter",
		    "Bytes of the packets the router handled, by reason.");
	for (__u32 r = 0; r < QS_R__COUNT; r++)
		fprintf(out, "quicsteer_bytes_total{reason=\"%s\"} %llu\n", qs_reason_name(r),
			(unsigned long long)c[r].bytes);
	return 0;
}

/* Packets and bytes per configured VIP or backend. */
static int per_object(FILE *out, int fd, __u32 n, const char *object,
		      const char *(*name_of)(void *, __u32), void *ctx)
{
	static const char *const what[2] = { "packets", "bytes" };
	struct qs_counter c;
	int err;

	for (int w = 0; w < 2; w++) {
		fprintf(out, "# HELP quicsteer_%s_%s_total %s per %s.\n", object, what[w], what[w],
			object);
		fprintf(out, "# TYPE quicsteer_%s_%s_total counter\n", object, what[w]);
		for (__u32 id = 0; id < n; id++) {
			const char *name = name_of ? name_of(ctx, id) : NULL;

			if (!name)
				continue;
			err = qs_counter_read(fd, id, &c);
			if (err)
				return err;
			fprintf(out, "quicsteer_%s_%s_total{%s=", object, what[w], object);
			qs_metrics_label_value(out, name);
			fprintf(out, ",id=\"%u\"} %llu\n", id,
				(unsigned long long)(w ? c.bytes : c.packets));
		}
	}
	return 0;
}

static int aux(FILE *out, int fd)
{
	__u64 v;
	int err;

	family_head(out, "quicsteer_datapath_events_total", "counter",
		    "Data path events that are not verdicts.");
	for (__u32 a = 0; a < QS_AUX__COUNT; a++) {
		err = qs_counter_read_u64(fd, a, &v);
		if (err)
			return err;
		fprintf(out, "quicsteer_datapath_events_total{event=\"%s\"} %llu\n",
			qs_aux_counter_name(a), (unsigned long long)v);
	}
	return 0;
}

int qs_metrics_router(FILE *out, const struct qs_metric_maps *maps,
		      const struct qs_metric_names *names)
{
	int err;

	err = reasons(out, maps->stats);
	if (!err)
		err = per_object(out, maps->vip_stats, QS_MAX_VIPS, "vip", names->vip, names->ctx);
	if (!err)
		err = per_object(out, maps->be_stats, QS_MAX_BACKENDS, "backend", names->backend,
				 names->ctx);
	if (!err)
		err = aux(out, maps->aux_stats);
	return ferror(out) ? -EIO : err;
}
