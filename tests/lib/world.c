// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>
#include "router/maps.h"
#include "util/words.h"
#include "abi/flowhash.h"
#include "abi/quicver.h"
#include "world.h"

const char *const world_backend_addr[WORLD_BACKENDS] = {
	NULL, "198.18.1.10", "198.18.1.11", "fd00:1::12", "fd00:1::13", "198.18.1.14",
};
const uint32_t world_vip4_ring[2] = { BE_A, BE_B };
const uint32_t world_vip6_ring[2] = { BE_C6, BE_D6 };

int world_setup(struct fx *fx)
{
	struct qs_vip v4 = { .vip_id = VIP4_ID, .cid_len = WORLD_CID_LEN, .flags = QS_VIP_F_LEARN };
	struct qs_vip v6 = { .vip_id = VIP6_ID, .cid_len = WORLD_CID_LEN, .flags = QS_VIP_F_LEARN };
	int err = 0;

	err = err ?: fx_vip(fx, VIP4, VIP_PORT, &v4);
	err = err ?: fx_vip(fx, VIP6, VIP_PORT, &v6);
	for (uint32_t id = BE_A; id < WORLD_BACKENDS && !err; id++)
		err = fx_backend(fx, id, world_backend_addr[id],
				 id == BE_DRAIN ? QS_BACKEND_DRAINING : QS_BACKEND_ACTIVE);
	err = err ?: fx_maglev_round_robin(fx, VIP4_ID, world_vip4_ring, 2);
	err = err ?: fx_maglev_round_robin(fx, VIP6_ID, world_vip6_ring, 2);
	return err;
}

uint32_t world_hash(int family, const char *client, uint16_t port)
{
	struct qs_addr a;
	__u8 f;

	qs_parse_addr(client, &a, &f);
	(void)family;
	return qs_flow_hash(a.addr, htons(port));
}

uint32_t world_maglev(int family, const char *client, uint16_t port)
{
	const uint32_t *ring = family == 6 ? world_vip6_ring : world_vip4_ring;

	return ring[(world_hash(family, client, port) % QS_MAGLEV_SIZE) % 2];
}

static void world_flow_key(int family, const char *client, uint16_t port, struct qs_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	qs_parse_addr(client, &k->addr, &k->family);
	k->vip_id = family == 6 ? VIP6_ID : VIP4_ID;
	k->port = htons(port);
}

static int flow_get(int fd, int family, const char *client, uint16_t port, struct qs_flow *f)
{
	struct qs_flow_key k;

	world_flow_key(family, client, port, &k);
	return qs_flow_get(fd, &k, f);
}

static int flow_put(int fd, int family, const char *client, uint16_t port,
		    const struct qs_flow *f)
{
	struct qs_flow_key k;

	world_flow_key(family, client, port, &k);
	return qs_flow_put(fd, &k, f);
}

int world_flow_get(struct fx *fx, int family, const char *client, uint16_t port, struct qs_flow *f)
{
	return flow_get(fx->flows, family, client, port, f);
}

int world_flow_put(struct fx *fx, int family, const char *client, uint16_t port,
		   const struct qs_flow *f)
{
	return flow_put(fx->flows, family, client, port, f);
}

int world_flow_get_new(struct fx *fx, int family, const char *client, uint16_t port,
		       struct qs_flow *f)
{
	return flow_get(fx->flows_new, family, client, port, f);
}

int world_flow_put_new(struct fx *fx, int family, const char *client, uint16_t port,
		       const struct qs_flow *f)
{
	return flow_put(fx->flows_new, family, client, port, f);
}

uint32_t world_cid_tag(const char *hex)
{
	uint8_t cid[QS_CID_MAX_LEN] = { 0 };
	int n = pb_hex(hex, cid, sizeof(cid));

	return n > 0 ? qs_cid_tag(cid, n) : 0;
}

struct qs_flow world_flow_opened(uint32_t backend, const char *dcid_hex)
{
	struct qs_flow f = {
		.backend_id = backend,
		.dcid_tag = world_cid_tag(dcid_hex),
		.scid_tag = world_cid_tag(WORLD_SCID),
	};

	return f;
}

uint32_t world_sent_to(const uint8_t *out, int backend_family)
{
	char text[64];

	inet_ntop(backend_family == 6 ? AF_INET6 : AF_INET,
		  out + 14 + (backend_family == 6 ? 24 : 16), text, sizeof(text));
	for (uint32_t id = BE_A; id < WORLD_BACKENDS; id++)
		if (!strcmp(text, world_backend_addr[id]))
			return id;
	return QS_NO_BACKEND;
}

static struct pb_spec world_spec(int family, const char *client, uint16_t port,
				 const char *dcid_hex)
{
	struct pb_spec s = {
		.family = family,
		.src = client,
		.dst = family == 6 ? VIP6 : VIP4,
		.sport = port,
		.dport = VIP_PORT,
		.smac = { 0x02, 0, 0, 0, 0, 0x10 },
		.dmac = { 0x02, 0, 0, 0, 0, 0x01 },
		.version = QS_QUIC_V1,
		.first = 0x41,
	};
	int n = pb_hex(dcid_hex, s.dcid, sizeof(s.dcid));

	s.dcid_len = n < 0 ? 0 : n;
	s.scid_len = pb_hex(WORLD_SCID, s.scid, sizeof(s.scid));
	return s;
}

struct pb_spec world_initial(int family, const char *client, uint16_t port, const char *dcid_hex)
{
	struct pb_spec s = world_spec(family, client, port, dcid_hex);

	s.quic = PB_QUIC_LONG;
	s.type_bits = 0; /* v1 Initial */
	s.payload_len = 1200;
	return s;
}

struct pb_spec world_handshake(int family, const char *client, uint16_t port, const char *dcid_hex)
{
	struct pb_spec s = world_spec(family, client, port, dcid_hex);

	s.quic = PB_QUIC_LONG;
	s.type_bits = 2; /* v1 Handshake */
	s.payload_len = 80;
	return s;
}

struct pb_spec world_short(int family, const char *client, uint16_t port, const char *dcid_hex)
{
	struct pb_spec s = world_spec(family, client, port, dcid_hex);

	s.quic = PB_QUIC_SHORT;
	s.payload_len = 60;
	return s;
}
