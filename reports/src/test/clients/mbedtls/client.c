/*
 * A small MQTT 3.1.1 client on mbedTLS 2.28 (Debian's libmbedtls-dev), the TLS library of the
 * Raspberry Pi Pico W SDK, used the way a coreMQTT + mbedTLS device uses it: TLS 1.2, SNI and
 * hostname check through mbedtls_ssl_set_hostname, ALPN through a NULL-terminated array, the
 * device certificate and key. The MQTT part is the handful of packets such a device sends.
 *
 * Built with -DVERIFY_AFTER_HANDSHAKE it is the other common device pattern: MBEDTLS_SSL_VERIFY_OPTIONAL,
 * then mbedtls_ssl_get_verify_result after the handshake, and a close_notify when it is not 0.
 *
 * Process-driver contract: exit 0 success, 1 failure ("TOKEN message" on stderr), 89 unsupported.
 * usage: client ACTION HOST PORT SERVER_NAME ALPN|- CA CERT KEY CLIENT_ID KEEP_ALIVE TOPIC PAYLOAD QOS TIMEOUT_MS
 */
#include "mqtt_wire.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>

static void fail(const char *token, const char *what, int error) {
    char text[200] = "";
    if (error != 0) {
        mbedtls_strerror(error, text, sizeof text);
    }
    fprintf(stderr, "%s %s%s%s\n", token, what, error ? ": " : "", text);
    exit(1);
}

static void write_all(mbedtls_ssl_context *ssl, const unsigned char *data, size_t length) {
    while (length > 0) {
        int written = mbedtls_ssl_write(ssl, data, length);
        if (written <= 0) {
            fail("WRITE", "mbedtls_ssl_write", written);
        }
        data += written;
        length -= (size_t) written;
    }
}

static void read_exact(mbedtls_ssl_context *ssl, unsigned char *buffer, size_t length, const char *waiting_for) {
    size_t got = 0;
    while (got < length) {
        int n = mbedtls_ssl_read(ssl, buffer + got, length - got);
        if (n == MBEDTLS_ERR_SSL_TIMEOUT) {
            fail("TIMEOUT", waiting_for, 0);
        }
        if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_NET_CONN_RESET) {
            fail("CONNECTION_CLOSED", waiting_for, 0);
        }
        if (n < 0) {
            fail("READ", waiting_for, n);
        }
        got += (size_t) n;
    }
}

/* Reads one packet; returns its first byte (type and flags) and fills the body and its length. */
static int read_packet(mbedtls_ssl_context *ssl, unsigned char *body, size_t capacity, size_t *length, const char *waiting_for) {
    unsigned char header;
    read_exact(ssl, &header, 1, waiting_for);
    size_t value = 0, multiplier = 1;
    unsigned char byte;
    do {
        read_exact(ssl, &byte, 1, waiting_for);
        value += (byte & 0x7F) * multiplier;
        multiplier *= 128;
    } while (byte & 0x80);
    if (value > capacity) {
        fail("PACKET_TOO_LARGE", waiting_for, 0);
    }
    read_exact(ssl, body, value, waiting_for);
    *length = value;
    return header;
}

int main(int argc, char **argv) {
    if (argc != 15) {
        fprintf(stderr, "USAGE client ACTION HOST PORT SERVER_NAME ALPN|- CA CERT KEY CLIENT_ID KEEP_ALIVE TOPIC PAYLOAD|EXPECT QOS"
                " TIMEOUT_MS\n");
        return 2;
    }
    const char *action = argv[1], *host = argv[2], *port = argv[3], *server_name = argv[4], *alpn = argv[5];
    int keep_alive = atoi(argv[10]), qos = atoi(argv[13]);
    uint32_t timeout_ms = (uint32_t) atol(argv[14]);
    if (strcmp(action, "CONNECT") != 0 && strcmp(action, "PUBLISH") != 0 && strcmp(action, "SUBSCRIBE") != 0
        && strcmp(action, "SUBSCRIBE_WAIT") != 0) {
        fprintf(stderr, "this client connects, publishes and subscribes only (action %s)\n", action);
        return 89;
    }

    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca, cert;
    mbedtls_pk_context key;
    mbedtls_net_init(&net);
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&conf);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&cert);
    mbedtls_pk_init(&key);

    int ret;
    if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *) "alpnlab", 7)) != 0) {
        fail("RANDOM", "mbedtls_ctr_drbg_seed", ret);
    }
    if ((ret = mbedtls_x509_crt_parse_file(&ca, argv[6])) != 0) fail("CREDENTIALS", argv[6], ret);
    if ((ret = mbedtls_x509_crt_parse_file(&cert, argv[7])) != 0) fail("CREDENTIALS", argv[7], ret);
    if ((ret = mbedtls_pk_parse_keyfile(&key, argv[8], NULL)) != 0) fail("CREDENTIALS", argv[8], ret);
    if ((ret = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
            MBEDTLS_SSL_PRESET_DEFAULT)) != 0) fail("CONFIG", "mbedtls_ssl_config_defaults", ret);
#ifdef VERIFY_AFTER_HANDSHAKE
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
#else
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
#endif
    mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
    mbedtls_ssl_conf_own_cert(&conf, &cert, &key);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_read_timeout(&conf, timeout_ms);
    /* The right way: a NULL-terminated array of C strings, not OpenSSL's length-prefixed wire format. */
    const char *protocols[2] = {NULL, NULL};
    if (strcmp(alpn, "-") != 0) {
        protocols[0] = alpn;
        if ((ret = mbedtls_ssl_conf_alpn_protocols(&conf, protocols)) != 0) fail("CONFIG", "alpn", ret);
    }
    if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0) fail("CONFIG", "mbedtls_ssl_setup", ret);
    /* SNI and the certificate name check, both from the endpoint name, whatever address is dialled. */
    if ((ret = mbedtls_ssl_set_hostname(&ssl, server_name)) != 0) fail("CONFIG", "mbedtls_ssl_set_hostname", ret);
    if ((ret = mbedtls_net_connect(&net, host, port, MBEDTLS_NET_PROTO_TCP)) != 0) fail("TCP_CONNECT", host, ret);
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    while ((ret = mbedtls_ssl_handshake(&ssl)) != 0) {
        if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            fail("SERVER_CERTIFICATE_REJECTED", "verify failed", ret);
        }
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            fail("TLS_HANDSHAKE", "mbedtls_ssl_handshake", ret);
        }
    }
#ifdef VERIFY_AFTER_HANDSHAKE
    uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
    if (flags != 0) {
        char reasons[256];
        mbedtls_x509_crt_verify_info(reasons, sizeof reasons, "", flags);
        for (char *c = reasons; *c; c++) {
            if (*c == '\n') *c = ' ';
        }
        mbedtls_ssl_close_notify(&ssl);
        mbedtls_net_free(&net);
        fail("SERVER_CERTIFICATE_REJECTED", reasons, 0);
    }
#endif

    unsigned char packet[2048], body[1024];
    size_t n = 0, variable = 0;
    /* CONNECT: protocol name, level 4, clean session, keep-alive, client ID. */
    variable += alpnlab_mqtt_put_string(body + variable, "MQTT");
    body[variable++] = 4;
    body[variable++] = 0x02;
    body[variable++] = (unsigned char) (keep_alive >> 8);
    body[variable++] = (unsigned char) keep_alive;
    variable += alpnlab_mqtt_put_string(body + variable, argv[9]);
    packet[n++] = 0x10;
    n += alpnlab_mqtt_put_length(packet + n, variable);
    memcpy(packet + n, body, variable);
    write_all(&ssl, packet, n + variable);

    size_t length;
    if (read_packet(&ssl, body, sizeof body, &length, "CONNACK") >> 4 != 2 || length < 2) fail("NO_CONNACK", "expected CONNACK", 0);
    if (body[1] != 0) {
        char code[16];
        snprintf(code, sizeof code, "code %d", body[1]);
        fail("CONNACK_REFUSED", code, 0);
    }
    if (strcmp(action, "PUBLISH") == 0) {
        variable = alpnlab_mqtt_put_string(body, argv[11]);
        if (qos > 0) {
            body[variable++] = 0;
            body[variable++] = 1; /* packet identifier 1 */
        }
        size_t payload = strlen(argv[12]);
        memcpy(body + variable, argv[12], payload);
        variable += payload;
        n = 0;
        packet[n++] = (unsigned char) (0x30 | (qos << 1));
        n += alpnlab_mqtt_put_length(packet + n, variable);
        memcpy(packet + n, body, variable);
        write_all(&ssl, packet, n + variable);
        if (qos == 1 && read_packet(&ssl, body, sizeof body, &length, "PUBACK") >> 4 != 4) fail("NO_PUBACK", "expected PUBACK", 0);
    }
    if (strncmp(action, "SUBSCRIBE", 9) == 0) {
        /* SUBSCRIBE: packet identifier 1, one filter at the task's QoS. */
        variable = 0;
        body[variable++] = 0;
        body[variable++] = 1;
        variable += alpnlab_mqtt_put_string(body + variable, argv[11]);
        body[variable++] = (unsigned char) qos;
        n = 0;
        packet[n++] = 0x82;
        n += alpnlab_mqtt_put_length(packet + n, variable);
        memcpy(packet + n, body, variable);
        write_all(&ssl, packet, n + variable);
        if (read_packet(&ssl, body, sizeof body, &length, "SUBACK") >> 4 != 9 || length < 3 || body[2] >= 0x80) {
            fail("NO_SUBACK", "expected a granting SUBACK", 0);
        }
        /* Messages go up to AWS's 128 KB payload: the buffer is static, not on the stack. */
        static unsigned char message[132 * 1024];
        int expect = strcmp(action, "SUBSCRIBE_WAIT") == 0 ? atoi(argv[12]) : 0;
        for (int received = 0; received < expect;) {
            int first = read_packet(&ssl, message, sizeof message, &length, "PUBLISH");
            if (first >> 4 != 3 || length < 2) continue;
            size_t topic_length = ((size_t) message[0] << 8) | message[1];
            int message_qos = (first >> 1) & 3;
            size_t offset = 2 + topic_length + (message_qos > 0 ? 2 : 0);
            if (offset > length) fail("PROTOCOL", "malformed PUBLISH", 0);
            if (message_qos == 1) {
                unsigned char puback[4] = {0x40, 0x02, message[2 + topic_length], message[3 + topic_length]};
                write_all(&ssl, puback, sizeof puback);
            }
            /* One line per message on stdout: the suite counts them. */
            printf("%.*s %lu bytes\n", (int) topic_length, (const char *) message + 2, (unsigned long) (length - offset));
            fflush(stdout);
            received++;
        }
    }
    const unsigned char disconnect[2] = {0xE0, 0x00};
    write_all(&ssl, disconnect, 2);
    mbedtls_ssl_close_notify(&ssl);
    mbedtls_net_free(&net);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&cert);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return 0;
}
