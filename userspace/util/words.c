// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "words.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* An absurd number reads as out of range, never wrapped into a small one. */
static int digits_value(const char *s, size_t n, __u64 *v)
{
	bool overflow = false;
	__u64 x = 0;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		__u64 d = (__u64)(s[i] - '0');

		if (!is_digit(s[i]))
			return -EINVAL;
		if (x > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			x = x * 10 + d;
	}
	if (overflow)
		return -ERANGE;
	*v = x;
	return 0;
}

int qs_parse_u64(const char *s, __u64 *v)
{
	return digits_value(s, strlen(s), v);
}

int qs_parse_u64_range(const char *s, __u64 min, __u64 max, __u64 *v)
{
	__u64 x;
	int err = qs_parse_u64(s, &x);

	if (err)
		return err;
	if (x < min || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

int qs_parse_u64_hex(const char *s, __u64 *v)
{
	bool overflow = false;
	__u64 x = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		int d = hex_value(*s);

		if (d < 0)
			return -EINVAL;
		if (x >> 60)
			overflow = true;
		x = x << 4 | (__u64)d;
	}
	if (overflow)
		return -ERANGE;
	*v = x;
	return 0;
}

static const struct {
	const char *unit;
	__u64 ms;
	bool shown; /* qs_format_duration's units: "120s" reads better than "2m" */
} duration_units[] = {
	/* largest first: qs_format_duration takes the first shown that divides */
	{ "h", 3600000, true },
	{ "m", 60000, false },
	{ "s", 1000, true },
	{ "ms", 1, true },
};

/* A unit is required: is "30" seconds or milliseconds? Nobody should guess. */
int qs_parse_duration(const char *s, __u64 *ms)
{
	size_t n = strspn(s, "0123456789");
	__u64 v;
	int err;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strcmp(s + n, duration_units[i].unit))
			continue;
		err = digits_value(s, n, &v);
		if (err)
			return err;
		if (v > UINT64_MAX / duration_units[i].ms)
			return -ERANGE;
		*ms = v * duration_units[i].ms;
		return 0;
	}
	return -EINVAL;
}

const char *qs_format_duration(__u64 ms, char *buf, size_t size)
{
	size_t i = 0;

	if (!ms)
		i = 2; /* "0s" */
	while (ms % duration_units[i].ms || !duration_units[i].shown)
		i++;
	snprintf(buf, size, "%llu%s", (unsigned long long)(ms / duration_units[i].ms),
		 duration_units[i].unit);
	return buf;
}

int qs_parse_hex(const char *s, __u8 *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (!n || n % 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (hex_value(s[i]) < 0)
			return -EINVAL;
	if (n / 2 > max)
		return -ERANGE;
	for (size_t i = 0; i < n / 2; i++)
		out[i] = (__u8)(hex_value(s[2 * i]) << 4 | hex_value(s[2 * i + 1]));
	*len = n / 2;
	return 0;
}

const char *qs_format_hex(const __u8 *bytes, size_t len, char *buf, size_t size)
{
	size_t i;

	if (!size)
		return buf;
	for (i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	buf[2 * i] = '\0';
	return buf;
}

int qs_parse_mac(const char *s, __u8 mac[6])
{
	__u8 m[6];

	for (int i = 0; i < 6; i++) {
		int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		m[i] = (__u8)(hi << 4 | lo);
		s += 3;
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

const char *qs_format_mac(const __u8 mac[6], char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

/*
 * Splits s into the address and the port words. A single colon ends an
 * IPv4 address; more colons make an IPv6 address, whose port needs
 * brackets. port is NULL when there is none, bracketed true for "[...]".
 */
static int addr_port_split(const char *s, char host[INET6_ADDRSTRLEN], const char **port,
			   bool *bracketed)
{
	const char *colon, *end;
	size_t n;

	*port = NULL;
	*bracketed = s[0] == '[';
	if (*bracketed) {
		end = strchr(++s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		if (end[1])
			*port = end + 2;
	} else {
		colon = strchr(s, ':');
		end = colon && !strchr(colon + 1, ':') ? colon : s + strlen(s);
		if (*end)
			*port = end + 1;
	}
	n = (size_t)(end - s);
	if (!n || n >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

/* inet_pton refuses scope suffixes ("fe80::1%eth0") and spaces alike. */
int qs_parse_addr_port(const char *s, enum qs_port_rule rule, struct qs_addr_port *ap)
{
	struct qs_addr_port r = { 0 };
	char host[INET6_ADDRSTRLEN];
	const char *port;
	bool bracketed;
	__u64 p = 0;
	int err;

	err = addr_port_split(s, host, &port, &bracketed);
	if (err)
		return err;
	if (port ? rule == QS_PORT_NONE : rule == QS_PORT_REQUIRED)
		return -EINVAL;
	if (bracketed && rule == QS_PORT_NONE)
		return -EINVAL;
	if (!bracketed && inet_pton(AF_INET, host, &r.addr.addr[0]) == 1)
		r.family = QS_AF_INET;
	else if (inet_pton(AF_INET6, host, r.addr.addr) == 1)
		r.family = QS_AF_INET6;
	else
		return -EINVAL;
	if (port) {
		err = qs_parse_u64_range(port, 1, 65535, &p);
		if (err)
			return err;
	}
	r.port = (__u16)p;
	*ap = r;
	return 0;
}

int qs_parse_addr(const char *s, struct qs_addr *addr, __u8 *family)
{
	struct qs_addr_port ap;
	int err = qs_parse_addr_port(s, QS_PORT_NONE, &ap);

	if (err)
		return err;
	*addr = ap.addr;
	*family = ap.family;
	return 0;
}

/* Whether addr has a bit set past the first len of its family's bits. */
static bool host_bits_set(const struct qs_addr *addr, unsigned int bits, unsigned int len)
{
	const __u8 *b = (const __u8 *)addr->addr;

	for (unsigned int i = len; i < bits; i++)
		if (b[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

int qs_parse_prefix(const char *s, struct qs_prefix *p)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct qs_prefix r = { 0 };
	unsigned int bits;
	__u64 len;
	int err;

	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	err = qs_parse_addr(host, &r.addr, &r.family);
	if (err)
		return err;
	bits = r.family == QS_AF_INET ? 32 : 128;
	len = bits;
	if (slash) {
		err = qs_parse_u64(slash + 1, &len);
		if (err)
			return err;
		if (len > bits)
			return -ERANGE;
	}
	if (host_bits_set(&r.addr, bits, (unsigned int)len))
		return -EINVAL;
	r.len = (__u8)len;
	*p = r;
	return 0;
}

const char *qs_format_prefix(const struct qs_prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	snprintf(buf, size, "%s/%u", qs_format_addr(&p->addr, p->family, addr, sizeof(addr)),
		 p->len);
	return buf;
}

socklen_t qs_addr_port_sockaddr(const struct qs_addr_port *ap, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (ap->family == QS_AF_INET6) {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ap->addr.addr, sizeof(sin6->sin6_addr));
		sin6->sin6_port = htons(ap->port);
		return sizeof(*sin6);
	}
	if (ap->family == QS_AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = ap->addr.addr[0];
		sin->sin_port = htons(ap->port);
		return sizeof(*sin);
	}
	return 0;
}

const char *qs_format_addr(const struct qs_addr *addr, __u8 family, char *buf, size_t size)
{
	int af = family == QS_AF_INET6 ? AF_INET6 : AF_INET;

	if (family == QS_AF_NONE || !inet_ntop(af, addr->addr, buf, size))
		snprintf(buf, size, "none");
	return buf;
}
