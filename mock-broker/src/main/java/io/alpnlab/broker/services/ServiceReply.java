package io.alpnlab.broker.services;

/**
 * A message the broker publishes in answer to a device-service request (or on its own, as a shadow
 * delta or a job notification).
 *
 * @param topic the reply topic
 * @param payload the JSON document
 * @param requesterOnly true when only the requesting connection may receive it: a new certificate and
 *     its private key go to the device that asked, not to every subscriber of the topic
 */
public record ServiceReply(String topic, String payload, boolean requesterOnly) {

    static ServiceReply toSubscribers(String topic, String payload) {
        return new ServiceReply(topic, payload, false);
    }

    static ServiceReply toRequester(String topic, String payload) {
        return new ServiceReply(topic, payload, true);
    }
}
