// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "intake.h"
#include "util/log.h"

struct backend_state {
	struct qs_intake_backend pub;
	__u32 snapshot_id; /* the snapshot in progress */
	__u32 next_part; /* its next part; a gap abandons it */
	int in_snapshot;
	__u64 old[QS_INTAKE_OLD_INCARNATIONS]; /* replaced incarnations, newest first */
	int known; /* has an incarnation */
};

struct qs_intake {
	struct qs_cidreg *reg;
	qs_intake_key_fn key;
	qs_intake_vip_fn vip;
	qs_intake_store_fn store;
	void *ctx;
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
	return in;
}

void qs_intake_set_store(struct qs_intake *in, qs_intake_store_fn store)
{
	in->store = store;
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
	b->pub.last_seen_ns = now_ns;
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
	};

	if (!in->store)
		return;
	memcpy(st.old, b->old, sizeof(st.old));
	in->store(in->ctx, id, &st);
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

/* The replay and incarnation rules on an authenticated header. */
static int sequence_check(struct backend_state *b, const struct qs_report_header *h)
{
	if (!b->known || h->incarnation != b->pub.incarnation)
		return was_replaced(b, h->incarnation) ? QS_REPORT_E_STALE_INCARNATION :
							 QS_REPORT_OK;
	return h->sequence > b->pub.sequence ? QS_REPORT_OK : QS_REPORT_E_REPLAY;
}

static void incarnation_take(struct qs_intake *in, struct backend_state *b, __u32 id,
			     const struct qs_report_header *h)
{
	if (b->known && b->pub.incarnation != h->incarnation) {
		memmove(b->old + 1, b->old, sizeof(b->old) - sizeof(b->old[0]));
		b->old[0] = b->pub.incarnation;
		b->pub.drain_requested = 0;
		b->in_snapshot = 0;
		pr_info("backend %u: new incarnation %016llx, its previous IDs purged\n", id,
			(unsigned long long)h->incarnation);
	}
	qs_cidreg_incarnation(in->reg, id, h->incarnation);
	b->pub.incarnation = h->incarnation;
	b->known = 1;
}

/*
 * The datagram's SNAPSHOT_PART, wherever it stands among the records: a
 * snapshot's IDs belong to it even when they come first. Parts must come
 * in order; a missing one abandons the snapshot, which then removes nothing.
 * Returns 1 if this datagram's snapshot IDs are to be taken.
 */
static int snapshot_part(struct qs_intake *in, struct qs_report_reader rd, __u32 id, __u32 vip_id,
			 struct backend_state *b, int *final)
{
	struct qs_report_record r;

	while (qs_report_next(&rd, &r) == 1) {
		if (r.type != QS_REPORT_SNAPSHOT_PART)
			continue;
		*final = r.snapshot.flags & QS_REPORT_SNAPSHOT_FINAL;
		if (r.snapshot.part == 0) {
			qs_cidreg_snapshot_begin(in->reg, id, r.snapshot.snapshot_id, vip_id);
			b->in_snapshot = 1;
		} else if (!b->in_snapshot || r.snapshot.snapshot_id != b->snapshot_id ||
			   r.snapshot.part != b->next_part) {
			qs_cidreg_snapshot_abort(in->reg, id);
			b->in_snapshot = 0;
			return 0;
		}
		b->snapshot_id = r.snapshot.snapshot_id;
		b->next_part = r.snapshot.part + 1;
		return 1;
	}
	return 0;
}

/* Additions first, then removals, as the protocol orders them. */
static void apply_additions(struct qs_intake *in, struct qs_report_reader rd, __u32 id,
			    __u32 vip_id, struct backend_state *b)
{
	int final = 0, snapshot = snapshot_part(in, rd, id, vip_id, b, &final);
	struct qs_report_record r;

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
				qs_cidreg_snapshot_add(in->reg, id, b->snapshot_id, vip_id,
						       r.cid_issued.cid.bytes, r.cid_issued.cid.len,
						       r.cid_issued.handle);
			in->ids++;
			break;
		case QS_REPORT_HANDSHAKE_DONE:
			b->pub.handshakes++;
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
			    struct backend_state *b)
{
	struct qs_report_record r;

	while (qs_report_next(&rd, &r) == 1)
		if (r.type == QS_REPORT_SNAPSHOT_PART && b->in_snapshot &&
		    (r.snapshot.flags & QS_REPORT_SNAPSHOT_FINAL)) {
			qs_cidreg_snapshot_end(in->reg, id, b->snapshot_id);
			b->in_snapshot = 0;
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

static int accept_datagram(struct qs_intake *in, const void *buf, size_t len, __u64 now)
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
	reason = sequence_check(b, &h);
	if (reason != QS_REPORT_OK)
		return reason;
	incarnation_take(in, b, h.backend_id, &h);
	b->pub.sequence = h.sequence;
	b->pub.last_seen_ns = now;
	qs_cidreg_batch_begin(in->reg);
	apply_additions(in, rd, h.backend_id, vip_id, b);
	qs_cidreg_batch_end(in->reg);
	apply_removals(in, rd, h.backend_id, vip_id);
	snapshot_finish(in, rd, h.backend_id, b);
	/*
	 * Kept once applied: an agent that dies halfway through a datagram
	 * takes it again after its restart (issues and retires are
	 * idempotent) rather than refusing it as a replay; and the pin says
	 * of every datagram it counts that its IDs are in the map.
	 */
	store(in, h.backend_id, b);
	return QS_REPORT_OK;
}

int qs_intake_datagram(struct qs_intake *in, const void *buf, size_t len, __u64 now_ns)
{
	int reason = accept_datagram(in, buf, len, now_ns);

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
