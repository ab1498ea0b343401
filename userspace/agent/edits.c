// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Configuration changes through the control socket (docs/control-protocol.md):
 * vip, backend, nexthop and quic-lb add, del and set, reload and show.
 *
 * Run-time changes edit the running configuration as text and go through
 * the reload path whole: the text is the one language the file, `show`
 * and the CLI share, and the parser and check then refuse a bad change
 * exactly as a bad file. The main thread applies a change to the maps it
 * owns; the answer waits until the intake thread has taken the new view
 * (the job a handler returns), so that a backend added is one whose
 * reports are accepted by the time its `add` is answered.
 */
#define _GNU_SOURCE /* asprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "agent.h"
#include "util/log.h"
#include "util/words.h"

#define CONTROL_MAX_REQUEST 4096
#define CONTROL_ERROR_MAX AGENT_REPLY_ERROR_MAX

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
	for (size_t i = 0; i < c->n_backends; i++) {
		effective[i] = c->backends[i].state;
		c->backends[i].state = a->configured_state[c->backends[i].id];
	}
	err = qs_config_write(f, c);
	for (size_t i = 0; i < c->n_backends; i++)
		c->backends[i].state = effective[i];
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
static struct agent_job *config_install(struct agent *a, struct qs_config *next,
					const char *what, struct agent_reply *r)
{
	struct qs_config_error cerr = { 0 };
	struct agent_job *job = NULL;
	int err = agent_config_install(a, next, &cerr, &job);

	if (err == -EINVAL)
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r, "%s: not applied: %s (the agent's log names the backend or map)",
				  what, strerror(-err));
	else
		pr_info("control: %s applied\n", what);
	return job;
}

static struct agent_job *text_install(struct agent *a, const char *text, const char *what,
				      struct agent_reply *r)
{
	struct qs_config_error cerr = { 0 };
	struct qs_config *next = NULL;
	int err = qs_config_parse_string("control", text, &next, &cerr);

	if (err == -EINVAL)
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r, "%s: %s", what, strerror(-err));
	else
		return config_install(a, next, what, r);
	return NULL;
}

/* `vip add ...`, `backend add ...`: the words become a statement line. */
struct agent_job *agent_edit_add(struct agent *a, const char *kind, char **args, int n,
				 struct agent_reply *r)
{
	struct agent_job *job;
	char *text = NULL, *line = NULL, what[CONTROL_ERROR_MAX];
	size_t len = 0;
	FILE *f;
	int err = running_text(a, &text);

	f = err ? NULL : open_memstream(&line, &len);
	if (!f) {
		agent_reply_error(r, "%s add: %s", kind, strerror(err ? -err : errno));
		free(text);
		return NULL;
	}
	fprintf(f, "%s%s", text, kind);
	for (int i = 0; i < n; i++)
		fprintf(f, " %s", args[i]);
	fputc('\n', f);
	fclose(f);
	snprintf(what, sizeof(what), "%s add %s", kind, n ? args[0] : "");
	job = text_install(a, line, what, r);
	free(line);
	free(text);
	return job;
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
static struct agent_job *del_named(struct agent *a, const char *kind, const char *key,
				   struct agent_reply *r)
{
	char *text = NULL, *line, *end, what[CONTROL_ERROR_MAX];
	struct agent_job *job = NULL;
	int err = running_text(a, &text);

	if (err) {
		agent_reply_error(r, "%s del: %s", kind, strerror(-err));
		return NULL;
	}
	line = statement_line(text, kind, key);
	if (!line) {
		agent_reply_error(r, "%s \"%.60s\": no such %s", kind, key, kind);
	} else {
		end = strchr(line, '\n');
		memmove(line, end + 1, strlen(end + 1) + 1);
		snprintf(what, sizeof(what), "%s del %s", kind, key);
		job = text_install(a, text, what, r);
	}
	free(text);
	return job;
}

/* `vip del NAME`, `backend del NAME`, `nexthop del NAME`: its statement goes. */
struct agent_job *agent_edit_del(struct agent *a, const char *kind, char **args, int n,
				 struct agent_reply *r)
{
	if (n != 1) {
		if (n)
			agent_reply_error(r, "%s del: unexpected \"%.40s\" (%s del NAME)", kind,
					  args[1], kind);
		else
			agent_reply_error(r, "%s del: missing name (%s del NAME)", kind, kind);
		return NULL;
	}
	return del_named(a, kind, args[0], r);
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
		       qs_format_addr(&be->addr.addr, be->addr.family, addr, sizeof(addr)), be->id);
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
struct agent_job *agent_edit_set(struct agent *a, const char *object __attribute__((unused)),
				 char **args, int n, struct agent_reply *r)
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
		return NULL;
	}
	err = running_text(a, &text);
	if (!err)
		err = qs_config_parse_string("control", text, &next, &cerr);
	free(text);
	if (err) {
		agent_reply_error(r, "backend set: the running configuration: %s", strerror(-err));
		return NULL;
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
		return config_install(a, next, what, r); /* next is the agent's now, or freed */
	}
	qs_config_free(next);
	return NULL;
}

struct agent_job *agent_do_reload(struct agent *a, const char *object, char **args, int n,
				  struct agent_reply *r)
{
	struct agent_job *job = NULL;

	(void)object, (void)args, (void)n;
	if (agent_reload(a, &job))
		agent_reply_error(r, "reload refused: the running configuration stays (see the "
				     "agent's log)");
	return job;
}

struct agent_job *agent_show(struct agent *a, const char *object __attribute__((unused)),
			     char **args, int n, struct agent_reply *r)
{
	char *text = NULL;
	int err = running_text(a, &text);

	(void)args;
	(void)n;
	if (err) {
		agent_reply_error(r, "show: %s", strerror(-err));
		return NULL;
	}
	r->o = json_object_new_object();
	json_object_object_add(r->o, "config", json_object_new_string(text));
	free(text);
	return NULL;
}

static struct agent_job *backend_state(struct agent *a, char **args, int n, const char *state,
				       struct agent_reply *r)
{
	char *words[] = { n ? args[0] : NULL, "state", (char *)state };

	if (n > 1)
		agent_reply_error(r, "backend: unexpected \"%.40s\" (one NAME)", args[1]);
	else if (!n)
		agent_reply_error(r, "backend: missing name");
	else
		return agent_edit_set(a, "backend", words, 3, r);
	return NULL;
}

struct agent_job *agent_backend_drain(struct agent *a, const char *object __attribute__((unused)),
				      char **args, int n, struct agent_reply *r)
{
	return backend_state(a, args, n, "draining", r);
}

struct agent_job *agent_backend_undrain(struct agent *a,
					const char *object __attribute__((unused)), char **args,
					int n, struct agent_reply *r)
{
	return backend_state(a, args, n, "active", r);
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
struct agent_job *agent_vip_set(struct agent *a, const char *object __attribute__((unused)),
				char **args, int n, struct agent_reply *r)
{
	char *text = NULL, *line, *end, *changed, *next, what[CONTROL_ERROR_MAX];
	struct agent_job *job = NULL;
	size_t before;

	if (n < 3 || n % 2 == 0) {
		agent_reply_error(r,
			    "vip set: want NAME and OPTION VALUE pairs (vip set NAME [cid-len N] "
			    "[unknown drop|hash] [fragments drop|pass|hash] [forward encap|l2dsr] "
			    "[learn on|off])");
		return NULL;
	}
	for (int i = 1; i < n; i += 2)
		if (!vip_key_settable(args[i])) {
			agent_reply_error(r,
				    "vip \"%.40s\": cannot set \"%.40s\" (cid-len, unknown, "
				    "fragments, forward, learn)",
				    args[0], args[i]);
			return NULL;
		}
	if (running_text(a, &text)) {
		agent_reply_error(r, "vip set: cannot write the running configuration");
		return NULL;
	}
	line = statement_line(text, "vip", args[0]);
	changed = line ? line_with(line, args + 1, n - 1) : NULL;
	if (!line) {
		agent_reply_error(r, "vip \"%.40s\": no such vip", args[0]);
	} else if (changed && asprintf(&next, "%.*s%s%s", (int)(before = line - text), text,
				       changed, (end = strchr(line, '\n')) ? end + 1 : "") >= 0) {
		snprintf(what, sizeof(what), "vip set %s", args[0]);
		job = text_install(a, next, what, r);
		free(next);
	} else {
		agent_reply_error(r, "vip set: out of memory");
	}
	free(changed);
	free(text);
	return job;
}

/* `quic-lb del VIP N`: a configuration is named by its VIP and number. */
struct agent_job *agent_quiclb_del(struct agent *a, const char *object __attribute__((unused)),
				   char **args, int n, struct agent_reply *r)
{
	char key[CONTROL_ERROR_MAX];

	if (n != 2) {
		agent_reply_error(r, "quic-lb del: want VIP and config number (quic-lb del VIP N)");
		return NULL;
	}
	snprintf(key, sizeof(key), "%s config %s", args[0], args[1]);
	return del_named(a, "quic-lb", key, r);
}

