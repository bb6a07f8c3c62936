/* Shared inside the core; not part of its API. */
#ifndef ALPNLAB_INTERNAL_H
#define ALPNLAB_INTERNAL_H

#include "alpnlab_agent.h"
#include "alpnlab_platform.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#define ALPNLAB_MAX_FIELDS 24

/* A parsed protocol line; the strings point into the parsed text. */
typedef struct {
    const char *command;
    const char *word; /* the one bare word, e.g. the protocol name after HELLO */
    int count;
    const char *keys[ALPNLAB_MAX_FIELDS];
    const char *values[ALPNLAB_MAX_FIELDS];
} alpnlab_line;

int alpnlab_line_parse(char *text, alpnlab_line *line);
const char *alpnlab_line_field(const alpnlab_line *line, const char *key);
/* Appends " key=<percent-encoded value>" to a NUL-terminated line; -1 if it does not fit. */
int alpnlab_line_append(char *line, size_t capacity, const char *key, const char *value);

/* One task of a RUN line, already validated. */
typedef enum { TASK_CONNECT, TASK_PUBLISH, TASK_SUBSCRIBE, TASK_STAY_CONNECTED, TASK_SHADOW_REPORT,
               /* An action of the protocol this agent does not implement: answered "unsupported", not an error. */
               TASK_UNSUPPORTED } alpnlab_action;

typedef struct {
    alpnlab_action action;
    const char *host;
    const char *port;
    const char *server_name;
    const char *alpn; /* comma-separated, "" for none */
    const char *client_id;
    int keep_alive;
    int clean;
    const char *topic;
    const char *payload;
    int qos;
    int expect;
    uint32_t timeout_ms;
    double time_scale;
} alpnlab_task;

typedef enum { OUTCOME_SUCCESS, OUTCOME_FAILURE, OUTCOME_UNSUPPORTED } alpnlab_outcome;

typedef struct {
    alpnlab_outcome outcome;
    char token[40];
    char message[300];
} alpnlab_result;

/* What a task reports while it runs: a received message, or a line of progress. */
typedef struct {
    void *context;
    void (*received)(void *context, const char *topic, const char *payload);
    void (*log)(void *context, const char *text);
} alpnlab_reporter;

struct alpnlab_agent {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    char name[64];
    char configuration[256];
};

/* Runs one task against the broker to its end. */
void alpnlab_task_run(alpnlab_agent *agent, const alpnlab_task *task, const alpnlab_reporter *reporter,
                      alpnlab_result *result);

/* The emulated input-record limit in front of mbedTLS (record_guard.c). */
typedef struct {
    alpnlab_tcp *tcp;
    size_t limit;             /* largest record body accepted before encryption starts */
    int encrypted;            /* the server's ChangeCipherSpec has been seen */
    unsigned char header[5];
    size_t header_have;
    size_t body_left;
    int last_type;
    size_t refused;           /* the length of a record refused for its size, else 0 */
} alpnlab_record_guard;

void alpnlab_record_guard_init(alpnlab_record_guard *guard, alpnlab_tcp *tcp, size_t limit);
int alpnlab_record_guard_recv(void *guard, unsigned char *data, size_t length, uint32_t timeout_ms);
int alpnlab_record_guard_send(void *guard, const unsigned char *data, size_t length);
size_t alpnlab_tls_in_record(void);

#endif
