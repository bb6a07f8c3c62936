/*
 * The thin platform layer under the agent core: TCP, time and entropy. host/platform_posix.c
 * implements it with POSIX sockets; agents/pico-w/platform_pico.c with lwIP sockets on FreeRTOS.
 * The TCP functions have mbedTLS's BIO semantics, so they plug into mbedtls_ssl_set_bio directly.
 */
#ifndef ALPNLAB_PLATFORM_H
#define ALPNLAB_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct alpnlab_tcp alpnlab_tcp;

/* Opens a TCP connection to host (an address or a name) and port within timeout_ms. Returns NULL on
 * failure and writes the reason into error. */
alpnlab_tcp *alpnlab_tcp_connect(const char *host, const char *port, uint32_t timeout_ms, char *error,
                                 size_t error_capacity);

/* mbedTLS f_send: bytes written, or MBEDTLS_ERR_NET_SEND_FAILED / MBEDTLS_ERR_NET_CONN_RESET. */
int alpnlab_tcp_send(void *tcp, const unsigned char *data, size_t length);

/* mbedTLS f_recv_timeout: bytes read, 0 when the peer closed, MBEDTLS_ERR_SSL_TIMEOUT when nothing came
 * within timeout_ms (0: wait without limit), MBEDTLS_ERR_NET_RECV_FAILED / MBEDTLS_ERR_NET_CONN_RESET. */
int alpnlab_tcp_recv(void *tcp, unsigned char *data, size_t length, uint32_t timeout_ms);

void alpnlab_tcp_close(alpnlab_tcp *tcp);

/* A monotonic clock in milliseconds. */
uint64_t alpnlab_now_ms(void);

void alpnlab_sleep_ms(uint32_t milliseconds);

/* mbedTLS entropy source (mbedtls_entropy_add_source): fills output with length bytes of hardware or OS
 * randomness, sets *produced; returns 0 or MBEDTLS_ERR_ENTROPY_SOURCE_FAILED. */
int alpnlab_entropy(void *data, unsigned char *output, size_t length, size_t *produced);

#ifdef __cplusplus
}
#endif

#endif
