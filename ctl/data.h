/*
 * data.h - backchannelctl dump, load and import (docs/DATA-FORMAT.md).
 * Each returns an exit code (CTL_OK or CTL_FAIL) after writing its one
 * line of explanation, FILE:LINE: problem where there is a line, to err.
 */
#ifndef BC_CTL_DATA_H
#define BC_CTL_DATA_H

#include <stdio.h>

struct store;

/* Writes the whole store to file. */
int data_dump(struct store *st, const char *file, FILE *err);
/* Restores a dump into an empty store; refuses a store that is not. */
int data_load(struct store *st, const char *file, FILE *err);
/* Adds the identities (with links, follows and subscriptions) and rooms
 * (with affiliations) of file; refuses, changing nothing, a file that
 * names any that exist or holds anything else. */
int data_import(struct store *st, const char *file, FILE *err);

#endif
