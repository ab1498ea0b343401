// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-bench: measures the router's data path (see bench.h). Run through
 * tools/bench/run, which creates the namespaces for the live part:
 *
 *   qs-bench [--json FILE] [--gen-netns NS --rtr-netns NS] [--rounds N] [--runs N]
 *
 * Exit status: 0, or 1 if a case did not take the path it claims to measure
 * (or anything failed). Never on timing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "util/options.h"
#include "bench.h"
#include "floor.skel.h"
#include "util/log.h"
#include "probe.skel.h"

struct bench_opts {
	const char *json;
	struct veth_opts veth;
	uint32_t rounds, runs;
};

/* Options and their help, one table: parsing and --help come from it. */
static const struct qs_option opt_table[] = {
	{ { "json", required_argument, NULL, 'j' }, "FILE", "write the results as JSON" },
	{ { "gen-netns", required_argument, NULL, 'g' }, "NS", "namespace holding gen0" },
	{ { "rtr-netns", required_argument, NULL, 'r' }, "NS", "namespace holding rtr0" },
	{ { "rounds", required_argument, NULL, 'n' }, "N", "rounds per case (default 5)" },
	{ { "runs", required_argument, NULL, 'k' }, "N", "runs per round (default 20000)" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};
#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static void usage(FILE *f)
{
	qs_options_usage(f, "qs-bench [OPTION]...", opt_table, N_OPTS);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Returns 0, -EINVAL for a bad command line, or 1 after --help. */
static int opts_parse(int argc, char **argv, struct bench_opts *o)
{
	struct option longopts[N_OPTS + 1];
	char shortopts[2 * N_OPTS + 1];
	int ch, err = 0;

	qs_options_getopt(opt_table, N_OPTS, longopts, shortopts);
	while (!err && (ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o->json = optarg;
			break;
		case 'g':
			o->veth.gen_netns = optarg;
			break;
		case 'r':
			o->veth.rtr_netns = optarg;
			break;
		case 'n':
			err = parse_u32(optarg, 1, BENCH_MAX_ROUNDS, &o->rounds);
			break;
		case 'k':
			err = parse_u32(optarg, 1, 10000000, &o->runs);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			err = -EINVAL;
			break;
		}
	}
	if (!err && optind != argc)
		err = -EINVAL;
	if (!err && !o->veth.gen_netns != !o->veth.rtr_netns)
		err = -EINVAL;
	if (err)
		usage(stderr);
	return err;
}

static int record_ignore(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

static int bench_open(struct bench *b, const struct bench_opts *o, struct mem_result *mem)
{
	int err;

	b->rounds = o->rounds;
	b->runs = o->runs;
	b->floor = floor_bpf__open_and_load();
	if (!b->floor)
		return -errno;
	b->floor_prog = bpf_program__fd(b->floor->progs.bench_floor);
	b->probe = probe_bpf__open_and_load();
	if (!b->probe) {
		err = -errno;
		goto err_floor;
	}
	b->probe_ring =
		ring_buffer__new(bpf_map__fd(b->probe->maps.probe_ring), record_ignore, NULL, NULL);
	if (!b->probe_ring) {
		err = -errno;
		goto err_probe;
	}
	err = fx_open(&b->fx, BENCH_CID_CAPACITY);
	if (err)
		goto err_ring;
	err = bench_world_setup(b) ?: bench_cid_fill(b, mem);
	if (err) {
		pr_warn("bench: setting up the router's maps failed: %s\n", strerror(-err));
		goto err_fx;
	}
	b->pin_cpu = bench_pin_cpu_choose();
	if (b->pin_cpu < 0) {
		err = b->pin_cpu;
		pr_warn("bench: no CPU to pin to: %s\n", strerror(-err));
		goto err_fx;
	}
	return 0;

err_fx:
	fx_close(&b->fx);
err_ring:
	ring_buffer__free(b->probe_ring);
err_probe:
	probe_bpf__destroy(b->probe);
err_floor:
	floor_bpf__destroy(b->floor);
	return err;
}

static void bench_close(struct bench *b)
{
	fx_close(&b->fx);
	ring_buffer__free(b->probe_ring);
	probe_bpf__destroy(b->probe);
	floor_bpf__destroy(b->floor);
}

/*
 * QS_BENCH_ONLY=TEXT runs only the cases whose name holds TEXT, for a
 * profiler's sake (perf record -e cpu-clock): the others are reported as
 * not run (zeros), so such a run's report is not a benchmark's.
 */
static bool case_skipped(const struct bench_case *c)
{
	const char *only = getenv("QS_BENCH_ONLY");

	return only && *only && !strstr(c->name, only);
}

/* Round 0 warms up (JIT'd code, page faults, allocator caches) unrecorded. */
static int rounds_run(struct bench *b, const struct case_table *t, struct frameset *fs,
		      struct case_result *res)
{
	struct case_result warm;
	uint32_t runs = b->runs;
	int err = 0;

	b->runs = runs / 10 ? runs / 10 : 1;
	for (unsigned int c = 0; c < t->n && !err; c++) {
		memset(&warm, 0, sizeof(warm));
		if (!case_skipped(&t->cases[c]))
			err = case_measure(b, &t->cases[c], &fs[c], &warm, 0);
	}
	b->runs = runs;
	for (uint32_t r = 0; r < b->rounds && !err; r++)
		for (unsigned int c = 0; c < t->n && !err; c++)
			if (!case_skipped(&t->cases[c]))
				err = case_measure(b, &t->cases[c], &fs[c], &res[c], r);
	if (err)
		pr_warn("bench: BPF_PROG_RUN failed: %s\n", strerror(-err));
	return err;
}

static int table_run(struct bench *b, const struct case_table *t, struct table_result *res)
{
	struct frameset fs[BENCH_MAX_CASES];
	unsigned int built = 0;
	int err = 0;

	memset(fs, 0, sizeof(fs));
	res->table = t;
	for (; built < t->n && !err; built++)
		err = frameset_build(&t->cases[built], b->runs, &fs[built]);
	if (err)
		pr_warn("bench: cannot build the frames of %s\n", t->cases[built - 1].name);
	else
		err = rounds_run(b, t, fs, res->r);
	for (unsigned int c = 0; c < built; c++)
		frameset_free(&fs[c]);
	return err;
}

static bool any_wrong_path(const struct bench_results *res)
{
	for (unsigned int c = 0; c < BENCH_MAX_CASES; c++)
		if (res->main.r[c].wrong_path || res->diag.r[c].wrong_path ||
		    res->probe.r[c].wrong_path)
			return true;
	return res->veth.wrong_path;
}

static int bench_run(const struct bench_opts *o)
{
	static struct bench_results res;
	struct bench b;
	int err, veth_err = 0;

	err = bench_open(&b, o, &res.mem);
	if (err)
		return err;
	err = table_run(&b, &bench_main_cases, &res.main)	  ?:
		      table_run(&b, &bench_diag_cases, &res.diag) ?:
		      table_run(&b, &bench_probe_cases, &res.probe);
	/* A failed live part still leaves the other results worth reporting. */
	if (!err && o->veth.gen_netns) {
		veth_err = veth_measure(&b, &o->veth, &res.veth);
		if (veth_err)
			pr_warn("bench: live veth part failed: %s\n", strerror(-veth_err));
	}
	if (!err) {
		report_print(&b, &res);
		if (o->json)
			err = report_json(o->json, &b, &res);
		if (err)
			pr_warn("bench: cannot write %s: %s\n", o->json, strerror(-err));
	}
	err = err ?: veth_err;
	if (!err && any_wrong_path(&res)) {
		pr_warn("bench: a case did not measure the path it names (WRONG PATH above)\n");
		err = -EPROTO;
	}
	bench_close(&b);
	return err;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .rounds = 5,
				.runs = 20000,
				.veth = { .frames = 1u << 20, .rounds = 5 } };
	int err;

	qs_log_route_libbpf();
	err = opts_parse(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return bench_run(&o) ? 1 : 0;
}
