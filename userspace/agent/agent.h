/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* quicsteerd: the state one agent process holds, shared by its parts. */
#ifndef QS_AGENT_H
#define QS_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include "apply.h"
#include "attach.h"
#include "cidreg.h"
#include "config.h"
#include "expiry.h"
#include "httpd.h"
#include "intake.h"
#include "netlink.h"

#define QS_AGENT_MAX_SOCKETS QS_CONFIG_MAX_LISTENERS

struct ring_buffer;
struct json_object;
struct agent_monitor;

struct agent_counters {
	__u64 reloads, reloads_failed;
	__u64 events; /* ring-buffer records read */
	__u64 backends_down, backends_up; /* heartbeat transitions */
	__u64 resolves_failed;
};

struct agent {
	const char *config_path;
	bool adopt; /* use a router attached by ip or xdp-loader: do not attach */
	struct qs_config *cfg;
	__u32 configured_state[QS_MAX_BACKENDS]; /* before heartbeat and drain overrides */
	bool hb_down[QS_MAX_BACKENDS];
	struct qs_l2 last_l2[QS_MAX_BACKENDS]; /* last successful resolution */
	__u8 keys[QS_MAX_BACKENDS][QS_REPORT_KEY_LEN];
	bool has_key[QS_MAX_BACKENDS];

	struct qs_router router;
	struct qs_agent_maps maps;
	struct qs_maglev_rows rows;
	struct qs_cidreg *cidreg;
	struct qs_intake *intake;
	struct qs_expiry *expiry;
	struct ring_buffer *ring;
	struct qs_nl *nl;
	struct qs_nl_monitor *nl_mon;
	struct qs_httpd *httpd;
	int report_fds[QS_AGENT_MAX_SOCKETS];
	int n_report_fds;
	int control_fd;
	int epoll_fd; /* the main loop's: monitor subscribers join it */
	int cids_fd, flows_fd;
	/*
	 * The interface statements of the file as read at start: a reload
	 * from the file must have the same (they take a restart), while the
	 * running configuration also has what attach and detach changed.
	 */
	struct qs_config_interface *file_ifaces;
	size_t n_file_ifaces;
	struct agent_monitor *monitor;

	/* taken by the main loop around every change, by the metrics thread to read */
	pthread_mutex_t lock;
	struct agent_counters counters;
	struct qs_apply_stats apply_stats;
};

/* reports.c */
int agent_keys_load(struct agent *a, const struct qs_config *cfg);
int agent_reports_open(struct agent *a);
void agent_reports_close(struct agent *a);
void agent_reports_read(struct agent *a, int fd);
struct qs_intake *agent_intake_new(struct agent *a);

/* neigh.c */
int agent_l2(void *ctx, const struct qs_config *cfg, const struct qs_config_backend *be,
	     struct qs_l2 *out);
void agent_neigh_changes(struct agent *a);

/* state.c */
int agent_apply(struct agent *a, const struct qs_config *prev);
int agent_config_install(struct agent *a, struct qs_config *next, struct qs_config_error *cerr);
int agent_reload(struct agent *a);
void agent_tick(struct agent *a, __u64 now_ns, bool sweep);
int agent_ring_open(struct agent *a);
int agent_metrics(void *ctx, FILE *out);

/* control.c: a command's answer, its result members or its error */
#define AGENT_REPLY_ERROR_MAX 700
struct agent_reply {
	struct json_object *o; /* the result members; NULL: none */
	char error[AGENT_REPLY_ERROR_MAX]; /* "": ok */
	int keep_fd; /* set by monitor: the connection stays open */
};
void agent_reply_error(struct agent_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int agent_control_open(struct agent *a);
void agent_control_serve(struct agent *a);

/* A control command: the words after OBJECT [VERB]. */
typedef void (*agent_command_fn)(struct agent *a, const char *object, char **args, int n,
				 struct agent_reply *r);

/* tables.c: the ID and address tables, through the registry */
void agent_cid_add(struct agent *a, const char *object, char **args, int n, struct agent_reply *r);
void agent_cid_del(struct agent *a, const char *object, char **args, int n, struct agent_reply *r);
void agent_cid_flush(struct agent *a, const char *object, char **args, int n,
		     struct agent_reply *r);
void agent_flow_flush(struct agent *a, const char *object, char **args, int n,
		      struct agent_reply *r);
/* The operator's entries of a VIP or backend the configuration lost go. */
void agent_tables_forget(struct agent *a, const struct qs_config *prev,
			 const struct qs_config *next);

/* ifaces.c: attach and detach at run time */
void agent_attach(struct agent *a, const char *object, char **args, int n, struct agent_reply *r);
void agent_detach(struct agent *a, const char *object, char **args, int n, struct agent_reply *r);
int agent_file_ifaces_take(struct agent *a, const struct qs_config *file);
int agent_file_ifaces_check(struct agent *a, struct qs_config *file, struct qs_config_error *cerr);

/* monitor.c: subscribers to events and report intake */
struct qs_event;
struct qs_report_header;
void agent_monitor_subscribe(struct agent *a, int fd, struct agent_reply *r);
bool agent_monitor_owns(struct agent *a, int fd);
void agent_monitor_readable(struct agent *a, int fd);
bool agent_monitor_active(const struct agent *a);
int agent_monitor_count(const struct agent *a);
void agent_monitor_event(struct agent *a, const struct qs_event *ev);
void agent_monitor_report(struct agent *a, const void *buf, size_t len, int reason);
void agent_monitor_close(struct agent *a);

#endif /* QS_AGENT_H */
