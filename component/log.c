/*
 * log.c - levelled logging to stderr and, optionally, syslog.
 *
 * Lines go to stderr as "<N>ident: message" where N is the syslog priority,
 * which systemd's journal understands; the journal stamps them, so no
 * timestamp is added there.  A log file (--log-file) has nobody to stamp
 * it: its lines start with an ISO 8601 UTC timestamp with milliseconds,
 * "2026-11-25T08:50:51.123Z <6>ident: message".
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "component/clock.h"
#include "component/log.h"

static const char *log_ident = "backchannel";
static enum log_level log_level = LOG_LEVEL_INFO;
static bool log_syslog;
static char log_path[4096];

static const int log_prio[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_init(const char *ident, enum log_level level, bool use_syslog)
{
	log_ident = ident;
	log_level = level;
	if (log_syslog)
		closelog();
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_set_file(const char *path)
{
	int fd;

	if (strlen(path) >= sizeof(log_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (path != log_path) /* log_reopen() passes log_path itself */
		strcpy(log_path, path);
	return 0;
}

void log_reopen(void)
{
	if (log_path[0] != '\0' && log_set_file(log_path) < 0)
		log_warn("cannot reopen log file %s", log_path);
	if (log_syslog) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_level_parse(const char *name)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

size_t log_format_line(char *buf, size_t size, bool stamp, int64_t now_ms,
		       int prio, const char *ident, const char *msg)
{
	char when[40] = "";
	int n;

	if (stamp) {
		clock_format_xep82(now_ms, when, sizeof(when) - 1);
		strcat(when, " ");
	}
	n = snprintf(buf, size, "%s<%d>%s: %s\n", when, prio, ident, msg);
	if (n < 0 || size == 0)
		return 0;
	if ((size_t)n >= size) { /* cut short: still one line */
		buf[size - 2] = '\n';
		return size - 1;
	}
	return (size_t)n;
}

static void log_vwrite(enum log_level level, int errnum, const char *fmt,
		       va_list ap)
{
	char msg[2048], line[2200];
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
			 strerror(errnum));
	log_format_line(line, sizeof(line), log_path[0] != '\0',
			clock_now_ms(), log_prio[level], log_ident, msg);
	fputs(line, stderr);
	if (log_syslog)
		syslog(log_prio[level], "%s", msg);
}

#define LOG_DEFINE(fn, level, with_errno)                                      \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		int saved = errno;                                             \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, (with_errno) ? saved : 0, fmt, ap);          \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	}

LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_DEFINE(log_info, LOG_LEVEL_INFO, 0)
LOG_DEFINE(log_warnx, LOG_LEVEL_WARN, 0)
LOG_DEFINE(log_warn, LOG_LEVEL_WARN, 1)
LOG_DEFINE(log_errx, LOG_LEVEL_ERROR, 0)
LOG_DEFINE(log_err, LOG_LEVEL_ERROR, 1)
