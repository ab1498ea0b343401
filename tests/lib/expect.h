/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Expected router output, computed from the input frame by a second
 * implementation: outer headers written field by field, checksums by
 * pb_csum. Tests compare the program's output with these bytes.
 */
#ifndef QS_EXPECT_H
#define QS_EXPECT_H

#include <stddef.h>
#include <stdint.h>

struct expect_encap {
	int backend_family; /* 4 or 6 */
	const char *backend; /* outer destination */
	uint32_t flow_hash; /* qs_flow_hash of the client address and port */
};

/*
 * The frame the router must send for in (built from a spec with vlans
 * tags): fresh Ethernet header (next-hop MACs of the fixture), outer IP
 * header, the inner IP packet unchanged. Returns the length or 0.
 */
size_t expect_encap(const uint8_t *in, size_t in_len, int vlans, const struct expect_encap *e,
		    uint8_t *out);

/* Layer-2 DSR: the same frame with the fixture's next-hop MACs. */
size_t expect_l2(const uint8_t *in, size_t in_len, uint8_t *out);

/* Hex dump of the first difference, for failure messages. */
const char *expect_diff(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len);

#endif /* QS_EXPECT_H */
