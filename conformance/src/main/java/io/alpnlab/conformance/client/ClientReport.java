package io.alpnlab.conformance.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the client under test said it did, the other half of every judgement (the broker's record
 * is the first). BoGo's shim contract: success, failure with an error token, or not supported.
 *
 * @param outcome success, failure or not supported
 * @param errorToken a short machine-readable reason on failure (e.g. {@code TLS_HANDSHAKE}, {@code CERTIFICATE_EXPIRED})
 * @param message the client's own words
 * @param received messages received for SUBSCRIBE, as {@code topic payload}
 * @param output the client's output, for the report (never parsed for a verdict except through the error map)
 * @param elapsed how long the client ran
 */
public record ClientReport(Outcome outcome, String errorToken, String message, List<String> received, String output,
        Duration elapsed) {

    public enum Outcome { SUCCESS, FAILURE, NOT_SUPPORTED }

    public ClientReport {
        Objects.requireNonNull(outcome);
        received = List.copyOf(received);
        output = output == null ? "" : output;
        message = message == null ? "" : message;
    }

    public static ClientReport success(List<String> received, String output, Duration elapsed) {
        return new ClientReport(Outcome.SUCCESS, null, "", received, output, elapsed);
    }

    public static ClientReport failure(String token, String message, String output, Duration elapsed) {
        return new ClientReport(Outcome.FAILURE, token, message, List.of(), output, elapsed);
    }

    public static ClientReport notSupported(String reason, Duration elapsed) {
        return new ClientReport(Outcome.NOT_SUPPORTED, null, reason, List.of(), "", elapsed);
    }

    public boolean succeeded() {
        return outcome == Outcome.SUCCESS;
    }
}
