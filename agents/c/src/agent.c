/* The agent side of docs/AGENT-PROTOCOL.md: HELLO with the build configuration, then RUN ... RESULT. */
#include "internal.h"

#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *alpn_format(void) {
    return ALPNLAB_ALPN_WIRE_FORMAT ? "wire-format" : "c-strings";
}

alpnlab_agent *alpnlab_agent_create(const alpnlab_credentials *credentials, const char *name, char *error,
                                    size_t error_capacity) {
    alpnlab_agent *agent = calloc(1, sizeof *agent);
    if (agent == NULL) {
        snprintf(error, error_capacity, "out of memory");
        return NULL;
    }
    snprintf(agent->name, sizeof agent->name, "%s", name);
    mbedtls_entropy_init(&agent->entropy);
    mbedtls_ctr_drbg_init(&agent->drbg);
    mbedtls_x509_crt_init(&agent->ca);
    mbedtls_x509_crt_init(&agent->cert);
    mbedtls_pk_init(&agent->key);
    int ret = mbedtls_entropy_add_source(&agent->entropy, alpnlab_entropy, NULL, 32, MBEDTLS_ENTROPY_SOURCE_STRONG);
    if (ret == 0) {
        ret = mbedtls_ctr_drbg_seed(&agent->drbg, mbedtls_entropy_func, &agent->entropy,
                                    (const unsigned char *) "alpnlab-agent", 13);
    }
    const char *what = "the random generator";
    if (ret == 0 && (ret = mbedtls_x509_crt_parse(&agent->ca, credentials->ca_pem, credentials->ca_length)) != 0) {
        what = "the CA file";
    }
    if (ret == 0 && (ret = mbedtls_x509_crt_parse(&agent->cert, credentials->cert_pem, credentials->cert_length)) != 0) {
        what = "the device certificate";
    }
    if (ret == 0) {
#if MBEDTLS_VERSION_MAJOR >= 3
        ret = mbedtls_pk_parse_key(&agent->key, credentials->key_pem, credentials->key_length, NULL, 0,
                                   mbedtls_ctr_drbg_random, &agent->drbg);
#else
        ret = mbedtls_pk_parse_key(&agent->key, credentials->key_pem, credentials->key_length, NULL, 0);
#endif
        if (ret != 0) what = "the device key";
    }
    if (ret != 0) {
        snprintf(error, error_capacity, "cannot load %s: mbedTLS error -0x%04X", what, (unsigned) -ret);
        alpnlab_agent_free(agent);
        return NULL;
    }
    /* What the suite's report shows as the device configuration, and what it explains failures with. */
    char number[24];
    char *configuration = agent->configuration;
    size_t capacity = sizeof agent->configuration;
    alpnlab_line_append(configuration, capacity, "tls", "mbedtls/" MBEDTLS_VERSION_STRING);
    alpnlab_line_append(configuration, capacity, "sni", ALPNLAB_SET_HOSTNAME ? "1" : "0");
#if defined(MBEDTLS_SSL_ALPN)
    alpnlab_line_append(configuration, capacity, "alpn", "1");
#else
    alpnlab_line_append(configuration, capacity, "alpn", "0");
#endif
    alpnlab_line_append(configuration, capacity, "alpn_format", alpn_format());
    snprintf(number, sizeof number, "%lu", (unsigned long) alpnlab_tls_in_record());
    alpnlab_line_append(configuration, capacity, "tls_in_record", number);
    snprintf(number, sizeof number, "%lu", (unsigned long) ALPNLAB_MQTT_RECEIVE_BUFFER);
    alpnlab_line_append(configuration, capacity, "mqtt_in_buffer", number);
    snprintf(number, sizeof number, "%d", ALPNLAB_MFL);
    alpnlab_line_append(configuration, capacity, "mfl", number);
    snprintf(number, sizeof number, "%lu", (unsigned long) MBEDTLS_SSL_OUT_CONTENT_LEN);
    alpnlab_line_append(configuration, capacity, "tls_out_record", number);
    /* mbedTLS 2.28: TLS 1.2 only, and no reassembly of a handshake message split over records. */
    alpnlab_line_append(configuration, capacity, "tls_versions", MBEDTLS_VERSION_MAJOR >= 3 ? "1.2,1.3" : "1.2");
    alpnlab_line_append(configuration, capacity, "handshake_fragments", MBEDTLS_VERSION_NUMBER >= 0x03060400 ? "1" : "0");
    return agent;
}

void alpnlab_agent_free(alpnlab_agent *agent) {
    if (agent == NULL) return;
    mbedtls_pk_free(&agent->key);
    mbedtls_x509_crt_free(&agent->cert);
    mbedtls_x509_crt_free(&agent->ca);
    mbedtls_ctr_drbg_free(&agent->drbg);
    mbedtls_entropy_free(&agent->entropy);
    free(agent);
}

const char *alpnlab_agent_configuration(const alpnlab_agent *agent) {
    return agent->configuration[0] == ' ' ? agent->configuration + 1 : agent->configuration;
}

typedef struct {
    const alpnlab_channel *channel;
    int broken;
} reply;

static void send_line(reply *r, const char *line) {
    if (r->broken) return;
    size_t length = strlen(line);
    if (r->channel->write(r->channel->context, line, length) != 0 || r->channel->write(r->channel->context, "\n", 1) != 0) {
        r->broken = 1;
    }
}

static void send_error(reply *r, const char *message) {
    char line[ALPNLAB_LINE_MAX] = "ERROR";
    alpnlab_line_append(line, sizeof line, "message", message);
    send_line(r, line);
}

static void report_received(void *context, const char *topic, const char *payload) {
    char line[ALPNLAB_LINE_MAX] = "RECEIVED";
    if (alpnlab_line_append(line, sizeof line, "topic", topic) == 0
        && alpnlab_line_append(line, sizeof line, "payload", payload) == 0) {
        send_line(context, line);
    }
}

static void report_log(void *context, const char *text) {
    char line[ALPNLAB_LINE_MAX] = "LOG";
    if (alpnlab_line_append(line, sizeof line, "text", text) == 0) {
        send_line(context, line);
    }
}

static int number(const alpnlab_line *line, const char *key, long fallback, long low, long high, long *out) {
    const char *text = alpnlab_line_field(line, key);
    if (text == NULL || *text == '\0') {
        *out = fallback;
        return 0;
    }
    char *end;
    long value = strtol(text, &end, 10);
    if (*end != '\0' || value < low || value > high) return -1;
    *out = value;
    return 0;
}

/* Validates a RUN line into a task; on error writes the reason into why. */
static int parse_task(const alpnlab_line *line, alpnlab_task *task, char *why, size_t capacity) {
    static const char *required[] = {"action", "host", "port", "server_name", "client_id"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *value = alpnlab_line_field(line, required[i]);
        if (value == NULL || *value == '\0') {
            snprintf(why, capacity, "RUN needs %s", required[i]);
            return -1;
        }
    }
    const char *action = alpnlab_line_field(line, "action");
    if (strcmp(action, "CONNECT") == 0) task->action = TASK_CONNECT;
    else if (strcmp(action, "PUBLISH") == 0) task->action = TASK_PUBLISH;
    else if (strcmp(action, "SUBSCRIBE") == 0) task->action = TASK_SUBSCRIBE;
    else if (strcmp(action, "STAY_CONNECTED") == 0) task->action = TASK_STAY_CONNECTED;
    else if (strcmp(action, "SHADOW_REPORT") == 0) task->action = TASK_SHADOW_REPORT;
    else if (strcmp(action, "SHADOW_SYNC") == 0 || strcmp(action, "JOB") == 0 || strcmp(action, "PROVISION") == 0) {
        /* Known to the protocol, not done by this agent yet: the suite reports the case as not supported. */
        task->action = TASK_UNSUPPORTED;
    } else {
        snprintf(why, capacity, "unknown action '%s'", action);
        return -1;
    }
    task->host = alpnlab_line_field(line, "host");
    task->port = alpnlab_line_field(line, "port");
    task->server_name = alpnlab_line_field(line, "server_name");
    task->client_id = alpnlab_line_field(line, "client_id");
    const char *alpn = alpnlab_line_field(line, "alpn");
    task->alpn = alpn ? alpn : "";
    const char *topic = alpnlab_line_field(line, "topic");
    task->topic = topic ? topic : "";
    const char *payload = alpnlab_line_field(line, "payload");
    task->payload = payload ? payload : "";
    long port, keep_alive, clean, qos, expect, timeout;
    if (number(line, "port", 0, 1, 65535, &port) != 0) {
        snprintf(why, capacity, "port must be 1..65535");
        return -1;
    }
    if (number(line, "keep_alive", 30, 0, 65535, &keep_alive) != 0 || number(line, "clean", 1, 0, 1, &clean) != 0
        || number(line, "qos", 0, 0, 2, &qos) != 0 || number(line, "expect", 0, 0, 1000, &expect) != 0
        || number(line, "timeout_ms", 20000, 1, 3600000, &timeout) != 0) {
        snprintf(why, capacity, "keep_alive, clean, qos, expect or timeout_ms is not a number in range");
        return -1;
    }
    task->keep_alive = (int) keep_alive;
    task->clean = (int) clean;
    task->qos = (int) qos;
    task->expect = (int) expect;
    task->timeout_ms = (uint32_t) timeout;
    const char *scale = alpnlab_line_field(line, "time_scale");
    task->time_scale = 1.0;
    if (scale != NULL && *scale != '\0') {
        char *end;
        task->time_scale = strtod(scale, &end);
        if (*end != '\0' || !(task->time_scale > 0 && task->time_scale <= 1)) {
            snprintf(why, capacity, "time_scale must be within (0, 1]");
            return -1;
        }
    }
    if (task->qos == 2) {
        /* This client uses QoS 0 and 1 only, as AWS IoT Core does. */
        task->qos = 1;
    }
    return 0;
}

int alpnlab_agent_serve(alpnlab_agent *agent, const alpnlab_channel *channel) {
    reply r = {channel, 0};
    char line[ALPNLAB_LINE_MAX + 1];
    char hello[ALPNLAB_LINE_MAX];
    snprintf(hello, sizeof hello, "HELLO %s", ALPNLAB_AGENT_PROTOCOL);
    alpnlab_line_append(hello, sizeof hello, "name", agent->name);
    alpnlab_line_append(hello, sizeof hello, "version", ALPNLAB_AGENT_VERSION);
    size_t used = strlen(hello);
    snprintf(hello + used, sizeof hello - used, " scales_time=1%s", agent->configuration);
    send_line(&r, hello);
    while (!r.broken) {
        int length = channel->read_line(channel->context, line, sizeof line);
        if (length == -1) return -1;
        if (length == -2) {
            send_error(&r, "line longer than 4096 bytes");
            continue;
        }
        if (length == 0) continue;
        alpnlab_line parsed;
        if (alpnlab_line_parse(line, &parsed) != 0) {
            send_error(&r, "cannot parse the line (COMMAND key=value ..., values percent-encoded)");
            continue;
        }
        if (strcmp(parsed.command, "BYE") == 0) {
            send_line(&r, "BYE");
            return 0;
        }
        if (strcmp(parsed.command, "RUN") != 0) {
            char message[120];
            snprintf(message, sizeof message, "unknown command '%.60s'", parsed.command);
            send_error(&r, message);
            continue;
        }
        alpnlab_task task;
        char why[160];
        if (parse_task(&parsed, &task, why, sizeof why) != 0) {
            send_error(&r, why);
            continue;
        }
        alpnlab_reporter reporter = {&r, report_received, report_log};
        alpnlab_result result;
        alpnlab_task_run(agent, &task, &reporter, &result);
        char out[ALPNLAB_LINE_MAX];
        if (result.outcome == OUTCOME_SUCCESS) {
            snprintf(out, sizeof out, "RESULT outcome=success");
        } else {
            snprintf(out, sizeof out, "RESULT outcome=%s", result.outcome == OUTCOME_UNSUPPORTED ? "unsupported" : "failure");
            if (result.outcome == OUTCOME_FAILURE) alpnlab_line_append(out, sizeof out, "token", result.token);
            alpnlab_line_append(out, sizeof out, "message", result.message);
        }
        send_line(&r, out);
    }
    return -1;
}
