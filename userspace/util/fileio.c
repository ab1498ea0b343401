// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "fileio.h"

int qs_file_replace(const char *path, void (*write)(FILE *out, void *ctx), void *ctx)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	write(f, ctx);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		remove(tmp);
	return err;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	}
	return "of an unknown kind";
}

int qs_secret_check(const struct stat *st, uid_t euid, char *why, size_t size)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, size, "%s, not a regular file", file_kind(st->st_mode));
		return -EINVAL;
	}
	if (st->st_uid != 0 && st->st_uid != euid) {
		if (euid)
			snprintf(why, size,
				 "owned by uid %u, not by root or uid %u (this process's)",
				 (unsigned int)st->st_uid, (unsigned int)euid);
		else
			snprintf(why, size, "owned by uid %u, not by root",
				 (unsigned int)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, size, "mode %04o: group or others may read or change it (chmod 600)",
			 (unsigned int)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int secret_fail(int err, char *why, size_t size)
{
	snprintf(why, size, "%s", strerror(-err));
	return err;
}

int qs_secret_open(const char *path, char *why, size_t size)
{
	struct stat st;
	int fd, err;

	/* The rule before the open: a FIFO or a device named by path is not opened. */
	if (stat(path, &st))
		return secret_fail(-errno, why, size);
	err = qs_secret_check(&st, geteuid(), why, size);
	if (err)
		return err;
	/*
	 * Replaced since by a FIFO, the file would block a plain open:
	 * O_NONBLOCK returns at once, and the rule is applied again to what
	 * was opened.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return secret_fail(-errno, why, size);
	if (fstat(fd, &st))
		err = secret_fail(-errno, why, size);
	else
		err = qs_secret_check(&st, geteuid(), why, size);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
