// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The datagrams qs-bench-agent sends, encoded before any clock starts so
 * that the sender's own HMACs never pace the agent: with the encoder of
 * include/quicsteer/report.h and the backend's key, as a backend would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_agent.h"

__u64 ba_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

__u64 ba_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* splitmix64's finaliser: a bijection, so distinct inputs give distinct IDs. */
static __u64 mix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * ID k of a backend: random-looking bytes, as QUIC servers choose them, and
 * unique over every (backend, k) as long as len >= 8 (the first 8 bytes are
 * the bijection's output).
 */
void ba_cid(__u32 backend_id, __u32 k, __u8 *cid, __u8 len)
{
	__u64 seed = ((__u64)backend_id << 32) | k, x = mix64(seed);

	for (__u8 i = 0; i < len; i++) {
		if (i && i % 8 == 0)
			x = mix64(x ^ seed);
		cid[i] = x >> (8 * (i % 8));
	}
}

void ba_dgrams_free(struct ba_dgrams *d)
{
	free(d->buf);
	free(d->len);
	memset(d, 0, sizeof(*d));
}

/*
 * ids CID_ISSUED records of backend_id, ids_per_dgram per datagram (0: as
 * many as fit in 1232 bytes), IDs first_key, first_key + 1, ... Sequence
 * numbers of incarnation follow the IDs: first_key / per + 1, + 2, ..., so
 * sets built for consecutive ranges of one incarnation continue each other
 * (a set built from 0 starts at 1). Four IDs share a connection handle, as
 * a server's connections hold several.
 */
int ba_dgrams_build(struct ba_dgrams *d, const __u8 *key, const struct qs_report_endpoint *vip,
		    __u32 backend_id, __u64 incarnation, __u8 cid_len, __u32 ids,
		    __u32 ids_per_dgram, __u32 first_key)
{
	/* stamped when built: bench_agent_run gives the agent a report-window of 1h */
	struct qs_report_header h = { .incarnation = incarnation,
				      .timestamp = ba_wall_ns(),
				      .backend_id = backend_id,
				      .vip = *vip };
	size_t per = ids_per_dgram;
	__u32 k = 0;

	memset(d, 0, sizeof(*d));
	if (!per)
		per = QS_REPORT_MAX_BODY / (QS_REPORT_REC_HDR_LEN + QS_REPORT_HANDLE_LEN + cid_len);
	d->n = (ids + per - 1) / per;
	d->buf = malloc((size_t)d->n * QS_REPORT_MAX_DGRAM);
	d->len = calloc(d->n, sizeof(*d->len));
	if (!d->buf || !d->len) {
		ba_dgrams_free(d);
		return -ENOMEM;
	}
	d->ids_per_dgram = per;
	d->backend_id = backend_id;
	d->incarnation = incarnation;
	d->cid_len = cid_len;
	d->first_key = first_key;
	for (__u32 i = 0; i < d->n; i++) {
		struct qs_report_encoder enc;
		__u8 cid[QS_CID_MAX_LEN];
		int len, err;

		h.sequence = first_key / per + i + 1;
		err = qs_report_encoder_init(&enc, ba_dgram(d, i), QS_REPORT_MAX_DGRAM, &h);
		for (size_t r = 0; !err && r < per && k < ids; r++, k++) {
			ba_cid(backend_id, first_key + k, cid, cid_len);
			err = qs_report_add_cid_issued(&enc, (first_key + k) / 4, cid, cid_len);
		}
		len = err ? err : qs_report_finish(&enc, key);
		if (len < 0) {
			ba_dgrams_free(d);
			return len;
		}
		d->len[i] = len;
	}
	d->ids = k;
	return 0;
}

/* A datagram of a new incarnation with a heartbeat alone: it purges the old one's IDs. */
int ba_heartbeat(__u8 *buf, const __u8 *key, __u32 backend_id, __u64 incarnation)
{
	struct qs_report_header h = { .incarnation = incarnation,
				      .sequence = 1,
				      .timestamp = ba_wall_ns(),
				      .backend_id = backend_id };
	struct qs_report_encoder enc;
	int err = qs_report_encoder_init(&enc, buf, QS_REPORT_MAX_DGRAM, &h) ?:
			  qs_report_add_heartbeat(&enc);

	return err ? err : qs_report_finish(&enc, key);
}
