/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The default world of the data-path tests: two VIPs, five backends, one
 * next hop, Maglev rows filled round robin so that the expected backend of
 * any client can be computed from the flow hash.
 */
#ifndef QS_TEST_WORLD_H
#define QS_TEST_WORLD_H

#include <stdint.h>
#include "fixture.h"
#include "pktbuild.h"

#define VIP4 "198.18.0.100"
#define VIP6 "fd00::100"
#define VIP_PORT 443
#define VIP4_ID 0
#define VIP6_ID 1
#define CLIENT4 "198.18.5.1"
#define CLIENT4_B "198.18.5.2"
#define CLIENT6 "fd00:5::1"
#define CLIENT6_B "fd00:5::2"
#define CLIENT_PORT 40000
#define WORLD_CID_LEN 8
#define WORLD_SCID "c1c2c3c4c5" /* the client's SCID in the world's long headers */

/* Backend ids and addresses. */
#define BE_A 1 /* 198.18.1.10 */
#define BE_B 2 /* 198.18.1.11 */
#define BE_C6 3 /* fd00:1::12 */
#define BE_D6 4 /* fd00:1::13 */
#define BE_DRAIN 5 /* 198.18.1.14, draining: in no Maglev row */
#define WORLD_BACKENDS 6 /* ids 1..5; 0 is never a backend */

extern const char *const world_backend_addr[WORLD_BACKENDS];
extern const uint32_t world_vip4_ring[2]; /* BE_A, BE_B */
extern const uint32_t world_vip6_ring[2]; /* BE_C6, BE_D6 */

int world_setup(struct fx *fx);

/* The backend Maglev gives a client of a VIP in the default world. */
uint32_t world_maglev(int family, const char *client, uint16_t port);
uint32_t world_hash(int family, const char *client, uint16_t port);

/*
 * The address entry of a client of VIP4 (family 4) or VIP6 (family 6): in
 * the established table (qs_flows_v2), or in that of entries only an
 * Initial opened (qs_flows_new, _new).
 */
int world_flow_get(struct fx *fx, int family, const char *client, uint16_t port, struct qs_flow *f);
int world_flow_put(struct fx *fx, int family, const char *client, uint16_t port,
		   const struct qs_flow *f);
int world_flow_get_new(struct fx *fx, int family, const char *client, uint16_t port,
		       struct qs_flow *f);
int world_flow_put_new(struct fx *fx, int family, const char *client, uint16_t port,
		       const struct qs_flow *f);

/*
 * An address entry for backend as the world's Initial with DCID dcid_hex
 * opens it; qs_cid_tag of an ID in hex (0 for none, as for an empty SCID).
 */
struct qs_flow world_flow_opened(uint32_t backend, const char *dcid_hex);
uint32_t world_cid_tag(const char *hex);

/* The backend a forwarded frame went to, by its outer destination. */
uint32_t world_sent_to(const uint8_t *out, int backend_family);

/* Specs: an Initial (1200-byte payload), a Handshake and a short header. */
struct pb_spec world_initial(int family, const char *client, uint16_t port, const char *dcid_hex);
struct pb_spec world_handshake(int family, const char *client, uint16_t port, const char *dcid_hex);
struct pb_spec world_short(int family, const char *client, uint16_t port, const char *dcid_hex);

#endif /* QS_TEST_WORLD_H */
