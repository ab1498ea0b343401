/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libcrypto's allocations, counted while a test asks: for the paths that
 * promise to allocate nothing (the reporter's, test_backend.c; the QUIC-LB
 * codec's, test_quiclb_codec.c). The counter is installed before main, once
 * for the whole test binary, and only forwards to malloc otherwise.
 */
#ifndef QS_TEST_CRYPTO_ALLOCS_H
#define QS_TEST_CRYPTO_ALLOCS_H

/* Whether libcrypto took the counter: it takes one only before its first allocation. */
int crypto_allocs_installed(void);

/* Counts from zero until crypto_allocs_stop, which returns the count. */
void crypto_allocs_start(void);
long crypto_allocs_stop(void);

#endif /* QS_TEST_CRYPTO_ALLOCS_H */
