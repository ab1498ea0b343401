// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Control load for the runs under load (bench_agent_load.c): a client that
 * loops `quicsteer status`, `stats`, `maglev show` and `cid show` against
 * the agent (its control socket and pins), as an operator's scripts or a
 * monitoring system would, one command after the other, as fast as the
 * CPU it is given allows. The loop is a thread of its own at SCHED_IDLE on
 * the load CPU; every command is a process (posix_spawn) and inherits
 * both, so the commands use the time the sender leaves and never delay a
 * send or a poll. Each command's exit status and wall time are kept, and
 * the first failure's stderr, to say why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_agent.h"

extern char **environ;

/* The commands in the order the loop runs them: their words and their name */
static const struct {
	const char *object, *verb, *name;
} cli_commands[BA_CLI_COMMANDS] = {
	{ "status", NULL, "status" },
	{ "stats", NULL, "stats" },
	{ "maglev", "show", "maglev show" },
	{ "cid", "show", "cid show" },
};

struct ba_cli_loop {
	const struct ba_opts *o;
	int cpu;
	struct ba_control_load *res;
	pthread_t thread;
	atomic_bool stop;
	atomic_uint done; /* commands ended */
	__u64 t_start, t_end;
	unsigned int mark_done[2];
	__u64 mark_ns[2];
	char err_path[64]; /* each command's stderr, kept from the first failure */
	int err;
};

/*
 * Runs `quicsteer --socket S --pin-dir P WORD1 [WORD2]` to its end, stdout
 * to out (stderr always to err_path); *status as wait4 gives it.
 */
static int cli_spawn(struct ba_cli_loop *l, const char *w1, const char *w2, const char *out,
		     int *status, struct rusage *ru)
{
	const char *argv[] = { "quicsteer", "--socket",	   l->o->control_socket,
			       "--pin-dir", l->o->pin_dir, w1,
			       w2,	    NULL }; /* w2 NULL: one word */
	posix_spawn_file_actions_t fa;
	int err;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_TRUNC, 0);
	posix_spawn_file_actions_addopen(&fa, 2, l->err_path, O_WRONLY | O_TRUNC, 0);
	err = posix_spawn(&pid, l->o->cli, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return -err;
	return wait4(pid, status, 0, ru) < 0 ? -errno : 0;
}

static int cli_once(struct ba_cli_loop *l, int k, int *status, struct rusage *ru)
{
	return cli_spawn(l, cli_commands[k].object, cli_commands[k].verb, "/dev/null", status, ru);
}

/*
 * The CLI answers from the pins when it cannot reach the agent, and exits
 * 0: a loop of such commands would load nothing. `-j status` first, then,
 * and its "agent" member must be true.
 */
static int cli_reaches_agent(struct ba_cli_loop *l)
{
	char out[8192] = "";
	size_t n = 0;
	int status, err = cli_spawn(l, "-j", "status", l->err_path, &status, NULL);
	FILE *f;

	if (err)
		return err;
	f = fopen(l->err_path, "re");
	if (f) {
		n = fread(out, 1, sizeof(out) - 1, f);
		fclose(f);
	}
	out[n] = 0;
	if (WIFEXITED(status) && !WEXITSTATUS(status) &&
	    (strstr(out, "\"agent\":true") || strstr(out, "\"agent\": true")))
		return 0;
	fprintf(stderr,
		"qs-bench-agent: control load: %s -j status does not reach the agent at %s\n",
		l->o->cli, l->o->control_socket);
	return -ENOTCONN;
}

/* The first line of the failed command's stderr, once. */
static void failure_keep(struct ba_cli_loop *l, int k, int status)
{
	char line[160] = "";
	FILE *f;

	if (l->res->first_error[0])
		return;
	f = fopen(l->err_path, "re");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
	snprintf(l->res->first_error, sizeof(l->res->first_error), "%s: status %d: %s",
		 cli_commands[k].name, WIFEXITED(status) ? WEXITSTATUS(status) : -1, line);
}

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void *cli_loop(void *arg)
{
	struct ba_cli_loop *l = arg;
	struct ba_control_load *r = l->res;

	l->err = ba_set_load_sched(l->cpu);
	l->t_start = ba_now_ns();
	for (int k = 0; !l->err && !atomic_load(&l->stop); k = (k + 1) % BA_CLI_COMMANDS) {
		struct rusage ru = { 0 };
		__u64 t0 = ba_now_ns();
		double ms;
		int status;

		l->err = cli_once(l, k, &status, &ru);
		if (l->err)
			break;
		ms = (ba_now_ns() - t0) / 1e6;
		r->cmd[k].runs++;
		r->cmd[k].total_ms += ms;
		if (ms > r->cmd[k].max_ms)
			r->cmd[k].max_ms = ms;
		r->cpu_seconds += tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			r->cmd[k].failed++;
			r->failed++;
			failure_keep(l, k, status);
		}
		r->commands++;
		atomic_fetch_add(&l->done, 1);
	}
	l->t_end = ba_now_ns();
	return NULL;
}

/* Starts the loop on cpu; results go to res when ba_cli_stop returns. */
int ba_cli_start(struct ba_cli_loop **loop, const struct ba_opts *o, int cpu,
		 struct ba_control_load *res)
{
	struct ba_cli_loop *l = calloc(1, sizeof(*l));
	int fd, err;

	if (!l)
		return -ENOMEM;
	*l = (struct ba_cli_loop){ .o = o, .cpu = cpu, .res = res };
	snprintf(l->err_path, sizeof(l->err_path), "/tmp/qs-bench-cli.XXXXXX");
	fd = mkstemp(l->err_path);
	if (fd < 0) {
		err = -errno;
		free(l);
		return err;
	}
	close(fd);
	memset(res, 0, sizeof(*res));
	err = cli_reaches_agent(l) ?: -pthread_create(&l->thread, NULL, cli_loop, l);
	if (err) {
		unlink(l->err_path);
		free(l);
		return err;
	}
	*loop = l;
	return 0;
}

/* The latency run starts (end false) or ends: commands ended within it count for run_per_sec. */
void ba_cli_mark(struct ba_cli_loop *l, bool end)
{
	l->mark_done[end] = atomic_load(&l->done);
	l->mark_ns[end] = ba_now_ns();
}

int ba_cli_stop(struct ba_cli_loop *l)
{
	struct ba_control_load *r = l->res;
	int err;

	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	r->seconds = (l->t_end - l->t_start) / 1e9;
	r->per_sec = r->seconds > 0 ? r->commands / r->seconds : 0;
	if (l->mark_ns[1] > l->mark_ns[0])
		r->run_per_sec = (l->mark_done[1] - l->mark_done[0]) /
				 ((l->mark_ns[1] - l->mark_ns[0]) / 1e9);
	err = l->err;
	if (err)
		fprintf(stderr, "qs-bench-agent: control load: %s: %s\n", l->o->cli,
			strerror(-err));
	unlink(l->err_path);
	free(l);
	return err;
}

const char *ba_cli_name(int k)
{
	return k >= 0 && k < BA_CLI_COMMANDS ? cli_commands[k].name : "?";
}
