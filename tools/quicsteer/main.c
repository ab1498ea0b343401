// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * quicsteer OBJECT VERB [ARGS]: the operator's tool. Changes go to the
 * agent over its control socket; show commands read the agent's
 * configuration or, without an agent, the pinned maps.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "config/config.h"
#include "router/decap.h"
#include "router/maps.h"
#include "util/options.h"
#include "util/words.h"

#define BATCH_MAX_WORDS 128

/*
 * The options: getopt_long's tables and the --help lines both come from
 * this one. Vals of 256 and over have no short form.
 */
enum { OPT_SOCKET = 256, OPT_PIN_DIR, OPT_BATCH, OPT_TIMEOUT };

static const struct qs_option cli_options[] = {
	{ { "json", no_argument, NULL, 'j' },
	  NULL,
	  "print JSON (show commands, status, stats, changes, monitor)" },
	{ { "socket", required_argument, NULL, OPT_SOCKET },
	  "PATH",
	  "agent's control socket (" QS_CONFIG_DEFAULT_CONTROL_SOCKET ")" },
	{ { "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	  "DIR",
	  "pinned maps (" QS_CONFIG_DEFAULT_PIN_DIR "; decap: " QS_DECAP_PIN_DIR_IP
	  ", where ip pins them)" },
	{ { "timeout", required_argument, NULL, OPT_TIMEOUT },
	  "SECONDS",
	  "wait at most this long for the agent's answer (10; health: 1)" },
	{ { "verbose", no_argument, NULL, 'v' },
	  NULL,
	  "requests to the agent, its raw answers and pins read, on stderr" },
	{ { "help", no_argument, NULL, 'h' },
	  NULL,
	  "this help; OBJECT help: one object's commands" },
	{ { "batch", required_argument, NULL, OPT_BATCH },
	  "FILE",
	  "(also -batch) run the commands of FILE, one a line; stop at the first failure" },
};
#define N_CLI_OPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

static void usage(FILE *out, const char *object)
{
	fprintf(out, "Usage: quicsteer [OPTIONS] OBJECT VERB [ARGS]\n"
		     "       quicsteer [OPTIONS] -batch FILE\n"
		     "Objects and verbs may be abbreviated to a unique prefix.\n\nCommands:\n");
	cli_commands_print(out, object);
	if (object)
		return;
	fprintf(out, "\nOptions:\n");
	qs_options_list(out, cli_options, N_CLI_OPTIONS);
	fprintf(out, "\nExit status: 0 success, 1 failed operation, 2 usage error.\n");
}

/* The row of object's verb argv[0] names (a unique prefix), or -EINVAL after saying why. */
static int resolve_verb(const char *object, int argc, char **argv)
{
	char cands[512];
	int id;

	if (argc < 1) {
		cli_err("%s: missing verb (expected %s)", object,
			qs_command_words(QS_SIDE_CLI, object, ", ", cands, sizeof(cands)));
		return -EINVAL;
	}
	id = qs_command_match_verb(QS_SIDE_CLI, object, argv[0], cands, sizeof(cands));
	if (id == -EEXIST)
		cli_err("%s: \"%s\" is ambiguous: %s", object, argv[0], cands);
	else if (id < 0)
		cli_err("%s: unknown verb \"%s\" (expected %s)", object, argv[0],
			qs_command_words(QS_SIDE_CLI, object, ", ", cands, sizeof(cands)));
	return id < 0 ? -EINVAL : id;
}

static int run_words(const struct cli_opts *o, int argc, char **argv)
{
	const struct qs_command *c;
	const char *object;
	char cands[512];
	int whole, id;

	if (argc < 1) {
		cli_err("missing object (try quicsteer --help)");
		return -EINVAL;
	}
	if (!strcmp(argv[0], "help")) {
		if (argc > 1 && !strcmp(argv[1], "words"))
			return cli_help_words(argc - 2, argv + 2);
		usage(stdout, NULL);
		return 0;
	}
	object = qs_command_match_object(QS_SIDE_CLI, argv[0], cands, sizeof(cands));
	if (!object) {
		if (cands[0])
			cli_err("\"%s\" is ambiguous: %s", argv[0], cands);
		else
			cli_err("unknown object \"%s\" (try quicsteer --help)", argv[0]);
		return -EINVAL;
	}
	argc--, argv++;
	whole = qs_command_exact(QS_SIDE_CLI, object, NULL); /* a command of one word */
	if (whole < 0 && argc && !strcmp(argv[0], "help")) {
		usage(stdout, object);
		return 0;
	}
	id = whole >= 0 ? whole : resolve_verb(object, argc, argv);
	if (id < 0)
		return id;
	c = &qs_commands[id];
	if (c->verb)
		argc--, argv++;
	if (argc < (int)c->min_args) {
		qs_command_name(c, cands, sizeof(cands));
		cli_err("%s: missing argument (%s %s)", cands, cands, c->args);
		return -EINVAL;
	}
	return cli_command_handler(id)(o, c, argc, argv);
}

/* Splits line into words at spaces and tabs; '#' starts a comment. */
static int split_words(char *line, char **words, int max)
{
	int n = 0;

	for (char *w = strtok(line, " \t\r\n"); w && w[0] != '#'; w = strtok(NULL, " \t\r\n")) {
		if (n == max)
			return -E2BIG;
		words[n++] = w;
	}
	return n;
}

static int run_batch(const struct cli_opts *o, const char *path)
{
	char *words[BATCH_MAX_WORDS];
	char line[QS_CONFIG_LINE_MAX];
	unsigned int lineno = 0;
	int n, err = 0;
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		err = -errno;
		cli_err("batch %s: %s", path, strerror(-err));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		n = split_words(line, words, BATCH_MAX_WORDS);
		if (n == 0)
			continue;
		err = n < 0 ? n : run_words(o, n, words);
		if (err) {
			cli_err("batch %s: command failed at line %u", path, lineno);
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	return err;
}

/* ip's single-dash "-batch" and "-json" are accepted as their long forms. */
static void long_single_dash(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-batch"))
			argv[i] = "--batch";
		else if (!strcmp(argv[i], "-json"))
			argv[i] = "--json";
		for (size_t k = 0; k < N_CLI_OPTIONS; k++)
			if (cli_options[k].opt.has_arg && !strncmp(argv[i], "--", 2) &&
			    !strcmp(argv[i] + 2, cli_options[k].opt.name))
				i++; /* skip the option's argument */
	}
}

/* --timeout: whole seconds, 1..3600. */
static int parse_timeout(const char *text, int *seconds)
{
	__u64 v;

	if (qs_parse_u64_range(text, 1, 3600, &v)) {
		cli_err("--timeout \"%s\": expected whole seconds, 1 to 3600", text);
		return -EINVAL;
	}
	*seconds = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_opts o = { .socket_path = QS_CONFIG_DEFAULT_CONTROL_SOCKET,
			      .pin_dir = QS_CONFIG_DEFAULT_PIN_DIR,
			      .timeout_s = CLI_TIMEOUT_DEFAULT_S };
	struct option long_opts[N_CLI_OPTIONS + 1];
	char short_opts[2 * N_CLI_OPTIONS + 2] = "+";
	const char *batch = NULL;
	char why[160];
	int opt, err;

	/* a row without its handler is this build's fault: refuse it whole, not one command */
	if (cli_commands_check(why, sizeof(why))) {
		cli_err("built wrong: %s", why);
		return 1;
	}
	qs_options_getopt(cli_options, N_CLI_OPTIONS, long_opts, short_opts + 1);
	long_single_dash(argc, argv);
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o.json = true;
			break;
		case OPT_SOCKET:
			o.socket_path = optarg;
			break;
		case OPT_PIN_DIR:
			o.pin_dir = optarg;
			o.pin_dir_set = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &o.timeout_s))
				return 2;
			o.timeout_set = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case OPT_BATCH:
			batch = optarg;
			break;
		case 'h':
			usage(stdout, NULL);
			return 0;
		default:
			usage(stderr, NULL);
			return 2;
		}
	}
	if (batch && optind < argc) {
		cli_err("-batch takes no command after it");
		return 2;
	}
	err = batch ? run_batch(&o, batch) : run_words(&o, argc - optind, argv + optind);
	if (err == -EINVAL)
		return 2;
	return err ? 1 : 0;
}
