// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Whether this agent holds its backends' reported IDs yet (ids/sync.h,
 * docs/report-protocol.md "Synced"), on the main thread: each configured
 * backend's standing as the intake thread published it, counted and
 * judged. A walk of the configured backends, never of a table; once
 * synced, the agent stays synced until it exits.
 */
#include <json-c/json.h>
#include "agent.h"
#include "util/log.h"

#define NS_PER_MS 1000000ull

/* How long a live backend may take to be heard: heartbeat-timeout, its default when off. */
static __u64 heard_within_ns(const struct qs_config *cfg)
{
	__u64 ms = cfg->heartbeat_timeout_ms ?: QS_CONFIG_DEFAULT_HEARTBEAT_MS;

	return ms * NS_PER_MS;
}

/*
 * The backends that count (not configured down, not down for want of
 * heartbeats: nothing is routed to them) by where they stand; the names
 * of those not synced go to waiting and unheard when given.
 */
static void sync_count(struct agent *a, struct qs_sync_counts *c, json_object *waiting,
		       json_object *unheard)
{
	*c = (struct qs_sync_counts){ 0 };
	for (size_t i = 0; i < a->cfg->n_backends; i++) {
		const struct qs_config_backend *be = &a->cfg->backends[i];

		if (a->configured_state[be->id] == QS_BACKEND_DOWN || a->hb_down[be->id])
			continue;
		switch (agent_intake_sync(a, be->id)) {
		case QS_SYNC_UNHEARD:
			c->unheard++;
			if (unheard)
				json_object_array_add(unheard, json_object_new_string(be->name));
			break;
		case QS_SYNC_WAITING:
			c->waiting++;
			if (waiting)
				json_object_array_add(waiting, json_object_new_string(be->name));
			break;
		case QS_SYNC_RESTORED:
			c->restored++;
			c->synced++;
			break;
		default:
			c->synced++;
			break;
		}
	}
}

static __u64 since_start(const struct agent *a, __u64 now)
{
	return now > a->started_ns ? now - a->started_ns : 0;
}

static enum qs_sync_verdict sync_judge(struct agent *a, __u64 now, json_object *waiting,
				       json_object *unheard)
{
	__u64 since = since_start(a, now);
	struct qs_sync_counts c;
	enum qs_sync_verdict v;

	sync_count(a, &c, waiting, unheard);
	v = qs_sync_judge(&c, since, heard_within_ns(a->cfg), a->cfg->sync_timeout_ms * NS_PER_MS);
	if (a->synced_ns || !qs_sync_verdict_synced(v))
		return v;
	a->synced_ns = now > a->started_ns ? now : a->started_ns + 1;
	a->synced_by = v;
	atomic_store(&a->synced, true);
	if (v == QS_SYNC_TIMEOUT)
		pr_warn("synced by sync-timeout, %llu ms after start: %u backends still without "
			"a snapshot since, %u not heard from\n",
			(unsigned long long)(since / NS_PER_MS), c.waiting, c.unheard);
	else
		pr_info("synced %llu ms after start: %u backends' IDs in (snapshots or pins), "
			"%u not heard from\n",
			(unsigned long long)(since / NS_PER_MS), c.synced, c.unheard);
	return v;
}

void agent_sync_check(struct agent *a, __u64 now_ns)
{
	if (!a->synced_ns)
		sync_judge(a, now_ns, NULL, NULL);
}

static void add_ms(json_object *o, const char *k, __u64 ns)
{
	json_object_object_add(o, k, json_object_new_int64(ns / NS_PER_MS));
}

json_object *agent_sync_json(struct agent *a, __u64 now_ns, bool *synced)
{
	json_object *o = json_object_new_object(), *waiting = json_object_new_array(),
		    *unheard = json_object_new_array();
	enum qs_sync_verdict v = sync_judge(a, now_ns, waiting, unheard);

	*synced = a->synced_ns != 0;
	add_ms(o, "since_start_ms", since_start(a, now_ns));
	if (*synced) {
		add_ms(o, "synced_after_ms", a->synced_ns - a->started_ns);
		json_object_object_add(o, "by",
				       json_object_new_string(qs_sync_verdict_name(a->synced_by)));
	} else {
		json_object_object_add(o, "synced_after_ms", NULL);
		json_object_object_add(o, "by", NULL);
	}
	json_object_object_add(o, "now", json_object_new_string(qs_sync_verdict_name(v)));
	json_object_object_add(o, "waiting_for", waiting);
	json_object_object_add(o, "not_heard", unheard);
	add_ms(o, "heartbeat_timeout_ms", heard_within_ns(a->cfg));
	add_ms(o, "sync_timeout_ms", a->cfg->sync_timeout_ms * NS_PER_MS);
	return o;
}
