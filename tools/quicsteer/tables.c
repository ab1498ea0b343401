// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `cid show|lookup`, `flow show`: the router's ID and address tables read
 * from their pins, as tables or JSON, agent or not.
 *
 * Reported and the operator's IDs are read from qs_cidtab, the table the
 * data path routes them by (include/abi/cidtab.h). It keeps, per ID, a
 * fingerprint of (VIP, ID) and the bucket that hash chose, not the ID's
 * bytes nor its VIP (issue 14: an ID whole in a BPF hash map costs 112 to
 * 169 bytes of kernel memory): a listing of it names each entry by its
 * fingerprint and bucket, and only a lookup of a given ID knows the ID.
 * Learned IDs (qs_learned) are kept whole, with their age.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "config/config.h"
#include "util/clock.h"
#include "router/cidtab.h"
#include "router/maps.h"
#include "abi/abi.h"
#include "abi/flowhash.h"
#include "router/tableargs.h"
#include "util/words.h"

struct table_ctx {
	const struct cli_opts *o;
	json_object *rows;
	__u64 now;
	__u32 vip, backend; /* filters; QS_MAX_VIPS / QS_NO_BACKEND: any */
	unsigned long n;
	const char *map; /* the one being read */
};

/* One row of `cid show` or `cid lookup`, from either table. */
struct cid_row {
	const struct qs_cid_key *key; /* NULL: a qs_cidtab entry listed, its ID unknown */
	const struct qs_cid_place *at; /* NULL: not a qs_cidtab entry */
	__u32 vip_id;
	__u32 backend_id;
	__u8 kind;
	double age_s; /* < 0: unknown (qs_cidtab keeps no age) */
};

/* A fingerprint in hexadecimal: QS_CIDTAB_FP_BITS (50) bits, 13 digits. */
#define FP_DIGITS ((QS_CIDTAB_FP_BITS + 3) / 4)

static const char *cid_kind_name(__u8 kind)
{
	return kind == QS_CID_LEARNED  ? "learned" :
	       kind == QS_CID_OPERATOR ? "operator" :
					 "authoritative";
}

/* The row as a line of text, or added to t->rows as a JSON object. */
static void cid_row_emit(struct table_ctx *t, const struct cid_row *r)
{
	char id[2 * QS_CID_MAX_LEN + 1], fp[FP_DIGITS + 1] = "";
	const char *kind = cid_kind_name(r->kind);
	json_object *j;

	t->n++;
	if (r->key)
		qs_format_hex(r->key->cid, r->key->cid_len, id, sizeof(id));
	if (r->at)
		snprintf(fp, sizeof(fp), "%0*llx", FP_DIGITS, (unsigned long long)r->at->fp);
	if (!t->o->json) {
		printf("vip %u ", r->vip_id);
		if (r->key)
			printf("cid %s ", id);
		if (r->at)
			printf("fingerprint %s bucket %u ", fp, r->at->first);
		printf("backend %u %s", r->backend_id, kind);
		if (r->age_s >= 0)
			printf(" age %.0fs", r->age_s);
		putchar('\n');
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "vip_id", json_object_new_int64(r->vip_id));
	json_object_object_add(j, "cid", r->key ? json_object_new_string(id) : NULL);
	if (r->at) {
		json_object_object_add(j, "fingerprint", json_object_new_string(fp));
		json_object_object_add(j, "bucket", json_object_new_int64(r->at->first));
	}
	json_object_object_add(j, "backend_id", json_object_new_int64(r->backend_id));
	json_object_object_add(j, "kind", json_object_new_string(kind));
	json_object_object_add(j, "age_s", r->age_s >= 0 ? json_object_new_double(r->age_s) : NULL);
	json_object_array_add(t->rows, j);
}

/* An entry of qs_learned (qs_map_scan). */
static int learned_row(void *ctx, const void *key, const void *value)
{
	const struct qs_cid_key *k = key;
	const struct qs_cid_entry *e = value;
	struct table_ctx *t = ctx;
	struct cid_row r = {
		.key = k, .vip_id = k->vip_id, .backend_id = e->backend_id, .kind = e->kind
	};

	if ((t->vip != QS_MAX_VIPS && k->vip_id != t->vip) ||
	    (t->backend != QS_NO_BACKEND && e->backend_id != t->backend))
		return 0;
	r.age_s = e->created_ns && t->now > e->created_ns ? (t->now - e->created_ns) / 1e9 : 0;
	cid_row_emit(t, &r);
	return 0;
}

/* An entry of qs_cidtab (qs_cidtab_scan): its VIP, place and backend, not its bytes. */
static int cidtab_row(void *ctx, const struct qs_cid_place *at, __u32 vip_id, __u32 backend_id,
		      __u8 kind)
{
	struct table_ctx *t = ctx;
	struct cid_row r = {
		.at = at, .vip_id = vip_id, .backend_id = backend_id, .kind = kind, .age_s = -1
	};

	if ((t->vip == QS_MAX_VIPS || vip_id == t->vip) &&
	    (t->backend == QS_NO_BACKEND || backend_id == t->backend))
		cid_row_emit(t, &r);
	return 0;
}

/* [vip N] [backend N] */
static int filters_parse(int argc, char **argv, struct table_ctx *t)
{
	struct qs_table_filter f;
	char err[256];

	if (qs_table_filter_parse(argc, argv, 0, &f, err, sizeof(err))) {
		cli_err("%s", err);
		return -EINVAL;
	}
	t->vip = f.vip_id;
	t->backend = f.backend_id;
	return 0;
}

/* The rows of maps (NULL-terminated, entries of the same layout), into t. */
static int maps_scan(struct table_ctx *t, const char *const *maps, size_t key_size,
		     size_t value_size, qs_map_scan_fn row)
{
	int fd, err = 0;

	for (; !err && *maps; maps++) {
		fd = cli_pin_fd(t->o, *maps);
		if (fd < 0)
			return fd;
		t->map = *maps;
		err = qs_map_scan(fd, key_size, value_size, row, t);
		if (err)
			cli_err("%s: cannot read: %s", *maps, strerror(-err));
		close(fd);
	}
	return err;
}

/* The listing's end: with -j, the rows gathered (unless err); frees them. */
static int rows_done(struct table_ctx *t, int err)
{
	if (!err && t->o->json)
		puts(json_object_to_json_string_ext(t->rows, JSON_OUT));
	json_object_put(t->rows);
	return err;
}

/*
 * cid show [vip N] [backend N]: reported and the operator's IDs
 * (qs_cidtab, by VIP, fingerprint and bucket: the table keeps no ID's
 * bytes), then learned ones with their bytes and ages.
 */
int cli_cid_table_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	static const char *const learned[] = { QS_MAP_LEARNED, NULL };
	struct table_ctx t = { .o = o, .now = qs_now_coarse_ns() };
	struct qs_cidtab tab;
	int err = filters_parse(argc, argv, &t);

	(void)c;
	if (err)
		return err;
	t.rows = json_object_new_array();
	err = cli_cidtab_map(o, &tab);
	if (!err) {
		err = qs_cidtab_scan(&tab, cidtab_row, &t);
		qs_cidtab_unmap(&tab);
	}
	err = err > 0 ? 0 : err; /* 1: no table yet, no IDs */
	if (!err)
		err = maps_scan(&t, learned, sizeof(struct qs_cid_key), sizeof(struct qs_cid_entry),
				learned_row);
	return rows_done(&t, err);
}
static int flow_row(void *ctx, const void *key, const void *value)
{
	const struct qs_flow_key *k = key;
	const struct qs_flow *f = value;
	struct table_ctx *t = ctx;
	double idle = t->now > f->last_seen_ns ? (t->now - f->last_seen_ns) / 1e9 : 0;
	/* established: a reported ID came from the address; new: only an Initial */
	const char *state = strcmp(t->map, QS_MAP_FLOWS_NEW) ? "established" : "new";
	char addr[64];
	json_object *r;

	if ((t->vip != QS_MAX_VIPS && k->vip_id != t->vip) ||
	    (t->backend != QS_NO_BACKEND && f->backend_id != t->backend))
		return 0;
	qs_format_addr(&k->addr, k->family, addr, sizeof(addr));
	if (!t->o->json) {
		printf("vip %u client %s port %u backend %u %s%s idle %.0fs\n", k->vip_id, addr,
		       ntohs(k->port), f->backend_id, state,
		       qs_flow_ambiguous(f, t->now) ? " ambiguous" : "", idle);
		return 0;
	}
	r = json_object_new_object();
	json_object_object_add(r, "vip_id", json_object_new_int64(k->vip_id));
	json_object_object_add(r, "client", json_object_new_string(addr));
	json_object_object_add(r, "port", json_object_new_int(ntohs(k->port)));
	json_object_object_add(r, "backend_id", json_object_new_int64(f->backend_id));
	json_object_object_add(r, "state", json_object_new_string(state));
	json_object_object_add(r, "ambiguous",
			       json_object_new_boolean(qs_flow_ambiguous(f, t->now)));
	json_object_object_add(r, "idle_s", json_object_new_double(idle));
	json_object_array_add(t->rows, r);
	return 0;
}

/* flow show [vip N] [backend N]: the address tables, established entries first. */
int cli_flow_table_show(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	static const char *const maps[] = { QS_MAP_FLOWS, QS_MAP_FLOWS_NEW, NULL };
	struct table_ctx t = { .o = o, .now = qs_now_coarse_ns() };
	int err = filters_parse(argc, argv, &t);

	(void)c;
	if (err)
		return err;
	t.rows = json_object_new_array();
	return rows_done(&t, maps_scan(&t, maps, sizeof(struct qs_flow_key), sizeof(struct qs_flow),
				       flow_row));
}

/* The ID's entry in qs_cidtab into *r: 0, 1 when absent, or -errno (said). */
static int cidtab_lookup(const struct cli_opts *o, struct cid_row *r, struct qs_cid_place *at)
{
	struct qs_cidtab tab;
	int err = cli_cidtab_map(o, &tab);

	if (err)
		return err;
	err = qs_cidtab_get(&tab, r->key, &r->backend_id, &r->kind);
	if (!err) {
		qs_cidtab_place(&tab, r->key, at);
		r->at = at;
	}
	qs_cidtab_unmap(&tab);
	return err == -ENOENT ? 1 : err;
}

/* The ID's entry in qs_learned into *r: 0, 1 when absent, or -errno (said). */
static int learned_lookup(const struct cli_opts *o, __u64 now, struct cid_row *r)
{
	struct qs_cid_entry e;
	int fd = cli_pin_fd(o, QS_MAP_LEARNED), err;

	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, r->key, &e) ? -errno : 0;
	close(fd);
	if (err == -ENOENT)
		return 1;
	if (err) {
		cli_err("%s: cannot read: %s", QS_MAP_LEARNED, strerror(-err));
		return err;
	}
	r->backend_id = e.backend_id;
	r->kind = e.kind;
	r->age_s = e.created_ns && now > e.created_ns ? (now - e.created_ns) / 1e9 : 0;
	return 0;
}

/*
 * cid lookup VIP-ID HEX: one ID's entry, looked for as the data path does:
 * qs_cidtab (with its fingerprint and bucket), then qs_learned (with its
 * age); exit 1 when absent.
 */
int cli_cid_lookup(const struct cli_opts *o, const struct qs_command *c, int argc, char **argv)
{
	struct table_ctx t = { .o = o, .now = qs_now_coarse_ns() };
	struct qs_cid_place at;
	struct qs_cid_key k;
	struct cid_row r = { .key = &k, .age_s = -1 };
	__u8 cid[QS_CID_MAX_LEN];
	char err[256];
	__u32 vip;
	size_t len;
	int rc;

	(void)c, (void)argc;
	if (qs_table_cid_parse(argv[0], argv[1], &vip, cid, &len, err, sizeof(err))) {
		cli_err("cid lookup: %s", err);
		return -EINVAL;
	}
	qs_cid_key_make(&k, vip, cid, len);
	r.vip_id = vip;
	rc = cidtab_lookup(o, &r, &at);
	if (rc == 1)
		rc = learned_lookup(o, t.now, &r);
	if (rc == 1) {
		cli_err("cid %s on vip %u: not in the ID table", argv[1], (unsigned int)vip);
		return -ENOENT;
	}
	if (rc)
		return rc;
	t.rows = json_object_new_array();
	cid_row_emit(&t, &r);
	if (o->json)
		puts(json_object_to_json_string_ext(json_object_array_get_idx(t.rows, 0),
						    JSON_OUT));
	json_object_put(t.rows);
	return 0;
}
