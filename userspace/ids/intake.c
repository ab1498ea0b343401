// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "intake.h"
#include "util/log.h"

/* One snapshot in progress per (backend, VIP): in_snapshot has a bit a VIP. */
_Static_assert(QS_MAX_VIPS <= 32, "in_snapshot holds a bit per VIP");

struct backend_state {
	struct qs_intake_backend pub;
	__u32 snapshot_id[QS_MAX_VIPS]; /* each VIP's snapshot in progress */
	__u32 next_part[QS_MAX_VIPS]; /* its next part; a gap abandons it */
	__u32 in_snapshot; /* bit v: VIP v's is in progress */
	__u64 old[QS_INTAKE_OLD_INCARNATIONS]; /* replaced incarnations, newest first */
	int known; /* has an incarnation */
};

struct qs_intake {
	struct qs_cidreg *reg;
	qs_intake_key_fn key;
	qs_intake_vip_fn vip;
	qs_intake_store_fn store;
	qs_intake_handshake_fn handshake;
	void *ctx;
	__u64 window_ns;
	bool accept_v1;
	__u64 counts[QS_REPORT_NR_REASONS];
	__u64 ids;
	struct backend_state backends[QS_MAX_BACKENDS];
};

struct qs_intake *qs_intake_new(struct qs_cidreg *reg, qs_intake_key_fn key, qs_intake_vip_fn vip,
				void *ctx)
{
	struct qs_intake *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->reg = reg;
	in->key = key;
	in->vip = vip;
	in->ctx = ctx;
	in->window_ns = QS_INTAKE_DEFAULT_WINDOW_NS;
	return in;
}

void qs_intake_set_freshness(struct qs_intake *in, __u64 window_ns, bool accept_v1)
{
	in->window_ns = window_ns ? window_ns : QS_INTAKE_DEFAULT_WINDOW_NS;
	in->accept_v1 = accept_v1;
}

void qs_intake_set_store(struct qs_intake *in, qs_intake_store_fn store)
{
	in->store = store;
}

void qs_intake_set_handshake(struct qs_intake *in, qs_intake_handshake_fn handshake)
{
	in->handshake = handshake;
}

void qs_intake_restore(struct qs_intake *in, __u32 backend_id,
		       const struct qs_reporter_state *state, __u64 now_ns)
{
	struct backend_state *b;

	if (backend_id >= QS_MAX_BACKENDS || !state->incarnation)
		return;
	b = &in->backends[backend_id];
	b->pub.incarnation = state->incarnation;
	b->pub.sequence = state->sequence;
	b->pub.version = state->version == QS_REPORT_V1 ? QS_REPORT_V1 : QS_REPORT_VERSION;
	b->pub.last_seen_ns = now_ns;
	b->pub.sync.restored = true; /* the maps kept its IDs */
	memcpy(b->old, state->old, sizeof(b->old));
	b->known = 1;
	/* the adopted IDs are this incarnation's: no purge on its next datagram */
	qs_cidreg_incarnation(in->reg, backend_id, state->incarnation);
}

static void store(struct qs_intake *in, __u32 id, const struct backend_state *b)
{
	struct qs_reporter_state st = {
		.incarnation = b->pub.incarnation,
		.sequence = b->pub.sequence,
		.version = b->pub.version,
	};

	if (!in->store)
		return;
	memcpy(st.old, b->old, sizeof(st.old));
	in->store(in->ctx, id, &st);
}

void qs_intake_forget(struct qs_intake *in, __u32 backend_id)
{
	struct backend_state *b;
	struct qs_reporter_state none = { 0 };

	if (backend_id >= QS_MAX_BACKENDS || !in->backends[backend_id].known)
		return;
	b = &in->backends[backend_id];
	memset(b, 0, sizeof(*b));
	if (in->store)
		in->store(in->ctx, backend_id, &none);
}

void qs_intake_free(struct qs_intake *in)
{
	free(in);
}

static int was_replaced(const struct backend_state *b, __u64 incarnation)
{
	for (int i = 0; i < QS_INTAKE_OLD_INCARNATIONS; i++)
		if (b->old[i] == incarnation)
			return 1;
	return 0;
}

/*
 * Version 1 carries nothing that tells an old datagram from a new one, so
 * it is taken only when the agent is configured to (an upgrade of its
 * backends in progress), and never from a backend that has spoken version
 * 2: a captured version-1 datagram cannot take an upgraded backend back.
 */
static int version_check(const struct qs_intake *in, const struct backend_state *b,
			 const struct qs_report_header *h)
{
	if (h->version != QS_REPORT_V1)
		return QS_REPORT_OK;
	if (!in->accept_v1)
		return QS_REPORT_E_V1_REFUSED;
	if (b->known && b->pub.version != QS_REPORT_V1)
		return QS_REPORT_E_V1_DOWNGRADE;
	return QS_REPORT_OK;
}

/*
 * Version 2's timestamp within the window around the agent's clock, so a
 * captured datagram is worthless once the window has passed, to an agent
 * that remembers nothing too.
 */
static int freshness_check(const struct qs_intake *in, const struct qs_report_header *h, __u64 wall)
{
	__u64 latest = wall + in->window_ns < wall ? ~0ull : wall + in->window_ns;

	if (h->version == QS_REPORT_V1)
		return QS_REPORT_OK;
	if (wall > in->window_ns && h->timestamp < wall - in->window_ns)
		return QS_REPORT_E_STALE_TIMESTAMP;
	if (h->timestamp > latest)
		return QS_REPORT_E_FUTURE_TIMESTAMP;
	return QS_REPORT_OK;
}

/* Nothing accepted from the backend for longer than the window, by the agent's clock. */
static bool silent(const struct qs_intake *in, const struct backend_state *b, __u64 now)
{
	return now > b->pub.last_seen_ns && now - b->pub.last_seen_ns > in->window_ns;
}

/*
 * The incarnation and replay rules on an authenticated header. Version 2
 * incarnations are ordered: an older one is refused, whether replaced a
 * moment ago or a thousand restarts back, and whether or not this agent
 * ever saw it; so is one this agent has seen replaced. An older one is
 * taken only from a backend whose live incarnation has been silent for
 * longer than the window: a process started on a clock that stepped back
 * (a replay cannot be fresh then, unless the live process is dead). A
 * version-2 incarnation replaces a version-1 one (the backend was
 * upgraded). Version 1 keeps its list of replaced incarnations.
 */
static int sequence_check(const struct qs_intake *in, const struct backend_state *b,
			  const struct qs_report_header *h, __u64 now)
{
	if (!b->known)
		return QS_REPORT_OK;
	if (h->version == b->pub.version && h->incarnation == b->pub.incarnation)
		return h->sequence > b->pub.sequence ? QS_REPORT_OK : QS_REPORT_E_REPLAY;
	/* another incarnation; version 1 after version 2 never gets here */
	if (h->version != b->pub.version)
		return QS_REPORT_OK;
	if (was_replaced(b, h->incarnation))
		return QS_REPORT_E_STALE_INCARNATION;
	if (h->version == QS_REPORT_V1)
		return QS_REPORT_OK;
	return h->incarnation > b->pub.incarnation || silent(in, b, now) ?
		       QS_REPORT_OK :
		       QS_REPORT_E_STALE_INCARNATION;
}

static void incarnation_take(struct qs_intake *in, struct backend_state *b, __u32 id,
			     const struct qs_report_header *h)
{
	if (b->known && b->pub.version == h->version && h->incarnation < b->pub.incarnation &&
	    h->version != QS_REPORT_V1)
		pr_warn("backend %u: incarnation %016llx is older than %016llx, silent longer than "
			"the report window: taken (its clock stepped back?)\n",
			id, (unsigned long long)h->incarnation,
			(unsigned long long)b->pub.incarnation);
	if (b->known && (b->pub.incarnation != h->incarnation || b->pub.version != h->version)) {
		memmove(b->old + 1, b->old, sizeof(b->old) - sizeof(b->old[0]));
		b->old[0] = b->pub.incarnation;
		b->pub.drain_requested = 0;
		b->in_snapshot = 0;
		pr_info("backend %u: new incarnation %016llx, its previous IDs purged\n", id,
			(unsigned long long)h->incarnation);
	}
	qs_cidreg_incarnation(in->reg, id, h->incarnation);
	b->pub.incarnation = h->incarnation;
	b->pub.version = h->version;
	b->known = 1;
}

/*
 * The datagram's SNAPSHOT_PART, wherever it stands among the records: a
 * snapshot's IDs belong to it even when they come first. Parts must come
 * in order; a missing one abandons the snapshot, which then removes nothing.
 * Each VIP's snapshot is apart: the backend's others go on.
 * Returns 1 if this datagram's snapshot IDs are to be taken.
 */
static int snapshot_part(struct qs_intake *in, struct qs_report_reader rd, __u32 id, __u32 vip_id,
			 struct backend_state *b)
{
	struct qs_report_record r;
	__u32 bit;

	if (vip_id >= QS_MAX_VIPS)
		return 0; /* no VIP: no snapshot records either (the codec saw to it) */
	bit = 1u << vip_id;
	while (qs_report_next(&rd, &r) == 1) {
		if (r.type != QS_REPORT_SNAPSHOT_PART)
			continue;
		if (r.snapshot.part == 0) {
			qs_cidreg_snapshot_begin(in->reg, id, r.snapshot.snapshot_id, vip_id);
			b->in_snapshot |= bit;
		} else if (!(b->in_snapshot & bit) ||
			   r.snapshot.snapshot_id != b->snapshot_id[vip_id] ||
			   r.snapshot.part != b->next_part[vip_id]) {
			qs_cidreg_snapshot_abort(in->reg, id, vip_id);
			b->in_snapshot &= ~bit;
			return 0;
		}
		b->snapshot_id[vip_id] = r.snapshot.snapshot_id;
		b->next_part[vip_id] = r.snapshot.part + 1;
		return 1;
	}
	return 0;
}

/* Additions first, then removals, as the protocol orders them. */
static void apply_additions(struct qs_intake *in, struct qs_report_reader rd, __u32 id,
			    __u32 vip_id, struct backend_state *b)
{
	int snapshot = snapshot_part(in, rd, id, vip_id, b);
	struct qs_report_reader ahead = rd;
	struct qs_report_record r;

	/* every ID's cache lines requested first, so that their misses overlap */
	qs_cidreg_prefetch_begin(in->reg);
	while (qs_report_next(&ahead, &r) == 1)
		if ((r.type == QS_REPORT_CID_ISSUED || r.type == QS_REPORT_SNAPSHOT_CID) &&
		    r.cid_issued.cid.len)
			qs_cidreg_prefetch(in->reg, vip_id, r.cid_issued.cid.bytes,
					   r.cid_issued.cid.len);
	while (qs_report_next(&rd, &r) == 1) {
		switch (r.type) {
		case QS_REPORT_CID_ISSUED:
			if (r.cid_issued.cid.len)
				qs_cidreg_issue(in->reg, id, vip_id, r.cid_issued.cid.bytes,
						r.cid_issued.cid.len, r.cid_issued.handle);
			in->ids++;
			break;
		case QS_REPORT_SNAPSHOT_CID:
			if (snapshot && r.cid_issued.cid.len)
				qs_cidreg_snapshot_add(in->reg, id, b->snapshot_id[vip_id], vip_id,
						       r.cid_issued.cid.bytes, r.cid_issued.cid.len,
						       r.cid_issued.handle);
			in->ids++;
			break;
		case QS_REPORT_HANDSHAKE_DONE:
			b->pub.handshakes++;
			if (in->handshake && vip_id < QS_MAX_VIPS)
				in->handshake(in->ctx, id, vip_id, &r.handshake.client);
			break;
		case QS_REPORT_DRAIN:
			b->pub.drain_requested = 1;
			break;
		default:
			break;
		}
	}
}

/* The snapshot ends after this datagram's removals, which it predates. */
static void snapshot_finish(struct qs_intake *in, struct qs_report_reader rd, __u32 id,
			    __u32 vip_id, struct backend_state *b)
{
	struct qs_report_record r;

	while (vip_id < QS_MAX_VIPS && qs_report_next(&rd, &r) == 1)
		if (r.type == QS_REPORT_SNAPSHOT_PART && (b->in_snapshot & (1u << vip_id)) &&
		    (r.snapshot.flags & QS_REPORT_SNAPSHOT_FINAL)) {
			qs_cidreg_snapshot_end(in->reg, id, b->snapshot_id[vip_id], vip_id);
			b->in_snapshot &= ~(1u << vip_id);
			b->pub.sync.vips_snapshot |= 1u << vip_id;
		}
}

static void apply_removals(struct qs_intake *in, struct qs_report_reader rd, __u32 id, __u32 vip_id)
{
	struct qs_report_record r;

	while (qs_report_next(&rd, &r) == 1) {
		if (r.type == QS_REPORT_CID_RETIRED && r.cid_retired.cid.len) {
			qs_cidreg_retire(in->reg, id, vip_id, r.cid_retired.cid.bytes,
					 r.cid_retired.cid.len);
			in->ids++;
		} else if (r.type == QS_REPORT_CONN_CLOSED) {
			qs_cidreg_close(in->reg, id, r.closed.handle);
		}
	}
}

static int accept_datagram(struct qs_intake *in, const void *buf, size_t len, __u64 now, __u64 wall)
{
	struct qs_report_header h;
	struct qs_report_reader rd;
	struct backend_state *b;
	const __u8 *key;
	__u32 vip_id = QS_MAX_VIPS;
	int reason = qs_report_check(buf, len, &h);

	if (reason != QS_REPORT_OK)
		return reason;
	if (h.backend_id >= QS_MAX_BACKENDS || in->key(in->ctx, h.backend_id, &key))
		return QS_REPORT_E_UNKNOWN_BACKEND;
	reason = qs_report_verify(&rd, buf, len, key);
	if (reason != QS_REPORT_OK)
		return reason;
	if (h.vip.family != QS_AF_NONE && in->vip(in->ctx, h.backend_id, &h.vip, &vip_id))
		return QS_REPORT_E_UNKNOWN_VIP;
	b = &in->backends[h.backend_id];
	reason = version_check(in, b, &h);
	if (reason == QS_REPORT_OK)
		reason = freshness_check(in, &h, wall);
	if (reason == QS_REPORT_OK)
		reason = sequence_check(in, b, &h, now);
	if (reason != QS_REPORT_OK)
		return reason;
	incarnation_take(in, b, h.backend_id, &h);
	b->pub.sequence = h.sequence;
	b->pub.last_seen_ns = now;
	b->pub.sync.heard = true;
	if (vip_id < QS_MAX_VIPS)
		b->pub.sync.vips_named |= 1u << vip_id;
	apply_additions(in, rd, h.backend_id, vip_id, b);
	apply_removals(in, rd, h.backend_id, vip_id);
	snapshot_finish(in, rd, h.backend_id, vip_id, b);
	/*
	 * Kept once applied: an agent that dies halfway through a datagram
	 * takes it again after its restart (issues and retires are
	 * idempotent) rather than refusing it as a replay; and the pin says
	 * of every datagram it counts that its IDs are in the map.
	 */
	store(in, h.backend_id, b);
	return QS_REPORT_OK;
}

int qs_intake_datagram(struct qs_intake *in, const void *buf, size_t len, __u64 now_ns,
		       __u64 wall_ns)
{
	int reason = accept_datagram(in, buf, len, now_ns, wall_ns);

	if (reason < 0 || reason >= QS_REPORT_NR_REASONS)
		reason = QS_REPORT_E_TRUNCATED;
	in->counts[reason]++;
	return reason;
}

__u64 qs_intake_count(const struct qs_intake *in, int reason)
{
	return reason >= 0 && reason < QS_REPORT_NR_REASONS ? in->counts[reason] : 0;
}

__u64 qs_intake_ids(const struct qs_intake *in)
{
	return in->ids;
}

const struct qs_intake_backend *qs_intake_backend(const struct qs_intake *in, __u32 backend_id)
{
	if (backend_id >= QS_MAX_BACKENDS || !in->backends[backend_id].known)
		return NULL;
	return &in->backends[backend_id].pub;
}
