/*
 * harness.h - feeds stanza text through the real router and records what
 * the component sends, for XPath assertions.
 *
 * Most tests are step tables: an array of struct harness_step.  A step
 * sends one stanza (or nothing, to check what is recorded already) and
 * checks what the component sent in reply:
 *
 *	HARNESS_TEST(disco_and_errors,
 *		{.send = "<iq type='get' id='1' from='a@x/r' to='bc.test'>"
 *			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
 *		 .sent = 1, .expect = {
 *			 "/iq[@type='result'][@id='1']/disco:query"
 *			 "/disco:feature[@var='urn:xmpp:ping']",
 *		 }},
 *		{.send = "<iq type='error' id='2' from='a@x/r' to='bc.test'/>",
 *		 .sent = HARNESS_NONE})
 *
 * defines the cmocka test disco_and_errors(void **state), *state being
 * the harness (set up by the group's setup function).  A test with C
 * between its steps (store calls, the clock, a loop) runs tables itself:
 *
 *	static const struct harness_step steps[] = { ... };
 *	harness_run(h, steps);
 *
 * One step, in this order:
 *   .advance  milliseconds added to the pinned clock (clock_pin()) first.
 *   .send     stanza text: what was recorded is forgotten, the text is
 *             dispatched and the outbox flushed.  Without .send the step
 *             checks what is recorded (after C code between two tables).
 *   .sent     exactly how many stanzas are recorded: n > 0, or
 *             HARNESS_NONE for nothing.  0 (left out) does not check.
 *   .capture  { name, xpath } pairs: the string value of xpath on the
 *             first stanza (or on "N: ") where it is not empty is kept in
 *             the slot name, for ${name} in this step's checks and later
 *             steps.  It fails when there is no such stanza.
 *   .expect   XPaths, each met by some recorded stanza (in any order), or
 *             by stanza N when written "N: xpath" (N from 0).  A node-set
 *             is met when it selects exactly one node (a duplicated
 *             element fails: write count(...) or boolean(...) for
 *             anything else); a boolean when it is true.  Each XPath is
 *             checked on its own: two conditions on one stanza belong in
 *             one XPath, as predicates.
 *   .values   { xpath, expected } pairs: the string value of xpath is
 *             expected, on some stanza or on "N: ".  For text an XPath
 *             literal cannot hold, and to print what came instead.
 *   .never    strings no recorded stanza may contain (real JIDs, say).
 * The lists end at the first NULL.  ${name} is replaced in .send, .expect,
 * .values, .never and in captured XPaths, as is (no XML escaping);
 * harness_var_set() sets a slot from C.
 *
 * Prefixes: every namespace of xep/ns.h, by its NS_PREFIXES() prefix (st
 * for stanza errors, disco, items, data, cmd, rep, jid, ...).  Sent
 * stanzas themselves are in no namespace: /iq, /message/body.
 *
 * A failed step fails the test at the harness_run() (or HARNESS_TEST())
 * line and prints the step's index, what it sent, each expectation not
 * met with what each stanza gave instead, and every stanza recorded.
 */
#ifndef BC_TEST_HARNESS_H
#define BC_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <strophe.h>

struct harness {
	xmpp_ctx_t *xctx;
	struct cfg *cfg;
	struct store *store;
	/* A rooms instance's own rooms store (harness_new_shard()), beside
	 * the directory in store; NULL for any other harness. */
	struct store *rooms_store;
	struct bc *bc;
	char **sent; /* serialised stanzas, in order */
	size_t n_sent;
	bool transport_down; /* when true the transport refuses stanzas */
	char dir[64];        /* the store's temporary directory, or "" */
	char **var_names;    /* ${name} slots of the step tables */
	char **var_values;
	size_t n_vars;
};

/* A harness with D = bc.test, M = rooms.bc.test.  extra is XML inserted
 * into <backchannel> (may be NULL).  with_store opens a store in a new
 * temporary directory. */
struct harness *harness_new(const char *extra, bool with_store);
void harness_free(struct harness *h);

/* A rooms instance (<shard/>, docs/SCALING.md) with D and M as above and
 * extra as for harness_new(): store is its directory (in a new temporary
 * directory) and rooms_store its own rooms (in the subdirectory rooms of
 * it), the two given to bc_new_split().  It serves M only. */
struct harness *harness_new_shard(const char *extra);

/* A cmocka teardown: frees the harness in *state (may be NULL) and
 * unpins the clock. */
int harness_teardown(void **state);

/* Parses xml as one stanza, dispatches it and flushes the outbox. */
void harness_feed(struct harness *h, const char *xml);

/* Forgets what was recorded so far. */
void harness_clear(struct harness *h);

/* Forgets what was recorded, moves the pinned clock on by ms and runs the
 * modules' tick (timers, the change log), flushing what it sent. */
void harness_tick(struct harness *h, int64_t ms);

/* The XPath string value of expr evaluated on sent stanza i (a new string;
 * free it).  Prefixes: those of NS_PREFIXES() in xep/ns.h. */
char *harness_xpath(struct harness *h, size_t i, const char *expr);

/* Asserts that expr on sent stanza i has the string value expected. */
void harness_assert(struct harness *h, size_t i, const char *expr,
		    const char *expected);

/* Asserts that exactly n stanzas were sent. */
void harness_assert_count(struct harness *h, size_t n);

/* Adds the identity handle with the display name name (may be NULL) to
 * the store, and links the account jid to it unless jid is NULL. */
void harness_member(struct harness *h, const char *handle, const char *name,
		    const char *jid);

/* Asserts that the store holds n (> 0) open reports and that the last
 * listed, the newest, is by reporter, about reported, with text, and with
 * a first piece of evidence that contains evidence; a NULL one is not
 * checked. */
void harness_assert_report(struct harness *h, size_t n, const char *reporter,
			   const char *reported, const char *text,
			   const char *evidence);

/* The size of a step's lists. */
#define HARNESS_EXPECTS 16
#define HARNESS_VALUES 8
#define HARNESS_CAPTURES 4
#define HARNESS_NEVER 8

/* .sent of a step that must send nothing. */
#define HARNESS_NONE (-1)

/* An XPath whose string value must be value. */
struct harness_value {
	const char *xpath;
	const char *value;
};

/* An XPath whose string value goes into the slot name. */
struct harness_capture {
	const char *name;
	const char *xpath;
};

/* One step of a table (see the top of this file). */
struct harness_step {
	int64_t advance;
	const char *send;
	int sent;
	struct harness_capture capture[HARNESS_CAPTURES];
	const char *expect[HARNESS_EXPECTS];
	struct harness_value values[HARNESS_VALUES];
	const char *never[HARNESS_NEVER];
};

/* Runs the steps of the array steps in order; the first failure fails the
 * test there. */
#define harness_run(h, steps)                                                  \
	harness_run_steps((h), (steps), sizeof(steps) / sizeof((steps)[0]),   \
			  __FILE__, __LINE__)
void harness_run_steps(struct harness *h, const struct harness_step *steps,
		       size_t n, const char *file, int line);

/* Defines the test name(void **state), *state being the harness, that
 * runs the steps given after the name. */
#define HARNESS_TEST(name, ...)                                                \
	static void name(void **state)                                         \
	{                                                                      \
		static const struct harness_step name##_steps[] = {           \
			__VA_ARGS__};                                          \
		harness_run(*state, name##_steps);                             \
	}

/* Sets the slot name to value (copied), for ${name} in later steps. */
void harness_var_set(struct harness *h, const char *name, const char *value);

/* The value of slot name, or NULL. */
const char *harness_var(const struct harness *h, const char *name);

#endif
