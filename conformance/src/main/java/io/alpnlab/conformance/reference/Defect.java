package io.alpnlab.conformance.reference;

import io.alpnlab.certs.Named;

/**
 * One deliberate defect of the reference client: the mistake a real client makes, caught by one
 * conformance case (the meta-test proves it). The keep-alive value is the one defect with a value
 * and lives on {@link Defects}.
 */
public enum Defect implements Named {
    /** If on, causes the ClientHello to carry no server_name. */
    NO_SNI,
    /** If on, causes no ALPN name to be offered, whatever the task says. */
    NO_ALPN,
    /** If on, causes the ALPN name to be offered with OpenSSL's length byte in front (the mbedTLS bug). */
    ALPN_LENGTH_PREFIXED,
    /** If on, causes any server certificate to be accepted, without name check (a security hole). */
    TRUST_ALL,
    /** If on, causes the CONNECT to speak MQTT 3.1 (protocol name MQIsdp, level 3), which AWS does not accept. */
    MQTT_31,
    /** If on, causes publishes and subscriptions at QoS 2. */
    QOS2,
    /** If on, causes reconnects to follow each other almost immediately. */
    NO_BACKOFF,
    /** If on, causes every retry to wait the same second (no growth), as many hand-written retry loops do. */
    CONSTANT_BACKOFF,
    /** If on, causes retry n to wait n seconds: growing, but linearly, which Device Advisor fails. */
    LINEAR_BACKOFF,
    /** If on, causes a PUBLISH to be sent right after CONNECT, before the CONNACK. */
    PUBLISH_BEFORE_CONNACK,
    /** If on, causes a QoS 1 PUBLISH without PUBACK to be given up, not resent. */
    NO_PUBLISH_RETRY,
    /** If on, causes a QoS 1 PUBLISH without PUBACK to be resent under a new packet identifier. */
    RETRY_UNDER_NEW_PACKET_ID,
    /** If on, causes a SUBSCRIBE without SUBACK to be given up, not resent. */
    NO_SUBSCRIBE_RETRY,
    /** If on, causes a resumed (cleanSession=0) client to skip SUBSCRIBE, trusting a session that may have expired. */
    ASSUMES_SESSION,
    /** If on, causes no PINGREQ ever to be sent. */
    NO_KEEP_ALIVE,
    /** If on, causes a missing PINGRESP to go unnoticed (no reconnect). */
    IGNORE_PINGRESP,
    /**
     * If on, causes TLS records longer than a 4 KB receive buffer to be refused, as an mbedTLS build
     * with MBEDTLS_SSL_IN_CONTENT_LEN 4096 (a common Pico W set-up) refuses them.
     */
    SMALL_RECORD_BUFFER;

    @Override
    public String externalName() {
        return Named.kebab(this);
    }
}
