/*
 * log.h - levelled logging to stderr (the journal's way) and, optionally,
 * to syslog.
 *
 * log_warn() and log_err() append strerror(errno); the "x" variants don't
 * (the OpenSMTPD convention).
 */
#ifndef BC_LOG_H
#define BC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Sets where messages go and which are kept.  ident names the program in
 * syslog and in the stderr prefix. */
void log_init(const char *ident, enum log_level level, bool use_syslog);

/* Reopens the outputs (SIGHUP): reopens syslog and, when stderr was
 * redirected to a file with log_set_file(), that file. */
void log_reopen(void);

/* Sends stderr output to path (appending) instead of the inherited stderr;
 * returns 0 or -1 with errno set. */
int log_set_file(const char *path);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);

/* Formats one output line into buf: "<prio>ident: msg\n", preceded by
 * now_ms as an ISO 8601 UTC timestamp and a space when stamp is set (a log
 * file; the journal stamps stderr itself).  A line longer than size is cut
 * but still ends in a newline.  Returns its length.  Exposed for tests. */
size_t log_format_line(char *buf, size_t size, bool stamp, int64_t now_ms,
		       int prio, const char *ident, const char *msg);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
