// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Prometheus text rendered from a real router's counters after real
 * packets: every reason appears with its count, VIPs and backends appear
 * by name only when configured, label values are escaped. Guards against
 * metrics that drift from the counters or from the reason names.
 */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "router/metrics.h"
#include "quicsteer.skel.h"
#include "router/reasons.h"
#include "world.h"

static const char *vip_name(void *ctx, __u32 id)
{
	(void)ctx;
	return id == VIP4_ID ? "web\"v4" : id == VIP6_ID ? "web-v6" : NULL;
}

static const char *backend_name(void *ctx, __u32 id)
{
	(void)ctx;
	return id >= BE_A && id < WORLD_BACKENDS ? world_backend_addr[id] : NULL;
}

static char *render(struct fx *fx)
{
	struct qs_metric_maps maps = { fx->stats, fx->vip_stats, fx->be_stats, fx->aux_stats };
	struct qs_metric_names names = { vip_name, backend_name, NULL };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert_not_null(out);
	cr_assert_eq(qs_metrics_router(out, &maps, &names), 0);
	fclose(out);
	return text;
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void expect_line(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	cr_assert_not_null(strstr(text, want), "metrics lack the line '%s'", line);
}

Test(metrics, router_counters_as_prometheus_text)
{
	uint8_t in[PB_MAX_FRAME];
	struct pb_spec s = world_initial(4, CLIENT4, CLIENT_PORT, "0102030405060708");
	size_t len = pb_build(&s, in, sizeof(in));
	uint32_t be = world_maglev(4, CLIENT4, CLIENT_PORT);
	char line[256], *text;
	struct fx fx;

	cr_assert_eq(fx_open(&fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(world_setup(&fx), 0);
	cr_assert_eq(fx_run(&fx, in, len, NULL, NULL), XDP_TX);
	cr_assert_eq(fx_run(&fx, in, len, NULL, NULL), XDP_TX);
	text = render(&fx);

	expect_line(text, "quicsteer_packets_total{reason=\"route_new\"} 1");
	expect_line(text, "quicsteer_packets_total{reason=\"route_flow\"} 1");
	expect_line(text, "quicsteer_packets_total{reason=\"drop_truncated\"} 0");
	snprintf(line, sizeof(line), "quicsteer_bytes_total{reason=\"route_new\"} %zu", len);
	expect_line(text, line);
	expect_line(text, "quicsteer_vip_packets_total{vip=\"web\\\"v4\",id=\"0\"} 2");
	expect_line(text, "quicsteer_vip_packets_total{vip=\"web-v6\",id=\"1\"} 0");
	snprintf(line, sizeof(line), "quicsteer_backend_packets_total{backend=\"%s\",id=\"%u\"} 2",
		 world_backend_addr[be], be);
	expect_line(text, line);
	expect_line(text, "quicsteer_datapath_events_total{event=\"events_lost\"} 0");
	cr_assert_eq(count_of(text, "\nquicsteer_vip_packets_total{"), 2,
		     "VIP series got %d want 2 (only configured VIPs)",
		     count_of(text, "\nquicsteer_vip_packets_total{"));
	for (unsigned int r = 0; r < QS_R__COUNT; r++) {
		snprintf(line, sizeof(line), "{reason=\"%s\"}", qs_reason_name(r));
		cr_assert_not_null(strstr(text, line), "reason %s missing", qs_reason_name(r));
	}
	cr_assert_not_null(strstr(text, "# TYPE quicsteer_packets_total counter\n"));
	free(text);
	fx_close(&fx);
}
