/*
 * moderate.c - XEP-0425 message moderation in a room (room@M).
 */
#include <config.h>

#include "xep/muc/muc.h"
#include "xep/ns.h"
#include "xep/xep.h"

int muc_moderate(struct xep_stanza *st)
{
	return xep_fail(st, BC_EFEATURE_NOT_IMPLEMENTED,
			"Moderation is not available yet");
}
