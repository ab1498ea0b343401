// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * QUIC-LB configurations (docs/h3server.md, "QUIC-LB IDs"): what they
 * are, their keys, libquicsteer's generators, and rotation.
 *
 * A configuration comes from the command line (--quic-lb-config,
 * --server-id, --nonce-len, --quic-lb-mode, --quic-lb-key-file) or from a
 * line of --quic-lb-file, whose words are the same without the dashes:
 *
 *	config 2 mode aes-four-pass server-id 51a0b3 nonce-len 8 key-file /etc/qs/lb2.key
 *
 * The configurations listed, oldest first, are held by their config id.
 * A new connection takes the last one whose generator has IDs left, and
 * keeps it: every ID the connection is issued comes from it, since ngtcp2
 * wants all of a connection's IDs of the length of its first, and the
 * balancers route them all while they hold that configuration. A reload
 * (SIGHUP, --quic-lb-file) lists configurations anew: new connections go
 * to the new last one, and a configuration no longer listed stays as long
 * as a connection uses it. That is key rotation without a restart: the
 * balancers get the new configuration, the servers list it last, the old
 * one leaves the balancers once no connection uses it (the status file
 * counts them).
 *
 * Keys are read from their files under the agent's rule (util/fileio.h)
 * with libquicsteer's qs_key_read_fd, kept only to see whether a reload
 * changed them, wiped when their configuration goes, never printed.
 *
 * A generator that has made every ID its nonces allow says -ENOSPC for
 * good. The draft then wants another configuration or unroutable IDs:
 * new connections take an earlier listed configuration that has IDs left,
 * if any; a connection of the exhausted one gets IDs of its length with
 * the config bits 0b111 and the length in the low five bits, which the
 * balancers route by their tables and this server parses by that length.
 *
 * This file calls no other file of the server's, so that the unit tests
 * link it alone (tests/unit/test_h3server_quiclb.c).
 */
#define _GNU_SOURCE /* explicit_bzero */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "h3server.h"
#include "quicsteer/report.h"
#include "util/fileio.h"
#include "util/words.h"

/* Longest line of --quic-lb-file. */
#define LB_LINE_MAX 1024

static const char *const mode_names[] = {
	[QS_QUICLB_CID_PLAINTEXT] = "plaintext",
	[QS_QUICLB_CID_AES_SINGLE] = "aes-single",
	[QS_QUICLB_CID_AES_FOUR_PASS] = "aes-four-pass",
};

static int why_set(char *why, size_t size, const char *fmt, const char *arg)
{
	snprintf(why, size, fmt, arg);
	return -EINVAL;
}

int h3s_lbspec_word(struct h3s_lbspec *s, const char *word, const char *value, char *why,
		    size_t size)
{
	__u64 v;

	if (!strcmp(word, "config")) {
		if (qs_parse_u64_range(value, 0, QS_QUICLB_CONFIGS - 1, &v))
			return why_set(why, size, "\"%s\" is not 0..6", value);
		s->config_id = v;
	} else if (!strcmp(word, "server-id")) {
		if (qs_parse_hex(value, s->server_id, H3S_MAX_SID_LEN, &s->sid_len))
			return why_set(why, size, "\"%s\" is not 1..15 bytes in hex", value);
	} else if (!strcmp(word, "nonce-len")) {
		if (qs_parse_u64_range(value, QS_QUICLB_NONCE_MIN, QS_QUICLB_NONCE_MAX, &v))
			return why_set(why, size, "\"%s\" is not 4..18", value);
		s->nonce_len = v;
	} else if (!strcmp(word, "mode")) {
		for (v = QS_QUICLB_CID_PLAINTEXT; v <= QS_QUICLB_CID_AES_FOUR_PASS; v++)
			if (!strcmp(value, mode_names[v]))
				break;
		if (v > QS_QUICLB_CID_AES_FOUR_PASS)
			return why_set(why, size,
				       "\"%s\" is not plaintext, aes-single or aes-four-pass",
				       value);
		s->mode = v;
	} else if (!strcmp(word, "key-file")) {
		if (!*value || strlen(value) >= sizeof(s->key_file))
			return why_set(why, size, "\"%s\" is empty or longer than 255 bytes",
				       value);
		strcpy(s->key_file, value);
	} else {
		snprintf(why, size, "unknown word \"%s\"", word);
		return -ENOENT;
	}
	return 0;
}

/*
 * The draft's rules, as the agent's configuration applies them: lengths,
 * and the mode they and the key call for; *mode is the mode to use.
 */
int h3s_lbspec_check(const struct h3s_lbspec *s, unsigned int *mode, char *why, size_t size)
{
	bool keyed = s->key_file[0];
	unsigned int want = !keyed			    ? QS_QUICLB_CID_PLAINTEXT :
			    s->sid_len + s->nonce_len == 16 ? QS_QUICLB_CID_AES_SINGLE :
							      QS_QUICLB_CID_AES_FOUR_PASS;

	if (!s->sid_len)
		return why_set(why, size, "%s", "no server-id");
	if (!s->nonce_len)
		return why_set(why, size, "%s", "no nonce-len");
	if (s->sid_len + s->nonce_len > QS_CID_MAX_LEN - 1)
		return why_set(why, size, "%s", "server-id bytes + nonce-len over 19");
	if (s->mode && s->mode != want) {
		if (s->mode == QS_QUICLB_CID_PLAINTEXT)
			return why_set(why, size, "%s", "mode plaintext takes no key-file");
		if (!keyed)
			return why_set(why, size, "mode %s needs a key-file", mode_names[s->mode]);
		return why_set(why, size, "%s",
			       s->mode == QS_QUICLB_CID_AES_SINGLE ?
				       "mode aes-single needs server-id bytes + nonce-len = 16" :
				       "mode aes-four-pass needs server-id bytes + nonce-len other "
				       "than 16");
	}
	*mode = want;
	return 0;
}

/* One line's words into s; 0, or -EINVAL with why. */
static int lbfile_line(char *line, struct h3s_lbspec *s, char *why, size_t size)
{
	char *save = NULL, *word, *value, inner[160];
	bool has_config = false;
	unsigned int mode;

	memset(s, 0, sizeof(*s));
	for (word = strtok_r(line, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		value = strtok_r(NULL, " \t\r\n", &save);
		if (!value)
			return why_set(why, size, "\"%s\" needs a value", word);
		switch (h3s_lbspec_word(s, word, value, inner, sizeof(inner))) {
		case 0:
			break;
		case -ENOENT:
			return why_set(why, size, "%s", inner);
		default:
			snprintf(why, size, "%s: %s", word, inner);
			return -EINVAL;
		}
		has_config |= !strcmp(word, "config");
	}
	if (!has_config)
		return why_set(why, size, "%s", "no config");
	return h3s_lbspec_check(s, &mode, why, size);
}

/*
 * --quic-lb-file: a configuration a line, oldest first, at most one per
 * config id; blank lines and lines starting with # are skipped. It holds
 * no key, only key files' names: anyone may read it.
 */
int h3s_lbfile_read(const char *path, struct h3s_lbspec *specs, size_t *n, char *why, size_t size)
{
	char line[LB_LINE_MAX], inner[200];
	unsigned int lineno = 0, seen = 0;
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f) {
		snprintf(why, size, "%s", strerror(errno));
		return -errno;
	}
	*n = 0;
	while (!err && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(why, size, "line %u: longer than %d bytes", lineno,
				 LB_LINE_MAX - 2);
			err = -EINVAL;
		} else if (*p == '#' || *p == '\n' || !*p) {
			continue;
		} else if (*n == QS_QUICLB_CONFIGS) {
			snprintf(why, size, "line %u: more than 7 configurations", lineno);
			err = -EINVAL;
		} else if (lbfile_line(line, &specs[*n], inner, sizeof(inner))) {
			snprintf(why, size, "line %u: %s", lineno, inner);
			err = -EINVAL;
		} else if (seen & 1u << specs[*n].config_id) {
			snprintf(why, size, "line %u: config %u again", lineno,
				 specs[*n].config_id);
			err = -EINVAL;
		} else {
			seen |= 1u << specs[(*n)++].config_id;
		}
	}
	if (!err && ferror(f)) {
		snprintf(why, size, "%s", "read error");
		err = -EIO;
	}
	if (!err && !*n) {
		snprintf(why, size, "%s", "no configuration");
		err = -EINVAL;
	}
	fclose(f);
	return err;
}

static void lbconf_free(struct h3s_lbconf *conf)
{
	if (!conf)
		return;
	/* quicsteer: the generator wipes its keys */
	qs_quiclb_gen_free(conf->gen);
	explicit_bzero(conf, sizeof(*conf));
	free(conf);
}

/* A configuration's key from its file, under the agent's rule; why names no key. */
static int key_read(const char *path, uint8_t key[QS_QUICLB_KEY_LEN], char *why, size_t size)
{
	char inner[160];
	int fd = qs_secret_open(path, inner, sizeof(inner)), err;

	if (fd < 0) {
		snprintf(why, size, "key-file %s: %s", path, inner);
		return fd;
	}
	/* quicsteer: the agent's key-file format, 32 hex digits for AES-128 */
	err = qs_key_read_fd(fd, key, QS_QUICLB_KEY_LEN);
	close(fd);
	if (err)
		snprintf(why, size, "key-file %s: %s", path,
			 err == -EINVAL ? "not 32 hex digits" : strerror(-err));
	return err;
}

/* A configuration of spec with its generator; NULL with why. */
static struct h3s_lbconf *lbconf_new(const struct h3s_lbset *set, const struct h3s_lbspec *spec,
				     char *why, size_t size)
{
	struct h3s_lbconf *conf = calloc(1, sizeof(*conf));
	int err;

	if (!conf) {
		snprintf(why, size, "%s", strerror(ENOMEM));
		return NULL;
	}
	conf->spec = *spec;
	err = h3s_lbspec_check(spec, &conf->mode, why, size);
	if (!err && spec->key_file[0])
		err = key_read(spec->key_file, conf->key, why, size);
	if (!err) {
		QS_QUICLB_PARAMS(p, .config_id = spec->config_id, .mode = conf->mode,
				 .server_id_len = spec->sid_len, .nonce_len = spec->nonce_len,
				 .key = spec->key_file[0] ? conf->key : NULL);

		/* quicsteer: a generator for this process's worker id: no ID made twice */
		conf->gen =
			qs_quiclb_gen_new(&p, spec->server_id, set->worker_id, set->worker_bits);
		if (!conf->gen)
			snprintf(why, size, "no generator: %s", strerror(errno));
		err = conf->gen ? 0 : -EINVAL;
	}
	if (err) {
		lbconf_free(conf);
		return NULL;
	}
	return conf;
}

/* The same configuration: a reload that lists it again keeps it, and its count. */
static bool lbconf_same(const struct h3s_lbconf *a, const struct h3s_lbconf *b)
{
	return a->spec.config_id == b->spec.config_id && a->mode == b->mode &&
	       a->spec.sid_len == b->spec.sid_len && a->spec.nonce_len == b->spec.nonce_len &&
	       !memcmp(a->spec.server_id, b->spec.server_id, a->spec.sid_len) &&
	       !memcmp(a->key, b->key, sizeof(a->key));
}

/*
 * Lists specs (oldest first) as the set's configurations, all or nothing:
 * every key is read and every generator made before anything changes.
 * One that is held already and the same is kept as it is. One whose
 * config id is held with other parameters is refused while a connection
 * uses the held one (its IDs would parse with the wrong length, and the
 * balancers cannot hold both): rotate to another config id.
 */
int h3s_lb_load(struct h3s_lbset *set, const struct h3s_lbspec *specs, size_t n, char *why,
		size_t size)
{
	struct h3s_lbconf *fresh[QS_QUICLB_CONFIGS] = { 0 };
	char inner[200];
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		const struct h3s_lbconf *held = set->by_id[specs[i].config_id];

		fresh[i] = lbconf_new(set, &specs[i], inner, sizeof(inner));
		if (!fresh[i]) {
			snprintf(why, size, "config %u: %s", specs[i].config_id, inner);
			err = -EINVAL;
		} else if (held && held->users && !lbconf_same(held, fresh[i])) {
			snprintf(
				why, size,
				"config %u: changed while %u connections use it (rotate to another "
				"config id)",
				specs[i].config_id, held->users);
			err = -EBUSY;
		}
	}
	if (err) {
		for (size_t i = 0; i < n; i++)
			lbconf_free(fresh[i]);
		return err;
	}
	for (size_t k = 0; k < QS_QUICLB_CONFIGS; k++)
		if (set->by_id[k])
			set->by_id[k]->listed = false;
	for (size_t i = 0; i < n; i++) {
		struct h3s_lbconf **slot = &set->by_id[specs[i].config_id];

		if (*slot && lbconf_same(*slot, fresh[i])) {
			lbconf_free(fresh[i]);
		} else {
			lbconf_free(*slot); /* no connection uses it: checked above */
			*slot = fresh[i];
		}
		(*slot)->listed = true;
		set->order[i] = specs[i].config_id;
	}
	set->n_listed = n;
	for (size_t k = 0; k < QS_QUICLB_CONFIGS; k++)
		if (set->by_id[k] && !set->by_id[k]->listed && !set->by_id[k]->users) {
			lbconf_free(set->by_id[k]);
			set->by_id[k] = NULL;
		}
	return 0;
}

/* For a new connection: the last listed configuration with IDs left, else the last. */
struct h3s_lbconf *h3s_lb_pick(struct h3s_lbset *set)
{
	for (size_t i = set->n_listed; i-- > 0;)
		if (!set->by_id[set->order[i]]->exhausted)
			return set->by_id[set->order[i]];
	return set->n_listed ? set->by_id[set->order[set->n_listed - 1]] : NULL;
}

/* A new ID of conf's length into buf; its length or -errno. */
int h3s_lb_cid(struct h3s_lbconf *conf, uint8_t *buf)
{
	char sid[2 * H3S_MAX_SID_LEN + 1];
	int len;

	if (!conf->exhausted) {
		/* quicsteer: the next QUIC-LB ID of this configuration */
		len = qs_quiclb_gen_next(conf->gen, buf);
		if (len != -ENOSPC)
			return len;
		conf->exhausted = true;
		fprintf(stderr,
			"qs-h3server: QUIC-LB config %u (server ID %s) has made every ID its "
			"nonces "
			"allow: its connections get unroutable IDs (config bits 0b111) from now "
			"on; "
			"list a new configuration (--quic-lb-file, SIGHUP)\n",
			conf->spec.config_id,
			qs_format_hex(conf->spec.server_id, conf->spec.sid_len, sid, sizeof(sid)));
	}
	len = qs_quiclb_gen_cid_len(conf->gen);
	/* quicsteer: random bytes, then the draft's unroutable first octet, length self-described
	 */
	len = qs_cid_random(buf, len);
	if (len < 0)
		return len;
	buf[0] = QS_QUICLB_UNROUTABLE << 5 | (len - 1);
	conf->unroutable++;
	return len;
}

/*
 * The length of a short header's DCID whose first octet is first: its
 * configuration's, or an unroutable ID's own; dflt for anything else,
 * which is no ID of this server's.
 */
size_t h3s_lb_dcid_len(const struct h3s_lbset *set, uint8_t first, size_t dflt)
{
	unsigned int k = first >> 5;

	if (k == QS_QUICLB_UNROUTABLE)
		return (first & 0x1f) + 1u <= QS_CID_MAX_LEN ? (first & 0x1f) + 1u : dflt;
	return set->by_id[k] ? (size_t)qs_quiclb_gen_cid_len(set->by_id[k]->gen) : dflt;
}

void h3s_lb_hold(struct h3s_lbconf *conf)
{
	conf->users++;
}

/* A connection is done with conf: an unlisted configuration goes with its last. */
void h3s_lb_release(struct h3s_lbset *set, struct h3s_lbconf *conf)
{
	if (--conf->users || conf->listed)
		return;
	set->by_id[conf->spec.config_id] = NULL;
	lbconf_free(conf);
}

/* The status file's "quiclb" array: what is held, and by how many connections. */
void h3s_lb_status(const struct h3s_lbset *set, FILE *f)
{
	const struct h3s_lbconf *pref = NULL;
	char sid[2 * H3S_MAX_SID_LEN + 1];
	const char *sep = "";

	if (set->n_listed)
		pref = h3s_lb_pick((struct h3s_lbset *)set);
	fputc('[', f);
	for (size_t k = 0; k < QS_QUICLB_CONFIGS; k++) {
		const struct h3s_lbconf *c = set->by_id[k];

		if (!c)
			continue;
		fprintf(f,
			"%s{\"config\":%zu,\"mode\":\"%s\",\"server_id\":\"%s\",\"cid_len\":%d,"
			"\"listed\":%s,\"new_connections\":%s,\"connections\":%u,\"ids_left\":%llu,"
			"\"unroutable\":%llu}",
			sep, k, mode_names[c->mode],
			qs_format_hex(c->spec.server_id, c->spec.sid_len, sid, sizeof(sid)),
			qs_quiclb_gen_cid_len(c->gen), c->listed ? "true" : "false",
			c == pref ? "true" : "false", c->users,
			(unsigned long long)qs_quiclb_gen_left(c->gen),
			(unsigned long long)c->unroutable);
		sep = ",";
	}
	fputc(']', f);
}

void h3s_lb_free(struct h3s_lbset *set)
{
	for (size_t k = 0; k < QS_QUICLB_CONFIGS; k++) {
		lbconf_free(set->by_id[k]);
		set->by_id[k] = NULL;
	}
	set->n_listed = 0;
}
