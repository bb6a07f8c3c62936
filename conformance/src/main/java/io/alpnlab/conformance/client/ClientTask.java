package io.alpnlab.conformance.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the client under test is told to do for one case: where to connect and as whom (the same
 * things a device's configuration holds), and one action.
 *
 * @param action what to do once connected
 * @param host the address to connect to (an IP, or the endpoint name where the client cannot separate the two)
 * @param port the TCP port
 * @param serverName the endpoint name: the SNI value and the name to verify the server certificate against
 * @param alpn ALPN names to offer, in order; empty for none
 * @param caFile the trust anchors (PEM)
 * @param certFile the device certificate (PEM)
 * @param keyFile the device key (PEM)
 * @param clientId the MQTT client ID
 * @param keepAliveSeconds the MQTT keep-alive
 * @param cleanSession cleanSession (3.1.1) / Clean Start (5)
 * @param topic the topic to publish or subscribe to
 * @param payload the payload to publish
 * @param qos the QoS to use
 * @param expectMessages for SUBSCRIBE: how many messages to wait for (0: none)
 * @param timeout how long the client may take, retries included
 * @param timeScale factor for the client's own protocol timers (keep-alive, retries), for clients that can scale them
 */
public record ClientTask(Action action, String host, int port, String serverName, List<String> alpn, Path caFile, Path certFile,
        Path keyFile, String clientId, int keepAliveSeconds, boolean cleanSession, String topic, String payload, int qos,
        int expectMessages, Duration timeout, double timeScale) {

    /** The one thing the client does on a case. */
    public enum Action {
        /** Connect (retrying as the client's policy says), then disconnect cleanly. */
        CONNECT,
        /** Connect, publish one message at the given QoS (retrying as the client's policy says), disconnect. */
        PUBLISH,
        /** Connect, subscribe, wait for the expected number of messages, disconnect. */
        SUBSCRIBE,
        /** Connect and stay connected for the whole timeout, keeping the connection alive and reconnecting if it drops. */
        STAY_CONNECTED,
        /**
         * Report the payload (a JSON object) as the reported state of the thing named by the client ID, on its classic
         * shadow, until the update is accepted; after a 409 read the shadow again before retrying.
         */
        SHADOW_REPORT,
        /**
         * Report the payload as reported state, then apply {@code expectMessages} desired changes (at least one) that
         * arrive on {@code /update/delta}: report the delta's values back.
         */
        SHADOW_SYNC,
        /** Take the thing's next pending job (start-next), report IN_PROGRESS and then SUCCEEDED. */
        JOB,
        /**
         * Fleet provisioning by claim: the task's certificate is the claim; get a certificate of one's own (from a CSR),
         * RegisterThing with the template named by {@code topic} and the parameter SerialNumber = the client ID, then
         * reconnect with the new certificate as the thing RegisterThing named.
         */
        PROVISION
    }

    public ClientTask {
        Objects.requireNonNull(action);
        Objects.requireNonNull(host);
        Objects.requireNonNull(serverName);
        alpn = List.copyOf(alpn);
        Objects.requireNonNull(timeout);
    }

    /** The same task on a persistent (false) or clean (true) session. */
    public ClientTask withCleanSession(boolean value) {
        return new ClientTask(action, host, port, serverName, alpn, caFile, certFile, keyFile, clientId, keepAliveSeconds,
                value, topic, payload, qos, expectMessages, timeout, timeScale);
    }

    /** The same task under another client ID (a provisioned device reconnects as its new thing). */
    public ClientTask withClientId(String value) {
        return new ClientTask(action, host, port, serverName, alpn, caFile, certFile, keyFile, value, keepAliveSeconds,
                cleanSession, topic, payload, qos, expectMessages, timeout, timeScale);
    }

    /** The same task offering no ALPN name. */
    public ClientTask withoutAlpn() {
        return new ClientTask(action, host, port, serverName, List.of(), caFile, certFile, keyFile, clientId, keepAliveSeconds,
                cleanSession, topic, payload, qos, expectMessages, timeout, timeScale);
    }

    /** The thing this task's device is: AWS's policies usually bind the thing name to the client ID. */
    public String thingName() {
        return clientId;
    }

    /** The same task waiting for this many messages (for SUBSCRIBE). */
    public ClientTask withExpectMessages(int value) {
        return new ClientTask(action, host, port, serverName, alpn, caFile, certFile, keyFile, clientId, keepAliveSeconds,
                cleanSession, topic, payload, qos, value, timeout, timeScale);
    }
}
