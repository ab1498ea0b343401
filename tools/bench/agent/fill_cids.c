// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-bench-fill PIN N: writes N authoritative entries into the pinned ID
 * table PIN (qs_cids), 8-byte IDs spread over VIP ids 0..31 and backends
 * 1..4095, a batch of 8192 per system call: the full table that
 * tools/bench/agent/control_run asks the agent's control requests to stay cheap
 * with. The agent is stopped meanwhile and takes the entries back (as a
 * restart would) when it starts again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "abi/abi.h"

#define FILL_BATCH 8192

int main(int argc, char **argv)
{
	static struct qs_cid_key keys[FILL_BATCH];
	static struct qs_cid_entry vals[FILL_BATCH];
	unsigned long n = argc == 3 ? strtoul(argv[2], NULL, 0) : 0;
	int fd = argc == 3 ? bpf_obj_get(argv[1]) : -1;

	if (argc != 3 || !n) {
		fprintf(stderr, "usage: qs-bench-fill PIN N\n");
		return 2;
	}
	if (fd < 0) {
		fprintf(stderr, "qs-bench-fill: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < n; i += FILL_BATCH) {
		__u32 count = n - i < FILL_BATCH ? n - i : FILL_BATCH;

		for (__u32 j = 0; j < count; j++) {
			__u32 id = i + j;

			memset(&keys[j], 0, sizeof(keys[j]));
			keys[j].cid_len = 8;
			memcpy(keys[j].cid, &id, sizeof(id));
			keys[j].cid[7] = 0x5a;
			keys[j].vip_id = id % QS_MAX_VIPS;
			vals[j] = (struct qs_cid_entry){ .backend_id = 1 + id % (QS_MAX_BACKENDS - 1),
							 .kind = QS_CID_AUTHORITATIVE };
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			fprintf(stderr, "qs-bench-fill: %s: after %lu entries: %s\n", argv[1], i,
				strerror(errno));
			return 1;
		}
	}
	return 0;
}
