/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Edits of a configuration's text: the language's half of the agent's
 * run-time changes (vip, backend, nexthop and quic-lb add, del and set).
 * A change is made to the text and the whole text then goes through the
 * parser and the check, so a bad change is refused exactly as a bad file.
 *
 * Pure: text in, a new text or what is wrong out; no I/O. Every line the
 * edit does not touch (comments and blank lines among them) is kept byte
 * for byte. Words are split as the parser splits them (spaces, tabs), and
 * a word starting with '#' starts a comment.
 *
 * Each function returns 0 with *out a new text (the caller frees it), or
 * -errno with *out NULL: -ENOENT (no such statement) or -EINVAL (a request
 * the edit cannot take), both with err->msg naming the object and the
 * problem (err->line 0: the text is not the caller's file), or -ENOMEM.
 * The new text is not parsed here: whoever installs it does.
 */
#ifndef QS_CONFIG_EDIT_H
#define QS_CONFIG_EDIT_H

#include <stddef.h>
#include "config.h"

/*
 * The line of the statement KIND NAME: its offset in text and its length
 * without the newline. NAME is the statement's key, its words after KIND:
 * "web" for `vip web ...`, "web config 2" for `quic-lb web config 2 ...`.
 * Whole words only: "web" is not the line of `vip web2 ...`. The first
 * such line, or -ENOENT.
 */
int qs_config_edit_find(const char *text, const char *kind, const char *name, size_t *start,
			size_t *len);

/* A statement KIND WORDS... appended as a line of its own. */
int qs_config_edit_add(const char *text, const char *kind, char *const *words, size_t n, char **out,
		       struct qs_config_error *err);

/* The line of the statement KIND NAME goes (-ENOENT: "KIND "NAME": no such KIND"). */
int qs_config_edit_del(const char *text, const char *kind, const char *name, char **out,
		       struct qs_config_error *err);

/*
 * The statement KIND NAME with new values: pairs holds KEY VALUE words,
 * n of them. Each KEY must be one a run-time change may set on KIND (a
 * VIP's cid-len, unknown, fragments, forward, learn; a backend's weight,
 * state, max-ids), else -EINVAL. The KEY's words on the line go and the pairs are
 * appended as given, so the parser judges values, a KEY given twice and a
 * KEY without a value as it would in a file.
 */
int qs_config_edit_set(const char *text, const char *kind, const char *name, char *const *pairs,
		       size_t n, char **out, struct qs_config_error *err);

#endif /* QS_CONFIG_EDIT_H */
