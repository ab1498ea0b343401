// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * util/words.c, the one reader of numbers, durations, hex strings and
 * addresses: each word either gives exactly one value or is refused, and
 * the refusals are the point, so the tables hold as many refusals as values.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include "util/words.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define SENTINEL 0x5a5a5a5a5a5a5a5aull

struct number_case {
	const char *word;
	int err;
	__u64 want;
};

static void check_numbers(const char *what, int (*parse)(const char *, __u64 *),
			  const struct number_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		__u64 v = SENTINEL;
		int err = parse(t[i].word, &v);

		cr_expect_eq(err, t[i].err, "%s \"%s\": got %d want %d", what, t[i].word, err,
			     t[i].err);
		/* a refusal writes nothing */
		cr_expect_eq(v, t[i].err ? SENTINEL : t[i].want, "%s \"%s\": got %llu want %llu",
			     what, t[i].word, (unsigned long long)v,
			     (unsigned long long)(t[i].err ? SENTINEL : t[i].want));
	}
}

Test(words, u64)
{
	static const struct number_case t[] = {
		{ "0", 0, 0 },
		{ "42", 0, 42 },
		{ "007", 0, 7 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "30x", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
		{ "1.0", -EINVAL, 0 },
	};

	check_numbers("u64", qs_parse_u64, t, N(t));
}

static int u64_1_to_10(const char *s, __u64 *v)
{
	return qs_parse_u64_range(s, 1, 10, v);
}

Test(words, u64_range)
{
	static const struct number_case t[] = {
		{ "1", 0, 1 },	      { "10", 0, 10 },	    { "0", -ERANGE, 0 },
		{ "11", -ERANGE, 0 }, { "010", 0, 10 },	    { "1x", -EINVAL, 0 },
		{ "", -EINVAL, 0 },   { "-1", -EINVAL, 0 }, { "99999999999999999999", -ERANGE, 0 },
	};

	check_numbers("u64_range", u64_1_to_10, t, N(t));
}

Test(words, u64_hex)
{
	static const struct number_case t[] = {
		{ "6b3343cf", 0, 0x6b3343cf },
		{ "0x6b3343cf", 0, 0x6b3343cf },
		{ "0XFF", 0, 0xff },
		{ "0", 0, 0 },
		{ "ffffffffffffffff", 0, UINT64_MAX },
		{ "0x00000000000000000001", 0, 1 },
		{ "1ffffffffffffffff", -ERANGE, 0 },
		{ "0x", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "g", -EINVAL, 0 },
		{ "12g", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "0x-1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "0x0x1", -EINVAL, 0 },
	};

	check_numbers("u64_hex", qs_parse_u64_hex, t, N(t));
}

Test(words, duration)
{
	static const struct number_case t[] = {
		{ "500ms", 0, 500 },
		{ "30s", 0, 30000 },
		{ "2m", 0, 120000 },
		{ "1h", 0, 3600000 },
		{ "0s", 0, 0 },
		{ "0ms", 0, 0 },
		{ "18446744073709551615ms", 0, UINT64_MAX },
		{ "18446744073709551s", 0, 18446744073709551000ull },
		{ "18446744073709552s", -ERANGE, 0 },
		{ "18446744073709551616ms", -ERANGE, 0 },
		{ "30", -EINVAL, 0 }, /* seconds or milliseconds? */
		{ "30x", -EINVAL, 0 },
		{ "30 s", -EINVAL, 0 },
		{ "30S", -EINVAL, 0 },
		{ "30sec", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "+1s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "1h30m", -EINVAL, 0 },
	};

	check_numbers("duration", qs_parse_duration, t, N(t));
}

Test(words, hex)
{
	static const struct {
		const char *word;
		size_t max;
		int err;
		size_t len;
		__u8 want[4];
	} t[] = {
		{ "0a1b", 4, 0, 2, { 0x0a, 0x1b } },
		{ "FFfe", 4, 0, 2, { 0xff, 0xfe } },
		{ "01020304", 4, 0, 4, { 1, 2, 3, 4 } },
		{ .word = "0102030405", .max = 4, .err = -ERANGE },
		{ .word = "", .max = 4, .err = -EINVAL },
		{ .word = "0", .max = 4, .err = -EINVAL },
		{ .word = "0a1", .max = 4, .err = -EINVAL },
		{ .word = "0x", .max = 4, .err = -EINVAL },
		{ .word = "0x0a", .max = 4, .err = -EINVAL },
		{ .word = "zz", .max = 4, .err = -EINVAL },
		{ .word = "0a 1b", .max = 4, .err = -EINVAL },
		{ .word = "0a:1b", .max = 4, .err = -EINVAL },
	};

	for (size_t i = 0; i < N(t); i++) {
		__u8 out[4] = { 0xee, 0xee, 0xee, 0xee };
		size_t len = 99;
		int err = qs_parse_hex(t[i].word, out, t[i].max, &len);

		cr_expect_eq(err, t[i].err, "hex \"%s\": got %d want %d", t[i].word, err, t[i].err);
		if (t[i].err) {
			cr_expect_eq(len, 99, "hex \"%s\": length written on refusal", t[i].word);
			continue;
		}
		cr_expect_eq(len, t[i].len, "hex \"%s\": got %zu bytes want %zu", t[i].word, len,
			     t[i].len);
		cr_expect_arr_eq(out, t[i].want, t[i].len, "hex \"%s\": bytes differ", t[i].word);
	}
}

Test(words, mac)
{
	static const struct {
		const char *word;
		int err;
		__u8 want[6];
	} t[] = {
		{ "02:00:00:00:00:01", 0, { 2, 0, 0, 0, 0, 1 } },
		{ "AA:bb:CC:dd:EE:ff", 0, { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff } },
		{ .word = "02:00:00:00:00", .err = -EINVAL },
		{ .word = "02:00:00:00:00:01:", .err = -EINVAL },
		{ .word = "02:00:00:00:00:01:02", .err = -EINVAL },
		{ .word = "02-00-00-00-00-01", .err = -EINVAL },
		{ .word = "2:0:0:0:0:1", .err = -EINVAL },
		{ .word = "02:00:00:00:00:0g", .err = -EINVAL },
		{ .word = "020000000001", .err = -EINVAL },
		{ .word = "", .err = -EINVAL },
	};

	for (size_t i = 0; i < N(t); i++) {
		static const __u8 untouched[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
		__u8 mac[6];
		int err;

		memcpy(mac, untouched, sizeof(mac));
		err = qs_parse_mac(t[i].word, mac);
		cr_expect_eq(err, t[i].err, "mac \"%s\": got %d want %d", t[i].word, err, t[i].err);
		cr_expect_arr_eq(mac, t[i].err ? untouched : t[i].want, 6, "mac \"%s\": bytes",
				 t[i].word);
	}
}

struct addr_case {
	const char *word;
	enum qs_port_rule rule;
	int err;
	__u8 family;
	const char *addr; /* qs_format_addr of the result */
	__u16 port;
};

static const struct addr_case addr_cases[] = {
	{ "198.51.100.1", QS_PORT_NONE, 0, QS_AF_INET, "198.51.100.1", 0 },
	{ "198.51.100.1", QS_PORT_OPTIONAL, 0, QS_AF_INET, "198.51.100.1", 0 },
	{ .word = "198.51.100.1", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ "198.51.100.1:443", QS_PORT_OPTIONAL, 0, QS_AF_INET, "198.51.100.1", 443 },
	{ "198.51.100.1:443", QS_PORT_REQUIRED, 0, QS_AF_INET, "198.51.100.1", 443 },
	{ .word = "198.51.100.1:443", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ "1.2.3.4:65535", QS_PORT_REQUIRED, 0, QS_AF_INET, "1.2.3.4", 65535 },
	{ "1.2.3.4:00443", QS_PORT_REQUIRED, 0, QS_AF_INET, "1.2.3.4", 443 },
	{ .word = "1.2.3.4:70000", .rule = QS_PORT_REQUIRED, .err = -ERANGE },
	{ .word = "1.2.3.4:65536", .rule = QS_PORT_OPTIONAL, .err = -ERANGE },
	{ .word = "1.2.3.4:0", .rule = QS_PORT_OPTIONAL, .err = -ERANGE },
	{ .word = "1.2.3.4:99999999999999999999999", .rule = QS_PORT_REQUIRED, .err = -ERANGE },
	{ .word = "1.2.3.4:", .rule = QS_PORT_OPTIONAL, .err = -EINVAL },
	{ .word = "1.2.3.4:+443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "1.2.3.4: 443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "1.2.3.4:443x", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "1.2.3.4:-1", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = ":443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "1.2.3", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ .word = "01.2.3.4",
	  .rule = QS_PORT_NONE,
	  .err = -EINVAL }, /* octal to inet_aton: never guess */
	{ .word = "256.1.1.1", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ .word = " 1.2.3.4", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ .word = "1.2.3.4 ", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ .word = "", .rule = QS_PORT_OPTIONAL, .err = -EINVAL },
	{ .word = "example.com:443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ "fd00::1", QS_PORT_NONE, 0, QS_AF_INET6, "fd00::1", 0 },
	{ "::", QS_PORT_NONE, 0, QS_AF_INET6, "::", 0 },
	{ "::ffff:198.51.100.1", QS_PORT_NONE, 0, QS_AF_INET6, "::ffff:198.51.100.1", 0 },
	{ "[fd00::1]:443", QS_PORT_REQUIRED, 0, QS_AF_INET6, "fd00::1", 443 },
	{ "[fd00::1]:443", QS_PORT_OPTIONAL, 0, QS_AF_INET6, "fd00::1", 443 },
	{ .word = "[fd00::1]:443", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ "[::ffff:1.2.3.4]:443", QS_PORT_REQUIRED, 0, QS_AF_INET6, "::ffff:1.2.3.4", 443 },
	{ "[fd00::1]", QS_PORT_OPTIONAL, 0, QS_AF_INET6, "fd00::1", 0 },
	{ .word = "[fd00::1]", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[fd00::1]", .rule = QS_PORT_NONE, .err = -EINVAL },
	/* no brackets, no port: an IPv6 address's last group is never a port */
	{ "fd00::1:443", QS_PORT_NONE, 0, QS_AF_INET6, "fd00::1:443", 0 },
	{ "fd00::1:443", QS_PORT_OPTIONAL, 0, QS_AF_INET6, "fd00::1:443", 0 },
	{ .word = "fd00::1:443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[fd00::1]:70000", .rule = QS_PORT_REQUIRED, .err = -ERANGE },
	{ .word = "[fd00::1]:0", .rule = QS_PORT_REQUIRED, .err = -ERANGE },
	{ .word = "[fd00::1]:", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[fd00::1]443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[fd00::1", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "fd00::1]:443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[]:443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[[fd00::1]]:443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[1.2.3.4]:443",
	  .rule = QS_PORT_REQUIRED,
	  .err = -EINVAL }, /* brackets hold IPv6 only */
	{ .word = "fe80::1%eth0", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ .word = "[fe80::1%eth0]:443", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "1.2.3.4:443:1", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "fd00:::1", .rule = QS_PORT_NONE, .err = -EINVAL },
	{ "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:1", QS_PORT_REQUIRED, 0, QS_AF_INET6,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "[0000:0000:0000:0000:0000:ffff:255.255.255.255]:1", QS_PORT_REQUIRED, 0, QS_AF_INET6,
	  "::ffff:255.255.255.255", 1 },
	{ .word = "[00000::1]:1", .rule = QS_PORT_REQUIRED, .err = -EINVAL },
	{ .word = "[0000:0000:0000:0000:0000:0000:ffff:255.255.255.255]:1",
	  .rule = QS_PORT_REQUIRED,
	  .err = -EINVAL },
};

static const char *rule_name(enum qs_port_rule r)
{
	return r == QS_PORT_NONE ? "none" : r == QS_PORT_OPTIONAL ? "optional" : "required";
}

Test(words, addr_port)
{
	for (size_t i = 0; i < N(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct qs_addr_port ap = { .port = 7, .family = 99 };
		char text[64];
		int err = qs_parse_addr_port(c->word, c->rule, &ap);

		cr_expect_eq(err, c->err, "\"%s\" (port %s): got %d want %d", c->word,
			     rule_name(c->rule), err, c->err);
		if (c->err) {
			cr_expect(ap.port == 7 && ap.family == 99, "\"%s\": written on refusal",
				  c->word);
			continue;
		}
		cr_expect_eq(ap.family, c->family, "\"%s\": got family %u want %u", c->word,
			     ap.family, c->family);
		cr_expect_eq(ap.port, c->port, "\"%s\": got port %u want %u", c->word, ap.port,
			     c->port);
		qs_format_addr(&ap.addr, ap.family, text, sizeof(text));
		cr_expect_str_eq(text, c->addr, "\"%s\": got %s want %s", c->word, text, c->addr);
		if (ap.family == QS_AF_INET)
			cr_expect(!ap.addr.addr[1] && !ap.addr.addr[2] && !ap.addr.addr[3],
				  "\"%s\": IPv4 leaves addr[1..3] set", c->word);
	}
}

/* qs_parse_addr is the same parser with no port allowed. */
Test(words, addr_is_addr_port_without_a_port)
{
	for (size_t i = 0; i < N(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct qs_addr_port ap;
		struct qs_addr a;
		__u8 family = 99;
		int want = qs_parse_addr_port(c->word, QS_PORT_NONE, &ap);
		int err = qs_parse_addr(c->word, &a, &family);

		cr_expect_eq(err, want, "\"%s\": got %d want %d", c->word, err, want);
		if (!err)
			cr_expect(family == ap.family && !memcmp(&a, &ap.addr, sizeof(a)),
				  "\"%s\": differs from qs_parse_addr_port", c->word);
		else
			cr_expect_eq(family, 99, "\"%s\": family written on refusal", c->word);
	}
}

Test(words, addr_port_sockaddr)
{
	struct sockaddr_storage ss;
	struct qs_addr_port ap;

	cr_assert_eq(qs_parse_addr_port("198.51.100.1:443", QS_PORT_REQUIRED, &ap), 0);
	cr_assert_eq(qs_addr_port_sockaddr(&ap, &ss), sizeof(struct sockaddr_in));
	const struct sockaddr_in *sin = (const void *)&ss;
	cr_expect_eq(sin->sin_family, AF_INET);
	cr_expect_eq(sin->sin_port, htons(443));
	cr_expect_eq(sin->sin_addr.s_addr, htonl(0xc6336401));

	cr_assert_eq(qs_parse_addr_port("[fd00::1]:4434", QS_PORT_REQUIRED, &ap), 0);
	cr_assert_eq(qs_addr_port_sockaddr(&ap, &ss), sizeof(struct sockaddr_in6));
	const struct sockaddr_in6 *sin6 = (const void *)&ss;
	static const __u8 fd00_1[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	cr_expect_eq(sin6->sin6_family, AF_INET6);
	cr_expect_eq(sin6->sin6_port, htons(4434));
	cr_expect_arr_eq(sin6->sin6_addr.s6_addr, fd00_1, 16);

	ap.family = QS_AF_NONE;
	cr_expect_eq(qs_addr_port_sockaddr(&ap, &ss), 0);
}

struct prefix_case {
	const char *word;
	int err;
	__u8 family;
	const char *shown; /* qs_format_prefix of the result */
};

static const struct prefix_case prefix_cases[] = {
	{ "198.18.200.0/24", 0, QS_AF_INET, "198.18.200.0/24" },
	{ "198.18.200.7", 0, QS_AF_INET, "198.18.200.7/32" },
	{ "198.18.200.7/32", 0, QS_AF_INET, "198.18.200.7/32" },
	{ "0.0.0.0/0", 0, QS_AF_INET, "0.0.0.0/0" },
	{ "198.18.200.0/024", 0, QS_AF_INET, "198.18.200.0/24" },
	{ "198.18.200.128/25", 0, QS_AF_INET, "198.18.200.128/25" },
	{ "fd00:200::/112", 0, QS_AF_INET6, "fd00:200::/112" },
	{ "fd00:200::", 0, QS_AF_INET6, "fd00:200::/128" },
	{ "::/0", 0, QS_AF_INET6, "::/0" },
	{ "fd00:200::8000/113", 0, QS_AF_INET6, "fd00:200::8000/113" },
	{ "::ffff:198.18.0.0/112", 0, QS_AF_INET6, "::ffff:198.18.0.0/112" },
	/* host bits set: refused, never rounded down */
	{ .word = "198.18.200.7/24", .err = -EINVAL },
	{ .word = "198.18.200.128/24", .err = -EINVAL },
	{ .word = "0.0.0.1/0", .err = -EINVAL },
	{ .word = "fd00:200::1/112", .err = -EINVAL },
	{ .word = "fd00:200::8000/112", .err = -EINVAL },
	/* lengths past the family's */
	{ .word = "198.18.200.0/33", .err = -ERANGE },
	{ .word = "fd00::/129", .err = -ERANGE },
	{ .word = "fd00::/99999999999999999999999", .err = -ERANGE },
	/* not a prefix */
	{ .word = "198.18.200.0/", .err = -EINVAL },
	{ .word = "/24", .err = -EINVAL },
	{ .word = "198.18.200.0/24/1", .err = -EINVAL },
	{ .word = "198.18.200.0/+24", .err = -EINVAL },
	{ .word = "198.18.200.0/-1", .err = -EINVAL },
	{ .word = "198.18.200.0/ 24", .err = -EINVAL },
	{ .word = "198.18.200.0 /24", .err = -EINVAL },
	{ .word = "198.18.200.0/24 ", .err = -EINVAL },
	{ .word = "198.18.200.0/0x18", .err = -EINVAL },
	{ .word = "198.18.200/24", .err = -EINVAL },
	{ .word = "198.18.200.0:443/24", .err = -EINVAL },
	{ .word = "[fd00::]/64", .err = -EINVAL },
	{ .word = "fe80::%eth0/64", .err = -EINVAL },
	{ .word = "example.com/24", .err = -EINVAL },
	{ .word = "", .err = -EINVAL },
};

Test(words, prefix)
{
	for (size_t i = 0; i < N(prefix_cases); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		struct qs_prefix p = { .family = 99, .len = 199 };
		char text[64];
		int err = qs_parse_prefix(c->word, &p);

		cr_expect_eq(err, c->err, "prefix \"%s\": got %d want %d", c->word, err, c->err);
		if (c->err) {
			cr_expect(p.family == 99 && p.len == 199,
				  "prefix \"%s\": written on refusal", c->word);
			continue;
		}
		cr_expect_eq(p.family, c->family, "prefix \"%s\": got family %u want %u", c->word,
			     p.family, c->family);
		qs_format_prefix(&p, text, sizeof(text));
		cr_expect_str_eq(text, c->shown, "prefix \"%s\": got %s want %s", c->word, text,
				 c->shown);
		if (p.family == QS_AF_INET)
			cr_expect(!p.addr.addr[1] && !p.addr.addr[2] && !p.addr.addr[3],
				  "prefix \"%s\": IPv4 leaves addr[1..3] set", c->word);
	}
}

/* An address alone is the prefix of all its bits, wherever qs_parse_addr takes it. */
Test(words, prefix_of_an_address)
{
	for (size_t i = 0; i < N(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct qs_prefix p;
		struct qs_addr a;
		__u8 family;

		if (qs_parse_addr(c->word, &a, &family)) {
			cr_expect_neq(qs_parse_prefix(c->word, &p), 0, "\"%s\": taken as a prefix",
				      c->word);
			continue;
		}
		cr_expect_eq(qs_parse_prefix(c->word, &p), 0, "\"%s\": refused", c->word);
		cr_expect(p.family == family && p.len == (family == QS_AF_INET ? 32 : 128) &&
				  !memcmp(&p.addr, &a, sizeof(a)),
			  "\"%s\": differs from qs_parse_addr", c->word);
	}
}

Test(words, format)
{
	static const struct {
		__u64 ms;
		const char *want;
	} durations[] = {
		{ 0, "0s" },	      { 500, "500ms" },
		{ 1500, "1500ms" },   { 30000, "30s" },
		{ 60000, "60s" },     { 120000, "120s" },
		{ 3600000, "1h" },    { 7200000, "2h" },
		{ 3601000, "3601s" }, { UINT64_MAX, "18446744073709551615ms" },
	};
	static const __u8 bytes[] = { 0x0a, 0x1b, 0xff };
	static const __u8 mac[6] = { 0x02, 0, 0xab, 0, 0, 0x01 };
	struct qs_addr none = { 0 };
	char buf[32];

	for (size_t i = 0; i < N(durations); i++)
		cr_expect_str_eq(qs_format_duration(durations[i].ms, buf, sizeof(buf)),
				 durations[i].want, "%llu ms: got %s want %s",
				 (unsigned long long)durations[i].ms, buf, durations[i].want);
	cr_expect_str_eq(qs_format_hex(bytes, 3, buf, sizeof(buf)), "0a1bff");
	/* whole bytes only: 5 bytes of room hold two of them and the NUL */
	cr_expect_str_eq(qs_format_hex(bytes, 3, buf, 6), "0a1b");
	cr_expect_str_eq(qs_format_hex(bytes, 0, buf, sizeof(buf)), "");
	cr_expect_str_eq(qs_format_mac(mac, buf, sizeof(buf)), "02:00:ab:00:00:01");
	cr_expect_str_eq(qs_format_addr(&none, QS_AF_NONE, buf, sizeof(buf)), "none");
}

/* What the formatters write, the parsers read back to the same value. */
Test(words, round_trip)
{
	static const __u64 ms[] = { 0, 1, 999, 1000, 90000, 3600000, 86400000 };
	char buf[64];

	for (size_t i = 0; i < N(ms); i++) {
		__u64 back = SENTINEL;

		qs_format_duration(ms[i], buf, sizeof(buf));
		cr_expect_eq(qs_parse_duration(buf, &back), 0, "%s refused", buf);
		cr_expect_eq(back, ms[i], "%s: got %llu want %llu", buf, (unsigned long long)back,
			     (unsigned long long)ms[i]);
	}
	for (size_t i = 0; i < N(prefix_cases); i++) {
		struct qs_prefix p, back;

		if (prefix_cases[i].err)
			continue;
		qs_parse_prefix(prefix_cases[i].word, &p);
		qs_format_prefix(&p, buf, sizeof(buf));
		cr_expect_eq(qs_parse_prefix(buf, &back), 0, "%s refused", buf);
		cr_expect(!memcmp(&back.addr, &p.addr, sizeof(p.addr)) && back.family == p.family &&
				  back.len == p.len,
			  "%s: differs", buf);
	}
	for (size_t i = 0; i < N(addr_cases); i++) {
		struct qs_addr_port ap, back;

		if (addr_cases[i].err)
			continue;
		qs_parse_addr_port(addr_cases[i].word, addr_cases[i].rule, &ap);
		qs_format_addr(&ap.addr, ap.family, buf, sizeof(buf));
		cr_expect_eq(qs_parse_addr_port(buf, QS_PORT_NONE, &back), 0, "%s refused", buf);
		cr_expect(!memcmp(&back.addr, &ap.addr, sizeof(ap.addr)), "%s: differs", buf);
	}
}
