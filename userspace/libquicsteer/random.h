/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* libquicsteer's own: not exported (libquicsteer.map), not installed. */
#ifndef QS_LIBQUICSTEER_RANDOM_H
#define QS_LIBQUICSTEER_RANDOM_H

#include <stddef.h>

/* len bytes from getrandom; 0 or -errno. */
int qs_random_fill(void *buf, size_t len);

#endif /* QS_LIBQUICSTEER_RANDOM_H */
