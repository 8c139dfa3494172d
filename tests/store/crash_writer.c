/*
 * crash_writer.c - the crash test's two halves.
 *
 * crash_writer write DIR ROUND: adds identities "rROUND-N" for N = 0, 1, ...
 * one transaction each, makes every 100 of them durable with one
 * store_flush() and only then prints their names, one a line, until it is
 * killed.
 *
 * crash_writer check DIR FILE: opens (recovering) the store and checks that
 * every name printed in FILE is there; exits 1 naming the first missing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define GROUP 100

static int crash_write(const char *dir, const char *round)
{
	struct store *st;
	struct store_identity id;
	unsigned long n, i;

	if (store_open(dir, 0, &st) != 0)
		return 2;
	for (n = 0;; n += GROUP) {
		for (i = n; i < n + GROUP; i++) {
			memset(&id, 0, sizeof(id));
			snprintf(id.handle, sizeof(id.handle), "r%s-%lu",
				 round, i);
			if (store_identity_add(st, &id) != 0)
				return 3;
		}
		if (store_flush(st) != 0)
			return 4;
		/* Told only after the flush: these must survive. */
		for (i = n; i < n + GROUP; i++)
			printf("r%s-%lu\n", round, i);
		fflush(stdout);
	}
}

static int crash_check(const char *dir, const char *file)
{
	struct store *st;
	struct store_identity id;
	char line[128];
	unsigned long seen = 0;
	FILE *f;
	int rc = 0;

	f = fopen(file, "r");
	if (f == NULL) {
		perror(file);
		return 2;
	}
	if (store_open(dir, 0, &st) != 0) {
		fclose(f);
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (store_identity_get(st, line, &id) != 0) {
			fprintf(stderr, "crash_writer: %s was acknowledged "
				"but is missing\n", line);
			rc = 1;
			break;
		}
		seen++;
	}
	printf("%lu acknowledged events present\n", seen);
	store_close(st);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return crash_write(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return crash_check(argv[2], argv[3]);
	fprintf(stderr, "usage: crash_writer write DIR ROUND | "
		"check DIR FILE\n");
	return 2;
}
