// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-h3server's command line. A bad one exits 2 with a message that names
 * the option; docs/h3server.md documents it, and the testbed relies on
 * these names: do not rename them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include "h3server.h"
#include "util/options.h"
#include "util/words.h"

/* Long-only options get values above any character. */
enum {
	OPT_TLS_KEY = 256,
	OPT_TLS_CERT,
	OPT_MAX_DYN,
	OPT_BACKEND_ID,
	OPT_REPORT_KEY,
	OPT_AGENT,
	OPT_NO_REPORT,
	OPT_CID_LEN,
	OPT_CID_SCHEME,
	OPT_QUICLB_CONFIG,
	OPT_SERVER_ID,
	OPT_NONCE_LEN,
	OPT_QUICLB_MODE,
	OPT_QUICLB_KEY_FILE,
	OPT_QUICLB_FILE,
	OPT_QUICLB_WORKER,
	OPT_RETRY,
	OPT_IDLE_TIMEOUT,
	OPT_SNAPSHOT_INTERVAL,
	OPT_STATUS_FILE,
	OPT_MAX_CONNECTIONS,
};

/* One table gives getopt_long its tables and --help its lines. */
static const struct qs_option options[] = {
	{ { "listen", required_argument, NULL, 'l' }, "ADDR:PORT",
	  "UDP address to serve (repeatable; IPv6 as [fd00::1]:443)" },
	{ { "tls-key", required_argument, NULL, OPT_TLS_KEY }, "FILE", "PEM private key" },
	{ { "tls-cert", required_argument, NULL, OPT_TLS_CERT }, "FILE", "PEM certificate" },
	{ { "dir", required_argument, NULL, 'd' }, "DIR", "serve files from DIR" },
	{ { "max-dyn-length", required_argument, NULL, OPT_MAX_DYN }, "BYTES",
	  "largest N that /N serves [1073741824]" },
	{ { "backend-id", required_argument, NULL, OPT_BACKEND_ID }, "N",
	  "this backend's id at the agents, 1..4095" },
	{ { "report-key", required_argument, NULL, OPT_REPORT_KEY }, "FILE",
	  "this backend's report key file (64 hex digits)" },
	{ { "agent", required_argument, NULL, OPT_AGENT }, "ENDPOINT",
	  "where reports go: ADDR:PORT, [ADDR6]:PORT or unix:PATH (repeatable)" },
	{ { "no-report", no_argument, NULL, OPT_NO_REPORT }, NULL, "report nothing" },
	{ { "cid-len", required_argument, NULL, OPT_CID_LEN }, "N",
	  "length of the connection IDs issued, 1..20 [8]" },
	{ { "cid-scheme", required_argument, NULL, OPT_CID_SCHEME }, "random|quic-lb",
	  "how connection IDs are made [random]" },
	{ { "quic-lb-config", required_argument, NULL, OPT_QUICLB_CONFIG }, "N",
	  "QUIC-LB configuration id, 0..6 [0]" },
	{ { "server-id", required_argument, NULL, OPT_SERVER_ID }, "HEX",
	  "QUIC-LB server ID bytes" },
	{ { "nonce-len", required_argument, NULL, OPT_NONCE_LEN }, "N", "QUIC-LB nonce length" },
	{ { "quic-lb-mode", required_argument, NULL, OPT_QUICLB_MODE }, "MODE",
	  "QUIC-LB mode: plaintext, aes-single or aes-four-pass [plaintext; with a key file, "
	  "the one the lengths call for]" },
	{ { "quic-lb-key-file", required_argument, NULL, OPT_QUICLB_KEY_FILE }, "FILE",
	  "the QUIC-LB configuration's AES key (32 hex digits; the agent's key-file)" },
	{ { "quic-lb-file", required_argument, NULL, OPT_QUICLB_FILE }, "FILE",
	  "QUIC-LB configurations, one a line, the last for new connections; read again on "
	  "SIGHUP (instead of the five options above)" },
	{ { "quic-lb-worker", required_argument, NULL, OPT_QUICLB_WORKER }, "ID/BITS",
	  "this process's QUIC-LB worker id and its bits, 0..16: processes sharing a server ID "
	  "take distinct ids [0/0]" },
	{ { "retry", no_argument, NULL, OPT_RETRY }, NULL,
	  "validate every client address with a Retry" },
	{ { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT }, "DURATION",
	  "idle timeout: 500ms, 30s, 2m, 1h [30s]" },
	{ { "snapshot-interval", required_argument, NULL, OPT_SNAPSHOT_INTERVAL }, "DURATION",
	  "how often every live ID is reported again, 500ms..60s [20s]" },
	{ { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS }, "N",
	  "connections at once, 1..1000000; a client past them is refused (CONNECTION_CLOSE, "
	  "CONNECTION_REFUSED) [4096]" },
	{ { "status-file", required_argument, NULL, OPT_STATUS_FILE }, "PATH",
	  "JSON counters, rewritten after every handshake and close" },
	{ { "quiet", no_argument, NULL, 'q' }, NULL, "no per-connection log lines" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char synopsis[] =
	"qs-h3server [OPTIONS] --listen ADDR:PORT [--listen ...] --tls-key FILE --tls-cert FILE";

static int usage_error(const char *option, const char *fmt, const char *arg)
{
	fprintf(stderr, "qs-h3server: --%s: ", option);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return 2;
}

/* ADDR:PORT or [ADDR6]:PORT, as a socket address to bind. */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct qs_addr_port ap;
	int err = qs_parse_addr_port(s, QS_PORT_REQUIRED, &ap);

	if (err)
		return err;
	return qs_addr_port_sockaddr(&ap, ss) ? 0 : -EINVAL;
}

/* ngtcp2 counts in nanoseconds; 0 would mean no idle timeout at all. */
static int parse_idle_timeout(const char *s, uint64_t *ns)
{
	__u64 ms;
	int err = qs_parse_duration(s, &ms);

	if (err)
		return err;
	if (!ms || ms > UINT64_MAX / NGTCP2_MILLISECONDS)
		return -ERANGE;
	*ns = ms * NGTCP2_MILLISECONDS;
	return 0;
}

/*
 * The reporter's snapshot interval. The protocol asks for 10..60 s; down
 * to 500 ms is allowed so that a test's new agent gets a snapshot soon.
 */
static int parse_snapshot_interval(const char *s, uint64_t *ns)
{
	__u64 ms;
	int err = qs_parse_duration(s, &ms);

	if (err)
		return err;
	if (ms < H3S_SNAPSHOT_MIN_MS || ms > H3S_SNAPSHOT_MAX_MS)
		return -ERANGE;
	*ns = ms * 1000000ull;
	return 0;
}

/* One word of the command line's QUIC-LB configuration, as quiclb.c reads it. */
static int quiclb_value(struct h3s_options *opt, int c, const char *arg)
{
	static const struct {
		int c;
		const char *option, *word;
	} words[] = {
		{ OPT_QUICLB_CONFIG, "quic-lb-config", "config" },
		{ OPT_SERVER_ID, "server-id", "server-id" },
		{ OPT_NONCE_LEN, "nonce-len", "nonce-len" },
		{ OPT_QUICLB_MODE, "quic-lb-mode", "mode" },
		{ OPT_QUICLB_KEY_FILE, "quic-lb-key-file", "key-file" },
	};
	char why[160];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (words[i].c != c)
			continue;
		opt->quiclb_options = true;
		if (h3s_lbspec_word(&opt->quiclb, words[i].word, arg, why, sizeof(why)))
			return usage_error(words[i].option, "%s", why);
		return 0;
	}
	return 2;
}

/* ID/BITS: a worker id of BITS bits (0..16). */
static int parse_worker(const char *s, unsigned int *id, unsigned int *bits)
{
	const char *slash = strchr(s, '/');
	char head[16];
	__u64 i, b;

	if (!slash || (size_t)(slash - s) >= sizeof(head))
		return -EINVAL;
	memcpy(head, s, slash - s);
	head[slash - s] = 0;
	if (qs_parse_u64_range(slash + 1, 0, QS_QUICLB_WORKER_BITS_MAX, &b) ||
	    qs_parse_u64_range(head, 0, (1ull << b) - 1, &i))
		return -EINVAL;
	*id = i;
	*bits = b;
	return 0;
}

static int option_value(struct h3s_options *opt, int c, const char *arg)
{
	__u64 v;

	switch (c) {
	case 'l':
		if (opt->n_listen == H3S_MAX_LISTEN)
			return usage_error("listen", "at most %s addresses", "16");
		if (parse_listen(arg, &opt->listen[opt->n_listen]))
			return usage_error("listen", "\"%s\" is not ADDR:PORT or [ADDR6]:PORT", arg);
		opt->n_listen++;
		return 0;
	case OPT_TLS_KEY:
		opt->tls_key = arg;
		return 0;
	case OPT_TLS_CERT:
		opt->tls_cert = arg;
		return 0;
	case 'd':
		opt->dir = arg;
		return 0;
	case OPT_MAX_DYN:
		if (qs_parse_u64(arg, &v))
			return usage_error("max-dyn-length", "\"%s\" is not a number of bytes", arg);
		opt->max_dyn_length = v;
		return 0;
	case OPT_BACKEND_ID:
		if (qs_parse_u64_range(arg, 1, QS_MAX_BACKENDS - 1, &v))
			return usage_error("backend-id", "\"%s\" is not 1..4095", arg);
		opt->backend_id = v;
		return 0;
	case OPT_REPORT_KEY:
		opt->report_key = arg;
		return 0;
	case OPT_AGENT:
		if (opt->n_agents == H3S_MAX_AGENTS)
			return usage_error("agent", "at most %s agents", "16");
		opt->agents[opt->n_agents++] = arg;
		return 0;
	case OPT_NO_REPORT:
		opt->no_report = true;
		return 0;
	case OPT_CID_LEN:
		if (qs_parse_u64_range(arg, 1, NGTCP2_MAX_CIDLEN, &v))
			return usage_error("cid-len", "\"%s\" is not 1..20", arg);
		opt->cid_len = v;
		return 0;
	case OPT_CID_SCHEME:
		if (!strcmp(arg, "random"))
			opt->cid_scheme = H3S_CID_RANDOM;
		else if (!strcmp(arg, "quic-lb"))
			opt->cid_scheme = H3S_CID_QUICLB;
		else
			return usage_error("cid-scheme", "\"%s\" is not random or quic-lb", arg);
		return 0;
	case OPT_QUICLB_CONFIG:
	case OPT_SERVER_ID:
	case OPT_NONCE_LEN:
	case OPT_QUICLB_MODE:
	case OPT_QUICLB_KEY_FILE:
		return quiclb_value(opt, c, arg);
	case OPT_QUICLB_FILE:
		opt->quiclb_file = arg;
		return 0;
	case OPT_QUICLB_WORKER:
		if (parse_worker(arg, &opt->quiclb_worker, &opt->quiclb_worker_bits))
			return usage_error("quic-lb-worker",
					   "\"%s\" is not ID/BITS (BITS 0..16, ID below 2^BITS)",
					   arg);
		return 0;
	case OPT_RETRY:
		opt->retry = true;
		return 0;
	case OPT_IDLE_TIMEOUT:
		if (parse_idle_timeout(arg, &opt->idle_timeout_ns))
			return usage_error("idle-timeout",
					   "\"%s\" is not a duration above 0 (500ms, 30s, 2m, 1h)",
					   arg);
		return 0;
	case OPT_SNAPSHOT_INTERVAL:
		if (parse_snapshot_interval(arg, &opt->snapshot_ns))
			return usage_error("snapshot-interval",
					   "\"%s\" is not a duration of 500ms to 60s", arg);
		return 0;
	case OPT_STATUS_FILE:
		opt->status_file = arg;
		return 0;
	case OPT_MAX_CONNECTIONS:
		if (qs_parse_u64_range(arg, 1, H3S_MAX_CONNECTIONS_LIMIT, &v))
			return usage_error("max-connections", "\"%s\" is not 1..1000000", arg);
		opt->max_connections = v;
		return 0;
	case 'q':
		opt->quiet = true;
		return 0;
	}
	return 2;
}

/* The QUIC-LB options, with --cid-scheme quic-lb. */
static int quiclb_check(struct h3s_options *opt)
{
	unsigned int mode;
	char why[160];

	if (opt->quiclb_file) {
		if (opt->quiclb_options)
			return usage_error(
				"quic-lb-file", "%s",
				"the configurations are in the file: no --quic-lb-config, "
				"--server-id, --nonce-len, --quic-lb-mode or --quic-lb-key-file");
		return 0;
	}
	if (!opt->quiclb.sid_len)
		return usage_error("server-id", "%s", "required with --cid-scheme quic-lb");
	if (!opt->quiclb.nonce_len)
		return usage_error("nonce-len", "%s", "required with --cid-scheme quic-lb");
	if (1 + opt->quiclb.sid_len + opt->quiclb.nonce_len != opt->cid_len)
		return usage_error("cid-len", "%s",
				   "must be 1 + server-id bytes + nonce-len with quic-lb");
	if (h3s_lbspec_check(&opt->quiclb, &mode, why, sizeof(why)))
		return usage_error(opt->quiclb.mode ? "quic-lb-mode" : "quic-lb-key-file", "%s",
				   why);
	return 0;
}

/* QUIC-LB options without --cid-scheme quic-lb: a mistake, not a default. */
static int quiclb_unused(struct h3s_options *opt)
{
	if (opt->quiclb_options || opt->quiclb_file || opt->quiclb_worker_bits)
		return usage_error("cid-scheme", "%s",
				   "QUIC-LB options need --cid-scheme quic-lb");
	return 0;
}

/* What no single option can check: required ones and combinations. */
static int options_check(struct h3s_options *opt)
{
	if (!opt->n_listen)
		return usage_error("listen", "%s", "required");
	if (!opt->tls_key)
		return usage_error("tls-key", "%s", "required");
	if (!opt->tls_cert)
		return usage_error("tls-cert", "%s", "required");
	if (access(opt->tls_key, R_OK))
		return usage_error("tls-key", "cannot read \"%s\"", opt->tls_key);
	if (access(opt->tls_cert, R_OK))
		return usage_error("tls-cert", "cannot read \"%s\"", opt->tls_cert);
	if (!opt->no_report) {
		if (!opt->backend_id)
			return usage_error("backend-id", "%s", "required unless --no-report");
		if (!opt->report_key)
			return usage_error("report-key", "%s", "required unless --no-report");
		if (access(opt->report_key, R_OK))
			return usage_error("report-key", "cannot read \"%s\"", opt->report_key);
		if (!opt->n_agents)
			return usage_error("agent", "%s", "required unless --no-report");
	}
	return opt->cid_scheme == H3S_CID_QUICLB ? quiclb_check(opt) : quiclb_unused(opt);
}

int h3s_options_parse(struct h3s_options *opt, int argc, char **argv)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[2 * N_OPTIONS + 2];
	int c, err;

	*opt = (struct h3s_options){
		.max_dyn_length = 1ull << 30,
		.cid_len = 8,
		.idle_timeout_ns = 30 * NGTCP2_SECONDS,
		.max_connections = H3S_MAX_CONNECTIONS,
	};
	qs_options_getopt(options, N_OPTIONS, longopts, shortopts + 1);
	shortopts[0] = ':'; /* a missing argument is ':', not '?' */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			qs_options_usage(stdout, synopsis, options, N_OPTIONS);
			printf("SIGTERM/SIGINT: close every connection, report, exit. "
			       "SIGUSR1: drain (ask the agents for no new connections). "
			       "SIGHUP: read --quic-lb-file again.\n");
			return 1;
		}
		if (c == ':')
			return usage_error(qs_options_name(options, N_OPTIONS, optopt), "%s",
					   "needs an argument");
		if (c == '?') {
			fprintf(stderr, "qs-h3server: unknown option \"%s\" (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
		err = option_value(opt, c, optarg);
		if (err)
			return err;
	}
	if (optind < argc) {
		fprintf(stderr, "qs-h3server: unexpected argument \"%s\" (see --help)\n",
			argv[optind]);
		return 2;
	}
	return options_check(opt);
}
