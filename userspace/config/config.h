/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * quicsteerd's declarative configuration (docs/configuration.md): the
 * parser, the semantic check, stable VIP ids and the diff a reload applies.
 * A pure library: no BPF, no sockets, no file but the one it is asked to
 * read (key files are named, never opened: reading them is the agent's job).
 *
 * Every function returns 0 or -errno. A parse or check that fails fills
 * struct qs_config_error and returns nothing: never half a configuration.
 */
#ifndef QS_CONFIG_H
#define QS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>
#include "abi/abi.h"

#define QS_CONFIG_NAME_MAX 32 /* VIP, backend and next-hop names, with the NUL */
#define QS_CONFIG_PATH_MAX 1024 /* pin-dir and key-file, with the NUL */
#define QS_CONFIG_SUN_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define QS_CONFIG_LINE_MAX 8192 /* bytes, without the newline */
#define QS_CONFIG_WORD_MAX 1023 /* bytes */
#define QS_CONFIG_FILE_MAX (16 << 20)
#define QS_CONFIG_MAX_INTERFACES 64
#define QS_CONFIG_MAX_LISTENERS 16
/* nexthop statements: a bound on the file, not on a table (each backend has
 * its own qs_nexthops entry, whatever nexthop it names)
 */
#define QS_CONFIG_MAX_NEXTHOPS 256
#define QS_CONFIG_ID_NONE 0xffffffffu /* a VIP id not assigned yet */

#define QS_CONFIG_DEFAULT_PIN_DIR "/sys/fs/bpf/quicsteer"
#define QS_CONFIG_DEFAULT_CONTROL_SOCKET "/run/quicsteer/control.sock"
#define QS_CONFIG_DEFAULT_CID_LEN 8
#define QS_CONFIG_DEFAULT_WEIGHT 1
#define QS_CONFIG_DEFAULT_TTL 64
#define QS_CONFIG_DEFAULT_LEARNED_TTL_MS 30000
#define QS_CONFIG_DEFAULT_FLOW_IDLE_MS 120000
#define QS_CONFIG_MIN_FLOW_IDLE_MS 120000 /* RFC 9312: NATs keep UDP bindings 2 min */
#define QS_CONFIG_DEFAULT_HEARTBEAT_MS 10000
/*
 * How long after its start an agent says it is synced whatever its
 * backends (docs/report-protocol.md, "Synced"): the longest snapshot
 * interval the protocol allows (60 s) and a margin.
 */
#define QS_CONFIG_DEFAULT_SYNC_TIMEOUT_MS 65000
#define QS_CONFIG_MIN_SYNC_TIMEOUT_MS 1000
#define QS_CONFIG_MAX_SYNC_TIMEOUT_MS 3600000
/*
 * How old (or how far ahead) a report may be, by its timestamp: wider than
 * any sane clock difference between backends and agents, short enough
 * that a captured datagram is soon worth nothing (docs/report-protocol.md).
 */
#define QS_CONFIG_DEFAULT_REPORT_WINDOW_MS 30000
#define QS_CONFIG_MIN_REPORT_WINDOW_MS 1000
#define QS_CONFIG_MAX_REPORT_WINDOW_MS 3600000
/*
 * The IDs one backend's reports may hold in the ID table (backend-max-ids,
 * a backend's max-ids): a quarter of the table, so that one backend's key
 * in the wrong hands leaves three quarters to the others (issue 11). At
 * most the table's size: no quota can promise more than it holds.
 */
#define QS_CONFIG_DEFAULT_BACKEND_MAX_IDS (QS_CID_TABLE_SIZE / 4)
#define QS_CONFIG_MAX_BACKEND_MAX_IDS QS_CID_TABLE_SIZE
#define QS_CONFIG_MAX_IDS_UNSET 0xffffffffu /* a backend without max-ids: backend-max-ids */

enum qs_config_listen_kind {
	QS_LISTEN_UDP = 0,
	QS_LISTEN_UNIX = 1,
};

/* An address as written: family QS_AF_NONE when the option was not given. */
struct qs_config_addr {
	struct qs_addr addr;
	__u8 family; /* enum qs_family */
};

/* How the router attaches to an interface (`interface NAME mode ...`). */
enum qs_xdp_mode {
	QS_XDP_NATIVE = 0,
	QS_XDP_GENERIC,
};

int qs_xdp_mode_parse(const char *text, enum qs_xdp_mode *mode);
const char *qs_xdp_mode_name(enum qs_xdp_mode mode);

struct qs_config_interface {
	char name[IFNAMSIZ];
	__u32 mode; /* enum qs_xdp_mode */
	unsigned int line; /* 0: not from a file */
};

struct qs_config_listener {
	__u32 kind; /* enum qs_config_listen_kind */
	struct qs_config_addr addr; /* udp */
	__u32 port; /* udp */
	char path[QS_CONFIG_SUN_PATH_MAX]; /* unix */
	char group[QS_CONFIG_NAME_MAX]; /* unix: the socket's group (name or gid); "": agent's */
	unsigned int line;
};

/*
 * Who writes a new connection's address entry: the data path at its
 * first Initial (what backends that neither report nor issue QUIC-LB IDs
 * need, so that their new IDs are learned), or the agent at the
 * backend's handshake report (QS_VIP_F_ENTRY_AT_HANDSHAKE).
 */
enum qs_address_entry {
	QS_ADDRESS_ENTRY_INITIAL = 0,
	QS_ADDRESS_ENTRY_HANDSHAKE = 1,
};

struct qs_config_vip {
	char name[QS_CONFIG_NAME_MAX];
	struct qs_config_addr addr;
	__u32 port;
	__u32 id; /* qs_vip.vip_id; QS_CONFIG_ID_NONE until assigned */
	bool id_explicit; /* written as `id N`, never reassigned */
	bool learn; /* QS_VIP_F_LEARN */
	__u32 address_entry; /* enum qs_address_entry */
	__u32 cid_len;
	__u32 unknown_policy; /* enum qs_unknown_policy */
	__u32 frag_policy; /* enum qs_frag_policy */
	__u32 fwd_mode; /* enum qs_fwd_mode */
	unsigned int line;
};

struct qs_config_quiclb {
	char vip[QS_CONFIG_NAME_MAX];
	__u32 config_id; /* 0..6: the ID's config rotation bits */
	__u32 mode; /* enum qs_quiclb_mode */
	__u32 server_id_len;
	__u32 nonce_len;
	char key_file[QS_CONFIG_PATH_MAX]; /* "": none; never opened here */
	/* the key_file's key: filled by whoever reads the file (the agent), not parsed */
	bool has_key;
	__u8 key[QS_QUICLB_KEY_LEN];
	unsigned int line;
};

struct qs_config_nexthop {
	char name[QS_CONFIG_NAME_MAX];
	char dev[IFNAMSIZ];
	struct qs_config_addr
		gateway; /* QS_AF_NONE: on-link, each backend's own address resolved */
	__u8 lladdr[6]; /* fixed gateway MAC, no neighbour resolution; zero: none */
	__u32 src4_prefix_len; /* 16..32, 32 - len bits vary per flow; 0: no encap-source4 */
	__be32 src4; /* outer IPv4 source, host bits zero */
	struct qs_addr src6; /* outer IPv6 source, low 16 bits zero (vary per flow); zero: none */
	__u32 ttl;
	unsigned int line;
};

struct qs_config_server_id {
	char vip[QS_CONFIG_NAME_MAX];
	__u32 config_id;
	__u32 len;
	__u8 sid[QS_QUICLB_SID_MAX];
};

struct qs_config_backend {
	char name[QS_CONFIG_NAME_MAX];
	struct qs_config_addr addr;
	__u32 id; /* 1..QS_MAX_BACKENDS - 1: wire and map id */
	__u32 weight;
	__u32 state; /* enum qs_backend_state */
	char nexthop[QS_CONFIG_NAME_MAX]; /* "": the only nexthop declared */
	__u8 lladdr[6]; /* fixed MAC on an on-link nexthop; zero: resolve */
	char *key_file; /* NULL: none; never opened here */
	__u32 max_ids; /* QS_CONFIG_MAX_IDS_UNSET: the configuration's backend_max_ids */
	char (*vips)[QS_CONFIG_NAME_MAX]; /* the VIPs whose Maglev tables it is in */
	size_t n_vips;
	struct qs_config_server_id *server_ids;
	size_t n_server_ids;
	unsigned int line;
};

/* The desired state. Arrays keep the order of the file. */
struct qs_config {
	char pin_dir[QS_CONFIG_PATH_MAX];
	char control_socket[QS_CONFIG_SUN_PATH_MAX];
	struct qs_config_addr metrics_addr; /* QS_AF_NONE: no metrics endpoint */
	__u32 metrics_port;
	__u64 learned_ttl_ms;
	__u64 flow_idle_ms;
	__u64 heartbeat_timeout_ms; /* 0: off */
	__u64 sync_timeout_ms; /* synced at the latest this long after the agent's start */
	__u64 report_window_ms; /* how far a report's timestamp may be from the clock */
	bool report_accept_v1; /* take report protocol version 1 (an upgrade) */
	__u32 backend_max_ids; /* IDs a backend may hold, unless it says max-ids */
	struct qs_config_interface *interfaces;
	size_t n_interfaces;
	struct qs_config_listener *listeners; /* report-listen */
	size_t n_listeners;
	struct qs_config_vip *vips;
	size_t n_vips;
	struct qs_config_quiclb *quiclbs;
	size_t n_quiclbs;
	struct qs_config_nexthop *nexthops;
	size_t n_nexthops;
	struct qs_config_backend *backends;
	size_t n_backends;
};

struct qs_config_error {
	char file[256];
	unsigned int line; /* 1-based; 0: about the whole file or not from a file */
	unsigned int column; /* 1-based byte of the offending word; 0: unknown */
	char msg[512]; /* names the object and the problem */
};

/* Parse flags. */
enum {
	/* Skip qs_config_check: a fragment (one CLI command's line) that
	 * names objects defined elsewhere.
	 */
	QS_CONFIG_F_NO_CHECK = 1 << 0,
};

/*
 * Parses, assigns VIP ids (qs_config_assign_ids with no previous
 * configuration) and checks. *out is set on success only, NULL otherwise.
 * -EINVAL for a bad configuration, -errno of open/read, -EFBIG past
 * QS_CONFIG_FILE_MAX, -ENOMEM.
 */
int qs_config_parse_file(const char *path, struct qs_config **out, struct qs_config_error *err);
int qs_config_parse_string(const char *name, const char *text, struct qs_config **out,
			   struct qs_config_error *err);
int qs_config_parse_buf(const char *name, const char *text, size_t len, unsigned int flags,
			struct qs_config **out, struct qs_config_error *err);

/*
 * The configuration as text in the language, one statement a line, that
 * qs_config_parse_string reads back to an equal configuration: statements
 * in canonical order (settings, interfaces, listeners, VIPs, QUIC-LB,
 * nexthops, backends), every option, VIP ids explicit. QUIC-LB keys are
 * written: the text is as secret as the file. 0, -EIO, or -ENOTSUP for a
 * statement or option the writer does not know (a bug, never half a line).
 */
int qs_config_write(FILE *out, const struct qs_config *cfg);

/* An empty configuration with every default (NULL, errno set). */
struct qs_config *qs_config_new(void);
void qs_config_free(struct qs_config *cfg);

/*
 * The semantic rules (docs/configuration.md, "Checks"): names and ids,
 * references, families, limits, QUIC-LB lengths. Every rule runs; err gets
 * the problem on the earliest line (the first found among equals). 0,
 * -EINVAL or -ENOMEM. err may be NULL.
 */
int qs_config_check(const struct qs_config *cfg, struct qs_config_error *err);

/*
 * The rules of one object alone (ranges, options that need or exclude each
 * other), applied to each statement as it is parsed, so a problem is
 * reported on its own line, and again by qs_config_check. They set err's
 * line (the object's), column (0) and message, never its file.
 */
int qs_config_check_vip(const struct qs_config_vip *vip, struct qs_config_error *err);
int qs_config_check_quiclb(const struct qs_config_quiclb *q, struct qs_config_error *err);
int qs_config_check_nexthop(const struct qs_config_nexthop *nh, struct qs_config_error *err);
int qs_config_check_backend(const struct qs_config_backend *be, struct qs_config_error *err);

/*
 * Names (config_words.c). Numbers, durations, addresses, MAC addresses and
 * hex strings are read by util/words.h, shared with the CLI, so a command
 * and a configuration line accept the same words.
 * NULL if s is a valid object name, else what is wrong ("is longer ...").
 */
const char *qs_config_name_problem(const char *s);
const char *qs_config_ifname_problem(const char *s);

/*
 * The grammar, derived from the statement table: the number of statements
 * and the synopsis of statement i ("vip NAME ADDRESS PORT [id N] ...") into
 * buf. -ERANGE if i is past the end, -ENOSPC if buf is too small.
 */
size_t qs_config_statement_count(void);
int qs_config_synopsis(size_t i, char *buf, size_t size);

/*
 * Gives each VIP without an explicit id the id it had in prev (same name,
 * else same address, port and family) when that id is free, else the lowest
 * free id, in order of appearance. So a reload never renumbers a VIP that
 * keeps its name, and prev rebuilt from qs_vips finds its ids by address.
 * prev may be NULL. -ENOSPC if some VIP got no id (more than QS_MAX_VIPS).
 */
int qs_config_assign_ids(struct qs_config *cfg, const struct qs_config *prev);

/* "file:line: message" (or "file: message" for line 0) into buf; buf. */
const char *qs_config_error_str(const struct qs_config_error *err, char *buf, size_t size);

const struct qs_config_vip *qs_config_find_vip(const struct qs_config *cfg, const char *name);
const struct qs_config_backend *qs_config_find_backend(const struct qs_config *cfg,
						       const char *name);
const struct qs_config_backend *qs_config_find_backend_id(const struct qs_config *cfg, __u32 id);
const struct qs_config_nexthop *qs_config_find_nexthop(const struct qs_config *cfg,
						       const char *name);
const struct qs_config_quiclb *qs_config_find_quiclb(const struct qs_config *cfg, const char *vip,
						     __u32 config_id);
/* The backend's nexthop: the named one, or the only one declared. */
const struct qs_config_nexthop *qs_config_backend_nexthop(const struct qs_config *cfg,
							  const struct qs_config_backend *be);
/* The IDs the backend's reports may hold: its max-ids, else backend-max-ids. */
__u32 qs_config_backend_max_ids(const struct qs_config *cfg, const struct qs_config_backend *be);
/* Does the backend serve (is it in the Maglev table of) this VIP? */
bool qs_config_backend_serves(const struct qs_config_backend *be, const char *vip);

enum qs_config_kind {
	QS_CK_INTERFACE = 0,
	QS_CK_LISTENER,
	QS_CK_VIP,
	QS_CK_QUICLB,
	QS_CK_NEXTHOP,
	QS_CK_BACKEND,
	QS_CK__COUNT,
};

enum qs_config_change {
	QS_CHANGE_DEL = 0,
	QS_CHANGE_ADD,
	QS_CHANGE_MOD,
};

/*
 * One object that differs. Objects are matched by their key: interface
 * name, listener (kind, address, port or path), VIP, nexthop and backend
 * name, QUIC-LB (VIP name, config). MOD: same key, some field differs (a
 * changed backend or VIP id is a MOD too: the applier compares ids).
 */
struct qs_config_delta {
	__u32 kind; /* enum qs_config_kind */
	__u32 change; /* enum qs_config_change */
	const void *old; /* NULL for ADD; points into the old configuration */
	const void *new; /* NULL for DEL; points into the new configuration */
};

struct qs_config_diff {
	struct qs_config_delta *deltas; /* per kind in enum order: DELs, then ADDs and MODs */
	size_t n;
	bool settings_changed; /* pin-dir, control-socket, metrics-listen, timers */
};

/* Call qs_config_assign_ids(new, old) first, so implicit VIP ids compare. */
int qs_config_diff(const struct qs_config *old, const struct qs_config *new,
		   struct qs_config_diff *diff);
void qs_config_diff_free(struct qs_config_diff *diff);

#endif /* QS_CONFIG_H */
