/*
 * fuzz_cfg.c - libFuzzer harness: the configuration parser
 * (cfg_load_buffer(), component/cfg.h) on arbitrary bytes, read straight
 * from the fuzzer's buffer so that a read past its end is caught.
 *
 * Oracles, beyond no crash, leak or undefined behaviour:
 *   - a refusal says why: err is one or more lines, each starting with
 *     the file name ("fuzz.xml:"), and no cfg is returned;
 *   - an accepted configuration keeps what the parser promises: D and M
 *     are different, well-formed domains (no node, no resource, lower
 *     case); admins and moderators are normalised bare JIDs; the bounds
 *     of cfg_cross_check() hold; a metrics address parses;
 *   - the same bytes give the same answer a second time.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cfg.h"
#include "component/jid.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

static void fuzz_domain(const char *what, const char *domain)
{
	char bare[JID_MAX];

	if (domain == NULL || jid_normalise_bare(domain, bare, sizeof(bare)) <
					  0 ||
	    strcmp(bare, domain) != 0 || strchr(domain, '@') != NULL)
		fuzz_fail("accepted %s domain '%s' is not a normalised domain",
			  what, domain ? domain : "(null)");
}

static void fuzz_jids(const char *what, const struct cfg_jids *l)
{
	char bare[JID_MAX];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (jid_normalise_bare(l->v[i], bare, sizeof(bare)) < 0 ||
		    strcmp(bare, l->v[i]) != 0)
			fuzz_fail("accepted %s '%s' is not a normalised bare "
				  "JID",
				  what, l->v[i]);
}

static void fuzz_refusal(const char *err)
{
	const char *p = err;

	if (err[0] == '\0')
		fuzz_fail("refused without saying why");
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, "fuzz.xml:", 9) != 0)
			fuzz_fail("an error line does not name the file: %s",
				  err);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void fuzz_accepted(const struct cfg *cfg)
{
	fuzz_domain("service", cfg->service_domain);
	fuzz_domain("rooms", cfg->rooms_domain);
	if (strcmp(cfg->service_domain, cfg->rooms_domain) == 0)
		fuzz_fail("accepted the same domain for D and M");
	if (cfg->service_secret == NULL || cfg->rooms_secret == NULL ||
	    cfg->server_host == NULL || cfg->store_path == NULL)
		fuzz_fail("accepted without a secret, a host or a store path");
	fuzz_jids("admin", &cfg->admins);
	fuzz_jids("moderator", &cfg->moderators);
	if (cfg->server_port == 0 || cfg->server_port > 65535)
		fuzz_fail("accepted port %u", cfg->server_port);
	if (cfg->reconnect_min_ms <= 0 ||
	    cfg->reconnect_min_ms > cfg->reconnect_max_ms)
		fuzz_fail("accepted reconnect bounds %lld..%lld",
			  (long long)cfg->reconnect_min_ms,
			  (long long)cfg->reconnect_max_ms);
	if (cfg->max_stanza_bytes < 1024 || cfg->checkpoint_ms < 1000)
		fuzz_fail("accepted max-stanza %zu, checkpoint %lld",
			  cfg->max_stanza_bytes, (long long)cfg->checkpoint_ms);
	if (cfg->requests_cooldown_ms < 0 || cfg->token_ttl_ms < 0 ||
	    cfg->evidence_age_ms < 0 || cfg->retraction_window_ms < 0)
		fuzz_fail("accepted a negative duration");
	if (cfg->metrics_listen != NULL &&
	    cfg_parse_listen(cfg->metrics_listen, NULL, NULL) != 0)
		fuzz_fail("accepted metrics address '%s' does not parse",
			  cfg->metrics_listen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *cfg = NULL, *again = NULL;
	char err[4096], err2[4096];
	int rc, rc2;

	if (size > 1 << 16)
		return -1;
	rc = cfg_load_buffer("fuzz.xml", (const char *)data, size, &cfg, err,
			     sizeof(err));
	if (rc == 0) {
		if (cfg == NULL)
			fuzz_fail("accepted but no cfg returned");
		fuzz_accepted(cfg);
	} else {
		if (rc != -1 || cfg != NULL)
			fuzz_fail("refused with %d and a cfg %p", rc,
				  (void *)cfg);
		fuzz_refusal(err);
	}
	rc2 = cfg_load_buffer("fuzz.xml", (const char *)data, size, &again,
			      err2, sizeof(err2));
	if (rc2 != rc || (rc != 0 && strcmp(err, err2) != 0))
		fuzz_fail("a second reading differs: %d '%s', then %d '%s'",
			  rc, rc ? err : "", rc2, rc2 ? err2 : "");
	cfg_free(cfg);
	cfg_free(again);
	return 0;
}
