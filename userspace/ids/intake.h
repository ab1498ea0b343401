/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Report intake: one datagram from a backend in, its records applied to
 * the ID registry if and only if the whole datagram is acceptable
 * (docs/report-protocol.md, "What the agent refuses"): structure, known
 * backend, MAC with that backend's key, known VIP, a version the agent
 * takes, a timestamp within the window around the agent's clock, an
 * incarnation not older than the live one, a sequence newer than the last
 * one of the incarnation. Every datagram is counted under exactly one
 * reason. No socket and no clock here: the agent reads them and passes the
 * time, tests build datagrams with the encoder and pick the time.
 */
#ifndef QS_INTAKE_H
#define QS_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cidreg.h"
#include "sync.h"
#include "quicsteer/report.h"

/* Version-1 incarnations a backend replaced that are still refused as stale. */
#define QS_INTAKE_OLD_INCARNATIONS QS_REPORTER_OLD_INCARNATIONS

/* How far a datagram's timestamp may be from the agent's clock, by default. */
#define QS_INTAKE_DEFAULT_WINDOW_NS 30000000000ull

/* Where a backend's reports stand changed: the agent keeps it in a pin. */
typedef void (*qs_intake_store_fn)(void *ctx, __u32 backend_id,
				   const struct qs_reporter_state *state);

/* The backend's report key; -ENOENT if the backend is not configured. */
typedef int (*qs_intake_key_fn)(void *ctx, __u32 backend_id, const __u8 **key);
/* The vip_id of a VIP endpoint the backend serves; -ENOENT if none. */
typedef int (*qs_intake_vip_fn)(void *ctx, __u32 backend_id, const struct qs_report_endpoint *vip,
				__u32 *vip_id);

/*
 * A handshake the backend reported on a VIP it serves (vip_id), with the
 * client's address and port, applied with the rest of its datagram.
 */
typedef void (*qs_intake_handshake_fn)(void *ctx, __u32 backend_id, __u32 vip_id,
				       const struct qs_report_endpoint *client);

struct qs_intake_backend {
	__u64 last_seen_ns; /* last accepted datagram: heartbeats and all */
	__u64 incarnation;
	__u64 sequence;
	__u8 version; /* the incarnation's protocol version */
	int drain_requested; /* until the next incarnation */
	__u64 handshakes;
	struct qs_sync_marks sync; /* since the agent started (sync.h) */
};

struct qs_intake;

struct qs_intake *qs_intake_new(struct qs_cidreg *reg, qs_intake_key_fn key, qs_intake_vip_fn vip,
				void *ctx);
void qs_intake_free(struct qs_intake *in);

void qs_intake_set_store(struct qs_intake *in, qs_intake_store_fn store);
void qs_intake_set_handshake(struct qs_intake *in, qs_intake_handshake_fn handshake);
/*
 * The agent's freshness settings (report-window, report-accept-v1):
 * window_ns > 0, QS_INTAKE_DEFAULT_WINDOW_NS and no version 1 until set.
 */
void qs_intake_set_freshness(struct qs_intake *in, __u64 window_ns, bool accept_v1);
/*
 * Where a backend's reports stood before an agent restart: its next
 * datagram must be newer, and replaced incarnations stay refused. IDs it
 * registered are adopted separately (qs_cidreg_adopt). The backend counts
 * as heard from at now_ns: the pin keeps no time, and a restarted agent
 * must give every backend a whole heartbeat timeout before it calls it
 * down, as it does one it has never heard from.
 */
void qs_intake_restore(struct qs_intake *in, __u32 backend_id,
		       const struct qs_reporter_state *state, __u64 now_ns);
/*
 * A backend removed from the configuration: where its reports stood is
 * forgotten (and stored as never reported), so that one added again with
 * the same id starts afresh, as on an agent that never heard of it.
 */
void qs_intake_forget(struct qs_intake *in, __u32 backend_id);

/*
 * Returns QS_REPORT_OK or the reason the datagram was refused. now_ns is
 * the monotonic time that last_seen_ns keeps; wall_ns the wall clock
 * (CLOCK_REALTIME, ns since the epoch) that timestamps are checked against.
 */
int qs_intake_datagram(struct qs_intake *in, const void *buf, size_t len, __u64 now_ns,
		       __u64 wall_ns);

/* Datagrams counted per enum qs_report_reason. */
__u64 qs_intake_count(const struct qs_intake *in, int reason);
/* IDs the accepted datagrams carried (issued, retired, in snapshots). */
__u64 qs_intake_ids(const struct qs_intake *in);
/* NULL if nothing was ever accepted from it. */
const struct qs_intake_backend *qs_intake_backend(const struct qs_intake *in, __u32 backend_id);

#endif /* QS_INTAKE_H */
