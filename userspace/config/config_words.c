// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The words of the configuration language: numbers, durations, addresses,
 * MAC addresses, hex strings and names. Strict on purpose: a word either
 * means exactly one value or is refused, never read as far as it makes
 * sense (strtoul would take "30x" as 30 and "-1" as a huge number).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "config.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
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
	*v = x;
	return overflow ? -ERANGE : 0;
}

int qs_config_parse_u64(const char *s, __u64 *v)
{
	return digits_value(s, strlen(s), v);
}

static const struct {
	const char *unit;
	__u64 ms;
	bool shown; /* qs_config_duration_str's units: "120s" reads better than "2m" */
} duration_units[] = {
	/* largest first: qs_config_duration_str takes the first shown that divides */
	{ "h", 3600000, true },
	{ "m", 60000, false },
	{ "s", 1000, true },
	{ "ms", 1, true },
};

/* A unit is required: is "30" seconds or milliseconds? Nobody should guess. */
int qs_config_parse_duration(const char *s, __u64 *ms)
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

const char *qs_config_duration_str(__u64 ms, char *buf, size_t size)
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

/* inet_pton refuses scope suffixes ("fe80::1%eth0"): a VIP has no scope. */
int qs_config_parse_addr(const char *s, struct qs_config_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->addr.addr[0]) == 1) {
		a->family = QS_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr.addr) == 1) {
		a->family = QS_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *qs_config_addr_str(const struct qs_config_addr *a, char *buf, size_t size)
{
	int af = a->family == QS_AF_INET6 ? AF_INET6 : AF_INET;

	if (a->family == QS_AF_NONE || !inet_ntop(af, a->addr.addr, buf, size))
		snprintf(buf, size, "none");
	return buf;
}

int qs_config_parse_mac(const char *s, __u8 mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (__u8)(hi << 4 | lo);
		s += 3;
	}
	return 0;
}

int qs_config_parse_hex(const char *s, __u8 *out, size_t max, size_t *len)
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

const char *qs_config_hex_str(const __u8 *bytes, size_t len, char *buf, size_t size)
{
	size_t i;

	if (!size)
		return buf;
	for (i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	buf[2 * i] = '\0';
	return buf;
}

/*
 * Names become metric labels, JSON strings and CLI arguments: a small
 * alphabet keeps them safe in all three without quoting.
 */
const char *qs_config_name_problem(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "is empty";
	if (n >= QS_CONFIG_NAME_MAX)
		return "is longer than 31 bytes";
	if (!is_alnum(s[0]))
		return "must start with a letter or a digit";
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return "may hold only letters, digits, '-', '_' and '.'";
	return NULL;
}

/* The kernel's own rule (dev_valid_name); words never hold whitespace. */
const char *qs_config_ifname_problem(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "is empty";
	if (n >= IFNAMSIZ)
		return "is longer than 15 bytes";
	if (!strcmp(s, ".") || !strcmp(s, "..") || strpbrk(s, "/:"))
		return "is not a valid interface name";
	return NULL;
}
