// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * util/fileio.c's secret files (report keys): issue 11 found key files
 * read whatever they were. Each kind of file an agent must not take is
 * made for real and refused with what is wrong: a mode that lets group or
 * others in, a symbolic link to /dev/zero, a directory, a FIFO (refused
 * without blocking: nobody ever writes into it), another user's file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util/fileio.h"

static char dir[] = "/tmp/qs-secretXXXXXX";
static char path[sizeof(dir) + 16];

static void dir_make(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
}

static void dir_remove(void)
{
	char cmd[sizeof(dir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(secret_file, .init = dir_make, .fini = dir_remove, .timeout = 10);

static void file_make(mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "key\n", 4), 4);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* qs_secret_open refuses path with err, why saying want. */
static void refused(int err, const char *want)
{
	char why[160] = "";
	int fd = qs_secret_open(path, why, sizeof(why));

	cr_assert_eq(fd, err, "got %d want %d (%s)", fd, err, why);
	cr_assert(strstr(why, want), "got \"%s\" want \"%s\" in it", why, want);
}

Test(secret_file, own_regular_file_of_mode_0600_or_0400_taken)
{
	static const mode_t modes[] = { 0600, 0400, 0700 };
	char why[160] = "", buf[8] = "";

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int fd;

		file_make(modes[i]);
		fd = qs_secret_open(path, why, sizeof(why));
		cr_assert_geq(fd, 0, "mode %04o: %s", modes[i], why);
		cr_assert_eq(read(fd, buf, sizeof(buf)), 4);
		cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		close(fd);
		unlink(path);
	}
}

Test(secret_file, mode_0644_refused)
{
	file_make(0644);
	refused(-EPERM, "mode 0644: group or others may read or change it");
}

Test(secret_file, any_access_for_group_or_others_refused)
{
	static const mode_t modes[] = { 0640, 0604, 0620, 0602, 0610, 0601, 0666 };
	char why[160], want[16];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		file_make(modes[i]);
		snprintf(want, sizeof(want), "mode %04o", modes[i]);
		cr_assert_eq(qs_secret_open(path, why, sizeof(why)), -EPERM, "%s", want);
		cr_assert(strstr(why, want), "got \"%s\" want \"%s\"", why, want);
		unlink(path);
	}
}

Test(secret_file, symlink_to_dev_zero_refused)
{
	cr_assert_eq(symlink("/dev/zero", path), 0);
	refused(-EINVAL, "a character device, not a regular file");
}

Test(secret_file, directory_refused)
{
	cr_assert_eq(mkdir(path, 0700), 0);
	refused(-EINVAL, "a directory, not a regular file");
}

/* The suite's timeout fails it if the open blocks: nobody writes into the FIFO. */
Test(secret_file, fifo_refused_without_blocking)
{
	cr_assert_eq(mkfifo(path, 0600), 0);
	refused(-EINVAL, "a FIFO, not a regular file");
}

Test(secret_file, missing_file_says_so)
{
	refused(-ENOENT, "No such file or directory");
}

/* Owners on a real file take root (a chown); the rule itself holds for any uid. */
Test(secret_file, owned_by_another_uid_refused)
{
	struct stat st = { .st_mode = S_IFREG | 0600 };
	char why[160] = "";

	st.st_uid = 12345;
	cr_assert_eq(qs_secret_check(&st, 1000, why, sizeof(why)), -EPERM);
	cr_assert_str_eq(why, "owned by uid 12345, not by root or uid 1000 (this process's)");
	cr_assert_eq(qs_secret_check(&st, 0, why, sizeof(why)), -EPERM);
	cr_assert_str_eq(why, "owned by uid 12345, not by root");
	cr_assert_eq(qs_secret_check(&st, 12345, why, sizeof(why)), 0, "its owner's own");
	st.st_uid = 0;
	cr_assert_eq(qs_secret_check(&st, 1000, why, sizeof(why)), 0, "root's, for anyone");
	if (geteuid() == 0) {
		file_make(0600);
		cr_assert_eq(chown(path, 12345, 12345), 0);
		refused(-EPERM, "owned by uid 12345, not by root");
	}
}
