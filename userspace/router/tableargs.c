// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "util/words.h"
#include "tableargs.h"

static int id_parse(const char *word, __u64 min, __u64 max, const char *what, __u32 *out,
		    char *err, size_t err_len)
{
	__u64 v;

	if (qs_parse_u64_range(word, min, max, &v)) {
		snprintf(err, err_len, "%s \"%.40s\": not an id (%llu..%llu)", what, word,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int qs_table_backend_parse(const char *word, __u32 *backend_id, char *err, size_t err_len)
{
	return id_parse(word, 1, QS_MAX_BACKENDS - 1, "backend", backend_id, err, err_len);
}

static const struct {
	const char *word;
	unsigned int kinds;
} kind_words[] = {
	{ "learned", QS_TF_LEARNED },
	{ "reported", QS_TF_REPORTED },
	{ "operator", QS_TF_OPERATOR },
	{ "all", QS_TF_ALL },
};

int qs_table_filter_parse(int argc, char **argv, int kinds, struct qs_table_filter *f, char *err,
			  size_t err_len)
{
	bool kind_given = false;

	f->vip_id = QS_MAX_VIPS;
	f->backend_id = QS_NO_BACKEND;
	f->kinds = QS_TF_ALL;
	for (int i = 0; i < argc; i++) {
		size_t k;

		for (k = 0; kinds && k < sizeof(kind_words) / sizeof(kind_words[0]); k++)
			if (!strcmp(argv[i], kind_words[k].word))
				break;
		if (kinds && k < sizeof(kind_words) / sizeof(kind_words[0]) && !kind_given) {
			f->kinds = kind_words[k].kinds;
			kind_given = true;
			continue;
		}
		if (strcmp(argv[i], "vip") && strcmp(argv[i], "backend")) {
			snprintf(err, err_len, "\"%.40s\": filters are vip ID, backend ID%s", argv[i],
				 kinds ? " and one of learned, reported, operator, all" : "");
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			snprintf(err, err_len, "%s: missing id", argv[i]);
			return -EINVAL;
		}
		if (!strcmp(argv[i], "vip") ?
			    id_parse(argv[i + 1], 0, QS_MAX_VIPS - 1, "vip", &f->vip_id, err,
				     err_len) :
			    qs_table_backend_parse(argv[i + 1], &f->backend_id, err, err_len))
			return -EINVAL;
		i++;
	}
	return 0;
}

int qs_table_cid_parse(const char *vip, const char *hex, __u32 *vip_id,
		       __u8 cid[QS_CID_MAX_LEN], size_t *len, char *err, size_t err_len)
{
	if (id_parse(vip, 0, QS_MAX_VIPS - 1, "vip", vip_id, err, err_len))
		return -EINVAL;
	if (qs_parse_hex(hex, cid, QS_CID_MAX_LEN, len)) {
		snprintf(err, err_len,
			 "cid \"%.48s\": not 1..%d bytes of hexadecimal (an even number of "
			 "digits)",
			 hex, QS_CID_MAX_LEN);
		return -EINVAL;
	}
	return 0;
}
