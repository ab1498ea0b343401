/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The clocks quicsteer reads, in nanoseconds. Deadlines that the data
 * path also stamps (learned IDs, address entries) use the coarse clock,
 * the one bpf_ktime_get_coarse_ns reads; measurements use the precise one.
 * The wall clock is only for what other machines stamped: the timestamps
 * of backend reports.
 */
#ifndef QS_CLOCK_H
#define QS_CLOCK_H

#include <linux/types.h>

/* CLOCK_MONOTONIC_COARSE: cheap, a few milliseconds of resolution. */
__u64 qs_now_coarse_ns(void);
/* CLOCK_MONOTONIC. */
__u64 qs_now_ns(void);
/* CLOCK_REALTIME_COARSE, since the Unix epoch: a few milliseconds of resolution. */
__u64 qs_wall_coarse_ns(void);

#endif /* QS_CLOCK_H */
