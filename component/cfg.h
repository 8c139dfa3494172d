/*
 * cfg.h - the configuration file: one XML document, validated against the
 * RELAX NG schema config/backchannel.rng (compiled into the binary), then
 * checked for what a schema cannot say (a domain's shape, duplicate JIDs).
 *
 * Every optional setting has a default, documented in docs/CONFIG.md and in
 * the commented example config/backchannel.xml.
 */
#ifndef BC_CFG_H
#define BC_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

/* A list of bare JIDs, lower-cased. */
struct cfg_jids {
	char **v;
	size_t n;
};

struct cfg {
	char *file; /* the path it was read from */

	char *server_host;
	unsigned server_port;

	char *service_domain; /* D */
	char *service_secret;
	char *rooms_domain; /* M */
	char *rooms_secret;
	/* <rooms sharded="true"/>: M is served by rooms instances
	 * (<shard/>), not by this daemon, which serves D only. */
	bool rooms_sharded;
	/* <rooms audio-prefix="live-"/>: room names that start so are for
	 * audio rooms alone: a member's join never makes a group chat of
	 * one (on rooms instances, the master cannot see group chats to
	 * refuse an audio room's name).  NULL: none. */
	char *rooms_audio_prefix;
	/* <shard store="PATH"/>: this daemon is a rooms instance: it serves
	 * M only, keeps the rooms the server routes to it in its own store
	 * at PATH, and reads the directory (identities, links, blocks) from
	 * its site of the replication group, a replica that is never elected
	 * (docs/SCALING.md).  NULL for every other daemon. */
	char *shard_store_path;

	char *store_path;
	bool store_lazy_evidence; /* <store lazy-evidence="true"/> */

	struct cfg_jids admins;     /* <admin jid=.../>: platform bots */
	struct cfg_jids moderators; /* <moderator jid=.../>: report receivers */

	/* <log level="info" syslog="false"/> */
	int log_level; /* enum log_level */
	bool log_syslog;

	/* <limits max-stanza="65536" rate="60" burst="20"/>: per sender,
	 * rate messages a minute with bursts of burst. */
	size_t max_stanza_bytes;
	unsigned rate_per_minute;
	unsigned rate_burst;
	/* <limits block-items="50" reports-per-day="10"
	 * forwarded-per-day="20"/>: the abuse bounds of component/limits.h
	 * (0: no bound). */
	unsigned block_items_max;
	unsigned reports_per_day;
	unsigned forwarded_per_day;

	/* <requests held="20" per-day="10" incoming-per-day="50"
	 * cooldown="7d"/> */
	unsigned requests_held_max;
	unsigned requests_per_day;
	unsigned requests_incoming_per_day; /* new requests per recipient */
	int64_t requests_cooldown_ms;

	/* <tokens ttl="24h"/> */
	int64_t token_ttl_ms;

	/* <evidence count="20" age="30d"/>: the last messages kept per pair. */
	unsigned evidence_count;
	int64_t evidence_age_ms;

	/* <reports threshold="3" window="24h"/>: reports by this many
	 * distinct reporters about one address within the window restrict
	 * it to people who know it until they are resolved; 0 = off. */
	unsigned report_threshold;
	int64_t report_window_ms;

	/* <retraction window="0"/>: XEP-0424 retraction window; 0 = off. */
	int64_t retraction_window_ms;

	/* <reconnect min="1s" max="60s"/>: backoff bounds. */
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;

	/* <store path=... checkpoint="60s"/> */
	int64_t checkpoint_ms;
	/* <store reserve-mb="64"/>: below this much free space on the
	 * store's file system the daemon refuses what would write (0: off). */
	unsigned store_reserve_mb;

	/* <metrics listen="127.0.0.1:9107"/>: the OpenMetrics listener
	 * (component/metrics.h); NULL when there is none. */
	char *metrics_listen;

	/* <replication listen="IP:port" priority="100" ack-timeout="2s"/>
	 * and <peer address="IP:port"/> for each other site: a site of a
	 * replication group (store/repl.c); repl_listen NULL without. */
	char *repl_listen;
	unsigned repl_priority;
	int64_t repl_ack_timeout_ms;
	struct cfg_jids repl_peers; /* "IP:port" each */
	/* <instance address="IP:port"/>: the group's rooms instances
	 * (<shard/>) other than this site; the other sites (the directory
	 * sites) are <peer>s. */
	struct cfg_jids repl_instances;
};

/* Parses and validates path.  On success returns 0 and stores a new cfg in
 * *out (free it with cfg_free()).  On failure returns -1 and writes one or
 * more "FILE:LINE: problem" lines into err (size errlen). */
int cfg_load(const char *path, struct cfg **out, char *err, size_t errlen);

/* The same for an in-memory document; name is used in messages. */
int cfg_load_buffer(const char *name, const char *xml, size_t len,
		    struct cfg **out, char *err, size_t errlen);

void cfg_free(struct cfg *cfg);

/* True when bare is one of the configured admins / moderators. */
bool cfg_is_admin(const struct cfg *cfg, const char *bare);
bool cfg_is_moderator(const struct cfg *cfg, const char *bare);

/* The RELAX NG schema compiled from config/backchannel.rng. */
extern const char cfg_schema_rng[];

/* Parses a duration ("500ms", "30s", "15m", "24h", "7d", or plain seconds)
 * into milliseconds; returns 0 or -1 when it is not one. */
int cfg_parse_duration(const char *text, int64_t *ms);

/* Parses a listening address, "IPv4:port" or "[IPv6]:port" (numeric, no
 * names), into *addr and *addrlen (both may be NULL: a check only).
 * Returns 0, or -1 when text is not one. */
int cfg_parse_listen(const char *text, struct sockaddr_storage *addr,
		     socklen_t *addrlen);

#endif
