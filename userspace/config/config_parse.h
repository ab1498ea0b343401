/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Inside the configuration parser: how statements and options are declared
 * (config.c holds the table: the language) and the machinery that reads
 * them (config_parse.c: words, values, messages). Not for other users.
 */
#ifndef QS_CONFIG_PARSE_H
#define QS_CONFIG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

#define SHOWN_MAX 40 /* words quoted in messages are cut to this */

struct parser;

enum arg_type {
	ARG_NAME, /* char[QS_CONFIG_NAME_MAX] */
	ARG_IFNAME, /* char[IFNAMSIZ] */
	ARG_PATH, /* char[QS_CONFIG_PATH_MAX], absolute */
	ARG_SOCK_PATH, /* char[QS_CONFIG_SUN_PATH_MAX], absolute */
	ARG_HEAP_PATH, /* char *, absolute */
	ARG_ADDR, /* struct qs_config_addr, not the unspecified address */
	ARG_ANY_ADDR, /* struct qs_config_addr, 0.0.0.0 and :: allowed */
	ARG_UINT, /* __u32 in min..max */
	ARG_DURATION, /* __u64 milliseconds in min..max */
	ARG_WORD, /* __u32 from words[] */
	ARG_BOOL, /* bool from words[] */
	ARG_MAC, /* __u8[6], unicast */
	ARG_SRC6, /* struct qs_addr, low 16 bits zero */
	ARG_CUSTOM, /* custom() reads its own words */
};

#define OPT_REQUIRED (1u << 0)
#define OPT_REPEAT (1u << 1)
#define OPT_OFF (1u << 2) /* ARG_DURATION: "off" is 0 */
/* kept only to refuse it with the reason (ARG_CUSTOM): not in the synopsis, never written */
#define OPT_REFUSED (1u << 3)

struct word_value {
	const char *word;
	__u32 value;
};

struct opt {
	const char *word; /* NULL: a positional argument */
	const char *what; /* a positional argument's name in messages */
	const char *metavar; /* the value in the synopsis; NULL: from the type */
	enum arg_type type;
	size_t offset;
	__u64 min, max;
	const struct word_value *words; /* NULL-terminated */
	const char *note; /* why the range, appended to a range error */
	unsigned int flags;
	int (*custom)(struct parser *p, const struct opt *o, void *obj);
};

struct stmt {
	const char *word;
	const struct opt *args; /* positional, in order, all required */
	size_t n_args;
	const struct opt *opts; /* keyword value pairs, any order */
	size_t n_opts;
	/* 0: a setting, written into struct qs_config, at most once per file */
	size_t size;
	void (*init)(void *obj); /* defaults */
	int (*commit)(struct parser *p, void *obj); /* own rules, then append */
	void (*discard)(void *obj); /* frees what a failed line allocated */
};

struct parser {
	struct qs_config *cfg;
	struct qs_config_error *err;
	const char *line;
	size_t len, pos;
	unsigned int lineno;
	unsigned int col; /* of the word in word[] */
	char word[QS_CONFIG_WORD_MAX + 1];
	char label[32 + QS_CONFIG_NAME_MAX]; /* `vip "web"`: messages start with it */
	char shown[SHOWN_MAX + 4];
	__u32 seen; /* options of this statement given so far, by index */
	unsigned int once_line[16]; /* settings: the line that set them */
	union {
		struct qs_config_interface ifc;
		struct qs_config_listener lis;
		struct qs_config_vip vip;
		struct qs_config_quiclb qlb;
		struct qs_config_nexthop nh;
		struct qs_config_backend be;
	} tmp;
};

/* The language: config.c. */
extern const struct stmt qs_config_stmts[];
extern const size_t qs_config_n_stmts;

/* Fills p->err (line, column, "label: message"); returns -EINVAL. */
int cfg_perr_at(struct parser *p, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define cfg_perr(p, ...) cfg_perr_at(p, (p)->col, __VA_ARGS__)
/* The current word for a message: long words are cut, never echoed whole. */
const char *cfg_shown(struct parser *p);
/* 1: a word in p->word; 0: end of line; -errno. */
int cfg_next_word(struct parser *p);
/* A positional argument (o->what names it in "missing ..."). */
int cfg_positional(struct parser *p, const struct opt *o, void *obj);
/* The value word after an option keyword: 0, or "needs a value". */
int cfg_option_word(struct parser *p, const struct opt *o);
/* Stores the word just read as o's value. */
int cfg_arg_store(struct parser *p, const struct opt *o, void *obj);
/* A new zeroed element at the end of an array that grows by doubling. */
void *cfg_push(void *arrp, size_t *n, size_t elem);
/* Appends a copy of obj, or "more than max what" at the current line. */
int cfg_append(struct parser *p, void *arrp, size_t *n, size_t max, const void *obj, size_t size,
	       const char *what);

#endif /* QS_CONFIG_PARSE_H */
