// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-agent-probe: the backend, operator and packet sides of
 * tests/netns/test-agent.sh.
 *
 *   report SOCKET KEYHEX BACKEND INCARNATION SEQ VIP PORT issue|retire CIDHEX
 *	one authenticated report datagram to a unix report socket
 *   control SOCKET REQUEST	one control request; prints the JSON answer
 *   route IFNAME CLIENT VIP PORT CIDHEX
 *	a short-header packet through the router attached to IFNAME
 *	(BPF_PROG_RUN); prints "action=N dmac=MAC"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "config.h"
#include "maps.h"
#include "pktbuild.h"
#include "quicsteer/report.h"

static int unix_socket(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		perror(path);
		exit(1);
	}
	return fd;
}

static int report(char **argv)
{
	struct qs_report_header h = { .backend_id = atoi(argv[2]),
				      .incarnation = strtoull(argv[3], NULL, 0),
				      .sequence = strtoull(argv[4], NULL, 0) };
	__u8 key[QS_REPORT_KEY_LEN], cid[QS_CID_MAX_LEN], buf[QS_REPORT_MAX_DGRAM];
	struct qs_config_addr vip;
	struct qs_report_encoder enc;
	size_t klen, clen;
	int len, fd;

	if (qs_config_parse_hex(argv[1], key, sizeof(key), &klen) || klen != sizeof(key) ||
	    qs_config_parse_addr(argv[5], &vip) ||
	    qs_config_parse_hex(argv[8], cid, sizeof(cid), &clen))
		return 2;
	h.vip.addr = vip.addr;
	h.vip.family = vip.family;
	h.vip.port = htons(atoi(argv[6]));
	if (qs_report_encoder_init(&enc, buf, sizeof(buf), &h))
		return 1;
	if (!strcmp(argv[7], "issue"))
		qs_report_add_cid_issued(&enc, 1, cid, clen);
	else
		qs_report_add_cid_retired(&enc, cid, clen);
	len = qs_report_finish(&enc, key);
	fd = unix_socket(argv[0], SOCK_DGRAM);
	if (len < 0 || send(fd, buf, len, 0) != len)
		return 1;
	close(fd);
	return 0;
}

static int control(char **argv)
{
	char answer[65536];
	int fd = unix_socket(argv[0], SOCK_SEQPACKET);
	ssize_t n;

	if (send(fd, argv[1], strlen(argv[1]), 0) < 0)
		return 1;
	n = recv(fd, answer, sizeof(answer) - 1, 0);
	if (n <= 0)
		return 1;
	answer[n] = 0;
	puts(answer);
	return 0;
}

static int route(char **argv)
{
	struct pb_spec s = { .src = argv[1],
			     .dst = argv[2],
			     .sport = 40000,
			     .dport = atoi(argv[3]),
			     .quic = PB_QUIC_SHORT,
			     .first = 0x41,
			     .payload_len = 60 };
	__u8 in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64];
	struct qs_prog_run run = { .in = in, .out = out, .out_cap = sizeof(out) };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	size_t clen;
	int fd, ifindex = if_nametoindex(argv[0]);

	s.family = strchr(argv[2], ':') ? 6 : 4;
	if (!ifindex || qs_config_parse_hex(argv[4], s.dcid, sizeof(s.dcid), &clen))
		return 2;
	s.dcid_len = clen;
	run.in_len = pb_build(&s, in, sizeof(in));
	run.ingress_ifindex = ifindex; /* as if it arrived on the router's interface */
	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id) {
		fprintf(stderr, "%s: no XDP program\n", argv[0]);
		return 1;
	}
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0 || qs_prog_run(fd, &run))
		return 1;
	printf("action=%u dmac=%02x:%02x:%02x:%02x:%02x:%02x\n", run.action, out[0], out[1], out[2],
	       out[3], out[4], out[5]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 11 && !strcmp(argv[1], "report"))
		return report(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "control"))
		return control(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "route"))
		return route(argv + 2);
	fprintf(stderr, "usage: see the top of tests/netns/qs-agent-probe.c\n");
	return 2;
}
