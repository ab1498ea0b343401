// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Requests to the agent over its control socket (docs/control-protocol.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli.h"
#include "router/tableargs.h"

#define CONTROL_MSG_MAX 4096

/* A timed-out wait on a socket (EAGAIN under SO_*TIMEO) as -ETIMEDOUT. */
static int socket_errno(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS ? -ETIMEDOUT :
										 -errno;
}

static int set_timeout(int fd, int option, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	return setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) ? -errno : 0;
}

/*
 * A connection to the agent. Connecting and sending wait at most
 * --timeout: an agent that is stopped (SIGSTOP, a debugger) or wedged still
 * has its socket, and a full accept queue would block connect() for ever.
 */
int cli_agent_connect(const struct cli_opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(o->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, o->socket_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = set_timeout(fd, SO_SNDTIMEO, o->timeout_s);
	if (!err && connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = socket_errno();
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

const char *cli_agent_absent(const struct cli_opts *o, int err)
{
	static char text[sizeof(((struct sockaddr_un *)0)->sun_path) + 128];

	if (err == -ETIMEDOUT)
		snprintf(text, sizeof(text),
			 "agent at %s did not answer within %d s "
			 "(stopped or busy; a change sent may still take effect)",
			 o->socket_path, o->timeout_s);
	else
		snprintf(text, sizeof(text), "agent not running (%s: %s)", o->socket_path,
			 strerror(-err));
	return text;
}

void cli_verbose_answer(const struct cli_opts *o, const char *text)
{
	if (o->verbose)
		fprintf(stderr, "quicsteer: answer: %s\n", text);
}

/*
 * Sends req, returns the agent's answer parsed. -ENOTCONN (message printed
 * by the caller) when nothing answers at the socket; -EPROTO for an answer
 * that is not JSON.
 */
int cli_agent_request(const struct cli_opts *o, const char *req, struct json_object **answer)
{
	char *buf = NULL;
	ssize_t n;
	int fd, err;

	fd = cli_agent_connect(o);
	if (fd < 0)
		return fd;
	if (o->verbose)
		fprintf(stderr, "quicsteer: request: %s\n", req);
	err = set_timeout(fd, SO_RCVTIMEO, o->timeout_s);
	if (err)
		goto close_fd;
	if (send(fd, req, strlen(req), 0) < 0) {
		err = socket_errno();
		goto close_fd;
	}
	/* the answer's length first (MSG_TRUNC on a peek: the whole message's), then it */
	n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	if (n < 0) {
		err = socket_errno();
		goto close_fd;
	}
	buf = malloc(n + 1);
	if (!buf) {
		err = -ENOMEM;
		goto close_fd;
	}
	n = recv(fd, buf, n, 0);
	if (n < 0) {
		err = socket_errno();
		goto close_fd;
	}
	buf[n] = '\0';
	cli_verbose_answer(o, buf);
	*answer = json_tokener_parse(buf);
	err = *answer ? 0 : -EPROTO;
close_fd:
	free(buf);
	close(fd);
	return err;
}

const char *cli_answer_error(struct json_object *ans)
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
		cli_err("%s", cli_agent_absent(o, err));
		return -ENOTCONN;
	}
	msg = cli_answer_error(*answer);
	if (msg) {
		cli_err("%s: %s", what, msg);
		json_object_put(*answer);
		return -EREMOTEIO;
	}
	return 0;
}

int cli_agent_forward(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
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
	else
		cli_status_print(ans); /* what a change answers beside ok, if anything */
	json_object_put(ans);
	return 0;
}

/* attach dev IFNAME [mode native|generic], detach dev IFNAME: words checked here first. */
int cli_iface_change(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	bool attach = !strcmp(c->object, "attach");

	if (argc > (attach ? 3 : 1) || (argc > 1 && strcmp(argv[1], "mode")) || (argc == 2) ||
	    (argc == 3 && strcmp(argv[2], "native") && strcmp(argv[2], "generic"))) {
		cli_err("%s dev %s: want %s dev %s", c->object, argv[0], c->object, c->args);
		return -EINVAL;
	}
	return cli_agent_forward(o, c, argc, argv);
}

/* cid add|del|flush, flow flush: words checked here first (exit 2), then by the agent. */
int cli_table_change(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct qs_table_filter f;
	__u8 cid[QS_CID_MAX_LEN];
	char err[256] = "";
	__u32 vip, be;
	size_t len;
	int bad;

	if (!strcmp(c->verb, "flush"))
		bad = qs_table_filter_parse(argc, argv, !strcmp(c->object, "cid"), &f, err,
					    sizeof(err));
	else if (!strcmp(c->verb, "del") && argc != 2)
		bad = snprintf(err, sizeof(err), "unexpected \"%s\"", argv[2]);
	else if (!strcmp(c->verb, "add") && (argc != 4 || strcmp(argv[2], "backend")))
		bad = snprintf(err, sizeof(err), "want %s", c->args);
	else
		bad = qs_table_cid_parse(argv[0], argv[1], &vip, cid, &len, err, sizeof(err)) ||
		      (argc == 4 && qs_table_backend_parse(argv[3], &be, err, sizeof(err)));
	if (bad) {
		cli_err("%s %s: %s", c->object, c->verb, err);
		return -EINVAL;
	}
	return cli_agent_forward(o, c, argc, argv);
}

int cli_status_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
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
		cli_err("%s; reading %s", cli_agent_absent(o, err), o->pin_dir);
		return cli_status_from_pins(o);
	}
	if (cli_answer_error(ans)) {
		cli_err("status: %s", cli_answer_error(ans));
		json_object_put(ans);
		return -EREMOTEIO;
	}
	json_object_object_add(ans, "agent", json_object_new_boolean(1));
	if (json_object_object_get_ex(ans, "ok", &t))
		json_object_object_del(ans, "ok");
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(ans, JSON_OUT));
	else
		cli_status_print(ans);
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
	if (cli_answer_error(ans) || !json_object_object_get_ex(ans, "config", &cfg)) {
		cli_err("show: %s",
			cli_answer_error(ans) ? cli_answer_error(ans) : "answer without config");
		json_object_put(ans);
		return -EPROTO;
	}
	*text = strdup(json_object_get_string(cfg));
	json_object_put(ans);
	return *text ? 0 : -ENOMEM;
}
