// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs-h3server's QUIC-LB configurations (tools/h3server/quiclb.c), linked
 * alone: --quic-lb-file's lines and what they refuse; the IDs of each mode
 * decoded back with libquicsteer's codec to the configuration's server
 * ID; rotation (a connection keeps the configuration its first ID came
 * from, an unlisted configuration stays until its last connection goes, a
 * configuration changed under a live connection is refused); key files
 * under the agent's rule, refused naming the file and never showing the
 * key; and a generator run dry: every ID it could make, all distinct, then
 * unroutable IDs (config bits 0b111, length self-described) of the same
 * length that the server still parses, while new connections move to an
 * earlier configuration with IDs left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "h3server.h"
#include "util/words.h"

#define KEY1 "00112233445566778899aabbccddeeff"
#define KEY2 "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

static char dir[] = "/tmp/qs-h3lbXXXXXX";
static char path[512];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* A file in dir with text and mode; its path (static: one at a time). */
static const char *file(const char *name, const char *text, mode_t mode)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

static char *keyfile(const char *name, const char *hex)
{
	return strdup(file(name, hex, 0600));
}

/* One line of --quic-lb-file into spec (it must parse). */
static void spec_of(const char *line, struct h3s_lbspec *spec)
{
	char why[200];
	size_t n;

	cr_assert_eq(h3s_lbfile_read(file("one.conf", line, 0644), spec, &n, why, sizeof(why)), 0,
		     "%s: %s", line, why);
	cr_assert_eq(n, 1);
}

/* The server ID an ID decodes to under the key in hex (NULL: plaintext). */
static void decodes_to(const uint8_t *cid, int len, const struct h3s_lbspec *s, const char *key_hex,
		       unsigned int mode)
{
	uint8_t key[QS_QUICLB_KEY_LEN], sid[QS_QUICLB_SID_MAX];
	size_t klen;
	QS_QUICLB_PARAMS(p, .config_id = s->config_id, .mode = mode, .server_id_len = s->sid_len,
			 .nonce_len = s->nonce_len, .key = key_hex ? key : NULL);
	struct qs_quiclb_codec *codec;

	if (key_hex)
		cr_assert_eq(qs_parse_hex(key_hex, key, sizeof(key), &klen), 0);
	codec = qs_quiclb_codec_new(&p);
	cr_assert_not_null(codec);
	cr_assert_eq(len, (int)(1 + s->sid_len + s->nonce_len));
	cr_assert_eq(cid[0] >> 5, s->config_id, "config bits: got %u want %u", cid[0] >> 5,
		     s->config_id);
	cr_assert_eq(qs_quiclb_decode(codec, cid, len, sid, NULL), (int)s->sid_len);
	cr_assert_arr_eq(sid, s->server_id, s->sid_len, "the ID decodes to its server ID");
	qs_quiclb_codec_free(codec);
}

TestSuite(h3server_quiclb, .init = setup, .fini = teardown);

Test(h3server_quiclb, every_mode_decodes_to_the_server_id)
{
	char *k1 = keyfile("k1", KEY1 "\n"), *k2 = keyfile("k2", KEY2);
	char line[600], why[200];
	struct h3s_lbspec specs[3];
	struct h3s_lbset set = { .worker_id = 1, .worker_bits = 2 };
	uint8_t cid[QS_CID_MAX_LEN];
	size_t n;

	snprintf(line, sizeof(line),
		 "# plaintext, single-pass, four-pass\n"
		 "config 0 server-id 5101 nonce-len 6\n\n"
		 "  config 1 server-id 5101 nonce-len 14 key-file %s\n"
		 "config 2 mode aes-four-pass server-id 51a0b3 nonce-len 8 key-file %s\n",
		 k1, k2);
	cr_assert_eq(h3s_lbfile_read(file("lb.conf", line, 0644), specs, &n, why, sizeof(why)), 0,
		     "%s", why);
	cr_assert_eq(n, 3);
	cr_assert_eq(h3s_lb_load(&set, specs, n, why, sizeof(why)), 0, "%s", why);
	for (size_t i = 0; i < n; i++) {
		struct h3s_lbconf *c = set.by_id[specs[i].config_id];
		const char *keys[] = { NULL, KEY1, KEY2 };
		unsigned int modes[] = { QS_QUICLB_CID_PLAINTEXT, QS_QUICLB_CID_AES_SINGLE,
					 QS_QUICLB_CID_AES_FOUR_PASS };

		cr_assert_not_null(c);
		cr_assert_eq(c->mode, modes[i], "config %zu: the mode its lengths and key call for",
			     i);
		for (int j = 0; j < 50; j++)
			decodes_to(cid, h3s_lb_cid(c, cid), &specs[i], keys[i], modes[i]);
		cr_assert_eq(h3s_lb_dcid_len(&set, cid[0], 99),
			     1 + specs[i].sid_len + specs[i].nonce_len);
	}
	cr_assert_eq(h3s_lb_pick(&set), set.by_id[2], "the last line takes new connections");
	cr_assert_eq(h3s_lb_dcid_len(&set, 3 << 5, 99), 99, "config 3 is not held");
	h3s_lb_free(&set);
	free(k1);
	free(k2);
}

/* The file's refusals, each naming its line. */
Test(h3server_quiclb, bad_lines)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "config 1 server-id 51 nonce-len 6 colour blue\n",
		  "line 1: unknown word \"colour\"" },
		{ "server-id 51 nonce-len 6\n", "line 1: no config" },
		{ "config 7 server-id 51 nonce-len 6\n", "line 1: config: \"7\" is not 0..6" },
		{ "config 1 nonce-len 6\n", "line 1: no server-id" },
		{ "config 1 server-id 51\n", "line 1: no nonce-len" },
		{ "config 1 server-id 51 nonce-len\n", "line 1: \"nonce-len\" needs a value" },
		{ "config 1 server-id 5152 nonce-len 18\n",
		  "line 1: server-id bytes + nonce-len over 19" },
		{ "config 1 server-id 51 nonce-len 6 mode aes-single\n",
		  "line 1: mode aes-single needs a key-file" },
		{ "config 1 server-id 51 nonce-len 6 mode plaintext key-file /k\n",
		  "line 1: mode plaintext takes no key-file" },
		{ "config 1 server-id 51 nonce-len 6 mode aes-single key-file /k\n",
		  "line 1: mode aes-single needs server-id bytes + nonce-len = 16" },
		{ "config 1 server-id 5152 nonce-len 14 mode aes-four-pass key-file /k\n",
		  "line 1: mode aes-four-pass needs server-id bytes + nonce-len other than 16" },
		{ "config 1 server-id 51 nonce-len 6 mode rot13\n",
		  "line 1: mode: \"rot13\" is not plaintext, aes-single or aes-four-pass" },
		{ "# two\nconfig 1 server-id 51 nonce-len 6\nconfig 1 server-id 52 nonce-len 6\n",
		  "line 3: config 1 again" },
		{ "# nothing\n\n", "no configuration" },
		{ "config 0 server-id 51 nonce-len 6\nconfig 1 server-id 51 nonce-len 6\n"
		  "config 2 server-id 51 nonce-len 6\nconfig 3 server-id 51 nonce-len 6\n"
		  "config 4 server-id 51 nonce-len 6\nconfig 5 server-id 51 nonce-len 6\n"
		  "config 6 server-id 51 nonce-len 6\nconfig 6 server-id 51 nonce-len 6\n",
		  "line 8: more than 7 configurations" },
	};
	struct h3s_lbspec specs[QS_QUICLB_CONFIGS];
	char why[200];
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(h3s_lbfile_read(file("bad.conf", cases[i].text, 0644), specs, &n, why,
					     sizeof(why)),
			     -EINVAL, "case %zu", i);
		cr_assert_str_eq(why, cases[i].why, "case %zu: %s", i, why);
	}
	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	cr_assert_eq(h3s_lbfile_read(path, specs, &n, why, sizeof(why)), -ENOENT);
}

/* Key files: the agent's rule, named when refused, the key never shown. */
Test(h3server_quiclb, key_files_refused)
{
	static const struct {
		const char *text;
		mode_t mode;
		const char *why;
	} cases[] = {
		{ KEY1, 0644, "mode 0644: group or others may read or change it (chmod 600)" },
		{ KEY1, 0640, "mode 0640: group or others may read or change it (chmod 600)" },
		{ "00112233", 0600, "not 32 hex digits" },
		{ KEY1 "00", 0600, "not 32 hex digits" },
	};
	struct h3s_lbset set = { 0 };
	struct h3s_lbspec spec;
	char line[600], want[700], why[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *k = strdup(file("key", cases[i].text, cases[i].mode));

		snprintf(line, sizeof(line), "config 4 server-id 51 nonce-len 6 key-file %s\n", k);
		spec_of(line, &spec);
		cr_assert_eq(h3s_lb_load(&set, &spec, 1, why, sizeof(why)) < 0, true, "case %zu",
			     i);
		snprintf(want, sizeof(want), "config 4: key-file %s: %s", k, cases[i].why);
		cr_assert_str_eq(why, want, "case %zu: %s", i, why);
		cr_assert_null(strstr(why, "00112233"), "the key's digits are never shown");
		cr_assert_null(set.by_id[4], "nothing loaded");
		free(k);
	}
}

/*
 * Rotation: connections keep their configuration; a configuration no
 * longer listed stays while one uses it; one changed under a connection
 * is refused, and the refusal changes nothing.
 */
Test(h3server_quiclb, rotation)
{
	char *k1 = keyfile("k1", KEY1), *k2 = keyfile("k2", KEY2);
	char line[600], why[300];
	struct h3s_lbspec a, b, a2, both[2];
	struct h3s_lbset set = { 0 };
	struct h3s_lbconf *ca, *cb;
	uint8_t cid[QS_CID_MAX_LEN];

	snprintf(line, sizeof(line), "config 1 server-id 5101 nonce-len 14 key-file %s\n", k1);
	spec_of(line, &a);
	snprintf(line, sizeof(line), "config 1 server-id 5101 nonce-len 14 key-file %s\n", k2);
	spec_of(line, &a2);
	snprintf(line, sizeof(line), "config 2 server-id 51a0b3 nonce-len 8 key-file %s\n", k2);
	spec_of(line, &b);
	cr_assert_eq(h3s_lb_load(&set, &a, 1, why, sizeof(why)), 0, "%s", why);
	ca = h3s_lb_pick(&set);
	h3s_lb_hold(ca); /* a connection of config 1 */
	both[0] = a;
	both[1] = b;
	cr_assert_eq(h3s_lb_load(&set, both, 2, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(set.by_id[1], ca, "config 1 listed again as it was: the same, kept");
	cb = h3s_lb_pick(&set);
	cr_assert_eq(cb->spec.config_id, 2, "new connections take the last line");
	decodes_to(cid, h3s_lb_cid(ca, cid), &a, KEY1, QS_QUICLB_CID_AES_SINGLE);
	cr_assert_eq(h3s_lb_load(&set, &b, 1, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(set.by_id[1], ca, "config 1 unlisted, still held for its connection");
	cr_assert_eq(ca->listed, false);
	cr_assert_eq(h3s_lb_dcid_len(&set, 1 << 5, 99), 17, "its IDs still parse at their length");
	decodes_to(cid, h3s_lb_cid(ca, cid), &a, KEY1, QS_QUICLB_CID_AES_SINGLE);
	cr_assert_eq(h3s_lb_load(&set, &a2, 1, why, sizeof(why)), -EBUSY);
	cr_assert_str_eq(
		why, "config 1: changed while 1 connections use it (rotate to another config id)");
	cr_assert_eq(set.by_id[2], cb, "a refused reload changes nothing");
	cr_assert_eq(h3s_lb_pick(&set), cb);
	h3s_lb_release(&set, ca);
	cr_assert_null(set.by_id[1], "gone with its last connection");
	cr_assert_eq(h3s_lb_load(&set, &a2, 1, why, sizeof(why)), 0, "unused now: %s", why);
	cr_assert_null(set.by_id[2], "config 2: unlisted and unused, gone");
	decodes_to(cid, h3s_lb_cid(h3s_lb_pick(&set), cid), &a2, KEY2, QS_QUICLB_CID_AES_SINGLE);
	h3s_lb_free(&set);
	free(k1);
	free(k2);
}

static int cid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 7);
}

/*
 * A generator run dry: a 4-byte nonce with 16 worker bits counts 65536
 * IDs, all distinct; then this configuration's connections get
 * unroutable IDs of its length, and new connections take the earlier
 * line, which has IDs left.
 */
Test(h3server_quiclb, exhausted)
{
	char *k1 = keyfile("k1", KEY1);
	char line[600], why[300];
	struct h3s_lbspec specs[2];
	struct h3s_lbset set = { .worker_id = 0xbeef, .worker_bits = 16 };
	struct h3s_lbconf *c;
	uint8_t(*ids)[7] = calloc(65536, 7), cid[QS_CID_MAX_LEN];
	size_t n;

	cr_assert_not_null(ids);
	snprintf(line, sizeof(line),
		 "config 3 server-id 51a0 nonce-len 5\n"
		 "config 5 server-id 51 nonce-len 4 key-file %s\n",
		 k1);
	cr_assert_eq(h3s_lbfile_read(file("lb.conf", line, 0644), specs, &n, why, sizeof(why)), 0);
	cr_assert_eq(h3s_lb_load(&set, specs, n, why, sizeof(why)), 0, "%s", why);
	c = h3s_lb_pick(&set);
	cr_assert_eq(c->spec.config_id, 5);
	for (size_t i = 0; i < 65536; i++) {
		cr_assert_eq(h3s_lb_cid(c, ids[i]), 6);
		ids[i][0] = 0; /* the first octet's random bits: not part of what must differ */
	}
	qsort(ids, 65536, 7, cid_cmp);
	for (size_t i = 1; i < 65536; i++)
		if (!memcmp(ids[i - 1], ids[i], 7))
			cr_assert_fail("ID %zu made twice", i);
	cr_assert_eq(c->exhausted, false);
	cr_assert_eq(h3s_lb_cid(c, cid), 6, "unroutable, of the configuration's length");
	cr_assert_eq(c->exhausted, true);
	cr_assert_eq(cid[0], 0xe0 | 5, "config bits 0b111, the length minus one: got %02x", cid[0]);
	cr_assert_eq(h3s_lb_dcid_len(&set, cid[0], 99), 6, "this server parses it at its length");
	cr_assert_eq(h3s_lb_cid(c, cid), 6);
	cr_assert_eq(c->unroutable, 2);
	cr_assert_eq(h3s_lb_pick(&set)->spec.config_id, 3, "new connections: the earlier line");
	h3s_lb_pick(&set)->exhausted = true;
	cr_assert_eq(h3s_lb_pick(&set)->spec.config_id, 5, "none with IDs left: the last line");
	cr_assert_eq(h3s_lb_dcid_len(&set, 0xe0 | 25, 99), 99, "a length over 20 is no ID of ours");
	h3s_lb_free(&set);
	free(ids);
	free(k1);
}
