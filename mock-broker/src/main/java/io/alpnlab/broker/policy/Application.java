package io.alpnlab.broker.policy;

/** What a connection carries once TLS is up, decided from the listener and the ALPN offer. */
public enum Application {
    /** MQTT authenticated by the device certificate (8883, or 443 with x-amzn-mqtt-ca). */
    MQTT_X509,
    /** HTTPS authenticated by the device certificate (8443, or 443 with x-amzn-http-ca). */
    HTTPS_X509,
    /** MQTT with custom authentication (443 with ALPN mqtt): username/password, no certificate. */
    MQTT_CUSTOM_AUTH,
    /**
     * 443 without a recognised ALPN name: AWS would expect SigV4 (HTTPS or WebSocket). TLS completes,
     * MQTT gets no CONNACK, HTTP gets 403 (the mock does not emulate SigV4).
     */
    UNAUTHENTICATED_443;

    public boolean isMqtt() {
        return this == MQTT_X509 || this == MQTT_CUSTOM_AUTH;
    }

    /** True when the device certificate is the identity (a CertificateRequest is due). */
    public boolean certificateAuthenticated() {
        return this == MQTT_X509 || this == HTTPS_X509;
    }
}
