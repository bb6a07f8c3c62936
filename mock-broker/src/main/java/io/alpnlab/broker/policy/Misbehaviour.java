package io.alpnlab.broker.policy;

import io.alpnlab.certs.Named;
import io.alpnlab.certs.ServerChainVariant;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * One deliberate server misbehaviour a case can plan (BoGo's ProtocolBugs, one field each), off
 * by default. The name as written on the command line, in settings and in records comes from the
 * constant; the kind says what value it takes. Adding one is a constant here and the one handler
 * that carries it out.
 */
public enum Misbehaviour implements Named {
    /** Serves a certs-gen chain other than the valid one: large, maximum-record or defective. */
    SERVE_CHAIN(Kind.CHAIN),
    /**
     * If on, causes every plaintext handshake record the server sends to be cut into
     * {@link Misbehaviours#SPLIT_RECORD_BYTES}-byte records; it also limits the connection to TLS 1.2,
     * because TLS 1.3 encrypts the server's flight after the ServerHello and it cannot be re-cut.
     */
    SPLIT_HANDSHAKE_RECORDS(Kind.FLAG),
    /** If on, causes the server to select the ALPN name {@link Misbehaviours#UNOFFERED_ALPN}, which no client offers. */
    SELECT_UNOFFERED_ALPN(Kind.FLAG),
    /** If on, causes the server to select no ALPN name even when it would have. */
    SELECT_NO_ALPN(Kind.FLAG),
    /** If on, causes no CertificateRequest to be sent where one is due. */
    WITHHOLD_CERTIFICATE_REQUEST(Kind.FLAG),
    /** If positive, causes the server's first flight to be held back this long. */
    DELAY_SERVER_HELLO(Kind.MILLIS),
    /** If on, causes the server to close the TCP connection right after the ServerHello record. */
    CLOSE_AFTER_SERVER_HELLO(Kind.FLAG),
    /** If on, causes the server to send a fatal handshake_failure alert after its ServerHello. */
    ALERT_MID_HANDSHAKE(Kind.FLAG),
    /** If on, causes no CONNACK to be sent. */
    WITHHOLD_CONNACK(Kind.FLAG),
    /** If on, causes the first QoS 1 PUBLISH of the connection to get no PUBACK (a resend gets one). */
    WITHHOLD_PUBACK(Kind.FLAG),
    /** If on, causes the first SUBSCRIBE of the connection to get no SUBACK (a resend gets one). */
    WITHHOLD_SUBACK(Kind.FLAG),
    /** If on, causes no PINGRESP to be sent. */
    WITHHOLD_PINGRESP(Kind.FLAG),
    /** If positive, causes the broker to close the connection this long after CONNACK. */
    DISCONNECT_AFTER(Kind.MILLIS),
    /** If positive, causes the broker to close the connection after this many client packets. */
    DISCONNECT_AFTER_PACKETS(Kind.COUNT),
    /**
     * If positive, causes the first N connections of a plan to be closed right after the MQTT
     * CONNECT arrives (no CONNACK), to measure a client's backoff.
     */
    REFUSE_FIRST_CONNECTIONS(Kind.COUNT);

    /** What value a misbehaviour takes, and what "off" is. */
    public enum Kind {
        FLAG(Boolean.FALSE, ""),
        MILLIS(Duration.ZERO, "=<ms>"),
        COUNT(0, "=<n>"),
        CHAIN(ServerChainVariant.VALID, "=<variant>");

        private final Object off;
        private final String valueHint;

        Kind(Object off, String valueHint) {
            this.off = off;
            this.valueHint = valueHint;
        }

        public Object off() {
            return off;
        }
    }

    private final Kind kind;

    Misbehaviour(Kind kind) {
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The name as written on the command line, e.g. {@code withhold-puback}. */
    public String cliName() {
        return Named.kebab(this);
    }

    @Override
    public String externalName() {
        return cliName();
    }

    /** The name with its value's form, e.g. {@code delay-server-hello=<ms>}, for help texts. */
    public String usage() {
        return cliName() + kind.valueHint;
    }

    public static Misbehaviour fromCliName(String name) {
        return Named.parse(Misbehaviour.class, name, "misbehaviour");
    }

    public static List<String> usages() {
        return Arrays.stream(values()).map(Misbehaviour::usage).toList();
    }

    /** Reads this misbehaviour's value as written after its {@code =}. */
    Object parseValue(String value) {
        if (kind == Kind.FLAG) {
            if (value != null) {
                throw new IllegalArgumentException("misbehaviour " + cliName() + " takes no value, got '" + value + "'");
            }
            return Boolean.TRUE;
        }
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("misbehaviour " + cliName() + " needs a value (" + usage() + ")");
        }
        return switch (kind) {
            case CHAIN -> ServerChainVariant.fromCliName(value);
            case MILLIS -> {
                String number = value.endsWith("ms") ? value.substring(0, value.length() - 2) : value;
                try {
                    yield Duration.ofMillis(Long.parseLong(number));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("misbehaviour " + cliName() + ": '" + value
                            + "' is not a number of milliseconds", e);
                }
            }
            case COUNT -> {
                try {
                    yield Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("misbehaviour " + cliName() + ": '" + value + "' is not a whole number", e);
                }
            }
            case FLAG -> throw new IllegalStateException("handled above");
        };
    }

    /** Writes a value the way {@link #parseValue} reads it. */
    String describe(Object value) {
        return switch (kind) {
            case FLAG -> cliName();
            case MILLIS -> cliName() + "=" + ((Duration) value).toMillis() + "ms";
            case COUNT -> cliName() + "=" + value;
            case CHAIN -> cliName() + "=" + ((ServerChainVariant) value).cliName();
        };
    }
}
