// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Real ngtcp2 connections (the pcaps in tests/data/captures, described in its
 * README) replayed through the router with BPF_PROG_TEST_RUN. The packet
 * table in test_datapath.c checks headers we built ourselves; this suite
 * guards against what only real traffic shows: coalesced datagrams, a
 * cleared fixed bit (grease_quic_bit), Retry, NAT rebinding and active
 * migration to a connection ID the router never saw in a long header. The
 * property checked is the one the project exists for: every client packet
 * of a connection reaches the backend that owns it, and the reason counters
 * say which rung of the ladder sent it there.
 *
 * The server's IDs are registered as a backend would report them: its
 * long-header SCIDs from the pcap (Initial, and Retry) and the
 * NEW_CONNECTION_ID frames the client received, from the client's qlog.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/in.h>
#include <pcap/pcap.h>
#include <json-c/json.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include "fixture.h"
#include "router/maps.h"
#include "util/words.h"
#include "pktbuild.h"
#include "router/reasons.h"
#include "abi/flowhash.h"

#define CAP_PORT 4433
#define CAP_VIP_ID 0
#define CAP_CID_LEN 18 /* every ID the server issues (README) */
#define CAP_BACKENDS 4
#define CAP_FIRST_ID 1 /* backend id 0 is never assigned (abi.h) */
#define CAP_MAX_FRAMES 64 /* client->server datagrams; the largest file has 43 */
#define CAP_MAX_IDS 16
#define CAP_MIN_QLOG_IDS 6 /* sequences 1-6, in the server's first 1-RTT packets */
#define ETH_LEN 14
#define NO_BE 0xffffffffu

/* pcap/bpf.h and linux/bpf.h both define struct bpf_insn: the XDP verdicts
 * (kernel ABI, enum xdp_action) are spelled out here instead.
 */
#define XDP_DROP 1
#define XDP_TX 3

struct capture {
	const char *name; /* file stem in the captures directory */
	const char *server;
	int has_qlog;
	size_t client_frames; /* client->server datagrams, from the README */
};

enum { CAP_V4_BASIC, CAP_V6_BASIC, CAP_V4_MIGRATION, CAP_V4_REBINDING, CAP_V4_RETRY, N_CAPS };

static const struct capture captures[N_CAPS] = {
	[CAP_V4_BASIC] = { "quic-v4-basic", "198.18.0.2", 0, 6 },
	[CAP_V6_BASIC] = { "quic-v6-basic", "fd00:18::2", 0, 6 },
	[CAP_V4_MIGRATION] = { "quic-v4-migration", "198.18.0.2", 1, 38 },
	[CAP_V4_REBINDING] = { "quic-v4-rebinding", "198.18.0.2", 1, 43 },
	[CAP_V4_RETRY] = { "quic-v4-retry", "198.18.0.2", 1, 10 },
};

static const char *const backend4[CAP_BACKENDS] = {
	"198.18.1.10",
	"198.18.1.11",
	"198.18.1.12",
	"198.18.1.13",
};
static const char *const backend6[CAP_BACKENDS] = {
	"fd00:1::10",
	"fd00:1::11",
	"fd00:1::12",
	"fd00:1::13",
};
static const uint32_t ring[CAP_BACKENDS] = { 1, 2, 3, 4 };

/* One client->server datagram and what the router did with it. */
struct cap_frame {
	uint8_t *data;
	size_t len;
	unsigned int number; /* in the pcap, from 1 */
	struct qs_addr saddr;
	uint16_t sport; /* host order */
	uint8_t dcid[QS_CID_MAX_LEN];
	uint8_t dcid_len;
	int action;
	uint32_t backend; /* NO_BE unless forwarded */
	unsigned int reason;
};

struct replay {
	const struct capture *cap;
	char dir[PATH_MAX];
	struct fx fx;
	uint8_t family;
	struct qs_addr server;
	struct qs_addr be[CAP_BACKENDS];
	struct cap_frame frames[CAP_MAX_FRAMES];
	size_t n_frames, n_total, n_pcap_ids;
	uint8_t ids[CAP_MAX_IDS][QS_CID_MAX_LEN];
	uint8_t id_len[CAP_MAX_IDS];
	size_t n_ids;
	uint64_t counts[QS_R__COUNT];
};

/* The fields of a frame's IP and UDP headers that the replay needs. */
struct udp_view {
	uint8_t family;
	struct qs_addr saddr, daddr;
	uint16_t sport, dport; /* host order */
	const uint8_t *payload;
	size_t payload_len;
};

static const char *hex(const uint8_t *b, size_t len)
{
	static char buf[2 * QS_CID_MAX_LEN + 1];

	for (size_t i = 0; i < len && i < QS_CID_MAX_LEN; i++)
		sprintf(buf + 2 * i, "%02x", b[i]);
	buf[2 * (len < QS_CID_MAX_LEN ? len : QS_CID_MAX_LEN)] = 0;
	return buf;
}

/*
 * QS_CAPTURES, else tests/data/captures of the repository: the first
 * directory at or above the working directory that holds it. The tests
 * read nothing from outside the clone.
 */
static void captures_dir(char *dir, size_t cap)
{
	const char *env = getenv("QS_CAPTURES");
	char cwd[PATH_MAX], root[PATH_MAX];
	struct stat st;
	char *slash;

	if (env && *env) {
		cr_assert_lt((size_t)snprintf(dir, cap, "%s", env), cap, "QS_CAPTURES too long");
	} else {
		cr_assert_not_null(getcwd(cwd, sizeof(cwd)), "getcwd");
		memcpy(root, cwd, sizeof(root));
		for (;;) {
			cr_assert_lt((size_t)snprintf(dir, cap, "%s/tests/data/captures", root), cap,
				     "path too long");
			if (!stat(dir, &st) && S_ISDIR(st.st_mode))
				break;
			slash = strrchr(root, '/');
			cr_assert(slash && slash != root,
				  "no tests/data/captures at or above %s: set QS_CAPTURES", cwd);
			*slash = 0;
		}
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		cr_assert_fail("captures directory %s missing: the replay tests cannot run "
			       "(set QS_CAPTURES to the directory holding quic-*.pcap)",
			       dir);
}

static int frame_udp(const uint8_t *p, size_t len, struct udp_view *v)
{
	uint16_t proto;
	size_t l4;

	memset(v, 0, sizeof(*v));
	if (len < ETH_LEN)
		return -1;
	proto = p[12] << 8 | p[13];
	if (proto == 0x0800 && len >= ETH_LEN + 20 && p[ETH_LEN + 9] == IPPROTO_UDP) {
		v->family = QS_AF_INET;
		memcpy(&v->saddr.addr[0], p + ETH_LEN + 12, 4);
		memcpy(&v->daddr.addr[0], p + ETH_LEN + 16, 4);
		l4 = ETH_LEN + (p[ETH_LEN] & 0xf) * 4;
	} else if (proto == 0x86dd && len >= ETH_LEN + 40 && p[ETH_LEN + 6] == IPPROTO_UDP) {
		v->family = QS_AF_INET6;
		memcpy(&v->saddr, p + ETH_LEN + 8, 16);
		memcpy(&v->daddr, p + ETH_LEN + 24, 16);
		l4 = ETH_LEN + 40;
	} else {
		return -1;
	}
	if (len < l4 + 8)
		return -1;
	v->sport = p[l4] << 8 | p[l4 + 1];
	v->dport = p[l4 + 2] << 8 | p[l4 + 3];
	v->payload = p + l4 + 8;
	v->payload_len = len - l4 - 8;
	return 0;
}

/*
 * The first QUIC packet's DCID (a short header's is CAP_CID_LEN long
 * towards the server) and, in long headers, its SCID (*scid_len 0 if none).
 */
static int quic_cids(const struct udp_view *v, size_t short_len, uint8_t *dcid, uint8_t *dcid_len,
		     uint8_t *scid, uint8_t *scid_len)
{
	const uint8_t *q = v->payload;
	size_t n = v->payload_len, off;

	*scid_len = 0;
	if (n < 1)
		return -1;
	if (!(q[0] & 0x80)) {
		if (n < 1 + short_len)
			return -1;
		*dcid_len = short_len;
		memcpy(dcid, q + 1, short_len);
		return 0;
	}
	if (n < 6 || q[5] > QS_CID_MAX_LEN || n < 7u + q[5])
		return -1;
	*dcid_len = q[5];
	memcpy(dcid, q + 6, q[5]);
	off = 6 + q[5];
	if (q[off] > QS_CID_MAX_LEN || n < off + 1 + q[off])
		return -1;
	*scid_len = q[off];
	memcpy(scid, q + off + 1, q[off]);
	return 0;
}

static void id_add(struct replay *r, const uint8_t *cid, size_t len)
{
	for (size_t i = 0; i < r->n_ids; i++)
		if (r->id_len[i] == len && !memcmp(r->ids[i], cid, len))
			return;
	cr_assert_lt(r->n_ids, CAP_MAX_IDS, "%s: more server IDs than expected", r->cap->name);
	cr_assert(len > 0 && len <= QS_CID_MAX_LEN, "%s: server ID length %zu", r->cap->name, len);
	memcpy(r->ids[r->n_ids], cid, len);
	r->id_len[r->n_ids++] = len;
}

static int id_registered(const struct replay *r, const struct cap_frame *f)
{
	for (size_t i = 0; i < r->n_ids; i++)
		if (r->id_len[i] == f->dcid_len && !memcmp(r->ids[i], f->dcid, f->dcid_len))
			return 1;
	return 0;
}

/* Keeps client->server frames; collects the server's long-header SCIDs. */
static void capture_frame(struct replay *r, const uint8_t *p, size_t len, unsigned int number)
{
	struct cap_frame *f = &r->frames[r->n_frames];
	uint8_t dcid[QS_CID_MAX_LEN], scid[QS_CID_MAX_LEN], dcid_len, scid_len;
	struct udp_view v;

	if (frame_udp(p, len, &v) || v.family != r->family)
		cr_assert_fail("%s frame %u: not UDP over IPv%u", r->cap->name, number, r->family);
	if (!memcmp(&v.saddr, &r->server, sizeof(v.saddr)) && v.sport == CAP_PORT) {
		if (!quic_cids(&v, 17, dcid, &dcid_len, scid, &scid_len) && scid_len)
			id_add(r, scid, scid_len);
		return;
	}
	if (memcmp(&v.daddr, &r->server, sizeof(v.daddr)) || v.dport != CAP_PORT)
		return;
	cr_assert_lt(r->n_frames, CAP_MAX_FRAMES, "%s: too many client frames", r->cap->name);
	cr_assert_eq(quic_cids(&v, CAP_CID_LEN, f->dcid, &f->dcid_len, scid, &scid_len), 0,
		     "%s frame %u: QUIC header cut", r->cap->name, number);
	f->data = malloc(len);
	cr_assert_not_null(f->data);
	memcpy(f->data, p, len);
	f->len = len;
	f->number = number;
	f->saddr = v.saddr;
	f->sport = v.sport;
	r->n_frames++;
}

static void capture_load(struct replay *r)
{
	char path[PATH_MAX + 64], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.pcap", r->dir, r->cap->name);
	pc = pcap_open_offline(path, err);
	if (!pc)
		cr_assert_fail("capture %s missing or unreadable: %s", path, err);
	cr_assert_eq(pcap_datalink(pc), DLT_EN10MB, "%s: link type %d", path, pcap_datalink(pc));
	while ((ret = pcap_next_ex(pc, &h, &data)) == 1) {
		r->n_total++;
		cr_assert_eq(h->caplen, h->len, "%s frame %zu: truncated", path, r->n_total);
		capture_frame(r, data, h->caplen, r->n_total);
	}
	cr_assert_eq(ret, PCAP_ERROR_BREAK, "%s: %s", path, pcap_geterr(pc));
	pcap_close(pc);
	cr_assert_eq(r->n_frames, r->cap->client_frames,
		     "%s: client->server frames got %zu want %zu", path, r->n_frames,
		     r->cap->client_frames);
	cr_assert_gt(r->n_ids, 0, "%s: no server SCID in a long header", path);
	r->n_pcap_ids = r->n_ids;
}

/* The IDs of the NEW_CONNECTION_ID frames in one qlog packet_received event. */
static void qlog_event(struct replay *r, json_object *ev)
{
	json_object *name, *data, *frames, *fr, *type, *cid;
	uint8_t bin[QS_CID_MAX_LEN];
	const char *n;
	int len;

	if (!json_object_object_get_ex(ev, "name", &name))
		return;
	n = json_object_get_string(name);
	if (strcmp(n, "transport:packet_received") && strcmp(n, "packet_received"))
		return;
	if (!json_object_object_get_ex(ev, "data", &data) ||
	    !json_object_object_get_ex(data, "frames", &frames) ||
	    !json_object_is_type(frames, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(frames); i++) {
		fr = json_object_array_get_idx(frames, i);
		if (!json_object_object_get_ex(fr, "frame_type", &type) ||
		    strcmp(json_object_get_string(type), "new_connection_id") ||
		    !json_object_object_get_ex(fr, "connection_id", &cid))
			continue;
		len = pb_hex(json_object_get_string(cid), bin, sizeof(bin));
		cr_assert_gt(len, 0, "%s.qlog: connection_id %s", r->cap->name,
			     json_object_get_string(cid));
		id_add(r, bin, len);
	}
}

/* JSON-SEQ (RFC 7464): each record starts with RS (0x1e). */
static void qlog_load(struct replay *r)
{
	char path[PATH_MAX + 64], *rec = NULL;
	size_t cap = 0;
	json_object *ev;
	ssize_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.qlog", r->dir, r->cap->name);
	fp = fopen(path, "r");
	if (!fp)
		cr_assert_fail("qlog %s missing: %s", path, strerror(errno));
	while ((n = getdelim(&rec, &cap, 0x1e, fp)) > 0) {
		if (rec[n - 1] == 0x1e)
			rec[n - 1] = 0;
		ev = json_tokener_parse(rec);
		if (ev)
			qlog_event(r, ev);
		json_object_put(ev);
	}
	free(rec);
	fclose(fp);
	cr_assert_geq(r->n_ids - r->n_pcap_ids, CAP_MIN_QLOG_IDS,
		      "%s: NEW_CONNECTION_ID IDs got %zu want at least %d", path,
		      r->n_ids - r->n_pcap_ids, CAP_MIN_QLOG_IDS);
}

/* A VIP at the capture's server, four backends, Maglev round robin. */
static void router_setup(struct replay *r)
{
	struct qs_vip vip = { .vip_id = CAP_VIP_ID,
			      .cid_len = CAP_CID_LEN,
			      .flags = QS_VIP_F_LEARN };
	const char *const *addrs = r->family == QS_AF_INET6 ? backend6 : backend4;
	__u8 family;

	cr_assert_eq(fx_open(&r->fx, 0), 0, "router does not load (root needed)");
	cr_assert_eq(fx_vip(&r->fx, r->cap->server, CAP_PORT, &vip), 0, "VIP set-up");
	for (uint32_t id = 0; id < CAP_BACKENDS; id++) {
		cr_assert_eq(fx_backend(&r->fx, CAP_FIRST_ID + id, addrs[id], QS_BACKEND_ACTIVE), 0,
			     "backend %u", CAP_FIRST_ID + id);
		qs_parse_addr(addrs[id], &r->be[id], &family);
	}
	cr_assert_eq(fx_maglev_round_robin(&r->fx, CAP_VIP_ID, ring, CAP_BACKENDS), 0,
		     "Maglev row");
}

static struct replay *replay_open(size_t index)
{
	struct replay *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	cr_assert_lt(index, N_CAPS);
	r->cap = &captures[index];
	captures_dir(r->dir, sizeof(r->dir));
	cr_assert_eq(qs_parse_addr(r->cap->server, &r->server, &r->family), 0);
	capture_load(r);
	if (r->cap->has_qlog)
		qlog_load(r);
	router_setup(r);
	return r;
}

static void replay_close(struct replay *r)
{
	fx_close(&r->fx);
	for (size_t i = 0; i < r->n_frames; i++)
		free(r->frames[i].data);
	free(r);
}

/* The backend Maglev picks for the client's first Initial, from the flow hash. */
static uint32_t maglev_expected(const struct replay *r)
{
	const struct cap_frame *f = &r->frames[0];

	return ring[(qs_flow_hash(f->saddr.addr, htons(f->sport)) % QS_MAGLEV_SIZE) % CAP_BACKENDS];
}

static void register_ids(struct replay *r, uint32_t backend)
{
	for (size_t i = 0; i < r->n_ids; i++)
		cr_assert_eq(fx_cid(&r->fx, CAP_VIP_ID, r->ids[i], r->id_len[i], backend,
				    QS_CID_AUTHORITATIVE),
			     0, "%s: registering %s", r->cap->name, hex(r->ids[i], r->id_len[i]));
}

/* The one reason counter this run moved; the router counts each frame once. */
static unsigned int reason_of_run(struct replay *r, const struct cap_frame *f)
{
	unsigned int reason = QS_R__COUNT, moved = 0;

	for (unsigned int i = 0; i < QS_R__COUNT; i++) {
		uint64_t now = fx_reason(&r->fx, i);

		if (now != r->counts[i]) {
			cr_assert_eq(now, r->counts[i] + 1, "%s frame %u: %s moved by %llu",
				     r->cap->name, f->number, qs_reason_name(i),
				     (unsigned long long)(now - r->counts[i]));
			reason = i;
			moved++;
		}
		r->counts[i] = now;
	}
	cr_assert_eq(moved, 1, "%s frame %u: reasons counted got %u want 1", r->cap->name,
		     f->number, moved);
	return reason;
}

/*
 * The backend an encapsulated frame is sent to, from its outer destination;
 * the inner packet must be the client's, byte for byte.
 */
static uint32_t out_backend(const struct replay *r, const struct cap_frame *f, const uint8_t *out,
			    size_t len)
{
	struct qs_addr dst = { 0 };
	size_t inner = 0;

	if (len >= ETH_LEN + 20 && out[12] == 0x08 && out[13] == 0x00 &&
	    out[ETH_LEN + 9] == IPPROTO_IPIP) {
		memcpy(&dst.addr[0], out + ETH_LEN + 16, 4);
		inner = ETH_LEN + (out[ETH_LEN] & 0xf) * 4;
	} else if (len >= ETH_LEN + 40 && out[12] == 0x86 && out[13] == 0xdd &&
		   (out[ETH_LEN + 6] == IPPROTO_IPIP || out[ETH_LEN + 6] == IPPROTO_IPV6)) {
		memcpy(&dst, out + ETH_LEN + 24, 16);
		inner = ETH_LEN + 40;
	} else {
		cr_assert_fail("%s frame %u: forwarded but not IP-in-IP encapsulated", r->cap->name,
			       f->number);
	}
	cr_assert(len - inner == f->len - ETH_LEN &&
			  !memcmp(out + inner, f->data + ETH_LEN, f->len - ETH_LEN),
		  "%s frame %u: inner packet differs from the client's", r->cap->name, f->number);
	for (uint32_t id = 0; id < CAP_BACKENDS; id++)
		if (!memcmp(&dst, &r->be[id], sizeof(dst)))
			return CAP_FIRST_ID + id;
	cr_assert_fail("%s frame %u: outer destination is no backend", r->cap->name, f->number);
	return NO_BE;
}

static void replay_summary(const struct replay *r, const char *setup)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof(line),
		     "%s [%s]: %zu of %zu frames replayed (server IDs in pcap/qlog %zu/%zu):",
		     r->cap->name, setup, r->n_frames, r->n_total, r->n_pcap_ids,
		     r->n_ids - r->n_pcap_ids);
	for (unsigned int i = 0; i < QS_R__COUNT && n < (int)sizeof(line); i++)
		if (r->counts[i])
			n += snprintf(line + n, sizeof(line) - n, " %s %llu", qs_reason_name(i),
				      (unsigned long long)r->counts[i]);
	printf("[INFO] %s\n", line);
	fflush(stdout);
}

/* Every client->server frame through the router, in capture order. */
static void replay_run(struct replay *r, const char *setup)
{
	static uint8_t out[4096];

	for (size_t i = 0; i < r->n_frames; i++) {
		struct cap_frame *f = &r->frames[i];
		size_t out_len = 0;

		f->action = fx_run(&r->fx, f->data, f->len, out, &out_len);
		cr_assert_geq(f->action, 0, "%s frame %u: test run failed: %d", r->cap->name,
			      f->number, f->action);
		f->reason = reason_of_run(r, f);
		f->backend = NO_BE;
		if (f->action == XDP_TX)
			f->backend = out_backend(r, f, out, out_len);
	}
	replay_summary(r, setup);
}

/* Backend -1: not forwarded. */
static void expect_frame(const struct replay *r, const struct cap_frame *f, int action,
			 uint32_t backend, unsigned int reason)
{
	cr_assert(f->action == action && f->backend == backend && f->reason == reason,
		  "%s frame %u (port %u, DCID %s): action/backend/reason "
		  "got %d/%d/%s want %d/%d/%s",
		  r->cap->name, f->number, f->sport, hex(f->dcid, f->dcid_len), f->action,
		  (int)f->backend, qs_reason_name(f->reason), action, (int)backend,
		  qs_reason_name(reason));
}

static void expect_count(struct replay *r, unsigned int reason, uint64_t want)
{
	uint64_t got = fx_reason(&r->fx, reason);

	cr_assert_eq(got, want, "%s: %s counter got %llu want %llu", r->cap->name,
		     qs_reason_name(reason), (unsigned long long)got, (unsigned long long)want);
}

/* Criterion runs each parameter in a fresh process: pass indices, not pointers. */
ParameterizedTestParameters(captures, registered_ids)
{
	static size_t indices[N_CAPS] = { 0, 1, 2, 3, 4 };

	return cr_make_param_array(size_t, indices, N_CAPS);
}

/*
 * The server's IDs registered for the backend Maglev gives the first
 * Initial: every client frame, before and after a migration or rebinding,
 * reaches that backend; the first Initial by Maglev, the rest by the ID
 * table.
 */
ParameterizedTest(size_t *index, captures, registered_ids)
{
	struct replay *r = replay_open(*index);
	uint32_t x = maglev_expected(r);
	size_t moved = 0;

	register_ids(r, x);
	replay_run(r, "IDs for Maglev's pick");
	expect_frame(r, &r->frames[0], XDP_TX, x, QS_R_ROUTE_NEW);
	for (size_t i = 1; i < r->n_frames; i++) {
		cr_assert(id_registered(r, &r->frames[i]), "%s frame %u: DCID %s not reported",
			  r->cap->name, r->frames[i].number,
			  hex(r->frames[i].dcid, r->frames[i].dcid_len));
		expect_frame(r, &r->frames[i], XDP_TX, x, QS_R_ROUTE_CID);
		moved += r->frames[i].sport != r->frames[0].sport;
	}
	expect_count(r, QS_R_ROUTE_NEW, 1);
	expect_count(r, QS_R_ROUTE_CID, r->n_frames - 1);
	if (*index == CAP_V4_MIGRATION || *index == CAP_V4_REBINDING)
		cr_assert_gt(moved, 0, "%s: no frame from a new client port", r->cap->name);
	replay_close(r);
}

ParameterizedTestParameters(captures, id_table_beats_address_table)
{
	static size_t indices[N_CAPS] = { 0, 1, 2, 3, 4 };

	return cr_make_param_array(size_t, indices, N_CAPS);
}

/*
 * The server's IDs registered for a backend other than Maglev's pick: every
 * frame carrying one of them goes there, although the client's address
 * entry points elsewhere, and that address entry is marked ambiguous.
 */
ParameterizedTest(size_t *index, captures, id_table_beats_address_table)
{
	struct replay *r = replay_open(*index);
	uint32_t x = maglev_expected(r), y = CAP_FIRST_ID + (x - CAP_FIRST_ID + 1) % CAP_BACKENDS;
	struct qs_flow_key key = { .vip_id = CAP_VIP_ID, .family = r->family };
	size_t by_id = 0;
	struct qs_flow flow;

	register_ids(r, y);
	replay_run(r, "IDs for another backend");
	for (size_t i = 0; i < r->n_frames; i++) {
		if (id_registered(r, &r->frames[i])) {
			expect_frame(r, &r->frames[i], XDP_TX, y, QS_R_ROUTE_CID);
			by_id++;
		} else {
			expect_frame(r, &r->frames[i], XDP_TX, x, QS_R_ROUTE_NEW);
		}
	}
	cr_assert_eq(by_id, r->n_frames - 1, "%s: frames with a registered DCID got %zu want %zu",
		     r->cap->name, by_id, r->n_frames - 1);
	expect_count(r, QS_R_ROUTE_CID, by_id);
	key.addr = r->frames[0].saddr;
	key.port = htons(r->frames[0].sport);
	/* the Initial's entry, never vouched for: the reported IDs are another backend's */
	cr_assert_neq(qs_flow_get(r->fx.flows, &key, &flow), 0, "%s: an established entry",
		      r->cap->name);
	cr_assert_eq(qs_flow_get(r->fx.flows_new, &key, &flow), 0, "%s: no address entry",
		     r->cap->name);
	cr_assert_eq(flow.backend_id, x, "%s: address entry backend got %u want %u", r->cap->name,
		     flow.backend_id, x);
	cr_assert(flow.flags & QS_FLOW_F_AMBIGUOUS, "%s: address entry flags got %u want ambiguous",
		  r->cap->name, flow.flags);
	replay_close(r);
}

/*
 * Nothing registered, NAT rebinding (same DCID, new port): the address
 * table routes the first flight and learns the server's ID, which then
 * carries the connection across the port change.
 */
Test(captures, rebinding_learns_server_id)
{
	struct replay *r = replay_open(CAP_V4_REBINDING);
	uint32_t x = maglev_expected(r);
	const struct cap_frame *f;
	struct qs_cid_entry e;
	struct qs_cid_key key;
	size_t moved = 0;

	replay_run(r, "nothing registered");
	expect_frame(r, &r->frames[0], XDP_TX, x, QS_R_ROUTE_NEW);
	expect_frame(r, &r->frames[1], XDP_TX, x, QS_R_ROUTE_FLOW_LEARN);
	for (size_t i = 2; i < r->n_frames; i++) {
		f = &r->frames[i];
		expect_frame(r, f, XDP_TX, x, QS_R_ROUTE_CID_LEARNED);
		moved += f->sport != r->frames[0].sport;
	}
	cr_assert_gt(moved, 0, "%s: no frame from a new client port", r->cap->name);
	expect_count(r, QS_R_ROUTE_FLOW_LEARN, 1);
	expect_count(r, QS_R_ROUTE_CID_LEARNED, r->n_frames - 2);

	/* the learned ID is the server's SCID, read from its Initial */
	cr_assert_eq(qs_cid_key_make(&key, CAP_VIP_ID, r->ids[0], r->id_len[0]), 0);
	cr_assert_eq(qs_cid_get(r->fx.learned, &key, &e), 0, "%s: %s not learned", r->cap->name,
		     hex(r->ids[0], r->id_len[0]));
	cr_assert_eq(e.kind, QS_CID_LEARNED, "%s: kind got %u want learned", r->cap->name, e.kind);
	cr_assert_eq(e.backend_id, x, "%s: learned backend got %u want %u", r->cap->name,
		     e.backend_id, x);
	cr_assert_eq(fx_poll_events(&r->fx), 2, "%s: want two ring-buffer records", r->cap->name);
	cr_assert_eq(r->fx.events[0].type, QS_EV_NEW_FLOW, "event 0 type got %u",
		     r->fx.events[0].type);
	cr_assert_eq(r->fx.events[1].type, QS_EV_LEARNED_CID, "event 1 type got %u",
		     r->fx.events[1].type);
	cr_assert_arr_eq(r->fx.events[1].cid, r->ids[0], r->id_len[0], "learned event CID");
	replay_close(r);
}

/*
 * Nothing registered, active migration (new port and a DCID the router
 * never saw): the old path stays on one backend, the new path is dropped by
 * the default policy and never reaches another backend. Backend reports
 * (registered_ids above) are what remove this limit.
 */
Test(captures, migration_unregistered_is_dropped)
{
	struct replay *r = replay_open(CAP_V4_MIGRATION);
	static const unsigned int first_flight[2] = { QS_R_ROUTE_NEW, QS_R_ROUTE_FLOW_LEARN };
	uint32_t x = maglev_expected(r);
	const struct cap_frame *f;
	size_t before = 0, after = 0;

	replay_run(r, "nothing registered");
	for (size_t i = 0; i < r->n_frames; i++) {
		f = &r->frames[i];
		if (f->sport == r->frames[0].sport) {
			cr_assert_eq(after, 0, "%s frame %u: back on the old port", r->cap->name,
				     f->number);
			expect_frame(r, f, XDP_TX, x,
				     i < 2 ? first_flight[i] : QS_R_ROUTE_CID_LEARNED);
			before++;
		} else {
			expect_frame(r, f, XDP_DROP, NO_BE, QS_R_DROP_UNKNOWN_CID);
			after++;
		}
	}
	cr_assert_gt(before, 2, "%s: frames before the migration got %zu", r->cap->name, before);
	cr_assert_gt(after, 0, "%s: no frame after the migration", r->cap->name);
	expect_count(r, QS_R_DROP_UNKNOWN_CID, after);
	replay_close(r);
}

/*
 * Nothing registered, Retry: the second Initial (DCID = the Retry's SCID)
 * follows the address entry of the first, the server's ID is learned from
 * the first Handshake, and the whole connection stays on one backend.
 */
Test(captures, retry_unregistered_one_backend)
{
	struct replay *r = replay_open(CAP_V4_RETRY);
	uint32_t x = maglev_expected(r);

	replay_run(r, "nothing registered");
	expect_frame(r, &r->frames[0], XDP_TX, x, QS_R_ROUTE_NEW);
	expect_frame(r, &r->frames[1], XDP_TX, x, QS_R_ROUTE_FLOW);
	expect_frame(r, &r->frames[2], XDP_TX, x, QS_R_ROUTE_FLOW_LEARN);
	for (size_t i = 3; i < r->n_frames; i++)
		expect_frame(r, &r->frames[i], XDP_TX, x, QS_R_ROUTE_CID_LEARNED);
	expect_count(r, QS_R_ROUTE_NEW, 1);
	expect_count(r, QS_R_ROUTE_FLOW, 1);
	replay_close(r);
}
