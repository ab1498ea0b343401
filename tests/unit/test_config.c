// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The configuration language: the documented example lands field by field,
 * the synopses, defaults, comments and whitespace, files, configurations
 * built without a file, words, VIP ids across reloads and the diff. Every
 * error message is in test_config_errors.c. The example and the synopses are
 * read from docs/configuration.md, so the documentation cannot drift from
 * the parser: run from the repository root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "router/attach.h"
#include "config/config.h"
#include "util/words.h"
#include "config_doc.h"

#define DOC "docs/configuration.md"

static char *read_doc(void)
{
	FILE *f = fopen(DOC, "r");
	char *buf;
	long len;

	cr_assert_not_null(f, "%s: %s (run the tests from the repository root)", DOC,
			   strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len, "%s: short read", DOC);
	fclose(f);
	return buf;
}

char *config_doc_example(void)
{
	char *doc = read_doc(), *start = strstr(doc, "```conf\n"), *end;

	cr_assert_not_null(start, "%s has no ```conf block", DOC);
	start += strlen("```conf\n");
	end = strstr(start, "\n```");
	cr_assert_not_null(end, "%s: the ```conf block does not end", DOC);
	end[1] = '\0';
	memmove(doc, start, strlen(start) + 1);
	return doc;
}

static const char *err_str(const struct qs_config_error *e)
{
	static char buf[1024];

	return qs_config_error_str(e, buf, sizeof(buf));
}

static struct qs_config *parse_ok(const char *text)
{
	struct qs_config *cfg = NULL;
	struct qs_config_error e;
	int r = qs_config_parse_string("test.conf", text, &cfg, &e);

	cr_assert_eq(r, 0, "parse: got %d (%s) want 0", r, err_str(&e));
	cr_assert_not_null(cfg);
	return cfg;
}

static void addr_is(const struct qs_config_addr *a, const char *want, const char *what)
{
	char buf[64];

	cr_assert_str_eq(qs_format_addr(&a->addr, a->family, buf, sizeof(buf)), want,
			 "%s: got %s want %s", what, buf, want);
}

static void hex_is(const __u8 *bytes, size_t len, const char *want, const char *what)
{
	char buf[64];

	cr_assert_str_eq(qs_format_hex(bytes, len, buf, sizeof(buf)), want, "%s: got %s want %s",
			 what, buf, want);
}

static void example_settings(const struct qs_config *c)
{
	cr_assert_str_eq(c->pin_dir, "/sys/fs/bpf/quicsteer");
	cr_assert_str_eq(c->control_socket, "/run/quicsteer/control.sock");
	addr_is(&c->metrics_addr, "127.0.0.1", "metrics-listen");
	cr_assert_eq(c->metrics_port, 9464);
	cr_assert_eq(c->learned_ttl_ms, 30000);
	cr_assert_eq(c->flow_idle_ms, 180000);
	cr_assert_eq(c->heartbeat_timeout_ms, 5000);
	cr_assert_eq(c->report_window_ms, 20000);
	cr_assert(!c->report_accept_v1);
	cr_assert_eq(c->backend_max_ids, 524288);
	cr_assert_eq(c->n_interfaces, 2);
	cr_assert_str_eq(c->interfaces[0].name, "eth0");
	cr_assert_eq(c->interfaces[0].mode, QS_XDP_NATIVE);
	cr_assert_str_eq(c->interfaces[1].name, "eth1");
	cr_assert_eq(c->interfaces[1].mode, QS_XDP_GENERIC);
	cr_assert_eq(c->n_listeners, 3);
	cr_assert_eq(c->listeners[0].kind, QS_LISTEN_UDP);
	addr_is(&c->listeners[0].addr, "0.0.0.0", "listener 0");
	cr_assert_eq(c->listeners[0].port, 4434);
	addr_is(&c->listeners[1].addr, "::", "listener 1");
	cr_assert_eq(c->listeners[1].addr.family, QS_AF_INET6);
	cr_assert_eq(c->listeners[2].kind, QS_LISTEN_UNIX);
	cr_assert_str_eq(c->listeners[2].path, "/run/quicsteer/reports.sock");
}

static void vip_is(const struct qs_config_vip *v, const char *name, const char *addr, __u32 port,
		   __u32 id, __u32 cid_len)
{
	cr_assert_str_eq(v->name, name);
	addr_is(&v->addr, addr, name);
	cr_assert_eq(v->port, port, "vip %s port: got %u want %u", name, v->port, port);
	cr_assert_eq(v->id, id, "vip %s id: got %u want %u", name, v->id, id);
	cr_assert_eq(v->cid_len, cid_len, "vip %s cid-len: got %u want %u", name, v->cid_len,
		     cid_len);
}

static void example_vips(const struct qs_config *c)
{
	const struct qs_config_vip *v = c->vips;

	cr_assert_eq(c->n_vips, 4);
	vip_is(&v[0], "web", "192.0.2.10", 443, 0, 8);
	cr_assert(!v[0].id_explicit && v[0].learn);
	cr_assert_eq(v[0].unknown_policy, QS_UNKNOWN_DROP);
	cr_assert_eq(v[0].frag_policy, QS_FRAG_DROP);
	cr_assert_eq(v[0].fwd_mode, QS_FWD_ENCAP);
	cr_assert_eq(v[0].address_entry, QS_ADDRESS_ENTRY_INITIAL);
	vip_is(&v[1], "web-alt", "192.0.2.10", 8443, 5, 18);
	cr_assert(v[1].id_explicit && v[1].learn);
	cr_assert_eq(v[1].unknown_policy, QS_UNKNOWN_HASH);
	vip_is(&v[2], "web6", "2001:db8::10", 443, 1, QS_CONFIG_DEFAULT_CID_LEN);
	cr_assert_eq(v[2].addr.family, QS_AF_INET6);
	cr_assert_eq(v[2].address_entry, QS_ADDRESS_ENTRY_HANDSHAKE);
	vip_is(&v[3], "intranet", "198.51.100.7", 443, 2, 8);
	cr_assert_eq(v[3].fwd_mode, QS_FWD_L2DSR);
	cr_assert_eq(v[3].frag_policy, QS_FRAG_PASS);
	cr_assert(!v[3].learn);
}

static void example_quiclbs(const struct qs_config *c)
{
	const struct qs_config_quiclb *q = c->quiclbs;

	cr_assert_eq(c->n_quiclbs, 3);
	cr_assert_str_eq(q[0].vip, "web");
	cr_assert_eq(q[0].config_id, 0);
	cr_assert_eq(q[0].mode, QS_QUICLB_PLAINTEXT);
	cr_assert_eq(q[0].server_id_len, 2);
	cr_assert_eq(q[0].nonce_len, 6);
	cr_assert_str_eq(q[0].key_file, "");
	cr_assert_eq(q[1].config_id, 1);
	cr_assert_eq(q[1].mode, QS_QUICLB_AES_SINGLE);
	cr_assert_eq(q[1].server_id_len + q[1].nonce_len, 16);
	cr_assert_str_eq(q[1].key_file, "/etc/quicsteer/keys/web-lb1.key");
	/* the parser reads no key: the agent does, from the file */
	cr_assert(!q[1].has_key);
	cr_assert_str_eq(q[2].vip, "web6");
	cr_assert_eq(q[2].config_id, 2);
	cr_assert_eq(q[2].mode, QS_QUICLB_AES_FOUR_PASS);
	cr_assert_str_eq(q[2].key_file, "/etc/quicsteer/keys/web6-lb2.key");
	cr_assert_eq(qs_config_find_quiclb(c, "web", 1), &q[1]);
	cr_assert_null(qs_config_find_quiclb(c, "web", 2));
}

static void example_nexthops(const struct qs_config *c)
{
	const struct qs_config_nexthop *n = c->nexthops;
	static const __u8 zero[6];

	cr_assert_eq(c->n_nexthops, 2);
	cr_assert_str_eq(n[0].name, "core");
	cr_assert_str_eq(n[0].dev, "eth0");
	addr_is(&n[0].gateway, "192.0.2.1", "core gateway");
	cr_assert_eq(n[0].src4, inet_addr("192.0.2.32"));
	cr_assert_eq(n[0].src4_prefix_len, 28);
	addr_is(&(struct qs_config_addr){ n[0].src6, QS_AF_INET6 }, "2001:db8:0:1::", "src6");
	cr_assert_eq(n[0].ttl, 32);
	cr_assert_str_eq(n[1].name, "rack");
	cr_assert_str_eq(n[1].dev, "eth1");
	cr_assert_eq(n[1].gateway.family, QS_AF_NONE);
	cr_assert_eq(n[1].src4_prefix_len, 0);
	cr_assert_eq(n[1].ttl, QS_CONFIG_DEFAULT_TTL);
	cr_assert(!memcmp(n[1].lladdr, zero, 6));
}

static void example_backends(const struct qs_config *c)
{
	const struct qs_config_backend *b = c->backends;
	static const __u8 mac[6] = { 0x02, 0, 0, 0, 0, 0x21 };

	cr_assert_eq(c->n_backends, 5);
	cr_assert_str_eq(b[0].name, "web-1");
	addr_is(&b[0].addr, "10.0.0.11", "web-1");
	cr_assert_eq(b[0].id, 1);
	cr_assert_eq(b[0].weight, 100);
	cr_assert_eq(b[0].state, QS_BACKEND_ACTIVE);
	cr_assert_eq(b[0].n_vips, 2);
	cr_assert_str_eq(b[0].vips[0], "web");
	cr_assert_str_eq(b[0].vips[1], "web-alt");
	cr_assert_str_eq(b[0].nexthop, "core");
	cr_assert_eq(b[0].n_server_ids, 2);
	cr_assert_str_eq(b[0].server_ids[1].vip, "web");
	cr_assert_eq(b[0].server_ids[1].config_id, 1);
	hex_is(b[0].server_ids[1].sid, b[0].server_ids[1].len, "00000001", "web-1 sid 1");
	cr_assert_str_eq(b[0].key_file, "/etc/quicsteer/keys/web-1.key");
	cr_assert_eq(b[0].max_ids, QS_CONFIG_MAX_IDS_UNSET, "web-1 has no max-ids of its own");
	cr_assert_eq(qs_config_backend_max_ids(c, &b[0]), 524288);
	cr_assert_eq(b[1].state, QS_BACKEND_DRAINING);
	hex_is(b[1].server_ids[0].sid, b[1].server_ids[0].len, "0002", "web-2 sid 0");
	addr_is(&b[2].addr, "2001:db8:1::11", "web6-1");
	cr_assert_eq(b[2].addr.family, QS_AF_INET6);
	cr_assert(qs_config_backend_serves(&b[2], "web") && !qs_config_backend_serves(&b[2], "x"));
	cr_assert_eq(b[3].id, 10);
	cr_assert_eq(b[3].weight, QS_CONFIG_DEFAULT_WEIGHT);
	cr_assert(!memcmp(b[3].lladdr, mac, 6));
	cr_assert_null(b[3].key_file);
	cr_assert_eq(b[3].max_ids, 100000);
	cr_assert_eq(qs_config_backend_max_ids(c, &b[3]), 100000);
	cr_assert_eq(qs_config_backend_nexthop(c, &b[3]), &c->nexthops[1]);
	cr_assert_eq(b[4].id, QS_MAX_BACKENDS - 1);
	cr_assert_eq(b[4].weight, 0);
	cr_assert_eq(b[4].state, QS_BACKEND_DOWN);
	cr_assert_eq(qs_config_find_backend_id(c, 10), &b[3]);
	cr_assert_eq(qs_config_find_backend(c, "spare"), &b[4]);
	cr_assert_eq(b[4].line, 43, "spare's line: got %u want 43", b[4].line);
}

Test(config, documented_example_lands_field_by_field)
{
	char *text = config_doc_example();
	struct qs_config *c = parse_ok(text);

	example_settings(c);
	example_vips(c);
	example_quiclbs(c);
	example_nexthops(c);
	example_backends(c);
	qs_config_free(c);
	free(text);
}

/* docs/configuration.md shows each statement's synopsis as the table makes it. */
Test(config, every_synopsis_is_documented)
{
	char *doc = read_doc(), syn[512], line[520];

	cr_assert_eq(qs_config_statement_count(), 16);
	for (size_t i = 0; i < qs_config_statement_count(); i++) {
		cr_assert_eq(qs_config_synopsis(i, syn, sizeof(syn)), 0);
		snprintf(line, sizeof(line), "\n%s\n", syn);
		cr_assert_not_null(strstr(doc, line), "%s lacks the synopsis line \"%s\"", DOC,
				   syn);
	}
	cr_assert_eq(qs_config_synopsis(16, syn, sizeof(syn)), -ERANGE);
	cr_assert_eq(qs_config_synopsis(8, syn, 10), -ENOSPC);
	free(doc);
}

Test(config, empty_file_is_all_defaults)
{
	struct qs_config *c = parse_ok("");

	cr_assert_str_eq(c->pin_dir, QS_CONFIG_DEFAULT_PIN_DIR);
	cr_assert_str_eq(c->control_socket, QS_CONFIG_DEFAULT_CONTROL_SOCKET);
	cr_assert_eq(c->metrics_addr.family, QS_AF_NONE);
	cr_assert_eq(c->learned_ttl_ms, 30000);
	cr_assert_eq(c->flow_idle_ms, 120000);
	cr_assert_eq(c->heartbeat_timeout_ms, 10000);
	cr_assert_eq(c->sync_timeout_ms, 65000);
	cr_assert_eq(c->report_window_ms, 30000);
	cr_assert(!c->report_accept_v1, "version 1 taken by default");
	cr_assert_eq(c->backend_max_ids, QS_CID_TABLE_SIZE / 4, "backend-max-ids: got %u want %u",
		     c->backend_max_ids, QS_CID_TABLE_SIZE / 4);
	cr_assert(!c->n_vips && !c->n_backends && !c->n_interfaces && !c->n_listeners);
	qs_config_free(c);
	c = parse_ok("heartbeat-timeout off\nflow-idle 120s\nlearned-ttl 100ms\n"
		     "report-window 1s\nreport-accept-v1 on\nsync-timeout 2m\n");
	cr_assert_eq(c->heartbeat_timeout_ms, 0);
	cr_assert_eq(c->sync_timeout_ms, 120000);
	cr_assert_eq(c->flow_idle_ms, 120000);
	cr_assert_eq(c->learned_ttl_ms, 100);
	cr_assert_eq(c->report_window_ms, 1000);
	cr_assert(c->report_accept_v1);
	qs_config_free(c);
}

Test(config, comments_blanks_tabs_and_trailing_space)
{
	struct qs_config *c =
		parse_ok("# a comment\n"
			 "\n"
			 "   \t \n"
			 "\t# indented comment\n"
			 "vip\tweb \t192.0.2.1  443\t cid-len 4   # trailing comment\n"
			 "nexthop n dev eth0 encap-source4 10.1.0.0/16 \t \n"
			 "backend b1 10.0.0.1 id 7 vip web key-file /etc/k#1\r\n"
			 "interface eth0\r\n"
			 "interface eth1#x");

	cr_assert_eq(c->n_vips, 1);
	cr_assert_eq(c->vips[0].cid_len, 4);
	cr_assert_eq(c->vips[0].line, 5);
	cr_assert_eq(c->nexthops[0].src4_prefix_len, 16);
	cr_assert_str_eq(c->backends[0].key_file, "/etc/k#1", "a # inside a word is the word's");
	cr_assert_eq(c->backends[0].line, 7);
	cr_assert_str_eq(c->interfaces[0].name, "eth0", "a CR is whitespace");
	cr_assert_str_eq(c->interfaces[1].name, "eth1#x");
	qs_config_free(c);
}

Test(config, parse_error_leaves_out_null)
{
	struct qs_config *c = (struct qs_config *)&c;
	struct qs_config_error e;

	cr_assert_eq(qs_config_parse_string("t", "vip web 192.0.2.1 443\nbogus\n", &c, &e),
		     -EINVAL);
	cr_assert_null(c, "a failed parse must return no configuration");
	c = (struct qs_config *)&c;
	cr_assert_eq(qs_config_parse_string("t", "backend b 10.0.0.1 id 1 vip nope\n", &c, &e),
		     -EINVAL);
	cr_assert_null(c, "a failed check must return no configuration");
	c = (struct qs_config *)&c;
	cr_assert_eq(qs_config_parse_file("/nonexistent/quicsteer.conf", &c, &e), -ENOENT);
	cr_assert_null(c);
	cr_assert_str_eq(err_str(&e), "/nonexistent/quicsteer.conf: cannot open: No such file or "
				      "directory");
}

#define V "vip web 192.0.2.1 443\n"
#define Q "quic-lb web config 0 mode plaintext server-id-len 2 nonce-len 6\n"
#define N "nexthop n dev eth0 encap-source4 10.1.0.0/16 encap-source6 2001:db8:1::\n"

Test(config, parse_file_reads_and_names_the_file)
{
	char path[] = "/tmp/qs-config-XXXXXX", want[600];
	struct qs_config *cfg = NULL;
	struct qs_config_error e;
	static const char text[] = "vip web 192.0.2.1 443\nvip web2 192.0.2.1 444 cid-len 30\n";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, text, 22), 22); /* the first line */
	cr_assert_eq(qs_config_parse_file(path, &cfg, &e), 0, "%s", err_str(&e));
	cr_assert_eq(cfg->n_vips, 1);
	qs_config_free(cfg);
	cr_assert_eq(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	cr_assert_eq(qs_config_parse_file(path, &cfg, &e), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: vip \"web2\": cid-len 30 out of range (0..20)", path);
	cr_assert_str_eq(err_str(&e), want);
	cr_assert_eq(e.column, 32);
	/* past the size limit: refused before anything is parsed */
	cr_assert_eq(ftruncate(fd, QS_CONFIG_FILE_MAX + 1), 0);
	cr_assert_eq(qs_config_parse_file(path, &cfg, &e), -EFBIG);
	cr_assert_null(cfg);
	snprintf(want, sizeof(want), "%s: file larger than 16777216 bytes", path);
	cr_assert_str_eq(err_str(&e), want);
	close(fd);
	unlink(path);
	cr_assert_eq(qs_config_parse_file("/", &cfg, &e), -EISDIR);
	cr_assert_str_eq(err_str(&e), "/: cannot read: Is a directory");
}

Test(config, error_without_a_line)
{
	struct qs_config_error e = { .file = "control", .line = 0, .msg = "backend \"b\": x" };
	char buf[64];

	cr_assert_str_eq(qs_config_error_str(&e, buf, sizeof(buf)), "control: backend \"b\": x");
	e.line = 7;
	cr_assert_str_eq(qs_config_error_str(&e, buf, sizeof(buf)), "control:7: backend \"b\": x");
}

/* Configurations built by the control socket come from no file. */
Test(config, check_of_a_built_configuration)
{
	struct qs_config *cfg = qs_config_new();
	struct qs_config_vip *v;
	struct qs_config_error e = { .file = "control" };

	cr_assert_not_null(cfg);
	cr_assert_eq(qs_config_check(cfg, &e), 0, "%s", err_str(&e));
	v = calloc(1, sizeof(*v));
	cr_assert_not_null(v);
	snprintf(v->name, sizeof(v->name), "web");
	cr_assert_eq(qs_parse_addr("192.0.2.1", &v->addr.addr, &v->addr.family), 0);
	v->port = 443;
	v->cid_len = 8;
	v->id = QS_CONFIG_ID_NONE;
	cfg->vips = v;
	cfg->n_vips = 1;
	cr_assert_eq(qs_config_check(cfg, &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "control: vip \"web\": no id assigned");
	cr_assert_eq(qs_config_assign_ids(cfg, NULL), 0);
	cr_assert_eq(v->id, 0);
	cr_assert_eq(qs_config_check(cfg, &e), 0, "%s", err_str(&e));
	v->cid_len = 21;
	cr_assert_eq(qs_config_check(cfg, &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "control: vip \"web\": cid-len 21 out of range (0..20)");
	v->cid_len = 8;
	cfg->flow_idle_ms = 60000;
	cr_assert_eq(qs_config_check(cfg, &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "control: flow-idle out of range (120s..24h; RFC 9312)");
	qs_config_free(cfg);
}

/* One CLI command's line names objects defined elsewhere. */
Test(config, fragment_skips_the_rules_across_objects)
{
	static const char line[] = "backend b 10.0.0.1 id 3 vip web server-id web 0 0001";
	struct qs_config *cfg;
	struct qs_config_error e;

	cr_assert_eq(qs_config_parse_buf("cli", line, strlen(line), QS_CONFIG_F_NO_CHECK, &cfg, &e),
		     0, "%s", err_str(&e));
	cr_assert_eq(cfg->n_backends, 1);
	cr_assert_eq(cfg->backends[0].id, 3);
	qs_config_free(cfg);
	cr_assert_eq(qs_config_parse_string("cli", line, &cfg, &e), -EINVAL);
	/* the rules of the object alone still apply */
	cr_assert_eq(qs_config_parse_buf("cli", "backend b 10.0.0.1", 18, QS_CONFIG_F_NO_CHECK,
					 &cfg, &e),
		     -EINVAL);
	cr_assert_str_eq(err_str(&e), "cli:1: backend \"b\": id required (1..4095)");
}

Test(config, words)
{
	__u8 mac[6], hex[4];
	__u64 v;
	size_t len;
	char buf[32];

	cr_assert_eq(qs_parse_duration("500ms", &v), 0);
	cr_assert_eq(v, 500);
	cr_assert_eq(qs_parse_duration("2m", &v), 0);
	cr_assert_eq(v, 120000);
	cr_assert_eq(qs_parse_duration("1h", &v), 0);
	cr_assert_eq(v, 3600000);
	cr_assert_eq(qs_parse_duration("30", &v), -EINVAL);
	cr_assert_eq(qs_parse_duration("s", &v), -EINVAL);
	cr_assert_eq(qs_parse_duration("1.5s", &v), -EINVAL);
	cr_assert_eq(qs_parse_duration("-1s", &v), -EINVAL);
	cr_assert_eq(qs_parse_duration("30S", &v), -EINVAL);
	cr_assert_eq(qs_parse_duration("9999999999999999h", &v), -ERANGE);
	cr_assert_str_eq(qs_format_duration(120000, buf, sizeof(buf)), "120s");
	cr_assert_str_eq(qs_format_duration(86400000, buf, sizeof(buf)), "24h");
	cr_assert_str_eq(qs_format_duration(1500, buf, sizeof(buf)), "1500ms");
	cr_assert_str_eq(qs_format_duration(0, buf, sizeof(buf)), "0s");
	cr_assert_eq(qs_parse_u64("18446744073709551616", &v), -ERANGE);
	cr_assert_eq(qs_parse_u64("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(qs_parse_u64("", &v), -EINVAL);
	cr_assert_eq(qs_parse_mac("02:AB:cd:00:00:01", mac), 0);
	cr_assert(mac[1] == 0xab && mac[2] == 0xcd && mac[5] == 1);
	cr_assert_eq(qs_parse_mac("02:ab:cd:00:00:01:", mac), -EINVAL);
	cr_assert_eq(qs_parse_mac("02-ab-cd-00-00-01", mac), -EINVAL);
	cr_assert_eq(qs_parse_mac("2:ab:cd:00:00:01", mac), -EINVAL);
	cr_assert_eq(qs_parse_hex("0A0b", hex, sizeof(hex), &len), 0);
	cr_assert(len == 2 && hex[0] == 10 && hex[1] == 11);
	cr_assert_eq(qs_parse_hex("0102030405", hex, sizeof(hex), &len), -ERANGE);
	cr_assert_eq(qs_parse_hex("0x01", hex, sizeof(hex), &len), -EINVAL);
	cr_assert_null(qs_config_name_problem("web-1_a.b"));
	cr_assert_not_null(qs_config_name_problem(""));
	cr_assert_null(qs_config_ifname_problem("enp1s0f0.100"));
	cr_assert_not_null(qs_config_ifname_problem(".."));
}

/* Generated documents: limits that need many objects. */
static struct qs_config *parse_nocheck(const char *text)
{
	struct qs_config *cfg;
	struct qs_config_error e;
	int r = qs_config_parse_buf("t", text, strlen(text), QS_CONFIG_F_NO_CHECK, &cfg, &e);

	cr_assert_eq(r, 0, "%s", err_str(&e));
	return cfg;
}

Test(config, vip_ids_stay_put_across_reloads)
{
	struct qs_config *old = parse_ok("vip web 192.0.2.1 443\n"
					 "vip api 192.0.2.1 8443\n"
					 "vip old 192.0.2.9 443\n");
	struct qs_config *new = parse_ok("vip fresh 192.0.2.7 443\n" /* inserted first */
					 "vip api 192.0.2.1 8443\n"
					 "vip renamed 192.0.2.9 443\n" /* old, renamed */
					 "vip web 192.0.2.1 443\n"
					 "vip pinned 192.0.2.8 443 id 3\n");

	cr_assert_eq(old->vips[0].id, 0);
	cr_assert_eq(old->vips[1].id, 1);
	cr_assert_eq(old->vips[2].id, 2);
	/* alone, the new file numbers in its own order */
	cr_assert_eq(new->vips[0].id, 0);
	cr_assert_eq(qs_config_assign_ids(new, old), 0);
	cr_assert_eq(qs_config_find_vip(new, "web")->id, 0, "web moved");
	cr_assert_eq(qs_config_find_vip(new, "api")->id, 1, "api moved");
	cr_assert_eq(qs_config_find_vip(new, "renamed")->id, 2,
		     "a renamed VIP keeps its address' id");
	cr_assert_eq(qs_config_find_vip(new, "pinned")->id, 3);
	cr_assert_eq(qs_config_find_vip(new, "fresh")->id, 4, "a new VIP takes the lowest free id");
	cr_assert_null(qs_config_find_vip(new, "old"));
	qs_config_free(new);

	/* an explicit id wins over an id a VIP had before */
	new = parse_ok("vip api 192.0.2.1 8443\nvip taker 192.0.2.5 443 id 1\n");
	cr_assert_eq(qs_config_assign_ids(new, old), 0);
	cr_assert_eq(new->vips[1].id, 1);
	cr_assert_eq(new->vips[0].id, 0, "api's old id is taken: lowest free");
	qs_config_free(new);
	qs_config_free(old);
}

Test(config, no_free_vip_id)
{
	struct qs_config *cfg = parse_nocheck("vip a 192.0.2.1 443\n");
	struct qs_config_vip *v = realloc(cfg->vips, (QS_MAX_VIPS + 1) * sizeof(*v));

	cr_assert_not_null(v);
	cfg->vips = v;
	for (unsigned int i = 1; i <= QS_MAX_VIPS; i++) {
		v[i] = v[0];
		v[i].port = 1000 + i;
		v[i].id_explicit = true;
		v[i].id = i - 1;
	}
	cfg->n_vips = QS_MAX_VIPS + 1;
	cr_assert_eq(qs_config_assign_ids(cfg, NULL), -ENOSPC);
	cr_assert_eq(v[0].id, QS_CONFIG_ID_NONE);
	qs_config_free(cfg);
}

static const struct qs_config_delta *delta_of(const struct qs_config_diff *d, __u32 kind,
					      const char *name)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct qs_config_delta *x = &d->deltas[i];
		const void *obj = x->new ? x->new : x->old;

		/* every kind here starts with its name */
		if (x->kind == kind && !strcmp((const char *)obj, name))
			return x;
	}
	return NULL;
}

#define DIFF_BASE                                                          \
	"interface eth0\nreport-listen udp :: 4434\n" V Q N                \
	"backend b1 10.0.0.1 id 1 vip web weight 5 server-id web 0 0001\n" \
	"backend b2 10.0.0.2 id 2 vip web\n"

Test(config, diff_lists_what_changed)
{
	struct qs_config *old = parse_ok(DIFF_BASE "vip api 192.0.2.1 8443\n"
						   "backend b3 10.0.0.3 id 3 vip web vip api\n");
	struct qs_config *same = parse_ok("# reordered, same objects\n"
					  "vip api 192.0.2.1 8443\n" DIFF_BASE
					  "backend b3 10.0.0.3 id 3 vip api vip web\n");
	struct qs_config *new = parse_ok("interface eth0 mode generic\nflow-idle 5m\n"
					 "report-listen udp :: 4434\n" V Q N
					 "backend b1 10.0.0.1 id 1 vip web weight 6 "
					 "server-id web 0 0001\n"
					 "backend b2 10.0.0.2 id 2 vip web\n"
					 "backend b4 10.0.0.4 id 4 vip web\n");
	struct qs_config_diff d;

	cr_assert_eq(qs_config_assign_ids(same, old), 0);
	cr_assert_eq(qs_config_diff(old, same, &d), 0);
	cr_assert_eq(d.n, 0, "a reordered file differs in %zu objects", d.n);
	cr_assert(!d.settings_changed);
	qs_config_diff_free(&d);

	cr_assert_eq(qs_config_assign_ids(new, old), 0);
	cr_assert_eq(qs_config_diff(old, new, &d), 0);
	cr_assert(d.settings_changed, "flow-idle changed");
	cr_assert_eq(d.n, 5, "got %zu deltas want 5", d.n);
	cr_assert_eq(delta_of(&d, QS_CK_INTERFACE, "eth0")->change, QS_CHANGE_MOD);
	cr_assert_eq(delta_of(&d, QS_CK_VIP, "api")->change, QS_CHANGE_DEL);
	cr_assert_eq(delta_of(&d, QS_CK_BACKEND, "b3")->change, QS_CHANGE_DEL);
	cr_assert_eq(delta_of(&d, QS_CK_BACKEND, "b1")->change, QS_CHANGE_MOD);
	cr_assert_eq(
		((const struct qs_config_backend *)delta_of(&d, QS_CK_BACKEND, "b1")->new)->weight,
		6);
	cr_assert_eq(delta_of(&d, QS_CK_BACKEND, "b4")->change, QS_CHANGE_ADD);
	cr_assert_null(delta_of(&d, QS_CK_BACKEND, "b4")->old);
	cr_assert_null(delta_of(&d, QS_CK_VIP, "web"), "web did not change");
	/* in enum order; DELs before ADDs and MODs within a kind */
	for (size_t i = 1; i < d.n; i++)
		cr_assert(d.deltas[i - 1].kind < d.deltas[i].kind ||
				  (d.deltas[i - 1].kind == d.deltas[i].kind &&
				   (d.deltas[i - 1].change == QS_CHANGE_DEL ||
				    d.deltas[i].change != QS_CHANGE_DEL)),
			  "delta %zu out of order", i);
	qs_config_diff_free(&d);
	cr_assert_null(d.deltas);
	qs_config_free(new);
	qs_config_free(same);
	qs_config_free(old);
}

/* address-entry is a VIP's option like the others: a change of it is the VIP's change. */
Test(config, address_entry_change_is_a_vip_change)
{
	struct qs_config *old = parse_ok("vip web 192.0.2.1 443\nvip api 192.0.2.1 8443\n");
	struct qs_config *new = parse_ok("vip web 192.0.2.1 443 address-entry handshake\n"
					 "vip api 192.0.2.1 8443 address-entry initial\n");
	struct qs_config_error e = { 0 };
	struct qs_config_diff d;

	cr_assert_eq(qs_config_assign_ids(new, old), 0);
	cr_assert_eq(qs_config_diff(old, new, &d), 0);
	cr_assert_eq(d.n, 1, "got %zu deltas want 1", d.n);
	cr_assert_eq(delta_of(&d, QS_CK_VIP, "web")->change, QS_CHANGE_MOD);
	qs_config_diff_free(&d);
	qs_config_free(new);
	qs_config_free(old);
	old = NULL;
	cr_assert_neq(qs_config_parse_string("t", "vip web 192.0.2.1 443 address-entry later\n",
					     &old, &e),
		      0);
	cr_assert_null(old);
	cr_assert(strstr(e.msg, "address-entry") && strstr(e.msg, "later"), "got \"%s\"", e.msg);
}

/* What a reload of these quota lines changes: a setting, one backend, or nothing. */
static void quota_diff(const struct qs_config *old, const char *text, bool settings,
		       const char *modified)
{
	struct qs_config *new = parse_ok(text);
	struct qs_config_diff d;

	cr_assert_eq(qs_config_assign_ids(new, old), 0);
	cr_assert_eq(qs_config_diff(old, new, &d), 0);
	cr_assert_eq(d.settings_changed, settings, "%s: settings changed: got %d want %d", text,
		     d.settings_changed, settings);
	cr_assert_eq(d.n, modified ? 1 : 0, "%s: got %zu deltas want %d", text, d.n,
		     modified ? 1 : 0);
	if (modified)
		cr_assert_eq(delta_of(&d, QS_CK_BACKEND, modified)->change, QS_CHANGE_MOD);
	qs_config_diff_free(&d);
	qs_config_free(new);
}

#define QUOTA_B1 "backend b1 10.0.0.1 id 1 vip web\n"
#define QUOTA_B2(n) "backend b2 10.0.0.2 id 2 vip web max-ids " n "\n"

/*
 * backend-max-ids is every backend's quota but for a backend's own
 * max-ids, which stays what it says when the setting changes; both take
 * 0 and the table's size, nothing past it.
 */
Test(config, max_ids_follow_the_setting_unless_a_backend_says)
{
	struct qs_config *c = parse_ok("backend-max-ids 1000\n" V N QUOTA_B1 QUOTA_B2("5"));

	cr_assert_eq(c->backend_max_ids, 1000);
	cr_assert_eq(c->backends[0].max_ids, QS_CONFIG_MAX_IDS_UNSET);
	cr_assert_eq(qs_config_backend_max_ids(c, &c->backends[0]), 1000);
	cr_assert_eq(qs_config_backend_max_ids(c, &c->backends[1]), 5);
	quota_diff(c, "backend-max-ids 1000\n" V N QUOTA_B1 QUOTA_B2("5"), false, NULL);
	/* b1 follows the setting: the setting changed, no backend did */
	quota_diff(c, "backend-max-ids 2000\n" V N QUOTA_B1 QUOTA_B2("5"), true, NULL);
	quota_diff(c, "backend-max-ids 1000\n" V N QUOTA_B1 QUOTA_B2("6"), false, "b2");
	/* the same number written on b1 is not following the setting any more */
	quota_diff(c,
		   "backend-max-ids 1000\n" V N
		   "backend b1 10.0.0.1 id 1 vip web max-ids 1000\n" QUOTA_B2("5"),
		   false, "b1");
	qs_config_free(c);
	c = parse_ok("backend-max-ids 0\n" V N QUOTA_B1 QUOTA_B2("2097152"));
	cr_assert_eq(qs_config_backend_max_ids(c, &c->backends[0]), 0);
	cr_assert_eq(qs_config_backend_max_ids(c, &c->backends[1]), QS_CID_TABLE_SIZE);
	/* a configuration built in code (the control socket's) is checked too */
	c->backends[1].max_ids = QS_CID_TABLE_SIZE + 1;
	cr_assert_eq(qs_config_check(c, NULL), -EINVAL, "max-ids past the table passed the check");
	c->backends[1].max_ids = 7;
	c->backend_max_ids = QS_CID_TABLE_SIZE + 1;
	cr_assert_eq(qs_config_check(c, NULL), -EINVAL,
		     "backend-max-ids past the table passed the check");
	qs_config_free(c);
}
