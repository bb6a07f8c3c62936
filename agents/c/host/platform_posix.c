/* The platform layer on Linux (and any POSIX host): BSD sockets, the monotonic clock, getrandom. */
#define _GNU_SOURCE
#include "alpnlab_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct alpnlab_tcp {
    int fd;
};

alpnlab_tcp *alpnlab_tcp_connect(const char *host, const char *port, uint32_t timeout_ms, char *error,
                                 size_t error_capacity) {
    struct addrinfo hints = {0}, *addresses = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int status = getaddrinfo(host, port, &hints, &addresses);
    if (status != 0) {
        snprintf(error, error_capacity, "cannot resolve %s: %s", host, gai_strerror(status));
        return NULL;
    }
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *a = addresses; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        int connected = connect(fd, a->ai_addr, a->ai_addrlen);
        if (connected != 0 && errno == EINPROGRESS) {
            struct pollfd wait = {fd, POLLOUT, 0};
            int ready = poll(&wait, 1, (int) timeout_ms);
            int so_error = 0;
            socklen_t length = sizeof so_error;
            if (ready == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) == 0 && so_error == 0) {
                connected = 0;
            } else {
                errno = ready == 0 ? ETIMEDOUT : so_error;
            }
        }
        if (connected != 0) {
            last_errno = errno;
            close(fd);
            fd = -1;
            continue;
        }
        fcntl(fd, F_SETFL, flags);
    }
    freeaddrinfo(addresses);
    if (fd < 0) {
        snprintf(error, error_capacity, "cannot connect to %s:%s: %s", host, port, strerror(last_errno));
        return NULL;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    alpnlab_tcp *tcp = malloc(sizeof *tcp);
    if (tcp == NULL) {
        close(fd);
        snprintf(error, error_capacity, "out of memory");
        return NULL;
    }
    tcp->fd = fd;
    return tcp;
}

int alpnlab_tcp_send(void *context, const unsigned char *data, size_t length) {
    alpnlab_tcp *tcp = context;
    ssize_t sent = send(tcp->fd, data, length, MSG_NOSIGNAL);
    if (sent >= 0) return (int) sent;
    if (errno == EINTR || errno == EAGAIN) return MBEDTLS_ERR_SSL_WANT_WRITE;
    return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

int alpnlab_tcp_recv(void *context, unsigned char *data, size_t length, uint32_t timeout_ms) {
    alpnlab_tcp *tcp = context;
    struct pollfd wait = {tcp->fd, POLLIN, 0};
    int ready = poll(&wait, 1, timeout_ms == 0 ? -1 : (int) timeout_ms);
    if (ready == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
    if (ready < 0) return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
    ssize_t got = recv(tcp->fd, data, length, 0);
    if (got >= 0) return (int) got;
    if (errno == EINTR || errno == EAGAIN) return MBEDTLS_ERR_SSL_WANT_READ;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

void alpnlab_tcp_close(alpnlab_tcp *tcp) {
    if (tcp == NULL) return;
    close(tcp->fd);
    free(tcp);
}

uint64_t alpnlab_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t) now.tv_sec * 1000u + (uint64_t) now.tv_nsec / 1000000u;
}

void alpnlab_sleep_ms(uint32_t milliseconds) {
    struct timespec wait = {milliseconds / 1000u, (long) (milliseconds % 1000u) * 1000000L};
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
    }
}

int alpnlab_entropy(void *data, unsigned char *output, size_t length, size_t *produced) {
    (void) data;
    size_t have = 0;
    while (have < length) {
        ssize_t got = getrandom(output + have, length - have, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
        }
        have += (size_t) got;
    }
    *produced = have;
    return 0;
}
