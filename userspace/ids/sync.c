// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "sync.h"

enum qs_sync_backend qs_sync_backend(const struct qs_sync_marks *m)
{
	if (m->restored)
		return QS_SYNC_RESTORED;
	if (!m->heard)
		return QS_SYNC_UNHEARD;
	if (!m->vips_snapshot || (m->vips_named & ~m->vips_snapshot))
		return QS_SYNC_WAITING;
	return QS_SYNC_SNAPSHOT;
}

enum qs_sync_verdict qs_sync_judge(const struct qs_sync_counts *c, __u64 since_start_ns,
				   __u64 heartbeat_timeout_ns, __u64 sync_timeout_ns)
{
	if (!c->waiting && (!c->unheard || c->restored || since_start_ns >= heartbeat_timeout_ns))
		return QS_SYNC_BACKENDS;
	if (since_start_ns >= sync_timeout_ns)
		return QS_SYNC_TIMEOUT;
	return c->waiting ? QS_SYNC_NO_SNAPSHOT : QS_SYNC_NOT_HEARD;
}

const char *qs_sync_verdict_name(enum qs_sync_verdict v)
{
	switch (v) {
	case QS_SYNC_NO_SNAPSHOT:
		return "no_snapshot";
	case QS_SYNC_NOT_HEARD:
		return "not_heard";
	case QS_SYNC_BACKENDS:
		return "backends";
	case QS_SYNC_TIMEOUT:
		return "sync_timeout";
	}
	return "unknown";
}
