package io.alpnlab.testkit;

import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.MockBroker;
import io.alpnlab.broker.observe.ConnectionRecord;
import java.nio.file.Path;
import java.util.List;

/**
 * The mock broker {@link MockBrokerTest} started for a test class: where it listens, the files a client
 * needs, and what every connection did.
 */
public final class EmbeddedMockBroker implements AutoCloseable {

    private final MockBroker broker;
    private final BrokerPki files;
    private final String endpoint;

    EmbeddedMockBroker(MockBroker broker, BrokerPki files, String endpoint) {
        this.broker = broker;
        this.files = files;
        this.endpoint = endpoint;
    }

    /** The address the listeners bind: the loopback address. */
    public String host() {
        return "127.0.0.1";
    }

    /** The endpoint name clients must send as SNI. */
    public String endpoint() {
        return endpoint;
    }

    /** The {@code mqtt-8883} listener's real port. */
    public int mqttPort() {
        return broker.port(ListenerRole.MQTT_8883);
    }

    /** The {@code multiplex-443} listener's real port (ALPN {@code x-amzn-mqtt-ca} for MQTT). */
    public int multiplexPort() {
        return broker.port(ListenerRole.MULTIPLEX_443);
    }

    /** The {@code https-8443} listener's real port. */
    public int httpsPort() {
        return broker.port(ListenerRole.HTTPS_8443);
    }

    public Path caFile() {
        return files.trustBundle();
    }

    public Path deviceCertificateFile() {
        return files.deviceCertificate();
    }

    public Path deviceKeyFile() {
        return files.deviceKey();
    }

    /** Every finished connection, oldest first. */
    public List<ConnectionRecord> connections() {
        return broker.recorder().records();
    }

    /** The broker itself, for everything else: its registry, misbehaviour plan and profile. */
    public MockBroker broker() {
        return broker;
    }

    @Override
    public void close() {
        broker.close();
    }
}
