// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The names of the configuration language: what makes an object or an
 * interface name. Numbers, durations, addresses and hex strings are
 * util/words.c's, shared with every program.
 */
#include <stdbool.h>
#include <string.h>
#include "config.h"

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
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
