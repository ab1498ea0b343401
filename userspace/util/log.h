/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One logging module for every quicsteer program; libbpf is routed here.
 * Lines go to stderr as "PROGRAM: LEVEL: message", PROGRAM the name the
 * program runs under (quicsteerd, quicsteer, ...), whole from any thread.
 */
#ifndef QS_LOG_H
#define QS_LOG_H

enum qs_log_level {
	QS_LOG_WARN = 0,
	QS_LOG_INFO,
	QS_LOG_DEBUG,
};

void qs_log_set_level(enum qs_log_level level);
enum qs_log_level qs_log_get_level(void);
void qs_log(enum qs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Routes libbpf's messages through qs_log, one level down. */
void qs_log_route_libbpf(void);

#define pr_warn(...) qs_log(QS_LOG_WARN, __VA_ARGS__)
#define pr_info(...) qs_log(QS_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) qs_log(QS_LOG_DEBUG, __VA_ARGS__)

#endif /* QS_LOG_H */
