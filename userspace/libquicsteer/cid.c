// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libquicsteer's connection IDs (include/quicsteer/backend.h): random ones,
 * and QUIC-LB plaintext ones that the router routes with no report.
 */
#include <errno.h>
#include <string.h>
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

int qs_cid_quiclb_plaintext(void *buf, unsigned int config_id, const void *server_id,
			    size_t sid_len, size_t nonce_len)
{
	size_t len = 1 + sid_len + nonce_len;
	__u8 *p = buf;
	int err;

	/* Config 7 (0b111) is QUIC-LB's "unroutable", not a configuration. */
	if (!buf || !server_id || config_id >= QS_QUICLB_CONFIGS || sid_len < 1 ||
	    sid_len > QS_QUICLB_SID_MAX || nonce_len < QS_QUICLB_NONCE_MIN ||
	    nonce_len > QS_QUICLB_NONCE_MAX || len > QS_CID_MAX_LEN)
		return -EINVAL;
	err = qs_random_fill(p, len);
	if (err)
		return err;
	/* Bytes 1..sid_len are what route_quiclb (bpf/route.h) looks up. */
	p[0] = config_id << 5 | (p[0] & 0x1f);
	memcpy(p + 1, server_id, sid_len);
	return len;
}
