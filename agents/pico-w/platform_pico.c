/*
 * The agent's platform layer on a Raspberry Pi Pico W: lwIP's BSD socket API (the SDK's
 * pico_cyw43_arch_lwip_sys_freertos, so calls block in their own FreeRTOS task), the SDK's microsecond
 * timer, and the RP2040's ring-oscillator randomness through pico_rand.
 *
 * NOT BUILT HERE: the Pico SDK is not available on alpnlab's machines (see README.md).
 */
#include "alpnlab_platform.h"

#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "lwip/netdb.h"
#include "lwip/sockets.h"
#include "pico/rand.h"
#include "pico/time.h"

struct alpnlab_tcp {
    int fd;
};

alpnlab_tcp *alpnlab_tcp_connect(const char *host, const char *port, uint32_t timeout_ms, char *error,
                                 size_t error_capacity) {
    struct addrinfo hints = {0}, *address = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (lwip_getaddrinfo(host, port, &hints, &address) != 0 || address == NULL) {
        snprintf(error, error_capacity, "cannot resolve %s", host);
        return NULL;
    }
    int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        lwip_freeaddrinfo(address);
        snprintf(error, error_capacity, "no socket left (MEMP_NUM_NETCONN)");
        return NULL;
    }
    /* lwIP has no connect timeout: a non-blocking connect and select() give one. */
    int flags = lwip_fcntl(fd, F_GETFL, 0);
    lwip_fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int connected = lwip_connect(fd, address->ai_addr, address->ai_addrlen);
    lwip_freeaddrinfo(address);
    if (connected != 0 && errno == EINPROGRESS) {
        fd_set writable;
        FD_ZERO(&writable);
        FD_SET(fd, &writable);
        struct timeval wait = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        int so_error = 0;
        socklen_t length = sizeof so_error;
        if (lwip_select(fd + 1, NULL, &writable, NULL, &wait) == 1
            && lwip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) == 0 && so_error == 0) {
            connected = 0;
        }
    }
    if (connected != 0) {
        lwip_close(fd);
        snprintf(error, error_capacity, "cannot connect to %s:%s", host, port);
        return NULL;
    }
    lwip_fcntl(fd, F_SETFL, flags);
    int one = 1;
    lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    alpnlab_tcp *tcp = malloc(sizeof *tcp);
    if (tcp == NULL) {
        lwip_close(fd);
        snprintf(error, error_capacity, "out of memory");
        return NULL;
    }
    tcp->fd = fd;
    return tcp;
}

int alpnlab_tcp_send(void *context, const unsigned char *data, size_t length) {
    alpnlab_tcp *tcp = context;
    int sent = lwip_send(tcp->fd, data, length, 0);
    if (sent >= 0) return sent;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
    return errno == ECONNRESET || errno == EPIPE ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

int alpnlab_tcp_recv(void *context, unsigned char *data, size_t length, uint32_t timeout_ms) {
    alpnlab_tcp *tcp = context;
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(tcp->fd, &readable);
    struct timeval wait = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int ready = lwip_select(tcp->fd + 1, &readable, NULL, NULL, timeout_ms == 0 ? NULL : &wait);
    if (ready == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
    if (ready < 0) return MBEDTLS_ERR_NET_RECV_FAILED;
    int got = lwip_recv(tcp->fd, data, length, 0);
    if (got >= 0) return got;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_READ;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

void alpnlab_tcp_close(alpnlab_tcp *tcp) {
    if (tcp == NULL) return;
    lwip_close(tcp->fd);
    free(tcp);
}

uint64_t alpnlab_now_ms(void) {
    return time_us_64() / 1000u;
}

void alpnlab_sleep_ms(uint32_t milliseconds) {
    vTaskDelay(pdMS_TO_TICKS(milliseconds));
}

int alpnlab_entropy(void *data, unsigned char *output, size_t length, size_t *produced) {
    (void) data;
    for (size_t i = 0; i < length; i += 8) {
        uint64_t random = get_rand_64();
        size_t take = length - i < 8 ? length - i : 8;
        memcpy(output + i, &random, take);
    }
    *produced = length;
    return 0;
}

/* mbedTLS's hardware entropy hook (MBEDTLS_ENTROPY_HARDWARE_ALT in mbedtls_config.h). */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t length, size_t *produced) {
    return alpnlab_entropy(data, output, length, produced);
}
