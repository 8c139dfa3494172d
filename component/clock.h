/*
 * clock.h - the one source of time.  Tests pin it with clock_pin().
 */
#ifndef BC_CLOCK_H
#define BC_CLOCK_H

#include <stdint.h>

/* Wall-clock time in milliseconds since the epoch (pinned value if set). */
int64_t clock_now_ms(void);

/* Monotonic time in milliseconds, for timers and backoff (pinned if set). */
int64_t clock_mono_ms(void);

/* Pins both clocks to ms; clock_unpin() returns to the real clocks. */
void clock_pin(int64_t ms);
void clock_advance(int64_t ms);
void clock_unpin(void);

/* Formats ms since the epoch as an XEP-0082 UTC timestamp into buf
 * (at least 32 bytes), e.g. 2026-11-25T08:50:51.123Z; returns buf. */
/* Reads a XEP-0082 DateTime, CCYY-MM-DDThh:mm:ss[.sss...](Z|(+|-)hh:mm),
 * into milliseconds since the epoch (digits past the milliseconds are
 * ignored).  Returns 0, or -1 when s is not one. */
int clock_parse_xep82(const char *s, int64_t *out);

char *clock_format_xep82(int64_t ms, char *buf, unsigned long size);

#endif
