// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <time.h>
#include "clock.h"

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

__u64 qs_now_coarse_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

__u64 qs_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

__u64 qs_wall_coarse_ns(void)
{
	return clock_ns(CLOCK_REALTIME_COARSE);
}
