// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The one table of commands (router/commands.h): its rows are whole and
 * distinct, each side has a handler for every row it must run, and the
 * CLI's unique prefixes and the agent's exact words each name one row.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "router/commands.h"
#include "agent/agent.h"
#include "cli.h" /* tools/quicsteer/: the CLI's handlers (Makefile) */

static const char *name(const struct qs_command *c, char *buf, size_t size)
{
	return qs_command_name(c, buf, size);
}

static bool same_verb(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

Test(commands, every_row_is_whole)
{
	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		cr_assert(c->object && c->object[0], "command %d: not in the table", i);
		cr_assert(c->args && c->help && c->help[0], "command %d (%s): args or help missing",
			  i, c->object);
		cr_assert(c->where == QS_CMD_LOCAL || c->where == QS_CMD_AGENT ||
				  c->where == QS_CMD_REQUEST,
			  "command %d (%s): where %d", i, c->object, c->where);
	}
}

/*
 * No (object, verb) twice, and an object of one word has no verbs: the
 * CLI and the agent would each pick the first and never reach the other.
 */
Test(commands, no_row_twice)
{
	char a[64], b[64];

	for (int i = 0; i < QS_CMD__COUNT; i++) {
		for (int k = i + 1; k < QS_CMD__COUNT; k++) {
			const struct qs_command *c = &qs_commands[i], *d = &qs_commands[k];

			if (strcmp(c->object, d->object))
				continue;
			cr_assert(!same_verb(c->verb, d->verb), "%s: rows %d and %d",
				  name(c, a, sizeof(a)), i, k);
			cr_assert(c->verb && d->verb, "%s and %s: a command of one word has verbs",
				  name(c, a, sizeof(a)), name(d, b, sizeof(b)));
		}
	}
}

/* "help" and "OBJECT help" are the CLI's own words. */
Test(commands, help_is_no_command)
{
	for (int i = 0; i < QS_CMD__COUNT; i++) {
		cr_assert_str_neq(qs_commands[i].object, "help");
		cr_assert(!same_verb(qs_commands[i].verb, "help"), "%s help",
			  qs_commands[i].object);
	}
}

Test(commands, every_agent_row_has_its_handler)
{
	char err[160];

	cr_assert_eq(agent_commands_check(err, sizeof(err)), 0, "%s", err);
}

Test(commands, every_cli_row_has_its_handler)
{
	char err[160], n[64];

	cr_assert_eq(cli_commands_check(err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (qs_command_on(c, QS_SIDE_CLI))
			cr_assert(cli_command_handler(i), "%s: no handler in the CLI",
				  name(c, n, sizeof(n)));
		else
			cr_assert_null(cli_command_handler(i), "%s: the CLI has no such command",
				       name(c, n, sizeof(n)));
	}
}

/* Bindings the checks see: the side's rows but one, or every row. */
static enum qs_cmd_side fake_side;
static int unbound_row;

static bool side_but_one(enum qs_cmd_id id)
{
	return (int)id != unbound_row && qs_command_on(&qs_commands[id], fake_side);
}

static bool every_row(enum qs_cmd_id id)
{
	(void)id;
	return true;
}

static int check_without(enum qs_cmd_side side, int row, char *err, size_t size)
{
	fake_side = side;
	unbound_row = row;
	return qs_commands_check(side, side_but_one, err, size);
}

/* A gap or a stray binding is what the start-up checks refuse, naming the row. */
Test(commands, the_check_names_a_missing_or_stray_handler)
{
	char err[160];

	cr_assert_eq(check_without(QS_SIDE_CLI, -1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check_without(QS_SIDE_AGENT, -1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check_without(QS_SIDE_CLI, QS_CMD_ROUTE, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "route: the CLI runs it, but has no handler for it");
	cr_assert_eq(check_without(QS_SIDE_AGENT, QS_CMD_BACKEND_DRAIN, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "backend drain: the agent runs it, but has no handler for it");
	/* the CLI needs none for a request: without one its words are sent as they are */
	cr_assert_eq(check_without(QS_SIDE_CLI, QS_CMD_BACKEND_DRAIN, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(qs_commands_check(QS_SIDE_CLI, every_row, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "show: a handler in the CLI, which has no such command");
	cr_assert_eq(qs_commands_check(QS_SIDE_AGENT, every_row, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "health: a handler in the agent, which has no such command");
}

/*
 * Every word resolves to itself, and none is a prefix of another at its
 * level: such a word could be typed only in full, and each of its prefixes
 * would be ambiguous.
 */
Test(commands, cli_prefixes_name_one_row)
{
	char cands[512], n[64];

	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (!qs_command_on(c, QS_SIDE_CLI))
			continue;
		cr_assert_str_eq(
			qs_command_match_object(QS_SIDE_CLI, c->object, cands, sizeof(cands)) ?:
				"(none)",
			c->object);
		if (c->verb)
			cr_assert_eq(qs_command_match_verb(QS_SIDE_CLI, c->object, c->verb, cands,
							   sizeof(cands)),
				     i, "%s: got %s", name(c, n, sizeof(n)), cands);
		for (int k = 0; k < QS_CMD__COUNT; k++) {
			const struct qs_command *d = &qs_commands[k];

			if (!qs_command_on(d, QS_SIDE_CLI))
				continue;
			if (strcmp(c->object, d->object))
				cr_assert(strncmp(d->object, c->object, strlen(c->object)),
					  "object %s is a prefix of %s", c->object, d->object);
			else if (k != i && c->verb && d->verb)
				cr_assert(strncmp(d->verb, c->verb, strlen(c->verb)),
					  "%s: verb %s is a prefix of %s", c->object, c->verb,
					  d->verb);
		}
	}
}

Test(commands, cli_prefixes_resolve_or_name_the_candidates)
{
	char cands[512];

	cr_assert_str_eq(qs_command_match_object(QS_SIDE_CLI, "b", cands, sizeof(cands)),
			 "backend");
	cr_assert_eq(qs_command_match_verb(QS_SIDE_CLI, "backend", "sh", cands, sizeof(cands)),
		     QS_CMD_BACKEND_SHOW);
	cr_assert_eq(qs_command_match_verb(QS_SIDE_CLI, "backend", "und", cands, sizeof(cands)),
		     QS_CMD_BACKEND_UNDRAIN);
	cr_assert_null(qs_command_match_object(QS_SIDE_CLI, "st", cands, sizeof(cands)));
	cr_assert_str_eq(cands, "status, stats");
	cr_assert_eq(qs_command_match_verb(QS_SIDE_CLI, "vip", "s", cands, sizeof(cands)), -EEXIST);
	cr_assert_str_eq(cands, "show, set");
	cr_assert_null(qs_command_match_object(QS_SIDE_CLI, "frob", cands, sizeof(cands)));
	cr_assert_str_eq(cands, "");
	/* show is a request the CLI sends, not one of its commands */
	cr_assert_null(qs_command_match_object(QS_SIDE_CLI, "show", cands, sizeof(cands)));
	cr_assert_eq(qs_command_match_verb(QS_SIDE_CLI, "cid", "frob", cands, sizeof(cands)),
		     -ENOENT);
}

/* The agent takes whole words only, and every row it serves by them. */
Test(commands, agent_words_name_one_row)
{
	char n[64];

	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];
		int id = qs_command_exact(QS_SIDE_AGENT, c->object, c->verb);

		if (qs_command_on(c, QS_SIDE_AGENT))
			cr_assert_eq(id, i, "%s: got row %d", name(c, n, sizeof(n)), id);
		else
			cr_assert_neq(id, i, "%s: the agent serves a local command",
				      name(c, n, sizeof(n)));
	}
	cr_assert_eq(qs_command_exact(QS_SIDE_AGENT, "backend", "dr"), -ENOENT);
	cr_assert_eq(qs_command_exact(QS_SIDE_AGENT, "b", "drain"), -ENOENT);
	cr_assert_eq(qs_command_exact(QS_SIDE_AGENT, "vip", "show"), -ENOENT);
	cr_assert_eq(qs_command_exact(QS_SIDE_AGENT, "route", NULL), -ENOENT);
}

/* What the agent's "expected ..." and the completion's words say. */
Test(commands, words_in_table_order)
{
	char buf[512];

	cr_assert_str_eq(qs_command_words(QS_SIDE_AGENT, NULL, ", ", buf, sizeof(buf)),
			 "status, reload, show, attach, detach, monitor, vip, backend, nexthop, "
			 "quic-lb, cid, flow");
	cr_assert_str_eq(qs_command_words(QS_SIDE_AGENT, "backend", ", ", buf, sizeof(buf)),
			 "add, set, del, drain, undrain");
	cr_assert_str_eq(qs_command_words(QS_SIDE_CLI, NULL, " ", buf, sizeof(buf)),
			 "status health reload attach detach monitor stats vip backend nexthop "
			 "quic-lb cid flow maglev route decap");
	/* the agent never names decap: no agent runs where it does */
	cr_assert_str_eq(qs_command_words(QS_SIDE_CLI, "decap", " ", buf, sizeof(buf)),
			 "show allow del flush");
	cr_assert_str_eq(qs_command_words(QS_SIDE_CLI, "cid", " ", buf, sizeof(buf)),
			 "show lookup add del flush");
	cr_assert_str_eq(qs_command_words(QS_SIDE_CLI, "route", " ", buf, sizeof(buf)), "");
	/* a short buffer is cut, never overrun */
	cr_assert_str_eq(qs_command_words(QS_SIDE_CLI, NULL, " ", buf, 10), "status he");
}
