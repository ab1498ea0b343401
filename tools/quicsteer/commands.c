// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The CLI's side of the one table of commands (router/commands.h): which
 * handler runs each row, the usage lines and the completion's words.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "router/cidtab.h"
#include "router/maps.h"

/*
 * Every local row needs a handler here. A row sent to the agent needs one
 * only to check its words before sending or to read its answer its own
 * way; without, its words go to the agent as they are (cli_agent_forward).
 */
static const cli_run_fn cli_handlers[QS_CMD__COUNT] = {
	/* run here alone */
	[QS_CMD_STATS] = cli_stats_show,
	[QS_CMD_VIP_SHOW] = cli_vip_show,
	[QS_CMD_BACKEND_SHOW] = cli_backend_show,
	[QS_CMD_CID_SHOW] = cli_cid_table_show,
	[QS_CMD_CID_LOOKUP] = cli_cid_lookup,
	[QS_CMD_FLOW_SHOW] = cli_flow_table_show,
	[QS_CMD_MAGLEV_SHOW] = cli_maglev_show,
	[QS_CMD_ROUTE] = cli_route_explain,
	[QS_CMD_DECAP_SHOW] = cli_decap_show,
	[QS_CMD_DECAP_ALLOW] = cli_decap_change,
	[QS_CMD_DECAP_DEL] = cli_decap_change,
	[QS_CMD_DECAP_FLUSH] = cli_decap_flush,
	/* sent to the agent: the pins without one, its events as they come */
	[QS_CMD_STATUS] = cli_status_show,
	[QS_CMD_HEALTH] = cli_health,
	[QS_CMD_MONITOR] = cli_monitor_follow,
	/* sent to the agent once their words are checked (a usage error, exit 2) */
	[QS_CMD_ATTACH_DEV] = cli_iface_change,
	[QS_CMD_DETACH_DEV] = cli_iface_change,
	[QS_CMD_CID_ADD] = cli_table_change,
	[QS_CMD_CID_DEL] = cli_table_change,
	[QS_CMD_CID_FLUSH] = cli_table_change,
	[QS_CMD_FLOW_FLUSH] = cli_table_change,
};

/*
 * These four are here rather than in main.c: the unit tests link every
 * file of the CLI but main.c.
 */
void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("quicsteer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_pin_try(const struct cli_opts *o, const char *map)
{
	char path[PATH_MAX];

	if (o->verbose && !qs_pin_path(o->pin_dir, map, path, sizeof(path)))
		fprintf(stderr, "quicsteer: reading %s\n", path);
	return qs_pin_open(o->pin_dir, map);
}

int cli_pin_fd(const struct cli_opts *o, const char *map)
{
	char path[PATH_MAX];
	int fd = cli_pin_try(o, map);

	if (fd < 0) {
		qs_pin_path(o->pin_dir, map, path, sizeof(path));
		cli_err("%s: %s (is the router loaded with this pin directory?)", path,
			strerror(-fd));
	}
	return fd;
}

int cli_cidtab_map(const struct cli_opts *o, struct qs_cidtab *tab)
{
	int fd = cli_pin_fd(o, QS_MAP_CIDTAB), err;

	if (fd < 0)
		return fd;
	err = qs_cidtab_map_ro(tab, fd);
	close(fd); /* the mapping outlives the descriptor */
	if (err == -ENODATA)
		return 1;
	if (err)
		cli_err("%s: cannot map: %s", QS_MAP_CIDTAB, strerror(-err));
	return err;
}

cli_run_fn cli_command_handler(enum qs_cmd_id id)
{
	const struct qs_command *c = &qs_commands[id];

	if (!qs_command_on(c, QS_SIDE_CLI))
		return NULL;
	if (!cli_handlers[id] && c->where == QS_CMD_AGENT)
		return cli_agent_forward;
	return cli_handlers[id];
}

static bool cli_bound(enum qs_cmd_id id)
{
	return cli_handlers[id];
}

int cli_commands_check(char *err, size_t size)
{
	return qs_commands_check(QS_SIDE_CLI, cli_bound, err, size);
}

static void print_command(FILE *out, const struct qs_command *c)
{
	char name[64];

	fprintf(out, "  quicsteer %s%s%s\n", qs_command_name(c, name, sizeof(name)),
		c->args[0] ? " " : "", c->args);
	fprintf(out, "      %s\n", c->help);
}

void cli_commands_print(FILE *out, const char *object)
{
	for (int i = 0; i < QS_CMD__COUNT; i++)
		if (qs_command_on(&qs_commands[i], QS_SIDE_CLI) &&
		    (!object || !strcmp(qs_commands[i].object, object)))
			print_command(out, &qs_commands[i]);
}

/*
 * Not in --help: the bash completion asks for the words here, so that it
 * offers what the table has. OBJECT may be a unique prefix, as on the
 * command line; nothing is printed for an object of one word.
 */
int cli_help_words(int argc, char **argv)
{
	char words[1024], cands[512];
	const char *object = NULL;

	if (argc > 1) {
		cli_err("help words: at most one object");
		return -EINVAL;
	}
	if (argc == 1) {
		object = qs_command_match_object(QS_SIDE_CLI, argv[0], cands, sizeof(cands));
		if (!object) {
			cli_err("help words: \"%s\" is no object, or a prefix of several", argv[0]);
			return -EINVAL;
		}
	}
	qs_command_words(QS_SIDE_CLI, object, "\n", words, sizeof(words));
	if (words[0])
		printf("%s\n", words);
	return 0;
}
