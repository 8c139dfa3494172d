/*
 * xmalloc.h - allocation that aborts on out-of-memory.  The store is
 * transactional and recovered on start, so crashing is safe and simpler
 * than threading ENOMEM through every caller.
 */
#ifndef BC_XMALLOC_H
#define BC_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs and aborts; for allocations made by libraries. */
void xalloc_fail(void) __attribute__((noreturn));

#endif
