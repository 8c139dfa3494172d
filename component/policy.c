/*
 * policy.c - blocks and "knows" (see policy.h and the contract's
 * one-to-one rules).
 */
#include <config.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/policy.h"
#include "store/store.h"

bool policy_blocks(struct bc *bc, const char *handle, const char *peer)
{
	struct store_relation rel;

	return store_relation_get(bc->store, handle, peer, &rel) == 0 &&
	       (rel.flags & STORE_REL_BLOCKED);
}

bool policy_knows(struct bc *bc, const char *handle, const char *sender,
		  const char *bare)
{
	if (bare != NULL &&
	    (cfg_is_admin(bc->cfg, bare) || cfg_is_moderator(bc->cfg, bare)))
		return true;
	return store_knows(bc->store, handle, sender) == 0;
}
