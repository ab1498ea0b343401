// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cid add|del|flush and flow flush (docs/control-protocol.md): the
 * operator's changes to the ID and address tables. The main thread checks
 * a request against the configuration and hands it, as a job, to the one
 * thread that writes the table (the intake thread for qs_cidtab, so that the
 * registry and the map never disagree; the events thread for qs_flows).
 * An operator's ID is owned by QS_CIDREG_OPERATOR in the registry and
 * written with kind QS_CID_OPERATOR, which the agent re-adopts as the
 * operator's after a restart: no report, snapshot or expiry removes it
 * (cidreg.h). Flushes that must walk a table do it a chunk per turn.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "agent.h"
#include "util/log.h"
#include "router/maps.h"
#include "router/tableargs.h"

static const struct qs_config_vip *vip_by_id(const struct qs_config *c, __u32 id)
{
	for (size_t i = 0; i < c->n_vips; i++)
		if (c->vips[i].id == id)
			return &c->vips[i];
	return NULL;
}

static bool vip_has_quiclb(const struct qs_config *c, const char *vip)
{
	for (size_t i = 0; i < c->n_quiclbs; i++)
		if (!strcmp(c->quiclbs[i].vip, vip))
			return true;
	return false;
}

/* The VIP and backend a filter or an entry names must be configured. */
static int known(struct agent *a, __u32 vip_id, __u32 backend_id, struct agent_reply *r)
{
	if (vip_id != QS_MAX_VIPS && !vip_by_id(a->cfg, vip_id)) {
		agent_reply_error(r, "vip %u: no such vip id (quicsteer vip show)", vip_id);
		return -ENOENT;
	}
	if (backend_id != QS_NO_BACKEND && !qs_config_find_backend_id(a->cfg, backend_id)) {
		agent_reply_error(r, "backend %u: no such backend id (quicsteer backend show)",
				  backend_id);
		return -ENOENT;
	}
	return 0;
}

static void add_u32(json_object *o, const char *k, __u32 v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static const char *owner_name(__u32 owner)
{
	return owner == QS_CIDREG_OPERATOR ? "operator" : "reported";
}

/*
 * A short-header ID is read at the VIP's cid-len; one of another length
 * would never match (a QUIC-LB VIP's IDs say their own length).
 */
static int length_fits(const struct qs_config *c, const struct qs_config_vip *v, const char *hex,
		       size_t len, struct agent_reply *r)
{
	if (len == v->cid_len || vip_has_quiclb(c, v->name))
		return 0;
	agent_reply_error(r, "cid %s: %zu bytes, but vip \"%s\" (id %u) routes %u-byte IDs (cid-len)",
			  hex, len, v->name, v->id, v->cid_len);
	return -EINVAL;
}

static struct agent_job *cid_job(enum agent_job_kind kind, __u32 vip_id, __u32 backend_id,
				  const __u8 *cid, size_t len, const char *hex, struct agent_reply *r)
{
	struct agent_job *job = agent_job_new(kind);

	if (!job) {
		agent_reply_error(r, "cid: out of memory");
		return NULL;
	}
	job->cid.vip_id = vip_id;
	job->cid.backend_id = backend_id;
	memcpy(job->cid.cid, cid, len);
	job->cid.len = len;
	snprintf(job->cid.hex, sizeof(job->cid.hex), "%s", hex);
	return job;
}

static struct agent_job *filter_job(enum agent_job_kind kind, const struct qs_table_filter *f,
				    struct agent_reply *r)
{
	struct agent_job *job = agent_job_new(kind);

	if (!job) {
		agent_reply_error(r, "flush: out of memory");
		return NULL;
	}
	job->filter = *f;
	return job;
}

/* cid add VIP-ID HEX backend ID: checked here, written by the intake thread. */
struct agent_job *agent_cid_add(struct agent *a, const char *object, char **args, int n,
				struct agent_reply *r)
{
	const struct qs_config_backend *be;
	const struct qs_config_vip *v;
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip_id, backend_id;
	size_t len;

	(void)object;
	if (n != 4 || strcmp(args[2], "backend")) {
		agent_reply_error(r, "cid add: want VIP-ID HEX backend ID");
		return NULL;
	}
	if (qs_table_cid_parse(args[0], args[1], &vip_id, cid, &len, r->error, sizeof(r->error)) ||
	    qs_table_backend_parse(args[3], &backend_id, r->error, sizeof(r->error)) ||
	    known(a, vip_id, backend_id, r))
		return NULL;
	v = vip_by_id(a->cfg, vip_id);
	be = qs_config_find_backend_id(a->cfg, backend_id);
	if (length_fits(a->cfg, v, args[1], len, r))
		return NULL;
	if (!qs_config_backend_serves(be, v->name)) {
		agent_reply_error(r, "backend \"%s\" (id %u) does not serve vip \"%s\"", be->name,
				  backend_id, v->name);
		return NULL;
	}
	return cid_job(AGENT_JOB_CID_ADD, vip_id, backend_id, cid, len, args[1], r);
}

/* cid del VIP-ID HEX: whoever holds it; a learned entry is the map's alone. */
struct agent_job *agent_cid_del(struct agent *a, const char *object, char **args, int n,
				struct agent_reply *r)
{
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip_id;
	size_t len;

	(void)object;
	if (n != 2) {
		agent_reply_error(r, "cid del: want VIP-ID HEX");
		return NULL;
	}
	if (qs_table_cid_parse(args[0], args[1], &vip_id, cid, &len, r->error, sizeof(r->error)) ||
	    known(a, vip_id, QS_NO_BACKEND, r))
		return NULL;
	return cid_job(AGENT_JOB_CID_DEL, vip_id, QS_NO_BACKEND, cid, len, args[1], r);
}

static void cid_add_run(struct qs_cidreg *reg, struct agent_cids *cids, struct agent_job *job)
{
	const struct agent_job_cid *c = &job->cid;
	struct agent_reply *r = &job->reply;
	struct qs_cid_entry old;
	struct qs_cid_key key;
	__u32 replaced;
	bool was_learned;
	int err;

	qs_cid_key_make(&key, c->vip_id, c->cid, c->len);
	was_learned = !agent_cids_learned_lookup(cids, &key, &old);
	err = qs_cidreg_op_set(reg, c->vip_id, c->cid, c->len, c->backend_id, &replaced);
	if (err) {
		agent_reply_error(r, "cid %s on vip %u: not written: %s", c->hex, c->vip_id,
				  strerror(-err));
		return;
	}
	pr_info("control: cid %s on vip %u: operator's entry to backend %u\n", c->hex, c->vip_id,
		c->backend_id);
	r->o = json_object_new_object();
	add_u32(r->o, "vip_id", c->vip_id);
	json_object_object_add(r->o, "cid", json_object_new_string(c->hex));
	add_u32(r->o, "backend_id", c->backend_id);
	json_object_object_add(r->o, "replaced",
			       replaced != QS_NO_BACKEND ? json_object_new_string(owner_name(replaced)) :
			       was_learned		 ? json_object_new_string("learned") :
							   NULL);
}

static void cid_del_run(struct qs_cidreg *reg, struct agent_cids *cids, struct agent_job *job)
{
	const struct agent_job_cid *c = &job->cid;
	struct agent_reply *r = &job->reply;
	struct qs_cid_entry e;
	struct qs_cid_key key;
	__u32 owner = QS_NO_BACKEND, backend_id = QS_NO_BACKEND;
	const char *kind = NULL;
	__u8 tab_kind;
	int err;

	qs_cid_key_make(&key, c->vip_id, c->cid, c->len);
	err = agent_cids_lookup(cids, &key, &backend_id, &tab_kind);
	if (!qs_cidreg_remove(reg, c->vip_id, c->cid, c->len, &owner)) {
		kind = owner_name(owner);
	} else if (!agent_cids_learned_lookup(cids, &key, &e) &&
		   !agent_cids_learned_del(cids, &key)) {
		kind = "learned";
		backend_id = e.backend_id;
		err = 0;
	}
	if (!kind) {
		agent_reply_error(r, "cid %s on vip %u: not in the ID table", c->hex, c->vip_id);
		return;
	}
	r->o = json_object_new_object();
	json_object_object_add(r->o, "removed", json_object_new_string(kind));
	json_object_object_add(r->o, "backend_id", err ? NULL : json_object_new_int64(backend_id));
}

void agent_cid_job_run(struct qs_cidreg *reg, struct agent_cids *cids, struct agent_job *job)
{
	if (job->kind == AGENT_JOB_CID_ADD)
		cid_add_run(reg, cids, job);
	else if (job->kind == AGENT_JOB_CID_DEL)
		cid_del_run(reg, cids, job);
	else
		agent_reply_error(&job->reply, "not a job for the intake thread");
}

/*
 * A flush's walk of qs_learned or qs_flows: a chunk of entries per step,
 * the matching ones deleted as they are read.
 */
#define WALK_CHUNK 4096

struct walk_delete {
	struct qs_map_walk walk;
	struct qs_table_filter f;
	struct agent_cids *cids; /* a cid flush's (qs_learned is walked there), else NULL */
	bool walked; /* the map walk ended: the registry's deferred work may still run */
	int next_fd; /* a flow flush's second table, walked after the first; -1: none */
	struct qs_cidreg *reg; /* cid flush: answered once its removals reached the map */
	long removed, reported, operator; /* reported and operator: the registry's part */
	int err;
};

static int walk_match(void *ctx, const void *key, const void *value)
{
	struct walk_delete *w = ctx;
	__u32 vip_id, backend_id;
	int err;

	if (w->cids) {
		const struct qs_cid_entry *e = value;

		if (e->kind != QS_CID_LEARNED)
			return 0;
		vip_id = ((const struct qs_cid_key *)key)->vip_id;
		backend_id = e->backend_id;
	} else {
		vip_id = ((const struct qs_flow_key *)key)->vip_id;
		backend_id = ((const struct qs_flow *)value)->backend_id;
	}
	if ((w->f.vip_id != QS_MAX_VIPS && vip_id != w->f.vip_id) ||
	    (w->f.backend_id != QS_NO_BACKEND && backend_id != w->f.backend_id))
		return 0;
	err = w->cids ? agent_cids_learned_del(w->cids, key) :
			bpf_map_delete_elem(w->walk.fd, key) ? -errno : 0;
	if (!err)
		w->removed++;
	return err == -ENOENT ? 0 : err; /* gone meanwhile (LRU, expiry): fine */
}

/* The flush's state; walk: it reads the table (else only the answer is built). */
static bool walk_start(int fd, struct agent_cids *cids, bool walk, struct agent_job *job)
{
	struct walk_delete *w = calloc(1, sizeof(*w));
	int err = w ? 0 : -ENOMEM;

	if (w && walk)
		err = qs_map_walk_init(&w->walk, fd,
				       cids ? sizeof(struct qs_cid_key) : sizeof(struct qs_flow_key),
				       cids ? sizeof(struct qs_cid_entry) : sizeof(struct qs_flow),
				       WALK_CHUNK);
	if (err) {
		free(w);
		agent_reply_error(&job->reply, "%s flush: %s", cids ? "cid" : "flow",
				  strerror(-err));
		return false;
	}
	w->f = job->filter;
	w->cids = cids;
	w->walked = !walk;
	w->next_fd = -1;
	job->work = w;
	return true;
}

static void walk_free(struct agent_job *job)
{
	struct walk_delete *w = job->work;

	qs_map_walk_free(&w->walk);
	free(w);
	job->work = NULL;
}

static void flush_answer(struct agent_job *job)
{
	struct walk_delete *w = job->work;
	struct agent_reply *r = &job->reply;
	json_object *rm;

	if (w->err && w->cids)
		agent_reply_error(r, "cid flush: %s: %s (reported and operator's IDs flushed)",
				  QS_MAP_LEARNED, strerror(-w->err));
	else if (w->err)
		agent_reply_error(r, "flow flush: %s or %s: %s", QS_MAP_FLOWS, QS_MAP_FLOWS_NEW,
				  strerror(-w->err));
	else if (w->cids) {
		pr_info("control: cid flush: %ld learned, %ld reported, %ld operator's\n",
			w->removed, w->reported, w->operator);
		r->o = json_object_new_object();
		rm = json_object_new_object();
		json_object_object_add(rm, "learned", json_object_new_int64(w->removed));
		json_object_object_add(rm, "reported", json_object_new_int64(w->reported));
		json_object_object_add(rm, "operator", json_object_new_int64(w->operator));
		json_object_object_add(r->o, "removed", rm);
	} else {
		pr_info("control: flow flush: %ld address entries\n", w->removed);
		r->o = json_object_new_object();
		json_object_object_add(r->o, "removed", json_object_new_int64(w->removed));
	}
	walk_free(job);
}

bool agent_cid_flush_step(struct agent_job *job)
{
	struct walk_delete *w = job->work;
	int ret = 1;

	if (!w->walked)
		ret = qs_map_walk_step(&w->walk, walk_match, w);
	if (ret == 1 && w->next_fd >= 0) {
		qs_map_walk_free(&w->walk);
		ret = qs_map_walk_init(&w->walk, w->next_fd, sizeof(struct qs_flow_key),
				       sizeof(struct qs_flow), WALK_CHUNK);
		w->next_fd = -1;
	}
	if (!ret)
		return false;
	if (ret < 0)
		w->err = ret;
	w->walked = true;
	/* the reported IDs leave the map by the registry's work, between datagrams */
	if (!w->err && w->reg && qs_cidreg_work(w->reg, 0))
		return false;
	flush_answer(job);
	return true;
}

void agent_cid_flush_abandon(struct agent_job *job)
{
	walk_free(job);
	agent_reply_error(&job->reply, "flush: the agent stopped before it ended");
}

bool agent_cid_flush_start(struct qs_cidreg *reg, struct agent_cids *cids, struct agent_job *job)
{
	const struct qs_table_filter *f = &job->filter;
	struct walk_delete *w;
	long reported = 0, operator = 0;

	if (f->kinds & QS_TF_REPORTED)
		reported = qs_cidreg_flush(reg, f->vip_id, f->backend_id, QS_CIDREG_FLUSH_REPORTED);
	if (f->kinds & QS_TF_OPERATOR)
		operator = qs_cidreg_flush(reg, f->vip_id, f->backend_id, QS_CIDREG_FLUSH_OPERATOR);
	if (reported < 0 || operator < 0) {
		agent_reply_error(&job->reply, "cid flush: out of memory");
		return false;
	}
	if (!walk_start(cids->learned_fd, cids, f->kinds & QS_TF_LEARNED, job))
		return false;
	w = job->work;
	w->reported = reported;
	w->operator = operator;
	w->reg = reg;
	return !agent_cid_flush_step(job);
}

bool agent_flow_flush_start(int flows_fd, int flows_new_fd, struct agent_job *job)
{
	if (!walk_start(flows_fd, NULL, true, job))
		return false;
	((struct walk_delete *)job->work)->next_fd = flows_new_fd;
	return true;
}

bool agent_flushes_step(struct agent *a, struct agent_job **running)
{
	struct agent_job **pp = running, *job;

	while ((job = *pp)) {
		if (!agent_cid_flush_step(job)) {
			pp = &job->next;
			continue;
		}
		*pp = job->next;
		agent_jobq_push(&a->done, job);
	}
	return *running != NULL;
}

void agent_flushes_abandon(struct agent *a, struct agent_job **running)
{
	struct agent_job *job;

	while ((job = *running)) {
		*running = job->next;
		agent_cid_flush_abandon(job);
		agent_jobq_push(&a->done, job);
	}
}

/* cid flush [vip ID] [backend ID] [learned|reported|operator|all] */
struct agent_job *agent_cid_flush(struct agent *a, const char *object, char **args, int n,
				  struct agent_reply *r)
{
	struct qs_table_filter f;

	(void)object;
	if (qs_table_filter_parse(n, args, 1, &f, r->error, sizeof(r->error)) ||
	    known(a, f.vip_id, f.backend_id, r))
		return NULL;
	return filter_job(AGENT_JOB_CID_FLUSH, &f, r);
}

/* flow flush [vip ID] [backend ID] */
struct agent_job *agent_flow_flush(struct agent *a, const char *object, char **args, int n,
				   struct agent_reply *r)
{
	struct qs_table_filter f;

	(void)object;
	if (qs_table_filter_parse(n, args, 0, &f, r->error, sizeof(r->error)) ||
	    known(a, f.vip_id, f.backend_id, r))
		return NULL;
	return filter_job(AGENT_JOB_FLOW_FLUSH, &f, r);
}
