// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Connection IDs: libquicsteer makes them (random, or QUIC-LB IDs that
 * the router decodes without any report: quiclb.c holds the
 * configurations), and one hash table maps every live ID of every
 * connection to it, so that a packet finds its connection whichever of
 * its IDs the client uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "h3server.h"

/*
 * The QUIC-LB configurations: the command line's, or --quic-lb-file's.
 * 0, or 2 (the exit status) after saying why.
 */
int h3s_cids_open(struct h3s_server *srv)
{
	const struct h3s_options *o = srv->opt;
	struct h3s_lbspec specs[QS_QUICLB_CONFIGS];
	size_t n = 1;
	char why[320];
	int err;

	if (o->cid_scheme != H3S_CID_QUICLB)
		return 0;
	srv->quiclb.worker_id = o->quiclb_worker;
	srv->quiclb.worker_bits = o->quiclb_worker_bits;
	specs[0] = o->quiclb;
	err = o->quiclb_file ? h3s_lbfile_read(o->quiclb_file, specs, &n, why, sizeof(why)) : 0;
	if (!err)
		err = h3s_lb_load(&srv->quiclb, specs, n, why, sizeof(why));
	if (err) {
		fprintf(stderr, "qs-h3server: %s%s%s%s\n", o->quiclb_file ? "--quic-lb-file " : "",
			o->quiclb_file ? o->quiclb_file : "", o->quiclb_file ? ": " : "", why);
		return 2;
	}
	return 0;
}

/*
 * SIGHUP: --quic-lb-file again. New connections take its last
 * configuration; connections keep theirs. A bad file changes nothing.
 */
void h3s_cids_reload(struct h3s_server *srv)
{
	const struct h3s_options *o = srv->opt;
	struct h3s_lbspec specs[QS_QUICLB_CONFIGS];
	struct h3s_lbconf *next;
	size_t n;
	char why[320];

	if (o->cid_scheme != H3S_CID_QUICLB || !o->quiclb_file) {
		fprintf(stderr, "qs-h3server: SIGHUP: nothing to read again (no --quic-lb-file)\n");
		return;
	}
	if (h3s_lbfile_read(o->quiclb_file, specs, &n, why, sizeof(why)) ||
	    h3s_lb_load(&srv->quiclb, specs, n, why, sizeof(why))) {
		fprintf(stderr,
			"qs-h3server: --quic-lb-file %s: %s; the configurations stay as they "
			"were\n",
			o->quiclb_file, why);
		return;
	}
	next = h3s_lb_pick(&srv->quiclb);
	fprintf(stderr,
		"qs-h3server: --quic-lb-file %s read: %zu configurations, new connections take "
		"config %u\n",
		o->quiclb_file, n, next->spec.config_id);
}

void h3s_cids_close(struct h3s_server *srv)
{
	h3s_lb_free(&srv->quiclb);
}

/* A new ID for c (NULL: for a new connection, or a Retry) in buf; its length or -errno. */
static int cid_make(struct h3s_server *srv, struct h3s_conn *c, uint8_t *buf)
{
	const struct h3s_options *o = srv->opt;

	if (o->cid_scheme == H3S_CID_QUICLB)
		return h3s_lb_cid(c ? c->quiclb : h3s_lb_pick(&srv->quiclb), buf);
	/* quicsteer: random ID of the VIP's cid-len, routed by the agent's ID table */
	return qs_cid_random(buf, o->cid_len);
}

/* cid_make, again while the ID routes somewhere already (short random IDs can collide). */
int h3s_cid_fresh(struct h3s_server *srv, struct h3s_conn *c, uint8_t *buf)
{
	int len = -EEXIST;

	for (int tries = 0; tries < 8 && len == -EEXIST; tries++) {
		len = cid_make(srv, c, buf);
		if (len > 0 && h3s_cid_lookup(srv, buf, len))
			len = -EEXIST;
	}
	return len;
}

/*
 * How long a short header's DCID is: --cid-len, or with QUIC-LB IDs of
 * several lengths, what the first octet's configuration says.
 */
size_t h3s_cid_short_len(struct h3s_server *srv, const uint8_t *pkt, size_t len)
{
	const struct h3s_options *o = srv->opt;
	struct h3s_lbconf *pref;

	if (o->cid_scheme != H3S_CID_QUICLB || len < 2 || (pkt[0] & 0x80))
		return o->cid_len;
	pref = h3s_lb_pick(&srv->quiclb);
	return h3s_lb_dcid_len(&srv->quiclb, pkt[1], qs_quiclb_gen_cid_len(pref->gen));
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
