/* The agent protocol's line format: "COMMAND key=value ...", values percent-encoded (RFC 3986). */
#include "alpnlab_agent.h"
#include "internal.h"

#include <string.h>

static int unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
           || c == '.' || c == '*' || c == '~';
}

int alpnlab_percent_encode(const char *value, char *out, size_t capacity) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) value; *p != '\0'; p++) {
        if (unreserved(*p)) {
            if (n + 1 >= capacity) return -1;
            out[n++] = (char) *p;
        } else {
            if (n + 3 >= capacity) return -1;
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 0x0F];
        }
    }
    if (n >= capacity) return -1;
    out[n] = '\0';
    return (int) n;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int alpnlab_percent_decode(char *value) {
    char *out = value;
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '%') {
            int high = hex_value(p[1]);
            int low = high < 0 ? -1 : hex_value(p[2]);
            if (low < 0) return -1;
            *out++ = (char) (high * 16 + low);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return 0;
}

int alpnlab_line_parse(char *text, alpnlab_line *line) {
    memset(line, 0, sizeof *line);
    char *cursor = text;
    line->command = cursor;
    char *space = strchr(cursor, ' ');
    if (space != NULL) {
        *space = '\0';
        cursor = space + 1;
    } else {
        cursor = NULL;
    }
    if (line->command[0] == '\0') return -1;
    for (const char *c = line->command; *c != '\0'; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || *c == '_' || *c == '-')) return -1;
    }
    while (cursor != NULL && *cursor != '\0') {
        char *next = strchr(cursor, ' ');
        if (next != NULL) *next++ = '\0';
        char *equals = strchr(cursor, '=');
        if (equals == NULL) {
            /* The greeting's protocol name is the one field without '='; a RUN has none. */
            if (line->word == NULL) {
                line->word = cursor;
            } else {
                return -1;
            }
        } else {
            if (line->count == ALPNLAB_MAX_FIELDS) return -1;
            *equals = '\0';
            if (alpnlab_percent_decode(equals + 1) != 0) return -1;
            line->keys[line->count] = cursor;
            line->values[line->count] = equals + 1;
            line->count++;
        }
        cursor = next;
    }
    return 0;
}

const char *alpnlab_line_field(const alpnlab_line *line, const char *key) {
    for (int i = 0; i < line->count; i++) {
        if (strcmp(line->keys[i], key) == 0) return line->values[i];
    }
    return NULL;
}

int alpnlab_line_append(char *line, size_t capacity, const char *key, const char *value) {
    size_t used = strlen(line);
    size_t key_length = strlen(key);
    if (used + 1 + key_length + 1 >= capacity) return -1;
    line[used++] = ' ';
    memcpy(line + used, key, key_length);
    used += key_length;
    line[used++] = '=';
    line[used] = '\0';
    return alpnlab_percent_encode(value, line + used, capacity - used) < 0 ? -1 : 0;
}

int alpnlab_read_line(alpnlab_line_reader *reader, int (*recv)(void *context, char *data, size_t capacity),
                      void *context, char *line, size_t capacity) {
    int too_long = 0;
    for (;;) {
        char *end = memchr(reader->buffer, '\n', reader->have);
        if (end != NULL) {
            size_t length = (size_t) (end - reader->buffer);
            size_t kept = length > 0 && reader->buffer[length - 1] == '\r' ? length - 1 : length;
            if (!too_long && kept < capacity) {
                memcpy(line, reader->buffer, kept);
                line[kept] = '\0';
            } else {
                too_long = 1;
            }
            memmove(reader->buffer, end + 1, reader->have - length - 1);
            reader->have -= length + 1;
            return too_long ? -2 : (int) kept;
        }
        if (reader->have == sizeof reader->buffer) {
            too_long = 1; /* drop what we have, keep reading to the end of the line */
            reader->have = 0;
        }
        int got = recv(context, reader->buffer + reader->have, sizeof reader->buffer - reader->have);
        if (got <= 0) return -1;
        reader->have += (size_t) got;
    }
}

int alpnlab_write_all(int (*send)(void *context, const char *data, size_t length), void *context, const char *text,
                      size_t length) {
    while (length > 0) {
        int sent = send(context, text, length);
        if (sent <= 0) return -1;
        text += sent;
        length -= (size_t) sent;
    }
    return 0;
}
