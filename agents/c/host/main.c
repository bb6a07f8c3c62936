/*
 * alpnlab-agent for a Linux host: listens for the conformance suite and serves one suite connection at
 * a time, with the credentials read once from files (a device has them flashed).
 *
 *   alpnlab-agent --listen ADDRESS:PORT --ca root-ca.pem --cert device.cert.pem --key device.key.pem
 *                 [--name NAME] [--once]
 */
#define _GNU_SOURCE
#include "alpnlab_agent.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd;
    alpnlab_line_reader reader;
} connection;

static int receive(void *context, char *data, size_t capacity) {
    connection *c = context;
    for (;;) {
        ssize_t got = recv(c->fd, data, capacity, 0);
        if (got < 0 && errno == EINTR) continue;
        return (int) got;
    }
}

/* One line from the suite; see alpnlab_channel.read_line. */
static int read_line(void *context, char *line, size_t capacity) {
    connection *c = context;
    return alpnlab_read_line(&c->reader, receive, c, line, capacity);
}

static int transmit(void *context, const char *data, size_t length) {
    connection *c = context;
    for (;;) {
        ssize_t sent = send(c->fd, data, length, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        return (int) sent;
    }
}

static int write_text(void *context, const char *text, size_t length) {
    return alpnlab_write_all(transmit, context, text, length);
}

/* Reads a whole file, NUL-terminated (mbedTLS parses PEM with its terminator). */
static unsigned char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    unsigned char *data = NULL;
    size_t size = 0, capacity = 0;
    for (;;) {
        if (size + 4096 + 1 > capacity) {
            capacity = (size + 4096 + 1) * 2;
            unsigned char *bigger = realloc(data, capacity);
            if (bigger == NULL) {
                free(data);
                fclose(file);
                return NULL;
            }
            data = bigger;
        }
        size_t got = fread(data + size, 1, 4096, file);
        size += got;
        if (got < 4096) break;
    }
    fclose(file);
    data[size] = '\0';
    *length = size + 1;
    return data;
}

static int usage(const char *problem) {
    fprintf(stderr, "alpnlab-agent: %s\nusage: alpnlab-agent --listen ADDRESS:PORT --ca FILE --cert FILE --key FILE"
            " [--name NAME] [--once]\n", problem);
    return 2;
}

int main(int argc, char **argv) {
    const char *listen_at = NULL, *ca = NULL, *cert = NULL, *key = NULL, *name = "alpnlab-c-agent";
    int once = 0;
    for (int i = 1; i < argc; i++) {
        const char *option = argv[i];
        if (strcmp(option, "--once") == 0) {
            once = 1;
            continue;
        }
        if (i + 1 >= argc) return usage("an option is missing its value");
        const char *value = argv[++i];
        if (strcmp(option, "--listen") == 0) listen_at = value;
        else if (strcmp(option, "--ca") == 0) ca = value;
        else if (strcmp(option, "--cert") == 0) cert = value;
        else if (strcmp(option, "--key") == 0) key = value;
        else if (strcmp(option, "--name") == 0) name = value;
        else {
            char message[200];
            snprintf(message, sizeof message, "unknown option '%.100s'", option);
            return usage(message);
        }
    }
    if (listen_at == NULL || ca == NULL || cert == NULL || key == NULL) {
        return usage("--listen, --ca, --cert and --key are required");
    }
    char host[256];
    const char *colon = strrchr(listen_at, ':');
    if (colon == NULL || (size_t) (colon - listen_at) >= sizeof host) return usage("--listen wants ADDRESS:PORT");
    memcpy(host, listen_at, (size_t) (colon - listen_at));
    host[colon - listen_at] = '\0';
    const char *port = colon + 1;

    alpnlab_credentials credentials;
    const char *files[3] = {ca, cert, key};
    unsigned char *data[3];
    size_t lengths[3];
    for (int i = 0; i < 3; i++) {
        data[i] = read_file(files[i], &lengths[i]);
        if (data[i] == NULL) {
            fprintf(stderr, "alpnlab-agent: cannot read %s: %s\n", files[i], strerror(errno));
            return 1;
        }
    }
    credentials.ca_pem = data[0];
    credentials.ca_length = lengths[0];
    credentials.cert_pem = data[1];
    credentials.cert_length = lengths[1];
    credentials.key_pem = data[2];
    credentials.key_length = lengths[2];
    char error[200];
    alpnlab_agent *agent = alpnlab_agent_create(&credentials, name, error, sizeof error);
    /* The key's bytes are not needed once parsed: wipe them rather than leave them in freed memory. */
    memset(data[2], 0, lengths[2]);
    for (int i = 0; i < 3; i++) free(data[i]);
    if (agent == NULL) {
        fprintf(stderr, "alpnlab-agent: %s\n", error);
        return 1;
    }

    struct addrinfo hints = {0}, *address = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int status = getaddrinfo(host, port, &hints, &address);
    if (status != 0) {
        fprintf(stderr, "alpnlab-agent: --listen %s: %s (give a numeric address)\n", listen_at, gai_strerror(status));
        return 1;
    }
    int server = socket(address->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (server < 0 || bind(server, address->ai_addr, address->ai_addrlen) != 0 || listen(server, 1) != 0) {
        fprintf(stderr, "alpnlab-agent: cannot listen on %s: %s\n", listen_at, strerror(errno));
        return 1;
    }
    freeaddrinfo(address);
    signal(SIGPIPE, SIG_IGN);
    /* The real port, for --listen ADDRESS:0 (tests bind ephemeral ports). */
    struct sockaddr_storage bound;
    socklen_t bound_length = sizeof bound;
    char real_port[8] = "";
    if (getsockname(server, (struct sockaddr *) &bound, &bound_length) == 0) {
        getnameinfo((struct sockaddr *) &bound, bound_length, NULL, 0, real_port, sizeof real_port, NI_NUMERICSERV);
    }
    printf("agent listening on %s:%s (%s)\n", host, real_port, alpnlab_agent_configuration(agent));
    fflush(stdout);
    for (;;) {
        int fd = accept(server, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "alpnlab-agent: accept: %s\n", strerror(errno));
            return 1;
        }
        connection c = {fd, {{0}, 0}};
        alpnlab_channel channel = {&c, read_line, write_text};
        int served = alpnlab_agent_serve(agent, &channel);
        close(fd);
        printf("suite %s\n", served == 0 ? "said BYE" : "connection dropped");
        fflush(stdout);
        if (once) break;
    }
    alpnlab_agent_free(agent);
    close(server);
    return 0;
}
