// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the control protocol's requests
 * (docs/control-protocol.md). The agent's reading of a request
 * (userspace/agent/control.c: the version word, the split into words, the
 * dispatch) is bound to a running agent, so this target runs the same steps
 * on what is separable: the command table's matching (router/commands.c,
 * the agent's exact words and the CLI's prefixes), the table arguments of
 * cid and flow commands (router/tableargs.c), and the configuration edits
 * that vip, backend, nexthop and quic-lb add, del and set make of the
 * running configuration's text (config/config_edit.c), whose result the
 * agent parses and installs whole.
 *
 * Input: the request message up to the first newline; after it, the
 * running configuration. The agent's running text is always what
 * qs_config_write makes, so the rest is parsed and written first (a
 * built-in configuration stands in when it does not parse).
 *
 * Checked: the matches name rows of the words given; messages are
 * terminated within their buffers; parsed ids and IDs lie in their ranges;
 * an edit keeps every line it does not touch byte for byte (add appends
 * one line, del removes the found one, set rewrites that line alone); an
 * edited text that parses goes through config_roundtrip.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config_edit.h"
#include "router/commands.h"
#include "router/tableargs.h"
#include "config_roundtrip.h"

#define CONTROL_VERSION "v1"
#define CONTROL_MAX_REQUEST 4096 /* control.c */
#define CONTROL_MAX_WORDS 128 /* control.c */
#define REPLY_ERROR_MAX 700 /* agent.h's AGENT_REPLY_ERROR_MAX: the agent's buffer */

static const char base_config[] =
	"vip web 192.0.2.10 443 cid-len 8 unknown drop learn on\n"
	"vip web6 2001:db8::10 443\n"
	"quic-lb web config 0 mode plaintext server-id-len 2 nonce-len 6\n"
	"nexthop core dev eth0 gateway 192.0.2.1 encap-source4 192.0.2.32/28 encap-source6 "
	"2001:db8:0:1::\n"
	"backend web-1 10.0.0.11 id 1 vip web weight 100 server-id web 0 0001\n"
	"backend web6-1 2001:db8:1::11 id 3 vip web6 vip web\n";

static char *base_text;

static void terminated(const char *buf, size_t size, const char *what)
{
	fuzz_check(memchr(buf, 0, size) != NULL, what);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The running text: the rest of the input as the agent would write it. */
static char *running_text(const uint8_t *data, size_t size)
{
	struct qs_config_error err;
	struct qs_config *cfg = NULL;
	size_t len;
	char *text;

	if (qs_config_parse_buf("running", (const char *)data, size, 0, &cfg, &err))
		return strdup(base_text);
	text = config_text(cfg, &len);
	qs_config_free(cfg);
	return text;
}

/* The edited text, installed as the agent installs it. */
static void install(const char *next)
{
	struct qs_config_error err;
	struct qs_config *cfg = NULL;

	if (qs_config_parse_string("control", next, &cfg, &err)) {
		config_error_check(&err, next, strlen(next));
		return;
	}
	config_roundtrip(cfg, 0);
	qs_config_free(cfg);
}

static void edit_add(const char *text, const char *kind, char *const *words, int n)
{
	struct qs_config_error err = { 0 };
	size_t tl = strlen(text), at;
	char *next = NULL, *line;
	int r = qs_config_edit_add(text, kind, words, n, &next, &err);

	if (r) {
		fuzz_check(!next && (r == -EINVAL || r == -ENOMEM), "add: a refusal");
		terminated(err.msg, sizeof(err.msg), "add: an unterminated message");
		return;
	}
	/* the text, a newline if it lacked one, then KIND WORDS... */
	fuzz_check(!strncmp(next, text, tl), "add: the text before the new line changed");
	at = tl + (tl && text[tl - 1] != '\n');
	line = next + at;
	fuzz_check(starts_with(line, kind), "add: the new line does not start with its kind");
	line += strlen(kind);
	for (int i = 0; i < n; i++) {
		fuzz_check(*line == ' ' && starts_with(line + 1, words[i]),
			   "add: the new line's words are not the request's");
		line += 1 + strlen(words[i]);
	}
	fuzz_check(!strcmp(line, "\n"), "add: the new line does not end the text");
	install(next);
	free(next);
}

static void edit_del(const char *text, const char *kind, const char *name)
{
	struct qs_config_error err = { 0 };
	size_t start, len, next_off;
	char *next = NULL;
	int found = qs_config_edit_find(text, kind, name, &start, &len);
	int r = qs_config_edit_del(text, kind, name, &next, &err);

	fuzz_check(!found == !r, "del: finds and deletes disagree");
	if (r) {
		fuzz_check(!next && r == -ENOENT, "del: a refusal");
		terminated(err.msg, sizeof(err.msg), "del: an unterminated message");
		return;
	}
	next_off = start + len + (text[start + len] == '\n');
	fuzz_check(!strncmp(next, text, start) && !strcmp(next + start, text + next_off),
		   "del: more than the statement's line changed");
	install(next);
	free(next);
}

static void edit_set(const char *text, const char *kind, const char *name, char *const *pairs,
		     int n)
{
	struct qs_config_error err = { 0 };
	size_t start, len, tail;
	char *next = NULL;
	int r = qs_config_edit_set(text, kind, name, pairs, n, &next, &err);

	if (r) {
		fuzz_check(!next && (r == -EINVAL || r == -ENOENT || r == -ENOMEM),
			   "set: a refusal");
		terminated(err.msg, sizeof(err.msg), "set: an unterminated message");
		return;
	}
	fuzz_check(!qs_config_edit_find(text, kind, name, &start, &len), "set: of no line");
	tail = strlen(text + start + len);
	fuzz_check(!strncmp(next, text, start) && strlen(next) >= start + tail &&
			   !strcmp(next + strlen(next) - tail, text + start + len),
		   "set: more than the statement's line changed");
	install(next);
	free(next);
}

static void table_args(int id, char **args, int n)
{
	char err[REPLY_ERROR_MAX];
	struct qs_table_filter f;
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip_id, backend_id;
	size_t len;

	err[0] = 0;
	switch (id) {
	case QS_CMD_CID_SHOW:
	case QS_CMD_CID_FLUSH:
	case QS_CMD_FLOW_SHOW:
	case QS_CMD_FLOW_FLUSH:
		if (!qs_table_filter_parse(n, args, id == QS_CMD_CID_SHOW || id == QS_CMD_CID_FLUSH,
					   &f, err, sizeof(err)))
			fuzz_check(f.vip_id <= QS_MAX_VIPS && f.backend_id < QS_MAX_BACKENDS &&
					   f.kinds && !(f.kinds & ~QS_TF_ALL),
				   "a table filter out of range");
		break;
	case QS_CMD_CID_LOOKUP:
	case QS_CMD_CID_DEL:
	case QS_CMD_CID_ADD:
		if (n >= 2 &&
		    !qs_table_cid_parse(args[0], args[1], &vip_id, cid, &len, err, sizeof(err)))
			fuzz_check(vip_id < QS_MAX_VIPS && len >= 1 && len <= QS_CID_MAX_LEN,
				   "a connection ID out of range");
		if (n >= 4 && !qs_table_backend_parse(args[3], &backend_id, err, sizeof(err)))
			fuzz_check(backend_id >= 1 && backend_id < QS_MAX_BACKENDS,
				   "a backend id out of range");
		break;
	default:
		return;
	}
	terminated(err, sizeof(err), "a table argument's message unterminated");
}

/* What the agent's handler of row id does with its words that is pure. */
static void run_row(int id, const char *object, char **args, int n, const char *text)
{
	static char *const drain[] = { "state", "draining" }, *const undrain[] = { "state",
										   "active" };
	char key[REPLY_ERROR_MAX];
	enum qs_xdp_mode mode;

	switch (id) {
	case QS_CMD_VIP_ADD:
	case QS_CMD_BACKEND_ADD:
	case QS_CMD_NEXTHOP_ADD:
	case QS_CMD_QUICLB_ADD:
		edit_add(text, object, args, n);
		break;
	case QS_CMD_VIP_DEL:
	case QS_CMD_BACKEND_DEL:
	case QS_CMD_NEXTHOP_DEL:
		if (n == 1)
			edit_del(text, object, args[0]);
		break;
	case QS_CMD_QUICLB_DEL:
		if (n == 2) {
			snprintf(key, sizeof(key), "%s config %s", args[0], args[1]);
			edit_del(text, "quic-lb", key);
		}
		break;
	case QS_CMD_BACKEND_SET:
		if (n >= 2)
			edit_set(text, "backend", args[0], args + 1, n - 1);
		break;
	case QS_CMD_BACKEND_DRAIN:
	case QS_CMD_BACKEND_UNDRAIN:
		if (n == 1)
			edit_set(text, "backend", args[0],
				 id == QS_CMD_BACKEND_DRAIN ? drain : undrain, 2);
		break;
	case QS_CMD_VIP_SET:
		if (n >= 3 && n % 2)
			edit_set(text, "vip", args[0], args + 1, n - 1);
		break;
	case QS_CMD_ATTACH_DEV:
	case QS_CMD_DETACH_DEV:
		if (n >= 1 && !qs_config_ifname_problem(args[0]) && n == 3)
			qs_xdp_mode_parse(args[2], &mode);
		break;
	default:
		table_args(id, args, n);
		break;
	}
}

/* dispatch() of control.c: the agent's words match exactly. */
static void agent_dispatch(char **w, int n, const char *text)
{
	char list[256];
	const struct qs_command *c;
	int id;

	if (!n) {
		qs_command_words(QS_SIDE_AGENT, NULL, ", ", list, sizeof(list));
		terminated(list, sizeof(list), "the command list unterminated");
		return;
	}
	id = qs_command_exact(QS_SIDE_AGENT, w[0], n > 1 ? w[1] : NULL);
	if (id < 0) {
		fuzz_check(id == -ENOENT, "qs_command_exact: neither a row nor -ENOENT");
		qs_command_words(QS_SIDE_AGENT,
				 qs_command_object_known(QS_SIDE_AGENT, w[0]) ? w[0] : NULL, ", ",
				 list, sizeof(list));
		terminated(list, sizeof(list), "the verb list unterminated");
		return;
	}
	fuzz_check(id < QS_CMD__COUNT, "qs_command_exact: past the table");
	c = &qs_commands[id];
	fuzz_check(qs_command_on(c, QS_SIDE_AGENT) && !strcmp(c->object, w[0]) &&
			   (!c->verb || (n > 1 && !strcmp(c->verb, w[1]))),
		   "qs_command_exact: a row of other words");
	if (!c->verb && n > 1)
		return;
	run_row(id, c->object, w + (c->verb ? 2 : 1), n - (c->verb ? 2 : 1), text);
}

/* The CLI's reading of the same words: unique prefixes of objects and verbs. */
static void cli_match(char **w, int n)
{
	char cands[64]; /* small: the candidate list is cut, never overrun */
	const char *object = qs_command_match_object(QS_SIDE_CLI, w[0], cands, sizeof(cands));
	int id;

	terminated(cands, sizeof(cands), "object candidates unterminated");
	if (!object)
		return;
	fuzz_check(qs_command_object_known(QS_SIDE_CLI, object) && starts_with(object, w[0]),
		   "qs_command_match_object: an object the word is no prefix of");
	if (n < 2)
		return;
	id = qs_command_match_verb(QS_SIDE_CLI, object, w[1], cands, sizeof(cands));
	terminated(cands, sizeof(cands), "verb candidates unterminated");
	if (id == -EEXIST) {
		fuzz_check(strstr(cands, ", ") || strlen(cands) == sizeof(cands) - 1,
			   "qs_command_match_verb: several, one listed");
		return;
	}
	if (id < 0) {
		fuzz_check(id == -ENOENT,
			   "qs_command_match_verb: neither a row, -ENOENT nor -EEXIST");
		return;
	}
	fuzz_check(id < QS_CMD__COUNT && qs_command_on(&qs_commands[id], QS_SIDE_CLI) &&
			   !strcmp(qs_commands[id].object, object) && qs_commands[id].verb &&
			   starts_with(qs_commands[id].verb, w[1]),
		   "qs_command_match_verb: a row of another verb");
	table_args(id, w + 2, n - 2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct qs_config_error err;
	struct qs_config *cfg = NULL;
	size_t len;

	(void)argc, (void)argv;
	if (qs_config_parse_string("base", base_config, &cfg, &err)) {
		fprintf(stderr, "fuzz_control: the built-in configuration: %u: %s\n", err.line,
			err.msg);
		exit(1);
	}
	base_text = config_text(cfg, &len);
	qs_config_free(cfg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t req_len = nl ? (size_t)(nl - data) : size;
	char req[CONTROL_MAX_REQUEST + 1], *words[CONTROL_MAX_WORDS], *save, *w, *text;
	int n = 0;

	if (req_len > CONTROL_MAX_REQUEST)
		req_len = CONTROL_MAX_REQUEST;
	memcpy(req, data, req_len);
	req[req_len] = 0;
	/* handle() of control.c */
	if (strncmp(req, CONTROL_VERSION " ", 3))
		return 0;
	for (w = strtok_r(req + 3, " \t\r\n", &save); w && n < CONTROL_MAX_WORDS;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[n++] = w;
	if (w)
		return 0;
	text = nl ? running_text(nl + 1, size - (nl + 1 - data)) : strdup(base_text);
	fuzz_check(text != NULL, "strdup");
	agent_dispatch(words, n, text);
	if (n)
		cli_match(words, n);
	free(text);
	return 0;
}
