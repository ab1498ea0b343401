// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket (docs/control-protocol.md): a unix SOCK_SEQPACKET
 * socket; each request is one message "v1 COMMAND [ARGS]", each answer one
 * JSON object. Served inline by the main loop, one request at a time.
 *
 * Run-time changes (vip add, backend set, ...) edit the running
 * configuration as text and go through the reload path whole: the text is
 * the one language the file, `show` and the future CLI share, and the
 * parser and check then refuse a bad change exactly as a bad file.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "log.h"
#include "maps.h"
#include "quicsteer.skel.h"
#include "status.h"

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

static int table_fd(void *ctx, const char *name)
{
	return bpf_object__find_map_fd_by_name(((struct agent *)ctx)->router.skel->obj, name);
}

/*
 * The large tables by the agent's own bookkeeping: qs_cids holds what
 * backends reported, the operator's IDs and the learned IDs expiry tracks;
 * qs_flows what the last sweep found; qs_maglev the rows as written. The
 * rest (at most a few thousand entries each) are read in batches.
 */
static long long table_count(void *ctx, const char *name)
{
	struct agent *a = ctx;
	const struct qs_cidreg_stats *c = qs_cidreg_stats(a->cidreg);
	const struct qs_expiry_stats *x = qs_expiry_stats(a->expiry);

	if (!strcmp(name, QS_MAP_CIDS))
		return c->live + c->operator + x->tracked;
	if (!strcmp(name, QS_MAP_FLOWS))
		return x->flows;
	if (!strcmp(name, QS_MAP_MAGLEV))
		return qs_maglev_rows_used(&a->rows);
	return -1;
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
	json_object_object_add(o, "ids_operator", json_object_new_int64(c->operator));
	json_object_object_add(o, "flows_last_sweep",
			       json_object_new_int64(qs_expiry_stats(a->expiry)->flows));
	json_object_object_add(o, "program", qs_status_program_json(bpf_program__fd(
						     a->router.skel->progs.quicsteer_router)));
	json_object_object_add(o, "attachments", qs_status_attachments_json());
	json_object_object_add(o, "tables", qs_status_tables_json(table_fd, table_count, a));
	json_object_object_add(o, "monitor_subscribers",
			       json_object_new_int(agent_monitor_count(a)));
	return o;
}

#define CONTROL_MAX_WORDS 128
#define CONTROL_ERROR_MAX AGENT_REPLY_ERROR_MAX

void agent_reply_error(struct agent_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

/*
 * The running configuration as text, with the states the configuration
 * gave: the effective ones (heartbeats, drain requests) live in the same
 * field while the configuration runs, and must not become configured.
 */
static int running_text(struct agent *a, char **text)
{
	struct qs_config *c = a->cfg;
	__u32 effective[QS_MAX_BACKENDS];
	size_t len;
	FILE *f;
	int err;

	*text = NULL;
	f = open_memstream(text, &len);
	if (!f)
		return -errno;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < c->n_backends; i++) {
		effective[i] = c->backends[i].state;
		c->backends[i].state = a->configured_state[c->backends[i].id];
	}
	err = qs_config_write(f, c);
	for (size_t i = 0; i < c->n_backends; i++)
		c->backends[i].state = effective[i];
	pthread_mutex_unlock(&a->lock);
	if (fclose(f) && !err)
		err = -errno;
	if (err) {
		free(*text);
		*text = NULL;
	}
	return err;
}

/*
 * A check's message for a client: "(line 12)" and "(first on line 3)"
 * name lines of a text the client never saw, so they go.
 */
static void config_problem(struct agent_reply *r, const struct qs_config_error *cerr)
{
	char *p, *close;

	snprintf(r->error, sizeof(r->error), "%s", cerr->msg);
	while ((p = strstr(r->error, " (line ")) || (p = strstr(r->error, " (first on line "))) {
		close = strchr(p, ')');
		if (!close)
			break;
		memmove(p, close + 1, strlen(close + 1) + 1);
	}
}

/* The edited configuration, whole, through the reload path; what names the change. */
static void config_install(struct agent *a, struct qs_config *next, const char *what,
			   struct agent_reply *r)
{
	struct qs_config_error cerr = { 0 };
	int err = agent_config_install(a, next, &cerr);

	if (err == -EINVAL)
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r, "%s: not applied: %s (the agent's log names the backend or map)",
			    what, strerror(-err));
	else
		pr_info("control: %s applied\n", what);
}

static void text_install(struct agent *a, const char *text, const char *what, struct agent_reply *r)
{
	struct qs_config_error cerr = { 0 };
	struct qs_config *next = NULL;
	int err = qs_config_parse_string("control", text, &next, &cerr);

	if (err == -EINVAL)
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r, "%s: %s", what, strerror(-err));
	else
		config_install(a, next, what, r);
}

/* `vip add ...`, `backend add ...`: the words become a statement line. */
static void edit_add(struct agent *a, const char *kind, char **args, int n, struct agent_reply *r)
{
	char *text = NULL, *line = NULL, what[CONTROL_ERROR_MAX];
	size_t len = 0;
	FILE *f;
	int err = running_text(a, &text);

	f = err ? NULL : open_memstream(&line, &len);
	if (!f) {
		agent_reply_error(r, "%s add: %s", kind, strerror(err ? -err : errno));
		free(text);
		return;
	}
	fprintf(f, "%s%s", text, kind);
	for (int i = 0; i < n; i++)
		fprintf(f, " %s", args[i]);
	fputc('\n', f);
	fclose(f);
	snprintf(what, sizeof(what), "%s add %s", kind, n ? args[0] : "");
	text_install(a, line, what, r);
	free(line);
	free(text);
}

/* A line "KIND NAME ..." of the written configuration; NULL if none. */
static char *statement_line(char *text, const char *kind, const char *name)
{
	size_t kl = strlen(kind), nl = strlen(name);

	for (char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, kind, kl) && line[kl] == ' ' &&
		    !strncmp(line + kl + 1, name, nl) &&
		    (line[kl + 1 + nl] == ' ' || line[kl + 1 + nl] == '\n'))
			return line;
	return NULL;
}

/* The statement of KIND KEY goes (KEY: a name, or "VIP config N"). */
static void del_named(struct agent *a, const char *kind, const char *key, struct agent_reply *r)
{
	char *text = NULL, *line, *end, what[CONTROL_ERROR_MAX];
	int err = running_text(a, &text);

	if (err) {
		agent_reply_error(r, "%s del: %s", kind, strerror(-err));
		return;
	}
	line = statement_line(text, kind, key);
	if (!line) {
		agent_reply_error(r, "%s \"%.60s\": no such %s", kind, key, kind);
	} else {
		end = strchr(line, '\n');
		memmove(line, end + 1, strlen(end + 1) + 1);
		snprintf(what, sizeof(what), "%s del %s", kind, key);
		text_install(a, text, what, r);
	}
	free(text);
}

/* `vip del NAME`, `backend del NAME`, `nexthop del NAME`: its statement goes. */
static void edit_del(struct agent *a, const char *kind, char **args, int n, struct agent_reply *r)
{
	if (n != 1) {
		if (n)
			agent_reply_error(r, "%s del: unexpected \"%.40s\" (%s del NAME)", kind, args[1],
				    kind);
		else
			agent_reply_error(r, "%s del: missing name (%s del NAME)", kind, kind);
		return;
	}
	del_named(a, kind, args[0], r);
}

static struct qs_config_backend *backend_named(struct qs_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_backends; i++)
		if (!strcmp(c->backends[i].name, name))
			return &c->backends[i];
	return NULL;
}

/*
 * The values of `weight N` and `state S`, read by the parser itself from a
 * backend line of their own, so a value is refused with the message a file
 * would get. The line is a fragment: no rule across objects applies.
 */
static int set_values(const struct qs_config_backend *be, char **args, int n,
		      struct qs_config_backend *out, struct agent_reply *r)
{
	char line[CONTROL_MAX_REQUEST + 128], addr[INET6_ADDRSTRLEN];
	struct qs_config_error cerr = { 0 };
	struct qs_config *frag = NULL;
	int len, err;

	len = snprintf(line, sizeof(line), "backend %s %s id %u", be->name,
		       qs_config_addr_str(&be->addr, addr, sizeof(addr)), be->id);
	for (int i = 0; i < n; i++) {
		if (i % 2 == 0 && strcmp(args[i], "weight") && strcmp(args[i], "state")) {
			agent_reply_error(r,
				    "backend \"%s\": cannot set \"%.40s\" (weight N, state "
				    "active|draining|down)",
				    be->name, args[i]);
			return -EINVAL;
		}
		len += snprintf(line + len, sizeof(line) - len, " %s", args[i]);
	}
	err = qs_config_parse_buf("control", line, strlen(line), QS_CONFIG_F_NO_CHECK, &frag,
				  &cerr);
	if (err == -EINVAL)
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r, "backend \"%s\": %s", be->name, strerror(-err));
	else
		*out = frag->backends[0];
	if (!err) {
		out->vips = NULL; /* freed with frag: only the numbers are used */
		out->server_ids = NULL;
		out->key_file = NULL;
	}
	qs_config_free(frag);
	return err;
}

/* `backend set NAME [weight N] [state S]`: that backend's line, those values changed. */
static void edit_set(struct agent *a, const char *object __attribute__((unused)), char **args,
		     int n, struct agent_reply *r)
{
	struct qs_config_backend *be, values;
	struct qs_config_error cerr = { 0 };
	struct qs_config *next = NULL;
	char *text = NULL, what[CONTROL_ERROR_MAX];
	int err;

	if (n < 2) {
		agent_reply_error(r,
			    "backend set: %s (backend set NAME [weight N] [state "
			    "active|draining|down])",
			    n ? "nothing to set" : "missing name");
		return;
	}
	err = running_text(a, &text);
	if (!err)
		err = qs_config_parse_string("control", text, &next, &cerr);
	free(text);
	if (err) {
		agent_reply_error(r, "backend set: the running configuration: %s", strerror(-err));
		return;
	}
	be = backend_named(next, args[0]);
	if (!be)
		agent_reply_error(r, "backend \"%.40s\": no such backend", args[0]);
	else if (!set_values(be, args + 1, n - 1, &values, r)) {
		for (int i = 1; i < n; i += 2) {
			if (!strcmp(args[i], "weight"))
				be->weight = values.weight;
			else
				be->state = values.state;
		}
		snprintf(what, sizeof(what), "backend set %s", args[0]);
		config_install(a, next, what, r);
		return; /* next is the agent's now, or freed */
	}
	qs_config_free(next);
}

static void do_status(struct agent *a, const char *object, char **args, int n, struct agent_reply *r)
{
	(void)object, (void)args, (void)n;
	pthread_mutex_lock(&a->lock);
	r->o = status(a);
	pthread_mutex_unlock(&a->lock);
}

static void do_reload(struct agent *a, const char *object, char **args, int n, struct agent_reply *r)
{
	(void)object, (void)args, (void)n;
	if (agent_reload(a))
		agent_reply_error(r, "reload refused: the running configuration stays (see the agent's "
			       "log)");
}

static void do_show(struct agent *a, const char *object __attribute__((unused)), char **args, int n,
		    struct agent_reply *r)
{
	char *text = NULL;
	int err = running_text(a, &text);

	(void)args;
	(void)n;
	if (err) {
		agent_reply_error(r, "show: %s", strerror(-err));
		return;
	}
	r->o = json_object_new_object();
	json_object_object_add(r->o, "config", json_object_new_string(text));
	free(text);
}

static void backend_state(struct agent *a, char **args, int n, const char *state, struct agent_reply *r)
{
	char *words[] = { n ? args[0] : NULL, "state", (char *)state };

	if (n > 1)
		agent_reply_error(r, "backend: unexpected \"%.40s\" (one NAME)", args[1]);
	else if (!n)
		agent_reply_error(r, "backend: missing name");
	else
		edit_set(a, "backend", words, 3, r);
}

static void backend_drain(struct agent *a, const char *object __attribute__((unused)), char **args,
			  int n, struct agent_reply *r)
{
	backend_state(a, args, n, "draining", r);
}

static void backend_undrain(struct agent *a, const char *object __attribute__((unused)),
			    char **args, int n, struct agent_reply *r)
{
	backend_state(a, args, n, "active", r);
}

static const char *const vip_settable[] = { "cid-len", "unknown", "fragments", "forward", "learn" };

static bool vip_key_settable(const char *key)
{
	for (size_t i = 0; i < sizeof(vip_settable) / sizeof(vip_settable[0]); i++)
		if (!strcmp(key, vip_settable[i]))
			return true;
	return false;
}

/*
 * A VIP's line with some option values replaced: the written configuration
 * has every option, so each key is there to change. Returns a new line.
 */
static char *line_with(const char *line, char **args, int n)
{
	char *copy = strndup(line, strcspn(line, "\n")), *out = NULL, *save, *w, *prev = NULL;
	size_t len = 0;
	FILE *f = copy ? open_memstream(&out, &len) : NULL;

	if (!f) {
		free(copy);
		return NULL;
	}
	for (w = strtok_r(copy, " ", &save); w; prev = w, w = strtok_r(NULL, " ", &save)) {
		const char *value = w;

		for (int i = 0; prev && i + 1 < n; i += 2)
			if (!strcmp(prev, args[i]))
				value = args[i + 1];
		fprintf(f, "%s%s", prev ? " " : "", value);
	}
	fputc('\n', f);
	fclose(f);
	free(copy);
	return out;
}

/* `vip set NAME [cid-len N] [unknown P] [fragments P] [forward M] [learn on|off]` */
static void vip_set(struct agent *a, const char *object __attribute__((unused)), char **args, int n,
		    struct agent_reply *r)
{
	char *text = NULL, *line, *end, *changed, *next, what[CONTROL_ERROR_MAX];
	size_t before;

	if (n < 3 || n % 2 == 0) {
		agent_reply_error(r,
			    "vip set: want NAME and OPTION VALUE pairs (vip set NAME [cid-len N] "
			    "[unknown drop|hash] [fragments drop|pass|hash] [forward encap|l2dsr] "
			    "[learn on|off])");
		return;
	}
	for (int i = 1; i < n; i += 2)
		if (!vip_key_settable(args[i])) {
			agent_reply_error(r,
				    "vip \"%.40s\": cannot set \"%.40s\" (cid-len, unknown, "
				    "fragments, forward, learn)",
				    args[0], args[i]);
			return;
		}
	if (running_text(a, &text)) {
		agent_reply_error(r, "vip set: cannot write the running configuration");
		return;
	}
	line = statement_line(text, "vip", args[0]);
	changed = line ? line_with(line, args + 1, n - 1) : NULL;
	if (!line) {
		agent_reply_error(r, "vip \"%.40s\": no such vip", args[0]);
	} else if (changed && asprintf(&next, "%.*s%s%s", (int)(before = line - text), text,
				       changed, (end = strchr(line, '\n')) ? end + 1 : "") >= 0) {
		snprintf(what, sizeof(what), "vip set %s", args[0]);
		text_install(a, next, what, r);
		free(next);
	} else {
		agent_reply_error(r, "vip set: out of memory");
	}
	free(changed);
	free(text);
}

/* `quic-lb del VIP N`: a configuration is named by its VIP and number. */
static void quiclb_del(struct agent *a, const char *object __attribute__((unused)), char **args,
		       int n, struct agent_reply *r)
{
	char key[CONTROL_ERROR_MAX];

	if (n != 2) {
		agent_reply_error(r, "quic-lb del: want VIP and config number (quic-lb del VIP N)");
		return;
	}
	snprintf(key, sizeof(key), "%s config %s", args[0], args[1]);
	del_named(a, "quic-lb", key, r);
}

static void do_monitor(struct agent *a, const char *object, char **args, int n,
		       struct agent_reply *r)
{
	(void)a, (void)object, (void)args, (void)n;
	r->keep_fd = 1; /* agent_control_serve subscribes the connection */
}

/* The commands: dispatch and the "expected ..." lists come from here. */
static const struct command {
	const char *object, *verb; /* verb NULL: a command of one word */
	/* object: edit_add and edit_del serve every kind of statement */
	agent_command_fn run;
} commands[] = {
	{ "status", NULL, do_status },
	{ "reload", NULL, do_reload },
	{ "show", NULL, do_show },
	{ "vip", "add", edit_add },
	{ "vip", "del", edit_del },
	{ "vip", "set", vip_set },
	{ "backend", "add", edit_add },
	{ "backend", "del", edit_del },
	{ "backend", "set", edit_set },
	{ "backend", "drain", backend_drain },
	{ "backend", "undrain", backend_undrain },
	{ "nexthop", "add", edit_add },
	{ "nexthop", "del", edit_del },
	{ "quic-lb", "add", edit_add },
	{ "quic-lb", "del", quiclb_del },
	{ "attach", "dev", agent_attach },
	{ "detach", "dev", agent_detach },
	{ "cid", "add", agent_cid_add },
	{ "cid", "del", agent_cid_del },
	{ "cid", "flush", agent_cid_flush },
	{ "flow", "flush", agent_flow_flush },
	{ "monitor", NULL, do_monitor },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* "status, reload, ..." (objects) or "add, del" (verbs of object) into buf. */
static const char *expected(const char *object, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < N_COMMANDS && len < size; i++) {
		const char *w = object ? commands[i].verb : commands[i].object;

		if (object ? strcmp(commands[i].object, object) :
			     (i && !strcmp(w, commands[i - 1].object)))
			continue;
		len += snprintf(buf + len, size - len, "%s%s", len ? ", " : "", w);
	}
	return buf;
}

static void dispatch(struct agent *a, char **w, int n, struct agent_reply *r)
{
	char list[256];
	bool object_known = false;

	if (!n) {
		agent_reply_error(r, "missing command (expected %s)", expected(NULL, list, sizeof(list)));
		return;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (strcmp(c->object, w[0]))
			continue;
		object_known = true;
		if (!c->verb && n > 1) {
			agent_reply_error(r, "%s: unexpected \"%.40s\"", w[0], w[1]);
			return;
		}
		if (!c->verb || (n > 1 && !strcmp(c->verb, w[1]))) {
			c->run(a, c->object, w + (c->verb ? 2 : 1), n - (c->verb ? 2 : 1), r);
			return;
		}
	}
	if (!object_known)
		agent_reply_error(r, "unknown command \"%.40s\" (expected %s)", w[0],
			    expected(NULL, list, sizeof(list)));
	else if (n < 2)
		agent_reply_error(r, "%s: missing verb (expected %s)", w[0],
			    expected(w[0], list, sizeof(list)));
	else
		agent_reply_error(r, "%s: unknown verb \"%.40s\" (expected %s)", w[0], w[1],
			    expected(w[0], list, sizeof(list)));
}

/*
 * The answer to one request: {"ok": true, ...} or {"ok": false, "error":
 * "..."}. *monitor: the request was `monitor`, the connection stays.
 */
static json_object *handle(struct agent *a, char *req, int fd, bool *monitor)
{
	struct agent_reply r = { 0 };
	char *words[CONTROL_MAX_WORDS], *save, *w;
	int n = 0;

	if (strncmp(req, CONTROL_VERSION " ", 3)) {
		agent_reply_error(&r, "unsupported protocol version: this agent speaks " CONTROL_VERSION);
	} else {
		for (w = strtok_r(req + 3, " \t\r\n", &save); w && n < CONTROL_MAX_WORDS;
		     w = strtok_r(NULL, " \t\r\n", &save))
			words[n++] = w;
		if (w)
			agent_reply_error(&r, "more than %d words", CONTROL_MAX_WORDS);
		else
			dispatch(a, words, n, &r);
	}
	if (r.keep_fd && !r.error[0]) {
		r.keep_fd = 0;
		agent_monitor_subscribe(a, fd, &r);
		*monitor = r.keep_fd;
	}
	if (r.error[0]) {
		json_object_put(r.o); /* nothing but the error */
		r.o = NULL;
	}
	if (!r.o)
		r.o = json_object_new_object();
	json_object_object_add(r.o, "ok", json_object_new_boolean(!r.error[0]));
	if (r.error[0])
		json_object_object_add(r.o, "error", json_object_new_string(r.error));
	return r.o;
}

/* One message; an answer too large for one (a huge `show`) says so instead. */
static void answer_send(int fd, const char *text)
{
	char too_large[128];

	if (send(fd, text, strlen(text), MSG_NOSIGNAL) >= 0 || errno != EMSGSIZE)
		return;
	snprintf(too_large, sizeof(too_large),
		 "{\"ok\":false,\"error\":\"answer of %zu bytes too large for one message\"}",
		 strlen(text));
	send(fd, too_large, strlen(too_large), MSG_NOSIGNAL);
}

void agent_control_serve(struct agent *a)
{
	char req[CONTROL_MAX_REQUEST + 1];
	json_object *answer;
	const char *text;
	bool monitor;
	ssize_t n;
	int fd;

	struct timeval limit = { .tv_sec = 1 };

	while ((fd = accept4(a->control_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		/* a client that connects and says nothing must not stall the agent */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
		n = recv(fd, req, CONTROL_MAX_REQUEST, 0);
		monitor = false;
		if (n > 0) {
			req[n] = 0;
			answer = handle(a, req, fd, &monitor);
			text = json_object_to_json_string_ext(
				answer, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			answer_send(fd, text);
			json_object_put(answer);
		}
		if (!monitor)
			close(fd);
	}
}
