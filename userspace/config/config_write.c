// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A configuration back into the language (docs/configuration.md): the
 * agent's `show`, and the text its run-time changes edit. Derived from the
 * statement table (qs_config_stmts[]) like the parser, so an option added
 * to the table is written without a change here; only the options that
 * read their own words (ARG_CUSTOM) have a writer below.
 *
 * Canonical: statements in the table's order (settings, interfaces,
 * listeners, VIPs, QUIC-LB, nexthops, backends), every option the object
 * has, defaults included, VIP ids explicit. Explicit ids keep a VIP's id
 * fixed whatever the order of a text edited later.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "util/words.h"
#include "config_parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VALUE_MAX (QS_CONFIG_PATH_MAX + 16)

static bool all_zero(const void *p, size_t len)
{
	const __u8 *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static const char *word_of(const struct word_value *w, __u32 value)
{
	for (; w->word; w++)
		if (w->value == value)
			return w->word;
	return NULL;
}

/*
 * ARG_UINT's one unset value, below. At file scope: a declaration after a
 * case label is a GNU extension that gcc takes and clang 14 refuses.
 */
_Static_assert(QS_CONFIG_ID_NONE == QS_CONFIG_MAX_IDS_UNSET, "one unset value");

/*
 * The value of a table-typed option into buf. false: the object does not
 * have it (an optional address, MAC, name or path left out), so nothing is
 * written, which parses back to the same empty field.
 */
static bool value_str(const struct opt *o, const void *obj, char *buf, size_t size)
{
	const char *field = (const char *)obj + o->offset, *w = NULL;
	const struct qs_config_addr *ca;
	struct qs_addr a;
	__u64 ms;

	switch (o->type) {
	case ARG_NAME:
	case ARG_IFNAME:
	case ARG_PATH:
	case ARG_SOCK_PATH:
		w = *field ? field : NULL;
		break;
	case ARG_HEAP_PATH:
		w = *(char *const *)field;
		break;
	case ARG_ADDR:
	case ARG_ANY_ADDR:
		ca = (const struct qs_config_addr *)field;
		if (ca->family == QS_AF_NONE)
			return false;
		return qs_format_addr(&ca->addr, ca->family, buf, size), true;
	case ARG_UINT:
		/* a VIP id nobody assigned, a backend's max-ids left to backend-max-ids */
		if (*(const __u32 *)field == QS_CONFIG_ID_NONE)
			return false;
		return snprintf(buf, size, "%u", *(const __u32 *)field), true;
	case ARG_DURATION:
		ms = *(const __u64 *)field;
		w = !ms && (o->flags & OPT_OFF) ? "off" : qs_format_duration(ms, buf, size);
		break;
	case ARG_WORD:
		w = word_of(o->words, *(const __u32 *)field);
		break;
	case ARG_BOOL:
		w = word_of(o->words, *(const bool *)field);
		break;
	case ARG_MAC:
		if (all_zero(field, 6))
			return false;
		return qs_format_mac((const __u8 *)field, buf, size), true;
	case ARG_SRC6:
		if (all_zero(field, sizeof(struct qs_addr)))
			return false;
		memcpy(&a, field, sizeof(a));
		return qs_format_addr(&a, QS_AF_INET6, buf, size), true;
	case ARG_CUSTOM:
		return false;
	}
	if (!w)
		return false;
	if (w != buf)
		snprintf(buf, size, "%s", w);
	return true;
}

static void listener_write(FILE *out, const struct opt *o, const void *obj)
{
	const struct qs_config_listener *l = obj;
	char addr[INET6_ADDRSTRLEN];

	(void)o;
	if (l->kind == QS_LISTEN_UNIX)
		fprintf(out, " unix %s", l->path);
	else
		fprintf(out, " udp %s %u",
			qs_format_addr(&l->addr.addr, l->addr.family, addr, sizeof(addr)), l->port);
}

static void backend_vips_write(FILE *out, const struct opt *o, const void *obj)
{
	const struct qs_config_backend *be = obj;

	for (size_t i = 0; i < be->n_vips; i++)
		fprintf(out, " %s %s", o->word, be->vips[i]);
}

static void server_ids_write(FILE *out, const struct opt *o, const void *obj)
{
	const struct qs_config_backend *be = obj;
	char hex[2 * QS_QUICLB_SID_MAX + 1];

	for (size_t i = 0; i < be->n_server_ids; i++) {
		const struct qs_config_server_id *s = &be->server_ids[i];

		fprintf(out, " %s %s %u %s", o->word, s->vip, s->config_id,
			qs_format_hex(s->sid, s->len, hex, sizeof(hex)));
	}
}

static void src4_write(FILE *out, const struct opt *o, const void *obj)
{
	const struct qs_config_nexthop *nh = obj;
	const struct qs_addr a = { .addr = { nh->src4 } };
	char addr[INET_ADDRSTRLEN];

	if (nh->src4_prefix_len)
		fprintf(out, " %s %s/%u", o->word,
			qs_format_addr(&a, QS_AF_INET, addr, sizeof(addr)), nh->src4_prefix_len);
}

/* The options that read their own words, by statement and option (or argument). */
static const struct {
	const char *stmt, *opt;
	void (*write)(FILE *out, const struct opt *o, const void *obj);
} custom_writers[] = {
	{ "report-listen", "listener", listener_write }, { "backend", "vip", backend_vips_write },
	{ "backend", "server-id", server_ids_write },	 { "nexthop", "encap-source4", src4_write },
};

static int custom_write(FILE *out, const struct stmt *st, const struct opt *o, const void *obj)
{
	const char *name = o->word ? o->word : o->what;

	for (size_t i = 0; i < ARRAY_SIZE(custom_writers); i++) {
		if (strcmp(custom_writers[i].stmt, st->word) || strcmp(custom_writers[i].opt, name))
			continue;
		custom_writers[i].write(out, o, obj);
		return 0;
	}
	return -ENOTSUP; /* a new custom option without a writer: refuse to lose it */
}

/* One statement: a line, or nothing when a positional argument is absent. */
static int stmt_write(FILE *out, const struct stmt *st, const void *obj)
{
	char args[4][VALUE_MAX], value[VALUE_MAX];
	int err;

	if (st->n_args > ARRAY_SIZE(args))
		return -ENOTSUP;
	for (size_t i = 0; i < st->n_args; i++)
		if (st->args[i].type != ARG_CUSTOM &&
		    !value_str(&st->args[i], obj, args[i], sizeof(args[i])))
			return 0; /* metrics-listen without an address: no endpoint */
	fputs(st->word, out);
	for (size_t i = 0; i < st->n_args; i++) {
		if (st->args[i].type != ARG_CUSTOM) {
			fprintf(out, " %s", args[i]);
			continue;
		}
		err = custom_write(out, st, &st->args[i], obj);
		if (err)
			return err;
	}
	for (size_t i = 0; i < st->n_opts; i++) {
		const struct opt *o = &st->opts[i];

		if (o->flags & OPT_REFUSED)
			continue;
		if (o->type == ARG_CUSTOM) {
			err = custom_write(out, st, o, obj);
			if (err)
				return err;
		} else if (value_str(o, obj, value, sizeof(value))) {
			fprintf(out, " %s %s", o->word, value);
		}
	}
	fputc('\n', out);
	return 0;
}

/* The array of objects a statement fills: 0, or -ENOTSUP for a kind not listed. */
static int objects_of(const struct qs_config *cfg, const char *word, const char **objs, size_t *n)
{
	static const struct {
		const char *word;
		size_t array, count;
	} arrays[] = {
#define ARRAY_OF(w, f) { w, offsetof(struct qs_config, f), offsetof(struct qs_config, n_##f) }
		ARRAY_OF("interface", interfaces),
		ARRAY_OF("report-listen", listeners),
		ARRAY_OF("vip", vips),
		ARRAY_OF("quic-lb", quiclbs),
		ARRAY_OF("nexthop", nexthops),
		ARRAY_OF("backend", backends),
#undef ARRAY_OF
	};

	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		if (strcmp(arrays[i].word, word))
			continue;
		*n = *(const size_t *)((const char *)cfg + arrays[i].count);
		*objs = *(const char *const *)((const char *)cfg + arrays[i].array);
		return 0;
	}
	return -ENOTSUP; /* a statement kind this file does not know */
}

int qs_config_write(FILE *out, const struct qs_config *cfg)
{
	int err = 0;

	for (size_t s = 0; !err && s < qs_config_n_stmts; s++) {
		const struct stmt *st = &qs_config_stmts[s];
		const char *objs;
		size_t n = 0;

		if (!st->size) {
			err = stmt_write(out, st, cfg);
			continue;
		}
		err = objects_of(cfg, st->word, &objs, &n);
		for (size_t i = 0; !err && i < n; i++)
			err = stmt_write(out, st, objs + i * st->size);
	}
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}
