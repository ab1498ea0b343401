// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Seeds of fuzz_datapath: frames of the packet builder (tests/lib), one
 * per kind of packet the data-path tests build, aimed at the fuzzer's world
 * (datapath_world.c); short sequences that drive its tables (an Initial,
 * then IDs learned, moved, capped, an address made ambiguous); and the
 * client's datagrams of every capture in tests/data/captures, one by one
 * and as their connection.
 *
 *   gen-datapath-seeds OUTDIR CAPTURES_DIR
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "datapath_input.h"
#include "datapath_world.h"
#include "pktbuild.h"
#include "world.h"

#define CAP_PORT 4433
#define QUICLB_VIP4 "198.18.0.102"
#define QUICLB_VIP6 "fd00::102"
#define L2DSR_VIP "198.18.0.101"
#define EMPTY_ROW_VIP "198.18.0.103"
#define CID_A "a1a2a3a4a5a6a7a8"
#define CID_C "c1c2c3c4c5c6c7c8"
#define CID_NEW "e1e2e3e4e5e6e7e8"
#define CLIENT_DCID "0f0e0d0c0b0a09080706050403020100ff"
#define SEQ_BYTES 12000 /* the -max_len the fuzzer runs with */

static const char *outdir;
static unsigned int written;

static void seed_write(const char *name, const struct dpi_input *in)
{
	static uint8_t buf[DPI_MAX_RECORDS * (DPI_MAX_FRAME + 8)];
	size_t n = dpi_join(in, buf, sizeof(buf));
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
	written++;
}

static void add(struct dpi_input *in, const struct pb_spec *s)
{
	struct dpi_record *r = &in->rec[in->n];
	uint8_t frame[PB_MAX_FRAME];
	size_t len = pb_build(s, frame, sizeof(frame));

	if (!len || in->n == DPI_MAX_RECORDS) {
		fprintf(stderr, "gen-datapath-seeds: a spec the builder refuses\n");
		exit(1);
	}
	r->ctl = 0;
	r->len = len;
	memcpy(r->frame, frame, len);
	in->n++;
}

/* A packet of the world's: a base form and the fields changed from it. */
enum form { INITIAL, HANDSHAKE, SHORT };
enum field {
	F_END = 0,
	F_VERSION,
	F_TYPE,
	F_FIRST,
	F_SCID_LEN,
	F_CUT,
	F_PAYLOAD,
	F_VLANS,
	F_TOS,
	F_IP4_OPT,
	F_IP6_EXT,
	F_L4PROTO,
	F_NO_QUIC,
	F_DPORT,
	F_FRAGMENT
};

struct packet {
	enum form form;
	int family;
	const char *client; /* NULL: CLIENT4 or CLIENT6, CLIENT_PORT */
	uint16_t port;
	const char *dcid;
	const char *vip; /* NULL: the world's VIP of the family */
	uint32_t set[4][2]; /* field, value; F_END ends */
};

struct seed {
	const char *name;
	struct packet p;
};

#define V2 0x6b3343cf

static const struct seed singles[] = {
	{ "b-initial4", { INITIAL, 4, .dcid = CLIENT_DCID } },
	{ "b-initial6", { INITIAL, 6, .dcid = CLIENT_DCID } },
	{ "b-handshake4-cid", { HANDSHAKE, 4, .dcid = CID_A } },
	{ "b-short4-cid", { SHORT, 4, .dcid = CID_A } },
	{ "b-short6-cid", { SHORT, 6, .dcid = CID_C } },
	{ "b-short6-family", { SHORT, 6, .dcid = "c9cacbcccdcecfd0" } },
	{ "b-short4-operator", { SHORT, 4, .dcid = "a0a1a2a3a4a5a6a7" } },
	{ "b-short4-learned",
	  { SHORT, 4, .client = CLIENT4_B, .port = 50001, .dcid = "b1b2b3b4b5b6b7b8" } },
	{ "b-short4-stale",
	  { SHORT, 4, .client = CLIENT4_B, .port = 50001, .dcid = "b9babbbcbdbebfc0" } },
	{ "b-short4-stale-ttl",
	  { SHORT, 4, .client = CLIENT4_B, .port = 50001, .dcid = "b0b1b2b3b4b5b6b7" } },
	{ "b-short4-no-backend", { SHORT, 4, .dcid = "d1d2d3d4d5d6d7d8" } },
	{ "b-short4-unconfigured-backend", { SHORT, 4, .dcid = "d9dadbdcdddedfe0" } },
	{ "b-short4-new", { SHORT, 4, .dcid = CID_NEW } },
	{ "b-short6-new", { SHORT, 6, .dcid = CID_NEW } },
	{ "b-handshake4-cid1", { HANDSHAKE, 4, .dcid = "a9" } },
	{ "b-handshake4-cid20",
	  { HANDSHAKE, 4, .dcid = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4" } },
	{ "b-initial4-small", { INITIAL, 4, .dcid = CLIENT_DCID, .set = { { F_PAYLOAD, 1199 } } } },
	{ "b-initial4-cid21",
	  { INITIAL, 4, .dcid = "000102030405060708090a0b0c0d0e0f1011121314" } },
	{ "b-handshake4-scid21", { HANDSHAKE, 4, .dcid = CID_A, .set = { { F_SCID_LEN, 21 } } } },
	{ "b-handshake4-scid-cut",
	  { HANDSHAKE, 4, .dcid = CID_A,
	    .set = { { F_SCID_LEN, 20 }, { F_CUT, 5 }, { F_PAYLOAD, 0 } } } },
	{ "b-short4-too-short", { SHORT, 4, .dcid = CID_A, .set = { { F_PAYLOAD, 20 } } } },
	{ "b-short4-fixed-bit-clear", { SHORT, 4, .dcid = CID_A, .set = { { F_FIRST, 0x01 } } } },
	/* versions: v1 and v2 0-RTT, v2 Handshake and Initial, draft-29, Version Negotiation, unknown */
	{ "b-0rtt", { HANDSHAKE, 4, .dcid = CLIENT_DCID, .set = { { F_TYPE, 1 } } } },
	{ "b-v2-0rtt",
	  { HANDSHAKE, 4, .dcid = CLIENT_DCID, .set = { { F_VERSION, V2 }, { F_TYPE, 2 } } } },
	{ "b-v2-handshake",
	  { HANDSHAKE, 4, .dcid = CLIENT_DCID, .set = { { F_VERSION, V2 }, { F_TYPE, 3 } } } },
	{ "b-v2-initial",
	  { INITIAL, 4, .dcid = CLIENT_DCID, .set = { { F_VERSION, V2 }, { F_TYPE, 1 } } } },
	{ "b-draft29-initial",
	  { INITIAL, 4, .dcid = CLIENT_DCID, .set = { { F_VERSION, 0xff00001d } } } },
	{ "b-version-negotiation",
	  { HANDSHAKE, 4, .dcid = CLIENT_DCID, .set = { { F_VERSION, 0 } } } },
	{ "b-unknown-version",
	  { HANDSHAKE, 4, .dcid = "000102030405060708090a0b0c0d0e0f101112131415161718",
	    .set = { { F_VERSION, 0x1a2a3a4a } } } },
	{ "b-retry", { HANDSHAKE, 4, .dcid = CID_A, .set = { { F_TYPE, 3 } } } },
	/* layers */
	{ "b-vlan1", { SHORT, 4, .dcid = CID_A, .set = { { F_VLANS, 1 } } } },
	{ "b-vlan2-initial6", { INITIAL, 6, .dcid = CLIENT_DCID, .set = { { F_VLANS, 2 } } } },
	{ "b-ip4-options",
	  { SHORT, 4, .dcid = CID_A, .set = { { F_IP4_OPT, 12 }, { F_TOS, 0xb9 } } } },
	{ "b-ip6-ext3", { SHORT, 6, .dcid = CID_C, .set = { { F_IP6_EXT, 3 }, { F_TOS, 0x2a } } } },
	{ "b-tcp",
	  { SHORT, 4, .dcid = CID_A,
	    .set = { { F_L4PROTO, 6 }, { F_NO_QUIC, 1 }, { F_PAYLOAD, 20 } } } },
	{ "b-other-port", { SHORT, 4, .dcid = CID_A, .set = { { F_DPORT, 53 } } } },
	{ "b-frag4-first", { SHORT, 4, .dcid = CID_A, .set = { { F_FRAGMENT, 1 } } } },
	{ "b-frag4-later", { SHORT, 4, .dcid = CID_A, .set = { { F_FRAGMENT, 2 } } } },
	{ "b-frag4-drop",
	  { SHORT, 4, .dcid = CID_A, .vip = "198.18.0.2", .set = { { F_FRAGMENT, 1 } } } },
	{ "b-frag6-first",
	  { SHORT, 6, .dcid = CID_C, .vip = "fd00:18::2", .set = { { F_FRAGMENT, 1 } } } },
	{ "b-frag6-later",
	  { SHORT, 6, .dcid = CID_C, .vip = "fd00:18::2", .set = { { F_FRAGMENT, 2 } } } },
	{ "b-frag6-pass", { SHORT, 6, .dcid = CID_C, .set = { { F_FRAGMENT, 2 } } } },
	/* the other VIPs */
	{ "b-quiclb",
	  { SHORT, 4, .client = CLIENT4_B, .port = 50002, .dcid = "205a5b0102030405",
	    .vip = QUICLB_VIP4 } },
	{ "b-quiclb-unknown-sid", { SHORT, 4, .dcid = "20eeee0102030405", .vip = QUICLB_VIP4 } },
	{ "b-quiclb-hs14",
	  { HANDSHAKE, 4, .client = CLIENT4_B, .port = 50003,
	    .dcid = "41c0ffee0a0b0c0d0e0f10111213", .vip = QUICLB_VIP4 } },
	{ "b-quiclb-no-backend",
	  { SHORT, 4, .client = CLIENT4_B, .port = 50003, .dcid = "410badbe0a0b0c0d0e0f10111213",
	    .vip = QUICLB_VIP4 } },
	{ "b-quiclb-oversized", { SHORT, 4, .dcid = "a1b2c3d4e5f60718", .vip = QUICLB_VIP4 } },
	{ "b-quiclb-unroutable", { SHORT, 4, .dcid = "e1e2e3e4e5e6e7e8", .vip = QUICLB_VIP4 } },
	{ "b-quiclb6", { SHORT, 6, .dcid = "000701020304", .vip = QUICLB_VIP6 } },
	{ "b-quiclb6-family", { SHORT, 6, .dcid = "000801020304", .vip = QUICLB_VIP6 } },
	{ "b-quiclb6-aes", { SHORT, 6, .dcid = "60aabbccddeeff0011", .vip = QUICLB_VIP6 } },
	{ "b-cidlen0-short", { SHORT, 6, .dcid = "", .vip = QUICLB_VIP6 } },
	{ "b-cidlen0-hs", { HANDSHAKE, 6, .dcid = "07", .vip = QUICLB_VIP6 } },
	{ "b-l2dsr-short", { SHORT, 4, .dcid = CID_A, .vip = L2DSR_VIP } },
	{ "b-l2dsr-initial", { INITIAL, 4, .dcid = CLIENT_DCID, .vip = L2DSR_VIP } },
	{ "b-empty-row-initial", { INITIAL, 4, .dcid = CLIENT_DCID, .vip = EMPTY_ROW_VIP } },
	{ "b-empty-row-cid20",
	  { SHORT, 4, .dcid = "0102030405060708090a0b0c0d0e0f1011121314", .vip = EMPTY_ROW_VIP } },
};

static void spec_field_set(struct pb_spec *s, enum field f, uint32_t v)
{
	switch (f) {
	case F_VERSION:
		s->version = v;
		break;
	case F_TYPE:
		s->type_bits = v;
		break;
	case F_FIRST:
		s->first = v;
		break;
	case F_SCID_LEN:
		s->scid_len = v;
		break;
	case F_CUT:
		s->header_cut = v;
		break;
	case F_PAYLOAD:
		s->payload_len = v;
		break;
	case F_VLANS:
		s->vlans = v;
		s->vlan_ids[0] = 100;
		s->vlan_ids[1] = 200;
		break;
	case F_TOS:
		s->tos = v;
		break;
	case F_IP4_OPT:
		s->ip4_opt_len = v;
		break;
	case F_IP6_EXT:
		s->ip6_ext = v;
		break;
	case F_L4PROTO:
		s->l4proto = v;
		break;
	case F_NO_QUIC:
		s->quic = PB_QUIC_NONE;
		break;
	case F_DPORT:
		s->dport = v;
		break;
	case F_FRAGMENT:
		s->fragment = v;
		break;
	case F_END:
		break;
	}
}

static struct pb_spec spec_of(const struct packet *p)
{
	static struct pb_spec (*const forms[])(int, const char *, uint16_t, const char *) = {
		[INITIAL] = world_initial,
		[HANDSHAKE] = world_handshake,
		[SHORT] = world_short,
	};
	const char *client = p->client ? p->client : p->family == 6 ? CLIENT6 : CLIENT4;
	struct pb_spec s =
		forms[p->form](p->family, client, p->client ? p->port : CLIENT_PORT, p->dcid);

	if (p->vip)
		s.dst = p->vip;
	for (int i = 0; i < 4 && p->set[i][0] != F_END; i++)
		spec_field_set(&s, p->set[i][0], p->set[i][1]);
	return s;
}

static void builder_singles(void)
{
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
		struct dpi_input in = { 0 };
		struct pb_spec s = spec_of(&singles[i].p);

		add(&in, &s);
		seed_write(singles[i].name, &in);
	}
}

/*
 * Sequences that drive the tables: an Initial, then short headers with an
 * ID the router never saw (learned, then routed by it, then migrated); one
 * socket with connections on two backends (ambiguous: an unknown ID is
 * dropped, an Initial is routed without an entry); a stale learned ID
 * learned again; 0-RTT before and after its Initial; another connection's
 * Initial from a reused client port (another DCID and SCID).
 */
static const struct {
	const char *name;
	struct packet steps[6];
} sequences[] = {
	{ "s-relearn-stale",
	  { { INITIAL, 4, .dcid = CLIENT_DCID },
	    { SHORT, 4, .dcid = "b9babbbcbdbebfc0" },
	    { SHORT, 4, .dcid = "b0b1b2b3b4b5b6b7" },
	    { SHORT, 4, .dcid = "b1b2b3b4b5b6b7b8" } } },
	{ "s-0rtt",
	  { { HANDSHAKE, 4, .dcid = CLIENT_DCID, .set = { { F_TYPE, 1 } } },
	    { INITIAL, 4, .dcid = CLIENT_DCID },
	    { HANDSHAKE, 4, .dcid = CLIENT_DCID, .set = { { F_TYPE, 1 } } } } },
	{ "s-reused-port",
	  { { INITIAL, 4, .dcid = CLIENT_DCID },
	    { SHORT, 4, .dcid = CID_NEW },
	    { INITIAL, 4, .dcid = "00112233445566778899", .set = { { F_SCID_LEN, 4 } } },
	    { SHORT, 4, .dcid = CID_NEW } } },
	{ "s-learn4",
	  { { INITIAL, 4, .dcid = CLIENT_DCID },
	    { SHORT, 4, .dcid = CID_NEW },
	    { SHORT, 4, .dcid = CID_NEW },
	    { HANDSHAKE, 4, .dcid = CID_NEW },
	    { SHORT, 4, .client = CLIENT4_B, .port = 50000, .dcid = CID_NEW } } },
	{ "s-learn6",
	  { { INITIAL, 6, .dcid = CLIENT_DCID },
	    { SHORT, 6, .dcid = CID_NEW },
	    { SHORT, 6, .dcid = CID_NEW } } },
	{ "s-ambiguous",
	  { { INITIAL, 4, .dcid = CLIENT_DCID },
	    { SHORT, 4, .dcid = CID_A },
	    { SHORT, 4, .dcid = "a0a1a2a3a4a5a6a7" },
	    { SHORT, 4, .dcid = CID_NEW },
	    { INITIAL, 4, .dcid = CLIENT_DCID } } },
};

static void builder_sequences(void)
{
	struct dpi_input in = { 0 };
	struct pb_spec s;
	char cid[24];

	for (size_t i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++) {
		in.n = 0;
		for (size_t j = 0; j < 6 && sequences[i].steps[j].dcid; j++) {
			s = spec_of(&sequences[i].steps[j]);
			add(&in, &s);
		}
		seed_write(sequences[i].name, &in);
	}
	/* more new IDs from one address than it may learn */
	in.n = 0;
	s = world_initial(4, CLIENT4, CLIENT_PORT, CLIENT_DCID);
	add(&in, &s);
	for (int i = 0; in.n < DPI_MAX_RECORDS; i++) {
		snprintf(cid, sizeof(cid), "e1e2e3e4e5e6e7%02x", i & 0xff);
		s = world_short(4, CLIENT4, CLIENT_PORT, cid);
		s.payload_len = 24;
		add(&in, &s);
	}
	seed_write("s-learn-capped", &in);
	/* an ID learned and an address opened past the ring buffer's budget */
	in.n = 0;
	s = world_initial(4, CLIENT4, CLIENT_PORT, CLIENT_DCID);
	add(&in, &s);
	s = world_short(4, CLIENT4, CLIENT_PORT, CID_NEW);
	add(&in, &s);
	in.rec[0].ctl = DPI_CTL_BUDGET_SPENT;
	seed_write("s-budget-spent", &in);
}

/*
 * The world's encrypted QUIC-LB IDs (libquicsteer's codec): each in a
 * short header twice (decrypted, then from the cache) and in a Handshake.
 */
static void quiclb_encrypted(void)
{
	char hex[2 * QS_CID_MAX_LEN + 1], name[64];

	if (dpw_lb_ids_make()) {
		fprintf(stderr, "gen-datapath-seeds: the world's QUIC-LB IDs: %m\n");
		exit(1);
	}
	for (size_t i = 0; i < dpw_n_lb_ids; i++) {
		struct dpi_input in = { 0 };
		struct pb_spec s;

		for (size_t j = 0; j < dpw_lb_ids[i].len; j++)
			sprintf(hex + 2 * j, "%02x", dpw_lb_ids[i].cid[j]);
		s = world_short(4, CLIENT4_B, 50004, hex);
		s.dst = QUICLB_VIP4;
		add(&in, &s);
		add(&in, &s);
		s = world_handshake(4, CLIENT4_B, 50004, hex);
		s.dst = QUICLB_VIP4;
		add(&in, &s);
		snprintf(name, sizeof(name), "s-quiclb-aes-%zu", i);
		seed_write(name, &in);
	}
}

/* The client's datagrams of one capture: each alone, and the connection in inputs of SEQ_BYTES. */
static void capture(const char *dir, const char *file)
{
	static struct dpi_input conn;
	char path[4096], err[PCAP_ERRBUF_SIZE], name[300];
	const unsigned char *data;
	struct pcap_pkthdr *h;
	size_t bytes = 0, part = 0, n = 0;
	pcap_t *p;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "gen-datapath-seeds: %s: %s\n", path, err);
		exit(1);
	}
	conn.n = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct dpi_input one = { 0 };
		struct dpi_record *r = &one.rec[0];
		struct dpi_view v;

		dpi_view(data, h->caplen, &v);
		if (!v.udp || v.dport != CAP_PORT || h->caplen > DPI_MAX_FRAME)
			continue;
		r->len = h->caplen;
		memcpy(r->frame, data, r->len);
		one.n = 1;
		snprintf(name, sizeof(name), "c-%.*s-%02zu", (int)(strlen(file) - 5), file, n++);
		seed_write(name, &one);
		if (conn.n == DPI_MAX_RECORDS || bytes + r->len + 5 > SEQ_BYTES) {
			snprintf(name, sizeof(name), "s-%.*s-%zu", (int)(strlen(file) - 5), file,
				 part++);
			seed_write(name, &conn);
			conn.n = 0;
			bytes = 0;
		}
		conn.rec[conn.n++] = *r;
		bytes += r->len + 5;
	}
	pcap_close(p);
	if (conn.n) {
		snprintf(name, sizeof(name), "s-%.*s-%zu", (int)(strlen(file) - 5), file, part);
		seed_write(name, &conn);
	}
}

static void captures(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		perror(dir);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		if (len > 5 && !strcmp(names[i]->d_name + len - 5, ".pcap"))
			capture(dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen-datapath-seeds OUTDIR CAPTURES_DIR\n");
		return 2;
	}
	outdir = argv[1];
	builder_singles();
	builder_sequences();
	quiclb_encrypted();
	captures(argv[2]);
	printf("gen-datapath-seeds: %u seeds in %s\n", written, outdir);
	return 0;
}
