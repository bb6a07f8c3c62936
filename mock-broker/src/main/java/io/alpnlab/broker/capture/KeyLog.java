package io.alpnlab.broker.capture;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * One connection's TLS secrets in the NSS key-log format Wireshark reads ({@code CLIENT_RANDOM} for TLS 1.2, the
 * traffic secrets for TLS 1.3), taken from Bouncy Castle's key schedule as the broker's own crypto derives them
 * ({@code JdkFirstCrypto}). Only the mock's own test sessions, and only when capture is switched on, ever have one.
 *
 * <p>The crypto is shared by every connection, so the connection whose handshake is running says so for the
 * duration of each call into Bouncy Castle ({@link #during}); a derivation outside such a call is not logged.
 */
public final class KeyLog {

    private static final ThreadLocal<KeyLog> CURRENT = new ThreadLocal<>();

    /** TLS 1.3 HKDF labels (RFC 8446, 7.1) and the key-log labels of the secrets they derive. */
    private static final Map<String, String> TLS13_LABELS = Map.of(
            "tls13 c hs traffic", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "tls13 s hs traffic", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "tls13 c ap traffic", "CLIENT_TRAFFIC_SECRET_0",
            "tls13 s ap traffic", "SERVER_TRAFFIC_SECRET_0",
            "tls13 exp master", "EXPORTER_SECRET");

    private final List<String[]> secrets = new ArrayList<>();

    /** Work on this connection's TLS, with its derivations logged here. */
    public interface Work<E extends Exception> {
        void run() throws E;
    }

    public static <E extends Exception> void during(KeyLog log, Work<E> work) throws E {
        KeyLog previous = CURRENT.get();
        CURRENT.set(log);
        try {
            work.run();
        } finally {
            CURRENT.set(previous);
        }
    }

    /** The connection whose handshake is running on this thread, or null (capture off, or not in a handshake). */
    public static KeyLog current() {
        return CURRENT.get();
    }

    /** Whether an HKDF-Expand-Label info block (RFC 8446, 7.1) derives a secret the key log holds. */
    public static String tls13Label(byte[] hkdfLabel) {
        // uint16 length, then a one-byte length and the label ("tls13 ..."), then the context.
        if (hkdfLabel.length < 3) {
            return null;
        }
        int labelLength = hkdfLabel[2] & 0xff;
        if (hkdfLabel.length < 3 + labelLength) {
            return null;
        }
        return TLS13_LABELS.get(new String(hkdfLabel, 3, labelLength, java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** A TLS 1.3 traffic or exporter secret, under its key-log label. */
    public synchronized void tls13(String keyLogLabel, byte[] secret) {
        secrets.add(new String[] {keyLogLabel, HexFormat.of().formatHex(secret)});
    }

    /** The TLS 1.2 master secret (extended or not: the key log names both CLIENT_RANDOM). */
    public synchronized void masterSecret(byte[] secret) {
        secrets.add(new String[] {"CLIENT_RANDOM", HexFormat.of().formatHex(secret)});
    }

    public synchronized boolean isEmpty() {
        return secrets.isEmpty();
    }

    /** The key-log file's text; every line is keyed by the ClientHello's random, which the capture holds. */
    public synchronized String text(byte[] clientRandom) {
        StringBuilder text = new StringBuilder("# alpnlab mock broker: TLS secrets of one test connection (NSS key-log format)\n");
        String random = HexFormat.of().formatHex(clientRandom);
        for (String[] secret : secrets) {
            text.append(secret[0]).append(' ').append(random).append(' ').append(secret[1]).append('\n');
        }
        return text.toString();
    }
}
