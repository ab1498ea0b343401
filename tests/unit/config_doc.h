/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* docs/configuration.md as the config tests read it (test_config.c). */
#ifndef QS_TEST_CONFIG_DOC_H
#define QS_TEST_CONFIG_DOC_H

/* The one ```conf block of the documentation, malloc'd. */
char *config_doc_example(void);

#endif /* QS_TEST_CONFIG_DOC_H */
