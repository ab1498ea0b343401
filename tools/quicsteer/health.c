// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * health: whether this balancer should attract traffic, for operators and
 * for the glue of a routing daemon (BIRD: quicsteer(8), EXAMPLES). Healthy
 * when the agent answers its control socket within --timeout (1 s unless
 * given, so that a stopped agent is noticed fast), says it is ready (next
 * hops resolved) and synced (its backends' reported IDs in:
 * docs/report-protocol.md, "Synced"), and the kernel shows the router
 * attached right now to every interface the agent's configuration names
 * (to some interface when it names none: it adopted one ip or xdp-loader
 * attached). The kernel is asked, not the agent: `ip link set dev IF xdp
 * off` is noticed at the next check.
 *
 * One check (exit 0 healthy, 1 not), or --watch: a check every interval,
 * up after --rise successes in a row, down after --fall failures, running
 * --up or --down with /bin/sh -c at each change, and --down once at start
 * (a fresh balancer never announces before it is healthy) and when SIGTERM
 * or SIGINT ends it (stopping the watcher withdraws). A command that fails
 * runs again after the next check, until it succeeds or the state changes:
 * a routing daemon not started yet does not leave it in the wrong state.
 * The checks and the rise and fall counting are pure functions
 * (cli_health_judge, cli_health_watch_step) that the unit tests drive.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli.h"
#include "router/status.h"
#include "util/clock.h"
#include "util/options.h"
#include "util/words.h"

#define HEALTH_TIMEOUT_S 1 /* for the agent's answer, unless --timeout */
#define HEALTH_INTERVAL_MS 1000
#define HEALTH_RISE 3
#define HEALTH_FALL 1
#define HEALTH_COUNT_MAX 1000
#define HEALTH_INTERVAL_MIN_MS 10
#define HEALTH_INTERVAL_MAX_MS 3600000
/* A command that runs longer is killed (its process group), and counts as failed. */
#define HEALTH_CMD_TIMEOUT_MS 30000

enum {
	OPT_WATCH = 256,
	OPT_INTERVAL,
	OPT_RISE,
	OPT_FALL,
	OPT_UP,
	OPT_DOWN,
	OPT_HELP,
};

static const struct qs_option health_options[] = {
	{ { "watch", no_argument, NULL, OPT_WATCH },
	  NULL,
	  "check every interval until SIGTERM or SIGINT; run --up and --down at changes" },
	{ { "interval", required_argument, NULL, OPT_INTERVAL },
	  "DURATION",
	  "between checks, 10ms..1h (1s)" },
	{ { "rise", required_argument, NULL, OPT_RISE },
	  "N",
	  "healthy checks in a row that make a down balancer up, 1..1000 (3)" },
	{ { "fall", required_argument, NULL, OPT_FALL },
	  "N",
	  "failed checks in a row that make an up balancer down, 1..1000 (1)" },
	{ { "up", required_argument, NULL, OPT_UP }, "CMD", "run with /bin/sh -c when it goes up" },
	{ { "down", required_argument, NULL, OPT_DOWN },
	  "CMD",
	  "run with /bin/sh -c when it goes down, once at start, and when stopped" },
	{ { "help", no_argument, NULL, OPT_HELP }, NULL, "this text" },
};
#define N_HEALTH_OPTIONS (sizeof(health_options) / sizeof(health_options[0]))

struct health_opts {
	bool watch;
	__u64 interval_ms;
	unsigned int rise, fall;
	const char *up, *down;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ---- the checks (pure: the agent's answer and the kernel come in) ---- */

static void reason_add(struct json_object *reasons, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reason_add(struct json_object *reasons, const char *fmt, ...)
{
	char text[CLI_HEALTH_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_array_add(reasons, json_object_new_string(text));
}

/* The strings of a JSON array, ", " between them, into buf. */
static const char *names_of(struct json_object *arr, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(arr) && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
				json_object_get_string(json_object_array_get_idx(arr, i)));
	return buf;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void check_ready(struct json_object *st, struct json_object *v, struct json_object *reasons)
{
	struct json_object *ready = member(st, "ready");
	char names[256];

	json_object_object_add(v, "ready", json_object_get(ready));
	if (ready && json_object_get_boolean(ready))
		return;
	names_of(member(st, "nexthops_missing"), names, sizeof(names));
	if (!ready)
		reason_add(reasons, "not ready: the agent does not say");
	else
		reason_add(reasons, "not ready%s%s", names[0] ? ": no next hop for " : "", names);
}

static void check_synced(struct json_object *st, struct json_object *v, struct json_object *reasons)
{
	struct json_object *synced = member(st, "synced"), *sync = member(st, "sync");
	char waiting[256], unheard[256];

	json_object_object_add(v, "synced", json_object_get(synced));
	json_object_object_add(v, "sync", json_object_get(sync));
	if (synced && json_object_get_boolean(synced))
		return;
	if (!synced || !sync) {
		reason_add(reasons, "not synced: the agent does not say (older than this "
				    "quicsteer?)");
		return;
	}
	names_of(member(sync, "waiting_for"), waiting, sizeof(waiting));
	names_of(member(sync, "not_heard"), unheard, sizeof(unheard));
	reason_add(reasons, "not synced%s%s%s%s%s%s (%.1f s after the agent's start)",
		   waiting[0] || unheard[0] ? ": " : "", waiting[0] ? "no snapshot yet from " : "",
		   waiting, waiting[0] && unheard[0] ? "; " : "",
		   unheard[0] ? "not heard from " : "", unheard,
		   json_object_get_int64(member(sync, "since_start_ms")) / 1000.0);
}

/* Every interface the agent names has the router, by the kernel; some one when it names none. */
static void check_attached(struct json_object *st, struct json_object *v,
			   struct json_object *reasons, cli_router_on_fn on, void *ctx)
{
	struct json_object *names = member(st, "interfaces"), *rows = json_object_new_array();
	size_t n = names ? json_object_array_length(names) : 0;
	char missing[256] = "";
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		const char *ifname = json_object_get_string(json_object_array_get_idx(names, i));
		struct json_object *row = json_object_new_object();
		__u32 id = on(ctx, ifname);

		json_object_object_add(row, "name", json_object_new_string(ifname));
		json_object_object_add(row, "prog_id", id ? json_object_new_int64(id) : NULL);
		json_object_array_add(rows, row);
		if (!id && len < sizeof(missing))
			len += snprintf(missing + len, sizeof(missing) - len, "%s%s",
					len ? ", " : "", ifname);
	}
	json_object_object_add(v, "interfaces", rows);
	if (missing[0])
		reason_add(reasons, "router not attached to %s", missing);
	else if (!n && !on(ctx, NULL))
		reason_add(reasons, "router attached to no interface (the agent names none: it "
				    "adopts one ip or xdp-loader attached)");
}

struct json_object *cli_health_judge(struct json_object *status, const char *no_answer,
				     cli_router_on_fn on, void *ctx)
{
	struct json_object *v = json_object_new_object(), *reasons = json_object_new_array();

	json_object_object_add(v, "agent", json_object_new_boolean(status != NULL));
	if (!status) {
		reason_add(reasons, "%s", no_answer);
	} else {
		check_ready(status, v, reasons);
		check_synced(status, v, reasons);
		check_attached(status, v, reasons, on, ctx);
	}
	json_object_object_add(v, "healthy",
			       json_object_new_boolean(!json_object_array_length(reasons)));
	json_object_object_add(v, "reasons", reasons);
	return v;
}

bool cli_health_ok(struct json_object *verdict)
{
	return json_object_get_boolean(member(verdict, "healthy"));
}

const char *cli_health_line(struct json_object *verdict, char *buf, size_t size)
{
	struct json_object *reasons = member(verdict, "reasons");
	size_t len;

	if (cli_health_ok(verdict)) {
		snprintf(buf, size, "healthy");
		return buf;
	}
	len = snprintf(buf, size, "unhealthy: ");
	for (size_t i = 0; i < json_object_array_length(reasons) && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? "; " : "",
				json_object_get_string(json_object_array_get_idx(reasons, i)));
	return buf;
}

/* ---- rise and fall (pure) ---- */

void cli_health_watch_init(struct cli_health_watch *w, unsigned int rise, unsigned int fall)
{
	*w = (struct cli_health_watch){ .rise = rise, .fall = fall, .pending = true };
}

bool cli_health_watch_step(struct cli_health_watch *w, bool healthy)
{
	if (healthy == w->up) {
		w->run = 0;
		return false;
	}
	if (++w->run < (w->up ? w->fall : w->rise))
		return false;
	w->up = healthy;
	w->run = 0;
	w->pending = true;
	return true;
}

/* ---- the kernel, the agent, commands ---- */

/* The router on ifname, or on any interface (ifname NULL), by the kernel. */
static __u32 kernel_router_on(void *ctx, const char *ifname)
{
	struct json_object *rows, *id;
	__u32 found = 0;

	(void)ctx;
	if (ifname)
		return qs_status_router_on(ifname);
	rows = qs_status_attachments_json();
	if (json_object_array_length(rows) &&
	    json_object_object_get_ex(json_object_array_get_idx(rows, 0), "prog_id", &id))
		found = json_object_get_int64(id);
	json_object_put(rows);
	return found;
}

/* One check: the agent's status, then the kernel. */
static struct json_object *health_check(const struct cli_opts *o)
{
	struct json_object *ans = NULL, *verdict;
	char why[CLI_HEALTH_REASON_MAX] = "";
	int err = cli_agent_request(o, "v1 status", &ans);

	if (err == -ETIMEDOUT)
		snprintf(why, sizeof(why),
			 "agent at %s did not answer within %d s (stopped or busy)", o->socket_path,
			 o->timeout_s);
	else if (err == -EPROTO)
		snprintf(why, sizeof(why), "agent at %s: its answer is not JSON", o->socket_path);
	else if (err)
		snprintf(why, sizeof(why), "agent not running (%s: %s)", o->socket_path,
			 strerror(-err));
	else if (cli_answer_error(ans))
		snprintf(why, sizeof(why), "agent at %s: status: %s", o->socket_path,
			 cli_answer_error(ans));
	if (why[0]) {
		json_object_put(ans);
		ans = NULL;
	}
	verdict = cli_health_judge(ans, why, kernel_router_on, NULL);
	json_object_put(ans);
	return verdict;
}

/* Waits up to HEALTH_CMD_TIMEOUT_MS for pid; its wait status, or -ETIMEDOUT once killed. */
static int command_wait(pid_t pid)
{
	struct timespec tick = { 0, 10 * 1000000 };
	__u64 deadline = qs_now_ns() + HEALTH_CMD_TIMEOUT_MS * 1000000ull;
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && qs_now_ns() < deadline)
		nanosleep(&tick, NULL);
	if (got == pid)
		return status;
	if (got < 0 && errno != ECHILD)
		return -errno;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

/*
 * CMD with /bin/sh -c, in a process group of its own: 0 when it exits 0.
 * again: what a failure is followed by, for its message.
 */
static int command_run(const char *what, const char *cmd, const char *again)
{
	sigset_t none;
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err("health: %s: cannot fork: %s", what, strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* whichever of the two runs first */
	status = command_wait(pid);
	if (status == -ETIMEDOUT)
		cli_err("health: %s: still running after %d s: killed; %s", what,
			HEALTH_CMD_TIMEOUT_MS / 1000, again);
	else if (status < 0)
		cli_err("health: %s: %s; %s", what, strerror(-status), again);
	else if (WIFSIGNALED(status))
		cli_err("health: %s: killed by signal %d; %s", what, WTERMSIG(status), again);
	else if (WEXITSTATUS(status))
		cli_err("health: %s: exit status %d; %s", what, WEXITSTATUS(status), again);
	else
		return 0;
	return -ECHILD;
}

/* ---- the command ---- */

static int count_arg(const char *name, const char *text, unsigned int *n)
{
	__u64 v;

	if (qs_parse_u64_range(text, 1, HEALTH_COUNT_MAX, &v)) {
		cli_err("health: --%s \"%s\": expected 1 to %d", name, text, HEALTH_COUNT_MAX);
		return -EINVAL;
	}
	*n = v;
	return 0;
}

static int interval_arg(const char *text, __u64 *ms)
{
	if (qs_parse_duration(text, ms) || *ms < HEALTH_INTERVAL_MIN_MS ||
	    *ms > HEALTH_INTERVAL_MAX_MS) {
		cli_err("health: --interval \"%s\": expected a duration of 10ms to 1h (200ms, 1s)",
			text);
		return -EINVAL;
	}
	return 0;
}

static void health_usage(FILE *out)
{
	fprintf(out, "Usage: quicsteer [OPTIONS] health [--watch [--interval DURATION] [--rise N] "
		     "[--fall N] [--up CMD] [--down CMD]]\n");
	qs_options_list(out, health_options, N_HEALTH_OPTIONS);
	fprintf(out, "Exit status: 0 healthy, 1 not, 2 usage error; --watch: 0 once stopped by "
		     "SIGTERM or SIGINT.\n");
}

/* 1 after --help, 0, or -EINVAL. */
static int health_args(int argc, char **argv, struct health_opts *h)
{
	struct option longopts[N_HEALTH_OPTIONS + 1];
	char shortopts[2 * N_HEALTH_OPTIONS + 2] = "+:";
	char *args[CLI_HEALTH_MAX_ARGS + 2];
	bool watch_only = false;
	int c, err = 0;

	if (argc > CLI_HEALTH_MAX_ARGS) {
		cli_err("health: too many arguments");
		return -EINVAL;
	}
	args[0] = "health";
	memcpy(args + 1, argv, argc * sizeof(*argv));
	args[argc + 1] = NULL;
	qs_options_getopt(health_options, N_HEALTH_OPTIONS, longopts, shortopts + 2);
	optind = 0; /* the main command line was parsed already */
	while (!err && (c = getopt_long(argc + 1, args, shortopts, longopts, NULL)) != -1) {
		watch_only |= c != OPT_WATCH && c != OPT_HELP && c != '?' && c != ':';
		switch (c) {
		case OPT_WATCH:
			h->watch = true;
			break;
		case OPT_INTERVAL:
			err = interval_arg(optarg, &h->interval_ms);
			break;
		case OPT_RISE:
			err = count_arg("rise", optarg, &h->rise);
			break;
		case OPT_FALL:
			err = count_arg("fall", optarg, &h->fall);
			break;
		case OPT_UP:
			h->up = optarg;
			break;
		case OPT_DOWN:
			h->down = optarg;
			break;
		case OPT_HELP:
			health_usage(stdout);
			return 1;
		case ':':
			cli_err("health: %s needs an argument", args[optind - 1]);
			return -EINVAL;
		default:
			cli_err("health: unknown option \"%s\" (quicsteer health --help)",
				args[optind - 1]);
			return -EINVAL;
		}
	}
	if (err)
		return err;
	if (optind <= argc) {
		if (!strcmp(args[optind], "help")) {
			health_usage(stdout);
			return 1;
		}
		cli_err("health: unexpected argument \"%s\"", args[optind]);
		return -EINVAL;
	}
	if (watch_only && !h->watch) {
		cli_err("health: --interval, --rise, --fall, --up and --down go with --watch");
		return -EINVAL;
	}
	return 0;
}

static void watch_log(const struct cli_opts *o, const char *state, const char *why,
		      struct json_object *verdict)
{
	struct json_object *j;

	if (!o->json) {
		printf("%s: %s\n", state, why);
	} else {
		j = json_object_new_object();
		json_object_object_add(j, "state", json_object_new_string(state));
		json_object_object_add(j, "reason", json_object_new_string(why));
		json_object_object_add(j, "health", json_object_get(verdict));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_OUT));
		json_object_put(j);
	}
	fflush(stdout);
}

/* The state's command, if it has one and it has not succeeded yet. */
static void watch_command(struct cli_health_watch *w, const struct health_opts *h)
{
	const char *cmd = w->up ? h->up : h->down;

	if (!w->pending)
		return;
	if (!cmd || !command_run(w->up ? "--up" : "--down", cmd, "again after the next check"))
		w->pending = false;
}

/* Sleeps until deadline (monotonic ns), or until a signal stops the watcher. */
static void watch_sleep(__u64 deadline)
{
	__u64 now = qs_now_ns();
	struct timespec ts;

	if (now >= deadline || stop_signal)
		return;
	ts.tv_sec = (deadline - now) / 1000000000ull;
	ts.tv_nsec = (deadline - now) % 1000000000ull;
	nanosleep(&ts, NULL);
}

static int health_watch(const struct cli_opts *o, const struct health_opts *h)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: waits end */
	struct cli_health_watch w;
	char line[2 * CLI_HEALTH_REASON_MAX], why[2 * CLI_HEALTH_REASON_MAX + 64];

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	cli_health_watch_init(&w, h->rise, h->fall);
	watch_log(o, "down", "starting: not announced until healthy", NULL);
	watch_command(&w, h);
	while (!stop_signal) {
		__u64 next = qs_now_ns() + h->interval_ms * 1000000ull;
		struct json_object *verdict = health_check(o);
		bool ok = cli_health_ok(verdict);

		if (!stop_signal && cli_health_watch_step(&w, ok)) {
			cli_health_line(verdict, line, sizeof(line));
			snprintf(why, sizeof(why), "%s (%u check%s in a row)", line,
				 w.up ? w.rise : w.fall, (w.up ? w.rise : w.fall) == 1 ? "" : "s");
			watch_log(o, w.up ? "up" : "down", why, verdict);
		}
		json_object_put(verdict);
		if (!stop_signal)
			watch_command(&w, h);
		watch_sleep(next);
	}
	snprintf(why, sizeof(why), "stopped by %s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	watch_log(o, "down", why, NULL);
	if (h->down)
		command_run("--down", h->down, "exiting all the same");
	return 0;
}

int cli_health(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct health_opts h = { .interval_ms = HEALTH_INTERVAL_MS,
				 .rise = HEALTH_RISE,
				 .fall = HEALTH_FALL };
	struct cli_opts ho = *o;
	struct json_object *verdict;
	char line[2 * CLI_HEALTH_REASON_MAX];
	int err = health_args(argc, argv, &h);
	bool ok;

	(void)c;
	if (err)
		return err > 0 ? 0 : err;
	if (!o->timeout_set)
		ho.timeout_s = HEALTH_TIMEOUT_S;
	if (h.watch)
		return health_watch(&ho, &h);
	verdict = health_check(&ho);
	ok = cli_health_ok(verdict);
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(verdict, JSON_OUT));
	else
		printf("%s\n", cli_health_line(verdict, line, sizeof(line)));
	json_object_put(verdict);
	return ok ? 0 : -EHOSTDOWN;
}
