/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * quicsteerd: the state one agent process holds, and which thread owns
 * each part (docs/agent-threads.md).
 * - The main thread: the configuration and every map it writes (VIPs,
 *   backends, next hops, Maglev, QUIC-LB, server IDs, tx ports), signals,
 *   the control socket, neighbour changes, heartbeats.
 * - The intake thread (reports.c): the report sockets, report intake, the
 *   ID registry and the sweep of learned IDs: the one writer of qs_cidtab's
 *   slots, qs_learned (besides the data path) and qs_reporters_v2.
 * - The events thread (events.c): the ring buffer, monitor subscribers,
 *   and the address table's sweep and flush: the one writer of qs_flows.
 * - libmicrohttpd's thread: metrics, from the view and published counters.
 * Threads share nothing mutable but what this header marks: the view (an
 * immutable copy of what the configuration says, swapped whole), counters
 * published under a lock, per-backend atomics, and job queues.
 */
#ifndef QS_AGENT_H
#define QS_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include "router/apply.h"
#include "router/attach.h"
#include "ids/cidreg.h"
#include "config/config.h"
#include "cids.h"
#include "sweep.h"
#include "httpd.h"
#include "ids/intake.h"
#include "netlink.h"
#include "queue.h"
#include "router/tableargs.h"

#define QS_AGENT_MAX_SOCKETS QS_CONFIG_MAX_LISTENERS

struct json_object;
struct agent;
struct agent_intake;
struct agent_events;
struct agent_conns;

/*
 * What the intake and events threads and the metrics need of the
 * configuration, copied when it is installed and never changed: a thread
 * holds a reference to the one it uses while it uses it.
 */
struct agent_view_vip {
	bool configured;
	bool entry_at_handshake; /* address-entry handshake */
	__u8 family;
	__be16 port;
	struct qs_addr addr;
	char name[QS_CONFIG_NAME_MAX];
};

struct agent_view_backend {
	bool configured, has_key;
	__u32 vips; /* bit v: serves the VIP of id v */
	__u32 max_ids; /* its quota of reported IDs (max-ids, else backend-max-ids) */
	__u8 key[QS_REPORT_KEY_LEN];
	char name[QS_CONFIG_NAME_MAX];
};

struct agent_view {
	atomic_int refs;
	__u64 gen; /* 1, 2, ...: a newer view has a higher one */
	__u64 learned_ttl_ns, flow_idle_ns;
	__u64 report_window_ns;
	bool report_accept_v1;
	struct agent_view_vip vips[QS_MAX_VIPS]; /* by id */
	__u32 vip_order[QS_MAX_VIPS]; /* ids in configuration order */
	size_t n_vips;
	struct agent_view_backend backends[QS_MAX_BACKENDS]; /* by id */
	__u32 backend_order[QS_MAX_BACKENDS]; /* ids in configuration order */
	size_t n_backends;
};

/* view.c */
struct agent_view *agent_view_build(const struct qs_config *cfg,
				    const __u8 (*keys)[QS_REPORT_KEY_LEN], const bool *has_key,
				    __u64 gen);
struct agent_view *agent_view_get(struct agent *a);
void agent_view_put(struct agent_view *v);
/* v becomes the current view (the caller's reference goes to the agent). */
void agent_view_publish(struct agent *a, struct agent_view *v);
const char *agent_view_vip_name(const struct agent_view *v, __u32 id);
const char *agent_view_backend_name(const struct agent_view *v, __u32 id);

/* A command's answer, its result members or its error. */
#define AGENT_REPLY_ERROR_MAX 700
struct agent_reply {
	struct json_object *o; /* the result members; NULL: none */
	char error[AGENT_REPLY_ERROR_MAX]; /* "": ok */
};
void agent_reply_error(struct agent_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Work the main thread hands to the intake or events thread, and gets
 * back when done: its answer goes to the control connection that asked
 * (conn_id), if that connection still waits.
 */
enum agent_job_kind {
	AGENT_JOB_VIEW, /* intake: a new view, and what the configuration lost */
	AGENT_JOB_CID_ADD, /* intake: the operator's entry */
	AGENT_JOB_CID_DEL,
	AGENT_JOB_CID_FLUSH,
	AGENT_JOB_FLOW_FLUSH, /* events */
	AGENT_JOB_SUBSCRIBE, /* events: a monitor connection, fd and all */
};

struct agent_job_view {
	struct agent_view *view; /* the intake takes this reference */
	__u32 *gone_backends, *gone_vips; /* ids no longer configured */
	size_t n_gone_backends, n_gone_vips;
};

struct agent_job_cid {
	__u32 vip_id, backend_id;
	__u8 cid[QS_CID_MAX_LEN];
	__u8 len;
	char hex[2 * QS_CID_MAX_LEN + 1];
};

struct agent_job {
	enum agent_job_kind kind;
	__u64 conn_id; /* 0: nobody waits for the answer */
	struct agent_reply reply;
	struct agent_job *next; /* in a queue, or in the worker's list while it runs */
	void *work; /* the worker's state while the job runs over several turns */
	union {
		struct agent_job_view view;
		struct agent_job_cid cid;
		struct qs_table_filter filter; /* the flushes */
		int fd; /* subscribe */
	};
};

struct agent_job *agent_job_new(enum agent_job_kind kind);
void agent_job_free(struct agent_job *job);

struct agent_counters {
	__u64 reloads, reloads_failed;
	__u64 backends_down, backends_up; /* heartbeat transitions */
	__u64 resolves_failed;
	__u64 control_requests, control_timeouts, control_refused;
	__u64 slots_written; /* Maglev slots, by configuration changes */
};

struct agent {
	/* the main thread's */
	const char *config_path;
	bool adopt; /* use a router attached by ip or xdp-loader: do not attach */
	struct qs_config *cfg;
	__u32 configured_state[QS_MAX_BACKENDS]; /* before heartbeat and drain overrides */
	bool hb_down[QS_MAX_BACKENDS];
	struct qs_l2 last_l2[QS_MAX_BACKENDS]; /* last successful resolution */
	bool no_nexthop[QS_MAX_BACKENDS]; /* its qs_nexthops entry is not usable now */
	__u8 keys[QS_MAX_BACKENDS][QS_REPORT_KEY_LEN];
	bool has_key[QS_MAX_BACKENDS];
	struct qs_router router;
	struct qs_agent_maps maps;
	struct qs_maglev_rows rows;
	struct qs_apply_stats apply_stats;
	struct qs_nl *nl;
	struct qs_nl_monitor *nl_mon;
	struct qs_httpd *httpd;
	int control_fd;
	int epoll_fd;
	struct agent_conns *conns;
	/*
	 * The interface statements of the file as read at start: a reload
	 * from the file must have the same (they take a restart), while the
	 * running configuration also has what attach and detach changed.
	 */
	struct qs_config_interface *file_ifaces;
	size_t n_file_ifaces;
	__u64 view_gen;
	__u64 started_ns; /* when the intake began to hear reports (monotonic) */
	__u64 synced_ns; /* when it became synced (sync.c); 0: not yet */
	enum qs_sync_verdict synced_by;

	/* shared: each under its own lock or atomic */
	pthread_mutex_t view_lock;
	struct agent_view *view;
	_Atomic __u64 view_published; /* the current view's gen */
	pthread_mutex_t counters_lock;
	struct agent_counters counters;
	struct agent_jobq done; /* jobs the workers finished, for the main thread */
	atomic_int monitor_subscribers;
	atomic_bool synced; /* synced_ns set, for the metrics */

	/* the threads' own state (reports.c, events.c) */
	struct agent_intake *intake;
	struct agent_events *events;
};

/* Adds to a main-thread counter (others read them under the lock). */
#define AGENT_COUNT(a, field, n)                           \
	do {                                               \
		pthread_mutex_lock(&(a)->counters_lock);   \
		(a)->counters.field += (n);                \
		pthread_mutex_unlock(&(a)->counters_lock); \
	} while (0)

/* reports.c: the intake thread */
#define AGENT_TURN_BUCKETS 8
extern const __u64 agent_turn_bounds_ns[AGENT_TURN_BUCKETS]; /* the last: no bound */
struct agent_intake_stats {
	__u64 counts[QS_REPORT_NR_REASONS]; /* datagrams by verdict */
	__u64 ids; /* IDs in accepted datagrams */
	struct qs_cidreg_stats reg;
	struct agent_sweep_stats learned; /* the sweep of qs_learned */
	__u64 registry_bytes; /* the registry's memory (qs_cidreg_memory) */
	__u64 legacy_ids; /* entries qs_cids held at start: nothing writes it since */
	__u64 turns; /* loop turns: the thread is alive */
	/* how long a turn's work took: what a report may wait behind */
	__u64 turn_le[AGENT_TURN_BUCKETS]; /* turns that took at most agent_turn_bounds_ns[i] */
	__u64 turn_sum_ns, turn_max_ns;
};
/*
 * Every backend's key of cfg, or none: 0, or -EINVAL with cerr naming the
 * backend, its key file and what is wrong with it (the file's line of
 * the backend).
 */
/*
 * Reads every key file of cfg, backends' report keys into the agent and
 * QUIC-LB configurations' keys into cfg, all or nothing: 0, or -EINVAL
 * with cerr naming the file and what is wrong with it.
 */
int agent_keys_load(struct agent *a, struct qs_config *cfg, struct qs_config_error *cerr);
/* Registry and intake from the pins (a restart), sockets opened: not running yet. */
int agent_intake_open(struct agent *a);
int agent_intake_start(struct agent *a);
void agent_intake_stop(struct agent *a);
void agent_intake_post(struct agent *a, struct agent_job *job);
void agent_intake_stats(struct agent *a, struct agent_intake_stats *out);
/* What the heartbeat check needs: 0 if nothing was ever accepted from it. */
__u64 agent_intake_last_seen(struct agent *a, __u32 backend_id);
bool agent_intake_drain_requested(struct agent *a, __u32 backend_id);
/* Where a backend stands in the agent's sync, as its last accepted datagram left it. */
enum qs_sync_backend agent_intake_sync(struct agent *a, __u32 backend_id);
/*
 * A configured backend's IDs in qs_cidtab (pending deletion included: what
 * its max-ids counts) and its IDs refused past it, as the intake thread
 * last published them (the registry's stats changed, or the view).
 */
void agent_intake_backend_ids(struct agent *a, __u32 backend_id, __u32 *ids, __u64 *over_quota);
/* reports.c, for events.c: a copy of a report datagram for the monitors */
struct agent_report_notice {
	__u64 wall_ns; /* the clock its timestamp was judged by */
	__u16 len;
	__u8 reason;
	__u8 buf[QS_REPORT_MAX_DGRAM];
};

/* events.c: the events thread */
struct agent_events_stats {
	__u64 events; /* ring-buffer records read */
	__u64 turns_full; /* turns that stopped at the per-turn bound */
	struct agent_sweep_stats flows, flows_new; /* qs_flows_v2, qs_flows_new */
	__u64 notices_lost; /* report notices the monitors missed */
	/* address entries from handshake reports (address-entry handshake) */
	__u64 entries_written; /* into qs_flows_v2 */
	__u64 entries_present; /* the address had an entry already: left as it was */
	/* the backend's max-ids per flow-idle, the queue to the events thread, or the write */
	__u64 entries_lost;
};
int agent_events_open(struct agent *a);
int agent_events_start(struct agent *a);
void agent_events_stop(struct agent *a);
void agent_events_post(struct agent *a, struct agent_job *job);
void agent_events_stats(struct agent *a, struct agent_events_stats *out);
/*
 * From the intake thread: a handshake a backend reported on a VIP whose
 * address entries come from handshake reports; the events thread writes
 * the entry.
 */
void agent_events_entry(struct agent *a, __u32 vip_id, __u32 backend_id,
			const struct qs_report_endpoint *client);
/* ... and one refused there: the backend wrote its max-ids this flow-idle. */
void agent_events_entry_refused(struct agent *a);
/* From the intake thread: a report datagram, while anyone monitors. */
void agent_events_report(struct agent *a, const void *buf, size_t len, int reason, __u64 wall_ns);

/* monitor.c: subscribers, on the events thread */
struct agent_monitor;
struct qs_event;
struct agent_monitor *agent_monitor_new(void);
void agent_monitor_free(struct agent_monitor *m);
/* Sends the subscription's answer; 0, or the fd was refused (answered and closed). */
int agent_monitor_subscribe(struct agent_monitor *m, int epoll_fd, int fd);
/* A readable fd of the events thread that is not its own: a subscriber, leaving. */
void agent_monitor_readable(struct agent_monitor *m, int epoll_fd, int fd);
int agent_monitor_count(const struct agent_monitor *m);
void agent_monitor_event(struct agent_monitor *m, int epoll_fd, const struct agent_view *v,
			 const struct qs_event *ev);
void agent_monitor_report(struct agent_monitor *m, int epoll_fd, const struct agent_view *v,
			  const struct agent_report_notice *n);
void agent_monitor_lost(struct agent_monitor *m, __u64 n);

/* neigh.c */
int agent_l2(void *ctx, const struct qs_config *cfg, const struct qs_config_backend *be,
	     struct qs_l2 *out);
void agent_neigh_changes(struct agent *a);

/* state.c */
int agent_apply(struct agent *a, const struct qs_config *prev);
/*
 * next becomes the running configuration, whole or not at all; *view_job
 * (to post, answered when the intake thread has taken it) carries the new
 * view and what the configuration lost.
 */
int agent_config_install(struct agent *a, struct qs_config *next, struct qs_config_error *cerr,
			 struct agent_job **view_job);
/* The file again (SIGHUP, `reload`); *view_job as above. */
int agent_reload(struct agent *a, struct agent_job **view_job);
/* The first view, of the configuration the agent starts with. */
int agent_view_start(struct agent *a);
/* Hands a job to the thread that runs its kind. */
void agent_post(struct agent *a, struct agent_job *job);
void agent_tick(struct agent *a, __u64 now_ns);

/* sync.c: whether the agent holds its backends' reported IDs yet */
/* Judges and latches, until synced (the tick's). */
void agent_sync_check(struct agent *a, __u64 now_ns);
/*
 * status's "sync" object (docs/control-protocol.md), judged now; *synced:
 * the agent is synced.
 */
struct json_object *agent_sync_json(struct agent *a, __u64 now_ns, bool *synced);
int agent_metrics(void *ctx, FILE *out);

/* control.c: the control socket, served by the main thread */
int agent_control_open(struct agent *a);
/*
 * Binds the unix socket fd to path, a file of exactly mode (the umask
 * never widens it, not even for a moment) and of group gid ((gid_t)-1:
 * the agent's); a previous socket at path goes first. 0 or -errno.
 */
int agent_unix_bind(int fd, const char *path, mode_t mode, gid_t gid);
void agent_control_close(struct agent *a);
/* Every control fd the main loop's epoll reported; ctl is one of them. */
bool agent_control_owns(struct agent *a, int fd);
void agent_control_ready(struct agent *a, int fd, __u32 events);
/*
 * 0 when every row of the table of commands the agent serves has its
 * handler (and no other row has one), else -ENOENT and err says which.
 */
int agent_commands_check(char *err, size_t size);
/* Connections past their deadline are answered and closed; the next deadline (ns) or 0. */
__u64 agent_control_expire(struct agent *a, __u64 now_ns);
/* A job came back: its answer goes to its connection. */
void agent_control_done(struct agent *a, struct agent_job *job);

/* A control command: the words after OBJECT [VERB]. A handler that hands
 * work to another thread returns the job (the answer comes when it is done). */
typedef struct agent_job *(*agent_command_fn)(struct agent *a, const char *object, char **args,
					      int n, struct agent_reply *r);

/* edits.c: configuration changes through the control socket */
struct agent_job *agent_edit_add(struct agent *a, const char *object, char **args, int n,
				 struct agent_reply *r);
struct agent_job *agent_edit_del(struct agent *a, const char *object, char **args, int n,
				 struct agent_reply *r);
struct agent_job *agent_edit_set(struct agent *a, const char *object, char **args, int n,
				 struct agent_reply *r);
struct agent_job *agent_backend_drain(struct agent *a, const char *object, char **args, int n,
				      struct agent_reply *r);
struct agent_job *agent_backend_undrain(struct agent *a, const char *object, char **args, int n,
					struct agent_reply *r);
struct agent_job *agent_vip_set(struct agent *a, const char *object, char **args, int n,
				struct agent_reply *r);
struct agent_job *agent_quiclb_del(struct agent *a, const char *object, char **args, int n,
				   struct agent_reply *r);
struct agent_job *agent_config_show(struct agent *a, const char *object, char **args, int n,
				    struct agent_reply *r);
struct agent_job *agent_reload_file(struct agent *a, const char *object, char **args, int n,
				    struct agent_reply *r);

/* tables.c: the ID and address tables */
struct agent_job *agent_cid_add(struct agent *a, const char *object, char **args, int n,
				struct agent_reply *r);
struct agent_job *agent_cid_del(struct agent *a, const char *object, char **args, int n,
				struct agent_reply *r);
struct agent_job *agent_cid_flush(struct agent *a, const char *object, char **args, int n,
				  struct agent_reply *r);
struct agent_job *agent_flow_flush(struct agent *a, const char *object, char **args, int n,
				   struct agent_reply *r);
/* On the intake thread: cid add and del, run against its registry. */
void agent_cid_job_run(struct qs_cidreg *reg, struct agent_cids *cids, struct agent_job *job);
/*
 * cid flush on the intake thread, flow flush on the events thread: start
 * does what needs no walk and returns true if the job must go on (a walk
 * of the table, or a cid flush's removals still on their way to the map);
 * step does one chunk and returns true when the job is done (its answer
 * written); abandon ends a job that will not finish.
 */
bool agent_cid_flush_start(struct qs_cidreg *reg, struct agent_cids *cids, struct agent_job *job);
bool agent_cid_flush_step(struct agent_job *job);
void agent_cid_flush_abandon(struct agent_job *job);
/* Both address tables: established (flows_fd), then new (flows_new_fd). */
bool agent_flow_flush_start(int flows_fd, int flows_new_fd, struct agent_job *job);
/*
 * One step of every flush on a thread's running list; the ones done go to
 * the main thread. True while any runs. Abandon: the thread stops.
 */
bool agent_flushes_step(struct agent *a, struct agent_job **running);
void agent_flushes_abandon(struct agent *a, struct agent_job **running);

/* ifaces.c: attach and detach at run time */
struct agent_job *agent_attach(struct agent *a, const char *object, char **args, int n,
			       struct agent_reply *r);
struct agent_job *agent_detach(struct agent *a, const char *object, char **args, int n,
			       struct agent_reply *r);
int agent_file_ifaces_take(struct agent *a, const struct qs_config *file);
int agent_file_ifaces_check(struct agent *a, struct qs_config *file, struct qs_config_error *cerr);

#endif /* QS_AGENT_H */
