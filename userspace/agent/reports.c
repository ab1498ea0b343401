// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The intake thread: from a report datagram to its map entry, and nothing
 * else that could keep a datagram waiting. It owns the report sockets, the
 * intake (sequence and incarnation rules), the ID registry and the sweep
 * of learned IDs, and so is the one writer of qs_cidtab's slots (through
 * mmap), qs_learned (besides the data path) and qs_reporters_v2.
 *
 * One turn of its loop does at most: INTAKE_DGRAMS datagrams per ready
 * socket, INTAKE_JOBS jobs from the main thread, one step of each running
 * flush, INTAKE_PURGE deferred map deletions (a purge, in chunks, paced)
 * and one chunk of the learned IDs' sweep; then it returns to epoll, at once if
 * work is left. A datagram therefore waits at most one bounded turn
 * (about a millisecond at these bounds), whatever else is going on.
 */
#define _GNU_SOURCE /* recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "util/log.h"
#include "quicsteer.skel.h"
#include "router/maps.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/words.h"

#define REPORT_RCVBUF (8 << 20)
/* unix report sockets: the agent's user and the group its backends run in */
#define REPORT_SOCKET_MODE 0660

/*
 * Per socket and turn: a datagram holds up to 60 IDs of 8 bytes, each
 * about a microsecond of the intake thread's (hashing, the registry's
 * records, a store into qs_cidtab: tools/bench/agent), so 8 of them are
 * about half a millisecond, the longest a report of another backend
 * waits behind a burst.
 */
#define INTAKE_DGRAMS 8
#define INTAKE_JOBS 8
/* Records the deferred work takes per turn: stores into qs_cidtab, tens of microseconds. */
#define INTAKE_PURGE 512
/*
 * Deletions per second, at most: a purge of a million IDs (a backend's
 * restart) in half a second, a turn of INTAKE_PURGE every quarter
 * millisecond at most, so that reports keep most of the thread. When
 * deletions freed entries of a hash map (qs_cids, before qs_cidtab), the
 * kernel's deferred frees held this CPU for tens of milliseconds at a time
 * above 200,000 a second; a store into qs_cidtab frees nothing.
 */
#define INTAKE_PURGE_PER_SEC 2000000
#define INTAKE_IDLE_MS 1000
/* At most one line a backend this often while its IDs are refused past its quota. */
#define QUOTA_LOG_EVERY_NS (60 * 1000000000ull)
/* A backend the view has not set a quota for yet gets what the configuration would give it. */
_Static_assert(QS_CIDREG_DEFAULT_MAX_IDS == QS_CONFIG_DEFAULT_BACKEND_MAX_IDS,
	       "the registry's default quota is backend-max-ids's default");

struct agent_intake {
	struct agent *a;
	struct agent_worker w;
	int fds[QS_AGENT_MAX_SOCKETS];
	int n_fds;
	struct agent_job *flushes; /* running over several turns */
	struct agent_view *view;
	struct qs_cidreg *reg;
	struct qs_intake *in;
	struct agent_cids cids; /* the one writer of qs_cidtab's slots */
	int reporters_fd;
	/*
	 * Where each backend's reports stand, for qs_reporters_v2 at the end of
	 * the turn: one write per backend and turn, not one per datagram (a
	 * system call each). An agent that dies before it takes a datagram
	 * again after its restart, as one that died halfway through it does:
	 * issues and retires are idempotent.
	 */
	struct qs_reporter_state unstored[QS_MAX_BACKENDS];
	__u32 dirty[QS_MAX_BACKENDS], n_dirty;
	bool is_dirty[QS_MAX_BACKENDS];
	__u64 purge_tokens, purge_refill_ns; /* deletions allowed now, and since when */
	bool purge_paced; /* deferred work waits for the pace */

	pthread_mutex_t pub_lock;
	struct agent_intake_stats pub;
	_Atomic __u64 last_seen[QS_MAX_BACKENDS];
	atomic_bool drain[QS_MAX_BACKENDS];
	_Atomic int sync_state[QS_MAX_BACKENDS]; /* enum qs_sync_backend */
	/* configured backends' quota figures, for metrics and status */
	_Atomic __u32 ids_held[QS_MAX_BACKENDS];
	_Atomic __u64 ids_over_quota[QS_MAX_BACKENDS];
	struct qs_cidreg_stats quotas_seen; /* the registry's stats when they were published */
	bool quotas_stale; /* a new view: publish whatever the stats say */
	__u64 quota_logged_ns[QS_MAX_BACKENDS]; /* the last "refused past its max-ids" line */
	/* address entries from each backend's handshakes since window_ns (handshake_of) */
	struct {
		__u64 window_ns;
		__u32 n;
	} hs_entries[QS_MAX_BACKENDS];
};

const __u64 agent_turn_bounds_ns[AGENT_TURN_BUCKETS] = {
	50000, 100000, 250000, 500000, 1000000, 2500000, 10000000, ~0ull,
};

/*
 * One key file, if only the agent's user or root can read or change it
 * (util/fileio.h: a FIFO is refused, never opened); why says what is wrong.
 */
static int key_file_read(const char *path, __u8 *key, size_t len, char *why, size_t size)
{
	int fd = qs_secret_open(path, why, size), err;

	if (fd < 0)
		return fd;
	err = qs_key_read_fd(fd, key, len);
	close(fd);
	if (err == -EINVAL)
		snprintf(why, size, "not %zu hex digits", 2 * len);
	else if (err)
		snprintf(why, size, "%s", strerror(-err));
	return err;
}

static int key_error(struct agent *a, struct qs_config_error *cerr, unsigned int line,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int key_error(struct agent *a, struct qs_config_error *cerr, unsigned int line,
		     const char *fmt, ...)
{
	va_list ap;

	memset(cerr, 0, sizeof(*cerr));
	snprintf(cerr->file, sizeof(cerr->file), "%s", a->config_path);
	cerr->line = line;
	va_start(ap, fmt);
	vsnprintf(cerr->msg, sizeof(cerr->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Reads every key first, so a bad file changes nothing. */
int agent_keys_load(struct agent *a, struct qs_config *cfg, struct qs_config_error *cerr)
{
	static __u8 keys[QS_MAX_BACKENDS][QS_REPORT_KEY_LEN];
	static __u8 lb_keys[QS_MAX_VIPS * QS_QUICLB_CONFIGS][QS_QUICLB_KEY_LEN];
	static bool has[QS_MAX_BACKENDS];
	char why[160];
	int err = 0;

	memset(has, 0, sizeof(has));
	for (size_t i = 0; !err && i < cfg->n_backends; i++) {
		const struct qs_config_backend *be = &cfg->backends[i];

		if (!be->key_file)
			continue;
		if (key_file_read(be->key_file, keys[be->id], QS_REPORT_KEY_LEN, why, sizeof(why)))
			err = key_error(a, cerr, be->line, "backend \"%s\": key-file %s: %s",
					be->name, be->key_file, why);
		has[be->id] = true;
	}
	for (size_t i = 0; !err && i < cfg->n_quiclbs; i++) {
		const struct qs_config_quiclb *q = &cfg->quiclbs[i];

		if (q->key_file[0] &&
		    key_file_read(q->key_file, lb_keys[i], QS_QUICLB_KEY_LEN, why, sizeof(why)))
			err = key_error(a, cerr, q->line,
					"quic-lb \"%s\" config %u: key-file %s: %s", q->vip,
					q->config_id, q->key_file, why);
	}
	if (!err) {
		memcpy(a->keys, keys, sizeof(keys));
		memcpy(a->has_key, has, sizeof(has));
		for (size_t i = 0; i < cfg->n_quiclbs; i++) {
			struct qs_config_quiclb *q = &cfg->quiclbs[i];

			q->has_key = q->key_file[0] != 0;
			memcpy(q->key, lb_keys[i], sizeof(q->key));
		}
	}
	explicit_bzero(keys, sizeof(keys));
	explicit_bzero(lb_keys, sizeof(lb_keys));
	return err;
}

static int key_of(void *ctx, __u32 id, const __u8 **key)
{
	const struct agent_intake *t = ctx;

	if (id >= QS_MAX_BACKENDS || !t->view->backends[id].has_key)
		return -ENOENT;
	*key = t->view->backends[id].key;
	return 0;
}

/* A backend may report IDs only on the VIPs it serves. */
static int vip_of(void *ctx, __u32 backend_id, const struct qs_report_endpoint *ep, __u32 *vip_id)
{
	const struct agent_intake *t = ctx;
	const struct agent_view *v = t->view;
	__u32 serves = backend_id < QS_MAX_BACKENDS ? v->backends[backend_id].vips : 0;

	for (size_t i = 0; serves && i < v->n_vips; i++) {
		__u32 id = v->vip_order[i];
		const struct agent_view_vip *vip = &v->vips[id];

		if (vip->family == ep->family && vip->port == ep->port &&
		    !memcmp(&vip->addr, &ep->addr, sizeof(ep->addr)) && (serves & (1u << id))) {
			*vip_id = id;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * A handshake on a VIP whose address entries come from handshake reports.
 * A backend's key in the wrong hands could name any client address: each
 * backend has at most its max-ids of these entries written per flow-idle
 * (an entry lives at least that long), so that it cannot fill the address
 * table other backends' connections use. An honest backend has fewer
 * connections than IDs; the rest are counted as lost.
 */
static void handshake_of(void *ctx, __u32 backend_id, __u32 vip_id,
			 const struct qs_report_endpoint *client)
{
	struct agent_intake *t = ctx;
	__u64 now = qs_now_coarse_ns();

	if (!t->view->vips[vip_id].entry_at_handshake)
		return;
	if (now - t->hs_entries[backend_id].window_ns >= t->view->flow_idle_ns) {
		t->hs_entries[backend_id].window_ns = now;
		t->hs_entries[backend_id].n = 0;
	}
	if (t->hs_entries[backend_id].n >= t->view->backends[backend_id].max_ids) {
		agent_events_entry_refused(t->a);
		return;
	}
	t->hs_entries[backend_id].n++;
	agent_events_entry(t->a, vip_id, backend_id, client);
}

/*
 * A report socket's group: a name, else a number; (gid_t)-1 when none is
 * given (the agent's). -ENOENT: no such group.
 */
static int group_id(const char *group, gid_t *gid)
{
	struct group gr, *found = NULL;
	char buf[4096];
	__u64 n;

	*gid = (gid_t)-1;
	if (!group[0])
		return 0;
	if (!getgrnam_r(group, &gr, buf, sizeof(buf), &found) && found) {
		*gid = found->gr_gid;
		return 0;
	}
	if (qs_parse_u64(group, &n) || n >= (gid_t)-1)
		return -ENOENT;
	*gid = (gid_t)n;
	return 0;
}

/* gid: a unix socket's group, (gid_t)-1 for the agent's. */
static int listener_open(const struct qs_config_listener *l, gid_t gid)
{
	struct sockaddr_storage ss = { 0 };
	int fd, err, one = 1, rcvbuf = REPORT_RCVBUF;
	socklen_t len = 0;

	if (l->kind == QS_LISTEN_UNIX) {
		ss.ss_family = AF_UNIX;
	} else {
		struct qs_addr_port ap = { .addr = l->addr.addr,
					   .port = (__u16)l->port,
					   .family = l->addr.family };

		len = qs_addr_port_sockaddr(&ap, &ss);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/*
	 * A snapshot or a burst of new connections arrives faster than one
	 * turn reads it; the default buffer drops it silently on UDP.
	 * FORCE passes net.core.rmem_max (root or CAP_NET_ADMIN).
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (l->kind == QS_LISTEN_UNIX)
		/* backends write to it: the agent's user and the listener's group */
		err = agent_unix_bind(fd, l->path, REPORT_SOCKET_MODE, gid);
	else
		err = bind(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int listeners_open(struct agent_intake *t, const struct qs_config *cfg)
{
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct qs_config_listener *l = &cfg->listeners[i];
		gid_t gid;
		int fd;

		if (group_id(l->group, &gid)) {
			pr_warn("report listener unix %s: no group \"%s\"\n", l->path, l->group);
			return -ENOENT;
		}
		fd = listener_open(l, gid);
		if (fd < 0) {
			pr_warn("report listener %s%s: %s\n",
				l->kind == QS_LISTEN_UNIX ? "unix " : "udp ",
				l->kind == QS_LISTEN_UNIX ? l->path : "", strerror(-fd));
			return fd;
		}
		t->fds[t->n_fds++] = fd;
	}
	return 0;
}

/*
 * The per-backend figures the main thread reads: for the heartbeat check
 * (0: never heard from), drains, and where it stands in the agent's sync.
 */
static void backend_publish(struct agent_intake *t, __u32 id)
{
	const struct qs_intake_backend *ib = qs_intake_backend(t->in, id);

	atomic_store_explicit(&t->last_seen[id], ib ? ib->last_seen_ns : 0, memory_order_relaxed);
	atomic_store_explicit(&t->drain[id], ib && ib->drain_requested, memory_order_relaxed);
	atomic_store_explicit(&t->sync_state[id], ib ? qs_sync_backend(&ib->sync) : QS_SYNC_UNHEARD,
			      memory_order_relaxed);
}

/*
 * A datagram accepted: where its backend stands goes to the main thread
 * now, and to the pin at the turn's end (reporters_store).
 */
static void reporter_store(void *ctx, __u32 backend_id, const struct qs_reporter_state *st)
{
	struct agent_intake *t = ctx;

	if (backend_id >= QS_MAX_BACKENDS)
		return;
	t->unstored[backend_id] = *st;
	if (!t->is_dirty[backend_id]) {
		t->is_dirty[backend_id] = true;
		t->dirty[t->n_dirty++] = backend_id;
	}
	backend_publish(t, backend_id);
}

static void reporters_store(struct agent_intake *t)
{
	for (__u32 i = 0; i < t->n_dirty; i++) {
		__u32 id = t->dirty[i];

		if (bpf_map_update_elem(t->reporters_fd, &id, &t->unstored[id], BPF_ANY))
			pr_warn("backend %u: cannot keep where its reports stand: %s\n", id,
				strerror(errno));
		t->is_dirty[id] = false;
	}
	t->n_dirty = 0;
}

/*
 * The pin of an agent from before the report protocol's version 2
 * (qs_reporters, entries without a version): its backends' incarnations
 * are version 1's, taken over where qs_reporters_v2 knows nothing of the
 * backend, so that upgrading the agent forgets nothing it refused (it
 * matters with report-accept-v1 only). Then the old pin goes: nothing
 * reads it again.
 */
static void reporters_v1_take(struct agent_intake *t, const char *pin_dir)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct qs_reporter_state_v1 v1;
	struct qs_reporter_state st;
	char path[PATH_MAX];
	int fd, n = 0;

	fd = qs_pin_open(pin_dir, QS_PIN_REPORTERS_V1);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(v1)) {
		pr_warn("%s/%s: not the layout of qs_reporters, left alone\n", pin_dir,
			QS_PIN_REPORTERS_V1);
		close(fd);
		return;
	}
	for (__u32 id = 1; id < QS_MAX_BACKENDS && id < info.max_entries; id++) {
		if (bpf_map_lookup_elem(fd, &id, &v1) || !v1.incarnation ||
		    (!bpf_map_lookup_elem(t->reporters_fd, &id, &st) && st.incarnation))
			continue;
		memset(&st, 0, sizeof(st));
		st.incarnation = v1.incarnation;
		st.sequence = v1.sequence;
		memcpy(st.old, v1.old, sizeof(st.old));
		st.version = QS_REPORT_V1;
		if (!bpf_map_update_elem(t->reporters_fd, &id, &st, BPF_ANY))
			n++;
	}
	close(fd);
	if (!qs_pin_path(pin_dir, QS_PIN_REPORTERS_V1, path, sizeof(path)) && !unlink(path))
		pr_info("%s: report state of %d backends taken over as version 1, pin removed\n",
			path, n);
}

/*
 * Each configured backend's max-ids into the registry. A backend that
 * holds more than its new quota keeps its IDs (a reload must not cut
 * connections) and gets no new one until it holds fewer.
 */
static void quotas_take(struct agent_intake *t)
{
	const struct agent_view *v = t->view;

	for (size_t i = 0; i < v->n_backends; i++) {
		__u32 id = v->backend_order[i], max_ids = v->backends[id].max_ids;
		const struct qs_cidreg_quota *q = qs_cidreg_quota(t->reg, id);

		if (q->max_ids != max_ids && q->ids > max_ids)
			pr_info("backend %s: holds %u IDs, more than its max-ids %u now: they "
				"stay, its new IDs are refused until it holds fewer\n",
				v->backends[id].name, q->ids, max_ids);
		qs_cidreg_set_max_ids(t->reg, id, max_ids);
	}
	t->quotas_stale = true;
}

/*
 * Each configured backend's count and refusals, when the registry's
 * stats moved (every count and refusal is in them) or the view changed:
 * a walk of the configured backends, never of IDs. A backend refused
 * past its quota gets a line at most once a minute.
 */
static void quotas_publish(struct agent_intake *t)
{
	const struct qs_cidreg_stats *s = qs_cidreg_stats(t->reg);
	const struct agent_view *v = t->view;
	__u64 now = qs_now_coarse_ns();

	if (!t->quotas_stale && !memcmp(s, &t->quotas_seen, sizeof(*s)))
		return;
	for (size_t i = 0; i < v->n_backends; i++) {
		__u32 id = v->backend_order[i];
		const struct qs_cidreg_quota *q = qs_cidreg_quota(t->reg, id);
		__u64 before = atomic_exchange_explicit(&t->ids_over_quota[id], q->over_quota,
							memory_order_relaxed);

		atomic_store_explicit(&t->ids_held[id], q->ids, memory_order_relaxed);
		if (q->over_quota <= before ||
		    (t->quota_logged_ns[id] && now - t->quota_logged_ns[id] < QUOTA_LOG_EVERY_NS))
			continue;
		t->quota_logged_ns[id] = now;
		pr_warn("backend %s: holds %u IDs, its max-ids %u: %llu of its new IDs refused "
			"so far (its key in the wrong hands, or a quota too low?)\n",
			v->backends[id].name, q->ids, q->max_ids,
			(unsigned long long)q->over_quota);
	}
	t->quotas_seen = *s;
	t->quotas_stale = false;
}

/*
 * Where each backend's reports stood before a restart, from the pin, and
 * the IDs qs_cidtab holds go back to their backends (learned IDs need
 * nothing: they age in their own table).
 */
static int intake_restore(struct agent_intake *t)
{
	struct qs_reporter_state st;
	__u64 now = qs_now_coarse_ns();

	reporters_v1_take(t, t->a->cfg->pin_dir);
	for (__u32 id = 1; id < QS_MAX_BACKENDS; id++)
		if (!bpf_map_lookup_elem(t->reporters_fd, &id, &st) && st.incarnation) {
			qs_intake_restore(t->in, id, &st, now);
			backend_publish(t, id);
		}
	qs_intake_set_store(t->in, reporter_store);
	return agent_cids_restore(&t->cids, t->reg);
}

int agent_intake_open(struct agent *a)
{
	struct quicsteer_bpf *s = a->router.skel;
	struct agent_intake *t = calloc(1, sizeof(*t));
	struct qs_cid_sink sink;
	int err;

	if (!t)
		return -ENOMEM;
	a->intake = t;
	t->a = a;
	t->w.epoll_fd = t->w.jobs.efd = -1;
	pthread_mutex_init(&t->pub_lock, NULL);
	err = agent_cids_init(&t->cids, bpf_map__fd(s->maps.qs_cids),
			      bpf_map__fd(s->maps.qs_cidtab), bpf_map__fd(s->maps.qs_learned), a->cfg->learned_ttl_ms * 1000000ull);
	if (err)
		return err;
	t->reporters_fd = bpf_map__fd(s->maps.qs_reporters_v2);
	sink = agent_cids_sink(&t->cids);
	t->view = agent_view_get(a);
	t->reg = qs_cidreg_new(&sink);
	/* the intake's callbacks see the intake thread's view */
	t->in = t->reg ? qs_intake_new(t->reg, key_of, vip_of, t) : NULL;
	if (!t->in)
		return -ENOMEM;
	qs_intake_set_freshness(t->in, t->view->report_window_ns, t->view->report_accept_v1);
	qs_intake_set_handshake(t->in, handshake_of);
	quotas_take(t);
	err = agent_worker_init(&t->w);
	return err ?: intake_restore(t) ?: listeners_open(t, a->cfg);
}

void agent_intake_post(struct agent *a, struct agent_job *job)
{
	agent_jobq_push(&a->intake->w.jobs, job);
}

__u64 agent_intake_last_seen(struct agent *a, __u32 backend_id)
{
	return backend_id < QS_MAX_BACKENDS ?
		       atomic_load_explicit(&a->intake->last_seen[backend_id],
					    memory_order_relaxed) :
		       0;
}

bool agent_intake_drain_requested(struct agent *a, __u32 backend_id)
{
	return backend_id < QS_MAX_BACKENDS &&
	       atomic_load_explicit(&a->intake->drain[backend_id], memory_order_relaxed);
}

enum qs_sync_backend agent_intake_sync(struct agent *a, __u32 backend_id)
{
	return backend_id < QS_MAX_BACKENDS ?
		       atomic_load_explicit(&a->intake->sync_state[backend_id],
					    memory_order_relaxed) :
		       QS_SYNC_UNHEARD;
}

void agent_intake_backend_ids(struct agent *a, __u32 backend_id, __u32 *ids, __u64 *over_quota)
{
	struct agent_intake *t = a->intake;

	*ids = 0;
	*over_quota = 0;
	if (backend_id >= QS_MAX_BACKENDS)
		return;
	*ids = atomic_load_explicit(&t->ids_held[backend_id], memory_order_relaxed);
	*over_quota = atomic_load_explicit(&t->ids_over_quota[backend_id], memory_order_relaxed);
}

void agent_intake_stats(struct agent *a, struct agent_intake_stats *out)
{
	struct agent_intake *t = a->intake;

	pthread_mutex_lock(&t->pub_lock);
	*out = t->pub;
	pthread_mutex_unlock(&t->pub_lock);
}

static void stats_publish(struct agent_intake *t, __u64 turn_ns)
{
	int b = 0;

	while (turn_ns > agent_turn_bounds_ns[b])
		b++;
	quotas_publish(t);
	pthread_mutex_lock(&t->pub_lock);
	t->pub.turn_le[b]++;
	t->pub.turn_sum_ns += turn_ns;
	if (turn_ns > t->pub.turn_max_ns)
		t->pub.turn_max_ns = turn_ns;
	for (int r = 0; r < QS_REPORT_NR_REASONS; r++)
		t->pub.counts[r] = qs_intake_count(t->in, r);
	t->pub.ids = qs_intake_ids(t->in);
	t->pub.reg = *qs_cidreg_stats(t->reg);
	t->pub.learned = *agent_cids_learned_stats(&t->cids);
	t->pub.registry_bytes = qs_cidreg_memory(t->reg);
	t->pub.legacy_ids = t->cids.legacy_ids;
	t->pub.turns++;
	pthread_mutex_unlock(&t->pub_lock);
}

/* Up to INTAKE_DGRAMS datagrams of one socket; each counted by intake. */
static void socket_read(struct agent_intake *t, int fd)
{
	static __u8 bufs[INTAKE_DGRAMS][QS_REPORT_MAX_DGRAM + 1];
	struct mmsghdr msgs[INTAKE_DGRAMS];
	struct iovec iov[INTAKE_DGRAMS];
	__u64 now = qs_now_coarse_ns(), wall = qs_wall_coarse_ns();
	int n, reason;

	/* the turn's datagrams in one system call: one each cost more than their IDs' work */
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < INTAKE_DGRAMS; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, msgs, INTAKE_DGRAMS, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		reason = qs_intake_datagram(t->in, bufs[i], msgs[i].msg_len, now, wall);
		if (atomic_load_explicit(&t->a->monitor_subscribers, memory_order_relaxed))
			agent_events_report(t->a, bufs[i], msgs[i].msg_len, reason, wall);
	}
}

/* What a new configuration lost: the IDs of removed backends and VIPs. */
static void view_take(struct agent_intake *t, struct agent_job *job)
{
	struct agent_job_view *jv = &job->view;
	long n;

	agent_view_put(t->view);
	t->view = jv->view;
	jv->view = NULL;
	agent_cids_set_ttl(&t->cids, t->view->learned_ttl_ns);
	qs_intake_set_freshness(t->in, t->view->report_window_ns, t->view->report_accept_v1);
	quotas_take(t);
	for (size_t i = 0; i < jv->n_gone_backends; i++) {
		__u32 id = jv->gone_backends[i];

		qs_cidreg_purge(t->reg, id);
		qs_intake_forget(t->in, id);
		n = qs_cidreg_flush(t->reg, QS_MAX_VIPS, id, QS_CIDREG_FLUSH_OPERATOR);
		if (n > 0)
			pr_info("backend %u removed: %ld operator's IDs to it removed\n", id, n);
	}
	for (size_t i = 0; i < jv->n_gone_vips; i++) {
		n = qs_cidreg_flush(t->reg, jv->gone_vips[i], QS_NO_BACKEND,
				    QS_CIDREG_FLUSH_OPERATOR);
		if (n > 0)
			pr_info("vip %u removed: %ld operator's IDs on it removed\n",
				jv->gone_vips[i], n);
	}
}

static void job_done(struct agent_intake *t, struct agent_job *job)
{
	agent_jobq_push(&t->a->done, job);
}

static void job_run(struct agent_intake *t, struct agent_job *job)
{
	switch (job->kind) {
	case AGENT_JOB_VIEW:
		view_take(t, job);
		break;
	case AGENT_JOB_CID_FLUSH:
		/* the registry's part now; the learned IDs a chunk per turn */
		if (agent_cid_flush_start(t->reg, &t->cids, job)) {
			job->next = t->flushes;
			t->flushes = job;
			return;
		}
		break;
	default:
		agent_cid_job_run(t->reg, &t->cids, job);
		break;
	}
	job_done(t, job);
}

/*
 * The registry's deferred work, at most INTAKE_PURGE records and no
 * faster than INTAKE_PURGE_PER_SEC; true while work is left that waits
 * for the pace.
 */
static bool purge_step(struct agent_intake *t)
{
	__u64 now = qs_now_ns(), budget;

	t->purge_tokens += (now - t->purge_refill_ns) * INTAKE_PURGE_PER_SEC / 1000000000ull;
	t->purge_refill_ns = now;
	if (t->purge_tokens > INTAKE_PURGE)
		t->purge_tokens = INTAKE_PURGE;
	budget = t->purge_tokens;
	if (!qs_cidreg_work(t->reg, budget))
		return false;
	t->purge_tokens = 0;
	return true;
}

/* Everything but the sockets, bounded; returns true if work is left. */
static bool turn_work(struct agent_intake *t)
{
	struct agent_job *job;
	bool more;

	for (int i = 0; i < INTAKE_JOBS && (job = agent_jobq_pop(&t->w.jobs)); i++)
		job_run(t, job);
	more = agent_flushes_step(t->a, &t->flushes);
	more |= agent_cids_sweep_step(&t->cids, qs_now_coarse_ns());
	t->purge_paced = purge_step(t) && !more;
	return more || (!t->purge_paced && qs_cidreg_work(t->reg, 0));
}

/* Milliseconds until the learned IDs' next sweep, at most INTAKE_IDLE_MS. */
static int idle_timeout(const struct agent_intake *t)
{
	__u64 next = t->cids.next_sweep_ns, now = qs_now_coarse_ns();

	if (!next)
		return INTAKE_IDLE_MS;
	if (next <= now)
		return 0;
	return (next - now) / 1000000 + 1 < INTAKE_IDLE_MS ? (next - now) / 1000000 + 1 :
							     INTAKE_IDLE_MS;
}

static void *intake_main(void *arg)
{
	struct agent_intake *t = arg;
	struct epoll_event evs[QS_AGENT_MAX_SOCKETS + 2];
	bool more = false;

	while (!atomic_load(&t->w.stop)) {
		int n = epoll_wait(t->w.epoll_fd, evs, sizeof(evs) / sizeof(evs[0]),
				   more		  ? 0 :
				   t->purge_paced ? 1 :
						    idle_timeout(t));
		__u64 t0 = qs_now_ns();

		for (int i = 0; i < n; i++)
			if (evs[i].data.fd != t->w.jobs.efd)
				socket_read(t, evs[i].data.fd);
		more = turn_work(t);
		reporters_store(t);
		stats_publish(t, qs_now_ns() - t0);
	}
	reporters_store(t);
	return NULL;
}

int agent_intake_start(struct agent *a)
{
	struct agent_intake *t = a->intake;
	int err = 0;

	for (int i = 0; !err && i < t->n_fds; i++)
		err = agent_epoll_add(t->w.epoll_fd, t->fds[i]);
	stats_publish(t, 0);
	return err ?: agent_worker_start(&t->w, intake_main, t, "qs-intake");
}

void agent_intake_stop(struct agent *a)
{
	struct agent_intake *t = a->intake;

	if (!t)
		return;
	agent_worker_stop(a, &t->w);
	agent_flushes_abandon(a, &t->flushes);
	for (int i = 0; i < t->n_fds; i++)
		close(t->fds[i]);
	qs_intake_free(t->in);
	qs_cidreg_free(t->reg);
	agent_cids_fini(&t->cids);
	agent_view_put(t->view);
	free(t);
	a->intake = NULL;
}
