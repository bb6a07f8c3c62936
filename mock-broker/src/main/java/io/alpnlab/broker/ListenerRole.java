package io.alpnlab.broker;

import io.alpnlab.certs.Named;

/**
 * The broker's listeners, named by role rather than port: what AWS IoT Core does on 8883, on 443
 * (dispatching on ALPN) and on 8443. The real port of each is configurable; tests bind port 0.
 */
public enum ListenerRole implements Named {
    /** MQTT over TLS, client certificate always requested; ALPN accepted and without effect. */
    MQTT_8883(8883),
    /** Dispatches on ALPN: x-amzn-mqtt-ca, x-amzn-http-ca, mqtt (custom auth), or none (SigV4). */
    MULTIPLEX_443(443),
    /** HTTPS with a client certificate. */
    HTTPS_8443(8443);

    private final int defaultPort;

    ListenerRole(int defaultPort) {
        this.defaultPort = defaultPort;
    }

    /** The name used in settings, records and logs, e.g. {@code multiplex-443}. */
    public String roleName() {
        return Named.kebab(this);
    }

    public int defaultPort() {
        return defaultPort;
    }

    @Override
    public String externalName() {
        return roleName();
    }

    public static ListenerRole fromRoleName(String name) {
        return Named.parse(ListenerRole.class, name, "listener role");
    }

    @Override
    public String toString() {
        return roleName();
    }
}
