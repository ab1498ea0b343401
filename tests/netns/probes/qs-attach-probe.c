// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-attach-probe PIN_DIR attach|detach IFNAME native|generic
 *
 * Drives userspace/router/attach.c for tests/netns/test-attach.sh: attach
 * loads the router through libxdp with its maps pinned under PIN_DIR and
 * exits without detaching, as an agent that stops or crashes would.
 */
#include <stdio.h>
#include <string.h>
#include "router/attach.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	struct qs_load_opts opts = { 0 };
	enum qs_xdp_mode mode;
	struct qs_router r;
	int err;

	if (argc != 5 || qs_xdp_mode_parse(argv[4], &mode)) {
		fprintf(stderr, "usage: %s PIN_DIR attach|detach IFNAME native|generic\n", argv[0]);
		return 2;
	}
	qs_log_route_libbpf();
	if (!strcmp(argv[2], "detach"))
		return qs_router_detach(argv[3], mode) ? 1 : 0;
	if (strcmp(argv[2], "attach"))
		return 2;
	opts.pin_dir = argv[1];
	err = qs_router_init(&r, &opts);
	if (!err)
		err = qs_router_attach(&r, argv[3], mode);
	qs_router_fini(&r);
	return err ? 1 : 0;
}
