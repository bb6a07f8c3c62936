package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Check;
import java.util.List;

/**
 * What the broker does with a ClientHello.
 *
 * @param application what the connection will carry if the handshake completes
 * @param requestClientCertificate whether a CertificateRequest is sent
 * @param selectedAlpn the ALPN name to select, or null for none
 * @param refusal non-null when the handshake is aborted instead
 * @param checks every rule applied, passed or not, for the record
 */
public record HelloDecision(Application application, boolean requestClientCertificate, String selectedAlpn,
        Refusal refusal, List<Check> checks) {

    public HelloDecision {
        checks = List.copyOf(checks);
    }

    public boolean refused() {
        return refusal != null;
    }
}
