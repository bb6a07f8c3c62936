/*
 * alpnlab device agent: the portable core.
 *
 * The core speaks the agent protocol (docs/AGENT-PROTOCOL.md) to the conformance suite and, for each
 * task, connects to the broker the way a Raspberry Pi Pico W application does: mbedTLS 2.28 with
 * mbedtls_ssl_conf_alpn_protocols (a NULL-terminated array of C strings) and mbedtls_ssl_set_hostname
 * (SNI and the certificate name check), and a minimal MQTT 3.1.1 client.
 *
 * Everything that differs between a Linux host and a Pico W is behind alpnlab_platform.h.
 */
#ifndef ALPNLAB_AGENT_H
#define ALPNLAB_AGENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Build configuration: what a firmware developer sets, deliberately wrong in the test builds ---- */

/* 1: mbedtls_ssl_set_hostname(endpoint name), giving SNI and the certificate name check. 0: the bug of
 * an application that never calls it (lwIP's MQTT client connects by IP address). */
#ifndef ALPNLAB_SET_HOSTNAME
#define ALPNLAB_SET_HOSTNAME 1
#endif

/* 0: ALPN names passed as C strings (right). 1: passed in OpenSSL's length-prefixed wire format
 * ("\x0ex-amzn-mqtt-ca"), the classic bug: mbedTLS then offers a name that starts with a length byte. */
#ifndef ALPNLAB_ALPN_WIRE_FORMAT
#define ALPNLAB_ALPN_WIRE_FORMAT 0
#endif

/* The largest TLS record the device can receive. On a Pico W it is MBEDTLS_SSL_IN_CONTENT_LEN in the
 * firmware's mbedtls_config.h; a host build with Debian's library (16 KB) can set a smaller value, and
 * the core then refuses larger records exactly where that library would (see record_guard.c). */
#ifndef ALPNLAB_TLS_IN_RECORD
#define ALPNLAB_TLS_IN_RECORD 0 /* 0: the library's MBEDTLS_SSL_IN_CONTENT_LEN */
#endif

/* 0: no max_fragment_length offered (right for AWS). 512, 1024, 2048 or 4096: offered, the common
 * small-buffer set-up that AWS ignores (its records come at full size), so such a device fails there. */
#ifndef ALPNLAB_MFL
#define ALPNLAB_MFL 0
#endif

/* The largest MQTT packet the device takes, bytes: room for the suite's 17 KB delivery (Device Advisor's
 * "TLS receive maximum size fragments" sends a payload over one 16 KB record) and its headers. */
#ifndef ALPNLAB_MQTT_RECEIVE_BUFFER
#define ALPNLAB_MQTT_RECEIVE_BUFFER (20 * 1024)
#endif

#define ALPNLAB_AGENT_PROTOCOL "ALPNLAB-AGENT/1"
#define ALPNLAB_AGENT_VERSION "1.0.0"
#define ALPNLAB_AGENT_DEFAULT_PORT 7883
/* The protocol's line limit: a device can use one fixed buffer. */
#define ALPNLAB_LINE_MAX 4096

/* ---- Credentials, given once (flashed on a device, read from files on a host) ---- */

typedef struct {
    const unsigned char *ca_pem;   /* trust anchors; PEM buffers include their terminating NUL */
    size_t ca_length;
    const unsigned char *cert_pem; /* device certificate */
    size_t cert_length;
    const unsigned char *key_pem;  /* device private key; never logged or reported */
    size_t key_length;
} alpnlab_credentials;

/* ---- The suite's channel: lines in, text out ---- */

typedef struct {
    void *context;
    /* Reads one line without its end into line (NUL-terminated). Returns its length, -1 when the suite
     * closed the connection, -2 when the line is longer than capacity - 1 (the rest of it is dropped). */
    int (*read_line)(void *context, char *line, size_t capacity);
    /* Writes all of text; returns 0, or -1 when the connection is gone. */
    int (*write)(void *context, const char *text, size_t length);
} alpnlab_channel;

/* Splits the suite's byte stream into lines for alpnlab_channel.read_line, over any receive function
 * (recv returns bytes read, or <= 0 when the connection is gone). */
typedef struct {
    char buffer[ALPNLAB_LINE_MAX + 2];
    size_t have;
} alpnlab_line_reader;

int alpnlab_read_line(alpnlab_line_reader *reader, int (*recv)(void *context, char *data, size_t capacity),
                      void *context, char *line, size_t capacity);

/* Writes all of text through send (bytes written, or < 0 when the connection is gone): 0, or -1. */
int alpnlab_write_all(int (*send)(void *context, const char *data, size_t length), void *context, const char *text,
                      size_t length);

/* An agent: the TLS configuration built once from the credentials, shared by every task. */
typedef struct alpnlab_agent alpnlab_agent;

/* Parses the credentials and seeds the random generator; returns NULL and fills error on failure. */
alpnlab_agent *alpnlab_agent_create(const alpnlab_credentials *credentials, const char *name, char *error,
                                    size_t error_capacity);

/* Serves one suite connection: HELLO, then RUN/BYE until the suite leaves. Returns 0 after BYE, -1 when
 * the connection dropped. */
int alpnlab_agent_serve(alpnlab_agent *agent, const alpnlab_channel *channel);

void alpnlab_agent_free(alpnlab_agent *agent);

/* The build configuration as HELLO fields ("tls=mbedtls/2.28.3 sni=1 ..."), for logs and the report. */
const char *alpnlab_agent_configuration(const alpnlab_agent *agent);

/* ---- Protocol helpers, exposed for tests ---- */

/* Percent-encodes value into out (RFC 3986 unreserved bytes kept). Returns the length, or -1 if it does
 * not fit. */
int alpnlab_percent_encode(const char *value, char *out, size_t capacity);

/* Decodes %XX in place; returns -1 on a malformed escape. */
int alpnlab_percent_decode(char *value);

#ifdef __cplusplus
}
#endif

#endif
