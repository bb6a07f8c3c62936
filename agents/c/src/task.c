/*
 * One task of the suite, done the way AWS IoT Core expects of a device: TLS with SNI and ALPN as the
 * Pico W SDK sets them, server verification, MQTT 3.1.1 with keep-alive and a PINGRESP check, QoS 1
 * and SUBSCRIBE retries, and reconnects with exponential backoff and full jitter. Timers are
 * multiplied by the task's time_scale (the agent says scales_time=1), so the suite can test a 45 s
 * keep-alive deadline in a couple of seconds.
 */
#include "internal.h"
#include "mqtt_wire.h"

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <stdarg.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Connect retries at time scale 1: full jitter from backoffAlgorithm's 500 ms base to the AWS SDK v2
 * MQTT 5 client's 120 s cap, so that the 9 attempts the suite's backoff test needs still grow. */
#define BACKOFF_BASE_MS 500u
#define BACKOFF_CAP_MS 120000u
/* Reconnects after a connection that was up: equal jitter from 2 s, never sooner than the 1 s Device
 * Advisor requires. */
#define RECONNECT_BASE_MS 2000u
#define ACK_TIMEOUT_MS 5000u
#define TCP_CONNECT_TIMEOUT_MS 5000u
#define HANDSHAKE_TIMEOUT_MS 15000u
#define MAX_ALPN_NAMES 4
/* Inbound MQTT packets the core can hold: the suite's payloads are small; AWS allows 128 KB, which a
 * device sized for its own topics does not need. */
#define PACKET_BUFFER 8192 /* packets the agent sends */

enum { CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, SUBSCRIBE = 8, SUBACK = 9, PINGREQ = 12, PINGRESP = 13,
       DISCONNECT = 14 };

typedef struct {
    int type;
    int flags;
    const unsigned char *body;
    size_t length;
} packet;

typedef struct {
    alpnlab_agent *agent;
    const alpnlab_task *task;
    const alpnlab_reporter *reporter;
    alpnlab_result *result;
    alpnlab_tcp *tcp;
    alpnlab_record_guard guard;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    const char *alpn_names[MAX_ALPN_NAMES + 1];
    char alpn_storage[MAX_ALPN_NAMES][64];
    int open;
    unsigned char in[ALPNLAB_MQTT_RECEIVE_BUFFER];
    size_t in_length;
    unsigned char current[ALPNLAB_MQTT_RECEIVE_BUFFER];
    uint64_t last_sent;
    uint64_t ping_sent_at;
    uint16_t next_packet_id;
    /* The last PUBLISH received, for the shadow's replies (small JSON documents). */
    char last_topic[300];
    char last_payload[1100];
} session;

/* Failure outcomes travel as return codes: 0 ok, FAILED (result filled), FATAL (no retry helps). */
#define FAILED (-1)
#define FATAL (-2)

static uint32_t scaled(const session *s, uint32_t milliseconds) {
    double value = milliseconds * s->task->time_scale;
    return value < 1 ? 1 : (uint32_t) value;
}

static void report(const alpnlab_reporter *reporter, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void report(const alpnlab_reporter *reporter, const char *format, ...) {
    char text[300];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    reporter->log(reporter->context, text);
}

static int fail(session *s, const char *token, const char *message, int mbedtls_error) {
    s->result->outcome = OUTCOME_FAILURE;
    snprintf(s->result->token, sizeof s->result->token, "%s", token);
    char detail[160] = "";
    if (mbedtls_error != 0) {
#if defined(MBEDTLS_ERROR_C)
        char text[120];
        mbedtls_strerror(mbedtls_error, text, sizeof text);
        snprintf(detail, sizeof detail, ": -0x%04X %s", (unsigned) -mbedtls_error, text);
#else
        snprintf(detail, sizeof detail, ": -0x%04X", (unsigned) -mbedtls_error);
#endif
    }
    snprintf(s->result->message, sizeof s->result->message, "%s%s", message, detail);
    report(s->reporter, "failed: %s %s", token, s->result->message);
    return FAILED;
}

/* ---- TLS ---- */

static int configure_alpn(session *s) {
    int count = 0;
    const char *cursor = s->task->alpn;
    while (*cursor != '\0' && count < MAX_ALPN_NAMES) {
        const char *comma = strchr(cursor, ',');
        size_t length = comma ? (size_t) (comma - cursor) : strlen(cursor);
        if (length == 0 || length + 2 > sizeof s->alpn_storage[0]) return -1;
        char *name = s->alpn_storage[count];
#if ALPNLAB_ALPN_WIRE_FORMAT
        /* The bug, on purpose: OpenSSL's wire format (a length byte, then the name) handed to mbedTLS,
         * which takes it for the name itself. */
        name[0] = (char) length;
        memcpy(name + 1, cursor, length);
        name[length + 1] = '\0';
#else
        memcpy(name, cursor, length);
        name[length] = '\0';
#endif
        s->alpn_names[count++] = name;
        cursor = comma ? comma + 1 : cursor + length;
    }
    s->alpn_names[count] = NULL; /* mbedTLS wants a NULL-terminated array of C strings */
    if (count == 0) return 0;
#if defined(MBEDTLS_SSL_ALPN)
    return mbedtls_ssl_conf_alpn_protocols(&s->conf, s->alpn_names);
#else
    return -1;
#endif
}

static void session_close(session *s) {
    if (s->open) {
        mbedtls_ssl_close_notify(&s->ssl);
    }
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    if (s->tcp != NULL) {
        alpnlab_tcp_close(s->tcp);
        s->tcp = NULL;
    }
    s->open = 0;
}

#if ALPNLAB_MFL > 0
#if !defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
#error "ALPNLAB_MFL needs MBEDTLS_SSL_MAX_FRAGMENT_LENGTH in the mbedTLS configuration"
#endif
/* RFC 6066 section 4 codes: 1 is 512 bytes up to 4 for 4096. */
static unsigned char max_frag_len_code(int bytes) {
    return bytes <= 512 ? MBEDTLS_SSL_MAX_FRAG_LEN_512 : bytes <= 1024 ? MBEDTLS_SSL_MAX_FRAG_LEN_1024
         : bytes <= 2048 ? MBEDTLS_SSL_MAX_FRAG_LEN_2048 : MBEDTLS_SSL_MAX_FRAG_LEN_4096;
}
#endif

static int session_open(session *s) {
    const alpnlab_task *task = s->task;
    alpnlab_agent *agent = s->agent;
    int ret;
    s->in_length = 0;
    s->ping_sent_at = 0;
    s->next_packet_id = 1;
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_init(&s->ssl);
    if ((ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        return fail(s, "CONFIG", "mbedtls_ssl_config_defaults", ret);
    }
    /* AWS IoT Core takes TLS 1.2 and 1.3 only; offering less only invites a downgrade. */
    mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&s->conf, &agent->ca, NULL);
    if ((ret = mbedtls_ssl_conf_own_cert(&s->conf, &agent->cert, &agent->key)) != 0) {
        return fail(s, "CONFIG", "mbedtls_ssl_conf_own_cert", ret);
    }
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &agent->drbg);
    mbedtls_ssl_conf_read_timeout(&s->conf, HANDSHAKE_TIMEOUT_MS);
#if ALPNLAB_MFL > 0
    if ((ret = mbedtls_ssl_conf_max_frag_len(&s->conf, max_frag_len_code(ALPNLAB_MFL))) != 0) {
        return fail(s, "CONFIG", "mbedtls_ssl_conf_max_frag_len", ret);
    }
#endif
    if (configure_alpn(s) != 0) {
        return fail(s, "CONFIG", "cannot offer the ALPN names (MBEDTLS_SSL_ALPN off, or a name too long)", 0);
    }
    if ((ret = mbedtls_ssl_setup(&s->ssl, &s->conf)) != 0) {
        return fail(s, "CONFIG", "mbedtls_ssl_setup", ret);
    }
#if ALPNLAB_SET_HOSTNAME
    /* SNI and the certificate name check both come from the endpoint name, whatever address is dialled. */
    if ((ret = mbedtls_ssl_set_hostname(&s->ssl, task->server_name)) != 0) {
        return fail(s, "CONFIG", "mbedtls_ssl_set_hostname", ret);
    }
#endif
    char error[160];
    s->tcp = alpnlab_tcp_connect(task->host, task->port, TCP_CONNECT_TIMEOUT_MS, error, sizeof error);
    if (s->tcp == NULL) {
        return fail(s, "TCP_CONNECT", error, 0);
    }
    alpnlab_record_guard_init(&s->guard, s->tcp, alpnlab_tls_in_record());
    mbedtls_ssl_set_bio(&s->ssl, &s->guard, alpnlab_record_guard_send, NULL, alpnlab_record_guard_recv);
    while ((ret = mbedtls_ssl_handshake(&s->ssl)) != 0) {
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (ret == MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE) {
            return fail(s, "TLS_HANDSHAKE", "mbedtls_ssl_handshake (mbedTLS 2.x cannot reassemble a handshake message"
                        " split over several records)", ret);
        }
        if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            char why[200] = "";
            mbedtls_x509_crt_verify_info(why, sizeof why, "", mbedtls_ssl_get_verify_result(&s->ssl));
            for (char *c = why; *c; c++) if (*c == '\n') *c = ' ';
            fail(s, "SERVER_CERTIFICATE_REJECTED", why, 0);
            return FATAL; /* retrying cannot make the server trustworthy */
        }
        if (ret == MBEDTLS_ERR_SSL_INVALID_RECORD && s->guard.refused > 0) {
            char message[200];
            snprintf(message, sizeof message, "a TLS record of %lu bytes is larger than the TLS input buffer of %lu"
                     " bytes (MBEDTLS_SSL_IN_CONTENT_LEN)", (unsigned long) s->guard.refused,
                     (unsigned long) alpnlab_tls_in_record());
            return fail(s, "TLS_HANDSHAKE", message, ret);
        }
        return fail(s, "TLS_HANDSHAKE", "mbedtls_ssl_handshake", ret);
    }
    s->open = 1;
    const char *selected = NULL;
#if defined(MBEDTLS_SSL_ALPN)
    selected = mbedtls_ssl_get_alpn_protocol(&s->ssl);
#endif
    report(s->reporter, "TLS %s %s ALPN %s", mbedtls_ssl_get_version(&s->ssl), mbedtls_ssl_get_ciphersuite(&s->ssl),
           selected ? selected : "(none)");
    return 0;
}

/* ---- MQTT framing ---- */

static int write_all(session *s, const unsigned char *data, size_t length) {
    while (length > 0) {
        int written = mbedtls_ssl_write(&s->ssl, data, length);
        if (written == MBEDTLS_ERR_SSL_WANT_WRITE || written == MBEDTLS_ERR_SSL_WANT_READ) continue;
        if (written <= 0) return fail(s, "CONNECTION_LOST", "mbedtls_ssl_write", written);
        data += written;
        length -= (size_t) written;
    }
    s->last_sent = alpnlab_now_ms();
    return 0;
}

/* Sends fixed header byte + body. */
static int send_packet(session *s, unsigned char first, const unsigned char *body, size_t length) {
    unsigned char header[5];
    header[0] = first;
    size_t n = 1 + alpnlab_mqtt_put_length(header + 1, length);
    unsigned char out[PACKET_BUFFER + 5];
    if (n + length > sizeof out) return fail(s, "PACKET_TOO_LARGE", "an outgoing packet does not fit", 0);
    memcpy(out, header, n);
    memcpy(out + n, body, length);
    return write_all(s, out, n + length);
}

/* A complete packet from the input buffer, if one is there: 1 found, 0 not yet, FAILED malformed. */
static int take_packet(session *s, packet *p) {
    if (s->in_length < 2) return 0;
    size_t value = 0, multiplier = 1, i = 1;
    for (;; i++) {
        if (i >= s->in_length) return 0;
        if (i > 4) return fail(s, "PROTOCOL", "malformed remaining length from the server", 0);
        value += (s->in[i] & 0x7Fu) * multiplier;
        multiplier *= 128;
        if ((s->in[i] & 0x80) == 0) break;
    }
    size_t total = i + 1 + value;
    if (total > sizeof s->in) return fail(s, "PACKET_TOO_LARGE", "the server sent a packet larger than"
                                                     " ALPNLAB_MQTT_RECEIVE_BUFFER", 0);
    if (s->in_length < total) return 0;
    memcpy(s->current, s->in + i + 1, value);
    p->type = s->in[0] >> 4;
    p->flags = s->in[0] & 0x0F;
    p->body = s->current;
    p->length = value;
    memmove(s->in, s->in + total, s->in_length - total);
    s->in_length -= total;
    return 1;
}

/* Reads what arrives within timeout_ms: 0 (data or nothing), FAILED when the connection ended. */
static int fill(session *s, uint32_t timeout_ms) {
    if (s->in_length == sizeof s->in) return fail(s, "PACKET_TOO_LARGE", "input buffer full", 0);
    mbedtls_ssl_conf_read_timeout(&s->conf, timeout_ms);
    int n = mbedtls_ssl_read(&s->ssl, s->in + s->in_length, sizeof s->in - s->in_length);
    if (n > 0) {
        s->in_length += (size_t) n;
        return 0;
    }
    if (n == MBEDTLS_ERR_SSL_TIMEOUT || n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
    if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_NET_CONN_RESET) {
        s->open = 0;
        return fail(s, "CONNECTION_CLOSED", "the server closed the connection", 0);
    }
    s->open = 0;
    return fail(s, "CONNECTION_ERROR", "mbedtls_ssl_read", n);
}

static uint16_t packet_id(const packet *p) {
    return p->length >= 2 ? (uint16_t) ((p->body[0] << 8) | p->body[1]) : 0;
}

/* PINGREQ when 3/4 of the keep-alive passed without sending; a PINGREQ unanswered for the ack timeout
 * means the connection is dead. */
static int keep_alive(session *s) {
    uint64_t now = alpnlab_now_ms();
    if (s->ping_sent_at != 0 && now - s->ping_sent_at > scaled(s, ACK_TIMEOUT_MS)) {
        s->reporter->log(s->reporter->context, "no PINGRESP: reconnecting");
        return fail(s, "NO_PINGRESP", "the server did not answer PINGREQ", 0);
    }
    if (s->task->keep_alive > 0 && s->ping_sent_at == 0
        && now - s->last_sent > (uint64_t) scaled(s, (uint32_t) s->task->keep_alive * 1000u) * 3 / 4) {
        if (send_packet(s, PINGREQ << 4, NULL, 0) != 0) return FAILED;
        s->ping_sent_at = now;
    }
    return 0;
}

/* Handles a PUBLISH: PUBACK for QoS 1, reported to the suite. */
static int on_publish(session *s, const packet *p, int *received) {
    if (p->length < 2) return fail(s, "PROTOCOL", "short PUBLISH", 0);
    size_t topic_length = ((size_t) p->body[0] << 8) | p->body[1];
    int qos = (p->flags >> 1) & 3;
    size_t offset = 2 + topic_length + (qos > 0 ? 2 : 0);
    if (offset > p->length) return fail(s, "PROTOCOL", "malformed PUBLISH", 0);
    char topic[300], payload[1100];
    size_t payload_length = p->length - offset;
    if (topic_length >= sizeof topic) topic_length = sizeof topic - 1;
    if (payload_length >= sizeof payload) payload_length = sizeof payload - 1;
    memcpy(topic, p->body + 2, topic_length);
    topic[topic_length] = '\0';
    memcpy(payload, p->body + offset, payload_length);
    payload[payload_length] = '\0';
    snprintf(s->last_topic, sizeof s->last_topic, "%s", topic);
    snprintf(s->last_payload, sizeof s->last_payload, "%s", payload);
    if (qos == 1) {
        unsigned char ack[2] = {p->body[2 + topic_length], p->body[3 + topic_length]};
        if (send_packet(s, PUBACK << 4, ack, 2) != 0) return FAILED;
    }
    if (received != NULL) {
        (*received)++;
        s->reporter->received(s->reporter->context, topic, payload);
    }
    return 0;
}

/* Waits until deadline for a packet of type (0: any PUBLISH) with the id (0: any), answering what comes
 * meanwhile. Returns 1 found, 0 deadline passed, FAILED. */
static int await(session *s, int type, uint16_t id, uint64_t deadline, packet *found, int *received) {
    for (;;) {
        packet p = {0, 0, NULL, 0};
        int got = take_packet(s, &p);
        if (got < 0) return FAILED;
        if (got == 1) {
            if (p.type == PINGRESP) s->ping_sent_at = 0;
            if (p.type == PUBLISH) {
                if (on_publish(s, &p, received) != 0) return FAILED;
                if (type == 0) return 1;
            } else if (p.type == type && (id == 0 || packet_id(&p) == id)) {
                if (found != NULL) *found = p;
                return 1;
            }
            continue;
        }
        uint64_t now = alpnlab_now_ms();
        if (now >= deadline) return 0;
        uint64_t wait = deadline - now;
        uint32_t tick = scaled(s, 1000);
        if (wait > tick) wait = tick;
        if (fill(s, (uint32_t) wait) != 0) return FAILED;
        if (keep_alive(s) != 0) return FAILED;
    }
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

static int mqtt_connect(session *s, uint64_t deadline) {
    unsigned char body[512];
    size_t n = alpnlab_mqtt_put_string(body, "MQTT");
    body[n++] = 4; /* MQTT 3.1.1 */
    body[n++] = (unsigned char) (s->task->clean ? 0x02 : 0x00);
    body[n++] = (unsigned char) (s->task->keep_alive >> 8);
    body[n++] = (unsigned char) s->task->keep_alive;
    if (strlen(s->task->client_id) > sizeof body - n - 2) return fail(s, "CONFIG", "client ID too long", 0);
    n += alpnlab_mqtt_put_string(body + n, s->task->client_id);
    if (send_packet(s, CONNECT << 4, body, n) != 0) return FAILED;
    packet connack;
    int got = await(s, CONNACK, 0, min_u64(deadline, alpnlab_now_ms() + scaled(s, ACK_TIMEOUT_MS)), &connack, NULL);
    if (got < 0) return FAILED;
    if (got == 0) return fail(s, "NO_CONNACK", "no CONNACK within the ack timeout", 0);
    if (connack.length < 2 || connack.body[1] != 0) {
        char message[60];
        snprintf(message, sizeof message, "CONNACK return code %d", connack.length < 2 ? -1 : connack.body[1]);
        return fail(s, "CONNACK_REFUSED", message, 0);
    }
    report(s->reporter, "connected (session present %d)", connack.body[0] & 1);
    return 0;
}

static int mqtt_publish(session *s, uint64_t deadline) {
    unsigned char body[PACKET_BUFFER];
    size_t topic = strlen(s->task->topic), payload = strlen(s->task->payload);
    if (topic + payload + 4 > sizeof body) return fail(s, "CONFIG", "message too large", 0);
    uint16_t id = s->next_packet_id++;
    int dup = 0;
    for (;;) {
        size_t n = alpnlab_mqtt_put_string(body, s->task->topic);
        if (s->task->qos > 0) {
            body[n++] = (unsigned char) (id >> 8);
            body[n++] = (unsigned char) id;
        }
        memcpy(body + n, s->task->payload, payload);
        n += payload;
        unsigned char first = (unsigned char) (PUBLISH << 4 | (dup ? 0x08 : 0) | (s->task->qos << 1));
        if (send_packet(s, first, body, n) != 0) return FAILED;
        if (s->task->qos == 0) return 0;
        int got = await(s, PUBACK, id, min_u64(deadline, alpnlab_now_ms() + scaled(s, ACK_TIMEOUT_MS)), NULL, NULL);
        if (got < 0) return FAILED;
        if (got == 1) return 0;
        if (alpnlab_now_ms() >= deadline) return fail(s, "NO_PUBACK", "no PUBACK before the task's deadline", 0);
        s->reporter->log(s->reporter->context, "no PUBACK: resending with DUP");
        dup = 1;
    }
}

static int mqtt_subscribe(session *s, uint64_t deadline) {
    unsigned char body[400];
    uint16_t id = s->next_packet_id++;
    int received = 0;
    for (;;) {
        size_t n = 0;
        body[n++] = (unsigned char) (id >> 8);
        body[n++] = (unsigned char) id;
        if (strlen(s->task->topic) + 5 > sizeof body) return fail(s, "CONFIG", "topic too long", 0);
        n += alpnlab_mqtt_put_string(body + n, s->task->topic);
        body[n++] = (unsigned char) s->task->qos;
        if (send_packet(s, SUBSCRIBE << 4 | 0x02, body, n) != 0) return FAILED;
        int got = await(s, SUBACK, id, min_u64(deadline, alpnlab_now_ms() + scaled(s, ACK_TIMEOUT_MS)), NULL, &received);
        if (got < 0) return FAILED;
        if (got == 1) break;
        if (alpnlab_now_ms() >= deadline) return fail(s, "NO_SUBACK", "no SUBACK before the task's deadline", 0);
        s->reporter->log(s->reporter->context, "no SUBACK: resubscribing");
    }
    while (received < s->task->expect) {
        int got = await(s, 0, 0, deadline, NULL, &received);
        if (got < 0) return FAILED;
        if (got == 0) return fail(s, "NO_MESSAGE", "the expected messages did not all arrive", 0);
    }
    return 0;
}

/* One SUBSCRIBE at QoS 1 for the filters, resent under the same packet ID until its SUBACK. */
static int subscribe_filters(session *s, const char *const *filters, int count, uint64_t deadline) {
    unsigned char body[1200];
    uint16_t id = s->next_packet_id++;
    for (;;) {
        size_t n = 0;
        body[n++] = (unsigned char) (id >> 8);
        body[n++] = (unsigned char) id;
        for (int i = 0; i < count; i++) {
            if (n + strlen(filters[i]) + 3 > sizeof body) return fail(s, "CONFIG", "shadow topics too long", 0);
            n += alpnlab_mqtt_put_string(body + n, filters[i]);
            body[n++] = 1;
        }
        if (send_packet(s, SUBSCRIBE << 4 | 0x02, body, n) != 0) return FAILED;
        int got = await(s, SUBACK, id, min_u64(deadline, alpnlab_now_ms() + scaled(s, ACK_TIMEOUT_MS)), NULL, NULL);
        if (got < 0) return FAILED;
        if (got == 1) return 0;
        if (alpnlab_now_ms() >= deadline) return fail(s, "NO_SUBACK", "no SUBACK for the shadow topics", 0);
    }
}

/* A QoS 1 publish of a request, resent with DUP under the same packet ID until its PUBACK. */
static int publish_request(session *s, const char *topic, const char *payload, uint64_t deadline) {
    unsigned char body[PACKET_BUFFER];
    size_t topic_length = strlen(topic), payload_length = strlen(payload);
    if (topic_length + payload_length + 4 > sizeof body) return fail(s, "CONFIG", "request too large", 0);
    uint16_t id = s->next_packet_id++;
    int dup = 0;
    for (;;) {
        size_t n = alpnlab_mqtt_put_string(body, topic);
        body[n++] = (unsigned char) (id >> 8);
        body[n++] = (unsigned char) id;
        memcpy(body + n, payload, payload_length);
        n += payload_length;
        if (send_packet(s, (unsigned char) (PUBLISH << 4 | (dup ? 0x08 : 0) | 0x02), body, n) != 0) return FAILED;
        int got = await(s, PUBACK, id, min_u64(deadline, alpnlab_now_ms() + scaled(s, ACK_TIMEOUT_MS)), NULL, NULL);
        if (got < 0) return FAILED;
        if (got == 1) return 0;
        if (alpnlab_now_ms() >= deadline) return fail(s, "NO_PUBACK", "no PUBACK for the shadow request", 0);
        dup = 1;
    }
}

/* Waits for a reply on one of two topics that carries the client token; 1 for the first topic, 2 for the second. */
static int await_reply(session *s, const char *first, const char *second, const char *token, uint64_t deadline) {
    char quoted[96];
    snprintf(quoted, sizeof quoted, "\"clientToken\":\"%s\"", token);
    for (;;) {
        s->last_topic[0] = '\0';
        int got = await(s, 0, 0, deadline, NULL, NULL);
        if (got < 0) return FAILED;
        if (got == 0) return fail(s, "NO_REPLY", "no reply from the shadow service in time", 0);
        if (strstr(s->last_payload, quoted) == NULL) continue;
        if (strcmp(s->last_topic, first) == 0) return 1;
        if (strcmp(s->last_topic, second) == 0) return 2;
    }
}

/*
 * Reports the task's payload (a JSON object) as the reported state of the thing named by the client ID
 * (its classic shadow) until the update is accepted. A 409 means the shadow moved on: read it again
 * (publish to .../shadow/get), then retry, at most 3 times; another rejection is the device's own error.
 */
static int shadow_report(session *s, uint64_t deadline) {
    char base[200], update[220], accepted[240], rejected[240], get[220], get_accepted[240], get_rejected[240];
    snprintf(base, sizeof base, "$aws/things/%s/shadow", s->task->client_id);
    snprintf(update, sizeof update, "%s/update", base);
    snprintf(accepted, sizeof accepted, "%s/accepted", update);
    snprintf(rejected, sizeof rejected, "%s/rejected", update);
    snprintf(get, sizeof get, "%s/get", base);
    snprintf(get_accepted, sizeof get_accepted, "%s/accepted", get);
    snprintf(get_rejected, sizeof get_rejected, "%s/rejected", get);
    const char *filters[] = {accepted, rejected, get_accepted, get_rejected};
    if (subscribe_filters(s, filters, 4, deadline) != 0) return FAILED;
    for (int attempt = 1;; attempt++) {
        char token[80], document[PACKET_BUFFER / 2];
        snprintf(token, sizeof token, "%.60s-%d", s->task->client_id, attempt);
        int length = snprintf(document, sizeof document, "{\"state\":{\"reported\":%s},\"clientToken\":\"%s\"}",
                              s->task->payload[0] == '{' ? s->task->payload : "{}", token);
        if (length < 0 || (size_t) length >= sizeof document) return fail(s, "CONFIG", "reported state too large", 0);
        if (publish_request(s, update, document, deadline) != 0) return FAILED;
        int reply = await_reply(s, accepted, rejected, token, deadline);
        if (reply < 0) return FAILED;
        if (reply == 1) {
            report(s->reporter, "shadow update accepted");
            return 0;
        }
        report(s->reporter, "shadow update rejected: %.200s", s->last_payload);
        if (strstr(s->last_payload, "\"code\":409") == NULL || attempt > 3) {
            return fail(s, "SHADOW_REJECTED", s->last_payload, 0);
        }
        char get_token[80], get_document[120];
        snprintf(get_token, sizeof get_token, "%.60s-get-%d", s->task->client_id, attempt);
        snprintf(get_document, sizeof get_document, "{\"clientToken\":\"%s\"}", get_token);
        if (publish_request(s, get, get_document, deadline) != 0) return FAILED;
        if (await_reply(s, get_accepted, get_rejected, get_token, deadline) < 0) return FAILED;
    }
}

/* Stays connected until the deadline: 0 when it did, FAILED when the connection dropped. */
static int mqtt_stay_connected(session *s, uint64_t deadline) {
    for (;;) {
        int got = await(s, 0, 0, deadline, NULL, NULL);
        if (got < 0) return FAILED;
        if (got == 0) return 0;
    }
}

static void mqtt_disconnect(session *s) {
    if (s->open) {
        send_packet(s, DISCONNECT << 4, NULL, 0);
    }
    session_close(s);
}

/* Retry n (1 for the first) after a failed connect: full jitter, random in [0, base x 2^(n-1)], capped.
 * After a lost connection (lost = 1 for the first): equal jitter, random in [c/2, c] with c = 2 s x 2^(lost-1). */
static uint32_t backoff_ms(session *s, int failed_connects, int lost, int after_lost_connection) {
    int doublings = (after_lost_connection ? lost : failed_connects) - 1;
    if (doublings < 0) doublings = 0;
    if (doublings > 10) doublings = 10;
    uint32_t ceiling = (after_lost_connection ? RECONNECT_BASE_MS : BACKOFF_BASE_MS) << doublings;
    if (ceiling > BACKOFF_CAP_MS) ceiling = BACKOFF_CAP_MS;
    uint32_t random = 0;
    mbedtls_ctr_drbg_random(&s->agent->drbg, (unsigned char *) &random, sizeof random);
    uint32_t floor = after_lost_connection ? ceiling / 2 : 0;
    return scaled(s, floor + random % (ceiling - floor + 1));
}

void alpnlab_task_run(alpnlab_agent *agent, const alpnlab_task *task, const alpnlab_reporter *reporter,
                      alpnlab_result *result) {
    session *s = calloc(1, sizeof *s); /* ~40 KB of buffers: not on a microcontroller task's stack */
    if (s == NULL) {
        result->outcome = OUTCOME_FAILURE;
        snprintf(result->token, sizeof result->token, "OUT_OF_MEMORY");
        snprintf(result->message, sizeof result->message, "no memory for a session");
        return;
    }
    s->agent = agent;
    s->task = task;
    s->reporter = reporter;
    s->result = result;
    snprintf(result->token, sizeof result->token, "NO_ATTEMPT");
    result->message[0] = '\0';
    result->outcome = OUTCOME_FAILURE;
    if (task->action == TASK_UNSUPPORTED) {
        result->outcome = OUTCOME_UNSUPPORTED;
        snprintf(result->message, sizeof result->message, "this agent does not implement the action yet (it does CONNECT,"
                 " PUBLISH, SUBSCRIBE, STAY_CONNECTED and SHADOW_REPORT)");
        free(s);
        return;
    }
    uint64_t deadline = alpnlab_now_ms() + task->timeout_ms;
    int done = 0, failed_connects = 0, lost = 0, last_was_lost = 0;
    for (int attempt = 0; !done && alpnlab_now_ms() < deadline; attempt++) {
        if (attempt > 0) {
            uint32_t wait = backoff_ms(s, failed_connects, lost, last_was_lost);
            report(reporter, "retry %d in %lu ms", attempt, (unsigned long) wait);
            if (alpnlab_now_ms() + wait >= deadline) break;
            alpnlab_sleep_ms(wait);
        }
        int ret = session_open(s);
        if (ret == FATAL) {
            session_close(s);
            break;
        }
        if (ret == 0) ret = mqtt_connect(s, deadline);
        if (ret != 0) {
            failed_connects++;
            last_was_lost = 0;
        } else {
            /* A connection that got its CONNACK starts the connect backoff afresh. */
            failed_connects = 0;
            switch (task->action) {
                case TASK_CONNECT: break;
                case TASK_PUBLISH: ret = mqtt_publish(s, deadline); break;
                case TASK_SUBSCRIBE: ret = mqtt_subscribe(s, deadline); break;
                case TASK_SHADOW_REPORT: ret = shadow_report(s, deadline); break;
                case TASK_UNSUPPORTED: break;
                case TASK_STAY_CONNECTED:
                    ret = mqtt_stay_connected(s, deadline);
                    if (ret != 0) {
                        snprintf(result->token, sizeof result->token, "CONNECTION_LOST");
                        snprintf(result->message, sizeof result->message, "the connection dropped; reconnecting");
                    }
                    break;
            }
            /* A connection that was up and then failed (dropped before a PUBACK, say) is lost: the next attempt waits
             * at least 1 s, growing (Device Advisor's reconnect tests), not the connect backoff from 500 ms. */
            if (ret != 0) {
                lost++;
                last_was_lost = 1;
            }
        }
        if (ret == 0) {
            done = 1;
            mqtt_disconnect(s);
        } else {
            session_close(s);
        }
    }
    if (done) {
        result->outcome = OUTCOME_SUCCESS;
        result->token[0] = '\0';
        result->message[0] = '\0';
    }
    free(s);
}
