package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.util.List;

/**
 * What the broker does with a ClientHello.
 *
 * @param application what the connection will carry if the handshake completes
 * @param requestClientCertificate whether a CertificateRequest is sent
 * @param selectedAlpn the ALPN name to select, or null for none
 * @param refusal non-null when the handshake is aborted instead
 * @param checks every rule applied, passed or not, for the record
 * @param acceptedBy the rule under which a completed handshake is accepted (the route taken), or null when refused
 */
public record HelloDecision(Application application, boolean requestClientCertificate, String selectedAlpn,
        Refusal refusal, List<Check> checks, Rule acceptedBy) {

    public HelloDecision {
        checks = List.copyOf(checks);
    }

    public boolean refused() {
        return refusal != null;
    }
}
