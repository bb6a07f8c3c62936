package io.alpnlab.conformance.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Deliberate defects of the reference client, each the mistake a real client makes, and each
 * caught by one conformance case (the meta-test proves it).
 *
 * @param noSni if true, causes the ClientHello to carry no server_name
 * @param noAlpn if true, causes no ALPN name to be offered, whatever the task says
 * @param alpnLengthPrefixed if true, causes the ALPN name to be offered with OpenSSL's length byte in front (the mbedTLS bug)
 * @param trustAll if true, causes any server certificate to be accepted, without name check (a security hole)
 * @param useQos2 if true, causes publishes and subscriptions at QoS 2
 * @param keepAliveSeconds if non-null, the keep-alive sent in CONNECT instead of the task's
 * @param noBackoff if true, causes reconnects to follow each other almost immediately
 * @param publishBeforeConnack if true, causes a PUBLISH to be sent right after CONNECT, before the CONNACK
 * @param noPublishRetry if true, causes a QoS 1 PUBLISH without PUBACK to be given up, not resent
 * @param noSubscribeRetry if true, causes a SUBSCRIBE without SUBACK to be given up, not resent
 * @param noKeepAlive if true, causes no PINGREQ ever to be sent
 * @param ignorePingresp if true, causes a missing PINGRESP to go unnoticed (no reconnect)
 */
public record Defects(boolean noSni, boolean noAlpn, boolean alpnLengthPrefixed, boolean trustAll, boolean useQos2,
        Integer keepAliveSeconds, boolean noBackoff, boolean publishBeforeConnack, boolean noPublishRetry,
        boolean noSubscribeRetry, boolean noKeepAlive, boolean ignorePingresp) {

    public static final Defects NONE = new Defects(false, false, false, false, false, null, false, false, false, false, false,
            false);

    /** Every defect by name, as {@code conformance.client=reference:<name>} selects them. */
    public static final List<String> NAMES = List.of("no-sni", "no-alpn", "alpn-length-prefixed", "trust-all", "qos2",
            "keep-alive-5", "keep-alive-0", "no-backoff", "publish-before-connack", "no-publish-retry", "no-subscribe-retry",
            "no-keep-alive", "ignore-pingresp");

    public boolean isNone() {
        return equals(NONE);
    }

    public static Defects named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "no-sni" -> new Defects(true, false, false, false, false, null, false, false, false, false, false, false);
            case "no-alpn" -> new Defects(false, true, false, false, false, null, false, false, false, false, false, false);
            case "alpn-length-prefixed" -> new Defects(false, false, true, false, false, null, false, false, false, false, false,
                    false);
            case "trust-all" -> new Defects(false, false, false, true, false, null, false, false, false, false, false, false);
            case "qos2" -> new Defects(false, false, false, false, true, null, false, false, false, false, false, false);
            case "keep-alive-5" -> new Defects(false, false, false, false, false, 5, false, false, false, false, false, false);
            case "keep-alive-0" -> new Defects(false, false, false, false, false, 0, false, false, false, false, false, false);
            case "no-backoff" -> new Defects(false, false, false, false, false, null, true, false, false, false, false, false);
            case "publish-before-connack" -> new Defects(false, false, false, false, false, null, false, true, false, false, false,
                    false);
            case "no-publish-retry" -> new Defects(false, false, false, false, false, null, false, false, true, false, false,
                    false);
            case "no-subscribe-retry" -> new Defects(false, false, false, false, false, null, false, false, false, true, false,
                    false);
            case "no-keep-alive" -> new Defects(false, false, false, false, false, null, false, false, false, false, true, false);
            case "ignore-pingresp" -> new Defects(false, false, false, false, false, null, false, false, false, false, false, true);
            default -> throw new IllegalArgumentException("unknown reference-client defect '" + name + "' (known: "
                    + String.join(", ", NAMES) + ")");
        };
    }

    public String describe() {
        List<String> on = new ArrayList<>();
        if (noSni) {
            on.add("no-sni");
        }
        if (noAlpn) {
            on.add("no-alpn");
        }
        if (alpnLengthPrefixed) {
            on.add("alpn-length-prefixed");
        }
        if (trustAll) {
            on.add("trust-all");
        }
        if (useQos2) {
            on.add("qos2");
        }
        if (keepAliveSeconds != null) {
            on.add("keep-alive-" + keepAliveSeconds);
        }
        if (noBackoff) {
            on.add("no-backoff");
        }
        if (publishBeforeConnack) {
            on.add("publish-before-connack");
        }
        if (noPublishRetry) {
            on.add("no-publish-retry");
        }
        if (noSubscribeRetry) {
            on.add("no-subscribe-retry");
        }
        if (noKeepAlive) {
            on.add("no-keep-alive");
        }
        if (ignorePingresp) {
            on.add("ignore-pingresp");
        }
        return String.join(",", on);
    }
}
