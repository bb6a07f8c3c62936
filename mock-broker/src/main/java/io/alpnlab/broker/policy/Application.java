package io.alpnlab.broker.policy;

/** What a connection carries once TLS is up, decided from the listener and the ALPN offer. */
public enum Application {
    /** MQTT authenticated by the device certificate (8883, or 443 with x-amzn-mqtt-ca). */
    MQTT_X509(true, true),
    /** HTTPS authenticated by the device certificate (8443, or 443 with x-amzn-http-ca). */
    HTTPS_X509(false, true),
    /** MQTT with custom authentication (443 with ALPN mqtt): username/password, no certificate. */
    MQTT_CUSTOM_AUTH(true, false),
    /**
     * 443 without a recognised ALPN name: AWS would expect SigV4 (HTTPS or WebSocket). TLS completes,
     * MQTT gets no CONNACK, HTTP gets 403 (the mock does not emulate SigV4).
     */
    UNAUTHENTICATED_443(false, false);

    private final boolean mqtt;
    private final boolean certificateAuthenticated;

    Application(boolean mqtt, boolean certificateAuthenticated) {
        this.mqtt = mqtt;
        this.certificateAuthenticated = certificateAuthenticated;
    }

    public boolean isMqtt() {
        return mqtt;
    }

    /** True when the device certificate is the identity (a CertificateRequest is due). */
    public boolean certificateAuthenticated() {
        return certificateAuthenticated;
    }
}
