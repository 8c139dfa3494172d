/*
 * mam.c - XEP-0313 Message Archive Management on a room (room@M).
 */
#include <config.h>

#include "xep/muc/muc.h"
#include "xep/ns.h"
#include "xep/xep.h"

int muc_mam_query(struct xep_stanza *st)
{
	return xep_fail(st, BC_EFEATURE_NOT_IMPLEMENTED,
			"Archive queries are not available yet");
}
