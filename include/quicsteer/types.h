/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The few types a QUIC server shares with the router: an address, its
 * family, and the longest connection ID. Installed with backend.h and
 * report.h; the router's own layout (include/abi/abi.h, never installed)
 * includes this file, never the other way round, so nothing a backend
 * compiles against changes when a map's layout does.
 */
#ifndef QUICSTEER_TYPES_H
#define QUICSTEER_TYPES_H

#include <linux/types.h>

/* RFC 9000 17.2: a connection ID is at most 20 bytes. */
#define QS_CID_MAX_LEN 20

/*
 * Backend ids run from 1 to QS_MAX_BACKENDS - 1 (0 names no backend); a
 * backend's reports carry its id.
 */
#define QS_MAX_BACKENDS 4096

/* QUIC-LB (draft-ietf-quic-load-balancers): 3 config rotation bits select
 * one of 7 configurations; 0b111 marks an unroutable ID.
 */
#define QS_QUICLB_CONFIGS 7
#define QS_QUICLB_UNROUTABLE 7
#define QS_QUICLB_SID_MAX 15
#define QS_QUICLB_NONCE_MIN 4
#define QS_QUICLB_NONCE_MAX 18
#define QS_QUICLB_KEY_LEN 16

enum qs_family {
	QS_AF_NONE = 0,
	QS_AF_INET = 4,
	QS_AF_INET6 = 6,
};

/* An address in network order; IPv4 in addr[0], the rest zero. */
struct qs_addr {
	__be32 addr[4];
};

#endif /* QUICSTEER_TYPES_H */
