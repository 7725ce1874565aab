// SPDX-License-Identifier: GPL-2.0
/*
 * libofcopy_preload.so: turns on the ofcopy TCP receive copy offload (the
 * "ofcopy" TCP ULP of kmod/ofcopy) for an unmodified program, by port:
 *
 *   OFCOPY_PORTS=5201,5001 LD_PRELOAD=.../libofcopy_preload.so iperf3 -s
 *
 * Sockets returned by accept()/accept4() whose local port is listed, and
 * sockets passed to connect() whose remote port is listed, get
 * setsockopt(TCP_ULP, "ofcopy"). OFCOPY_PORTS=all selects every TCP socket.
 * OFCOPY_DEBUG=1 reports each decision on stderr. A failure to set the ULP
 * (module not loaded, already another ULP) leaves the socket as it was.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int port_selected(unsigned int port)
{
	const char *p = getenv("OFCOPY_PORTS");
	char *end;

	if (!p || !*p)
		return 0;
	if (!strcmp(p, "all"))
		return 1;
	while (*p) {
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			return 0;
		if (v == port)
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static unsigned int sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static int is_tcp(int fd)
{
	int type = 0, proto = 0;
	socklen_t l = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) || type != SOCK_STREAM)
		return 0;
	l = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) || proto != IPPROTO_TCP)
		return 0;
	return 1;
}

static void maybe_enable(int fd, unsigned int port, const char *why)
{
	int saved = errno, rc;

	if (fd < 0 || !port_selected(port) || !is_tcp(fd)) {
		errno = saved;
		return;
	}
	rc = setsockopt(fd, IPPROTO_TCP, TCP_ULP, "ofcopy", sizeof("ofcopy") - 1);
	if (getenv("OFCOPY_DEBUG"))
		fprintf(stderr, "ofcopy_preload: %s fd %d port %u: %s\n", why, fd, port,
			rc ? strerror(errno) : "ofcopy on");
	errno = saved;
}

static unsigned int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &l))
		return 0;
	return sa_port((struct sockaddr *)&ss);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	int nfd;

	if (!real)
		real = dlsym(RTLD_NEXT, "accept");
	nfd = real(fd, addr, len);
	if (nfd >= 0)
		maybe_enable(nfd, local_port(nfd), "accept");
	return nfd;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	int nfd;

	if (!real)
		real = dlsym(RTLD_NEXT, "accept4");
	nfd = real(fd, addr, len, flags);
	if (nfd >= 0)
		maybe_enable(nfd, local_port(nfd), "accept4");
	return nfd;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);

	if (!real)
		real = dlsym(RTLD_NEXT, "connect");
	if (addr && len >= sizeof(struct sockaddr_in))
		maybe_enable(fd, sa_port(addr), "connect");
	return real(fd, addr, len);
}
