/*
 * The device's TLS input buffer, enforced in front of mbedTLS.
 *
 * A Pico W firmware sets MBEDTLS_SSL_IN_CONTENT_LEN in its mbedtls_config.h (often 2 or 4 KB to save
 * RAM); mbedTLS then refuses any record longer than that with MBEDTLS_ERR_SSL_INVALID_RECORD ("bad
 * message length"). A host build links Debian's library, compiled with 16 KB, so to test a small
 * buffer this guard reads the record headers on their way in and refuses a longer record at the same
 * point with the same error. With ALPNLAB_TLS_IN_RECORD unset the limit is the library's own and the
 * guard never refuses anything mbedTLS would take.
 */
#include "internal.h"

#include <mbedtls/ssl.h>

/* Room mbedTLS keeps above the content for an encrypted record: IV, MAC and padding
 * (MBEDTLS_SSL_PAYLOAD_OVERHEAD with the suites in use). */
#define ENCRYPTED_RECORD_OVERHEAD (16 + 48 + 256)
#define RECORD_TYPE_CHANGE_CIPHER_SPEC 20

size_t alpnlab_tls_in_record(void) {
#if ALPNLAB_TLS_IN_RECORD > 0 && ALPNLAB_TLS_IN_RECORD < MBEDTLS_SSL_IN_CONTENT_LEN
    return ALPNLAB_TLS_IN_RECORD;
#else
    return MBEDTLS_SSL_IN_CONTENT_LEN;
#endif
}

void alpnlab_record_guard_init(alpnlab_record_guard *guard, alpnlab_tcp *tcp, size_t limit) {
    guard->tcp = tcp;
    guard->limit = limit;
    guard->encrypted = 0;
    guard->header_have = 0;
    guard->body_left = 0;
    guard->last_type = 0;
    guard->refused = 0;
}

int alpnlab_record_guard_recv(void *context, unsigned char *data, size_t length, uint32_t timeout_ms) {
    alpnlab_record_guard *guard = context;
    int got = alpnlab_tcp_recv(guard->tcp, data, length, timeout_ms);
    if (got <= 0) return got;
    /* Walk the record framing over what arrived; refuse before mbedTLS sees a record it could not hold. */
    for (int i = 0; i < got;) {
        if (guard->body_left > 0) {
            size_t take = (size_t) (got - i) < guard->body_left ? (size_t) (got - i) : guard->body_left;
            guard->body_left -= take;
            i += (int) take;
            if (guard->body_left == 0 && guard->last_type == RECORD_TYPE_CHANGE_CIPHER_SPEC) {
                guard->encrypted = 1;
            }
            continue;
        }
        guard->header[guard->header_have++] = data[i++];
        if (guard->header_have == sizeof guard->header) {
            guard->header_have = 0;
            guard->last_type = guard->header[0];
            size_t record = ((size_t) guard->header[3] << 8) | guard->header[4];
            size_t limit = guard->limit + (guard->encrypted ? ENCRYPTED_RECORD_OVERHEAD : 0);
            if (record > limit) {
                guard->refused = record;
                return MBEDTLS_ERR_SSL_INVALID_RECORD;
            }
            guard->body_left = record;
            if (record == 0 && guard->last_type == RECORD_TYPE_CHANGE_CIPHER_SPEC) {
                guard->encrypted = 1;
            }
        }
    }
    return got;
}

int alpnlab_record_guard_send(void *context, const unsigned char *data, size_t length) {
    alpnlab_record_guard *guard = context;
    return alpnlab_tcp_send(guard->tcp, data, length);
}
