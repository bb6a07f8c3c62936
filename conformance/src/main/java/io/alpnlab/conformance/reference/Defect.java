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
    SMALL_RECORD_BUFFER,
    /** If on, causes the shadow to be subscribed to but no reported state ever published. */
    NEVER_REPORTS_SHADOW,
    /** If on, causes a desired change on /update/delta to be received and never applied. */
    IGNORES_DELTA,
    /** If on, causes a rejected shadow update to be resent at once, without reading the shadow: a loop. */
    LOOPS_ON_REJECTED,
    /** If on, causes a job to be read (describe $next) and reported SUCCEEDED without IN_PROGRESS first. */
    JOB_SKIPS_IN_PROGRESS,
    /** If on, causes a provisioned device to reconnect with its claim certificate, never with its new one. */
    KEEPS_CLAIM_CERTIFICATE,
    /** If on, causes MQTT packets over 64 KB to be refused, as a device with a fixed 64 KB MQTT buffer does. */
    MQTT_BUFFER_64K,
    /** If on, causes a status message to a topic outside the task (alpnlab/status/<client ID>) after every CONNACK. */
    OUT_OF_POLICY_TOPIC,
    /** If on, causes a QoS 1 message whose connection dropped before its PUBACK to be taken as sent, not resent. */
    DROPS_UNACKED_ON_RECONNECT,
    /** If on, causes the device to ask for a job once and, finding none, stop: it ignores notify-next. */
    ASKS_FOR_JOBS_ONCE,
    /** If on, causes connecting to stop after 2 failed attempts in a row (a retry limit): an outage leaves it offline. */
    GIVES_UP_AFTER_TWO_FAILURES,
    /** If on, causes ALPN to be offered on the first connection of a task only: reconnects on 443 offer none. */
    FORGETS_ALPN_ON_RECONNECT,
    /** If on, causes every CONNECT to ask for a clean session, whatever the task says: nothing persists across a restart. */
    ALWAYS_CLEAN_SESSION;

    @Override
    public String externalName() {
        return Named.kebab(this);
    }
}
