package io.alpnlab.broker.services;

import io.alpnlab.broker.rules.Check;
import java.util.List;

/**
 * What one device-service request did: the replies to publish and the checks for the requesting
 * connection's record (which the suite judges).
 */
public record ServiceEvent(List<ServiceReply> replies, List<Check> checks) {

    public static final ServiceEvent NONE = new ServiceEvent(List.of(), List.of());

    public ServiceEvent {
        replies = List.copyOf(replies);
        checks = List.copyOf(checks);
    }
}
