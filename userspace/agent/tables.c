// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cid add|del|flush and flow flush (docs/control-protocol.md): the
 * operator's changes to the ID and address tables, made here so that the
 * registry and the map never disagree. An operator's ID is owned by
 * QS_CIDREG_OPERATOR in the registry and written with kind
 * QS_CID_OPERATOR, which the agent re-adopts as the operator's after a
 * restart: no report, snapshot or expiry removes it (cidreg.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "agent.h"
#include "log.h"
#include "maps.h"
#include "tableargs.h"

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

/* cid add VIP-ID HEX backend ID */
void agent_cid_add(struct agent *a, const char *object, char **args, int n, struct agent_reply *r)
{
	const struct qs_config_backend *be;
	const struct qs_config_vip *v;
	struct qs_cid_entry old;
	struct qs_cid_key key;
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip_id, backend_id, replaced;
	bool was_learned;
	size_t len;
	int err;

	(void)object;
	if (n != 4 || strcmp(args[2], "backend")) {
		agent_reply_error(r, "cid add: want VIP-ID HEX backend ID");
		return;
	}
	if (qs_table_cid_parse(args[0], args[1], &vip_id, cid, &len, r->error, sizeof(r->error)) ||
	    qs_table_backend_parse(args[3], &backend_id, r->error, sizeof(r->error)) ||
	    known(a, vip_id, backend_id, r))
		return;
	v = vip_by_id(a->cfg, vip_id);
	be = qs_config_find_backend_id(a->cfg, backend_id);
	if (length_fits(a->cfg, v, args[1], len, r))
		return;
	if (!qs_config_backend_serves(be, v->name)) {
		agent_reply_error(r, "backend \"%s\" (id %u) does not serve vip \"%s\"", be->name,
				  backend_id, v->name);
		return;
	}
	qs_cid_key_make(&key, vip_id, cid, len);
	pthread_mutex_lock(&a->lock);
	was_learned = !bpf_map_lookup_elem(a->cids_fd, &key, &old) && old.kind == QS_CID_LEARNED;
	err = qs_cidreg_op_set(a->cidreg, vip_id, cid, len, backend_id, &replaced);
	pthread_mutex_unlock(&a->lock);
	if (err) {
		agent_reply_error(r, "cid %s on vip %u: not written: %s", args[1], vip_id,
				  strerror(-err));
		return;
	}
	pr_info("control: cid %s on vip %u: operator's entry to backend %u\n", args[1], vip_id,
		backend_id);
	r->o = json_object_new_object();
	add_u32(r->o, "vip_id", vip_id);
	json_object_object_add(r->o, "cid", json_object_new_string(args[1]));
	add_u32(r->o, "backend_id", backend_id);
	json_object_object_add(r->o, "replaced",
			       replaced != QS_NO_BACKEND ? json_object_new_string(owner_name(replaced)) :
			       was_learned		 ? json_object_new_string("learned") :
							   NULL);
}

/* cid del VIP-ID HEX: whoever holds it; a learned entry is the map's alone. */
void agent_cid_del(struct agent *a, const char *object, char **args, int n, struct agent_reply *r)
{
	struct qs_cid_entry e;
	struct qs_cid_key key;
	__u8 cid[QS_CID_MAX_LEN];
	__u32 vip_id, owner = QS_NO_BACKEND;
	const char *kind = NULL;
	size_t len;
	int err;

	(void)object;
	if (n != 2) {
		agent_reply_error(r, "cid del: want VIP-ID HEX");
		return;
	}
	if (qs_table_cid_parse(args[0], args[1], &vip_id, cid, &len, r->error, sizeof(r->error)) ||
	    known(a, vip_id, QS_NO_BACKEND, r))
		return;
	qs_cid_key_make(&key, vip_id, cid, len);
	pthread_mutex_lock(&a->lock);
	err = bpf_map_lookup_elem(a->cids_fd, &key, &e) ? -errno : 0;
	if (!qs_cidreg_remove(a->cidreg, vip_id, cid, len, &owner))
		kind = owner_name(owner);
	else if (!err && e.kind == QS_CID_LEARNED && !qs_cid_del(a->cids_fd, &key))
		kind = "learned";
	pthread_mutex_unlock(&a->lock);
	if (!kind) {
		agent_reply_error(r, "cid %s on vip %u: not in the ID table", args[1], vip_id);
		return;
	}
	r->o = json_object_new_object();
	json_object_object_add(r->o, "removed", json_object_new_string(kind));
	json_object_object_add(r->o, "backend_id", err ? NULL : json_object_new_int64(e.backend_id));
}

/* Keys collected by a scan, deleted after it: a hash walk must not delete as it goes. */
struct keys {
	struct qs_table_filter f;
	char *buf;
	size_t n, cap, size;
};

static int keys_add(struct keys *k, const void *key)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 1024;
		char *buf = realloc(k->buf, cap * k->size);

		if (!buf)
			return -ENOMEM;
		k->buf = buf;
		k->cap = cap;
	}
	memcpy(k->buf + k->n++ * k->size, key, k->size);
	return 0;
}

static int learned_match(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_key *ck = key;
	const struct qs_cid_entry *e = value;
	struct keys *k = ctx;

	if (e->kind != QS_CID_LEARNED ||
	    (k->f.vip_id != QS_MAX_VIPS && ck->vip_id != k->f.vip_id) ||
	    (k->f.backend_id != QS_NO_BACKEND && e->backend_id != k->f.backend_id))
		return 0;
	return keys_add(k, key);
}

static int flow_match(void *ctx, const void *key, const void *value)
{
	const struct qs_flow_key *fk = key;
	const struct qs_flow *f = value;
	struct keys *k = ctx;

	if ((k->f.vip_id != QS_MAX_VIPS && fk->vip_id != k->f.vip_id) ||
	    (k->f.backend_id != QS_NO_BACKEND && f->backend_id != k->f.backend_id))
		return 0;
	return keys_add(k, key);
}

/* Every entry of fd matching k's filter goes; the count removed, or -errno. */
static long scan_delete(int fd, size_t value_size, qs_map_scan_fn match, struct keys *k)
{
	long removed = 0;
	int err = qs_map_scan(fd, k->size, value_size, match, k);

	for (size_t i = 0; !err && i < k->n; i++) {
		if (!bpf_map_delete_elem(fd, k->buf + i * k->size))
			removed++;
		else if (errno != ENOENT) /* gone meanwhile (LRU, expiry): fine */
			err = -errno;
	}
	free(k->buf);
	return err ? err : removed;
}

/* cid flush [vip ID] [backend ID] [learned|reported|operator|all] */
void agent_cid_flush(struct agent *a, const char *object, char **args, int n,
		     struct agent_reply *r)
{
	struct keys k = { .size = sizeof(struct qs_cid_key) };
	long learned = 0, reported = 0, operator = 0;

	(void)object;
	if (qs_table_filter_parse(n, args, 1, &k.f, r->error, sizeof(r->error)) ||
	    known(a, k.f.vip_id, k.f.backend_id, r))
		return;
	pthread_mutex_lock(&a->lock);
	if (k.f.kinds & QS_TF_REPORTED)
		reported = qs_cidreg_flush(a->cidreg, k.f.vip_id, k.f.backend_id,
					   QS_CIDREG_FLUSH_REPORTED);
	if (k.f.kinds & QS_TF_OPERATOR)
		operator = qs_cidreg_flush(a->cidreg, k.f.vip_id, k.f.backend_id,
					  QS_CIDREG_FLUSH_OPERATOR);
	if (k.f.kinds & QS_TF_LEARNED)
		learned = scan_delete(a->cids_fd, sizeof(struct qs_cid_entry), learned_match, &k);
	pthread_mutex_unlock(&a->lock);
	if (learned < 0) {
		agent_reply_error(r, "cid flush: %s: %s (reported and operator's IDs flushed)",
				  QS_MAP_CIDS, strerror(-learned));
		return;
	}
	pr_info("control: cid flush: %ld learned, %ld reported, %ld operator's\n", learned,
		reported, operator);
	r->o = json_object_new_object();
	json_object *rm = json_object_new_object();
	json_object_object_add(rm, "learned", json_object_new_int64(learned));
	json_object_object_add(rm, "reported", json_object_new_int64(reported));
	json_object_object_add(rm, "operator", json_object_new_int64(operator));
	json_object_object_add(r->o, "removed", rm);
}

/* flow flush [vip ID] [backend ID] */
void agent_flow_flush(struct agent *a, const char *object, char **args, int n,
		      struct agent_reply *r)
{
	struct keys k = { .size = sizeof(struct qs_flow_key) };
	long removed;

	(void)object;
	if (qs_table_filter_parse(n, args, 0, &k.f, r->error, sizeof(r->error)) ||
	    known(a, k.f.vip_id, k.f.backend_id, r))
		return;
	pthread_mutex_lock(&a->lock);
	removed = scan_delete(a->flows_fd, sizeof(struct qs_flow), flow_match, &k);
	pthread_mutex_unlock(&a->lock);
	if (removed < 0) {
		agent_reply_error(r, "flow flush: %s: %s", QS_MAP_FLOWS, strerror(-removed));
		return;
	}
	pr_info("control: flow flush: %ld address entries\n", removed);
	r->o = json_object_new_object();
	json_object_object_add(r->o, "removed", json_object_new_int64(removed));
}

void agent_tables_forget(struct agent *a, const struct qs_config *prev,
			 const struct qs_config *next)
{
	long n;

	for (size_t i = 0; i < prev->n_vips; i++) {
		if (vip_by_id(next, prev->vips[i].id))
			continue;
		n = qs_cidreg_flush(a->cidreg, prev->vips[i].id, QS_NO_BACKEND,
				    QS_CIDREG_FLUSH_OPERATOR);
		if (n)
			pr_info("vip %s removed: %ld operator's IDs on it removed\n",
				prev->vips[i].name, n);
	}
	for (size_t i = 0; i < prev->n_backends; i++) {
		if (qs_config_find_backend_id(next, prev->backends[i].id))
			continue;
		n = qs_cidreg_flush(a->cidreg, QS_MAX_VIPS, prev->backends[i].id,
				    QS_CIDREG_FLUSH_OPERATOR);
		if (n)
			pr_info("backend %s removed: %ld operator's IDs to it removed\n",
				prev->backends[i].name, n);
	}
}
