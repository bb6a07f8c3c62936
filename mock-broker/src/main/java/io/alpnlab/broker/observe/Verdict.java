package io.alpnlab.broker.observe;

import io.alpnlab.broker.rules.Rule;

/**
 * The one verdict a connection gets: how it ended and the rule that decided it.
 *
 * @param outcome accepted, refused by the broker, aborted by the client, or closed before deciding
 * @param rule the deciding rule's ID
 * @param alert the TLS alert sent or received, or null
 * @param detail what happened, in words a device developer can act on
 */
public record Verdict(Kind outcome, String rule, String alert, String detail) {

    public enum Kind {
        /** TLS completed (and MQTT, if it ran, was not refused). */
        ACCEPTED,
        /** The broker refused the connection under a rule. */
        REFUSED,
        /** The client aborted the handshake with a fatal alert. */
        ABORTED_BY_CLIENT,
        /** The client closed the connection before the handshake completed, without an alert. */
        CLOSED_BY_CLIENT
    }

    /** A verdict; its detail is cut at 1,024 characters, as a check's is, so a hostile input cannot make it large. */
    public static Verdict of(Kind outcome, Rule rule, String alert, String detail) {
        String kept = detail == null || detail.length() <= 2 * ConnectionObservation.MAX_TEXT ? detail
                : detail.substring(0, 2 * ConnectionObservation.MAX_TEXT) + "... (" + (detail.length() - 2 * ConnectionObservation.MAX_TEXT)
                        + " characters cut)";
        return new Verdict(outcome, rule == null ? null : rule.id(), alert, kept);
    }
}
