package io.alpnlab.broker.tls;

import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Check;
import java.util.List;

/**
 * Fired by a handler that ends the connection itself (bytes that are not TLS, a misbehaviour that
 * cuts the connection): the refusal and the checks behind it, for the connection's verdict.
 *
 * @param refusal the rule that decided, and why
 * @param checks the checks to record with it
 */
public record ConnectionRefusedEvent(Refusal refusal, List<Check> checks) {

    public ConnectionRefusedEvent {
        checks = List.copyOf(checks);
    }
}
