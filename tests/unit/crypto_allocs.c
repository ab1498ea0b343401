// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* libcrypto's allocations, counted while a test asks (crypto_allocs.h). */
#include <stdlib.h>
#include <openssl/crypto.h>
#include "crypto_allocs.h"

static int counting, installed;
static long allocs;

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	allocs += counting;
	return realloc(p, n);
}

static void *count_malloc(size_t n, const char *file, int line)
{
	return count_realloc(NULL, n, file, line);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

/*
 * libcrypto takes an allocator only before its first allocation, and the
 * test runner's libraries make one before any test runs: install it first.
 */
__attribute__((constructor)) static void crypto_allocs_install(void)
{
	installed = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
}

int crypto_allocs_installed(void)
{
	return installed;
}

void crypto_allocs_start(void)
{
	allocs = 0;
	counting = 1;
}

long crypto_allocs_stop(void)
{
	counting = 0;
	return allocs;
}
