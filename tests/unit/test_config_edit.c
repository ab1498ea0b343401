// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The text edits behind the agent's run-time changes (config/config_edit.h):
 * add, del and set of a statement, what each refuses, names that are
 * prefixes of others, values that read like keys, and every line an edit
 * does not touch kept byte for byte. An edited text that should be good is
 * parsed, since a text the parser refuses is a change the agent refuses.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "config/config.h"
#include "config/config_edit.h"

/* Comments, a blank line, a tab, a trailing comment: text as a person writes it. */
static const char base[] = "# the test balancer\n"
			   "vip web2 198.18.0.101 443 id 1\n"
			   "vip web 198.18.0.100 443 id 0 cid-len 8\n"
			   "\n"
			   "quic-lb web config 2 mode plaintext server-id-len 2 nonce-len 4\n"
			   "quic-lb web config 3 mode plaintext server-id-len 2 nonce-len 4\n"
			   "#vip old 198.18.0.99 443\n"
			   "nexthop n dev eth0 encap-source4 198.18.9.1\n"
			   "backend a2 198.18.1.12 id 3 vip web2\n"
			   "backend a\t198.18.1.10 id 1 vip web weight 1 state active # the first\n"
			   "backend b 198.18.1.11 id 2 vip web\n";

static struct qs_config *parse_ok(const char *text)
{
	struct qs_config *cfg = NULL;
	struct qs_config_error e;
	char msg[1024];
	int r = qs_config_parse_string("edited", text, &cfg, &e);

	cr_assert_eq(r, 0, "parse: got %d (%s) want 0\n%s", r,
		     qs_config_error_str(&e, msg, sizeof(msg)), text);
	return cfg;
}

/* The text with one line (which must be there) replaced, "" removing it. */
static char *with_line(const char *text, const char *line, const char *by)
{
	const char *at = strstr(text, line);
	char *out;

	cr_assert_not_null(at, "\"%s\" is not in the text", line);
	cr_assert_eq(asprintf(&out, "%.*s%s%s", (int)(at - text), text, by, at + strlen(line)),
		     (int)(strlen(text) - strlen(line) + strlen(by)));
	return out;
}

static void text_is(const char *got, const char *want)
{
	cr_assert_not_null(got);
	cr_assert_str_eq(got, want, "got\n%s\nwant\n%s", got, want);
}

/* Set succeeds, and its text is TEXT with LINE replaced by BY; the text, to free. */
static char *set_is(const char *text, const char *kind, const char *name, char *const *pairs,
		    size_t n, const char *line, const char *by)
{
	struct qs_config_error e = { 0 };
	char *out = NULL, *want;
	int r = qs_config_edit_set(text, kind, name, pairs, n, &out, &e);

	cr_assert_eq(r, 0, "%s set %s: got %d (%s) want 0", kind, name, r, e.msg);
	want = with_line(text, line, by);
	text_is(out, want);
	free(want);
	return out;
}

static void refused(int r, int want_r, char *out, const struct qs_config_error *e,
		    const char *want_msg)
{
	cr_assert_eq(r, want_r, "got %d want %d", r, want_r);
	cr_assert_null(out, "a refused edit gave a text");
	cr_assert_str_eq(e->msg, want_msg, "got \"%s\" want \"%s\"", e->msg, want_msg);
	cr_assert_eq(e->line, 0, "got line %u want 0: the text is not the caller's file", e->line);
}

Test(config_edit, find_whole_words_only)
{
	size_t start, len;

	cr_assert_eq(qs_config_edit_find(base, "vip", "web", &start, &len), 0);
	cr_assert_eq(strncmp(base + start, "vip web ", 8), 0, "got \"%.*s\" want the line of web",
		     (int)len, base + start);
	cr_assert_eq(base[start + len], '\n');
	cr_assert_eq(qs_config_edit_find(base, "vip", "we", &start, &len), -ENOENT);
	cr_assert_eq(qs_config_edit_find(base, "vip", "old", &start, &len), -ENOENT,
		     "a statement commented out was found");
	cr_assert_eq(qs_config_edit_find(base, "backend", "a", &start, &len), 0);
	cr_assert_eq(strncmp(base + start, "backend a\t", 10), 0, "got \"%.*s\" want backend a",
		     (int)len, base + start);
	cr_assert_eq(qs_config_edit_find(base, "quic-lb", "web config 3", &start, &len), 0);
	cr_assert_eq(strncmp(base + start, "quic-lb web config 3 ", 21), 0);
	cr_assert_eq(qs_config_edit_find(base, "vip", "", &start, &len), -ENOENT,
		     "an empty name matched");
}

Test(config_edit, add_appends_a_line)
{
	char *words[] = { "web3", "198.18.0.102", "443" }, *out = NULL, *want;
	struct qs_config_error e = { 0 };

	cr_assert_eq(qs_config_edit_add(base, "vip", words, 3, &out, &e), 0);
	cr_assert_eq(asprintf(&want, "%svip web3 198.18.0.102 443\n", base) > 0, 1);
	text_is(out, want);
	qs_config_free(parse_ok(out));
	free(out);
	free(want);
	/* a last line without its newline */
	cr_assert_eq(qs_config_edit_add("vip web 198.18.0.100 443", "vip", words, 3, &out, &e), 0);
	text_is(out, "vip web 198.18.0.100 443\nvip web3 198.18.0.102 443\n");
	free(out);
	cr_assert_eq(qs_config_edit_add("", "vip", words, 3, &out, &e), 0);
	text_is(out, "vip web3 198.18.0.102 443\n");
	free(out);
}

Test(config_edit, add_refuses_what_is_not_one_word)
{
	char *words[] = { "web3", "198.18.0.102", "443\nvip evil 198.18.0.103 443" }, *out = NULL;
	char *empty[] = { "web3", "", "443" };
	struct qs_config_error e = { 0 };

	refused(qs_config_edit_add(base, "vip", words, 3, &out, &e), -EINVAL, out, &e,
		"vip: \"443\nvip evil 198.18.0.103 443\" is not one word");
	refused(qs_config_edit_add(base, "vip", empty, 3, &out, &e), -EINVAL, out, &e,
		"vip: \"\" is not one word");
}

Test(config_edit, del_of_a_named_statement)
{
	struct qs_config_error e = { 0 };
	char *out = NULL, *want;

	/* web, not web2 written before it; comments and the blank line stay */
	cr_assert_eq(qs_config_edit_del(base, "backend", "a", &out, &e), 0);
	want = with_line(base,
			 "backend a\t198.18.1.10 id 1 vip web weight 1 state active # the first\n",
			 "");
	text_is(out, want);
	free(want);
	free(out);
	cr_assert_eq(qs_config_edit_del(base, "quic-lb", "web config 2", &out, &e), 0);
	want = with_line(base, "quic-lb web config 2 mode plaintext server-id-len 2 nonce-len 4\n",
			 "");
	text_is(out, want);
	qs_config_free(parse_ok(out));
	free(want);
	free(out);
	/* the last line, without its newline */
	cr_assert_eq(qs_config_edit_del("vip a 198.18.0.1 443\nvip b 198.18.0.2 443", "vip", "b",
					&out, &e),
		     0);
	text_is(out, "vip a 198.18.0.1 443\n");
	free(out);
}

Test(config_edit, del_of_a_missing_statement)
{
	struct qs_config_error e = { 0 };
	char *out = NULL;

	refused(qs_config_edit_del(base, "vip", "nosuch", &out, &e), -ENOENT, out, &e,
		"vip \"nosuch\": no such vip");
	refused(qs_config_edit_del(base, "vip", "old", &out, &e), -ENOENT, out, &e,
		"vip \"old\": no such vip");
	refused(qs_config_edit_del(base, "backend", "web", &out, &e), -ENOENT, out, &e,
		"backend \"web\": no such backend");
	refused(qs_config_edit_del(base, "quic-lb", "web config 6", &out, &e), -ENOENT, out, &e,
		"quic-lb \"web config 6\": no such quic-lb");
}

Test(config_edit, set_of_keys)
{
	char *pairs[] = { "weight", "5", "state", "draining" };
	char *vpairs[] = { "unknown", "hash", "cid-len", "12", "address-entry", "handshake" };
	char *qpairs[] = { "max-ids", "64" };
	const struct qs_config_backend *be;
	const struct qs_config_vip *vip;
	struct qs_config *cfg;
	char *out;

	/* the trailing comment stays, every other line too */
	out = set_is(base, "backend", "a", pairs, 4,
		     "backend a\t198.18.1.10 id 1 vip web weight 1 state active # the first",
		     "backend a 198.18.1.10 id 1 vip web weight 5 state draining # the first");
	cfg = parse_ok(out);
	be = qs_config_find_backend(cfg, "a");
	cr_assert_eq(be->weight, 5, "got weight %u want 5", be->weight);
	cr_assert_eq(be->state, QS_BACKEND_DRAINING, "got state %u want draining", be->state);
	cr_assert_eq(qs_config_find_backend(cfg, "b")->weight, QS_CONFIG_DEFAULT_WEIGHT);
	qs_config_free(cfg);
	free(out);
	/* a key the line did not have is added */
	out = set_is(base, "vip", "web", vpairs, 6, "vip web 198.18.0.100 443 id 0 cid-len 8\n",
		     "vip web 198.18.0.100 443 id 0 unknown hash cid-len 12 address-entry "
		     "handshake\n");
	cfg = parse_ok(out);
	vip = qs_config_find_vip(cfg, "web");
	cr_assert_eq(vip->cid_len, 12, "got cid-len %u want 12", vip->cid_len);
	cr_assert_eq(vip->unknown_policy, QS_UNKNOWN_HASH);
	cr_assert_eq(vip->address_entry, QS_ADDRESS_ENTRY_HANDSHAKE);
	cr_assert_eq(qs_config_find_vip(cfg, "web2")->address_entry, QS_ADDRESS_ENTRY_INITIAL);
	cr_assert_eq(qs_config_find_vip(cfg, "web2")->cid_len, QS_CONFIG_DEFAULT_CID_LEN);
	qs_config_free(cfg);
	free(out);
	/* a backend's quota of IDs, cut at run time */
	out = set_is(base, "backend", "b", qpairs, 2, "backend b 198.18.1.11 id 2 vip web\n",
		     "backend b 198.18.1.11 id 2 vip web max-ids 64\n");
	cfg = parse_ok(out);
	cr_assert_eq(qs_config_find_backend(cfg, "b")->max_ids, 64);
	cr_assert_eq(qs_config_find_backend(cfg, "a")->max_ids, QS_CONFIG_MAX_IDS_UNSET);
	qs_config_free(cfg);
	free(out);
}

/*
 * A backend's QUIC-LB server IDs changed at run time: the ones given
 * replace every one it had; its other options stay.
 */
Test(config_edit, set_of_server_ids)
{
	char *pairs[] = { "server-id", "web",	    "3",   "0c0d", "weight",
			  "4",	       "server-id", "web", "2",	   "0e0f" };
	const struct qs_config_backend *be;
	struct qs_config *cfg;
	char *text, *out;

	text = with_line(
		base, "backend b 198.18.1.11 id 2 vip web\n",
		"backend b 198.18.1.11 id 2 vip web server-id web 2 0a0b server-id web 3 0102\n");
	out = set_is(
		text, "backend", "b", pairs, 10,
		"backend b 198.18.1.11 id 2 vip web server-id web 2 0a0b server-id web 3 0102\n",
		"backend b 198.18.1.11 id 2 vip web server-id web 3 0c0d weight 4 server-id web 2 "
		"0e0f\n");
	cfg = parse_ok(out);
	be = qs_config_find_backend(cfg, "b");
	cr_assert_eq(be->n_server_ids, 2);
	cr_assert_eq(be->weight, 4);
	qs_config_free(cfg);
	free(out);
	free(text);
}

Test(config_edit, set_of_a_key_not_settable)
{
	char *id[] = { "id", "9" }, *name[] = { "weight", "2", "name", "x" }, *out = NULL;
	struct qs_config_error e = { 0 };

	refused(qs_config_edit_set(base, "backend", "a", id, 2, &out, &e), -EINVAL, out, &e,
		"backend \"a\": cannot set \"id\" "
		"(weight N, state active|draining|down, max-ids N, server-id VIP N HEX)");
	refused(qs_config_edit_set(base, "backend", "a", name, 4, &out, &e), -EINVAL, out, &e,
		"backend \"a\": cannot set \"name\" "
		"(weight N, state active|draining|down, max-ids N, server-id VIP N HEX)");
	refused(qs_config_edit_set(base, "vip", "web", id, 2, &out, &e), -EINVAL, out, &e,
		"vip \"web\": cannot set \"id\" (cid-len, unknown, fragments, forward, learn, "
		"address-entry)");
	refused(qs_config_edit_set(base, "quic-lb", "web config 2", id, 2, &out, &e), -EINVAL, out,
		&e, "quic-lb \"web config 2\": cannot set \"id\" (nothing is)");
	refused(qs_config_edit_set(base, "backend", "a", id, 0, &out, &e), -EINVAL, out, &e,
		"backend \"a\": nothing to set");
}

Test(config_edit, set_of_a_missing_statement)
{
	char *pairs[] = { "weight", "5" }, *vpairs[] = { "cid-len", "4" }, *out = NULL;
	struct qs_config_error e = { 0 };

	refused(qs_config_edit_set(base, "backend", "nosuch", pairs, 2, &out, &e), -ENOENT, out, &e,
		"backend \"nosuch\": no such backend");
	refused(qs_config_edit_set(base, "vip", "old", vpairs, 2, &out, &e), -ENOENT, out, &e,
		"vip \"old\": no such vip");
}

/* A name that is a prefix of another, before or after it in the text. */
Test(config_edit, set_of_a_prefix_name)
{
	char *pairs[] = { "weight", "7" };

	free(set_is(base, "backend", "a", pairs, 2,
		    "backend a\t198.18.1.10 id 1 vip web weight 1 state active # the first",
		    "backend a 198.18.1.10 id 1 vip web state active weight 7 # the first"));
	free(set_is(base, "backend", "a2", pairs, 2, "backend a2 198.18.1.12 id 3 vip web2\n",
		    "backend a2 198.18.1.12 id 3 vip web2 weight 7\n"));
}

/*
 * A name or value that reads like a key: only the option words of the
 * statement table are keys, so a VIP named "weight" or "cid-len" stays.
 */
Test(config_edit, set_keeps_values_that_read_like_keys)
{
	static const char text[] = "vip cid-len 198.18.0.100 443 cid-len 8\n"
				   "vip weight 198.18.0.101 443\n"
				   "backend state 198.18.1.10 id 1 vip weight vip cid-len weight 1 "
				   "server-id weight 0 0a0b\n";
	char *pairs[] = { "state", "down", "weight", "3" }, *vpairs[] = { "cid-len", "4" };

	free(set_is(text, "backend", "state", pairs, 4, "weight 1 server-id weight 0 0a0b\n",
		    "server-id weight 0 0a0b state down weight 3\n"));
	free(set_is(text, "vip", "cid-len", vpairs, 2, "vip cid-len 198.18.0.100 443 cid-len 8\n",
		    "vip cid-len 198.18.0.100 443 cid-len 4\n"));
}

/* The parser, not the edit, judges the values: as a file would be judged. */
Test(config_edit, set_leaves_values_to_the_parser)
{
	char *twice[] = { "weight", "2", "weight", "3" }, *bad[] = { "weight", "70000" };
	char *missing[] = { "weight" }, *out = NULL;
	struct qs_config_error e = { 0 };
	struct qs_config *cfg = NULL;

	cr_assert_eq(qs_config_edit_set(base, "backend", "b", twice, 4, &out, &e), 0);
	cr_assert_eq(qs_config_parse_string("edited", out, &cfg, &e), -EINVAL);
	cr_assert_not_null(strstr(e.msg, "weight given twice"), "got \"%s\"", e.msg);
	free(out);
	cr_assert_eq(qs_config_edit_set(base, "backend", "b", bad, 2, &out, &e), 0);
	cr_assert_eq(qs_config_parse_string("edited", out, &cfg, &e), -EINVAL);
	cr_assert_not_null(strstr(e.msg, "70000"), "got \"%s\"", e.msg);
	free(out);
	cr_assert_eq(qs_config_edit_set(base, "backend", "b", missing, 1, &out, &e), 0);
	cr_assert_eq(qs_config_parse_string("edited", out, &cfg, &e), -EINVAL);
	cr_assert_not_null(strstr(e.msg, "weight needs a value"), "got \"%s\"", e.msg);
	free(out);
}
