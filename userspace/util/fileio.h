/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef QS_FILEIO_H
#define QS_FILEIO_H

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Writes path through write(out, ctx) into path.tmp, then renames it over
 * path, so a reader never sees half a file. 0 or -errno; on failure the
 * temporary file is removed and path is left as it was.
 */
int qs_file_replace(const char *path, void (*write)(FILE *out, void *ctx), void *ctx);

/*
 * Opens a file that holds a secret (a report key) for reading, if only
 * its owner can read or change it: a regular file (a symbolic link is
 * followed to one), owned by root or by this process's effective uid,
 * with no permission at all for group or others. Nothing else is read,
 * and what the path names is checked before it is opened: a FIFO would
 * block the caller until someone writes into it, a device (/dev/zero)
 * reads forever. Returns the descriptor (O_CLOEXEC),
 * or -errno with what is wrong in why ("mode 0644: ..."): -EINVAL not a
 * regular file, -EPERM its owner or mode, else what stat or open said.
 */
int qs_secret_open(const char *path, char *why, size_t size);

/* The rule alone, on what stat says of a file: 0, or -EINVAL or -EPERM with why. */
int qs_secret_check(const struct stat *st, uid_t euid, char *why, size_t size);

#endif /* QS_FILEIO_H */
