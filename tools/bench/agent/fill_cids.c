// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-bench-fill PIN N: writes N authoritative entries into the pinned ID
 * table PIN (qs_cidtab, through mmap, as the agent writes it), 8-byte IDs
 * spread over VIP ids 0..31 and backends 1..4095: the full table that
 * tools/bench/agent/control_run asks the agent's control requests to stay
 * cheap with. The agent is stopped meanwhile and takes the entries back
 * (as a restart would) when it starts again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "abi/abi.h"
#include "router/cidtab.h"
#include "router/maps.h"

#define FILL_VIPS 32

static void fill_key(__u32 id, struct qs_cid_key *key)
{
	__u8 cid[8] = { 0 };

	memcpy(cid, &id, sizeof(id));
	cid[7] = 0x5a;
	qs_cid_key_make(key, id % FILL_VIPS, cid, sizeof(cid));
}

int main(int argc, char **argv)
{
	unsigned long n = argc == 3 ? strtoul(argv[2], NULL, 0) : 0;
	int fd = argc == 3 ? bpf_obj_get(argv[1]) : -1;
	struct qs_cidtab t;
	int err;

	if (argc != 3 || !n) {
		fprintf(stderr, "usage: qs-bench-fill PIN N\n");
		return 2;
	}
	if (fd < 0) {
		fprintf(stderr, "qs-bench-fill: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = qs_cidtab_map(&t, fd);
	if (err) {
		fprintf(stderr, "qs-bench-fill: %s: %s\n", argv[1], strerror(-err));
		goto close_fd;
	}
	for (unsigned long i = 0; !err && i < n; i++) {
		struct qs_cid_key key;

		fill_key(i, &key);
		err = qs_cidtab_put(&t, &key, 1 + i % (QS_MAX_BACKENDS - 1), 0);
		if (err)
			fprintf(stderr, "qs-bench-fill: %s: after %lu entries: %s\n", argv[1], i,
				strerror(-err));
	}
	qs_cidtab_unmap(&t);
close_fd:
	close(fd);
	return err ? 1 : 0;
}
