/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The words of the table commands (`cid add|del|lookup|flush`, `flow
 * show|flush`), read the same way by the CLI (a usage error before anything
 * is sent) and by the agent (which checks them again against its
 * configuration). Functions return 0 or -EINVAL with a message in err
 * naming the word.
 */
#ifndef QS_TABLEARGS_H
#define QS_TABLEARGS_H

#include <stddef.h>
#include <linux/types.h>
#include "abi/abi.h"

enum {
	QS_TF_LEARNED = 1 << 0,
	QS_TF_REPORTED = 1 << 1,
	QS_TF_OPERATOR = 1 << 2,
	QS_TF_ALL = QS_TF_LEARNED | QS_TF_REPORTED | QS_TF_OPERATOR,
};

struct qs_table_filter {
	__u32 vip_id; /* QS_MAX_VIPS: any */
	__u32 backend_id; /* QS_NO_BACKEND: any */
	unsigned int kinds; /* QS_TF_*; QS_TF_ALL when no kind word is given */
};

/*
 * [vip ID] [backend ID] in any order, and with kinds set, one of learned,
 * reported, operator, all.
 */
int qs_table_filter_parse(int argc, char **argv, int kinds, struct qs_table_filter *f, char *err,
			  size_t err_len);

/* A VIP id (0..QS_MAX_VIPS - 1) and 1..20 bytes of hexadecimal. */
int qs_table_cid_parse(const char *vip, const char *hex, __u32 *vip_id,
		       __u8 cid[QS_CID_MAX_LEN], size_t *len, char *err, size_t err_len);

/* A backend id, 1..QS_MAX_BACKENDS - 1. */
int qs_table_backend_parse(const char *word, __u32 *backend_id, char *err, size_t err_len);

#endif /* QS_TABLEARGS_H */
