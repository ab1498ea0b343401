// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libquicsteer's random connection IDs (include/quicsteer/backend.h) and
 * the random bytes of the rest of the library. QUIC-LB IDs, which the
 * router routes with no report, are quiclb.c's.
 */
#include <errno.h>
#include <sys/random.h>
#include "quicsteer/backend.h"
#include "random.h"

int qs_random_fill(void *buf, size_t len)
{
	__u8 *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno != EINTR)
			return -errno;
		p += n > 0 ? n : 0;
		len -= n > 0 ? n : 0;
	}
	return 0;
}

int qs_cid_random(void *buf, size_t len)
{
	int err;

	if (!buf || !len || len > QS_CID_MAX_LEN)
		return -EINVAL;
	err = qs_random_fill(buf, len);
	return err ? err : (int)len;
}
