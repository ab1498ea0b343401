/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * quicsteer, the command-line tool: shared declarations. Handlers return
 * 0 or -errno; -EINVAL means a usage error (exit 2), anything else a failed
 * operation (exit 1). Only main turns them into exit codes.
 */
#ifndef QS_CLI_H
#define QS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "router/commands.h"

struct json_object;

/* -j output: one line, "/" not escaped */
#define JSON_OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct cli_opts {
	bool json;
	int verbose;
	const char *socket_path;
	const char *pin_dir;
	bool pin_dir_set; /* --pin-dir given: decap's maps are looked for there too */
	int timeout_s; /* for the agent's answer; --timeout */
	bool timeout_set; /* --timeout given (health has its own default) */
};

#define CLI_TIMEOUT_DEFAULT_S 10

/*
 * A command's handler: the words after OBJECT [VERB]. Handlers are bound
 * to the rows of the one table (router/commands.h) in commands.c.
 */
typedef int (*cli_run_fn)(const struct cli_opts *o, const struct qs_command *c, int argc,
			  char **argv);

/* commands.c */
/* The handler of row id, NULL for a row the CLI offers no command for. */
cli_run_fn cli_command_handler(enum qs_cmd_id id);
/* 0 when every row the CLI must run has a handler, else -ENOENT and err says which. */
int cli_commands_check(char *err, size_t size);
/* The usage lines of every command, or of object's. */
void cli_commands_print(FILE *out, const char *object);
/* help words [OBJECT]: the completion's words (objects, or object's verbs), one a line. */
int cli_help_words(int argc, char **argv);

/* control.c */
int cli_agent_request(const struct cli_opts *o, const char *req, struct json_object **answer);
int cli_agent_forward(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_agent_show_text(const struct cli_opts *o, char **text, bool quiet);
int cli_status_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_iface_change(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_table_change(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_agent_connect(const struct cli_opts *o);
/* "agent not running (PATH: why)" or "agent at PATH did not answer ...", for err */
const char *cli_agent_absent(const struct cli_opts *o, int err);
const char *cli_answer_error(struct json_object *ans);
void cli_verbose_answer(const struct cli_opts *o, const char *text);

/* health.c */
#define CLI_HEALTH_REASON_MAX 512
#define CLI_HEALTH_MAX_ARGS 32
int cli_health(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
/*
 * The router's program id on ifname (on any interface: NULL), 0 if it is
 * not attached: the kernel's answer, or a test's.
 */
typedef __u32 (*cli_router_on_fn)(void *ctx, const char *ifname);
/*
 * The checks on the agent's status answer (NULL when it gave none:
 * no_answer says why) and on the attachments: {"healthy", "reasons": [...
 * every failed check's ...], "agent", "ready", "synced", "sync",
 * "interfaces": [{"name", "prog_id"}]}.
 */
struct json_object *cli_health_judge(struct json_object *status, const char *no_answer,
				     cli_router_on_fn on, void *ctx);
bool cli_health_ok(struct json_object *verdict);
/* "healthy", or "unhealthy: " and every reason, "; " between them, into buf. */
const char *cli_health_line(struct json_object *verdict, char *buf, size_t size);
/*
 * --watch's state: up after rise healthy checks in a row, down after fall
 * failed ones (HAProxy's and keepalived's habit). It starts down with its
 * command pending, so that --down runs before the first check.
 */
struct cli_health_watch {
	unsigned int rise, fall;
	bool up; /* what the watcher announces */
	unsigned int run; /* checks in a row that disagree with it */
	bool pending; /* the state's command has not succeeded yet: the caller clears it */
};
void cli_health_watch_init(struct cli_health_watch *w, unsigned int rise, unsigned int fall);
/* One check's result; true when it changed the state (pending is then set). */
bool cli_health_watch_step(struct cli_health_watch *w, bool healthy);

/* monitor.c */
int cli_monitor_follow(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);

/* status.c */
int cli_status_from_pins(const struct cli_opts *o);
void cli_status_print(struct json_object *st);

/* show.c */
struct qs_config;
int cli_agent_config(const struct cli_opts *o, struct qs_config **cfg);
int cli_vip_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_backend_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);

/* stats.c */
int cli_stats_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);

/*
 * main.c: the pinned map's fd (router/maps.h: qs_pin_open), or -errno;
 * cli_pin_fd says why, cli_pin_try (a probe) does not. With -v, both say
 * which pin they read.
 */
int cli_pin_fd(const struct cli_opts *o, const char *map);
int cli_pin_try(const struct cli_opts *o, const char *map);
/*
 * qs_cidtab mapped read-only from its pin into *tab (qs_cidtab_unmap):
 * 0; 1 when no agent has made the table yet (it holds no ID; nothing to
 * unmap); -errno, said.
 */
struct qs_cidtab;
int cli_cidtab_map(const struct cli_opts *o, struct qs_cidtab *tab);

/* route.c, tables.c */
int cli_route_explain(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_cid_table_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_cid_lookup(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_flow_table_show(const struct cli_opts *o, const struct qs_command *c, int argc,
			char **argv);
int cli_maglev_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);

/* decap.c: decap.bpf.o's pins on a backend (no agent) */
int cli_decap_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_decap_change(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);
int cli_decap_flush(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv);

/* Errors: "quicsteer: " and the message, on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* QS_CLI_H */
