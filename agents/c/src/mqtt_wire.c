#include "mqtt_wire.h"

#include <string.h>

size_t alpnlab_mqtt_put_length(unsigned char *out, size_t length) {
    size_t n = 0;
    do {
        unsigned char byte = (unsigned char) (length % 128);
        length /= 128;
        out[n++] = (unsigned char) (byte | (length > 0 ? 0x80 : 0));
    } while (length > 0);
    return n;
}

size_t alpnlab_mqtt_put_string(unsigned char *out, const char *text) {
    size_t length = strlen(text);
    out[0] = (unsigned char) (length >> 8);
    out[1] = (unsigned char) length;
    memcpy(out + 2, text, length);
    return length + 2;
}
