/* MQTT 3.1.1 wire helpers shared by the agent's task code and the suite's mbedTLS test client. */
#ifndef ALPNLAB_MQTT_WIRE_H
#define ALPNLAB_MQTT_WIRE_H

#include <stddef.h>

/* Writes an MQTT remaining length (7 bits per byte, continuation bit on all but the last); returns its size. */
size_t alpnlab_mqtt_put_length(unsigned char *out, size_t length);

/* Writes a UTF-8 string with its 2-byte big-endian length; returns the bytes written. */
size_t alpnlab_mqtt_put_string(unsigned char *out, const char *text);

#endif
