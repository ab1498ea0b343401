// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * qs_config_write: what it writes parses back to the same configuration,
 * and writing that again gives the same text. The agent's run-time changes
 * edit this text, so a field lost here would be a field a `vip add` drops
 * from the running configuration. The documented example is read from
 * docs/configuration.md: run from the repository root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "config/config.h"
#include "config_doc.h"

static struct qs_config *parse_ok(const char *name, const char *text)
{
	struct qs_config *cfg = NULL;
	struct qs_config_error e;
	char msg[1024];
	int r = qs_config_parse_string(name, text, &cfg, &e);

	cr_assert_eq(r, 0, "parse %s: got %d (%s) want 0\n%s", name, r,
		     qs_config_error_str(&e, msg, sizeof(msg)), text);
	return cfg;
}

static char *write_text(const struct qs_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	cr_assert_not_null(f);
	r = qs_config_write(f, cfg);
	fclose(f);
	cr_assert_eq(r, 0, "qs_config_write: got %d want 0", r);
	return text;
}

/* No object or setting differs, by the diff a reload applies. */
static void same_config(const struct qs_config *a, const struct qs_config *b)
{
	struct qs_config_diff d;

	cr_assert_eq(qs_config_diff(a, b, &d), 0);
	cr_assert(!d.settings_changed, "settings differ after a round trip");
	cr_assert_eq(d.n, 0, "got %zu objects changed (first kind %u change %u) want 0", d.n,
		     d.n ? d.deltas[0].kind : 0, d.n ? d.deltas[0].change : 0);
	qs_config_diff_free(&d);
}

static void fields_kept(const struct qs_config *a, const struct qs_config *b)
{
	cr_assert_eq(b->n_vips, a->n_vips);
	for (size_t i = 0; i < a->n_vips; i++) {
		cr_assert_str_eq(b->vips[i].name, a->vips[i].name);
		cr_assert_eq(b->vips[i].id, a->vips[i].id, "vip %s: id got %u want %u",
			     a->vips[i].name, b->vips[i].id, a->vips[i].id);
		cr_assert(b->vips[i].id_explicit, "vip %s: id not written", a->vips[i].name);
		cr_assert_eq(b->vips[i].address_entry, a->vips[i].address_entry,
			     "vip %s: address-entry got %u want %u", a->vips[i].name,
			     b->vips[i].address_entry, a->vips[i].address_entry);
	}
	cr_assert_eq(b->heartbeat_timeout_ms, a->heartbeat_timeout_ms);
	cr_assert_eq(b->sync_timeout_ms, a->sync_timeout_ms);
	cr_assert_eq(b->metrics_port, a->metrics_port);
	cr_assert_eq(b->nexthops[0].src4, a->nexthops[0].src4);
	cr_assert_eq(b->nexthops[0].src4_prefix_len, a->nexthops[0].src4_prefix_len);
	cr_assert(!memcmp(b->quiclbs[1].key, a->quiclbs[1].key, sizeof(a->quiclbs[1].key)));
	cr_assert_eq(b->backends[0].n_server_ids, a->backends[0].n_server_ids);
	cr_assert_eq(b->backends[0].n_vips, a->backends[0].n_vips);
	cr_assert_str_eq(b->backends[0].key_file, a->backends[0].key_file);
	cr_assert_eq(b->backend_max_ids, a->backend_max_ids);
	cr_assert_eq(b->backends[3].max_ids, 100000, "intranet-1's max-ids not written");
	cr_assert_eq(b->backends[0].max_ids, QS_CONFIG_MAX_IDS_UNSET,
		     "web-1 written with a max-ids of its own: a later backend-max-ids would "
		     "not apply to it");
	cr_assert_eq(b->backends[1].state, QS_BACKEND_DRAINING);
	cr_assert(!memcmp(b->backends[3].lladdr, a->backends[3].lladdr, 6));
	cr_assert_eq(b->listeners[2].kind, QS_LISTEN_UNIX);
	cr_assert_str_eq(b->listeners[2].path, a->listeners[2].path);
	cr_assert_str_eq(b->listeners[2].group, "quicsteer");
}

Test(config_write, documented_example_round_trips)
{
	char *doc = config_doc_example(), *text1, *text2;
	struct qs_config *a = parse_ok("example", doc), *b, *c;

	text1 = write_text(a);
	b = parse_ok("written", text1);
	text2 = write_text(b);
	cr_assert_str_eq(text2, text1, "second write differs:\n%s\nfirst:\n%s", text2, text1);
	c = parse_ok("written again", text2);
	same_config(a, b);
	same_config(b, c);
	fields_kept(a, b);
	cr_assert(strstr(text1, "vip web 192.0.2.10 443 id 0 cid-len 8 unknown drop fragments "
				"drop forward encap learn on address-entry initial\n"),
		  "canonical vip line missing:\n%s", text1);
	cr_assert(strstr(text1, "encap-source4 192.0.2.32/28 encap-source6 2001:db8:0:1::"));
	free(text1);
	free(text2);
	free(doc);
	qs_config_free(a);
	qs_config_free(b);
	qs_config_free(c);
}

Test(config_write, canonical_order_and_what_is_left_out)
{
	static const char in[] = "backend b 10.0.0.2 id 7\n"
				 "nexthop n dev eth0 encap-source4 10.9.0.0/24\n"
				 "vip v 192.0.2.1 443\n"
				 "heartbeat-timeout off\n"
				 "backend c 10.0.0.3 id 8 max-ids 0\n"
				 "interface eth0\n";
	static const char want[] = "pin-dir /sys/fs/bpf/quicsteer\n"
				   "control-socket /run/quicsteer/control.sock\n"
				   "learned-ttl 30s\n"
				   "flow-idle 120s\n"
				   "heartbeat-timeout off\n"
				   "sync-timeout 65s\n"
				   "report-window 30s\n"
				   "report-accept-v1 off\n"
				   "backend-max-ids 524288\n"
				   "interface eth0 mode native\n"
				   "vip v 192.0.2.1 443 id 0 cid-len 8 unknown drop fragments drop "
				   "forward encap learn on address-entry initial\n"
				   "nexthop n dev eth0 encap-source4 10.9.0.0/24 ttl 64\n"
				   "backend b 10.0.0.2 id 7 weight 1 state active\n"
				   "backend c 10.0.0.3 id 8 weight 1 state active max-ids 0\n";
	struct qs_config *a = parse_ok("in", in), *b;
	char *text = write_text(a);

	cr_assert_str_eq(text, want, "got:\n%s\nwant:\n%s", text, want);
	b = parse_ok("out", text);
	same_config(a, b);
	free(text);
	qs_config_free(a);
	qs_config_free(b);
}

Test(config_write, empty_configuration_is_the_defaults)
{
	struct qs_config *a = qs_config_new(), *b;
	char *text;

	cr_assert_not_null(a);
	text = write_text(a);
	b = parse_ok("defaults", text);
	same_config(a, b);
	cr_assert_eq(b->metrics_addr.family, QS_AF_NONE, "metrics-listen written without address");
	free(text);
	qs_config_free(a);
	qs_config_free(b);
}
