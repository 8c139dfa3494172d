/*
 * doap_features.c - prints every disco feature the module registry
 * advertises, one "feature<TAB>where" line each (where: the XEP_AT_* mask),
 * for tests/ops/check_doap.py to hold backchannel.doap against.
 */
#include <config.h>

#include <stdio.h>

#include "xep/xep.h"

int main(void)
{
	const struct xep_feature *f;
	size_t i;

	for (i = 0; xep_registry[i] != NULL; i++)
		for (f = xep_registry[i]->features; f != NULL && f->var != NULL;
		     f++)
			printf("%s\t%u\n", f->var, f->where);
	return fflush(stdout) == 0 ? 0 : 1;
}
