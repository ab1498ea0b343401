// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * quicsteer OBJECT VERB [ARGS]: the operator's tool. Changes go to the
 * agent over its control socket; show commands read the agent's
 * configuration or, without an agent, the pinned maps.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "config/config.h"
#include "util/options.h"
#include "util/words.h"

#define BATCH_MAX_WORDS 128

static const struct cli_cmd commands[] = {
	{ "status", NULL, "", 0, cli_run_status,
	  "the agent, the router's program, attachments and table occupancy" },
	{ "reload", NULL, "", 0, cli_run_change, "read the configuration file again" },
	{ "attach", "dev", "IFNAME [mode native|generic]", 1, cli_run_iface,
	  "attach the router to an interface (native mode unless told)" },
	{ "detach", "dev", "IFNAME", 1, cli_run_iface, "detach the router from an interface" },
	{ "monitor", NULL, "", 0, cli_run_monitor,
	  "the router's events and the report intake, as they happen, until interrupted" },
	{ "stats", NULL, "[-w]", 0, cli_run_stats, "counters per reason, VIP and backend" },
	{ "vip", "show", "[NAME]", 0, cli_run_vip_show, "list VIPs" },
	{ "vip", "add",
	  "NAME ADDRESS PORT [id N] [cid-len N] [unknown drop|hash] "
	  "[fragments drop|pass|hash] [forward encap|l2dsr] [learn on|off]",
	  3, cli_run_change, "add a VIP" },
	{ "vip", "set",
	  "NAME [cid-len N] [unknown drop|hash] [fragments drop|pass|hash] "
	  "[forward encap|l2dsr] [learn on|off]",
	  2, cli_run_change, "change a VIP's options" },
	{ "vip", "del", "NAME", 1, cli_run_change, "remove a VIP" },
	{ "backend", "show", "[NAME]", 0, cli_run_backend_show, "list backends" },
	{ "backend", "add",
	  "NAME ADDRESS id N [vip VIP] [weight N] [state STATE] "
	  "[nexthop NAME] [lladdr MAC] [server-id VIP N HEX] [key-file FILE]",
	  4, cli_run_change, "add a backend" },
	{ "backend", "set", "NAME [weight N] [state active|draining|down]", 2, cli_run_change,
	  "change a backend's weight or state" },
	{ "backend", "del", "NAME", 1, cli_run_change, "remove a backend" },
	{ "backend", "drain", "NAME", 1, cli_run_change, "no new connections to a backend" },
	{ "backend", "undrain", "NAME", 1, cli_run_change, "make a backend active again" },
	{ "nexthop", "add",
	  "NAME dev IFNAME [gateway ADDRESS] [lladdr MAC] "
	  "[encap-source4 PREFIX] [encap-source6 ADDRESS] [ttl N]",
	  3, cli_run_change, "add a next hop" },
	{ "nexthop", "del", "NAME", 1, cli_run_change, "remove a next hop" },
	{ "quic-lb", "add", "VIP config N mode M server-id-len N nonce-len N [key HEX32]", 9,
	  cli_run_change, "add a QUIC-LB configuration" },
	{ "quic-lb", "del", "VIP N", 2, cli_run_change, "remove a QUIC-LB configuration" },
	{ "cid", "show", "[vip ID] [backend ID]", 0, cli_run_cid_show,
	  "the ID table: authoritative and learned entries, their age" },
	{ "cid", "lookup", "VIP-ID HEX", 2, cli_run_cid_lookup, "one ID's entry" },
	{ "cid", "add", "VIP-ID HEX backend ID", 4, cli_run_table_change,
	  "an operator's entry: no report or expiry removes it" },
	{ "cid", "del", "VIP-ID HEX", 2, cli_run_table_change,
	  "remove an ID's entry, whoever made it" },
	{ "cid", "flush", "[vip ID] [backend ID] [learned|reported|operator|all]", 0,
	  cli_run_table_change, "remove the matching entries (all kinds unless one is named)" },
	{ "flow", "show", "[vip ID] [backend ID]", 0, cli_run_flow_show,
	  "the address table: clients, their backend, idle time" },
	{ "flow", "flush", "[vip ID] [backend ID]", 0, cli_run_table_change,
	  "remove the matching address entries" },
	{ "maglev", "show", "[VIP-ID]", 0, cli_run_maglev_show,
	  "each backend's share of the slots" },
	{ "route", NULL,
	  "VIP PORT CLIENT CLIENT-PORT initial|0rtt|handshake|short|version HEX [DCID] [size N]", 5,
	  cli_run_route, "which rung and backend a packet would get (nothing is sent)" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

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
	  "pinned maps (" QS_CONFIG_DEFAULT_PIN_DIR ")" },
	{ { "timeout", required_argument, NULL, OPT_TIMEOUT },
	  "SECONDS",
	  "wait at most this long for the agent's answer (10)" },
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

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("quicsteer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void print_cmd(FILE *out, const struct cli_cmd *c)
{
	fprintf(out, "  quicsteer %s%s%s%s%s\n", c->object, c->verb ? " " : "",
		c->verb ? c->verb : "", c->args[0] ? " " : "", c->args);
	fprintf(out, "      %s\n", c->help);
}

static void usage(FILE *out, const char *object)
{
	size_t i;

	fprintf(out, "Usage: quicsteer [OPTIONS] OBJECT VERB [ARGS]\n"
		     "       quicsteer [OPTIONS] -batch FILE\n"
		     "Objects and verbs may be abbreviated to a unique prefix.\n\nCommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		if (!object || !strcmp(commands[i].object, object))
			print_cmd(out, &commands[i]);
	if (object)
		return;
	fprintf(out, "\nOptions:\n");
	qs_options_list(out, cli_options, N_CLI_OPTIONS);
	fprintf(out, "\nExit status: 0 success, 1 failed operation, 2 usage error.\n");
}

/* The names matching word (unique prefix, or exact), comma-separated into buf. */
static const char *match_object(const char *word, char *cands, size_t size)
{
	const char *found = NULL;
	size_t i, n = 0;

	cands[0] = '\0';
	for (i = 0; i < N_COMMANDS; i++) {
		const char *obj = commands[i].object;

		if (!strcmp(obj, word))
			return obj;
		if (strncmp(obj, word, strlen(word)) || (found && !strcmp(found, obj)) ||
		    strstr(cands, obj))
			continue;
		snprintf(cands + strlen(cands), size - strlen(cands), "%s%s", n ? ", " : "", obj);
		found = obj;
		n++;
	}
	return n == 1 ? found : NULL;
}

static const struct cli_cmd *match_verb(const char *object, const char *word, char *cands,
					size_t size)
{
	const struct cli_cmd *found = NULL;
	size_t i, n = 0;

	cands[0] = '\0';
	for (i = 0; i < N_COMMANDS; i++) {
		const struct cli_cmd *c = &commands[i];

		if (strcmp(c->object, object) || !c->verb)
			continue;
		if (!strcmp(c->verb, word))
			return c;
		if (strncmp(c->verb, word, strlen(word)))
			continue;
		snprintf(cands + strlen(cands), size - strlen(cands), "%s%s", n ? ", " : "",
			 c->verb);
		found = c;
		n++;
	}
	return n == 1 ? found : NULL;
}

static const struct cli_cmd *object_only(const char *object)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].object, object) && !commands[i].verb)
			return &commands[i];
	return NULL;
}

static void verbs_of(const char *object, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].object, object) && commands[i].verb)
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 commands[i].verb);
}

static int run_words(const struct cli_opts *o, int argc, char **argv)
{
	const struct cli_cmd *c;
	const char *object;
	char cands[512];

	if (argc < 1) {
		cli_err("missing object (try quicsteer --help)");
		return -EINVAL;
	}
	if (!strcmp(argv[0], "help")) {
		usage(stdout, NULL);
		return 0;
	}
	object = match_object(argv[0], cands, sizeof(cands));
	if (!object) {
		if (cands[0])
			cli_err("\"%s\" is ambiguous: %s", argv[0], cands);
		else
			cli_err("unknown object \"%s\" (try quicsteer --help)", argv[0]);
		return -EINVAL;
	}
	c = object_only(object);
	if (c) {
		argc--, argv++;
	} else {
		if (argc < 2) {
			verbs_of(object, cands, sizeof(cands));
			cli_err("%s: missing verb (expected %s)", object, cands);
			return -EINVAL;
		}
		if (!strcmp(argv[1], "help")) {
			usage(stdout, object);
			return 0;
		}
		c = match_verb(object, argv[1], cands, sizeof(cands));
		if (!c) {
			if (cands[0])
				cli_err("%s: \"%s\" is ambiguous: %s", object, argv[1], cands);
			else {
				verbs_of(object, cands, sizeof(cands));
				cli_err("%s: unknown verb \"%s\" (expected %s)", object, argv[1],
					cands);
			}
			return -EINVAL;
		}
		argc -= 2, argv += 2;
	}
	if (argc < c->min_args) {
		cli_err("%s%s%s: missing argument (%s%s%s %s)", c->object, c->verb ? " " : "",
			c->verb ? c->verb : "", c->object, c->verb ? " " : "",
			c->verb ? c->verb : "", c->args);
		return -EINVAL;
	}
	return c->run(o, c, argc, argv);
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
	int opt, err;

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
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &o.timeout_s))
				return 2;
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
