// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Requests to the agent over its control socket (docs/control-protocol.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli.h"

#define CONTROL_MSG_MAX 4096
#define ANSWER_MAX (1 << 20)

static int agent_connect(const struct cli_opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(o->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, o->socket_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Sends req, returns the agent's answer parsed. -ENOTCONN (message printed
 * by the caller) when nothing answers at the socket; -EPROTO for an answer
 * that is not JSON.
 */
int cli_agent_request(const struct cli_opts *o, const char *req, struct json_object **answer)
{
	static char buf[ANSWER_MAX];
	ssize_t n;
	int fd, err;

	fd = agent_connect(o);
	if (fd < 0)
		return fd;
	if (o->verbose)
		fprintf(stderr, "quicsteer: request: %s\n", req);
	if (send(fd, req, strlen(req), 0) < 0) {
		err = -errno;
		goto close_fd;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		err = -errno;
		goto close_fd;
	}
	buf[n] = '\0';
	*answer = json_tokener_parse(buf);
	err = *answer ? 0 : -EPROTO;
close_fd:
	close(fd);
	return err;
}

static const char *answer_error(struct json_object *ans)
{
	struct json_object *ok, *e;

	if (json_object_object_get_ex(ans, "ok", &ok) && json_object_get_boolean(ok))
		return NULL;
	if (json_object_object_get_ex(ans, "error", &e))
		return json_object_get_string(e);
	return "answer without ok";
}

/*
 * One request, "v1 WORDS", and its answer: 0 with *answer set, or -errno
 * with the error printed (agent not running, its error text).
 */
static int agent_call(const struct cli_opts *o, const char *what, const char *req,
		      struct json_object **answer)
{
	const char *msg;
	int err;

	err = cli_agent_request(o, req, answer);
	if (err == -EPROTO) {
		cli_err("%s: the agent's answer is not JSON", what);
		return err;
	}
	if (err) {
		cli_err("agent not running (%s: %s)", o->socket_path, strerror(-err));
		return -ENOTCONN;
	}
	msg = answer_error(*answer);
	if (msg) {
		cli_err("%s: %s", what, msg);
		json_object_put(*answer);
		return -EREMOTEIO;
	}
	return 0;
}

int cli_run_change(const struct cli_opts *o, const struct cli_cmd *c, int argc, char **argv)
{
	char req[CONTROL_MSG_MAX + 1], what[64];
	struct json_object *ans;
	size_t len;
	int err;

	len = snprintf(req, sizeof(req), "v1 %s%s%s", c->object, c->verb ? " " : "",
		       c->verb ? c->verb : "");
	snprintf(what, sizeof(what), "%.*s", (int)sizeof(what) - 1, req + 3);
	for (int i = 0; i < argc && len < sizeof(req); i++)
		len += snprintf(req + len, sizeof(req) - len, " %s", argv[i]);
	if (len >= CONTROL_MSG_MAX) {
		cli_err("%s: request longer than %d bytes", what, CONTROL_MSG_MAX);
		return -E2BIG;
	}
	err = agent_call(o, what, req, &ans);
	if (err)
		return err;
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(ans, JSON_OUT));
	json_object_put(ans);
	return 0;
}

/* Which of the router's maps are pinned: what status says without an agent. */
static int status_from_pins(const struct cli_opts *o)
{
	static const char *const maps[] = { "qs_vips",	    "qs_backends",   "qs_nexthops",
					    "qs_maglev",    "qs_cids",	     "qs_flows",
					    "qs_quiclb",    "qs_server_ids", "qs_stats",
					    "qs_vip_stats", "qs_be_stats",   "qs_aux_stats" };
	char path[4096];
	struct stat st;
	struct json_object *j = json_object_new_object(), *pinned = json_object_new_array();

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", o->pin_dir, maps[i]);
		if (!stat(path, &st))
			json_object_array_add(pinned, json_object_new_string(maps[i]));
	}
	json_object_object_add(j, "agent", json_object_new_boolean(0));
	json_object_object_add(j, "pin_dir", json_object_new_string(o->pin_dir));
	json_object_object_add(j, "maps", pinned);
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(j, JSON_OUT));
	} else {
		printf("agent: not running\npin-dir: %s\nmaps:", o->pin_dir);
		for (size_t i = 0; i < json_object_array_length(pinned); i++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(pinned, i)));
		printf("%s\n", json_object_array_length(pinned) ? "" : " none");
	}
	json_object_put(j);
	return 0;
}

static void print_status(struct json_object *ans)
{
	json_object_object_foreach(ans, key, val)
	{
		if (!strcmp(key, "ok"))
			continue;
		printf("%s: %s\n", key,
		       json_object_is_type(val, json_type_string) ?
			       json_object_get_string(val) :
			       json_object_to_json_string_ext(val, JSON_OUT));
	}
}

int cli_run_status(const struct cli_opts *o, const struct cli_cmd *c, int argc, char **argv)
{
	struct json_object *ans, *t;
	int err;

	(void)c;
	(void)argv;
	if (argc) {
		cli_err("status: unexpected argument \"%s\"", argv[0]);
		return -EINVAL;
	}
	err = cli_agent_request(o, "v1 status", &ans);
	if (err == -EPROTO) {
		cli_err("status: the agent's answer is not JSON");
		return err;
	}
	if (err) {
		cli_err("agent not running (%s: %s); reading %s", o->socket_path, strerror(-err),
			o->pin_dir);
		return status_from_pins(o);
	}
	if (answer_error(ans)) {
		cli_err("status: %s", answer_error(ans));
		json_object_put(ans);
		return -EREMOTEIO;
	}
	json_object_object_add(ans, "agent", json_object_new_boolean(1));
	if (json_object_object_get_ex(ans, "ok", &t))
		json_object_object_del(ans, "ok");
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(ans, JSON_OUT));
	else
		print_status(ans);
	json_object_put(ans);
	return 0;
}

/*
 * The running configuration's text (show), for show.c and stats.c. quiet:
 * no message when no agent answers (the caller falls back to the pins); an
 * agent's refusal is always printed, -EPROTO.
 */
int cli_agent_show_text(const struct cli_opts *o, char **text, bool quiet)
{
	struct json_object *ans, *cfg;
	int err;

	err = quiet ? cli_agent_request(o, "v1 show", &ans) :
		      agent_call(o, "show", "v1 show", &ans);
	if (err == -EPROTO && quiet)
		cli_err("show: the agent's answer is not JSON");
	if (err)
		return err;
	if (answer_error(ans) || !json_object_object_get_ex(ans, "config", &cfg)) {
		cli_err("show: %s",
			answer_error(ans) ? answer_error(ans) : "answer without config");
		json_object_put(ans);
		return -EPROTO;
	}
	*text = strdup(json_object_get_string(cfg));
	json_object_put(ans);
	return *text ? 0 : -ENOMEM;
}
