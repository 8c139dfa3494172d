/*
 * audio_mem.c - the heap that backchanneld's room core holds per occupant
 * of an audio-room chat (docs/BENCHMARKS.md, "Audio-room chats").
 *
 * Runs the real router of a real component with a store in a temporary
 * directory (the unit tests' harness, no network): N members are linked,
 * an audio room is opened with a host, and the N members enter it one
 * after the other with a bare MUC presence, as listeners do.  The bytes
 * malloc holds in use (mallinfo2) before and after are compared: no
 * allocator slack, no buffers of a burst, no store pages are counted,
 * only what the occupants keep.  Prints the bytes per occupant and per
 * 1,000 occupants.
 *
 * usage: audio_mem [N]   (N: 2000)
 */
#include <config.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "tests/unit/harness.h"

int main(int argc, char **argv)
{
	const char *hosts[] = {"host", NULL};
	struct harness *h = harness_new(NULL, true);
	struct mallinfo2 before, after;
	char who[64], jid[128], xml[512];
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000, i;
	double per;

	if (n < 1 || n > 100000) {
		fprintf(stderr, "usage: audio_mem [N], N from 1 to 100000\n");
		return 2;
	}
	harness_member(h, "host", NULL, "host@bench.test");
	for (i = 0; i < n; i++) {
		snprintf(who, sizeof(who), "u%ld", i);
		snprintf(jid, sizeof(jid), "u%ld@bench.test", i);
		harness_member(h, who, NULL, jid);
	}
	if (store_room_open(h->store, "live", "Bench", hosts, NULL) != 0) {
		fprintf(stderr, "audio_mem: the room could not be opened\n");
		return 1;
	}
	harness_feed(h, "<presence from='host@bench.test/r' "
			"to='live@rooms.bc.test/host'/>");
	/* The first listener grows the room's vectors and maps once. */
	harness_feed(h, "<presence from='u0@bench.test/r' "
			"to='live@rooms.bc.test/u0'/>");
	harness_clear(h);
	before = mallinfo2();
	for (i = 1; i < n; i++) {
		snprintf(xml, sizeof(xml),
			 "<presence from='u%ld@bench.test/phone-%ld' "
			 "to='live@rooms.bc.test/u%ld'><x xmlns='"
			 "http://jabber.org/protocol/muc'/></presence>",
			 i, i, i);
		harness_feed(h, xml);
		harness_clear(h);
	}
	after = mallinfo2();
	per = (double)(after.uordblks - before.uordblks) / (double)(n - 1);
	printf("audio_mem: %ld occupants: %.0f bytes of heap per occupant, "
	       "%.0f KiB per 1,000 occupants\n",
	       n - 1, per, per * 1000 / 1024);
	harness_free(h);
	return 0;
}
