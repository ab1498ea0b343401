// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-h3server's rule for the paths it looks up under --dir (body.c),
 * which issue 11 found reading before its buffer: the test for a trailing
 * "/.." looked at the last three bytes of paths of one or two ("/", the
 * index page, "/a"). Each path here sits at the very start of a page whose
 * previous page cannot be read, so a read before it is a crash, not a
 * silent look at the stack (AddressSanitizer saw it there as a
 * stack-buffer-overflow in file_open).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "h3server.h"

/* path copied to the start of a page after an unreadable one. */
static const char *guarded(const char *path)
{
	static char *pages;
	long size = sysconf(_SC_PAGESIZE);

	if (!pages) {
		pages = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
		cr_assert_neq(pages, MAP_FAILED);
		cr_assert_eq(mprotect(pages, size, PROT_NONE), 0);
	}
	cr_assert_lt(strlen(path), (size_t)size);
	strcpy(pages + size, path);
	return pages + size;
}

Test(h3server_path, short_paths_read_nothing_before_the_buffer)
{
	cr_assert(h3s_path_beneath(guarded("/")), "/ is the index page");
	cr_assert(h3s_path_beneath(guarded("/a")));
	cr_assert(!h3s_path_beneath(guarded("")));
	cr_assert(!h3s_path_beneath(guarded("a")));
	cr_assert(!h3s_path_beneath(guarded("..")));
}

Test(h3server_path, dot_dot_components_refused)
{
	static const char *const refused[] = {
		"/..", "/../etc/passwd", "/a/..", "/a/../b", "/a/b/../../..", "etc/passwd",
	};
	static const char *const taken[] = {
		"/index.html", "/a/b", "/..a", "/a..", "/a/.b", "/.../x", "/a/...",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_expect(!h3s_path_beneath(guarded(refused[i])), "\"%s\" taken", refused[i]);
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		cr_expect(h3s_path_beneath(guarded(taken[i])), "\"%s\" refused", taken[i]);
}
