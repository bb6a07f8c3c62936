package io.alpnlab.broker.mqtt;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retained messages, kept by the front door the way AWS keeps them: one per topic, replaced by the
 * next, deleted by an empty payload, delivered only to a subscription whose filter is exactly the
 * topic. The back end never sees a retain flag. Two reasons: AWS's semantics differ from a generic
 * broker's (no delivery on wildcards), and Moquette 0.17 drops the retain flag on QoS 1 deliveries,
 * so a wildcard subscription could not even be told apart. In upstream mode with several front
 * doors, each keeps its own.
 */
public final class RetainedStore {

    /** A retained message: its payload and the QoS it was published with. */
    public record Retained(byte[] payload, int qos) {
    }

    private final Map<String, Retained> messages = new ConcurrentHashMap<>();

    /** Stores or, for an empty payload, deletes the topic's retained message. */
    public void retain(String topic, byte[] payload, int qos) {
        if (payload.length == 0) {
            messages.remove(topic);
        } else {
            messages.put(topic, new Retained(payload, qos));
        }
    }

    public Optional<Retained> get(String topic) {
        return Optional.ofNullable(messages.get(topic));
    }

    public int size() {
        return messages.size();
    }
}
