package io.alpnlab.broker.policy;

import io.alpnlab.certs.ServerChainVariant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Deliberate server misbehaviours for testing clients, all off by default (BoGo's ProtocolBugs).
 * One value applies to one connection; the broker takes it from its plan when the connection opens.
 *
 * @param serveChain which certs-gen chain is served: anything but {@code VALID} serves a large
 *     ({@code large}, {@code large-plus-20}), maximum-record ({@code max-record}: the Certificate
 *     message fills 16 KB records) or defective chain (expired, wrong-host, ...)
 * @param splitHandshakeRecords if true, causes every plaintext handshake record the server sends to be cut into
 *     {@link #SPLIT_RECORD_BYTES}-byte records; it also limits the connection to TLS 1.2, because TLS 1.3
 *     encrypts the server's flight after the ServerHello and an encrypted record cannot be re-cut
 * @param selectUnofferedAlpn if true, causes the server to select the ALPN name {@link #UNOFFERED_ALPN}, which no client offers
 * @param selectNoAlpn if true, causes the server to select no ALPN name even when it would have
 * @param withholdCertificateRequest if true, causes no CertificateRequest to be sent where one is due
 * @param delayServerHello if positive, causes the server's first flight to be held back this long
 * @param closeAfterServerHello if true, causes the server to close the TCP connection right after the ServerHello record
 * @param alertMidHandshake if true, causes the server to send a fatal handshake_failure alert after its ServerHello
 * @param withholdConnack if true, causes no CONNACK to be sent
 * @param withholdPuback if true, causes the first QoS 1 PUBLISH of the connection to get no PUBACK (a resend gets one)
 * @param withholdSuback if true, causes the first SUBSCRIBE of the connection to get no SUBACK (a resend gets one)
 * @param withholdPingresp if true, causes no PINGRESP to be sent
 * @param disconnectAfter if positive, causes the broker to close the connection this long after CONNACK
 * @param disconnectAfterPackets if positive, causes the broker to close the connection after this many client packets
 * @param refuseFirstConnections if positive, causes the first N connections of a plan to be closed right after
 *     the MQTT CONNECT arrives (no CONNACK), to measure a client's backoff
 */
public record Misbehaviours(
        ServerChainVariant serveChain,
        boolean splitHandshakeRecords,
        boolean selectUnofferedAlpn,
        boolean selectNoAlpn,
        boolean withholdCertificateRequest,
        Duration delayServerHello,
        boolean closeAfterServerHello,
        boolean alertMidHandshake,
        boolean withholdConnack,
        boolean withholdPuback,
        boolean withholdSuback,
        boolean withholdPingresp,
        Duration disconnectAfter,
        int disconnectAfterPackets,
        int refuseFirstConnections) {

    public static final int SPLIT_RECORD_BYTES = 64;
    public static final String UNOFFERED_ALPN = "x-alpnlab-unoffered";
    public static final Misbehaviours NONE = new Misbehaviours(ServerChainVariant.VALID, false, false, false, false,
            Duration.ZERO, false, false, false, false, false, false, Duration.ZERO, 0, 0);

    public Misbehaviours {
        Objects.requireNonNull(serveChain);
        delayServerHello = delayServerHello == null ? Duration.ZERO : delayServerHello;
        disconnectAfter = disconnectAfter == null ? Duration.ZERO : disconnectAfter;
        if (delayServerHello.isNegative() || disconnectAfter.isNegative() || disconnectAfterPackets < 0
                || refuseFirstConnections < 0) {
            throw new IllegalArgumentException("misbehaviour durations and counts cannot be negative");
        }
        if (selectNoAlpn && selectUnofferedAlpn) {
            throw new IllegalArgumentException("select-no-alpn and select-unoffered-alpn exclude each other");
        }
    }

    public boolean isNone() {
        return equals(NONE);
    }

    /** The names of the misbehaviours that are on, as written on the command line. */
    public List<String> describe() {
        List<String> on = new ArrayList<>();
        if (serveChain != ServerChainVariant.VALID) {
            on.add("serve-chain=" + serveChain.cliName());
        }
        flag(on, splitHandshakeRecords, "split-handshake-records");
        flag(on, selectUnofferedAlpn, "select-unoffered-alpn");
        flag(on, selectNoAlpn, "select-no-alpn");
        flag(on, withholdCertificateRequest, "withhold-certificate-request");
        if (!delayServerHello.isZero()) {
            on.add("delay-server-hello=" + delayServerHello.toMillis() + "ms");
        }
        flag(on, closeAfterServerHello, "close-after-server-hello");
        flag(on, alertMidHandshake, "alert-mid-handshake");
        flag(on, withholdConnack, "withhold-connack");
        flag(on, withholdPuback, "withhold-puback");
        flag(on, withholdSuback, "withhold-suback");
        flag(on, withholdPingresp, "withhold-pingresp");
        if (!disconnectAfter.isZero()) {
            on.add("disconnect-after=" + disconnectAfter.toMillis() + "ms");
        }
        if (disconnectAfterPackets > 0) {
            on.add("disconnect-after-packets=" + disconnectAfterPackets);
        }
        if (refuseFirstConnections > 0) {
            on.add("refuse-first-connections=" + refuseFirstConnections);
        }
        return on;
    }

    private static void flag(List<String> on, boolean value, String name) {
        if (value) {
            on.add(name);
        }
    }

    /** Every misbehaviour name the parser accepts, for help texts. */
    public static final List<String> NAMES = List.of("serve-chain=<variant>", "split-handshake-records",
            "select-unoffered-alpn", "select-no-alpn", "withhold-certificate-request", "delay-server-hello=<ms>",
            "close-after-server-hello", "alert-mid-handshake", "withhold-connack", "withhold-puback", "withhold-suback",
            "withhold-pingresp", "disconnect-after=<ms>", "disconnect-after-packets=<n>", "refuse-first-connections=<n>");

    /** Parses names as {@link #describe()} writes them, e.g. {@code serve-chain=expired, withhold-connack}. */
    public static Misbehaviours parse(List<String> tokens) {
        Builder builder = new Builder();
        for (String raw : tokens) {
            String token = raw.trim().toLowerCase(Locale.ROOT);
            if (token.isEmpty()) {
                continue;
            }
            int equals = token.indexOf('=');
            String name = equals < 0 ? token : token.substring(0, equals);
            String value = equals < 0 ? null : token.substring(equals + 1);
            switch (name) {
                case "serve-chain" -> builder.serveChain = ServerChainVariant.fromCliName(required(name, value));
                case "split-handshake-records" -> builder.splitHandshakeRecords = true;
                case "select-unoffered-alpn" -> builder.selectUnofferedAlpn = true;
                case "select-no-alpn" -> builder.selectNoAlpn = true;
                case "withhold-certificate-request" -> builder.withholdCertificateRequest = true;
                case "delay-server-hello" -> builder.delayServerHello = millis(name, value);
                case "close-after-server-hello" -> builder.closeAfterServerHello = true;
                case "alert-mid-handshake" -> builder.alertMidHandshake = true;
                case "withhold-connack" -> builder.withholdConnack = true;
                case "withhold-puback" -> builder.withholdPuback = true;
                case "withhold-suback" -> builder.withholdSuback = true;
                case "withhold-pingresp" -> builder.withholdPingresp = true;
                case "disconnect-after" -> builder.disconnectAfter = millis(name, value);
                case "disconnect-after-packets" -> builder.disconnectAfterPackets = count(name, value);
                case "refuse-first-connections" -> builder.refuseFirstConnections = count(name, value);
                default -> throw new IllegalArgumentException("unknown misbehaviour '" + name + "' (known: "
                        + String.join(", ", NAMES) + ")");
            }
        }
        return builder.build();
    }

    private static String required(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("misbehaviour " + name + " needs a value (" + name + "=...)");
        }
        return value;
    }

    private static Duration millis(String name, String value) {
        String number = required(name, value);
        if (number.endsWith("ms")) {
            number = number.substring(0, number.length() - 2);
        }
        try {
            return Duration.ofMillis(Long.parseLong(number));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("misbehaviour " + name + ": '" + value + "' is not a number of milliseconds", e);
        }
    }

    private static int count(String name, String value) {
        try {
            return Integer.parseInt(required(name, value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("misbehaviour " + name + ": '" + value + "' is not a whole number", e);
        }
    }

    /** Mutable assembly of a {@link Misbehaviours}, for tests and the parser. */
    public static final class Builder {
        public ServerChainVariant serveChain = ServerChainVariant.VALID;
        public boolean splitHandshakeRecords;
        public boolean selectUnofferedAlpn;
        public boolean selectNoAlpn;
        public boolean withholdCertificateRequest;
        public Duration delayServerHello = Duration.ZERO;
        public boolean closeAfterServerHello;
        public boolean alertMidHandshake;
        public boolean withholdConnack;
        public boolean withholdPuback;
        public boolean withholdSuback;
        public boolean withholdPingresp;
        public Duration disconnectAfter = Duration.ZERO;
        public int disconnectAfterPackets;
        public int refuseFirstConnections;

        public Misbehaviours build() {
            return new Misbehaviours(serveChain, splitHandshakeRecords, selectUnofferedAlpn, selectNoAlpn,
                    withholdCertificateRequest, delayServerHello, closeAfterServerHello, alertMidHandshake, withholdConnack,
                    withholdPuback, withholdSuback, withholdPingresp, disconnectAfter, disconnectAfterPackets,
                    refuseFirstConnections);
        }
    }
}
