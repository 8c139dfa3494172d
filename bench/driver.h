/*
 * driver.h - what the load drivers of bench/ share: the server side of
 * XEP-0114 on 127.0.0.1, and the CPU time of the process under test.
 *
 * A struct drv listens on an ephemeral loopback port (written to a port
 * file), accepts a fixed number of component connections, answers each
 * stream header, checks each handshake digest (SHA-1 of stream id and
 * secret, XEP-0114 §3), and then hands every complete top-level element
 * that a connection sends to the driver's callback.  Elements are found
 * by bytes, not parsed: libstrophe and the daemon escape '<' and '>' in
 * attribute values and text, so every '<' starts a tag.
 *
 * Everything is loopback, single-threaded and non-blocking; a driver
 * bounds its own run time and fails (exit 1, one line on stderr) on
 * anything unexpected.
 */
#ifndef BC_BENCH_DRIVER_H
#define BC_BENCH_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <strophe.h>

#define DRV_MAX_CONNS 4

enum drv_state {
	DRV_HEADER,    /* waiting for the component's stream header */
	DRV_HANDSHAKE, /* waiting for <handshake/> */
	DRV_UP,
	DRV_CLOSED,
};

struct drv_peer {
	int fd;
	enum drv_state state;
	char domain[256];
	char stream_id[32];
	/* What was read and not yet consumed, with the scanner's state:
	 * the next byte to look at, the element depth (1 = inside the
	 * stream) and where the current top-level element started. */
	char *in;
	size_t in_len, in_cap, pos, start;
	int depth;
	uint64_t bytes_in; /* every byte read from this connection */
	/* What waits to be written. */
	char *out;
	size_t out_len, out_off, out_cap;
};

struct drv;

/* Called for each complete top-level element [elem, end) that an
 * established connection p sent (the handshake is handled here). */
typedef void (*drv_element_fn)(struct drv *d, struct drv_peer *p,
			       const char *elem, const char *end);

struct drv {
	const char *secret;
	int conns; /* connections to accept */
	struct drv_peer peers[DRV_MAX_CONNS];
	int npeers;
	int lfd;
	xmpp_ctx_t *xctx; /* for SHA-1 */
	drv_element_fn on_element;
	void *arg; /* the driver's own state */
};

/* The program's name in messages (set by main()). */
extern const char *drv_name;

/* Prints "NAME: message" on stderr and exits with status 1. */
void drv_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Listens on 127.0.0.1 (an ephemeral port, written to portfile) for
 * conns connections with the given secret. */
void drv_start(struct drv *d, const char *portfile, const char *secret,
	       int conns, drv_element_fn fn, void *arg);

/* One round of I/O: waits up to timeout_ms, accepts, reads (calling the
 * element callback) and writes what is queued.  Fails when a connection
 * closes after it was established. */
void drv_poll(struct drv *d, int timeout_ms);

/* True when every expected connection has completed its handshake. */
bool drv_all_up(const struct drv *d);

/* The established connection for domain, or NULL. */
struct drv_peer *drv_peer(struct drv *d, const char *domain);

/* Queues bytes for p (written by drv_poll()). */
void drv_queue(struct drv_peer *p, const char *s, size_t len);
void drv_queue_str(struct drv_peer *p, const char *s);

/* Bytes queued for p and not yet written. */
size_t drv_pending(const struct drv_peer *p);

/* Ends every stream, closes the connections and the listener, frees. */
void drv_stop(struct drv *d);

/* The value of attribute name in the start tag [tag, end) into out, or ""
 * when it is missing or does not fit. */
void drv_attr(const char *tag, const char *end, const char *name, char *out,
	      size_t size);

/* True when the element [elem, end) is a <name ...> element. */
bool drv_is(const char *elem, const char *end, const char *name);

/* The end of the start tag of [elem, end) (its '>'). */
const char *drv_tag_end(const char *elem, const char *end);

/* Monotonic seconds. */
double drv_now(void);

/* This process's user + system CPU seconds. */
double drv_self_cpu(void);

/* CPU time of another process: total from /proc/PID/schedstat
 * (nanoseconds), the user and system split from /proc/PID/stat (clock
 * ticks, so coarse). */
struct drv_cpu {
	double total, user, sys;
};

/* Reads the CPU time of pid; false when it cannot. */
bool drv_cpu(long pid, struct drv_cpu *c);

/* Reads a PID from file, waiting for it until deadline (drv_now()); 0 when
 * none came. */
long drv_read_pid(const char *file, double deadline);

#endif
