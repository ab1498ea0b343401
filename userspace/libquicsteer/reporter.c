// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libquicsteer's reporter (include/quicsteer/backend.h): the backend side of
 * the report protocol (docs/report-protocol.md) over the codec of report.h.
 *
 * One reporter is one incarnation, named by the time it opened (wall clock,
 * so that a later process's incarnation is greater and the agents can tell
 * old from new): datagrams numbered from 1, each stamped with the time it
 * is sent, each sent to every agent. Records accumulate in a buffer inside
 * the reporter; a datagram is sent when the next record does not fit or is
 * about another VIP, or on a flush. Every entry point takes the reporter's
 * mutex and sends under it: agents refuse a sequence number lower than one
 * they accepted, and a lock released before sendto would let two threads
 * swap two datagrams on the wire.
 *
 * Nothing on the report path allocates. The MAC is HMAC-SHA256 (RFC 2104)
 * on libcrypto's SHA-256, the padded key's two blocks hashed once at open:
 * a datagram costs two struct copies and hashing its bytes. On OpenSSL 3.0
 * the alternatives allocate per call: HMAC() fetches a context, and
 * EVP_MAC_init() and HMAC_Init_ex() reset theirs with EVP_MD_CTX_copy_ex(),
 * which duplicates the provider's digest context with malloc. The SHA256_*
 * functions are deprecated in 3.0 but in every 1.1 and 3.x release; they
 * bypass providers, so a FIPS-only build would want an EVP_MAC_CTX here.
 * tests/unit/test_backend.c checks every datagram against qs_report_finish.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "quicsteer/backend.h"

#define MAX_DESTS 16
/*
 * Header fields written when the datagram is sealed, not when it is
 * started: the record count, and the time it is sent, which is what the
 * agents' window measures (docs/report-protocol.md, "Header").
 */
#define OFF_RECORD_COUNT 12
#define OFF_TIMESTAMP 48
#define PART_SIZE (QS_REPORT_REC_HDR_LEN + QS_REPORT_SNAPSHOT_PART_LEN)
#define MAX_PART 0xffffu /* part numbers are 16 bits on the wire */

_Static_assert(SHA256_DIGEST_LENGTH == QS_REPORT_MAC_LEN, "HMAC-SHA256 output");
_Static_assert(QS_REPORT_KEY_LEN <= SHA256_CBLOCK, "the key is used as is, not hashed");
_Static_assert(OFF_TIMESTAMP + 8 == QS_REPORT_HDR_LEN, "the timestamp ends the header");

enum { FD_UNIX, FD_INET, FD_INET6, NR_FDS };

struct dest {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd; /* the reporter's socket of that family */
	/*
	 * Timed out on a full queue: later sends do not wait for it until it
	 * takes a datagram again, so a hung agent costs one timeout, not one
	 * per datagram.
	 */
	bool stalled;
	struct qs_reporter_dest_stats st;
};

/* HMAC-SHA256 states after the padded key's block (RFC 2104). */
struct mac_key {
	SHA256_CTX inner;
	SHA256_CTX outer;
};

struct qs_reporter {
	pthread_mutex_t lock;
	__u32 backend_id;
	unsigned int flags;
	__u64 incarnation;
	__u64 sequence; /* of the latest datagram started */
	struct mac_key mac;
	/* For events without a VIP and datagrams of backend-wide records. */
	struct qs_report_endpoint default_vip; /* family QS_AF_NONE: none */
	/* The datagram being filled; len and records mirror the encoder's. */
	struct qs_report_encoder enc;
	bool filling;
	bool dgram_part; /* it has a SNAPSHOT_PART, of snapshot dgram_part_snap */
	__u32 dgram_part_snap;
	struct qs_report_endpoint dgram_vip;
	size_t dgram_len;
	unsigned int dgram_records;
	bool snap_active;
	struct qs_report_endpoint snap_vip;
	__u32 snap_id;
	__u32 snap_next_part;
	__u64 heartbeat_ns;
	__u64 snapshot_ns;
	__u64 last_sent_ns;
	__u64 last_snapshot_ns;
	bool ticked;
	bool sent_since_tick;
	int fds[NR_FDS];
	size_t n_dests;
	struct dest dests[MAX_DESTS];
	__u8 buf[QS_REPORT_MAX_DGRAM];
};

static int mac_key_init(struct mac_key *m, const __u8 key[QS_REPORT_KEY_LEN])
{
	__u8 pad[2][SHA256_CBLOCK];
	int ok;

	memset(pad[0], 0x36, SHA256_CBLOCK);
	memset(pad[1], 0x5c, SHA256_CBLOCK);
	for (size_t i = 0; i < QS_REPORT_KEY_LEN; i++) {
		pad[0][i] ^= key[i];
		pad[1][i] ^= key[i];
	}
	ok = SHA256_Init(&m->inner) && SHA256_Update(&m->inner, pad[0], SHA256_CBLOCK) &&
	     SHA256_Init(&m->outer) && SHA256_Update(&m->outer, pad[1], SHA256_CBLOCK);
	OPENSSL_cleanse(pad, sizeof(pad));
	return ok ? 0 : -EIO;
}

static int mac_compute(const struct mac_key *m, const __u8 *data, size_t len,
		       __u8 out[QS_REPORT_MAC_LEN])
{
	__u8 inner[SHA256_DIGEST_LENGTH];
	SHA256_CTX c = m->inner;
	int ok = SHA256_Update(&c, data, len) && SHA256_Final(inner, &c);

	c = m->outer;
	ok = ok && SHA256_Update(&c, inner, sizeof(inner)) && SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
	return ok ? 0 : -EIO;
}

/* As the router sees an address: IPv4-mapped IPv6 is IPv4. */
static int endpoint_from(struct qs_report_endpoint *ep, const struct sockaddr *sa)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		ep->family = QS_AF_INET;
		ep->addr.addr[0] = sin->sin_addr.s_addr;
		ep->port = sin->sin_port;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		bool mapped = IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr);

		ep->family = mapped ? QS_AF_INET : QS_AF_INET6;
		memcpy(&ep->addr, &sin6->sin6_addr.s6_addr[mapped ? 12 : 0], mapped ? 4 : 16);
		ep->port = sin6->sin6_port;
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* Reads only fields set at open: safe without the lock. */
static int vip_of(const struct qs_reporter *r, const struct sockaddr *sa,
		  struct qs_report_endpoint *ep)
{
	if (sa)
		return endpoint_from(ep, sa);
	*ep = r->default_vip;
	return ep->family == QS_AF_NONE ? -EINVAL : 0;
}

static bool endpoint_eq(const struct qs_report_endpoint *a, const struct qs_report_endpoint *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* CLOCK_REALTIME in nanoseconds since the epoch; never 0. */
static __u64 wall_ns(void)
{
	struct timespec ts;
	__u64 ns;

	if (clock_gettime(CLOCK_REALTIME, &ts) || ts.tv_sec < 0)
		return 1; /* refused by the agents' window, and counted there */
	ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	return ns ? ns : 1;
}

/*
 * The incarnation of a reporter opened now: the wall clock, and within one
 * process strictly greater than the previous reporter's, even when two open
 * within a clock tick or the clock steps back between them.
 */
static __u64 incarnation_new(void)
{
	static _Atomic __u64 last;
	__u64 now = wall_ns(), prev = atomic_load(&last), next;

	do
		next = now > prev ? now : prev + 1;
	while (!atomic_compare_exchange_weak(&last, &prev, next));
	return next;
}

static void put_be64(__u8 *p, __u64 v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v;
}

static void dest_send(struct dest *d, const __u8 *buf, size_t len)
{
	/* A stalled destination must not hold up the others again. */
	int flags = MSG_NOSIGNAL | (d->stalled ? MSG_DONTWAIT : 0);
	ssize_t n;

	do {
		n = sendto(d->fd, buf, len, flags, (const struct sockaddr *)&d->addr, d->addr_len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		d->st.datagrams++;
		d->st.bytes += len;
		d->stalled = false;
		return;
	}
	d->st.errors++;
	d->st.last_error = n < 0 ? -errno : -EMSGSIZE;
	if (d->st.last_error == -EAGAIN || d->st.last_error == -EWOULDBLOCK)
		d->stalled = true;
}

/*
 * Seals the datagram being filled (record count, MAC) and sends it to
 * every destination. Returns 0 if nothing was pending or one destination
 * took it, else the last destination's -errno.
 */
static int dgram_send(struct qs_reporter *r)
{
	int err, len, taken = 0, last_err = 0;

	if (!r->filling)
		return 0;
	r->filling = false;
	r->buf[OFF_RECORD_COUNT] = r->dgram_records >> 8;
	r->buf[OFF_RECORD_COUNT + 1] = r->dgram_records & 0xff;
	put_be64(r->buf + OFF_TIMESTAMP, wall_ns());
	err = mac_compute(&r->mac, r->buf, r->dgram_len, r->buf + r->dgram_len);
	if (err)
		return err;
	len = r->dgram_len + QS_REPORT_MAC_LEN;
	for (size_t i = 0; i < r->n_dests; i++) {
		struct dest *d = &r->dests[i];
		__u64 before = d->st.datagrams;

		dest_send(d, r->buf, len);
		if (d->st.datagrams != before)
			taken++;
		else
			last_err = d->st.last_error;
	}
	r->sent_since_tick = true;
	return taken ? 0 : last_err;
}

static int dgram_start(struct qs_reporter *r, const struct qs_report_endpoint *vip)
{
	struct qs_report_header h = {
		.incarnation = r->incarnation,
		.sequence = r->sequence + 1,
		.timestamp = 1, /* the time it is sent, written by dgram_send */
		.backend_id = r->backend_id,
		.vip = *vip,
		.version = QS_REPORT_VERSION,
	};
	int err = qs_report_encoder_init(&r->enc, r->buf, sizeof(r->buf), &h);

	if (err)
		return err;
	r->sequence = h.sequence;
	r->filling = true;
	r->dgram_part = false;
	r->dgram_vip = *vip;
	r->dgram_len = QS_REPORT_HDR_LEN; /* the encoder's, version 2 */
	r->dgram_records = 0;
	return 0;
}

/* Appends a record of size bytes to the datagram being filled. */
static int dgram_add(struct qs_reporter *r, const struct qs_report_record *rec, int size)
{
	int err = qs_report_add(&r->enc, rec);

	if (!err) {
		r->dgram_len += size;
		r->dgram_records++;
	}
	return err;
}

/* Whether the datagram being filled carries a part of the snapshot in progress. */
static bool dgram_in_snapshot(const struct qs_reporter *r)
{
	return r->filling && r->dgram_part && r->dgram_part_snap == r->snap_id;
}

/*
 * Whether the datagram being filled can take size more bytes (one record
 * or none) about vip (NULL: any), and with part a part of the snapshot.
 */
static bool dgram_fits(const struct qs_reporter *r, const struct qs_report_endpoint *vip,
		       size_t size, bool part)
{
	bool new_part = part && !dgram_in_snapshot(r);
	unsigned int nrec = !!size + new_part;

	if (!r->filling || (vip && !endpoint_eq(&r->dgram_vip, vip)) || (new_part && r->dgram_part))
		return false;
	size += new_part ? PART_SIZE : 0;
	return r->dgram_len + size + QS_REPORT_MAC_LEN <= QS_REPORT_MAX_DGRAM &&
	       r->dgram_records + nrec <= QS_REPORT_MAX_RECORDS;
}

/*
 * Makes the datagram being filled one that takes size more bytes about
 * vip, sending the current one first if it cannot. With part, one that
 * carries the snapshot's next part, written now, before the IDs it
 * covers: the protocol lets the part go anywhere in its datagram, but
 * quicsteerd (userspace/ids/intake.c) reads records in order and drops
 * snapshot IDs seen before their part. Hence FINAL, known only at the end,
 * often needs a datagram of its own.
 */
static int dgram_make_room(struct qs_reporter *r, const struct qs_report_endpoint *vip, size_t size,
			   bool part, __u8 flags)
{
	struct qs_report_record rec = { .type = QS_REPORT_SNAPSHOT_PART };
	int err;

	if (!dgram_fits(r, vip, size, part))
		dgram_send(r); /* failures are counted per destination */
	if (!r->filling) {
		err = dgram_start(r, vip ? vip : &r->default_vip);
		if (err)
			return err;
	}
	if (!part || dgram_in_snapshot(r))
		return 0;
	rec.snapshot.snapshot_id = r->snap_id;
	rec.snapshot.part = r->snap_next_part;
	rec.snapshot.flags = flags;
	err = dgram_add(r, &rec, PART_SIZE);
	if (err)
		return err;
	r->snap_next_part++;
	r->dgram_part = true;
	r->dgram_part_snap = r->snap_id;
	return 0;
}

/* Appends one record; vip NULL for backend-wide records. */
static int record_put(struct qs_reporter *r, const struct qs_report_record *rec,
		      const struct qs_report_endpoint *vip, bool part)
{
	int size = qs_report_record_size(rec);
	int err;

	if (size < 0)
		return size;
	err = dgram_make_room(r, vip, size, part, 0);
	return err ? err : dgram_add(r, rec, size);
}

/* An event: appended, and sent at once in auto-flush mode. */
static int event_put(struct qs_reporter *r, const struct qs_report_record *rec,
		     const struct qs_report_endpoint *vip)
{
	int err;

	pthread_mutex_lock(&r->lock);
	err = record_put(r, rec, vip, false);
	if (!err && (r->flags & QS_REPORTER_AUTO_FLUSH))
		dgram_send(r);
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* A record of an ID: issued, retired or in a snapshot. */
static int cid_record(struct qs_report_record *rec, __u8 type, __u64 handle, const void *cid,
		      size_t len)
{
	struct qs_report_cid *c = &rec->cid_issued.cid;

	memset(rec, 0, sizeof(*rec));
	rec->type = type;
	if (len > QS_CID_MAX_LEN || (len && !cid))
		return -EINVAL;
	if (type == QS_REPORT_CID_RETIRED)
		c = &rec->cid_retired.cid;
	else
		rec->cid_issued.handle = handle;
	c->len = len;
	if (len)
		memcpy(c->bytes, cid, len);
	return 0;
}

int qs_reporter_cid_issued(struct qs_reporter *r, const struct sockaddr *vip, __u64 handle,
			   const void *cid, size_t cid_len)
{
	struct qs_report_record rec;
	struct qs_report_endpoint ep;
	int err = vip_of(r, vip, &ep);

	err = err ? err : cid_record(&rec, QS_REPORT_CID_ISSUED, handle, cid, cid_len);
	return err ? err : event_put(r, &rec, &ep);
}

int qs_reporter_cid_retired(struct qs_reporter *r, const struct sockaddr *vip, const void *cid,
			    size_t cid_len)
{
	struct qs_report_record rec;
	struct qs_report_endpoint ep;
	int err = vip_of(r, vip, &ep);

	err = err ? err : cid_record(&rec, QS_REPORT_CID_RETIRED, 0, cid, cid_len);
	return err ? err : event_put(r, &rec, &ep);
}

int qs_reporter_handshake_done(struct qs_reporter *r, const struct sockaddr *vip, __u64 handle,
			       const struct sockaddr *client)
{
	struct qs_report_record rec = { .type = QS_REPORT_HANDSHAKE_DONE };
	struct qs_report_endpoint ep;
	int err = vip_of(r, vip, &ep);

	if (!err)
		err = client ? endpoint_from(&rec.handshake.client, client) : -EINVAL;
	rec.handshake.handle = handle;
	return err ? err : event_put(r, &rec, &ep);
}

int qs_reporter_conn_closed(struct qs_reporter *r, __u64 handle)
{
	struct qs_report_record rec = { .type = QS_REPORT_CONN_CLOSED };

	rec.closed.handle = handle;
	return event_put(r, &rec, NULL);
}

/* A backend-wide record sent at once; as qs_reporter_flush. */
static int send_now(struct qs_reporter *r, __u8 type)
{
	struct qs_report_record rec = { .type = type };
	int err;

	pthread_mutex_lock(&r->lock);
	err = record_put(r, &rec, NULL, false);
	if (!err)
		err = dgram_send(r);
	pthread_mutex_unlock(&r->lock);
	return err;
}

int qs_reporter_drain(struct qs_reporter *r)
{
	return send_now(r, QS_REPORT_DRAIN);
}

int qs_reporter_heartbeat(struct qs_reporter *r)
{
	return send_now(r, QS_REPORT_HEARTBEAT);
}

int qs_reporter_flush(struct qs_reporter *r)
{
	int err;

	pthread_mutex_lock(&r->lock);
	err = dgram_send(r);
	pthread_mutex_unlock(&r->lock);
	return err;
}

static __u64 elapsed(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

int qs_reporter_tick(struct qs_reporter *r, __u64 now_ns)
{
	struct qs_report_record hb = { .type = QS_REPORT_HEARTBEAT };
	int ret = 0, err = 0;

	pthread_mutex_lock(&r->lock);
	dgram_send(r);
	/* Datagrams sent since the last tick count as sent now: close enough
	 * at tick granularity, and it spares a clock read per datagram.
	 */
	if (r->sent_since_tick) {
		r->last_sent_ns = now_ns;
	} else if (!r->ticked || elapsed(now_ns, r->last_sent_ns) >= r->heartbeat_ns) {
		err = record_put(r, &hb, NULL, false);
		if (!err)
			dgram_send(r);
		r->last_sent_ns = now_ns;
	}
	r->sent_since_tick = false;
	if (!r->ticked || elapsed(now_ns, r->last_snapshot_ns) >= r->snapshot_ns) {
		ret |= QS_TICK_SNAPSHOT_DUE;
		r->last_snapshot_ns = now_ns;
	}
	r->ticked = true;
	pthread_mutex_unlock(&r->lock);
	return err ? err : ret;
}

int qs_reporter_snapshot_begin(struct qs_reporter *r, const struct sockaddr *vip)
{
	struct qs_report_endpoint ep;
	int err = vip_of(r, vip, &ep);

	if (err)
		return err;
	pthread_mutex_lock(&r->lock);
	err = -EBUSY;
	if (!r->snap_active) {
		r->snap_vip = ep;
		r->snap_id++;
		r->snap_next_part = 0;
		/* Part 0 goes into the datagram being filled now: its sequence
		 * number is the S0 the snapshot describes, earlier than anything
		 * the application can report or list after this call.
		 */
		err = dgram_make_room(r, &ep, 0, true, 0);
		r->snap_active = !err;
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* Whether adding size bytes of the snapshot needs a part it cannot number. */
static bool snapshot_full(const struct qs_reporter *r, size_t size)
{
	return r->snap_next_part > MAX_PART && !dgram_fits(r, &r->snap_vip, size, true);
}

int qs_reporter_snapshot_add(struct qs_reporter *r, __u64 handle, const void *cid, size_t cid_len)
{
	struct qs_report_record rec;
	int err = cid_record(&rec, QS_REPORT_SNAPSHOT_CID, handle, cid, cid_len);

	if (err)
		return err;
	pthread_mutex_lock(&r->lock);
	if (!r->snap_active)
		err = -EINVAL;
	else if (snapshot_full(r, qs_report_record_size(&rec)))
		err = -EOVERFLOW;
	else
		err = record_put(r, &rec, &r->snap_vip, true);
	pthread_mutex_unlock(&r->lock);
	return err;
}

int qs_reporter_snapshot_end(struct qs_reporter *r)
{
	int err = -EINVAL;

	pthread_mutex_lock(&r->lock);
	if (!r->snap_active)
		goto out;
	/* A part already written cannot become FINAL: a new one can. */
	if (dgram_in_snapshot(r))
		dgram_send(r);
	err = -EOVERFLOW;
	if (r->snap_next_part <= MAX_PART)
		err = dgram_make_room(r, &r->snap_vip, 0, true, QS_REPORT_SNAPSHOT_FINAL);
	if (!err)
		err = dgram_send(r);
	r->snap_active = false;
out:
	pthread_mutex_unlock(&r->lock);
	return err;
}

int qs_reporter_snapshot_abort(struct qs_reporter *r)
{
	pthread_mutex_lock(&r->lock);
	/* What was added goes out with the next datagram, under a part that is not final. */
	r->snap_active = false;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

__u64 qs_reporter_incarnation(struct qs_reporter *r)
{
	return r->incarnation;
}

int qs_reporter_dest_stats(struct qs_reporter *r, size_t i, struct qs_reporter_dest_stats *st)
{
	if (i >= r->n_dests)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	*st = r->dests[i].st;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int dest_unix(struct dest *d, const char *path)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&d->addr;
	size_t len = strlen(path);

	if (path[0] != '/')
		return -EINVAL;
	if (len >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	d->addr_len = offsetof(struct sockaddr_un, sun_path) + len + 1;
	return 0;
}

/* "HOST:PORT" or "[IPV6]:PORT", resolved once, the first answer taken. */
static int dest_udp(struct dest *d, const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	const char *host = spec, *end, *port;
	struct addrinfo *res;
	char name[256];
	int rc;

	if (spec[0] == '[') {
		host = spec + 1;
		end = strchr(host, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		port = end + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		end = strchr(spec, ':');
		if (!end || strchr(end + 1, ':'))
			return -EINVAL; /* an IPv6 address needs brackets */
		port = end + 1;
	}
	if (end == host || (size_t)(end - host) >= sizeof(name) || !*port ||
	    strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 || atoi(port) > 65535)
		return -EINVAL;
	memcpy(name, host, end - host);
	name[end - host] = 0;
	rc = getaddrinfo(name, port, &hints, &res);
	if (rc) /* not resolved, whatever the resolver's reason */
		return rc == EAI_SYSTEM ? -errno : rc == EAI_MEMORY ? -ENOMEM : -ENOENT;
	memcpy(&d->addr, res->ai_addr, res->ai_addrlen);
	d->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int dest_parse(struct dest *d, const char *spec)
{
	if (!spec || !*spec)
		return -EINVAL;
	if (!strncmp(spec, "unix:", 5))
		return dest_unix(d, spec + 5);
	if (spec[0] == '/')
		return dest_unix(d, spec);
	return dest_udp(d, spec);
}

/*
 * One socket per address family, shared by its destinations. Sends wait up
 * to the timeout when a local agent's queue is full (a unix socket queues
 * max_dgram_qlen datagrams, 10 by default): a snapshot of many datagrams
 * then goes through at the agent's pace instead of being mostly lost.
 */
static int dest_socket(struct qs_reporter *r, struct dest *d, __u64 timeout_ns)
{
	__u64 us = timeout_ns / 1000 + 1; /* 0 would be forever */
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };
	int family = d->addr.ss_family;
	int slot = family == AF_UNIX ? FD_UNIX : family == AF_INET ? FD_INET : FD_INET6;

	if (r->fds[slot] < 0) {
		r->fds[slot] = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (r->fds[slot] < 0 ||
		    setsockopt(r->fds[slot], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
			return -errno;
	}
	d->fd = r->fds[slot];
	return 0;
}

static void reporter_free(struct qs_reporter *r)
{
	for (int i = 0; i < NR_FDS; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	/* The key schedule is as good as the key. */
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* Copies the caller's options whatever their size (libbpf's OPTS rules). */
static int opts_read(struct qs_reporter_opts *o, const struct qs_reporter_opts *user)
{
	const char *p = (const char *)user;

	memset(o, 0, sizeof(*o));
	if (!user)
		return 0;
	if (user->sz < sizeof(user->sz))
		return -EINVAL;
	/* A later header's fields this library does not know must be unset. */
	for (size_t i = sizeof(*o); i < user->sz; i++)
		if (p[i])
			return -EINVAL;
	memcpy(o, user, user->sz < sizeof(*o) ? user->sz : sizeof(*o));
	if (o->flags & ~QS_REPORTER_AUTO_FLUSH)
		return -EINVAL;
	return 0;
}

static int reporter_setup(struct qs_reporter *r, const __u8 *key, const char *const *agents,
			  const struct qs_reporter_opts *o)
{
	__u64 timeout = o->send_timeout_ns ? o->send_timeout_ns : QS_REPORTER_SEND_TIMEOUT_NS;
	int err;

	r->flags = o->flags;
	r->heartbeat_ns = o->heartbeat_ns ? o->heartbeat_ns : QS_REPORTER_HEARTBEAT_NS;
	r->snapshot_ns = o->snapshot_ns ? o->snapshot_ns : QS_REPORTER_SNAPSHOT_NS;
	if (o->vip && endpoint_from(&r->default_vip, o->vip))
		return -EINVAL;
	for (size_t i = 0; i < r->n_dests; i++) {
		err = dest_parse(&r->dests[i], agents[i]);
		if (!err)
			err = dest_socket(r, &r->dests[i], timeout);
		if (err)
			return err;
	}
	r->incarnation = incarnation_new();
	return mac_key_init(&r->mac, key);
}

struct qs_reporter *qs_reporter_open(__u32 backend_id, const __u8 key[QS_REPORT_KEY_LEN],
				     const char *const *agents, size_t n_agents,
				     const struct qs_reporter_opts *opts)
{
	struct qs_reporter_opts o;
	struct qs_reporter *r;
	int err = opts_read(&o, opts);

	if (!err && (!backend_id || backend_id >= QS_MAX_BACKENDS || !key || !agents || !n_agents ||
		     n_agents > MAX_DESTS))
		err = -EINVAL;
	if (err) {
		errno = -err;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	for (int i = 0; i < NR_FDS; i++)
		r->fds[i] = -1;
	r->backend_id = backend_id;
	r->n_dests = n_agents;
	err = reporter_setup(r, key, agents, &o);
	if (!err)
		err = -pthread_mutex_init(&r->lock, NULL);
	if (!err)
		return r;
	reporter_free(r);
	errno = -err;
	return NULL;
}

void qs_reporter_close(struct qs_reporter *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	dgram_send(r);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_destroy(&r->lock);
	reporter_free(r);
}
