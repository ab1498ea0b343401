// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libquicsteer's reporter as an agent sees it: every datagram is captured
 * on a unix datagram socket in a temporary directory, decoded with
 * qs_report_verify, and must carry exactly the events reported, in order,
 * numbered 1, 2, 3... in one incarnation. Also the MAC against the codec's,
 * and the IDs the library makes against the router's layout.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <criterion/criterion.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "quicsteer/backend.h"
#include "crypto_allocs.h"

#define SEC 1000000000ull
#define THREADS 4
#define EVENTS_PER_THREAD 10000

static const __u8 key[QS_REPORT_KEY_LEN] = { 7, 6, 5, 4, 3, 2, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9,
					     1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1 };

/* A bound unix datagram socket standing in for an agent. */
struct sink {
	char path[96];
	int fd;
};

/* One received datagram, verified and decoded. */
struct dgram {
	__u8 raw[QS_REPORT_MAX_DGRAM];
	int len;
	struct qs_report_header hdr;
	struct qs_report_record rec[QS_REPORT_MAX_RECORDS];
	int n;
};

static struct sockaddr_in vip_a, client;
static struct sockaddr_in6 vip_b = { .sin6_family = AF_INET6 };
static char dir[64];
static struct sink sinks[2];

static void sockaddr4(struct sockaddr_in *sin, const char *addr, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

static void setup(void)
{
	sockaddr4(&vip_a, "198.18.0.100", 443);
	vip_b.sin6_port = htons(8443);
	inet_pton(AF_INET6, "fd00::101", &vip_b.sin6_addr);
	sockaddr4(&client, "198.18.5.1", 40000);
	snprintf(dir, sizeof(dir), "/tmp/qs-backend.XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		struct sink *s = &sinks[i];

		snprintf(s->path, sizeof(s->path), "%.60s/agent%d.sock", dir, i);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%.95s", s->path);
		s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		cr_assert(s->fd >= 0 && !bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)),
			  "bind %s: %s", s->path, strerror(errno));
	}
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		close(sinks[i].fd);
		unlink(sinks[i].path);
	}
	rmdir(dir);
}

TestSuite(backend, .init = setup, .fini = teardown);

static struct qs_reporter *open_ok(const char *const *agents, size_t n,
				   const struct qs_reporter_opts *opts)
{
	struct qs_reporter *r = qs_reporter_open(9, key, agents, n, opts);

	cr_assert(r, "qs_reporter_open: got NULL (%s) want a reporter", strerror(errno));
	return r;
}

/* A reporter to sinks[0], default VIP vip_a, long timers. */
static struct qs_reporter *open_sink(unsigned int flags)
{
	const char *agents[] = { sinks[0].path };
	QS_REPORTER_OPTS(opts, .flags = flags, .vip = (struct sockaddr *)&vip_a);

	return open_ok(agents, 1, &opts);
}

/* Verifies and decodes d->raw[d->len] as an agent would. */
static void dgram_decode(struct dgram *d)
{
	struct qs_report_reader rd;
	int reason = qs_report_verify(&rd, d->raw, d->len, key);

	cr_assert_eq(reason, QS_REPORT_OK, "datagram of %d bytes: got %s want ok", d->len,
		     qs_report_reason_name(reason));
	d->hdr = rd.hdr;
	for (d->n = 0; qs_report_next(&rd, &d->rec[d->n]); d->n++)
		;
}

/* The next datagram on s, decoded; false if none is queued. */
static bool sink_recv(struct sink *s, struct dgram *d)
{
	d->len = recv(s->fd, d->raw, sizeof(d->raw), MSG_DONTWAIT);
	if (d->len >= 0)
		dgram_decode(d);
	return d->len >= 0;
}

static void recv_ok(struct sink *s, struct dgram *d, const char *what)
{
	cr_assert(sink_recv(s, d), "%s: got no datagram want one", what);
}

static void expect_none(struct sink *s, const char *what)
{
	struct dgram d;

	cr_assert(!sink_recv(s, &d), "%s: got a datagram of %d records want none", what, d.n);
}

static void expect_types(const struct dgram *d, const __u8 *types, int n, const char *what)
{
	cr_assert_eq(d->n, n, "%s: got %d records want %d", what, d->n, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(d->rec[i].type, types[i], "%s: record %d: got type %u want %u", what,
			     i, d->rec[i].type, types[i]);
}

static void expect_vip(const struct dgram *d, const struct sockaddr_in *vip, const char *what)
{
	cr_assert(d->hdr.vip.family == QS_AF_INET && d->hdr.vip.port == vip->sin_port &&
			  d->hdr.vip.addr.addr[0] == vip->sin_addr.s_addr,
		  "%s: got VIP family %u port %u want %s", what, d->hdr.vip.family,
		  ntohs(d->hdr.vip.port), inet_ntoa(vip->sin_addr));
}

/* An 8-byte ID that says which event it is. */
static void cid_of(__u8 cid[8], __u32 tag, __u32 i)
{
	memcpy(cid, &tag, 4);
	memcpy(cid + 4, &i, 4);
}

/* The records of type in d[0..n) are events 0..count-1: handle i, cid_of(tag, i). */
static void expect_events(const struct dgram *d, int n, __u8 type, int count, __u32 tag)
{
	__u8 cid[8];
	int k = 0;

	for (int j = 0; j < n; j++) {
		for (int i = 0; i < d[j].n; i++) {
			const struct qs_report_record *rec = &d[j].rec[i];

			if (rec->type != type)
				continue;
			cid_of(cid, tag, k);
			cr_assert(rec->cid_issued.handle == (__u64)k &&
					  rec->cid_issued.cid.len == 8 &&
					  !memcmp(rec->cid_issued.cid.bytes, cid, 8),
				  "event %d: got handle %llu", k,
				  (unsigned long long)rec->cid_issued.handle);
			k++;
		}
	}
	cr_assert_eq(k, count, "events: got %d want %d", k, count);
}

Test(backend, events_in_order)
{
	static const __u8 want1[] = { QS_REPORT_CID_ISSUED, QS_REPORT_HANDSHAKE_DONE,
				      QS_REPORT_CID_RETIRED, QS_REPORT_CONN_CLOSED };
	static const __u8 want2[] = { QS_REPORT_DRAIN }, want3[] = { QS_REPORT_HEARTBEAT };
	struct qs_reporter *r = open_sink(0);
	__u64 inc = qs_reporter_incarnation(r);
	const __u8 cid[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct dgram d;

	cr_assert_neq(inc, 0, "incarnation: got 0 want the opening time");
	cr_assert_eq(qs_reporter_cid_issued(r, NULL, 77, cid, 4), 0);
	cr_assert_eq(qs_reporter_handshake_done(r, NULL, 77, (struct sockaddr *)&client), 0);
	/* What a dual-stack socket says of an IPv4 VIP: the same VIP, the same datagram. */
	inet_pton(AF_INET6, "::ffff:198.18.0.100", &mapped.sin6_addr);
	cr_assert_eq(qs_reporter_cid_retired(r, (struct sockaddr *)&mapped, cid, 4), 0);
	cr_assert_eq(qs_reporter_conn_closed(r, 77), 0);
	expect_none(&sinks[0], "before the flush");
	cr_assert_eq(qs_reporter_flush(r), 0);
	recv_ok(&sinks[0], &d, "flush");
	expect_types(&d, want1, 4, "flush");
	expect_vip(&d, &vip_a, "flush");
	cr_assert(d.hdr.backend_id == 9 && d.hdr.incarnation == inc && d.hdr.sequence == 1,
		  "header: got backend %u sequence %llu want 9, 1, the incarnation",
		  d.hdr.backend_id, (unsigned long long)d.hdr.sequence);
	cr_assert(d.rec[0].cid_issued.handle == 77 && d.rec[0].cid_issued.cid.len == 4 &&
			  !memcmp(d.rec[0].cid_issued.cid.bytes, cid, 4) &&
			  d.rec[1].handshake.handle == 77 &&
			  d.rec[1].handshake.client.family == 4 &&
			  d.rec[1].handshake.client.port == client.sin_port &&
			  d.rec[1].handshake.client.addr.addr[0] == client.sin_addr.s_addr &&
			  d.rec[2].cid_retired.cid.len == 4 && d.rec[3].closed.handle == 77,
		  "records: not the events reported");
	cr_assert_eq(qs_reporter_flush(r), 0, "empty flush: got an error want 0");
	expect_none(&sinks[0], "empty flush");

	cr_assert_eq(qs_reporter_drain(r), 0);
	recv_ok(&sinks[0], &d, "drain");
	expect_types(&d, want2, 1, "drain");
	cr_assert_eq(qs_reporter_heartbeat(r), 0);
	recv_ok(&sinks[0], &d, "heartbeat");
	expect_types(&d, want3, 1, "heartbeat");
	cr_assert(d.hdr.sequence == 3 && d.hdr.incarnation == inc, "heartbeat: got sequence %llu",
		  (unsigned long long)d.hdr.sequence);
	qs_reporter_close(r);

	r = open_sink(QS_REPORTER_AUTO_FLUSH);
	for (__u64 i = 1; i <= 3; i++) {
		cr_assert_eq(qs_reporter_cid_issued(r, NULL, i, cid, 4), 0);
		recv_ok(&sinks[0], &d, "auto flush");
		cr_assert(d.n == 1 && d.hdr.sequence == i && d.hdr.incarnation != inc,
			  "auto flush: got %d records, sequence %llu", d.n,
			  (unsigned long long)d.hdr.sequence);
	}
	qs_reporter_close(r);
}

static __u64 wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * SEC + ts.tv_nsec;
}

/*
 * Report protocol version 2 (issue 11, item 4): the incarnation is the
 * time the reporter opened, so a later one is greater, and each datagram
 * carries the time it is sent (not the time its first record was added),
 * which the agents hold against their clocks.
 */
Test(backend, incarnations_ordered_and_datagrams_stamped_when_sent)
{
	const __u8 cid[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	__u64 before = wall_ns(), inc1, inc2, sent_after, sent_before;
	struct qs_reporter *r1 = open_sink(0), *r2;
	struct timespec pause = { 0, 20000000 };
	struct dgram d;

	inc1 = qs_reporter_incarnation(r1);
	cr_assert(inc1 >= before && inc1 <= wall_ns(),
		  "incarnation %llu: want the opening time, between %llu and now",
		  (unsigned long long)inc1, (unsigned long long)before);
	r2 = open_sink(0);
	inc2 = qs_reporter_incarnation(r2);
	cr_assert_gt(inc2, inc1, "a later reporter's incarnation %llu is not greater than %llu",
		     (unsigned long long)inc2, (unsigned long long)inc1);
	qs_reporter_close(r2);

	cr_assert_eq(qs_reporter_cid_issued(r1, NULL, 1, cid, 4), 0);
	nanosleep(&pause, NULL);
	sent_after = wall_ns();
	cr_assert_eq(qs_reporter_flush(r1), 0);
	sent_before = wall_ns();
	recv_ok(&sinks[0], &d, "flush");
	cr_assert_eq(d.hdr.version, QS_REPORT_VERSION, "got version %u", d.hdr.version);
	cr_assert_eq(d.hdr.incarnation, inc1);
	cr_assert(d.hdr.timestamp >= sent_after && d.hdr.timestamp <= sent_before,
		  "timestamp %llu: want the sending time, %llu..%llu",
		  (unsigned long long)d.hdr.timestamp, (unsigned long long)sent_after,
		  (unsigned long long)sent_before);
	qs_reporter_close(r1);
}

Test(backend, bad_arguments)
{
	char bad[] =
		"fd00::1:4434 [fd00::1]:0 198.18.0.1:70000 198.18.0.1 unix:reports.sock x.sock";
	char long_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1] = "/";
	const struct sockaddr *a = (struct sockaddr *)&vip_a;
	const char *agents[17], *ok[] = { "127.0.0.1:4434", "[::1]:4434", "unix:/run/x.sock" };
	struct {
		struct qs_reporter_opts o;
		__u64 later_field;
	} big = { .o = { .sz = sizeof(big) } };
	QS_REPORTER_OPTS(bad_flags, .flags = 1u << 7);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct qs_reporter *r;

	for (int i = 0; i < 17; i++)
		agents[i] = "/run/x.sock";
	cr_assert(!qs_reporter_open(0, key, agents, 1, NULL) && errno == EINVAL, "backend 0");
	cr_assert(!qs_reporter_open(4096, key, agents, 1, NULL) && errno == EINVAL, "4096");
	cr_assert(!qs_reporter_open(1, NULL, agents, 1, NULL) && errno == EINVAL, "no key");
	cr_assert(!qs_reporter_open(1, key, agents, 0, NULL) && errno == EINVAL, "no agent");
	cr_assert(!qs_reporter_open(1, key, agents, 17, NULL) && errno == EINVAL, "17 agents");
	for (char *save, *s = strtok_r(bad, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		r = qs_reporter_open(1, key, (const char *const *)&s, 1, NULL);
		cr_assert(!r && errno == EINVAL, "agent %s: got %s want EINVAL", s,
			  r ? "a reporter" : strerror(errno));
	}
	memset(long_path + 1, 'a', sizeof(long_path) - 2);
	agents[0] = long_path;
	cr_assert(!qs_reporter_open(1, key, agents, 1, NULL) && errno == ENAMETOOLONG, "long path");
	agents[0] = agents[1];
	cr_assert(!qs_reporter_open(1, key, agents, 1, &bad_flags) && errno == EINVAL, "flags");
	r = qs_reporter_open(1, key, ok, 3, NULL);
	cr_assert(r, "UDP and unix agents: got %s want a reporter", strerror(errno));
	cr_assert(qs_reporter_cid_issued(r, a, 1, key, 21) == -EINVAL &&
			  qs_reporter_cid_retired(r, a, NULL, 4) == -EINVAL &&
			  qs_reporter_cid_issued(r, (struct sockaddr *)&un, 1, key, 8) ==
				  -EAFNOSUPPORT &&
			  qs_reporter_handshake_done(r, a, 1, NULL) == -EINVAL,
		  "a 21-byte ID, no ID, an AF_UNIX VIP, no client: got no error");
	qs_reporter_close(r);
	r = qs_reporter_open(1, key, agents, 1, &big.o);
	cr_assert(r, "larger opts, unknown fields zero: got %s want a reporter", strerror(errno));
	qs_reporter_close(r);
	big.later_field = 1;
	cr_assert(!qs_reporter_open(1, key, agents, 1, &big.o) && errno == EINVAL, "later field");
}

/* Every datagram queued on s, at most max. */
static int recv_all(struct sink *s, struct dgram *d, int max)
{
	int n = 0;

	while (n < max && sink_recv(s, &d[n]))
		n++;
	return n;
}

/* The datagram equals what the codec makes of its header and records. */
static void expect_codec_bytes(const struct dgram *d, const char *what)
{
	__u8 buf[QS_REPORT_MAX_DGRAM];
	struct qs_report_encoder enc;
	int len;

	cr_assert_eq(qs_report_encoder_init(&enc, buf, sizeof(buf), &d->hdr), 0);
	for (int i = 0; i < d->n; i++)
		cr_assert_eq(qs_report_add(&enc, &d->rec[i]), 0, "%s: record %d", what, i);
	len = qs_report_finish(&enc, key);
	cr_assert(len == d->len && !memcmp(buf, d->raw, len),
		  "%s: got %d bytes want qs_report_finish's %d, identical", what, d->len, len);
}

/* Events fill datagrams; the one that does not fit starts the next. */
Test(backend, batching_fills_datagrams)
{
	struct qs_reporter *r = open_sink(0);
	struct dgram d[2];
	int per_dgram = QS_REPORT_MAX_BODY / (QS_REPORT_REC_HDR_LEN + 8 + 8); /* 60 */
	__u8 cid[8];

	for (int i = 0; i < 100; i++) {
		cid_of(cid, 1, i);
		cr_assert_eq(qs_reporter_cid_issued(r, NULL, i, cid, 8), 0);
	}
	recv_ok(&sinks[0], &d[0], "full datagram");
	expect_none(&sinks[0], "the rest waits for a flush");
	cr_assert_eq(qs_reporter_flush(r), 0);
	recv_ok(&sinks[0], &d[1], "flush");
	cr_assert(d[0].n == per_dgram && d[1].n == 100 - per_dgram,
		  "records: got %d + %d want %d + %d", d[0].n, d[1].n, per_dgram, 100 - per_dgram);
	cr_assert_eq(d[0].len, QS_REPORT_MIN_DGRAM + per_dgram * 19);
	expect_events(d, 2, QS_REPORT_CID_ISSUED, 100, 1);
	cr_assert(d[0].hdr.sequence == 1 && d[1].hdr.sequence == 2);

	/* The smallest records (3 bytes): the record count is the limit. */
	for (int i = 0; i <= QS_REPORT_MAX_RECORDS; i++)
		qs_reporter_cid_retired(r, NULL, cid, 0);
	qs_reporter_flush(r);
	recv_ok(&sinks[0], &d[0], "384 records");
	recv_ok(&sinks[0], &d[1], "the 385th");
	cr_assert(d[0].n == QS_REPORT_MAX_RECORDS && d[1].n == 1, "records: got %d + %d", d[0].n,
		  d[1].n);
	expect_codec_bytes(&d[0], "384 records");
	qs_reporter_close(r);
}

/*
 * Snapshot parts in d[0..n): numbered 0.. in datagram order, one id,
 * FINAL on the last only, before the IDs of their datagram (quicsteerd
 * ignores IDs that come before their part). Returns the id.
 */
static __u32 expect_parts(const struct dgram *d, int n, int want_parts, const char *what)
{
	__u32 id = 0;
	int part = 0;

	for (int k = 0; k < n; k++) {
		bool has_part = false;

		for (int i = 0; i < d[k].n; i++) {
			const struct qs_report_record *rec = &d[k].rec[i];

			cr_assert(rec->type != QS_REPORT_SNAPSHOT_CID || has_part,
				  "%s: datagram %d: a snapshot ID before its part", what, k);
			if (rec->type != QS_REPORT_SNAPSHOT_PART)
				continue;
			has_part = true;
			if (!part)
				id = rec->snapshot.snapshot_id;
			cr_assert(rec->snapshot.part == part && rec->snapshot.snapshot_id == id,
				  "%s: got part %u of snapshot %u want part %d of %u", what,
				  rec->snapshot.part, rec->snapshot.snapshot_id, part, id);
			cr_assert_eq(rec->snapshot.flags, part == want_parts - 1,
				     "%s: part %d: got flags %u", what, part, rec->snapshot.flags);
			part++;
		}
	}
	cr_assert_eq(part, want_parts, "%s: got %d parts want %d", what, part, want_parts);
	return id;
}

Test(backend, snapshot_over_datagrams)
{
	struct qs_reporter *r = open_sink(0);
	static struct dgram d[8];
	int n, per_dgram = (QS_REPORT_MAX_BODY - 11) / 19; /* 60 beside the part */
	__u32 first;
	__u8 cid[8];

	cr_assert_eq(qs_reporter_snapshot_begin(r, NULL), 0);
	for (__u32 i = 0; i < 150; i++) {
		cid_of(cid, 2, i);
		cr_assert_eq(qs_reporter_snapshot_add(r, i, cid, sizeof(cid)), 0);
	}
	cr_assert_eq(qs_reporter_snapshot_end(r), 0);
	n = recv_all(&sinks[0], d, 8);
	/* The IDs, then FINAL in a part of its own. */
	cr_assert_eq(n, (150 + per_dgram - 1) / per_dgram + 1, "datagrams: got %d", n);
	first = expect_parts(d, n, n, "150 IDs");
	expect_events(d, n, QS_REPORT_SNAPSHOT_CID, 150, 2);
	for (int j = 0; j < n; j++) {
		cr_assert_eq(d[j].hdr.sequence, (__u64)j + 1);
		expect_vip(&d[j], &vip_a, "snapshot");
		expect_codec_bytes(&d[j], "snapshot");
	}

	/* No live IDs: parts and nothing else; a new snapshot id. */
	cr_assert_eq(qs_reporter_snapshot_begin(r, NULL), 0);
	cr_assert_eq(qs_reporter_snapshot_end(r), 0);
	n = recv_all(&sinks[0], d, 8);
	cr_assert(n == 2 && d[0].n == 1 && d[1].n == 1, "empty snapshot: got %d datagrams", n);
	cr_assert_neq(expect_parts(d, 2, 2, "empty snapshot"), first, "snapshot id reused");
	qs_reporter_close(r);
}

Test(backend, snapshot_with_events)
{
	static const __u8 want1[] = { QS_REPORT_CID_ISSUED, QS_REPORT_SNAPSHOT_PART,
				      QS_REPORT_SNAPSHOT_CID };
	static const __u8 want2[] = { QS_REPORT_CID_ISSUED, QS_REPORT_CONN_CLOSED };
	static const __u8 want3[] = { QS_REPORT_SNAPSHOT_PART, QS_REPORT_SNAPSHOT_CID,
				      QS_REPORT_CID_RETIRED };
	struct qs_reporter *r = open_sink(0);
	const struct sockaddr *b = (struct sockaddr *)&vip_b;
	struct dgram d[5];
	__u8 x[8] = { 1 }, y[8] = { 2 }, z[8] = { 3 };

	cr_assert_eq(qs_reporter_snapshot_add(r, 1, x, 8), -EINVAL, "add without a snapshot");
	cr_assert_eq(qs_reporter_snapshot_end(r), -EINVAL, "end without a snapshot");
	qs_reporter_cid_issued(r, NULL, 1, x, 8);
	cr_assert_eq(qs_reporter_snapshot_begin(r, NULL), 0);
	cr_assert_eq(qs_reporter_snapshot_begin(r, b), -EBUSY, "second snapshot");
	qs_reporter_snapshot_add(r, 1, x, 8);
	qs_reporter_cid_issued(r, b, 2, y, 8); /* another VIP: part 0 goes */
	qs_reporter_conn_closed(r, 2); /* about no VIP: joins any datagram */
	qs_reporter_snapshot_add(r, 1, z, 8); /* back on VIP a: part 1 */
	qs_reporter_cid_retired(r, NULL, x, 8);
	cr_assert_eq(qs_reporter_snapshot_end(r), 0);
	cr_assert_eq(recv_all(&sinks[0], d, 5), 4);
	expect_types(&d[0], want1, 3, "part 0");
	expect_types(&d[1], want2, 2, "VIP b");
	cr_assert(d[1].hdr.vip.family == QS_AF_INET6 && d[1].hdr.vip.port == vip_b.sin6_port &&
			  !memcmp(&d[1].hdr.vip.addr, &vip_b.sin6_addr, 16),
		  "IPv6 VIP: got family %u", d[1].hdr.vip.family);
	expect_types(&d[2], want3, 3, "part 1");
	cr_assert_eq(d[3].n, 1, "FINAL part alone: got %d records", d[3].n);
	expect_parts(d, 4, 3, "snapshot with events");

	/* Abort: the IDs already added still go out, with a part that is not final. */
	cr_assert_eq(qs_reporter_snapshot_begin(r, NULL), 0);
	qs_reporter_snapshot_add(r, 1, z, 8);
	cr_assert(!qs_reporter_snapshot_abort(r) && !qs_reporter_snapshot_abort(r), "abort twice");
	cr_assert_eq(qs_reporter_snapshot_add(r, 1, z, 8), -EINVAL, "add after abort");
	cr_assert_eq(qs_reporter_snapshot_begin(r, NULL), 0, "a snapshot after an abort");
	cr_assert_eq(recv_all(&sinks[0], d, 4), 1, "the aborted part goes before the new one");
	cr_assert(d[0].n == 2 && d[0].rec[0].type == QS_REPORT_SNAPSHOT_PART &&
			  d[0].rec[0].snapshot.flags == 0,
		  "aborted snapshot: got %d records want a part that is not final and its ID",
		  d[0].n);
	qs_reporter_snapshot_end(r);
	cr_assert_eq(recv_all(&sinks[0], d, 4), 2, "the new snapshot: part 0, then FINAL");
	qs_reporter_close(r);
}

Test(backend, timers_by_tick)
{
	const char *agents[] = { sinks[0].path };
	QS_REPORTER_OPTS(opts, .vip = (struct sockaddr *)&vip_a, .heartbeat_ns = SEC,
			 .snapshot_ns = 10 * SEC);
	struct qs_reporter *r = open_ok(agents, 1, &opts);
	static const __u8 hb[] = { QS_REPORT_HEARTBEAT };
	__u64 t0 = 1000 * SEC;
	__u8 cid[8] = { 0 };
	struct dgram d;

	cr_assert_eq(qs_reporter_tick(r, t0), QS_TICK_SNAPSHOT_DUE, "first tick: snapshot due");
	recv_ok(&sinks[0], &d, "first tick");
	expect_types(&d, hb, 1, "first tick: a heartbeat");
	cr_assert_eq(qs_reporter_tick(r, t0 + SEC / 2), 0, "half a second: nothing due");
	expect_none(&sinks[0], "half a second");
	cr_assert_eq(qs_reporter_tick(r, t0 + SEC), 0);
	recv_ok(&sinks[0], &d, "a second");
	expect_types(&d, hb, 1, "a second: a heartbeat");

	/* Any datagram is a sign of life: no heartbeat a second after it. */
	qs_reporter_cid_issued(r, NULL, 1, cid, 8);
	qs_reporter_flush(r);
	recv_ok(&sinks[0], &d, "event");
	qs_reporter_tick(r, t0 + SEC * 3 / 2);
	qs_reporter_tick(r, t0 + SEC * 24 / 10);
	expect_none(&sinks[0], "0.9 s after the event");
	qs_reporter_tick(r, t0 + SEC * 5 / 2);
	recv_ok(&sinks[0], &d, "1 s after the event");
	expect_types(&d, hb, 1, "1 s after the event: a heartbeat");

	/* A tick sends what is pending, and that is the sign of life. */
	qs_reporter_cid_issued(r, NULL, 2, cid, 8);
	qs_reporter_tick(r, t0 + 4 * SEC);
	recv_ok(&sinks[0], &d, "pending event sent by tick");
	cr_assert(d.n == 1 && d.rec[0].type == QS_REPORT_CID_ISSUED, "got %d records", d.n);
	expect_none(&sinks[0], "no heartbeat beside a pending event");

	cr_assert_eq(qs_reporter_tick(r, t0 + 10 * SEC) & QS_TICK_SNAPSHOT_DUE,
		     QS_TICK_SNAPSHOT_DUE, "ten seconds: snapshot due");
	cr_assert_eq(qs_reporter_tick(r, t0 + 10 * SEC + 1) & QS_TICK_SNAPSHOT_DUE, 0,
		     "snapshot due once per interval");
	qs_reporter_close(r);
}

/* Every agent gets the same datagram; a dead one is counted, not in the way. */
Test(backend, destinations)
{
	char dead[160];
	const char *agents[] = { dead, sinks[0].path, sinks[1].path };
	struct qs_reporter_dest_stats st;
	struct qs_reporter *r;
	struct dgram d[2];

	snprintf(dead, sizeof(dead), "%s/nobody.sock", dir);
	r = open_ok(agents, 3, NULL);
	cr_assert(qs_reporter_cid_issued(r, NULL, 1, dead, 8) == -EINVAL &&
			  qs_reporter_snapshot_begin(r, NULL) == -EINVAL,
		  "VIP-bound records with no VIP given nor a default one");
	cr_assert_eq(qs_reporter_heartbeat(r), 0, "two agents took it: not an error");
	recv_ok(&sinks[0], &d[0], "first agent");
	recv_ok(&sinks[1], &d[1], "second agent");
	cr_assert_eq(d[0].hdr.vip.family, QS_AF_NONE, "heartbeat without a default VIP");
	cr_assert(d[0].len == d[1].len && !memcmp(d[0].raw, d[1].raw, d[0].len),
		  "the agents got different datagrams");
	qs_reporter_dest_stats(r, 0, &st);
	cr_assert(st.errors == 1 && st.last_error == -ENOENT && !st.datagrams,
		  "missing socket: got %llu errors, last %d want 1, -ENOENT",
		  (unsigned long long)st.errors, st.last_error);
	qs_reporter_dest_stats(r, 1, &st);
	cr_assert(st.datagrams == 1 && st.bytes == (__u64)d[0].len && !st.errors);

	close(sinks[1].fd); /* its path stays: an agent that died */
	sinks[1].fd = -1;
	cr_assert_eq(qs_reporter_heartbeat(r), 0, "one agent took it: not an error");
	recv_ok(&sinks[0], &d[0], "the live agent");
	qs_reporter_dest_stats(r, 2, &st);
	cr_assert(st.datagrams == 1 && st.errors == 1 && st.last_error == -ECONNREFUSED,
		  "dead socket: got %llu errors, last %d want 1, -ECONNREFUSED",
		  (unsigned long long)st.errors, st.last_error);
	cr_assert_eq(qs_reporter_dest_stats(r, 3, &st), -EINVAL);
	qs_reporter_close(r);

	r = open_ok(agents, 1, NULL);
	cr_assert_eq(qs_reporter_heartbeat(r), -ENOENT, "no agent took it: got the error");
	qs_reporter_close(r);
}

/* An agent that does not read: one timeout, then no more waiting for it. */
Test(backend, stalled_destination)
{
	const char *agents[] = { sinks[1].path, sinks[0].path };
	QS_REPORTER_OPTS(opts, .send_timeout_ns = SEC / 50);
	struct qs_reporter *r = open_ok(agents, 2, &opts);
	struct qs_reporter_dest_stats st;
	struct dgram d;
	int queued;

	for (int i = 0; i < 30; i++) {
		qs_reporter_heartbeat(r);
		recv_ok(&sinks[0], &d, "the agent that reads");
	}
	qs_reporter_dest_stats(r, 0, &st);
	cr_assert(st.datagrams + st.errors == 30 && st.errors && st.last_error == -EAGAIN,
		  "stalled: got %llu sent, %llu errors, last %d want 30 in all, -EAGAIN",
		  (unsigned long long)st.datagrams, (unsigned long long)st.errors, st.last_error);
	for (queued = 0; sink_recv(&sinks[1], &d); queued++)
		;
	cr_assert_eq((__u64)queued, st.datagrams);
	qs_reporter_heartbeat(r);
	qs_reporter_dest_stats(r, 0, &st);
	cr_assert_eq((__u64)queued + 1, st.datagrams, "once it reads again, it gets datagrams");
	qs_reporter_close(r);
}

static struct qs_reporter *shared;
static int refused, finished;

static void *sender_run(void *arg)
{
	__u32 thread = (long)arg;
	__u8 cid[8];

	for (__u32 i = 0; i < EVENTS_PER_THREAD; i++) {
		cid_of(cid, thread, i);
		if (qs_reporter_cid_issued(shared, NULL, (__u64)thread << 32 | i, cid, 8))
			__atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
		if (i % 97 == 0)
			qs_reporter_flush(shared);
	}
	/* The last thread's flush sends what the others left pending. */
	qs_reporter_flush(shared);
	__atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Checks one captured datagram against what the threads reported. */
static void threads_check(const struct dgram *d, __u64 seq, __u64 inc, __u8 *seen, int *last)
{
	cr_assert(d->hdr.sequence == seq && d->hdr.incarnation == inc,
		  "datagram %llu: got sequence %llu want consecutive, one incarnation",
		  (unsigned long long)seq, (unsigned long long)d->hdr.sequence);
	for (int i = 0; i < d->n; i++) {
		__u64 h = d->rec[i].cid_issued.handle;
		__u32 t = h >> 32, k = (__u32)h;

		cr_assert(t < THREADS && k < EVENTS_PER_THREAD, "unknown handle %llx",
			  (unsigned long long)h);
		cr_assert(!seen[t * EVENTS_PER_THREAD + k], "event %u/%u twice", t, k);
		cr_assert((int)k > last[t], "thread %u: event %u after %d", t, k, last[t]);
		seen[t * EVENTS_PER_THREAD + k] = 1;
		last[t] = k;
	}
}

Test(backend, threads)
{
	const char *agents[] = { sinks[0].path };
	/* Generous: senders wait while this thread checks what they sent. */
	QS_REPORTER_OPTS(opts, .vip = (struct sockaddr *)&vip_a, .send_timeout_ns = 10 * SEC);
	struct qs_reporter *r = shared = open_ok(agents, 1, &opts);
	static __u8 seen[THREADS * EVENTS_PER_THREAD];
	static struct dgram d[1];
	int last[THREADS], events = 0;
	pthread_t th[THREADS];
	__u64 seq = 0;

	for (long t = 0; t < THREADS; t++) {
		last[t] = -1;
		pthread_create(&th[t], NULL, sender_run, (void *)t);
	}
	for (;;) {
		struct pollfd p = { .fd = sinks[0].fd, .events = POLLIN };
		/* Read first: once all have finished, an empty socket is the end. */
		bool all = __atomic_load_n(&finished, __ATOMIC_ACQUIRE) == THREADS;

		if (sink_recv(&sinks[0], d)) {
			threads_check(d, ++seq, qs_reporter_incarnation(r), seen, last);
			events += d->n;
		} else if (all) {
			break;
		} else {
			poll(&p, 1, 10);
		}
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	cr_assert_eq(refused, 0, "events refused: got %d want 0", refused);
	cr_assert_eq(events, THREADS * EVENTS_PER_THREAD, "events: got %d want %d", events,
		     THREADS * EVENTS_PER_THREAD);
	qs_reporter_close(r);
}

/*
 * The reporter's MAC (SHA-256 over prepared key states) against the codec's
 * (OpenSSL's HMAC()) for every datagram length from 83 to 1226 bytes: the
 * body is n CONN_CLOSED (11 bytes each) and a CID_RETIRED of 3 + L bytes.
 */
Test(backend, mac_equals_codec)
{
	struct qs_reporter *r = open_sink(0);
	__u8 cid[QS_CID_MAX_LEN] = { 0 };
	static struct dgram d[1];
	char what[64];

	for (int len = 0; len < 11; len++) {
		for (int n = 0; 11 * n + 3 + len <= QS_REPORT_MAX_BODY; n++) {
			for (int k = 0; k < n; k++)
				qs_reporter_conn_closed(r, k);
			qs_reporter_cid_retired(r, NULL, cid, len);
			qs_reporter_flush(r);
			snprintf(what, sizeof(what), "%d closed, %d-byte retire", n, len);
			recv_ok(&sinks[0], d, what);
			cr_assert_eq(d->len, QS_REPORT_MIN_DGRAM + 11 * n + 3 + len);
			expect_codec_bytes(d, what);
		}
	}
	qs_reporter_close(r);
}

Test(backend, report_path_allocates_nothing_in_libcrypto)
{
	struct qs_reporter *r;
	__u8 cid[8] = { 0 }, mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len;
	long allocs;

	cr_assert(crypto_allocs_installed(),
		  "libcrypto allocated before main: its allocations cannot be counted");
	r = open_sink(0);
	crypto_allocs_start();
	for (int i = 0; i < 1000; i++) {
		qs_reporter_cid_issued(r, NULL, i, cid, 8);
		qs_reporter_cid_retired(r, NULL, cid, 8);
	}
	qs_reporter_flush(r);
	qs_reporter_snapshot_begin(r, NULL);
	qs_reporter_snapshot_add(r, 1, cid, 8);
	qs_reporter_snapshot_end(r);
	qs_reporter_tick(r, SEC);
	allocs = crypto_allocs_stop();
	cr_assert_eq(allocs, 0, "reporting: got %ld libcrypto allocations want 0", allocs);

	/* The counter works: the one-shot HMAC() does allocate on OpenSSL 3. */
	crypto_allocs_start();
	HMAC(EVP_sha256(), key, sizeof(key), cid, sizeof(cid), mac, &mac_len);
	allocs = crypto_allocs_stop();
	if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
		cr_assert_gt(allocs, 0, "HMAC(): got no allocation: the counter is blind");
	qs_reporter_close(r);
}

/* The router's view (bpf/route.h): config = byte 0 >> 5, server ID = bytes 1..sid_len. */
Test(backend, connection_ids)
{
	__u8 sid[QS_QUICLB_SID_MAX], cid[QS_CID_MAX_LEN + 4], first = 0, low_bits = 0;
	int len;

	for (unsigned int config = 0; config < QS_QUICLB_CONFIGS; config++) {
		for (size_t sl = 1; sl <= QS_QUICLB_SID_MAX; sl++) {
			for (size_t nl = QS_QUICLB_NONCE_MIN;
			     nl <= QS_QUICLB_NONCE_MAX && 1 + sl + nl <= QS_CID_MAX_LEN; nl++) {
				for (size_t j = 0; j < sl; j++)
					sid[j] = config << 4 ^ sl ^ j * 17;
				memset(cid, 0xee, sizeof(cid));
				len = qs_cid_quiclb_plaintext(cid, config, sid, sl, nl);
				cr_assert(len == (int)(1 + sl + nl) && cid[0] >> 5 == config &&
						  !memcmp(cid + 1, sid, sl) && cid[len] == 0xee,
					  "config %u sid %zu nonce %zu: got length %d, config %u",
					  config, sl, nl, len, cid[0] >> 5);
				low_bits |= (cid[0] & 0x1f) ^ (first & 0x1f);
				first = cid[0];
			}
		}
	}
	cr_assert_neq(low_bits, 0, "the 5 low bits of byte 0 never changed: not random");
	/* config 7 (unroutable), server ID 0 or 16 bytes, nonce 3 or 19, 21 bytes */
	cr_assert(qs_cid_quiclb_plaintext(cid, 7, sid, 2, 6) == -EINVAL &&
			  qs_cid_quiclb_plaintext(cid, 0, sid, 0, 6) == -EINVAL &&
			  qs_cid_quiclb_plaintext(cid, 0, sid, 16, 4) == -EINVAL &&
			  qs_cid_quiclb_plaintext(cid, 0, sid, 2, 3) == -EINVAL &&
			  qs_cid_quiclb_plaintext(cid, 0, sid, 1, 19) == -EINVAL &&
			  qs_cid_quiclb_plaintext(cid, 0, sid, 15, 5) == -EINVAL,
		  "QUIC-LB IDs the router cannot decode: got one want -EINVAL");

	cr_assert(qs_cid_random(cid, 1) == 1 && qs_cid_random(sid, 15) == 15 &&
			  qs_cid_random(cid, QS_CID_MAX_LEN) == QS_CID_MAX_LEN,
		  "random IDs of 1, 15 and 20 bytes");
	cr_assert(memcmp(cid, sid, 15), "two random 15-byte IDs are equal");
	cr_assert(qs_cid_random(cid, 0) == -EINVAL && qs_cid_random(cid, 21) == -EINVAL);
}
