// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control socket (docs/control-protocol.md): a unix SOCK_SEQPACKET
 * socket; each request is one message "v1 COMMAND [ARGS]", each answer one
 * JSON object. Served by the main thread without ever waiting on a client:
 * connections are non-blocking and each has a deadline (a client that
 * connects and says nothing is dropped after CONTROL_REQUEST_MS; an answer
 * is one non-blocking send, so a client that never reads it costs nothing).
 * A request another thread must carry out (cid add, flush, a configuration
 * change the intake thread must take) waits for its job to come back,
 * CONTROL_JOB_MS at most, while the main loop goes on serving others.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "util/log.h"
#include "router/maps.h"
#include "quicsteer.skel.h"
#include "router/commands.h"
#include "router/status.h"
#include "util/clock.h"

#define CONTROL_VERSION "v1"
#define CONTROL_SOCKET_MODE 0600
#define CONTROL_MAX_REQUEST 4096
#define CONTROL_MAX_WORDS 128
#define CONTROL_MAX_CONNS 64
#define CONTROL_ACCEPTS 16 /* per turn of the main loop */
#define CONTROL_REQUEST_MS 5000
#define CONTROL_JOB_MS 30000
#define NS_PER_MS 1000000ull

enum conn_state {
	CONN_FREE,
	CONN_READING, /* accepted, its request not read yet */
	CONN_WAITING, /* its job runs on another thread */
};

struct conn {
	enum conn_state state;
	int fd;
	__u64 id;
	__u64 deadline_ns;
	char what[48]; /* the command, for messages */
};

struct agent_conns {
	struct conn c[CONTROL_MAX_CONNS];
	__u64 next_id;
};

struct agent_job *agent_job_new(enum agent_job_kind kind)
{
	struct agent_job *job = calloc(1, sizeof(*job));

	if (job) {
		job->kind = kind;
		if (kind == AGENT_JOB_SUBSCRIBE)
			job->fd = -1;
	}
	return job;
}

void agent_job_free(struct agent_job *job)
{
	if (!job)
		return;
	if (job->kind == AGENT_JOB_VIEW) {
		agent_view_put(job->view.view);
		free(job->view.gone_backends);
		free(job->view.gone_vips);
	}
	json_object_put(job->reply.o);
	free(job);
}

void agent_post(struct agent *a, struct agent_job *job)
{
	if (job->kind == AGENT_JOB_FLOW_FLUSH || job->kind == AGENT_JOB_SUBSCRIBE)
		agent_events_post(a, job);
	else
		agent_intake_post(a, job);
}

void agent_reply_error(struct agent_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

int agent_unix_bind(int fd, const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >= (int)sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	/*
	 * bind() makes the file with the mode of the socket's own inode less
	 * the umask: set to mode first, the file never has more than mode,
	 * whatever the umask. Then exactly mode (a umask may have taken some).
	 */
	if (fchmod(fd, mode))
		return -errno;
	unlink(path); /* a previous agent's socket */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return -errno;
	if ((gid != (gid_t)-1 && lchown(path, (uid_t)-1, gid)) || chmod(path, mode)) {
		err = -errno;
		unlink(path);
		return err;
	}
	return 0;
}

int agent_control_open(struct agent *a)
{
	const char *path = a->cfg->control_socket;
	char dir[QS_CONFIG_SUN_PATH_MAX], *slash;
	int fd, err;

	a->conns = calloc(1, sizeof(*a->conns));
	if (!a->conns)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		/*
		 * /run/quicsteer on a fresh boot. The socket's mode guards it;
		 * backends may need to reach a report socket beside it.
		 */
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the agent's user only: the socket changes routing and shows QUIC-LB keys */
	err = agent_unix_bind(fd, path, CONTROL_SOCKET_MODE, (gid_t)-1);
	if (!err && listen(fd, 64))
		err = -errno;
	if (err) {
		close(fd);
		pr_warn("control socket %s: %s\n", path, strerror(-err));
		return err;
	}
	a->control_fd = fd;
	return 0;
}

static void conn_close(struct agent *a, struct conn *c)
{
	epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	memset(c, 0, sizeof(*c));
}

void agent_control_close(struct agent *a)
{
	for (int i = 0; a->conns && i < CONTROL_MAX_CONNS; i++)
		if (a->conns->c[i].state != CONN_FREE)
			conn_close(a, &a->conns->c[i]);
	free(a->conns);
	a->conns = NULL;
	if (a->control_fd >= 0)
		close(a->control_fd);
	a->control_fd = -1;
}

static struct conn *conn_by_fd(struct agent *a, int fd)
{
	for (int i = 0; a->conns && i < CONTROL_MAX_CONNS; i++)
		if (a->conns->c[i].state != CONN_FREE && a->conns->c[i].fd == fd)
			return &a->conns->c[i];
	return NULL;
}

static struct conn *conn_by_id(struct agent *a, __u64 id)
{
	for (int i = 0; id && a->conns && i < CONTROL_MAX_CONNS; i++)
		if (a->conns->c[i].state != CONN_FREE && a->conns->c[i].id == id)
			return &a->conns->c[i];
	return NULL;
}

bool agent_control_owns(struct agent *a, int fd)
{
	return fd == a->control_fd || conn_by_fd(a, fd);
}

/*
 * A message must fit the sender's buffer whole (net.core.wmem_default,
 * some 200 KiB): the running configuration of 4,095 backends is about
 * 370 KiB. The agent, with CAP_NET_ADMIN, makes room for what it sends.
 */
#define CONTROL_MAX_ANSWER (16 << 20)

static void sndbuf_fit(int fd, size_t len)
{
	int want = len + 64 * 1024, have;
	socklen_t sl = sizeof(have);

	if (len > CONTROL_MAX_ANSWER ||
	    (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &sl) && (size_t)have > len + 1024))
		return;
	/* the kernel doubles what it is given: half of it is for its own bookkeeping */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want));
}

/* {"ok": true, ...} or {"ok": false, "error": "..."}, one non-blocking message. */
static void answer_send(int fd, struct agent_reply *r)
{
	json_object *o = r->error[0] ? NULL : r->o;
	const char *text;
	char too_large[128];

	if (!o)
		o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(!r->error[0]));
	if (r->error[0])
		json_object_object_add(o, "error", json_object_new_string(r->error));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	sndbuf_fit(fd, strlen(text));
	if (send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EMSGSIZE) {
		snprintf(too_large, sizeof(too_large),
			 "{\"ok\":false,\"error\":\"answer of %zu bytes too large for one message\"}",
			 strlen(text));
		send(fd, too_large, strlen(too_large), MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (o != r->o)
		json_object_put(o);
}

static void conn_answer(struct agent *a, struct conn *c, struct agent_reply *r)
{
	answer_send(c->fd, r);
	AGENT_COUNT(a, control_requests, 1);
	conn_close(a, c);
}

/* Accepts what is pending, a bounded number per turn; each gets a deadline. */
static void control_accept(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	__u64 now = qs_now_coarse_ns();

	for (int n = 0; n < CONTROL_ACCEPTS; n++) {
		int fd = accept4(a->control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;

		if (fd < 0)
			return;
		for (int i = 0; !c && i < CONTROL_MAX_CONNS; i++)
			if (a->conns->c[i].state == CONN_FREE)
				c = &a->conns->c[i];
		ev.data.fd = fd;
		if (!c || epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			struct agent_reply busy = { 0 };

			agent_reply_error(&busy, "the agent serves %d connections already: try again",
					  CONTROL_MAX_CONNS);
			answer_send(fd, &busy);
			close(fd);
			AGENT_COUNT(a, control_refused, 1);
			continue;
		}
		*c = (struct conn){ .state = CONN_READING, .fd = fd, .id = ++a->conns->next_id,
				    .deadline_ns = now + CONTROL_REQUEST_MS * NS_PER_MS };
	}
}

static json_object *status_tables(struct agent *a, const struct agent_intake_stats *in,
				  const struct agent_events_stats *ev);

static void add_i64(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* Backends without a usable next hop: ready when none but those configured down. */
static json_object *nexthops_missing(struct agent *a, bool *ready)
{
	json_object *names = json_object_new_array();

	*ready = true;
	for (size_t i = 0; i < a->cfg->n_backends; i++) {
		const struct qs_config_backend *be = &a->cfg->backends[i];

		if (!a->no_nexthop[be->id])
			continue;
		json_object_array_add(names, json_object_new_string(be->name));
		if (a->configured_state[be->id] != QS_BACKEND_DOWN)
			*ready = false;
	}
	return names;
}

/* Each backend's IDs against its quota, from the intake thread's published counts. */
static json_object *backend_quotas(struct agent *a)
{
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < a->cfg->n_backends; i++) {
		const struct qs_config_backend *be = &a->cfg->backends[i];
		json_object *row = json_object_new_object();
		__u64 over;
		__u32 ids;

		agent_intake_backend_ids(a, be->id, &ids, &over);
		json_object_object_add(row, "name", json_object_new_string(be->name));
		add_i64(row, "id", be->id);
		add_i64(row, "ids", ids);
		add_i64(row, "max_ids", qs_config_backend_max_ids(a->cfg, be));
		add_i64(row, "over_quota", over);
		json_object_array_add(rows, row);
	}
	return rows;
}

/* From counts the agent keeps and a few small reads: never a walk of a large table. */
static json_object *status(struct agent *a)
{
	json_object *o = json_object_new_object(), *ifs = json_object_new_array(), *missing;
	struct agent_intake_stats in;
	struct agent_events_stats ev;
	json_object *sync;
	bool ready, synced;

	agent_intake_stats(a, &in);
	agent_events_stats(a, &ev);
	for (size_t i = 0; i < a->cfg->n_interfaces; i++)
		json_object_array_add(ifs, json_object_new_string(a->cfg->interfaces[i].name));
	missing = nexthops_missing(a, &ready);
	sync = agent_sync_json(a, qs_now_coarse_ns(), &synced);
	json_object_object_add(o, "ready", json_object_new_boolean(ready));
	json_object_object_add(o, "nexthops_missing", missing);
	json_object_object_add(o, "synced", json_object_new_boolean(synced));
	json_object_object_add(o, "sync", sync);
	json_object_object_add(o, "pin_dir", json_object_new_string(a->cfg->pin_dir));
	json_object_object_add(o, "attached", json_object_new_boolean(!a->adopt));
	json_object_object_add(o, "interfaces", ifs);
	json_object_object_add(o, "abi_version", json_object_new_int(QS_ABI_VERSION));
	add_i64(o, "vips", a->cfg->n_vips);
	add_i64(o, "backends", a->cfg->n_backends);
	add_i64(o, "ids_reported", in.reg.live);
	add_i64(o, "learned_last_sweep", in.learned.entries);
	add_i64(o, "ids_operator", in.reg.operator);
	add_i64(o, "ids_pending_removal", in.reg.pending);
	add_i64(o, "ids_over_quota", in.reg.over_quota);
	json_object_object_add(o, "backend_ids", backend_quotas(a));
	add_i64(o, "intake_turn_max_us", in.turn_max_ns / 1000);
	add_i64(o, "flows_last_sweep", ev.flows.entries);
	add_i64(o, "flows_new_last_sweep", ev.flows_new.entries);
	json_object_object_add(o, "program", qs_status_program_json(bpf_program__fd(
						     a->router.skel->progs.quicsteer_router)));
	json_object_object_add(o, "attachments", qs_status_attachments_json());
	json_object_object_add(o, "tables", status_tables(a, &in, &ev));
	add_i64(o, "monitor_subscribers", atomic_load(&a->monitor_subscribers));
	return o;
}

static int table_fd(void *ctx, const char *name)
{
	return bpf_object__find_map_fd_by_name(((struct agent *)ctx)->router.skel->obj, name);
}

struct table_counts {
	struct agent *a;
	const struct agent_intake_stats *in;
	const struct agent_events_stats *ev;
};

/*
 * The large tables by the agent's own bookkeeping: qs_cidtab holds what
 * backends reported, the operator's IDs and removed IDs not deleted yet;
 * qs_cids what it held when the agent started (nothing writes it now);
 * qs_learned and the address tables what their last sweeps found; qs_maglev the
 * rows as written. The rest (at most a few thousand entries each) are read
 * in batches.
 */
static long long table_count(void *ctx, const char *name)
{
	struct table_counts *t = ctx;
	const struct qs_cidreg_stats *c = &t->in->reg;

	if (!strcmp(name, QS_MAP_CIDTAB))
		return c->live + c->operator + c->pending;
	if (!strcmp(name, QS_MAP_CIDS))
		return t->in->legacy_ids;
	if (!strcmp(name, QS_MAP_LEARNED))
		return t->in->learned.entries;
	if (!strcmp(name, QS_MAP_FLOWS))
		return t->ev->flows.entries;
	if (!strcmp(name, QS_MAP_FLOWS_NEW))
		return t->ev->flows_new.entries;
	if (!strcmp(name, QS_MAP_MAGLEV))
		return qs_maglev_rows_used(&t->a->rows);
	return -1;
}

static int counts_fd(void *ctx, const char *name)
{
	return table_fd(((struct table_counts *)ctx)->a, name);
}

/* The tables, counted from the same copies of the threads' counters as the rest. */
static json_object *status_tables(struct agent *a, const struct agent_intake_stats *in,
				  const struct agent_events_stats *ev)
{
	struct table_counts t = { a, in, ev };

	return qs_status_tables_json(counts_fd, table_count, &t);
}

static struct agent_job *agent_status_answer(struct agent *a, const char *object, char **args,
					     int n, struct agent_reply *r)
{
	(void)object, (void)args, (void)n;
	r->o = status(a);
	return NULL;
}

/* The connection goes to the events thread, which answers and then feeds it. */
static struct agent_job *agent_monitor_start(struct agent *a, const char *object, char **args,
					     int n, struct agent_reply *r)
{
	(void)a, (void)object, (void)args, (void)n;
	return agent_job_new(AGENT_JOB_SUBSCRIBE) ?: (agent_reply_error(r, "monitor: out of memory"),
						      NULL);
}

/*
 * The agent's handler of each row of the one table (router/commands.h);
 * every row the agent serves needs one (agent_commands_check).
 * agent_edit_add and agent_edit_del serve every kind of statement: the
 * object names it.
 */
static const agent_command_fn agent_handlers[QS_CMD__COUNT] = {
	[QS_CMD_STATUS] = agent_status_answer,
	[QS_CMD_RELOAD] = agent_reload_file,
	[QS_CMD_SHOW] = agent_config_show,
	[QS_CMD_ATTACH_DEV] = agent_attach,
	[QS_CMD_DETACH_DEV] = agent_detach,
	[QS_CMD_MONITOR] = agent_monitor_start,
	[QS_CMD_VIP_ADD] = agent_edit_add,
	[QS_CMD_VIP_SET] = agent_vip_set,
	[QS_CMD_VIP_DEL] = agent_edit_del,
	[QS_CMD_BACKEND_ADD] = agent_edit_add,
	[QS_CMD_BACKEND_SET] = agent_edit_set,
	[QS_CMD_BACKEND_DEL] = agent_edit_del,
	[QS_CMD_BACKEND_DRAIN] = agent_backend_drain,
	[QS_CMD_BACKEND_UNDRAIN] = agent_backend_undrain,
	[QS_CMD_NEXTHOP_ADD] = agent_edit_add,
	[QS_CMD_NEXTHOP_DEL] = agent_edit_del,
	[QS_CMD_QUICLB_ADD] = agent_edit_add,
	[QS_CMD_QUICLB_DEL] = agent_quiclb_del,
	[QS_CMD_CID_ADD] = agent_cid_add,
	[QS_CMD_CID_DEL] = agent_cid_del,
	[QS_CMD_CID_FLUSH] = agent_cid_flush,
	[QS_CMD_FLOW_FLUSH] = agent_flow_flush,
};

static bool agent_bound(enum qs_cmd_id id)
{
	return agent_handlers[id];
}

int agent_commands_check(char *err, size_t size)
{
	return qs_commands_check(QS_SIDE_AGENT, agent_bound, err, size);
}

/*
 * Words must match exactly: prefixes are the CLI's, which sends whole
 * words, and a request from a script must mean one thing in every version.
 */
static struct agent_job *dispatch(struct agent *a, char **w, int n, struct agent_reply *r)
{
	const struct qs_command *c;
	char list[256];
	int id;

	if (!n) {
		agent_reply_error(r, "missing command (expected %s)",
				  qs_command_words(QS_SIDE_AGENT, NULL, ", ", list, sizeof(list)));
		return NULL;
	}
	id = qs_command_exact(QS_SIDE_AGENT, w[0], n > 1 ? w[1] : NULL);
	if (id >= 0) {
		c = &qs_commands[id];
		if (!c->verb && n > 1) {
			agent_reply_error(r, "%s: unexpected \"%.40s\"", w[0], w[1]);
			return NULL;
		}
		return agent_handlers[id](a, c->object, w + (c->verb ? 2 : 1),
					  n - (c->verb ? 2 : 1), r);
	}
	if (!qs_command_object_known(QS_SIDE_AGENT, w[0]))
		agent_reply_error(r, "unknown command \"%.40s\" (expected %s)", w[0],
				  qs_command_words(QS_SIDE_AGENT, NULL, ", ", list, sizeof(list)));
	else if (n < 2)
		agent_reply_error(r, "%s: missing verb (expected %s)", w[0],
				  qs_command_words(QS_SIDE_AGENT, w[0], ", ", list, sizeof(list)));
	else
		agent_reply_error(r, "%s: unknown verb \"%.40s\" (expected %s)", w[0], w[1],
				  qs_command_words(QS_SIDE_AGENT, w[0], ", ", list, sizeof(list)));
	return NULL;
}

/* The request's words, dispatched; a job when another thread must finish it. */
static struct agent_job *handle(struct agent *a, char *req, struct agent_reply *r, char *what,
				size_t what_len)
{
	char *words[CONTROL_MAX_WORDS], *save, *w;
	int n = 0;

	if (strncmp(req, CONTROL_VERSION " ", 3)) {
		agent_reply_error(r, "unsupported protocol version: this agent speaks " CONTROL_VERSION);
		return NULL;
	}
	for (w = strtok_r(req + 3, " \t\r\n", &save); w && n < CONTROL_MAX_WORDS;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[n++] = w;
	if (w) {
		agent_reply_error(r, "more than %d words", CONTROL_MAX_WORDS);
		return NULL;
	}
	snprintf(what, what_len, "%s%s%s", n ? words[0] : "", n > 1 ? " " : "",
		 n > 1 ? words[1] : "");
	return dispatch(a, words, n, r);
}

/* A monitor's connection goes to the events thread, which answers it. */
static void conn_hand_over(struct agent *a, struct conn *c, struct agent_job *job)
{
	epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	job->fd = c->fd;
	memset(c, 0, sizeof(*c));
	agent_post(a, job);
}

static void conn_request(struct agent *a, struct conn *c)
{
	char req[CONTROL_MAX_REQUEST + 1];
	struct agent_reply r = { 0 };
	struct agent_job *job;
	ssize_t n = recv(c->fd, req, CONTROL_MAX_REQUEST, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* gone without a request */
		conn_close(a, c);
		return;
	}
	req[n] = 0;
	job = handle(a, req, &r, c->what, sizeof(c->what));
	if (job && r.error[0]) { /* a change applied, but refused: nothing to wait for */
		agent_post(a, job);
		job = NULL;
	}
	if (!job) {
		conn_answer(a, c, &r);
		json_object_put(r.o);
		return;
	}
	/* the handler's members (a change's) come with the job's answer */
	if (r.o && !job->reply.o)
		job->reply.o = json_object_get(r.o);
	json_object_put(r.o);
	if (job->kind == AGENT_JOB_SUBSCRIBE) {
		conn_hand_over(a, c, job);
		return;
	}
	job->conn_id = c->id;
	c->state = CONN_WAITING;
	/* a client that writes more meanwhile is not read: only its leaving wakes us */
	epoll_ctl(a->epoll_fd, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){ .events = EPOLLRDHUP,
									  .data.fd = c->fd });
	c->deadline_ns = qs_now_coarse_ns() + CONTROL_JOB_MS * NS_PER_MS;
	agent_post(a, job);
}

void agent_control_ready(struct agent *a, int fd, __u32 events)
{
	struct conn *c;

	if (fd == a->control_fd) {
		control_accept(a);
		return;
	}
	c = conn_by_fd(a, fd);
	if (!c)
		return;
	if (c->state == CONN_READING)
		conn_request(a, c);
	else if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))
		/* the client left while its job runs: the job still ends, unanswered */
		conn_close(a, c);
}

void agent_control_done(struct agent *a, struct agent_job *job)
{
	struct conn *c = conn_by_id(a, job->conn_id);

	if (c && c->state == CONN_WAITING)
		conn_answer(a, c, &job->reply);
	agent_job_free(job);
}

__u64 agent_control_expire(struct agent *a, __u64 now_ns)
{
	__u64 next = 0;

	for (int i = 0; a->conns && i < CONTROL_MAX_CONNS; i++) {
		struct conn *c = &a->conns->c[i];
		struct agent_reply r = { 0 };

		if (c->state == CONN_FREE)
			continue;
		if (c->deadline_ns > now_ns) {
			next = !next || c->deadline_ns < next ? c->deadline_ns : next;
			continue;
		}
		AGENT_COUNT(a, control_timeouts, 1);
		if (c->state == CONN_READING) {
			pr_debug("control: a client sent no request within %u ms: dropped\n",
				 CONTROL_REQUEST_MS);
			conn_close(a, c);
			continue;
		}
		agent_reply_error(&r,
				  "%s: not done within %u s (the agent's %s thread is busy); it "
				  "may still take effect",
				  c->what, CONTROL_JOB_MS / 1000,
				  strncmp(c->what, "flow", 4) ? "intake" : "events");
		conn_answer(a, c, &r);
	}
	return next;
}
