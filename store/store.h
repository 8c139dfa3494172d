/*
 * store.h - the only door to the Berkeley DB store.  Nothing outside store/
 * includes <db.h>: callers see an opaque handle and small typed functions.
 * See docs/STORE.md for the databases, keys and value formats.
 *
 * Return codes: 0 ok, STORE_NOTFOUND (positive) for a missing record,
 * negative on failure (already logged once with db_strerror).
 */
#ifndef BC_STORE_H
#define BC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STORE_NOTFOUND 1

/* Outcomes of store_token_claim() beside 0 and STORE_NOTFOUND (which
 * there means an unknown token: STORE_TOKEN_UNKNOWN). */
#define STORE_TOKEN_UNKNOWN STORE_NOTFOUND
#define STORE_TOKEN_USED 2    /* the token was already redeemed */
#define STORE_TOKEN_EXPIRED 3 /* the token is past its expiry */

enum store_err {
	STORE_OK = 0,
	STORE_EFAIL = -1,      /* Berkeley DB failure (logged) */
	STORE_EEXIST = -2,     /* duplicate key where one is not allowed */
	STORE_EINVAL = -3,     /* bad argument */
	STORE_EFORMAT = -4,    /* a stored value of an unknown format version */
	STORE_ELIMIT = -5,     /* a configured cap was reached */
};

struct store;

enum store_open_flags {
	STORE_IN_MEMORY = 1 << 0, /* private in-memory environment (tests) */
	STORE_SYNC_EACH = 1 << 1, /* flush every commit on its own (benchmark) */
	/* No checkpoint when the handle closes: a short-lived process
	 * (backchannelctl) leaves checkpoints to the daemon, whose pages it
	 * would otherwise wait for.  Its writes are durable all the same
	 * (store_flush()). */
	STORE_NO_CHECKPOINT = 1 << 2,
	/* A pass that wrote only evidence does not wait for the disk:
	 * store_flush() leaves the log flush to a later pass, at most
	 * 100 ms later (docs/STORE.md). */
	STORE_LAZY_EVIDENCE = 1 << 3,
	/* The environment alone, without the databases: what
	 * "backchannelctl group" reads, which must answer while this site
	 * is still joining the group or catching up with the master. */
	STORE_ENV_ONLY = 1 << 4,
};

/* Opens (creating on first use) the transactional environment at path,
 * running recovery safely with other processes (DB_REGISTER|DB_RECOVER).
 * Returns 0 and a handle in *out, or a negative code. */
int store_open(const char *path, unsigned flags, struct store **out);

/* A site of a Berkeley DB replication group (docs/SCALING.md): this site
 * listens on listen ("IP:port") and knows the other sites by theirs.  A
 * subordinate handle (backchannelctl) joins the replication manager the
 * daemon runs in the same environment and holds no elections. */
struct store_repl_params {
	const char *listen;
	unsigned priority; /* 0: never master */
	int64_t ack_timeout_ms;
	char *const *peers; /* the other sites that may be elected */
	size_t npeers;
	char *const *instances; /* the other sites that never are */
	size_t ninstances;
	bool subordinate;
	/* A subordinate handle that only reads does not wait for its own
	 * connections to the other sites (which a write needs for its
	 * acknowledgements). */
	bool reads_only;
};

/* store_open() for a site of a group: returns once this site is the
 * master or a replica in sync (at most a few minutes), with the databases
 * open.  While a site is a replica the store is read-only. */
int store_open_repl(const char *path, unsigned flags,
		    const struct store_repl_params *rp, struct store **out);

enum store_role {
	STORE_ROLE_NONE = 0, /* not in a group, or no role yet */
	STORE_ROLE_MASTER,
	STORE_ROLE_REPLICA,
};

/* This site's role; *changed (when not NULL) says whether it changed
 * since the last call that asked (set from the replication manager's
 * threads, read by the daemon's loop). */
enum store_role store_role(struct store *st, bool *changed);

/* The master's "IP:port" into buf; STORE_NOTFOUND when none is known. */
int store_master_addr(struct store *st, char *buf, size_t len);

/* On the master, for a few seconds after another site connected: writes
 * a checkpoint now and then.  A replica counts as caught up (and a rooms
 * instance starts serving) once a record written after it joined reaches
 * it, which an idle master would not otherwise write.  Called by the
 * daemon's loop each pass; cheap when there is nothing to do. */
void store_repl_pulse(struct store *st);

/* On a site just elected: writes a checkpoint and says whether the group
 * acknowledged it as its commits will need to be (0), or not in time, or
 * this site is no longer the master (STORE_EFAIL).  The other sites may
 * still be catching up with a new master; its first passes must not fail
 * for that. */
int store_repl_acknowledged(struct store *st);

/* Closes and reopens the databases: after a change of role (a replica's
 * handles may have been invalidated by a rollback). */
int store_repl_refresh(struct store *st);

/* Writes the group as a table: site, role, connection, this site, and
 * the replica's lag behind the master in log bytes. */
int store_repl_show(struct store *st, FILE *out);

/* Ends an open batch, flushes, checkpoints and closes; accepts NULL. */
void store_close(struct store *st);

/* Group commit: makes every transaction committed so far durable with one
 * log flush.  The daemon calls it once per event-loop pass before it sends
 * the stanzas that reveal those transactions.  An open batch is ended
 * (committed) first, so everything that returned 0 before the call is
 * durable after it; the result is then that of store_batch_end() if it
 * failed. */
int store_flush(struct store *st);

/*
 * Batches: one transaction for many calls (one event-loop pass).
 *
 * Between store_batch_begin() and store_batch_end() (or store_flush()),
 * every call runs as a child transaction of the batch's: a call that fails
 * aborts alone, a deadlocked call is retried alone, and every call sees
 * the batch's earlier writes.  Other processes see the batch's writes when
 * it ends (until then they wait for its locks).  When a call deadlocks
 * with another process, what the batch committed so far is committed at
 * once (the batch is split in two) so that the other process can go on,
 * and the call is retried; nothing is lost and nothing changes for the
 * caller.  Durability is still store_flush()'s.
 */

/* Opens a batch (the transaction itself begins with the first call, so an
 * empty batch costs nothing).  STORE_EINVAL when one is open already. */
int store_batch_begin(struct store *st);

/* Commits and closes the open batch; 0, STORE_EINVAL when none is open,
 * or STORE_EFAIL when the batch, or part of it, could not be committed
 * (logged): then some calls of the batch that returned 0 were lost, and
 * the caller must not tell anyone about them. */
int store_batch_end(struct store *st);

/* True while a batch is open (its owner decides when to flush). */
bool store_batch_is_open(const struct store *st);

/*
 * Savepoints: several calls that stand or fall together (a XEP-0191 block
 * of several items).  Between store_savepoint_begin() and
 * store_savepoint_end() every call runs as a child of one transaction, a
 * child of the open batch's (or a top-level one outside a batch).
 * store_savepoint_end(st, true) keeps what the calls did (in the batch);
 * store_savepoint_end(st, false) undoes all of it, the evidence appends
 * queued since it began included.  A deadlock inside a
 * savepoint cannot split the batch: the savepoint is lost at once, every
 * later call in it fails with STORE_EFAIL, and so does its end.
 */
int store_savepoint_begin(struct store *st);
/* keep: commit (0, or STORE_EFAIL when it was lost: nothing kept) or
 * undo (0).  STORE_EINVAL when no savepoint is open. */
int store_savepoint_end(struct store *st, bool keep);

/*
 * Bulk runs: backchannelctl import and load, all or nothing.  Between
 * store_bulk_begin() and store_bulk_end() every call runs directly in one
 * top-level transaction, with no child transaction per call (Berkeley DB
 * keeps every committed child until its parent ends: a million of them
 * exhaust the transaction region).  A call that fails after writing, or
 * deadlocks, fails the run: every later call gives STORE_EFAIL and
 * store_bulk_end() undoes everything.  Not inside a batch.
 */
int store_bulk_begin(struct store *st);
/* commit: 0 when everything was committed (and flushed to disk);
 * STORE_EFAIL (logged) when the run had failed or the commit did, and
 * then nothing of it is in the store.  !commit: undo, 0. */
int store_bulk_end(struct store *st, bool commit);

/* Periodic upkeep: drops the per-day counters of new message requests of
 * days before yesterday (UTC), checkpoints and removes logs no longer
 * needed. */
int store_maintain(struct store *st);

/* Frees a NULL-terminated string vector; accepts NULL. */
void store_strv_free(char **v);

/*
 * Names.  Handles are [a-z0-9._-]{1,64}, lower-cased on input.  JIDs are
 * stored bare, with node and domain lower-cased (ASCII; no stringprep).
 */
#define STORE_HANDLE_SIZE 65
#define STORE_JID_SIZE 2048

/* Lower-cases and checks a handle into out; 0 or STORE_EINVAL. */
int store_handle_norm(const char *in, char out[STORE_HANDLE_SIZE]);

/* Makes a bare, lower-cased JID of in (a resource is dropped) into out;
 * 0 or STORE_EINVAL for something that is not a JID. */
int store_jid_norm(const char *in, char out[STORE_JID_SIZE]);

/*
 * Identities.
 */
#define STORE_NAME_SIZE 257

/* Who may send a message request: everyone is known, only people bob
 * knows get through with the others asking first (the default), or no new
 * requests at all. */
enum store_who {
	STORE_WHO_FOLLOWS = 0,
	STORE_WHO_EVERYONE = 1,
	STORE_WHO_NOBODY_NEW = 2,
};

struct store_identity {
	char handle[STORE_HANDLE_SIZE];
	char name[STORE_NAME_SIZE]; /* display name, may be empty */
	bool bot;
	enum store_who who;
	int64_t created_ms; /* 0 on add: now */
};

/* Adds an identity (the handle is normalised); STORE_EEXIST if it exists,
 * STORE_EINVAL for a bad handle. */
int store_identity_add(struct store *st, const struct store_identity *id);

/* Replaces name, bot flag and setting of an existing identity. */
int store_identity_update(struct store *st, const struct store_identity *id);

/* Reads an identity into *out; STORE_NOTFOUND if there is none. */
int store_identity_get(struct store *st, const char *handle,
		       struct store_identity *out);

/* Removes an identity with its links, tokens, follows both ways, presence
 * subscriptions to it, the relationships and requests it owns, its room
 * affiliations and the evidence logs it is in (either side). */
int store_identity_remove(struct store *st, const char *handle);

/* All identities in handle order, in a new array (free() it). */
int store_identity_list(struct store *st, struct store_identity **out,
			size_t *n);

/* Up to max identities in handle order from the first after `after` (""
 * for the very first), into *ids (free()) and *n: 0 at the end.  For a
 * walk over every identity in bounded memory (dump). */
int store_identity_page(struct store *st, const char *after, size_t max,
			struct store_identity **ids, size_t *n);

/*
 * Links: a real bare JID belongs to at most one identity.
 */

/* Links jid to handle: STORE_NOTFOUND for an unknown handle, STORE_EEXIST
 * when the JID is already linked (to any identity), STORE_EINVAL for a bad
 * handle or JID. */
int store_link(struct store *st, const char *handle, const char *jid);

/* Unlinks; STORE_NOTFOUND when jid is not linked to handle. */
int store_unlink(struct store *st, const char *handle, const char *jid);

/* The identity a JID is linked to, into handle; STORE_NOTFOUND if none. */
int store_link_get(struct store *st, const char *jid,
		   char handle[STORE_HANDLE_SIZE]);

/* The JIDs linked to handle, sorted, as a new NULL-terminated vector
 * (store_strv_free()); an empty vector when there are none. */
int store_link_list(struct store *st, const char *handle, char ***jids);

/* Up to max linked JIDs of every identity, in JID order, from the first
 * after `after` ("" for the very first): a NULL-terminated vector
 * (store_strv_free()), empty at the end.  For work paced over all links. */
int store_link_page(struct store *st, const char *after, size_t max,
		    char ***jids);

/*
 * Link tokens: one-time, with an expiry.
 */
#define STORE_TOKEN_SIZE 33

/* Makes a new random token for handle valid for ttl_ms, into token;
 * STORE_NOTFOUND for an unknown handle. */
int store_token_new(struct store *st, const char *handle, int64_t ttl_ms,
		    char token[STORE_TOKEN_SIZE]);

/* In one transaction: checks that token was issued for handle, is unused
 * and unexpired, marks it used and links jid.  Returns 0 when linked (also
 * when jid was already linked to handle: the token is used up), or, with
 * nothing written:
 *   STORE_TOKEN_UNKNOWN (== STORE_NOTFOUND): no such token for handle (a
 *     token issued for another handle, or a bad handle, is unknown too, so
 *     the answer tells nothing about other identities);
 *   STORE_TOKEN_USED: the token was redeemed before (checked before the
 *     expiry);
 *   STORE_TOKEN_EXPIRED: the token is unused but past its expiry;
 *   STORE_EEXIST: jid is linked to another identity (the token stays good);
 *   STORE_EINVAL: jid is not a JID;
 *   or a negative failure. */
int store_token_claim(struct store *st, const char *handle, const char *token,
		      const char *jid);

/* The same as store_token_claim() with STORE_TOKEN_USED and
 * STORE_TOKEN_EXPIRED folded into STORE_NOTFOUND (the first contract, kept
 * for callers that do not tell the reasons apart). */
int store_token_redeem(struct store *st, const char *handle, const char *token,
		       const char *jid);

/*
 * Follows: a follows b.
 */

/* STORE_NOTFOUND for an unknown handle, STORE_EEXIST when a already follows
 * b, STORE_EINVAL for a bad handle or a == b. */
int store_follow(struct store *st, const char *a, const char *b);
/* STORE_NOTFOUND when a does not follow b. */
int store_unfollow(struct store *st, const char *a, const char *b);
/* 0 when a follows b, STORE_NOTFOUND otherwise. */
int store_follows(struct store *st, const char *a, const char *b);
/* Whom a follows / who follows b, sorted, as new NULL-terminated vectors. */
int store_following_list(struct store *st, const char *a, char ***out);
int store_followers_list(struct store *st, const char *b, char ***out);

/*
 * Presence subscriptions: who (a real bare JID) is subscribed to an
 * identity's presence.  Removed with the identity.
 */

/* Records that jid is subscribed to handle's presence: STORE_NOTFOUND for
 * an unknown handle, STORE_EEXIST when it already is (nothing changes;
 * callers that only want it recorded may treat this as success),
 * STORE_EINVAL for a bad handle or JID. */
int store_sub_add(struct store *st, const char *handle, const char *jid);
/* Removes it; STORE_NOTFOUND when jid was not subscribed. */
int store_sub_remove(struct store *st, const char *handle, const char *jid);
/* The bare JIDs subscribed to handle, sorted, as a new NULL-terminated
 * vector (store_strv_free()); empty when there are none. */
int store_sub_list(struct store *st, const char *handle, char ***out);

/*
 * Relationships, per ordered pair: what owner has done about peer (a
 * handle, or the escaped address of an outside user).
 */
#define STORE_REL_ACCEPTED 0x01u   /* owner accepted a request from peer */
#define STORE_REL_DECLINED 0x02u   /* ... declined one (until declined_until) */
#define STORE_REL_WROTE_FIRST 0x04u /* owner wrote to peer first */
#define STORE_REL_BLOCKED 0x08u    /* owner blocks peer (XEP-0191) */

struct store_relation {
	unsigned flags;
	int64_t declined_until_ms;
	int64_t updated_ms;
};

/* Reads the relationship; STORE_NOTFOUND (and zeroes) when there is none. */
int store_relation_get(struct store *st, const char *owner, const char *peer,
		       struct store_relation *out);

/* Sets the flags in set, clears those in clear; declined_until_ms is kept
 * when set lacks STORE_REL_DECLINED.  A relationship left with no flag is
 * removed. */
int store_relation_set(struct store *st, const char *owner, const char *peer,
		       unsigned set, unsigned clear, int64_t declined_until_ms);

/* The peers owner blocks, sorted, as a new NULL-terminated vector. */
int store_blocked_list(struct store *st, const char *owner, char ***out);

/* 0 when recipient knows sender (follows them, accepted them, wrote to
 * them first, or lets everyone through), STORE_NOTFOUND otherwise.  Admins
 * and moderators are the caller's business. */
int store_knows(struct store *st, const char *recipient, const char *sender);

/*
 * Message requests and their held messages.
 */
struct store_request {
	char *sender;
	int64_t created_ms;
	int64_t updated_ms;
	unsigned held; /* messages held now */
};

struct store_held {
	int64_t received_ms;
	char *stanza; /* the full stanza text as received */
};

/* Holds stanza from sender for recipient, creating the request when there
 * is none (then *is_new is true).  STORE_ELIMIT, writing nothing, when the
 * request already holds held_max messages or when sender already made
 * per_day_max new requests today (UTC). */
int store_request_hold(struct store *st, const char *recipient,
		       const char *sender, const char *stanza,
		       unsigned held_max, unsigned per_day_max, bool *is_new);

/* Reads one request; STORE_NOTFOUND if none.  Free with
 * store_request_clear(). */
int store_request_get(struct store *st, const char *recipient,
		      const char *sender, struct store_request *out);
void store_request_clear(struct store_request *r);

/* The pending requests of recipient, oldest sender key first. */
int store_request_list(struct store *st, const char *recipient,
		       struct store_request **out, size_t *n);
void store_request_list_free(struct store_request *v, size_t n);

/* The held messages of one request in order, without taking them. */
int store_held_list(struct store *st, const char *recipient,
		    const char *sender, struct store_held **out, size_t *n);
void store_held_list_free(struct store_held *v, size_t n);

/* Accepts: in one transaction takes the held messages (in order, into
 * *out), removes the request and marks recipient -> sender accepted.
 * STORE_NOTFOUND when there is no request. */
int store_request_accept(struct store *st, const char *recipient,
			 const char *sender, struct store_held **out,
			 size_t *n);

/* Declines: drops the held messages and the request, marks recipient ->
 * sender declined until now + cooldown_ms.  STORE_NOTFOUND when there is no
 * request. */
int store_request_decline(struct store *st, const char *recipient,
			  const char *sender, int64_t cooldown_ms);

/*
 * Evidence: the last messages relayed from sender to recipient, kept for
 * reports.
 */

/* Appends text and prunes the pair to max_count messages no older than
 * max_age_ms (0: no age bound). */
int store_evidence_add(struct store *st, const char *sender,
		       const char *recipient, const char *text,
		       unsigned max_count, int64_t max_age_ms);

/* The pair's messages, oldest first, as a new NULL-terminated vector. */
int store_evidence_list(struct store *st, const char *sender,
			const char *recipient, char ***out);

/*
 * Reports.
 */
enum store_report_state {
	STORE_REPORT_OPEN = 0,
	STORE_REPORT_RESOLVED = 1,
};

/* What a moderator decided (STORE_OUTCOME_NONE: resolved without one,
 * as reports resolved before outcomes were kept). */
enum store_report_outcome {
	STORE_OUTCOME_NONE = 0,
	STORE_OUTCOME_DISMISS = 1,
	STORE_OUTCOME_WARN = 2,
	STORE_OUTCOME_SUSPEND = 3,
	STORE_OUTCOME_REMOVE = 4,
};
#define STORE_OUTCOME_MAX STORE_OUTCOME_REMOVE

struct store_report {
	uint64_t id;
	char *reporter;  /* handle or bare JID of who reported */
	char *reported;  /* the reported address */
	char *reason;    /* e.g. urn:xmpp:reporting:spam */
	char *text;      /* may be NULL */
	int64_t created_ms;
	int64_t resolved_ms;
	enum store_report_state state;
	char **evidence; /* NULL-terminated; may be NULL */
	/* The resolution (optional trailing fields: none while open). */
	enum store_report_outcome outcome;
	char *note;        /* the moderator's note, or NULL */
	char *resolved_by; /* the moderator's bare JID, or "backchannelctl" */
	int64_t until_ms;  /* STORE_OUTCOME_SUSPEND: the end of it */
};

/* Stores a report.  With r->id 0 a new id is given (into *id), created is
 * now and the state open; otherwise the report is stored as it is (load).
 * With with_log the evidence log of reported -> reporter is appended to
 * r->evidence. */
int store_report_add(struct store *st, const struct store_report *r,
		     bool with_log, uint64_t *id);
int store_report_get(struct store *st, uint64_t id, struct store_report *out);
/* Frees what a report points to (not the struct); accepts NULL. */
void store_report_clear(struct store_report *r);
/* Reports in id order, only the open ones when open_only. */
int store_report_list(struct store *st, bool open_only,
		      struct store_report **out, size_t *n);
/* At most max open reports with an id above after, in id order, and
 * whether more follow (*more): one page of the moderators' list. */
int store_report_page(struct store *st, uint64_t after, size_t max,
		      struct store_report **out, size_t *n, bool *more);
void store_report_list_free(struct store_report *v, size_t n);
/* Marks a report resolved (outcome none); STORE_NOTFOUND for an unknown
 * id. */
int store_report_resolve(struct store *st, uint64_t id);

/* The node under D (domain) of an address a report, a moderator or an
 * operator names, the one form every caller keys it by: a handle or an
 * escaped address as it is, node@D as node (any case, any resource), an
 * outside user's JID as its XEP-0106 escaped bare JID; lower-cased, into
 * out (len bytes).  domain NULL: every JID is an outside one.  Returns 0,
 * or STORE_EINVAL when addr is empty, malformed or too long. */
int store_report_node(const char *addr, const char *domain, char *out,
		      size_t len);

/* A moderator's decision on an open report. */
struct store_resolution {
	enum store_report_outcome outcome;
	const char *note; /* may be NULL */
	const char *by;   /* who resolved it */
	int64_t until_ms; /* STORE_OUTCOME_SUSPEND: the suspension's end */
	bool announce;    /* note a STORE_CHANGE_REPORT for the daemon, which
			   * tells the reporter (a change made by another
			   * process) */
	const char *domain; /* D, to match the forms a report's addresses
			     * come in (node, node@D, an outside bare JID);
			     * NULL: as stored */
};

/* Resolves open report id with res in one transaction: the report keeps
 * the outcome, note, who and when; a suspension is stored in the reported
 * address's sanction; and when no open report about that address is left,
 * its repeat-offender restriction is lifted.  The report as stored goes
 * into *out (may be NULL; store_report_clear()).  STORE_OUTCOME_REMOVE
 * removes the reported identity (store_identity_remove()) in the same
 * transaction.  Returns 0, STORE_NOTFOUND for an unknown id, STORE_EEXIST
 * when it was resolved already, STORE_EINVAL for a bad outcome or a
 * removal of something that is not an identity (nothing changes). */
int store_report_settle(struct store *st, uint64_t id,
			const struct store_resolution *res,
			struct store_report *out);

/* After a report about reported: counts the distinct reporters of its
 * open reports created at or after since_ms, and when there are at least
 * threshold (> 0) of them, restricts it (its sanction's restricted flag,
 * under reported's address under D).  Addresses are matched in every form
 * a report names them, given the service domain (NULL: as stored).
 * *restricted (may be NULL) says whether it is restricted now. */
int store_report_offender(struct store *st, const char *reported,
			  const char *domain, int64_t since_ms,
			  unsigned threshold, bool *restricted);

/*
 * Sanctions: per address under D (a handle or an escaped outside
 * address), a suspension (nothing it sends goes anywhere until until_ms)
 * and the repeat-offender restriction (nothing it sends reaches someone
 * who does not know it, until its open reports are resolved).  A record
 * exists only while one of them holds (or has just ended).
 */
struct store_sanction {
	char *node;         /* a handle or an escaped address */
	int64_t until_ms;   /* suspended until (0: not suspended) */
	char *note;         /* why, for moderators; may be NULL */
	bool restricted;    /* restricted as a repeat offender */
	int64_t restricted_ms; /* since when */
};

/* The sanction of node into *out (store_sanction_clear()); STORE_NOTFOUND
 * when there is none.  A cached read: the relay asks this once per
 * message. */
int store_sanction_get(struct store *st, const char *node,
		       struct store_sanction *out);
/* Suspends node until until_ms with a note (may be NULL), or lifts the
 * suspension with until_ms 0 (STORE_NOTFOUND when it had none). */
int store_sanction_suspend(struct store *st, const char *node,
			   int64_t until_ms, const char *note);
/* Writes a sanction as it is given (load), or deletes node's when it
 * holds nothing. */
int store_sanction_put(struct store *st, const struct store_sanction *s);
/* Every sanction, in node order (dump). */
int store_sanction_list(struct store *st, struct store_sanction **out,
			size_t *n);
void store_sanction_clear(struct store_sanction *s);
void store_sanction_list_free(struct store_sanction *v, size_t n);

/*
 * Rooms, affiliations and the room archive.
 */
enum store_room_kind {
	STORE_ROOM_GROUP = 0,
	STORE_ROOM_AUDIO = 1,
};

enum store_affil {
	STORE_AFFIL_NONE = 0,
	STORE_AFFIL_OUTCAST = 1,
	STORE_AFFIL_MEMBER = 2,
	STORE_AFFIL_SPEAKER = 3,
	STORE_AFFIL_ADMIN = 4,
	STORE_AFFIL_HOST = 5,
	STORE_AFFIL_OWNER = 6,
};

struct store_room {
	char *name; /* the room's node, lower-cased */
	char *title;
	char *subject;
	enum store_room_kind kind;
	bool live; /* an audio room in progress; group chats are always live */
	int64_t created_ms;
};

/* Creates a room (a group chat created by joining it) with owner as its
 * owner affiliation (owner may be NULL); STORE_EEXIST if it exists. */
int store_room_create(struct store *st, const struct store_room *r,
		      const char *owner);
/* Creates or replaces a room's record, keeping its affiliations. */
int store_room_put(struct store *st, const struct store_room *r);
int store_room_get(struct store *st, const char *name, struct store_room *out);
/* Frees what a room points to (not the struct); accepts NULL. */
void store_room_clear(struct store_room *r);
int store_room_set_subject(struct store *st, const char *name,
			   const char *subject);
/* Opens (or reopens) the audio room name: live, with this title, hosts
 * and speakers (NULL-terminated handle lists, may be NULL).  STORE_EEXIST
 * when name is a group chat, STORE_NOTFOUND for an unknown handle. */
int store_room_open(struct store *st, const char *name, const char *title,
		    const char *const *hosts, const char *const *speakers);
/* Marks an audio room not live; STORE_NOTFOUND if there is no such room. */
int store_room_close(struct store *st, const char *name);
/* Sets handle's place on the stage of the audio room name: a host
 * (STORE_AFFIL_HOST), a speaker (STORE_AFFIL_SPEAKER) or a listener
 * (STORE_AFFIL_NONE: a host's or speaker's affiliation goes, any other
 * stays).  STORE_NOTFOUND for an unknown room or handle, STORE_EEXIST when
 * name is a group chat, STORE_EINVAL for another affiliation. */
int store_room_stage(struct store *st, const char *name, const char *handle,
		     enum store_affil affil);
/* Removes a room with its affiliations, archive, configuration and
 * occupants. */
int store_room_remove(struct store *st, const char *name);
int store_room_list(struct store *st, struct store_room **out, size_t *n);
void store_room_list_free(struct store_room *v, size_t n);

struct store_affiliation {
	char *who; /* a handle or a bare JID */
	enum store_affil affil;
};

/* Sets who's affiliation (STORE_AFFIL_NONE removes it); STORE_NOTFOUND if
 * the room does not exist. */
int store_affil_set(struct store *st, const char *room, const char *who,
		    enum store_affil affil);
/* Reads an affiliation; STORE_AFFIL_NONE when there is none. */
int store_affil_get(struct store *st, const char *room, const char *who,
		    enum store_affil *out);
int store_affil_list(struct store *st, const char *room,
		     struct store_affiliation **out, size_t *n);
void store_affil_list_free(struct store_affiliation *v, size_t n);

/* A room's configuration (XEP-0045 §10.2), kept beside its record. */
#define STORE_ROOMCFG_MEMBERS_ONLY 0x0001u /* muc#roomconfig_membersonly */
#define STORE_ROOMCFG_PERSISTENT 0x0002u   /* ..._persistentroom */
#define STORE_ROOMCFG_PUBLIC 0x0004u       /* ..._publicroom */
#define STORE_ROOMCFG_MODERATED 0x0008u    /* ..._moderatedroom */
#define STORE_ROOMCFG_LOCKED 0x0010u       /* created, not configured yet */
#define STORE_ROOMCFG_INVITES 0x0020u      /* ..._allowinvites */
#define STORE_ROOMCFG_SUBJECT 0x0040u      /* ..._changesubject */
#define STORE_ROOMCFG_WHOIS_ANYONE 0x0080u /* ..._whois = anyone */

struct store_room_config {
	uint32_t flags;         /* STORE_ROOMCFG_* */
	uint32_t max_occupants; /* ..._maxusers */
	uint32_t history_max;   /* messages sent on join at most */
	uint8_t broadcast;      /* ..._presencebroadcast: 1 << role */
	uint8_t allow_pm;       /* ..._allowpm: 0 anyone, 1 participants,
				 * 2 moderators, 3 none */
	char *description;      /* ..._roomdesc */
	char *subject_by;       /* the nick that set the subject, or "" */
	int64_t subject_ms;     /* when the subject was set, 0: never */
};

/* Reads a room's configuration; STORE_NOTFOUND when it has none. */
int store_room_config_get(struct store *st, const char *room,
			  struct store_room_config *out);
/* Writes it; STORE_NOTFOUND when the room does not exist. */
int store_room_config_put(struct store *st, const char *room,
			  const struct store_room_config *c);
/* Frees what a configuration points to (not the struct); accepts NULL. */
void store_room_config_clear(struct store_room_config *c);

/* One session of a room occupant, kept so that the occupant lists are
 * restored after a restart.  Removed with the room. */
struct store_occupant {
	char *room;
	char *jid;  /* the session's real full JID */
	char *nick;
	char *who;  /* the occupant's identity: a handle or escaped address */
	uint8_t role;
	int64_t joined_ms; /* 0 on put: now */
};

/* Writes (or replaces) a session; STORE_NOTFOUND when the room does not
 * exist, STORE_EINVAL for an empty field. */
int store_occupant_put(struct store *st, const struct store_occupant *o);
/* Removes a session; STORE_NOTFOUND when there is none. */
int store_occupant_del(struct store *st, const char *room, const char *jid);
/* The sessions of room (NULL: of every room), by room then JID. */
int store_occupant_list(struct store *st, const char *room,
			struct store_occupant **out, size_t *n);
void store_occupant_list_free(struct store_occupant *v, size_t n);

/* The service's secret for XEP-0421 occupant ids: random on first use,
 * then the same for the life of the store. */
#define STORE_ROOM_SECRET_SIZE 32
int store_room_secret(struct store *st,
		      unsigned char out[STORE_ROOM_SECRET_SIZE]);
/* Sets the secret (load). */
int store_room_secret_put(struct store *st,
			  const unsigned char in[STORE_ROOM_SECRET_SIZE]);

struct store_archive_msg {
	int64_t ms;      /* 0 on add: now */
	uint32_t seq;    /* set by the store */
	char *stanza_id; /* XEP-0359 id, unique in the room */
	char *nick;
	char *from;      /* the sender's handle or address */
	char *stanza;
};

/* Appends a message to a room's archive; STORE_EEXIST when the stanza id
 * is already used in the room, STORE_EINVAL without one. */
int store_archive_add(struct store *st, const char *room,
		      const struct store_archive_msg *m);

/* XEP-0313 with XEP-0059 paging: messages of room between start_ms and
 * end_ms (0: open), after after_id or before before_id (NULL: none), at
 * most max (0: no limit); with last, the last max of that range.  Results
 * are in time order; *complete tells whether the range was exhausted.
 * STORE_NOTFOUND when after_id or before_id is not in the archive. */
struct store_archive_query {
	const char *room;
	int64_t start_ms, end_ms;
	const char *after_id, *before_id;
	size_t max;
	bool last;
	/* Filters (NULL: none): only messages whose from equals with_from
	 * (ASCII case-insensitive), whose nick equals with_nick. */
	const char *with_from, *with_nick;
};
int store_archive_query(struct store *st, const struct store_archive_query *q,
			struct store_archive_msg **out, size_t *n,
			bool *complete);
void store_archive_list_free(struct store_archive_msg *v, size_t n);

/* Frees what an archived message points to (not the struct); accepts
 * NULL. */
void store_archive_msg_clear(struct store_archive_msg *m);

/* The message of room with stanza id id into *out (free with
 * store_archive_msg_clear()); STORE_NOTFOUND when there is none. */
int store_archive_get(struct store *st, const char *room, const char *id,
		      struct store_archive_msg *out);

/* XEP-0424 / XEP-0425 tombstones: replaces the stored text of the message
 * of room with stanza id id by tombstone, keeping its stanza id, time,
 * nick, from and place in the archive.  STORE_NOTFOUND when there is no
 * such message. */
int store_archive_retract(struct store *st, const char *room, const char *id,
			  const char *tombstone);

/*
 * The change log: what another process changed that a running daemon
 * keeps in memory.  A change is noted in the transaction that makes it;
 * the daemon reads the notes after the last it saw, a few times a second.
 */
enum store_change_kind {
	STORE_CHANGE_ROOM = 1, /* a room was opened, closed or its stage
				* changed: reload it */
	STORE_CHANGE_REPORT = 2, /* a report was resolved by another
				  * process: tell who should be told (the
				  * name is its id in decimal) */
	STORE_CHANGE_UNLINK = 3, /* the account (a bare JID, the name) is no
				  * longer linked: it leaves the rooms */
};

struct store_change {
	uint64_t seq;
	enum store_change_kind kind;
	char *name; /* what changed (a room's node) */
	int64_t ms;
};

/* The notes after *cursor, oldest first, into *out (free with
 * store_change_list_free()); *cursor moves to the last one read. */
int store_changes_since(struct store *st, uint64_t *cursor,
			struct store_change **out, size_t *n);
/* The sequence number of the newest note (0: none): where a reader that
 * has just loaded everything starts. */
int store_changes_head(struct store *st, uint64_t *seq);
/* Drops notes older than an hour (store_maintain() does). */
int store_changes_prune(struct store *st);
void store_change_list_free(struct store_change *v, size_t n);

/*
 * Backup and restore (backchannelctl dump and load): whole-database lists
 * and writes that keep the given times.  The *_put functions write a
 * record as it is given, for loading into an empty store.
 */
struct store_token {
	char token[STORE_TOKEN_SIZE];
	char handle[STORE_HANDLE_SIZE];
	int64_t created_ms, expires_ms;
	bool used;
	char *used_by; /* the JID that redeemed it, or "" */
};

/* Every token, in token order. */
int store_token_list(struct store *st, struct store_token **out, size_t *n);
void store_token_list_free(struct store_token *v, size_t n);
/* STORE_NOTFOUND for an unknown handle, STORE_EEXIST for a token that
 * exists, STORE_EINVAL for a token that is not 1 to 32 characters. */
int store_token_put(struct store *st, const struct store_token *t);

struct store_relation_entry {
	char *owner, *peer;
	struct store_relation rel;
};

/* Every relationship, in (owner, peer) order. */
int store_relation_list_all(struct store *st,
			    struct store_relation_entry **out, size_t *n);
void store_relation_list_free(struct store_relation_entry *v, size_t n);
/* Writes the relationship with its times as given (flags 0 removes it). */
int store_relation_put(struct store *st, const char *owner, const char *peer,
		       const struct store_relation *rel);

/* Writes a request of sender (r->sender) to recipient with its times and
 * its held messages (n of them, in order; r->held is ignored: it becomes
 * n); STORE_EEXIST when the pair has a request already. */
int store_request_put(struct store *st, const char *recipient,
		      const struct store_request *r,
		      const struct store_held *held, size_t n);

struct store_evidence {
	char *sender, *recipient;
	int64_t ms;
	char *text;
};

/* Every evidence message, by pair, oldest first. */
int store_evidence_list_all(struct store *st, struct store_evidence **out,
			    size_t *n);
/* One pair's evidence messages with their times, oldest first. */
int store_evidence_list_pair(struct store *st, const char *sender,
			     const char *recipient,
			     struct store_evidence **out, size_t *n);
void store_evidence_list_free(struct store_evidence *v, size_t n);
/* Appends one message with its time, without pruning. */
int store_evidence_put(struct store *st, const struct store_evidence *e);

/*
 * Counters for backchannelctl stats and the daemon's status.
 */
struct store_stats {
	uint64_t identities, links, tokens, follows, relations, blocks;
	uint64_t requests, held, rooms, live_rooms, archive, evidence;
	uint64_t reports, open_reports, subscriptions;
};

int store_stats(struct store *st, struct store_stats *out);

#endif
