// SPDX-License-Identifier: GPL-2.0
/*
 * ofcopy_xfer: the TCP transfer of the ofcopy tests and benchmark.
 *
 *   ofcopy_xfer send HOST PORT MIB [PAUSE_US]
 *                                      send MIB MiB of a reproducible
 *                                      pseudo-random stream (pausing PAUSE_US
 *                                      after each MiB); print its sha256
 *   ofcopy_xfer recv PORT [options]    accept one connection, read to EOF,
 *                                      print the sha256 of what arrived
 *     --pattern P  read (recv, default), waitall (MSG_WAITALL), nonblock
 *                  (poll + MSG_DONTWAIT), short (1000-byte reads), readv
 *                  (three odd-sized iovecs), peek (MSG_PEEK, then the read),
 *                  signal (reads under a 1 ms SIGALRM timer, no SA_RESTART)
 *     --buf N      read size in bytes (default 262144)
 *     --ulp        setsockopt(TCP_ULP, "ofcopy") on the accepted socket
 *     --nohash     do not hash (benchmark)
 *
 * recv prints one line: "bytes N sha256 H ulp U user_s X sys_s Y wall_s Z
 * eintr E", where U is the socket's TCP_ULP ("none" if unset) and X/Y the
 * receiver's own CPU time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hex(const unsigned char *d, unsigned int n, char *out)
{
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int do_send(const char *host, const char *port, long mib, long pause_us)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	unsigned char md[EVP_MAX_MD_SIZE];
	static uint64_t buf[65536 / 8];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned int mdlen;
	char out[2 * EVP_MAX_MD_SIZE + 1];
	int fd;

	if (getaddrinfo(host, port, &hints, &ai))
		die("getaddrinfo");
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen))
		die("connect");
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	for (long blk = 0; blk < mib * 16; blk++) {
		for (size_t i = 0; i < sizeof(buf) / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		EVP_DigestUpdate(h, buf, sizeof(buf));
		if (pause_us && blk % 16 == 15)
			usleep(pause_us);
		for (size_t off = 0; off < sizeof(buf);) {
			ssize_t n = send(fd, (char *)buf + off, sizeof(buf) - off, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("send");
			off += n;
		}
	}
	EVP_DigestFinal_ex(h, md, &mdlen);
	close(fd);
	hex(md, mdlen, out);
	printf("%s\n", out);
	return 0;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static int do_recv(int argc, char **argv)
{
	const char *pattern = "read";
	size_t bufsz = 262144;
	int ulp = 0, hash = 1, one = 1, lfd, fd;
	long eintr = 0;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	unsigned long long total = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	char out[2 * EVP_MAX_MD_SIZE + 1] = "none", ulpname[16] = "none";
	unsigned int mdlen;
	struct rusage ru;
	socklen_t l;
	char *buf;
	double t0;

	a.sin6_port = htons(atoi(argv[2]));
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--pattern") && i + 1 < argc)
			pattern = argv[++i];
		else if (!strcmp(argv[i], "--buf") && i + 1 < argc)
			bufsz = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ulp"))
			ulp = 1;
		else if (!strcmp(argv[i], "--nohash"))
			hash = 0;
		else {
			fprintf(stderr, "ofcopy_xfer: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!strcmp(pattern, "short"))
		bufsz = 1000;
	buf = malloc(bufsz + 64);
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1))
		die("bind/listen");
	fprintf(stderr, "ofcopy_xfer: listening on %s\n", argv[2]);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	if (ulp && setsockopt(fd, IPPROTO_TCP, TCP_ULP, "ofcopy", 6))
		die("setsockopt TCP_ULP ofcopy");
	l = sizeof(ulpname) - 1;
	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulpname, &l) || !l)
		strcpy(ulpname, "none");
	else
		ulpname[l] = 0;
	if (!strcmp(pattern, "signal")) {
		struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
		struct itimerval it = { { 0, 1000 }, { 0, 1000 } };

		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
	}
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	t0 = now();
	for (;;) {
		ssize_t n;

		if (!strcmp(pattern, "waitall")) {
			n = recv(fd, buf, bufsz, MSG_WAITALL);
		} else if (!strcmp(pattern, "nonblock")) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			n = recv(fd, buf, bufsz, MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN) {
				poll(&p, 1, -1);
				continue;
			}
		} else if (!strcmp(pattern, "readv")) {
			/* odd sizes, odd offsets: the pieces cross pages unevenly */
			size_t s1 = bufsz / 3 + 7, s2 = bufsz / 5 + 1;
			struct iovec iov[3] = {
				{ buf + 3, s1 }, { buf + 3 + s1, s2 },
				{ buf + 3 + s1 + s2, bufsz - s1 - s2 - 3 },
			};

			n = readv(fd, iov, 3);
			if (n > 0)
				memmove(buf, buf + 3, n);
		} else if (!strcmp(pattern, "peek")) {
			ssize_t m = recv(fd, buf, bufsz, MSG_PEEK);
			char *tmp;

			if (m <= 0) {
				n = m;
			} else {
				tmp = malloc(m);
				memcpy(tmp, buf, m);
				n = recv(fd, buf, m, 0);
				if (n > 0 && memcmp(tmp, buf, n)) {
					fprintf(stderr, "ofcopy_xfer: peeked bytes differ\n");
					return 1;
				}
				free(tmp);
			}
		} else {
			n = recv(fd, buf, bufsz, 0);
		}
		if (n < 0 && errno == EINTR) {
			eintr++;
			continue;
		}
		if (n < 0)
			die("recv");
		if (n == 0)
			break;
		if (hash)
			EVP_DigestUpdate(h, buf, n);
		total += n;
	}
	if (!strcmp(pattern, "signal")) {
		struct itimerval off = { 0 };

		setitimer(ITIMER_REAL, &off, NULL);
	}
	if (hash) {
		EVP_DigestFinal_ex(h, md, &mdlen);
		hex(md, mdlen, out);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("bytes %llu sha256 %s ulp %s user_s %.3f sys_s %.3f wall_s %.3f eintr %ld alarms %ld\n",
	       total, out, ulpname, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, now() - t0, eintr,
	       (long)alarms);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], atol(argv[4]), argc > 5 ? atol(argv[5]) : 0);
	if (argc >= 3 && !strcmp(argv[1], "recv"))
		return do_recv(argc, argv);
	fprintf(stderr, "usage: ofcopy_xfer send HOST PORT MIB | recv PORT [--pattern P] "
		"[--buf N] [--ulp] [--nohash]\n");
	return 2;
}
