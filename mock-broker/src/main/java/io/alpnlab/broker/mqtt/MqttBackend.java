package io.alpnlab.broker.mqtt;

import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * The MQTT broker behind the front door that keeps sessions, subscriptions and retained messages:
 * the embedded Moquette, or an existing broker in upstream mode. The front door speaks MQTT 3.1.1
 * to it, one back-end connection per client connection, and enforces AWS's rules itself.
 */
public interface MqttBackend extends AutoCloseable {

    /**
     * Where the front door's back-end connections go: an {@link java.net.InetSocketAddress} is a TCP
     * broker spoken to in MQTT's wire format; a {@link io.netty.channel.local.LocalAddress} is a broker
     * in this JVM that takes the decoded packets themselves.
     */
    SocketAddress address();

    /** Username for the front door's back-end connections, or null (the default) for none. */
    default String username() {
        return null;
    }

    /** Password for the front door's back-end connections, or null (the default) for none. */
    default String password() {
        return null;
    }

    /**
     * Completes once the back end takes every packet of the session whose CONNECT for this client ID
     * is about to be sent. Called before that CONNECT; a broker that is ready when its CONNACK is on
     * the wire (any correct one) returns a completed future. Cancelling it forgets it.
     */
    default CompletableFuture<Void> sessionReady(String clientId) {
        return CompletableFuture.completedFuture(null);
    }

    /** One line for logs and the start-up banner, without secrets. */
    String describe();

    @Override
    void close();
}
