package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Rule;
import java.util.Objects;
import org.bouncycastle.tls.AlertDescription;

/**
 * The broker's decision to end a connection: the rule that decided, the TLS alert to send
 * ({@link #NO_ALERT} to close without one), and why, in words a device developer can act on.
 */
public record Refusal(Rule rule, short alert, String detail) {

    public static final short NO_ALERT = -1;

    public Refusal {
        Objects.requireNonNull(rule);
        Objects.requireNonNull(detail);
    }

    public String alertName() {
        return alert == NO_ALERT ? "none" : AlertDescription.getName(alert);
    }
}
