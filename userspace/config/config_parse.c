// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration parser's machinery: lines into words, words into
 * values of the types options declare, and messages that name the line,
 * the word and the object. What the statements are is config.c's table;
 * nothing here knows one statement from another.
 *
 * Each statement is parsed into a scratch object and appended to the
 * configuration only once the whole line and the object's own rules
 * (config_check.c) are good, so nothing half-parsed is ever kept. Rules
 * across objects run after the last line, in qs_config_check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/words.h"
#include "config_parse.h"

int cfg_perr_at(struct parser *p, unsigned int col, const char *fmt, ...)
{
	struct qs_config_error *e = p->err;
	size_t n = 0;
	va_list ap;

	e->line = p->lineno;
	e->column = col;
	if (p->label[0])
		n = (size_t)snprintf(e->msg, sizeof(e->msg), "%s: ", p->label);
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *cfg_shown(struct parser *p)
{
	if (strlen(p->word) <= SHOWN_MAX)
		return p->word;
	snprintf(p->shown, sizeof(p->shown), "%.*s...", SHOWN_MAX, p->word);
	return p->shown;
}

static const char *opt_name(const struct opt *o)
{
	return o->word ? o->word : o->what;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* 1: a word in p->word; 0: end of line (a word starting with # ends it). */
int cfg_next_word(struct parser *p)
{
	size_t start, n;

	while (p->pos < p->len && is_space(p->line[p->pos]))
		p->pos++;
	if (p->pos == p->len || p->line[p->pos] == '#') {
		p->pos = p->len;
		return 0;
	}
	start = p->pos;
	while (p->pos < p->len && !is_space(p->line[p->pos]))
		p->pos++;
	n = p->pos - start;
	p->col = (unsigned int)start + 1;
	if (n > QS_CONFIG_WORD_MAX)
		return cfg_perr(p, "word too long (%zu bytes, at most %d)", n, QS_CONFIG_WORD_MAX);
	memcpy(p->word, p->line + start, n);
	p->word[n] = '\0';
	return 1;
}

static void join_words(const struct word_value *w, const char *sep, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; w->word && n < size; w++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? sep : "", w->word);
}

/* What a value should look like, for "needs a value (...)". */
static const char *value_hint(const struct opt *o, char *buf, size_t size)
{
	char lo[24], hi[24];

	switch (o->type) {
	case ARG_UINT:
		snprintf(buf, size, "%llu..%llu", (unsigned long long)o->min,
			 (unsigned long long)o->max);
		return buf;
	case ARG_DURATION:
		snprintf(buf, size, "%s..%s%s", qs_format_duration(o->min, lo, sizeof(lo)),
			 qs_format_duration(o->max, hi, sizeof(hi)),
			 o->flags & OPT_OFF ? " or off" : "");
		return buf;
	case ARG_WORD:
	case ARG_BOOL:
		join_words(o->words, "|", buf, size);
		return buf;
	case ARG_NAME:
		return "a name";
	case ARG_IFNAME:
		return "an interface name";
	case ARG_PATH:
	case ARG_SOCK_PATH:
	case ARG_HEAP_PATH:
		return "an absolute path";
	case ARG_ADDR:
	case ARG_ANY_ADDR:
		return "an IPv4 or IPv6 address";
	case ARG_MAC:
		return "a MAC address";
	case ARG_SRC6:
		return "an IPv6 address";
	case ARG_CUSTOM:
		break;
	}
	return o->metavar;
}

static int arg_uint(struct parser *p, const struct opt *o, __u32 *v)
{
	char hint[48];
	__u64 x;
	int err = qs_parse_u64(p->word, &x);

	value_hint(o, hint, sizeof(hint));
	if (err == -EINVAL)
		return cfg_perr(p, "%s \"%s\" is not a number (%s)", opt_name(o), cfg_shown(p),
				hint);
	if (err || x < o->min || x > o->max)
		return cfg_perr(p, "%s %s out of range (%s%s%s)", opt_name(o), cfg_shown(p), hint,
				o->note ? "; " : "", o->note ? o->note : "");
	*v = (__u32)x;
	return 0;
}

static int arg_duration(struct parser *p, const struct opt *o, __u64 *v)
{
	char hint[48];
	__u64 ms;
	int err;

	if ((o->flags & OPT_OFF) && !strcmp(p->word, "off")) {
		*v = 0;
		return 0;
	}
	err = qs_parse_duration(p->word, &ms);
	value_hint(o, hint, sizeof(hint));
	if (err == -EINVAL)
		return cfg_perr(p,
				"%s \"%s\" is not a duration (a number and a unit: ms, s, m, h%s)",
				opt_name(o), cfg_shown(p), o->flags & OPT_OFF ? "; or off" : "");
	if (err || ms < o->min || ms > o->max)
		return cfg_perr(p, "%s %s out of range (%s%s%s)", opt_name(o), cfg_shown(p), hint,
				o->note ? "; " : "", o->note ? o->note : "");
	*v = ms;
	return 0;
}

static int arg_word(struct parser *p, const struct opt *o, __u32 *v)
{
	char hint[64];

	for (const struct word_value *w = o->words; w->word; w++) {
		if (!strcmp(w->word, p->word)) {
			*v = w->value;
			return 0;
		}
	}
	join_words(o->words, "|", hint, sizeof(hint));
	return cfg_perr(p, "%s \"%s\" is not one of %s", opt_name(o), cfg_shown(p), hint);
}

static int arg_addr(struct parser *p, const struct opt *o, struct qs_config_addr *a)
{
	static const struct qs_addr zero;

	if (qs_parse_addr(p->word, &a->addr, &a->family))
		return cfg_perr(p, "%s \"%s\" is not an IPv4 or IPv6 address", opt_name(o),
				cfg_shown(p));
	if (o->type == ARG_ADDR && !memcmp(&a->addr, &zero, sizeof(zero)))
		return cfg_perr(p, "%s %s is the unspecified address", opt_name(o), cfg_shown(p));
	return 0;
}

static int arg_src6(struct parser *p, const struct opt *o, struct qs_addr *a)
{
	struct qs_config_addr ca;

	if (qs_parse_addr(p->word, &ca.addr, &ca.family) || ca.family != QS_AF_INET6)
		return cfg_perr(p, "%s \"%s\" is not an IPv6 address", opt_name(o), cfg_shown(p));
	if (ca.addr.addr[3] & htonl(0xffff))
		return cfg_perr(p, "%s %s has low 16 bits set (the flow hash fills them)",
				opt_name(o), cfg_shown(p));
	if (!ca.addr.addr[0] && !ca.addr.addr[1] && !ca.addr.addr[2])
		return cfg_perr(p, "%s %s is not a usable source address", opt_name(o),
				cfg_shown(p));
	*a = ca.addr;
	return 0;
}

static int arg_mac(struct parser *p, const struct opt *o, __u8 *mac)
{
	static const __u8 zero[6];

	if (qs_parse_mac(p->word, mac))
		return cfg_perr(p, "%s \"%s\" is not a MAC address (xx:xx:xx:xx:xx:xx)",
				opt_name(o), cfg_shown(p));
	if ((mac[0] & 1) || !memcmp(mac, zero, sizeof(zero)))
		return cfg_perr(p, "%s %s is not a unicast MAC address", opt_name(o), cfg_shown(p));
	return 0;
}

static int arg_string(struct parser *p, const struct opt *o, void *field)
{
	const char *problem = NULL;
	size_t n = strlen(p->word);

	if (o->type == ARG_NAME)
		problem = qs_config_name_problem(p->word);
	else if (o->type == ARG_IFNAME)
		problem = qs_config_ifname_problem(p->word);
	else if (p->word[0] != '/')
		problem = "is not an absolute path";
	else if (o->type == ARG_SOCK_PATH && n >= QS_CONFIG_SUN_PATH_MAX)
		return cfg_perr(p, "%s \"%s\" too long for a unix socket (%zu bytes, at most %d)",
				opt_name(o), cfg_shown(p), n, QS_CONFIG_SUN_PATH_MAX - 1);
	if (problem)
		return cfg_perr(p, "%s \"%s\" %s", opt_name(o), cfg_shown(p), problem);
	if (o->type == ARG_HEAP_PATH) {
		*(char **)field = strdup(p->word);
		return *(char **)field ? 0 : -ENOMEM;
	}
	/* every fixed field is larger than the longest word its checks let by */
	memcpy(field, p->word, n + 1);
	return 0;
}

int cfg_arg_store(struct parser *p, const struct opt *o, void *obj)
{
	void *field = (char *)obj + o->offset;
	__u32 v;
	int err;

	switch (o->type) {
	case ARG_UINT:
		return arg_uint(p, o, field);
	case ARG_DURATION:
		return arg_duration(p, o, field);
	case ARG_WORD:
		return arg_word(p, o, field);
	case ARG_BOOL:
		err = arg_word(p, o, &v);
		if (!err)
			*(bool *)field = v;
		return err;
	case ARG_ADDR:
	case ARG_ANY_ADDR:
		return arg_addr(p, o, field);
	case ARG_SRC6:
		return arg_src6(p, o, field);
	case ARG_MAC:
		return arg_mac(p, o, field);
	case ARG_CUSTOM:
		return -EINVAL; /* never: custom options read their own words */
	default:
		return arg_string(p, o, field);
	}
}

/* A positional argument: its word, or "missing". */
int cfg_positional(struct parser *p, const struct opt *o, void *obj)
{
	int r;

	if (o->custom)
		return o->custom(p, o, obj);
	r = cfg_next_word(p);
	if (r < 0)
		return r;
	if (!r)
		return cfg_perr_at(p, 0, "missing %s", o->what);
	return cfg_arg_store(p, o, obj);
}

/* The value word after an option keyword (col stays on the keyword if none). */
int cfg_option_word(struct parser *p, const struct opt *o)
{
	char hint[64];
	int r = cfg_next_word(p);

	if (r)
		return r < 0 ? r : 0;
	return cfg_perr(p, "%s needs a value (%s)", o->word, value_hint(o, hint, sizeof(hint)));
}

/* Room for one more element in an array that grows by doubling. */
void *cfg_push(void *arrp, size_t *n, size_t elem)
{
	void **arr = arrp;
	size_t cap = *n < 4 ? 4 : *n;

	if (*n == 0 || (*n >= 4 && !(*n & (*n - 1)))) {
		void *a = realloc(*arr, (*n ? 2 * cap : cap) * elem);

		if (!a)
			return NULL;
		*arr = a;
	}
	memset((char *)*arr + *n * elem, 0, elem);
	return (char *)*arr + (*n)++ * elem;
}

int cfg_append(struct parser *p, void *arrp, size_t *n, size_t max, const void *obj, size_t size,
	       const char *what)
{
	void *slot;

	if (*n >= max)
		return cfg_perr_at(p, 0, "more than %zu %s", max, what);
	slot = cfg_push(arrp, n, size);
	if (!slot)
		return -ENOMEM;
	memcpy(slot, obj, size);
	return 0;
}

static const struct stmt *stmt_find(const char *word)
{
	for (size_t i = 0; i < qs_config_n_stmts; i++)
		if (!strcmp(qs_config_stmts[i].word, word))
			return &qs_config_stmts[i];
	return NULL;
}

static const struct opt *opt_find(const struct stmt *s, const char *word)
{
	for (size_t i = 0; i < s->n_opts; i++)
		if (!strcmp(s->opts[i].word, word))
			return &s->opts[i];
	return NULL;
}

static void join_stmt_words(const struct stmt *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; s ? i < s->n_opts : i < qs_config_n_stmts; i++) {
		const char *w = s ? s->opts[i].word : qs_config_stmts[i].word;

		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", w);
	}
}

/* Keyword value pairs, any order, each at most once unless repeatable. */
static int parse_options(struct parser *p, const struct stmt *s, void *obj)
{
	char list[256];
	int r, err;

	while ((r = cfg_next_word(p)) > 0) {
		const struct opt *o = opt_find(s, p->word);
		__u32 bit;

		if (!o && !s->n_opts)
			return cfg_perr(p, "unexpected \"%s\"", cfg_shown(p));
		if (!o) {
			join_stmt_words(s, list, sizeof(list));
			return cfg_perr(p, "unknown option \"%s\" (expected %s)", cfg_shown(p),
					list);
		}
		bit = 1u << (o - s->opts);
		if ((p->seen & bit) && !(o->flags & OPT_REPEAT))
			return cfg_perr(p, "%s given twice", o->word);
		p->seen |= bit;
		err = o->custom ? o->custom(p, o, obj) : cfg_option_word(p, o);
		if (!err && !o->custom)
			err = cfg_arg_store(p, o, obj);
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_opts; i++) {
		const struct opt *o = &s->opts[i];

		if ((o->flags & OPT_REQUIRED) && !(p->seen & (1u << i)))
			return cfg_perr_at(p, 0, "%s required (%s)", o->word,
					   value_hint(o, list, sizeof(list)));
	}
	return 0;
}

static int parse_args(struct parser *p, const struct stmt *s, void *obj)
{
	for (size_t i = 0; i < s->n_args; i++) {
		const struct opt *o = &s->args[i];
		int err = cfg_positional(p, o, obj);

		if (err)
			return err;
		/* from the object's name on, every message names the object */
		if (i == 0 && (o->type == ARG_NAME || o->type == ARG_IFNAME))
			snprintf(p->label, sizeof(p->label), "%s \"%.*s\"", s->word,
				 QS_CONFIG_NAME_MAX - 1, p->word);
	}
	return 0;
}

static int parse_statement(struct parser *p)
{
	const struct stmt *s = stmt_find(p->word);
	char list[256];
	void *obj = p->cfg;
	size_t idx;
	int err;

	if (!s) {
		join_stmt_words(NULL, list, sizeof(list));
		return cfg_perr(p, "unknown statement \"%s\" (expected %s)", cfg_shown(p), list);
	}
	idx = (size_t)(s - qs_config_stmts);
	snprintf(p->label, sizeof(p->label), "%s", s->word);
	p->seen = 0;
	if (!s->size && p->once_line[idx])
		return cfg_perr(p, "given twice (first on line %u)", p->once_line[idx]);
	/* "flow-idle 60s out of range", not "flow-idle: flow-idle 60s ..." */
	if (s->n_args == 1 && s->args[0].what && !strcmp(s->args[0].what, s->word))
		p->label[0] = '\0';
	if (!s->size) {
		p->once_line[idx] = p->lineno;
	} else {
		obj = &p->tmp;
		memset(obj, 0, sizeof(p->tmp));
		if (s->init)
			s->init(obj);
	}
	err = parse_args(p, s, obj);
	if (!err)
		err = parse_options(p, s, obj);
	if (!err && s->commit)
		err = s->commit(p, obj);
	if (err && s->discard)
		s->discard(obj);
	return err;
}

static int parse_line(struct parser *p, const char *line, size_t len)
{
	int r;

	p->label[0] = '\0';
	p->line = line;
	p->len = len;
	p->pos = 0;
	p->col = 0;
	if (len > QS_CONFIG_LINE_MAX)
		return cfg_perr_at(p, 0, "line too long (%zu bytes, at most %d)", len,
				   QS_CONFIG_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return cfg_perr_at(p, (unsigned int)i + 1, "control character 0x%02x", c);
	}
	r = cfg_next_word(p);
	if (r <= 0)
		return r; /* blank, comment only, or a word too long */
	return parse_statement(p);
}

static int parse_lines(struct parser *p, const char *text, size_t len)
{
	size_t off = 0;
	int err;

	for (p->lineno = 1; off < len; p->lineno++) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - text) - off : len - off;

		err = parse_line(p, text + off, n);
		if (err)
			return err;
		off += n + 1;
	}
	return 0;
}

static void error_init(struct qs_config_error *err, const char *name)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name ? name : "(string)");
}

int qs_config_parse_buf(const char *name, const char *text, size_t len, unsigned int flags,
			struct qs_config **out, struct qs_config_error *err)
{
	struct qs_config_error scratch;
	struct parser *p;
	int ret = -ENOMEM;

	if (!err)
		err = &scratch;
	*out = NULL;
	error_init(err, name);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->err = err;
	p->cfg = qs_config_new();
	if (!p->cfg)
		goto out_parser;
	ret = parse_lines(p, text, len);
	if (!ret) {
		p->lineno = 0;
		p->label[0] = '\0';
		ret = qs_config_assign_ids(p->cfg, NULL);
		if (ret)
			cfg_perr_at(p, 0, "no free vip id (more than %d vips)", QS_MAX_VIPS);
	}
	if (!ret && !(flags & QS_CONFIG_F_NO_CHECK))
		ret = qs_config_check(p->cfg, err);
	if (ret)
		qs_config_free(p->cfg);
	else
		*out = p->cfg;
out_parser:
	free(p);
	return ret;
}

int qs_config_parse_string(const char *name, const char *text, struct qs_config **out,
			   struct qs_config_error *err)
{
	return qs_config_parse_buf(name, text, strlen(text), 0, out, err);
}

/* The whole file, up to QS_CONFIG_FILE_MAX: -errno, or -EFBIG past it. */
static int read_all(int fd, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	ssize_t n;

	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				goto err_nomem;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_read;
		len += (size_t)n;
		if (len > QS_CONFIG_FILE_MAX) {
			free(buf);
			return -EFBIG;
		}
	} while (n > 0);
	*bufp = buf;
	*lenp = len;
	return 0;
err_read:
	n = -errno;
	free(buf);
	return (int)n;
err_nomem:
	free(buf);
	return -ENOMEM;
}

int qs_config_parse_file(const char *path, struct qs_config **out, struct qs_config_error *err)
{
	struct qs_config_error scratch;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	if (!err)
		err = &scratch;
	*out = NULL;
	error_init(err, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(-ret));
		return ret;
	}
	ret = read_all(fd, &buf, &len);
	close(fd);
	if (ret == -EFBIG)
		snprintf(err->msg, sizeof(err->msg), "file larger than %d bytes",
			 QS_CONFIG_FILE_MAX);
	else if (ret)
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(-ret));
	if (ret)
		return ret;
	ret = qs_config_parse_buf(path, buf, len, 0, out, err);
	free(buf);
	return ret;
}

const char *qs_config_error_str(const struct qs_config_error *err, char *buf, size_t size)
{
	if (err->line)
		snprintf(buf, size, "%s:%u: %s", err->file, err->line, err->msg);
	else
		snprintf(buf, size, "%s: %s", err->file, err->msg);
	return buf;
}

size_t qs_config_statement_count(void)
{
	return qs_config_n_stmts;
}

/* An option's value in the synopsis: its metavar, else its type's. */
static const char *metavar(const struct opt *o, char *buf, size_t size)
{
	static const char *const by_type[] = {
		[ARG_NAME] = "NAME",	    [ARG_IFNAME] = "IFNAME",  [ARG_PATH] = "PATH",
		[ARG_SOCK_PATH] = "PATH",   [ARG_HEAP_PATH] = "PATH", [ARG_ADDR] = "ADDRESS",
		[ARG_ANY_ADDR] = "ADDRESS", [ARG_UINT] = "N",	      [ARG_DURATION] = "DURATION",
		[ARG_MAC] = "MAC",	    [ARG_SRC6] = "ADDRESS",
	};

	if (o->metavar)
		return o->metavar;
	if (o->type == ARG_WORD || o->type == ARG_BOOL) {
		join_words(o->words, "|", buf, size);
		return buf;
	}
	return by_type[o->type];
}

int qs_config_synopsis(size_t i, char *buf, size_t size)
{
	const struct stmt *s = &qs_config_stmts[i];
	char mv[64];
	size_t n;

	if (i >= qs_config_n_stmts)
		return -ERANGE;
	n = (size_t)snprintf(buf, size, "%s", s->word);
	for (size_t a = 0; a < s->n_args && n < size; a++)
		n += (size_t)snprintf(buf + n, size - n, " %s",
				      metavar(&s->args[a], mv, sizeof(mv)));
	for (size_t a = 0; a < s->n_opts && n < size; a++) {
		const struct opt *o = &s->opts[a];
		bool req = o->flags & OPT_REQUIRED;

		if (o->flags & OPT_REFUSED)
			continue;
		n += (size_t)snprintf(buf + n, size - n, " %s%s %s%s%s", req ? "" : "[", o->word,
				      metavar(o, mv, sizeof(mv)), req ? "" : "]",
				      o->flags & OPT_REPEAT ? "..." : "");
	}
	return n < size ? 0 : -ENOSPC;
}
