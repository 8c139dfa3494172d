/*
 * fuzz_data.c - libFuzzer harness: backchannelctl load and import
 * (ctl/data.h) on arbitrary files, each into a new in-memory store.
 *
 * Oracles, beyond no crash, leak or undefined behaviour:
 *   - each call answers CTL_OK with nothing on err, or CTL_FAIL with
 *     exactly one line on err;
 *   - a refused file changes nothing: the store dumps as an empty one;
 *   - what was loaded or imported survives a round trip: dump, load into
 *     another new store (which must succeed), dump again gives the same
 *     bytes.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component/xmalloc.h"
#include "ctl/ctl.h"
#include "ctl/data.h"
#include "store/store.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64];
static char *fuzz_in, *fuzz_d1, *fuzz_d2;
static char *fuzz_empty; /* the dump of an empty store */
static size_t fuzz_empty_len;

static void fuzz_cleanup(void)
{
	unlink(fuzz_in);
	unlink(fuzz_d1);
	unlink(fuzz_d2);
	rmdir(fuzz_dir);
	free(fuzz_in);
	free(fuzz_d1);
	free(fuzz_d2);
	free(fuzz_empty);
}

static char *fuzz_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		fuzz_fail("cannot read %s", path);
	do {
		if (n + 4096 > cap) {
			cap = (n + 4096) * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

/* Runs fn on st with file and checks what it says on err; returns its
 * exit code. */
static int fuzz_call(int (*fn)(struct store *, const char *, FILE *),
		     const char *what, struct store *st, const char *file)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&msg, &len);
	int rc;

	if (err == NULL)
		fuzz_fail("open_memstream");
	rc = fn(st, file, err);
	fclose(err);
	if (rc == CTL_OK && len != 0)
		fuzz_fail("%s succeeded but said: %s", what, msg);
	if (rc == CTL_FAIL &&
	    (len == 0 || msg[len - 1] != '\n' || memchr(msg, '\n', len - 1)))
		fuzz_fail("%s failed without exactly one line: '%s'", what,
			  msg);
	if (rc != CTL_OK && rc != CTL_FAIL)
		fuzz_fail("%s returned %d", what, rc);
	free(msg);
	return rc;
}

/* Dumps st into path and returns the bytes. */
static char *fuzz_dump(struct store *st, const char *path, size_t *len)
{
	if (fuzz_call(data_dump, "dump", st, path) != CTL_OK)
		fuzz_fail("dump failed");
	return fuzz_read(path, len);
}

/* dump, load into a new store, dump: the same bytes. */
static void fuzz_round_trip(struct store *st, const char *how)
{
	struct store *st2 = fuzz_store();
	char *a, *b;
	size_t alen, blen;

	a = fuzz_dump(st, fuzz_d1, &alen);
	if (fuzz_call(data_load, "load of a dump", st2, fuzz_d1) != CTL_OK)
		fuzz_fail("the dump after %s does not load:\n%.*s", how,
			  (int)alen, a);
	b = fuzz_dump(st2, fuzz_d2, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		fuzz_fail("dump, load, dump after %s differ:\n%.*s\n"
			  "----\n%.*s",
			  how, (int)alen, a, (int)blen, b);
	free(a);
	free(b);
	store_close(st2);
}

/* Removes the <room-secret> line from a dump of len bytes: each store
 * draws its own occupant-id secret. */
static void fuzz_drop_secret(char *d, size_t *len)
{
	char *s = memmem(d, *len, "<room-secret>", 13), *nl;

	if (s == NULL)
		return;
	nl = memchr(s, '\n', *len - (size_t)(s - d));
	if (nl == NULL)
		return;
	memmove(s, nl + 1, *len - (size_t)(nl + 1 - d));
	*len -= (size_t)(nl + 1 - s);
}

/* A refused file left st as it was: empty. */
static void fuzz_unchanged(struct store *st, const char *how)
{
	size_t len;
	char *d = fuzz_dump(st, fuzz_d1, &len);

	fuzz_drop_secret(d, &len);
	if (len != fuzz_empty_len || memcmp(d, fuzz_empty, len) != 0)
		fuzz_fail("a refused %s changed the store:\n%.*s", how,
			  (int)len, d);
	free(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct store *st;

	fuzz_init();
	strcpy(fuzz_dir, "/tmp/bc-fuzz-data-XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL)
		fuzz_fail("mkdtemp");
	fuzz_in = xasprintf("%s/in.xml", fuzz_dir);
	fuzz_d1 = xasprintf("%s/dump1.xml", fuzz_dir);
	fuzz_d2 = xasprintf("%s/dump2.xml", fuzz_dir);
	atexit(fuzz_cleanup);
	st = fuzz_store();
	fuzz_empty = fuzz_dump(st, fuzz_d1, &fuzz_empty_len);
	fuzz_drop_secret(fuzz_empty, &fuzz_empty_len);
	store_close(st);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st;
	FILE *f;

	if (size > 1 << 16)
		return -1;
	f = fopen(fuzz_in, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fuzz_fail("cannot write %s", fuzz_in);

	st = fuzz_store();
	if (fuzz_call(data_load, "load", st, fuzz_in) == CTL_OK)
		fuzz_round_trip(st, "load");
	else
		fuzz_unchanged(st, "load");
	store_close(st);

	st = fuzz_store();
	if (fuzz_call(data_import, "import", st, fuzz_in) == CTL_OK)
		fuzz_round_trip(st, "import");
	else
		fuzz_unchanged(st, "import");
	store_close(st);
	return 0;
}
