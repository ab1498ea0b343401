// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-backend-demo: the reporting half of a QUIC server, for
 * tests/netns/test-backend-lib.sh. It links libquicsteer alone (the shared
 * library, as a server would) and is one process, so one incarnation.
 *
 *   qs-backend-demo BACKEND KEYHEX VIP PORT AGENT...
 *
 * then reads commands on stdin, one per line, and answers each with one
 * line ("ok ...", or "error ..."), so that a script can check the balancer
 * between two steps:
 *
 *   issue HANDLE CIDHEX		an ID issued, flushed
 *   retire CIDHEX			an ID retired, flushed
 *   snapshot [HANDLE:CIDHEX]...	a complete snapshot listing these IDs
 *   quiclb CONFIG SIDHEX NONCELEN	prints a QUIC-LB plaintext ID (not reported)
 *   incarnation			prints it in hex
 *   stats I				what destination I took
 *   quit				(or end of input)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "quicsteer/backend.h"

static struct qs_reporter *r;

/* Hex digits to bytes; the length, or -1. */
static int unhex(const char *s, __u8 *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	if (strlen(s) % 2 || n > cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return n;
}

static int snapshot(char *args)
{
	__u8 cid[QS_CID_MAX_LEN];
	int err = qs_reporter_snapshot_begin(r, NULL);

	for (char *tok = strtok(args, " "); tok && !err; tok = strtok(NULL, " ")) {
		char *colon = strchr(tok, ':');
		int len = colon ? unhex(colon + 1, cid, sizeof(cid)) : -1;

		if (len < 0) {
			qs_reporter_snapshot_abort(r);
			return -EINVAL;
		}
		err = qs_reporter_snapshot_add(r, strtoull(tok, NULL, 0), cid, len);
	}
	return err ? err : qs_reporter_snapshot_end(r);
}

static int quiclb(const char *args)
{
	__u8 sid[16], cid[QS_CID_MAX_LEN];
	char sidhex[40];
	unsigned int config;
	int sid_len, nonce_len, len;

	if (sscanf(args, "%u %39s %d", &config, sidhex, &nonce_len) != 3)
		return -EINVAL;
	sid_len = unhex(sidhex, sid, sizeof(sid));
	len = sid_len < 0 ? -EINVAL : qs_cid_quiclb_plaintext(cid, config, sid, sid_len, nonce_len);
	if (len < 0)
		return len;
	printf("ok ");
	for (int i = 0; i < len; i++)
		printf("%02x", cid[i]);
	printf("\n");
	return 1;
}

/* 0: answer "ok"; 1: answered; -errno: answer the error. */
static int command(char *line)
{
	char *args = strchr(line, ' ') ? strchr(line, ' ') + 1 : line + strlen(line);
	__u8 cid[QS_CID_MAX_LEN];
	unsigned long long handle;
	struct qs_reporter_dest_stats st;
	char hex[48];
	int len, err;

	if (sscanf(line, "issue %llu %47s", &handle, hex) == 2) {
		len = unhex(hex, cid, sizeof(cid));
		err = len < 0 ? -EINVAL : qs_reporter_cid_issued(r, NULL, handle, cid, len);
		return err ? err : qs_reporter_flush(r);
	}
	if (sscanf(line, "retire %47s", hex) == 1) {
		len = unhex(hex, cid, sizeof(cid));
		err = len < 0 ? -EINVAL : qs_reporter_cid_retired(r, NULL, cid, len);
		return err ? err : qs_reporter_flush(r);
	}
	if (!strncmp(line, "snapshot", 8))
		return snapshot(args);
	if (!strncmp(line, "quiclb ", 7))
		return quiclb(args);
	if (!strcmp(line, "incarnation"))
		return printf("ok %016llx\n", (unsigned long long)qs_reporter_incarnation(r)), 1;
	if (!strncmp(line, "stats ", 6)) {
		err = qs_reporter_dest_stats(r, atoi(args), &st);
		if (!err)
			printf("ok sent=%llu errors=%llu last_error=%d\n",
			       (unsigned long long)st.datagrams, (unsigned long long)st.errors,
			       st.last_error);
		return err ? err : 1;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in vip = { .sin_family = AF_INET };
	__u8 key[QS_REPORT_KEY_LEN];
	char line[512];

	if (argc < 6 || unhex(argv[2], key, sizeof(key)) != sizeof(key) ||
	    inet_pton(AF_INET, argv[3], &vip.sin_addr) != 1) {
		fprintf(stderr, "usage: see the top of tests/netns/probes/qs-backend-demo.c\n");
		return 2;
	}
	vip.sin_port = htons(atoi(argv[4]));
	QS_REPORTER_OPTS(opts, .vip = (struct sockaddr *)&vip);
	r = qs_reporter_open(atoi(argv[1]), key, (const char *const *)argv + 5, argc - 5, &opts);
	if (!r) {
		fprintf(stderr, "qs_reporter_open: %s\n", strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		int err;

		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "quit"))
			break;
		err = command(line);
		if (err < 0)
			printf("error %s: %s\n", line, strerror(-err));
		else if (!err)
			printf("ok\n");
	}
	qs_reporter_close(r);
	return 0;
}
