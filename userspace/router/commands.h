/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The commands, OBJECT [VERB], of quicsteer(8) and of the agent's control
 * protocol (docs/control-protocol.md), in one table: the CLI's parsing,
 * --help and completion words and the agent's dispatch and "expected ..."
 * lists all come from it, as bpftool and iproute2 keep one table per object.
 *
 * The table says what a command is; each side binds its handlers to rows by
 * id (arrays indexed by enum qs_cmd_id, in tools/quicsteer/commands.c and
 * userspace/agent/control.c) and checks at start-up that every row it must
 * run has one (tests/unit/test_commands.c runs both checks).
 */
#ifndef QS_COMMANDS_H
#define QS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

/* One id per row; the table's order is --help's. */
enum qs_cmd_id {
	QS_CMD_STATUS,
	QS_CMD_HEALTH,
	QS_CMD_RELOAD,
	QS_CMD_SHOW,
	QS_CMD_ATTACH_DEV,
	QS_CMD_DETACH_DEV,
	QS_CMD_MONITOR,
	QS_CMD_STATS,
	QS_CMD_VIP_SHOW,
	QS_CMD_VIP_ADD,
	QS_CMD_VIP_SET,
	QS_CMD_VIP_DEL,
	QS_CMD_BACKEND_SHOW,
	QS_CMD_BACKEND_ADD,
	QS_CMD_BACKEND_SET,
	QS_CMD_BACKEND_DEL,
	QS_CMD_BACKEND_DRAIN,
	QS_CMD_BACKEND_UNDRAIN,
	QS_CMD_NEXTHOP_ADD,
	QS_CMD_NEXTHOP_DEL,
	QS_CMD_QUICLB_ADD,
	QS_CMD_QUICLB_DEL,
	QS_CMD_CID_SHOW,
	QS_CMD_CID_LOOKUP,
	QS_CMD_CID_ADD,
	QS_CMD_CID_DEL,
	QS_CMD_CID_FLUSH,
	QS_CMD_FLOW_SHOW,
	QS_CMD_FLOW_FLUSH,
	QS_CMD_MAGLEV_SHOW,
	QS_CMD_ROUTE,
	QS_CMD_DECAP_SHOW,
	QS_CMD_DECAP_ALLOW,
	QS_CMD_DECAP_DEL,
	QS_CMD_DECAP_FLUSH,
	QS_CMD__COUNT
};

/* Where a command runs. */
enum qs_cmd_where {
	/* in the CLI alone: the pinned maps, and the agent's show for names */
	QS_CMD_LOCAL,
	/* sent to the agent over the control socket, which carries it out */
	QS_CMD_AGENT,
	/* a request of the protocol but no command of the CLI's own: the CLI
	 * sends it for others (show, for vip show, backend show and stats) */
	QS_CMD_REQUEST,
};

/* Who may name a command: the CLI's words or the agent's requests. */
enum qs_cmd_side {
	QS_SIDE_CLI,
	QS_SIDE_AGENT,
};

struct qs_command {
	const char *object;
	const char *verb; /* NULL: the object is the whole command */
	enum qs_cmd_where where;
	unsigned int min_args; /* the CLI's usage check; the agent checks its own */
	const char *args; /* synopsis of the arguments, "" for none */
	const char *help; /* one line, for --help and the man page */
};
extern const struct qs_command qs_commands[QS_CMD__COUNT];

/* Whether side names the command: the CLI all but requests, the agent all but local ones. */
bool qs_command_on(const struct qs_command *c, enum qs_cmd_side side);

/* Whether side must run the command itself: the CLI its local ones, the agent every request. */
bool qs_command_runs_on(const struct qs_command *c, enum qs_cmd_side side);

/* "OBJECT VERB", or "OBJECT" for a whole command, into buf. Returns buf. */
const char *qs_command_name(const struct qs_command *c, char *buf, size_t size);

/*
 * A side's handlers against the table, bound saying whether it has one for
 * a row: 0 when every row it must run has one and no row it does not name
 * has one (a row marked wrongly), else -ENOENT and err names the row. Each
 * side runs it at start-up; the unit tests run both.
 */
int qs_commands_check(enum qs_cmd_side side, bool (*bound)(enum qs_cmd_id id), char *err,
		      size_t size);

/*
 * The row of exactly object and verb among side's, or -ENOENT. A whole
 * command (no verb) matches whatever verb is given: the caller decides
 * what to make of words after it.
 */
int qs_command_exact(enum qs_cmd_side side, const char *object, const char *verb);

/* Whether side has commands of object. */
bool qs_command_object_known(enum qs_cmd_side side, const char *object);

/*
 * The object word names among side's: the exact name, else the one object
 * it is a prefix of. NULL when none or several; cands then lists the
 * candidates, ", " between them (empty when none).
 */
const char *qs_command_match_object(enum qs_cmd_side side, const char *word, char *cands,
				    size_t size);

/*
 * The row of object's verb that word names, exact or unique prefix, or
 * -ENOENT (none: cands empty) or -EEXIST (several: cands lists them).
 */
int qs_command_match_verb(enum qs_cmd_side side, const char *object, const char *word, char *cands,
			  size_t size);

/*
 * side's objects (object NULL) or object's verbs, in the table's order,
 * with sep between them, into buf (truncated to size). Returns buf.
 */
const char *qs_command_words(enum qs_cmd_side side, const char *object, const char *sep, char *buf,
			     size_t size);

#endif /* QS_COMMANDS_H */
