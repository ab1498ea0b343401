/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Printable names of the enums in abi.h, for the CLI, metrics and tests. */
#ifndef QS_REASONS_H
#define QS_REASONS_H

#include "abi/abi.h"

const char *qs_reason_name(unsigned int reason);
const char *qs_decap_reason_name(unsigned int reason);
const char *qs_aux_counter_name(unsigned int counter);

#endif /* QS_REASONS_H */
