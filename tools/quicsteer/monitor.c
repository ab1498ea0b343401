// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * monitor: subscribes with `v1 monitor` and prints each message the agent
 * relays (docs/control-protocol.md) as one line, or with -j as it came,
 * one JSON object a line, until interrupted (exit 0) or the agent goes
 * (exit 1). Events come only from the agent: without one, an error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli.h"

#define MONITOR_MSG_MAX 4096

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char *get(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

/* "web(0)" or "0" when the agent knows no name for the id. */
static const char *named(struct json_object *o, const char *namek, const char *idk, char *buf,
			 size_t size)
{
	const char *name = get(o, namek), *id = get(o, idk);

	if (name)
		snprintf(buf, size, "%s(%s)", name, id ? id : "?");
	else
		snprintf(buf, size, "%s", id ? id : "-");
	return buf;
}

static void print_report(struct json_object *m)
{
	static const char *const kinds[] = { "issued",	   "retired",	 "snapshot_ids",
					     "handshakes", "closed",	 "heartbeats",
					     "drains",	   "snapshot_parts" };
	const char *verdict = get(m, "verdict"), *records = get(m, "records");
	char be[64];

	printf("report backend %s %s", named(m, "backend", "backend_id", be, sizeof(be)),
	       verdict && !strcmp(verdict, "ok") ? "accepted" : "refused");
	if (verdict && strcmp(verdict, "ok"))
		printf(" (%s)", verdict);
	if (get(m, "sequence"))
		printf(" seq %s", get(m, "sequence"));
	if (records) {
		printf(" records %s", records);
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (get(m, kinds[i]) && strcmp(get(m, kinds[i]), "0"))
				printf(" %s %s", kinds[i], get(m, kinds[i]));
	}
	if (get(m, "age_ms"))
		printf(" age %sms", get(m, "age_ms"));
	printf("\n");
}

static void print_line(struct json_object *m)
{
	const char *type = get(m, "type");
	char vip[64], be[64];

	if (!type) {
		printf("? %s\n", json_object_to_json_string_ext(m, JSON_OUT));
	} else if (!strcmp(type, "report")) {
		print_report(m);
	} else if (!strcmp(type, "lost")) {
		printf("lost %s messages (this monitor did not keep up)\n", get(m, "count"));
	} else {
		printf("%s vip %s client %s port %s cid %s backend %s\n", type,
		       named(m, "vip", "vip_id", vip, sizeof(vip)), get(m, "client"),
		       get(m, "client_port"), get(m, "cid"),
		       named(m, "backend", "backend_id", be, sizeof(be)));
	}
}

/* Prints the messages until interrupted (0) or the agent closes (-ECONNRESET). */
static int relay(const struct cli_opts *o, int fd)
{
	char buf[MONITOR_MSG_MAX + 1];
	struct json_object *m;
	ssize_t n;

	while (!interrupted) {
		n = recv(fd, buf, MONITOR_MSG_MAX, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_err("monitor: the agent closed the connection (%s)",
				n ? strerror(errno) : "it stopped");
			return -ECONNRESET;
		}
		buf[n] = 0;
		if (o->json) {
			printf("%s\n", buf);
		} else {
			m = json_tokener_parse(buf);
			if (m)
				print_line(m);
			json_object_put(m);
		}
		fflush(stdout);
	}
	return 0;
}

int cli_monitor_follow(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: recv returns */
	static const char req[] = "v1 monitor";
	char buf[MONITOR_MSG_MAX + 1];
	struct json_object *ans;
	const char *problem;
	ssize_t n;
	int fd, err;

	(void)c;
	if (argc) {
		cli_err("monitor: unexpected argument \"%s\"", argv[0]);
		return -EINVAL;
	}
	fd = cli_agent_connect(o);
	if (fd < 0) {
		cli_err("%s: events come only from the agent", cli_agent_absent(o, fd));
		return -ENOTCONN;
	}
	if (o->verbose)
		fprintf(stderr, "quicsteer: request: %s\n", req);
	n = send(fd, req, strlen(req), 0) < 0 ? -1 : recv(fd, buf, MONITOR_MSG_MAX, 0);
	if (n <= 0) {
		cli_err("monitor: no answer from the agent: %s", n ? strerror(errno) : "closed");
		close(fd);
		return -EPROTO;
	}
	buf[n] = 0;
	cli_verbose_answer(o, buf);
	ans = json_tokener_parse(buf);
	problem = ans ? cli_answer_error(ans) : "the agent's answer is not JSON";
	if (problem) {
		cli_err("monitor: %s", problem);
		json_object_put(ans);
		close(fd);
		return -EREMOTEIO;
	}
	json_object_put(ans);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = relay(o, fd);
	close(fd);
	return err;
}
