/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What `status` reports about the router, built the same way by the agent
 * (from its own map and program fds) and by the CLI (from the pins and the
 * kernel): each table's size and occupancy, where the router is attached,
 * and which program it is. JSON objects with stable field names
 * (docs/control-protocol.md, "status").
 */
#ifndef QS_STATUS_H
#define QS_STATUS_H

#include <stddef.h>
#include <linux/types.h>

struct json_object;

/* The router's tables, in the order status lists them. */
extern const char *const qs_status_tables[];
extern const size_t qs_status_n_tables;

/*
 * One table's use: max_entries from the kernel, and entries counted: keys
 * of a hash table, slots not all zero of an array, both read in batches.
 * -1 when not counted (per-CPU counters, the ring buffer: always full or
 * not a table).
 */
struct qs_table_use {
	__u32 type; /* enum bpf_map_type */
	__u32 max_entries;
	long long entries;
};
int qs_table_use(int fd, struct qs_table_use *u);

/*
 * [{"name", "type", "max_entries", "entries"}, ...] for every table of
 * qs_status_tables whose fd fd_of gives (a negative fd: left out).
 * count_of (may be NULL) gives the entries of a table its caller keeps
 * count of, or -1 to have them counted here by reading the map in
 * batches: the agent counts its large tables itself, so that a status
 * never costs a walk of a 2M-entry table.
 */
typedef int (*qs_table_fd_fn)(void *ctx, const char *name);
typedef long long (*qs_table_count_fn)(void *ctx, const char *name);
struct json_object *qs_status_tables_json(qs_table_fd_fn fd_of, qs_table_count_fn count_of,
					  void *ctx);

/*
 * [{"interface", "mode", "prog_id", "dispatcher"}, ...]: every interface
 * the kernel shows the router attached to, directly or under libxdp's
 * dispatcher.
 */
struct json_object *qs_status_attachments_json(void);

/*
 * The id of the router's program on ifname as the kernel shows it now,
 * directly or under libxdp's dispatcher; 0 if it is not there (or there
 * is no such interface).
 */
__u32 qs_status_router_on(const char *ifname);

/* {"id", "name", "tag"} of a program; NULL if it cannot be read. */
struct json_object *qs_status_program_json(int prog_fd);

#endif /* QS_STATUS_H */
