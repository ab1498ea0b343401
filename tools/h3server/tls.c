// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TLS 1.3 for QUIC with GnuTLS: one set of credentials (the --tls-key and
 * --tls-cert pair) and a session per connection, which
 * ngtcp2_crypto_gnutls wires to the connection (secrets, handshake
 * messages, transport parameters).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include "h3server.h"

/* QUIC is TLS 1.3 only; these are the suites RFC 9001 uses. */
static const char priority[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
	"+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:"
	"%DISABLE_TLS13_COMPAT_MODE";

static const gnutls_datum_t alpn_h3 = { (unsigned char *)"h3", 2 };

int h3s_tls_init(struct h3s_server *srv)
{
	int rv;

	rv = gnutls_certificate_allocate_credentials(&srv->cred);
	if (rv)
		return -ENOMEM;
	rv = gnutls_certificate_set_x509_key_file(srv->cred, srv->opt->tls_cert, srv->opt->tls_key,
						  GNUTLS_X509_FMT_PEM);
	if (rv) {
		fprintf(stderr, "qs-h3server: --tls-key %s / --tls-cert %s: %s\n",
			srv->opt->tls_key, srv->opt->tls_cert, gnutls_strerror(rv));
		gnutls_certificate_free_credentials(srv->cred);
		srv->cred = NULL;
		return -EINVAL;
	}
	return 0;
}

void h3s_tls_free(struct h3s_server *srv)
{
	if (srv->cred)
		gnutls_certificate_free_credentials(srv->cred);
	srv->cred = NULL;
}

static ngtcp2_conn *conn_of_ref(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct h3s_conn *)ref->user_data)->conn;
}

/* A session for c, its ngtcp2_conn already made. */
int h3s_tls_session_new(struct h3s_conn *c)
{
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA))
		return -ENOMEM;
	if (gnutls_priority_set_direct(s, priority, NULL) ||
	    ngtcp2_crypto_gnutls_configure_server_session(s) ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->srv->cred) ||
	    gnutls_alpn_set_protocols(s, &alpn_h3, 1, GNUTLS_ALPN_MANDATORY)) {
		gnutls_deinit(s);
		return -EINVAL;
	}
	c->conn_ref = (ngtcp2_crypto_conn_ref){ .get_conn = conn_of_ref, .user_data = c };
	gnutls_session_set_ptr(s, &c->conn_ref);
	ngtcp2_conn_set_tls_native_handle(c->conn, s);
	c->tls = s;
	return 0;
}
