/*
 * fakeserver.c - a scripted XEP-0114 server for connection tests.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strophe.h>

#include "tests/unit/fakeserver.h"

#define FS_TIMEOUT_MS 5000

/* Reads until needle appears in buf (NUL-terminated) or EOF/timeout;
 * returns true when found. */
static bool fs_read_until(int fd, char *buf, size_t size, size_t *used,
			  const char *needle)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;

	while (strstr(buf, needle) == NULL) {
		if (*used + 1 >= size || poll(&p, 1, FS_TIMEOUT_MS) <= 0)
			return false;
		n = read(fd, buf + *used, size - *used - 1);
		if (n <= 0)
			return false;
		*used += (size_t)n;
		buf[*used] = '\0';
	}
	return true;
}

static void fs_write(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void fs_session(struct fakeserver *fs, int fd)
{
	static const char id[] = "fake-stream-1";
	char digest_input[256], expected[64], *sha, *hs;
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	size_t used = 0;

	fs->received[0] = '\0';
	if (!fs_read_until(fd, fs->received, sizeof(fs->received), &used,
			   "jabber:component:accept"))
		goto out;
	fs_read_until(fd, fs->received, sizeof(fs->received), &used, ">");
	fs_write(fd, "<?xml version='1.0'?><stream:stream "
		     "xmlns='jabber:component:accept' "
		     "xmlns:stream='http://etherx.jabber.org/streams' "
		     "from='bc.test' id='fake-stream-1'>");
	if (!fs_read_until(fd, fs->received, sizeof(fs->received), &used,
			   "</handshake>"))
		goto out;
	snprintf(digest_input, sizeof(digest_input), "%s%s", id, fs->secret);
	sha = xmpp_sha1(ctx, (const unsigned char *)digest_input,
			strlen(digest_input));
	snprintf(expected, sizeof(expected), "%s", sha);
	xmpp_free(ctx, sha);
	hs = strstr(fs->received, "<handshake");
	if (hs == NULL || strstr(hs, expected) == NULL) {
		fs->handshakes_refused++;
		fs_write(fd, "<stream:error><not-authorized "
			     "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
			     "</stream:error></stream:stream>");
		goto out;
	}
	fs->handshakes_ok++;
	fs_write(fd, "<handshake/>");
	if (fs->send_after_handshake != NULL)
		fs_write(fd, fs->send_after_handshake);
	fs_read_until(fd, fs->received, sizeof(fs->received), &used,
		      fs->wait_for ? fs->wait_for : "\x01never");
out:
	xmpp_ctx_free(ctx);
}

static void *fs_main(void *arg)
{
	struct fakeserver *fs = arg;
	struct pollfd p = {fs->listen_fd, POLLIN, 0};
	int fd;

	while (fs->accepted < fs->connections) {
		if (poll(&p, 1, FS_TIMEOUT_MS) <= 0)
			break;
		fd = accept(fs->listen_fd, NULL, NULL);
		if (fd < 0)
			break;
		fs->accepted++;
		fs_session(fs, fd);
		close(fd);
	}
	close(fs->listen_fd);
	return NULL;
}

void fakeserver_start(struct fakeserver *fs)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	fs->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fs->listen_fd < 0 ||
	    bind(fs->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fs->listen_fd, 4) < 0 ||
	    getsockname(fs->listen_fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("fakeserver");
		abort();
	}
	fs->port = ntohs(sa.sin_port);
	if (pthread_create(&fs->thread, NULL, fs_main, fs) != 0)
		abort();
}

void fakeserver_join(struct fakeserver *fs)
{
	pthread_join(fs->thread, NULL);
}
