/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * qs_cids, the connection-ID table, as the agent writes it: the one module
 * that writes the map. The registry's sink (reported and the operator's
 * IDs), the expiry of learned IDs, the operator's `cid del` of a learned ID
 * and the flush of learned IDs all come through here, on the intake
 * thread, so that a check of an entry and the write that follows never
 * race another writer. Functions return 0 or -errno unless they say
 * otherwise.
 */
#ifndef AGENT_CIDS_H
#define AGENT_CIDS_H

#include <linux/types.h>
#include "abi/abi.h"
#include "ids/cidreg.h"
#include "ids/expiry.h"

struct agent_cids {
	int fd;
};

void agent_cids_init(struct agent_cids *c, int fd);

/* The registry's writes: single, and batched for datagrams and purges. */
struct qs_cid_sink agent_cids_sink(struct agent_cids *c);
/* Learned-ID expiry's check and delete (expiry.h says what it returns). */
struct qs_expiry_table agent_cids_expiry_table(struct agent_cids *c);

/* -ENOENT when the table has no entry for key. */
int agent_cids_lookup(const struct agent_cids *c, const struct qs_cid_key *key,
		      struct qs_cid_entry *e);
/* Deletes an entry the intake thread has just read as learned (cid del, a flush). */
int agent_cids_del_read(struct agent_cids *c, const struct qs_cid_key *key);

/*
 * After a restart: the registry takes back what backends and the operator
 * wrote, expiry tracks the learned entries with a deadline from now.
 */
int agent_cids_restore(struct agent_cids *c, struct qs_cidreg *reg, struct qs_expiry *x,
		       __u64 now_ns);

#endif /* AGENT_CIDS_H */
