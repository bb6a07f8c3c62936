package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Check;
import java.util.List;

/**
 * What the broker does with the client's Certificate message.
 *
 * @param checks every rule applied
 * @param refusal non-null to abort the handshake now
 * @param deferredRefusal non-null when the handshake may complete but the first MQTT CONNECT or HTTP
 *     request must be refused (the after-handshake registry switch)
 */
public record CertificateDecision(List<Check> checks, Refusal refusal, Refusal deferredRefusal) {

    public CertificateDecision {
        checks = List.copyOf(checks);
    }
}
