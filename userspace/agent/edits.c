// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Configuration changes through the control socket (docs/control-protocol.md):
 * vip, backend, nexthop and quic-lb add, del and set, reload and show.
 *
 * Run-time changes edit the running configuration as text (the edits are
 * the language's: config/config_edit.c) and go through the reload path
 * whole: the text is the one language the file, `show` and the CLI share,
 * and the parser and check then refuse a bad change exactly as a bad file. The main thread applies
 * a change to the maps it owns; the answer waits until the intake thread has taken the new view
 * (the job a handler returns), so that a backend added is one whose
 * reports are accepted by the time its `add` is answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "agent.h"
#include "config/config_edit.h"
#include "util/log.h"
#include "util/words.h"

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
static struct agent_job *config_install(struct agent *a, struct qs_config *next, const char *what,
					struct agent_reply *r)
{
	struct qs_config_error cerr = { 0 };
	struct agent_job *job = NULL;
	int err = agent_config_install(a, next, &cerr, &job);

	if (err == -EINVAL)
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r,
				  "%s: not applied: %s (the agent's log names the backend or map)",
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

enum edit_op { EDIT_ADD, EDIT_DEL, EDIT_SET };

/*
 * One edit of the running text (config/config_edit.h), installed. NAME is
 * the statement's key, WORDS what add appends or set changes. A request
 * the edit refuses is answered with the edit's own message.
 */
static struct agent_job *edit_run(struct agent *a, enum edit_op op, const char *kind,
				  const char *name, char **words, int n, struct agent_reply *r)
{
	static const char *const verbs[] = { "add", "del", "set" };
	struct qs_config_error cerr = { 0 };
	char *text = NULL, *next = NULL, what[CONTROL_ERROR_MAX];
	struct agent_job *job = NULL;
	int err = running_text(a, &text);

	snprintf(what, sizeof(what), "%s %s %s", kind, verbs[op], name);
	if (!err && op == EDIT_ADD)
		err = qs_config_edit_add(text, kind, words, n, &next, &cerr);
	else if (!err && op == EDIT_DEL)
		err = qs_config_edit_del(text, kind, name, &next, &cerr);
	else if (!err)
		err = qs_config_edit_set(text, kind, name, words, n, &next, &cerr);
	if (err && cerr.msg[0])
		config_problem(r, &cerr);
	else if (err)
		agent_reply_error(r, "%s: %s", what, strerror(-err));
	else
		job = text_install(a, next, what, r);
	free(next);
	free(text);
	return job;
}

/* `vip add ...`, `backend add ...`: the words become a statement line. */
struct agent_job *agent_edit_add(struct agent *a, const char *kind, char **args, int n,
				 struct agent_reply *r)
{
	return edit_run(a, EDIT_ADD, kind, n ? args[0] : "", args, n, r);
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
	return edit_run(a, EDIT_DEL, kind, args[0], NULL, 0, r);
}

/* `backend set NAME [weight N] [state S] [max-ids N]`: its line, those values changed. */
struct agent_job *agent_edit_set(struct agent *a, const char *object __attribute__((unused)),
				 char **args, int n, struct agent_reply *r)
{
	if (n < 2) {
		agent_reply_error(r,
				  "backend set: %s (backend set NAME [weight N] [state "
				  "active|draining|down] [max-ids N] [server-id VIP N HEX]...)",
				  n ? "nothing to set" : "missing name");
		return NULL;
	}
	return edit_run(a, EDIT_SET, "backend", args[0], args + 1, n - 1, r);
}

struct agent_job *agent_reload_file(struct agent *a, const char *object, char **args, int n,
				    struct agent_reply *r)
{
	struct agent_job *job = NULL;

	(void)object, (void)args, (void)n;
	if (agent_reload(a, &job))
		agent_reply_error(r, "reload refused: the running configuration stays (see the "
				     "agent's log)");
	return job;
}

struct agent_job *agent_config_show(struct agent *a, const char *object __attribute__((unused)),
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

struct agent_job *agent_backend_undrain(struct agent *a, const char *object __attribute__((unused)),
					char **args, int n, struct agent_reply *r)
{
	return backend_state(a, args, n, "active", r);
}

/* `vip set NAME [cid-len N] [unknown P] [fragments P] [forward M] [learn on|off]
 *  [address-entry initial|handshake]` */
struct agent_job *agent_vip_set(struct agent *a, const char *object __attribute__((unused)),
				char **args, int n, struct agent_reply *r)
{
	if (n < 3 || n % 2 == 0) {
		agent_reply_error(
			r, "vip set: want NAME and OPTION VALUE pairs (vip set NAME [cid-len N] "
			   "[unknown drop|hash] [fragments drop|pass|hash] [forward encap|l2dsr] "
			   "[learn on|off] [address-entry initial|handshake])");
		return NULL;
	}
	return edit_run(a, EDIT_SET, "vip", args[0], args + 1, n - 1, r);
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
	return edit_run(a, EDIT_DEL, "quic-lb", key, NULL, 0, r);
}
