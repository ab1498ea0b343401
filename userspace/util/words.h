/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one reader of words, for every program: the configuration, the CLI,
 * the agent's control commands and qs-h3server's options accept the same
 * numbers, durations, hex strings and addresses, and refuse the same ones.
 *
 * Strict on purpose: a word either means exactly one value or is refused,
 * never read as far as it makes sense (strtoul takes "30x" as 30, " 5" and
 * "+5" as 5 and "-1" as a huge number).
 *
 * Parsers return 0, -EINVAL (not such a word) or -ERANGE (such a word, out
 * of range), and write their outputs only when they return 0. Formatters
 * write at most size bytes into buf, NUL included, and return buf.
 */
#ifndef QS_WORDS_H
#define QS_WORDS_H

#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "quicsteer/types.h"

/* Decimal digits only: no sign, no space, no 0x; leading zeros are fine. */
int qs_parse_u64(const char *s, __u64 *v);
/* The same, and -ERANGE outside [min, max]. */
int qs_parse_u64_range(const char *s, __u64 min, __u64 max, __u64 *v);
/* Hexadecimal digits, with or without 0x: "6b3343cf", "0x6b3343cf". */
int qs_parse_u64_hex(const char *s, __u64 *v);
/* A number and a unit, no space: 500ms, 30s, 2m, 1h; into milliseconds. */
int qs_parse_duration(const char *s, __u64 *ms);
/* An even number of hex digits, 1..max bytes: "0a1b" (no 0x). */
int qs_parse_hex(const char *s, __u8 *out, size_t max, size_t *len);
/* xx:xx:xx:xx:xx:xx, either case. */
int qs_parse_mac(const char *s, __u8 mac[6]);

/* Whether an address word carries a port (qs_parse_addr_port). */
enum qs_port_rule {
	QS_PORT_NONE, /* an address alone */
	QS_PORT_OPTIONAL,
	QS_PORT_REQUIRED,
};

struct qs_addr_port {
	struct qs_addr addr; /* network order; IPv4 in addr[0], the rest zero */
	__u16 port; /* host order; 0: the word had none */
	__u8 family; /* QS_AF_INET or QS_AF_INET6 */
};

/*
 * "198.51.100.1", "198.51.100.1:443", "fd00::1", "[fd00::1]" or
 * "[fd00::1]:443", as rule allows; ports 1..65535. An IPv6 address takes a
 * port only in brackets, so "fd00::1:443" is the address fd00::1:443
 * without a port, never fd00::1 port 443. Brackets hold IPv6 only, and no
 * scope ("fe80::1%eth0"): nothing here routes by link.
 */
int qs_parse_addr_port(const char *s, enum qs_port_rule rule, struct qs_addr_port *ap);
/* An IPv4 or IPv6 address alone (QS_PORT_NONE). */
int qs_parse_addr(const char *s, struct qs_addr *addr, __u8 *family);

/* An address and how many of its leading bits count. */
struct qs_prefix {
	struct qs_addr addr; /* network order; bits past len zero */
	__u8 family; /* QS_AF_INET or QS_AF_INET6 */
	__u8 len; /* 0..32, 0..128 */
};

/*
 * "198.51.100.0/24", "fd00:200::/112", or an address alone (all its bits):
 * an address as qs_parse_addr reads it, then decimal bits, 0..32 for IPv4
 * and 0..128 for IPv6 (-ERANGE past). An address with bits set past the
 * prefix ("198.51.100.7/24") is refused (-EINVAL): a typo or a host, and
 * either way not one prefix to guess.
 */
int qs_parse_prefix(const char *s, struct qs_prefix *p);

/* ap as a socket address; its length, or 0 if ap's family is neither. */
socklen_t qs_addr_port_sockaddr(const struct qs_addr_port *ap, struct sockaddr_storage *ss);

/* The largest of h, s, ms that divides ms exactly: "120s", "2h", "500ms". */
const char *qs_format_duration(__u64 ms, char *buf, size_t size);
/* "none" for QS_AF_NONE. */
const char *qs_format_addr(const struct qs_addr *addr, __u8 family, char *buf, size_t size);
/* "ADDRESS/BITS", always with the bits: what qs_parse_prefix reads back. */
const char *qs_format_prefix(const struct qs_prefix *p, char *buf, size_t size);
/* Lower case, as many whole bytes as fit. */
const char *qs_format_hex(const __u8 *bytes, size_t len, char *buf, size_t size);
#define QS_MAC_STRLEN 18 /* "xx:xx:xx:xx:xx:xx" and the NUL */
const char *qs_format_mac(const __u8 mac[6], char *buf, size_t size);

#endif /* QS_WORDS_H */
