/*
 * registry.c - every extension module, in dispatch order.  Adding a XEP is
 * one file in xep/ and one line here (and in docs/ARCHITECTURE.md's table).
 */
#include <config.h>

#include <stddef.h>

#include "xep/xep.h"

extern const struct xep_module xep_disco;
extern const struct xep_module xep_version;
extern const struct xep_module xep_ping;
extern const struct xep_module xep_im;
extern const struct xep_module xep_register;
extern const struct xep_module xep_presence;
extern const struct xep_module xep_requests;
extern const struct xep_module xep_privilege;
extern const struct xep_module xep_adhoc;
extern const struct xep_module xep_bot;
extern const struct xep_module xep_provision;
extern const struct xep_module xep_blocking;
extern const struct xep_module xep_moderation;
extern const struct xep_module xep_muc;

const struct xep_module *const xep_registry[] = {
	&xep_disco,
	&xep_version,
	&xep_ping,
	&xep_register,
	&xep_privilege,
	&xep_requests,
	&xep_presence,
	&xep_adhoc,
	&xep_blocking,
	&xep_moderation,
	&xep_bot,
	&xep_provision,
	&xep_muc,
	&xep_im,
	NULL,
};
