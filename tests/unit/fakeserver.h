/*
 * fakeserver.h - the server side of XEP-0114 on 127.0.0.1, in a thread, for
 * testing connections without a real XMPP server.  It accepts connections
 * one after another; for each it answers the stream header, checks the
 * handshake digest against the secret, sends the scripted stanzas and
 * records everything it reads.
 */
#ifndef BC_TEST_FAKESERVER_H
#define BC_TEST_FAKESERVER_H

#include <pthread.h>
#include <stdbool.h>

struct fakeserver {
	int listen_fd;
	unsigned port;
	const char *secret;
	const char *send_after_handshake; /* stanza text, or NULL */
	const char *wait_for;  /* close after reading this text (or EOF) */
	int connections;       /* how many to accept before stopping */
	int accepted;
	int handshakes_ok;
	int handshakes_refused;
	char received[65536];  /* everything read on the last connection */
	pthread_t thread;
};

/* Listens on an ephemeral loopback port and starts the thread. */
void fakeserver_start(struct fakeserver *fs);

/* Waits for the thread (bounded by its own timeouts). */
void fakeserver_join(struct fakeserver *fs);

#endif
