/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The connection-ID tables as the agent writes them, the one module that
 * does: qs_cidtab (reported and the operator's IDs: the registry's sink,
 * written through mmap with plain stores, no system call per ID; the data
 * path reads it, a restarted agent gets its registry back from it) and
 * qs_learned (the data path's learned IDs, an LRU of their own, which the
 * agent only deletes from: the operator's `cid del` and `cid flush`, and a
 * sweep of the entries past their TTL). qs_cids, where versions before
 * qs_cidtab kept reported IDs whole, is only read, at a restart. All of it
 * runs on the intake thread, so that a check of an entry and the write
 * that follows never race another writer. Functions return 0 or -errno
 * unless they say otherwise.
 */
#ifndef AGENT_CIDS_H
#define AGENT_CIDS_H

#include <stdbool.h>
#include <linux/types.h>
#include "abi/abi.h"
#include "ids/cidreg.h"
#include "router/cidtab.h"
#include "sweep.h"

struct agent_cids {
	int fd; /* qs_cids: read at a restart */
	__u64 legacy_ids; /* what it held then: nothing writes it since */
	struct qs_cidtab tab; /* qs_cidtab, mmapped */
	int learned_fd; /* qs_learned */
	struct agent_sweep *sweep; /* of qs_learned */
	__u64 next_sweep_ns;
	bool sweeping;
};

int agent_cids_init(struct agent_cids *c, int fd, int tab_fd, int learned_fd, __u64 learned_ttl_ns);
void agent_cids_fini(struct agent_cids *c);
/* A new learned TTL (a reload): the sweep's age limit. */
void agent_cids_set_ttl(struct agent_cids *c, __u64 learned_ttl_ns);

/* The registry's writes: single, and batched for datagrams and purges. */
struct qs_cid_sink agent_cids_sink(struct agent_cids *c);

/* The backend and kind qs_cidtab has for key; -ENOENT. */
int agent_cids_lookup(const struct agent_cids *c, const struct qs_cid_key *key, __u32 *backend_id,
		      __u8 *kind);
/* The same in qs_learned. */
int agent_cids_learned_lookup(const struct agent_cids *c, const struct qs_cid_key *key,
			      struct qs_cid_entry *e);
/* Deletes a learned ID; -ENOENT if qs_learned has none. */
int agent_cids_learned_del(struct agent_cids *c, const struct qs_cid_key *key);

/*
 * One chunk of the sweep of qs_learned when one is due (every
 * AGENT_CIDS_SWEEP_EVERY_NS); true while a pass runs.
 */
#define AGENT_CIDS_SWEEP_EVERY_NS (10ull * 1000000000ull)
bool agent_cids_sweep_step(struct agent_cids *c, __u64 now_ns);
const struct agent_sweep_stats *agent_cids_learned_stats(const struct agent_cids *c);

/*
 * After a restart: the registry takes back what backends and the operator
 * wrote into qs_cidtab, and qs_cidtab gets qs_cids' IDs first (an upgrade
 * from a version that wrote them there).
 */
int agent_cids_restore(struct agent_cids *c, struct qs_cidreg *reg);

#endif /* AGENT_CIDS_H */
