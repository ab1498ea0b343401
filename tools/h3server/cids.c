// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Connection IDs: libquicsteer makes them (random, or QUIC-LB plaintext
 * that the router decodes without any report), and one hash table maps
 * every live ID of every connection to it, so that a packet finds its
 * connection whichever of its IDs the client uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "h3server.h"

/* A new ID of --cid-len bytes in buf; its length or -errno. */
int h3s_cid_make(struct h3s_server *srv, uint8_t *buf)
{
	const struct h3s_options *o = srv->opt;

	if (o->cid_scheme == H3S_CID_QUICLB)
		/* quicsteer: QUIC-LB plaintext ID: config id, server ID, random nonce */
		return qs_cid_quiclb_plaintext(buf, o->quiclb_config, o->server_id, o->sid_len,
					       o->nonce_len);
	/* quicsteer: random ID of the VIP's cid-len, routed by the agent's ID table */
	return qs_cid_random(buf, o->cid_len);
}

struct h3s_conn *h3s_cid_lookup(struct h3s_server *srv, const uint8_t *data, size_t len)
{
	struct h3s_cid *e;

	if (len > NGTCP2_MAX_CIDLEN)
		return NULL;
	HASH_FIND(hh, srv->cids, data, len, e);
	return e ? e->conn : NULL;
}

/* Maps an ID to c; -EEXIST if it routes somewhere already (a collision). */
int h3s_cid_add(struct h3s_conn *c, const uint8_t *data, size_t len, enum h3s_cid_kind kind)
{
	struct h3s_server *srv = c->srv;
	struct h3s_cid *e;

	if (len > NGTCP2_MAX_CIDLEN)
		return -EINVAL;
	if (h3s_cid_lookup(srv, data, len))
		return -EEXIST;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->data, data, len);
	e->len = len;
	e->issued = kind != H3S_CID_CLIENT;
	e->conn = c;
	e->next = c->ids;
	c->ids = e;
	HASH_ADD(hh, srv->cids, data, len, e);
	if (kind == H3S_CID_ISSUED)
		srv->stats.cids_issued++;
	return 0;
}

static void cid_unlink(struct h3s_conn *c, struct h3s_cid *e)
{
	for (struct h3s_cid **p = &c->ids; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			break;
		}
	HASH_DEL(c->srv->cids, e);
	if (e->issued)
		c->srv->stats.cids_retired++;
	free(e);
}

void h3s_cid_remove(struct h3s_conn *c, const uint8_t *data, size_t len)
{
	struct h3s_cid *e;

	if (len > NGTCP2_MAX_CIDLEN)
		return;
	HASH_FIND(hh, c->srv->cids, data, len, e);
	if (e && e->conn == c)
		cid_unlink(c, e);
}

void h3s_cids_remove_all(struct h3s_conn *c)
{
	while (c->ids)
		cid_unlink(c, c->ids);
}
