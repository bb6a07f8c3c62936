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

    /**
     * The alert a refusal sends on the wire: its own, or decode_error for one that named none, since the only
     * such refusals of a first flight are hellos the decoder could not read. Never {@link #NO_ALERT}, which
     * Bouncy Castle would write as the undefined description 255.
     */
    public short alertOnTheWire() {
        return alert == NO_ALERT ? AlertDescription.decode_error : alert;
    }

    public String alertName() {
        return alert == NO_ALERT ? "none" : AlertDescription.getName(alert);
    }
}
