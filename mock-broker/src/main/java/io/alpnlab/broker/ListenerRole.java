package io.alpnlab.broker;

import java.util.Arrays;

/**
 * The broker's listeners, named by role rather than port: what AWS IoT Core does on 8883, on 443
 * (dispatching on ALPN) and on 8443. The real port of each is configurable; tests bind port 0.
 */
public enum ListenerRole {
    /** MQTT over TLS, client certificate always requested; ALPN accepted and without effect. */
    MQTT_8883("mqtt-8883", 8883),
    /** Dispatches on ALPN: x-amzn-mqtt-ca, x-amzn-http-ca, mqtt (custom auth), or none (SigV4). */
    MULTIPLEX_443("multiplex-443", 443),
    /** HTTPS with a client certificate. */
    HTTPS_8443("https-8443", 8443);

    private final String roleName;
    private final int defaultPort;

    ListenerRole(String roleName, int defaultPort) {
        this.roleName = roleName;
        this.defaultPort = defaultPort;
    }

    /** The name used in settings, records and logs, e.g. {@code multiplex-443}. */
    public String roleName() {
        return roleName;
    }

    public int defaultPort() {
        return defaultPort;
    }

    public static ListenerRole fromRoleName(String name) {
        return Arrays.stream(values()).filter(role -> role.roleName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown listener role '" + name + "' (expected "
                        + String.join(", ", Arrays.stream(values()).map(ListenerRole::roleName).toList()) + ")"));
    }

    @Override
    public String toString() {
        return roleName;
    }
}
