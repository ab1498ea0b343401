// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-agent-probe: the backend, operator and packet sides of
 * tests/netns/test-agent.sh and tests/netns/test-agent-reports.sh.
 *
 * DEST, where a datagram goes: a unix datagram socket's path,
 * udp:ADDR:PORT (IPv6: udp:[ADDR]:PORT), or "-" to print it in hex.
 *
 *   report DEST KEYHEX BACKEND INCARNATION SEQ VIP|- PORT RECORD...
 *	one datagram built by the project's encoder and authenticated with
 *	KEYHEX; VIP "-": a datagram without a VIP (PORT is then ignored).
 *	RECORD is one of
 *	  issue:HANDLE:CIDHEX   retire:CIDHEX   closed:HANDLE   heartbeat
 *	  drain   part:SNAPID:PART[:final]   snap:HANDLE:CIDHEX
 *	  hs:HANDLE:ADDR:PORT (IPv6: hs:HANDLE:[ADDR]:PORT): a handshake done
 *	  issue CIDHEX / retire CIDHEX (two words, handle 1: test-agent.sh)
 *	A snapshot: "part:1:0:final snap:1:CID1 snap:2:CID2 ...".
 *	The datagram is stamped with the wall clock now (report protocol
 *	version 2); among the RECORDs, age:MS stamps it MS milliseconds ago
 *	(negative: ahead), as a datagram captured then, and v1 makes it a
 *	version-1 datagram, which has no timestamp.
 *   heartbeat DEST KEYHEX BACKEND INCARNATION SEQ [EVERY_MS]
 *	a HEARTBEAT without a VIP; with EVERY_MS one every EVERY_MS
 *	milliseconds, sequence SEQ, SEQ+1, ..., until killed
 *   burst DEST KEYHEX BACKEND INCARNATION SEQ COUNT
 *	COUNT such heartbeats, sequence SEQ, SEQ+1, ..., back to back (a
 *	backlog for an agent stopped with SIGSTOP; UDP: the agent's receive
 *	buffer holds thousands, a unix socket only net.unix.max_dgram_qlen)
 *   handmade DEST KEYHEX BACKEND INCARNATION SEQ VIP|- PORT TYPE VALUEHEX
 *	one record of TYPE with VALUEHEX written byte by byte, without the
 *	encoder (which refuses to write what a backend must not send, a
 *	21-byte CID say), with a valid MAC, stamped now
 *   raw DEST HEX	the bytes, as they are
 *   control SOCKET REQUEST	one control request; prints the JSON answer
 *	(fails, saying so, when none comes within CONTROL_TIMEOUT_S)
 *   silent SOCKET SECONDS	connects to the control socket and sends nothing;
 *	prints "closed MS" when the agent drops the connection after MS
 *	milliseconds, or "open" if it is still open after SECONDS
 *   crowd SOCKET COUNT	COUNT silent connections opened back to back,
 *	then one more: prints what the agent told it, then "closed COUNT"
 *	once the agent dropped the silent ones, or "open N" after
 *	CONTROL_TIMEOUT_S
 *   unread SOCKET REQUEST SECONDS	sends a request and never reads the
 *	answer; holds the connection SECONDS, then exits 0
 *   route IFNAME CLIENT VIP PORT CIDHEX
 *	a short-header packet from CLIENT port 40000 through the router
 *	attached to IFNAME (BPF_PROG_RUN); prints "action=N dmac=MAC"
 *   initial IFNAME CLIENT:PORT VIP PORT [COUNT]
 *	a QUIC v1 client Initial (1200 bytes of UDP payload, random 8-byte
 *	DCID and SCID) the same way; COUNT of them from ports PORT, PORT+1,
 *	...; one "action=N dmac=MAC" line each
 *
 * Exit status: 0 done, 1 failed, 2 bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "config/config.h"
#include "router/maps.h"
#include "util/words.h"
#include "pktbuild.h"
#include "quicsteer/report.h"

/* "ADDR:PORT" or "[ADDR]:PORT" into addr (text) and port; 0 or -1. */
static int endpoint_split(const char *s, char *addr, size_t cap, unsigned int *port)
{
	const char *colon = strrchr(s, ':'), *a = s;
	size_t len;
	char *end;

	if (!colon)
		return -1;
	len = colon - s;
	if (*s == '[') {
		if (len < 2 || s[len - 1] != ']')
			return -1;
		a = s + 1;
		len -= 2;
	}
	if (len == 0 || len >= cap)
		return -1;
	memcpy(addr, a, len);
	addr[len] = 0;
	*port = strtoul(colon + 1, &end, 10);
	return *end || *port > 65535 ? -1 : 0;
}

/* A connected datagram socket towards a unix path or udp:ADDR:PORT; -1 on error. */
static int dest_connect(const char *dest)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	socklen_t len = sizeof(*sin);
	char addr[INET6_ADDRSTRLEN];
	unsigned int port;
	int fd;

	if (strncmp(dest, "udp:", 4)) {
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", dest);
		len = sizeof(*sun);
	} else if (endpoint_split(dest + 4, addr, sizeof(addr), &port)) {
		fprintf(stderr, "%s: not udp:ADDR:PORT\n", dest);
		return -1;
	} else if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "%s: not an address\n", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
		perror(dest);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends buf[len] to DEST, or prints it in hex for "-"; 0 or 1. */
static int dest_send(const char *dest, const void *buf, size_t len)
{
	const __u8 *p = buf;
	int fd, err = 0;

	if (!strcmp(dest, "-")) {
		for (size_t i = 0; i < len; i++)
			printf("%02x", p[i]);
		putchar('\n');
		return 0;
	}
	fd = dest_connect(dest);
	if (fd < 0)
		return 1;
	if (send(fd, buf, len, 0) != (ssize_t)len) {
		perror(dest);
		err = 1;
	}
	close(fd);
	return err;
}

static int hex_arg(const char *s, __u8 *out, size_t cap, size_t *len)
{
	if (qs_parse_hex(s, out, cap, len)) {
		fprintf(stderr, "%s: not hex bytes (at most %zu)\n", s, cap);
		return -1;
	}
	return 0;
}

static __u64 wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* KEYHEX BACKEND INCARNATION SEQ VIP|- PORT: six words; stamped now. */
static int header_args(char **argv, __u8 key[QS_REPORT_KEY_LEN], struct qs_report_header *h)
{
	struct qs_config_addr vip = { 0 };
	size_t klen;

	memset(h, 0, sizeof(*h));
	h->backend_id = strtoul(argv[1], NULL, 0);
	h->incarnation = strtoull(argv[2], NULL, 0);
	h->sequence = strtoull(argv[3], NULL, 0);
	h->timestamp = wall_ns();
	h->version = QS_REPORT_VERSION;
	if (hex_arg(argv[0], key, QS_REPORT_KEY_LEN, &klen) || klen != QS_REPORT_KEY_LEN)
		return -1;
	if (strcmp(argv[4], "-")) {
		if (qs_parse_addr(argv[4], &vip.addr, &vip.family)) {
			fprintf(stderr, "%s: not an address\n", argv[4]);
			return -1;
		}
		h->vip.addr = vip.addr;
		h->vip.family = vip.family;
		h->vip.port = htons(atoi(argv[5]));
	}
	return 0;
}

/* "HANDLE:CIDHEX" of issue: and snap: records. */
static int handle_cid(char *s, struct qs_report_record *r)
{
	char *colon = strchr(s, ':');
	size_t len;

	if (!colon)
		return -1;
	*colon = 0;
	r->cid_issued.handle = strtoull(s, NULL, 0);
	if (hex_arg(colon + 1, r->cid_issued.cid.bytes, QS_CID_MAX_LEN, &len))
		return -1;
	r->cid_issued.cid.len = len;
	return 0;
}

/* One RECORD word (and the next, for the two-word forms); words used, or -1. */
static int record_parse(char *word, char *next, struct qs_report_record *r)
{
	char *arg = strchr(word, ':');
	size_t len;

	memset(r, 0, sizeof(*r));
	if (arg)
		*arg++ = 0;
	if (!arg && next && (!strcmp(word, "issue") || !strcmp(word, "retire"))) {
		struct qs_report_cid *cid = *word == 'i' ? &r->cid_issued.cid : &r->cid_retired.cid;

		r->type = *word == 'i' ? QS_REPORT_CID_ISSUED : QS_REPORT_CID_RETIRED;
		if (r->type == QS_REPORT_CID_ISSUED)
			r->cid_issued.handle = 1;
		if (hex_arg(next, cid->bytes, QS_CID_MAX_LEN, &len))
			return -1;
		cid->len = len;
		return 2;
	}
	if (!strcmp(word, "heartbeat") || !strcmp(word, "drain")) {
		r->type = *word == 'h' ? QS_REPORT_HEARTBEAT : QS_REPORT_DRAIN;
		return arg ? -1 : 1;
	}
	if (!arg)
		return -1;
	if (!strcmp(word, "issue") || !strcmp(word, "snap")) {
		r->type = *word == 'i' ? QS_REPORT_CID_ISSUED : QS_REPORT_SNAPSHOT_CID;
		return handle_cid(arg, r) ? -1 : 1;
	}
	if (!strcmp(word, "retire")) {
		r->type = QS_REPORT_CID_RETIRED;
		if (hex_arg(arg, r->cid_retired.cid.bytes, QS_CID_MAX_LEN, &len))
			return -1;
		r->cid_retired.cid.len = len;
		return 1;
	}
	if (!strcmp(word, "hs")) {
		char *at = strchr(arg, ':'), addr[INET6_ADDRSTRLEN];
		struct qs_report_endpoint *c = &r->handshake.client;
		unsigned int port;

		r->type = QS_REPORT_HANDSHAKE_DONE;
		if (!at || endpoint_split(at + 1, addr, sizeof(addr), &port) ||
		    qs_parse_addr(addr, &c->addr, &c->family))
			return -1;
		*at = 0;
		r->handshake.handle = strtoull(arg, NULL, 0);
		c->port = htons(port);
		return 1;
	}
	if (!strcmp(word, "closed")) {
		r->type = QS_REPORT_CONN_CLOSED;
		r->closed.handle = strtoull(arg, NULL, 0);
		return 1;
	}
	if (!strcmp(word, "part")) {
		char final[8] = "";
		int n = sscanf(arg, "%u:%hu:%7s", &r->snapshot.snapshot_id, &r->snapshot.part,
			       final);

		r->type = QS_REPORT_SNAPSHOT_PART;
		r->snapshot.flags = n == 3 ? QS_REPORT_SNAPSHOT_FINAL : 0;
		return n == 2 || (n == 3 && !strcmp(final, "final")) ? 1 : -1;
	}
	return -1;
}

/* The age:MS and v1 words among the records: how the header is stamped. */
static void stamp_words(int argc, char **argv, struct qs_report_header *h)
{
	for (int i = 6; i < argc; i++) {
		if (!strncmp(argv[i], "age:", 4))
			h->timestamp -= strtoll(argv[i] + 4, NULL, 10) * 1000000;
		if (!strcmp(argv[i], "v1")) {
			h->version = QS_REPORT_V1;
			h->timestamp = 0;
		}
	}
}

/* Encodes the header of argv[0..5] and the records of argv[6..]; length or -1. */
static int encode(int argc, char **argv, __u8 *buf, size_t cap)
{
	__u8 key[QS_REPORT_KEY_LEN];
	struct qs_report_header h;
	struct qs_report_encoder enc;
	struct qs_report_record r;
	int n, err;

	if (header_args(argv, key, &h))
		return -1;
	stamp_words(argc, argv, &h);
	err = qs_report_encoder_init(&enc, buf, cap, &h);
	for (int i = 6; !err && i < argc; i += n) {
		n = 1;
		if (!strncmp(argv[i], "age:", 4) || !strcmp(argv[i], "v1"))
			continue;
		n = record_parse(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &r);
		if (n < 0) {
			fprintf(stderr, "%s: not a record (see the top of qs-agent-probe.c)\n",
				argv[i]);
			return -1;
		}
		err = qs_report_add(&enc, &r);
	}
	if (err) {
		fprintf(stderr, "the encoder refused: %s\n", strerror(-err));
		return -1;
	}
	n = qs_report_finish(&enc, key);
	if (n < 0)
		fprintf(stderr, "qs_report_finish: %s\n", strerror(-n));
	return n < 0 ? -1 : n;
}

static int report(int argc, char **argv)
{
	__u8 buf[QS_REPORT_MAX_DGRAM];
	int len = encode(argc - 1, argv + 1, buf, sizeof(buf));

	return len < 0 ? 2 : dest_send(argv[0], buf, len);
}

/* One heartbeat, or one every EVERY_MS milliseconds until killed. */
static int heartbeat(int argc, char **argv)
{
	char seq[32], *words[] = { argv[1], argv[2], argv[3], seq, "-", "0", "heartbeat" };
	long every_ms = argc > 5 ? atol(argv[5]) : 0;
	struct timespec pause = { every_ms / 1000, every_ms % 1000 * 1000000 };
	unsigned long long s = strtoull(argv[4], NULL, 0);
	__u8 buf[QS_REPORT_MAX_DGRAM];
	int len;

	for (;; s++) {
		snprintf(seq, sizeof(seq), "%llu", s);
		len = encode(7, words, buf, sizeof(buf));
		if (len < 0)
			return 2;
		/* a loop outlives a missed send: the agent may be restarting */
		if (dest_send(argv[0], buf, len) && !every_ms)
			return 1;
		if (!every_ms)
			return 0;
		nanosleep(&pause, NULL);
	}
}

/* COUNT heartbeats, one after the other, every one sent or exit 1. */
static int burst(char **argv)
{
	char seq[32], *words[] = { argv[1], argv[2], argv[3], seq, "-", "0", "heartbeat" };
	unsigned long long s = strtoull(argv[4], NULL, 0), count = strtoull(argv[5], NULL, 0);
	__u8 buf[QS_REPORT_MAX_DGRAM];
	int len;

	for (unsigned long long i = 0; i < count; i++) {
		snprintf(seq, sizeof(seq), "%llu", s + i);
		len = encode(7, words, buf, sizeof(buf));
		if (len < 0)
			return 2;
		if (dest_send(argv[0], buf, len))
			return 1;
	}
	return 0;
}

static void put_be(__u8 *p, unsigned long long v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = v;
}

/*
 * A datagram written from docs/report-protocol.md rather than by the
 * encoder: header, one record TYPE with VALUEHEX as given, and the MAC.
 */
static int handmade(char **argv)
{
	__u8 key[QS_REPORT_KEY_LEN], buf[2 * QS_REPORT_MAX_DGRAM], *p = buf;
	struct qs_report_header h;
	unsigned int mac_len = 0;
	size_t vlen;

	if (header_args(argv + 1, key, &h) ||
	    hex_arg(argv[8], buf + QS_REPORT_HDR_LEN + QS_REPORT_REC_HDR_LEN, QS_REPORT_MAX_DGRAM,
		    &vlen))
		return 2;
	memset(p, 0, QS_REPORT_HDR_LEN);
	put_be(p, QS_REPORT_MAGIC, 4);
	p[4] = QS_REPORT_VERSION;
	p[5] = h.vip.family;
	memcpy(p + 6, &h.vip.port, 2); /* already in network order */
	put_be(p + 8, h.backend_id, 4);
	put_be(p + 12, 1, 2); /* one record */
	put_be(p + 16, h.incarnation, 8);
	put_be(p + 24, h.sequence, 8);
	memcpy(p + 32, &h.vip.addr, 16);
	put_be(p + 48, h.timestamp, 8);
	p += QS_REPORT_HDR_LEN;
	p[0] = atoi(argv[7]);
	put_be(p + 1, vlen, 2);
	p += QS_REPORT_REC_HDR_LEN + vlen;
	if (!HMAC(EVP_sha256(), key, sizeof(key), buf, p - buf, p, &mac_len))
		return 1;
	return dest_send(argv[0], buf, p - buf + mac_len);
}

static int raw(char **argv)
{
	__u8 buf[4096];
	size_t len;

	if (hex_arg(argv[1], buf, sizeof(buf), &len))
		return 2;
	return dest_send(argv[0], buf, len);
}

/*
 * How long a control request waits to connect and for its answer: a
 * stopped or wedged agent keeps its socket, and a probe that waited for
 * ever would hang the test; generous, for slow or busy machines
 * (TESTBED.md).
 */
#define CONTROL_TIMEOUT_S 30

/* A connection to the control socket, connect and I/O bounded. */
static int control_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CONTROL_TIMEOUT_S };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int control(char **argv)
{
	char answer[65536];
	int fd = control_connect(argv[0]);
	ssize_t n;

	if (fd < 0)
		return 1;
	if (send(fd, argv[1], strlen(argv[1]), 0) < 0) {
		perror(argv[0]);
		close(fd);
		return 1;
	}
	n = recv(fd, answer, sizeof(answer) - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		fprintf(stderr, "%s: no answer to \"%s\" within %d s\n", argv[0], argv[1],
			CONTROL_TIMEOUT_S);
	else if (n < 0)
		perror(argv[0]);
	else if (n == 0)
		fprintf(stderr, "%s: closed without an answer to \"%s\"\n", argv[0], argv[1]);
	close(fd);
	if (n <= 0)
		return 1;
	answer[n] = 0;
	puts(answer);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client that connects and says nothing: how long until the agent drops it. */
static int silent(char **argv)
{
	struct pollfd p = { .fd = control_connect(argv[0]), .events = POLLIN };
	long t0 = now_ms(), limit = atol(argv[1]) * 1000;
	char buf[256];

	if (p.fd < 0)
		return 1;
	while (now_ms() - t0 < limit) {
		if (poll(&p, 1, 100) > 0 && recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
			printf("closed %ld\n", now_ms() - t0);
			close(p.fd);
			return 0;
		}
	}
	puts("open");
	close(p.fd);
	return 0;
}

/*
 * COUNT clients that connect and say nothing, then one more: one process
 * opens them back to back, so all COUNT are open at once however slowly
 * the machine starts processes (each is dropped at the agent's deadline,
 * counted from its own accept). The last one asks nothing either: a
 * refusal is sent at accept, and a request sent to a refusing agent would
 * be unread at its close, which resets the connection, answer and all.
 * Prints what the last one was told, then "closed COUNT" once the agent
 * has dropped the silent ones, or "open N" with N still open after
 * CONTROL_TIMEOUT_S.
 */
static int crowd(char **argv)
{
	int count = atoi(argv[1]), open_now, last, fds[256];
	long t0 = now_ms();
	char buf[4096];
	ssize_t n;

	if (count <= 0 || count > (int)(sizeof(fds) / sizeof(fds[0])))
		return 2;
	for (int i = 0; i < count; i++)
		if ((fds[i] = control_connect(argv[0])) < 0)
			return 1;
	last = control_connect(argv[0]);
	if (last < 0)
		return 1;
	n = recv(last, buf, sizeof(buf) - 1, 0);
	close(last);
	if (n <= 0) {
		fprintf(stderr, "%s: the connection after %d silent ones was not refused\n",
			argv[0], count);
		return 1;
	}
	buf[n] = 0;
	puts(buf);
	open_now = count;
	while (open_now && now_ms() - t0 < CONTROL_TIMEOUT_S * 1000L) {
		open_now = 0;
		for (int i = 0; i < count; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };

			if (fds[i] < 0)
				continue;
			if (poll(&p, 1, 0) > 0 &&
			    recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			open_now++;
		}
		if (open_now)
			poll(NULL, 0, 100);
	}
	if (open_now)
		printf("open %d\n", open_now);
	else
		printf("closed %d\n", count);
	return 0;
}

/* A client that asks and never reads the answer. */
static int unread(char **argv)
{
	int fd = control_connect(argv[0]);

	if (fd < 0 || send(fd, argv[1], strlen(argv[1]), 0) < 0)
		return 1;
	sleep(atoi(argv[2]));
	close(fd);
	return 0;
}

/* The program attached to ifname, as an fd; -1 if none. */
static int attached_prog(const char *ifname, int *ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int fd;

	*ifindex = if_nametoindex(ifname);
	if (!*ifindex || bpf_xdp_query(*ifindex, 0, &q) || !q.prog_id) {
		fprintf(stderr, "%s: no XDP program\n", ifname);
		return -1;
	}
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		perror("bpf_prog_get_fd_by_id");
	return fd;
}

/* Builds the frame, runs it as if it arrived on ifindex, prints the verdict. */
static int run_print(int prog_fd, int ifindex, const struct pb_spec *s)
{
	__u8 in[PB_MAX_FRAME], out[PB_MAX_FRAME + 64] = { 0 };
	struct qs_prog_run run = { .in = in, .out = out, .out_cap = sizeof(out) };

	run.in_len = pb_build(s, in, sizeof(in));
	run.ingress_ifindex = ifindex;
	if (!run.in_len || qs_prog_run(prog_fd, &run))
		return 1;
	printf("action=%u dmac=%02x:%02x:%02x:%02x:%02x:%02x\n", run.action, out[0], out[1], out[2],
	       out[3], out[4], out[5]);
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
	size_t clen;
	int fd, ifindex;

	s.family = strchr(argv[2], ':') ? 6 : 4;
	if (hex_arg(argv[4], s.dcid, QS_CID_MAX_LEN, &clen))
		return 2;
	s.dcid_len = clen;
	fd = attached_prog(argv[0], &ifindex);
	return fd < 0 ? 1 : run_print(fd, ifindex, &s);
}

static int initial(int argc, char **argv)
{
	struct pb_spec s = { .dst = argv[2],
			     .dport = atoi(argv[3]),
			     .quic = PB_QUIC_LONG,
			     .version = 1,
			     .type_bits = 0, /* v1 Initial */
			     .dcid_len = 8,
			     .scid_len = 8,
			     .payload_len = 1200 };
	int count = argc > 4 ? atoi(argv[4]) : 1, fd, ifindex, err = 0;
	char client[INET6_ADDRSTRLEN];
	unsigned int port;

	if (endpoint_split(argv[1], client, sizeof(client), &port) || count < 1 ||
	    port + count > 65536) {
		fprintf(stderr, "%s: not CLIENT:PORT, or COUNT too large\n", argv[1]);
		return 2;
	}
	s.src = client;
	s.family = strchr(argv[2], ':') ? 6 : 4;
	fd = attached_prog(argv[0], &ifindex);
	for (int i = 0; fd >= 0 && !err && i < count; i++) {
		s.sport = port + i;
		if (getrandom(s.dcid, s.dcid_len, 0) != s.dcid_len ||
		    getrandom(s.scid, s.scid_len, 0) != s.scid_len)
			return 1;
		err = run_print(fd, ifindex, &s);
	}
	return fd < 0 ? 1 : err;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "report") && argc >= 8)
		return report(argc, argv);
	if (!strcmp(cmd, "heartbeat") && (argc == 5 || argc == 6))
		return heartbeat(argc, argv);
	if (!strcmp(cmd, "burst") && argc == 6)
		return burst(argv);
	if (!strcmp(cmd, "handmade") && argc == 9)
		return handmade(argv);
	if (!strcmp(cmd, "raw") && argc == 2)
		return raw(argv);
	if (!strcmp(cmd, "control") && argc == 2)
		return control(argv);
	if (!strcmp(cmd, "silent") && argc == 2)
		return silent(argv);
	if (!strcmp(cmd, "crowd") && argc == 2)
		return crowd(argv);
	if (!strcmp(cmd, "unread") && argc == 3)
		return unread(argv);
	if (!strcmp(cmd, "route") && argc == 5)
		return route(argv);
	if (!strcmp(cmd, "initial") && (argc == 4 || argc == 5))
		return initial(argc, argv);
	fprintf(stderr, "usage: see the top of tests/netns/probes/qs-agent-probe.c\n");
	return 2;
}
