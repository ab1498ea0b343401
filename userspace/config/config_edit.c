// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Edits of a configuration's text (config_edit.h). A statement is found
 * by its words, never by its bytes, so a name is matched whole and a line
 * written by hand (tabs, several spaces, a comment after it) is found as
 * the writer's own. `set` walks a line with the statement table, so that a
 * value that reads like a key (a VIP named "weight") is never taken for one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_edit.h"
#include "config_parse.h"

/*
 * What a run-time change may set, by statement: a VIP's policies and a
 * backend's weight, state, quota of IDs (cut at once when its key is in
 * the wrong hands) and QUIC-LB server IDs (all of them at once: the ones
 * given replace the ones it had). Names, addresses and ids are an
 * object's identity; changing them is a del and an add.
 */
static const struct settable {
	const char *kind;
	const char *keys[6];
	const char *hint; /* for "cannot set" */
} settables[] = {
	{ "vip",
	  { "cid-len", "unknown", "fragments", "forward", "learn", "address-entry" },
	  "cid-len, unknown, fragments, forward, learn, address-entry" },
	{ "backend",
	  { "weight", "state", "max-ids", "server-id" },
	  "weight N, state active|draining|down, max-ids N, server-id VIP N HEX" },
};

static int edit_err(struct qs_config_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int edit_err(struct qs_config_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	memset(err, 0, sizeof(*err));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* The words of one line, split as cfg_next_word splits them. */
struct words {
	const char *s;
	size_t len, pos;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* false at the end of the line or at a comment (pos is then at its '#'). */
static bool word_next(struct words *w, const char **word, size_t *n)
{
	size_t start;

	while (w->pos < w->len && is_space(w->s[w->pos]))
		w->pos++;
	if (w->pos == w->len || w->s[w->pos] == '#')
		return false;
	start = w->pos;
	while (w->pos < w->len && !is_space(w->s[w->pos]))
		w->pos++;
	*word = w->s + start;
	*n = w->pos - start;
	return true;
}

static bool word_is(const char *word, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(word, s, n);
}

/* Does the line start with the word KIND and then NAME's words? An empty NAME never matches. */
static bool line_is(const char *line, size_t len, const char *kind, const char *name)
{
	struct words lw = { line, len, 0 }, nw = { name, strlen(name), 0 };
	const char *a, *b;
	size_t an, bn;

	if (!word_next(&lw, &a, &an) || !word_is(a, an, kind) || !word_next(&nw, &b, &bn))
		return false;
	do {
		if (!word_next(&lw, &a, &an) || an != bn || memcmp(a, b, an))
			return false;
	} while (word_next(&nw, &b, &bn));
	return true;
}

int qs_config_edit_find(const char *text, const char *kind, const char *name, size_t *start,
			size_t *len)
{
	size_t off = 0, n;

	while (text[off]) {
		n = strcspn(text + off, "\n");
		if (line_is(text + off, n, kind, name)) {
			*start = off;
			*len = n;
			return 0;
		}
		off += n + (text[off + n] == '\n');
	}
	return -ENOENT;
}

/*
 * Words come from a request already split: one holding white space (a
 * newline above all) would put more than one statement, or a comment,
 * into the text, and an empty one would shift the words after it.
 */
static int words_check(const char *kind, char *const *words, size_t n, struct qs_config_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!words[i][0] || words[i][strcspn(words[i], " \t\r\n")])
			return edit_err(err, -EINVAL, "%s: \"%.40s\" is not one word", kind,
					words[i]);
	return 0;
}

/* The memstream's text into *out, or -errno with *out freed. */
static int stream_done(FILE *f, char **out)
{
	int err = ferror(f) ? -ENOMEM : 0;

	if (fclose(f) && !err)
		err = -errno;
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

int qs_config_edit_add(const char *text, const char *kind, char *const *words, size_t n, char **out,
		       struct qs_config_error *err)
{
	size_t tl = strlen(text), size = 0;
	int r = words_check(kind, words, n, err);
	FILE *f;

	*out = NULL;
	if (r)
		return r;
	f = open_memstream(out, &size);
	if (!f)
		return -errno;
	/* a last line without its newline must not run into the new one */
	fprintf(f, "%s%s%s", text, tl && text[tl - 1] != '\n' ? "\n" : "", kind);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", words[i]);
	fputc('\n', f);
	return stream_done(f, out);
}

static int no_such(struct qs_config_error *err, const char *kind, const char *name)
{
	return edit_err(err, -ENOENT, "%s \"%.60s\": no such %s", kind, name, kind);
}

int qs_config_edit_del(const char *text, const char *kind, const char *name, char **out,
		       struct qs_config_error *err)
{
	size_t start, len, tl = strlen(text), next;

	*out = NULL;
	if (qs_config_edit_find(text, kind, name, &start, &len))
		return no_such(err, kind, name);
	next = start + len + (text[start + len] == '\n');
	*out = malloc(tl - (next - start) + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, text, start);
	memcpy(*out + start, text + next, tl - next + 1);
	return 0;
}

static const struct settable *settable_of(const char *kind)
{
	for (size_t i = 0; i < sizeof(settables) / sizeof(settables[0]); i++)
		if (!strcmp(settables[i].kind, kind))
			return &settables[i];
	return NULL;
}

static bool key_settable(const struct settable *s, const char *key)
{
	for (size_t i = 0; s && i < sizeof(s->keys) / sizeof(s->keys[0]) && s->keys[i]; i++)
		if (!strcmp(s->keys[i], key))
			return true;
	return false;
}

static const struct stmt *stmt_of(const char *kind)
{
	for (size_t i = 0; i < qs_config_n_stmts; i++)
		if (!strcmp(qs_config_stmts[i].word, kind))
			return &qs_config_stmts[i];
	return NULL;
}

static const struct opt *opt_of(const struct stmt *st, const char *word, size_t n)
{
	for (size_t i = 0; i < st->n_opts; i++)
		if (word_is(word, n, st->opts[i].word))
			return &st->opts[i];
	return NULL;
}

/* The words after an option's keyword: as many as its synopsis shows ("VIP CONFIG HEX"). */
static size_t opt_values(const struct opt *o)
{
	size_t n = 1;

	for (const char *p = o->metavar; p && *p; p++)
		n += *p == ' ';
	return n;
}

/* The words of the setting that starts at pairs[i]: its key and its values. */
static size_t setting_len(const struct stmt *st, char *const *pairs, size_t i)
{
	const struct opt *o = opt_of(st, pairs[i], strlen(pairs[i]));

	return 1 + (o ? opt_values(o) : 1);
}

static bool key_given(const struct stmt *st, const char *word, size_t n, char *const *pairs,
		      size_t np)
{
	for (size_t i = 0; i < np; i += setting_len(st, pairs, i))
		if (word_is(word, n, pairs[i]))
			return true;
	return false;
}

/*
 * The statement's line without the options pairs sets, the pairs after
 * it, then its comment if it had one. The positional arguments are never
 * keys, and an option's values are passed over with it.
 */
static void line_set(FILE *f, const struct stmt *st, const char *line, size_t len,
		     char *const *pairs, size_t np)
{
	struct words w = { line, len, 0 };
	const struct opt *o;
	size_t n, values = 0;
	const char *word;
	bool drop = false;

	for (size_t i = 0; word_next(&w, &word, &n); i++) {
		if (values) {
			values--;
		} else if (i > st->n_args) {
			o = opt_of(st, word, n);
			values = o ? opt_values(o) : 0;
			drop = o && key_given(st, word, n, pairs, np);
		}
		if (!drop)
			fprintf(f, "%s%.*s", i ? " " : "", (int)n, word);
	}
	for (size_t i = 0; i < np; i++)
		fprintf(f, " %s", pairs[i]);
	if (w.pos < len)
		fprintf(f, " %.*s", (int)(len - w.pos), line + w.pos);
}

int qs_config_edit_set(const char *text, const char *kind, const char *name, char *const *pairs,
		       size_t n, char **out, struct qs_config_error *err)
{
	const struct settable *s = settable_of(kind);
	const struct stmt *st = stmt_of(kind);
	size_t start, len, size = 0;
	FILE *f;
	int r;

	*out = NULL;
	if (!n)
		return edit_err(err, -EINVAL, "%s \"%.40s\": nothing to set", kind, name);
	for (size_t i = 0; i < n; i += st ? setting_len(st, pairs, i) : 2)
		if (!st || !key_settable(s, pairs[i]))
			return edit_err(err, -EINVAL, "%s \"%.40s\": cannot set \"%.40s\" (%s)",
					kind, name, pairs[i], s ? s->hint : "nothing is");
	r = words_check(kind, pairs, n, err);
	if (r)
		return r;
	if (qs_config_edit_find(text, kind, name, &start, &len))
		return no_such(err, kind, name);
	f = open_memstream(out, &size);
	if (!f)
		return -errno;
	fwrite(text, 1, start, f);
	line_set(f, st, text + start, len, pairs, n);
	fputs(text + start + len, f);
	return stream_done(f, out);
}
