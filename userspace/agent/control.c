// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket (docs/control-protocol.md): a unix SOCK_SEQPACKET
 * socket; each request is one message "v1 COMMAND [ARGS]", each answer one
 * JSON object. Served inline by the main loop, one request at a time.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include "agent.h"
#include "log.h"

#define CONTROL_VERSION "v1"
#define CONTROL_MAX_REQUEST 4096

int agent_control_open(struct agent *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = a->cfg->control_socket;
	char dir[sizeof(sun.sun_path)], *slash;
	int fd, err;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0750); /* /run/quicsteer on a fresh boot */
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 16)) {
		err = -errno;
		close(fd);
		pr_warn("control socket %s: %s\n", path, strerror(-err));
		return err;
	}
	chmod(path, 0660);
	a->control_fd = fd;
	return 0;
}

static json_object *status(struct agent *a)
{
	json_object *o = json_object_new_object(), *ifs = json_object_new_array();
	const struct qs_cidreg_stats *c = qs_cidreg_stats(a->cidreg);

	for (size_t i = 0; i < a->cfg->n_interfaces; i++)
		json_object_array_add(ifs, json_object_new_string(a->cfg->interfaces[i].name));
	json_object_object_add(o, "pin_dir", json_object_new_string(a->cfg->pin_dir));
	json_object_object_add(o, "attached", json_object_new_boolean(!a->adopt));
	json_object_object_add(o, "interfaces", ifs);
	json_object_object_add(o, "abi_version", json_object_new_int(QS_ABI_VERSION));
	json_object_object_add(o, "vips", json_object_new_int64(a->cfg->n_vips));
	json_object_object_add(o, "backends", json_object_new_int64(a->cfg->n_backends));
	json_object_object_add(o, "ids_reported", json_object_new_int64(c->live));
	json_object_object_add(o, "learned_tracked",
			       json_object_new_int64(qs_expiry_stats(a->expiry)->tracked));
	return o;
}

/* The answer to one request: {"ok": true, ...} or {"ok": false, "error": "..."}. */
static json_object *handle(struct agent *a, char *req)
{
	json_object *o = NULL;
	char *cmd, *save;
	const char *error = NULL;

	if (strncmp(req, CONTROL_VERSION " ", 3)) {
		error = "unsupported protocol version: this agent speaks " CONTROL_VERSION;
		goto out;
	}
	cmd = strtok_r(req + 3, " \t\n", &save);
	if (cmd && !strcmp(cmd, "status")) {
		pthread_mutex_lock(&a->lock);
		o = status(a);
		pthread_mutex_unlock(&a->lock);
	} else if (cmd && !strcmp(cmd, "reload")) {
		if (agent_reload(a))
			error = "reload refused: the running configuration stays (see the agent's "
				"log)";
		else
			o = json_object_new_object();
	} else {
		error = "unknown command: status, reload";
	}
out:
	if (!o)
		o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	return o;
}

void agent_control_serve(struct agent *a)
{
	char req[CONTROL_MAX_REQUEST + 1];
	json_object *answer;
	const char *text;
	ssize_t n;
	int fd;

	struct timeval limit = { .tv_sec = 1 };

	while ((fd = accept4(a->control_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		/* a client that connects and says nothing must not stall the agent */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
		n = recv(fd, req, CONTROL_MAX_REQUEST, 0);
		if (n > 0) {
			req[n] = 0;
			answer = handle(a, req);
			text = json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN);
			send(fd, text, strlen(text), MSG_NOSIGNAL);
			json_object_put(answer);
		}
		close(fd);
	}
}
