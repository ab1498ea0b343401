// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-verifier-stats OBJ...: loads each BPF object (nothing pinned, nothing
 * attached) and prints every program's verified instruction count, the
 * verifier budget the program uses, beside its translated and JIT sizes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "util/log.h"

static int print_object(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	if (!obj) {
		err = -errno;
		pr_warn("%s: cannot open: %s\n", path, strerror(-err));
		return err;
	}
	bpf_object__for_each_map (map, obj)
		bpf_map__set_pin_path(map, NULL);
	err = bpf_object__load(obj);
	if (err) {
		pr_warn("%s: cannot load: %s\n", path, strerror(-err));
		goto out;
	}
	bpf_object__for_each_program (prog, obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
		if (err)
			goto out;
		printf("%-24s %-20s verified_insns %7u  xlated %6u B  jited %6u B\n", path,
		       bpf_program__name(prog), info.verified_insns, info.xlated_prog_len,
		       info.jited_prog_len);
	}
out:
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	int status = 0;

	qs_log_route_libbpf();
	for (int i = 1; i < argc; i++)
		if (print_object(argv[i]))
			status = 1;
	return status;
}
