package io.alpnlab.conformance.reference;

import io.alpnlab.certs.Named;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The defects the reference client has on purpose: none for the honest client, one for each
 * defective variant the suite is proven against.
 *
 * @param on the defects that are on
 * @param keepAliveSeconds if non-null, the keep-alive sent in CONNECT instead of the task's
 */
public record Defects(Set<Defect> on, Integer keepAliveSeconds) {

    public static final Defects NONE = new Defects(EnumSet.noneOf(Defect.class), null);

    /** The keep-alive values a variant can send, as {@code keep-alive-<seconds>}. */
    private static final List<Integer> KEEP_ALIVE_VARIANTS = List.of(5, 0);

    /** Every defect by name, as {@code conformance.client=reference:<name>} selects them. */
    public static final List<String> NAMES = Stream.concat(Named.names(Defect.class).stream(),
            KEEP_ALIVE_VARIANTS.stream().map(seconds -> "keep-alive-" + seconds)).toList();

    public Defects {
        on = on.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(on));
    }

    public boolean isNone() {
        return equals(NONE);
    }

    public static Defects named(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (int seconds : KEEP_ALIVE_VARIANTS) {
            if (lower.equals("keep-alive-" + seconds)) {
                return new Defects(Set.of(), seconds);
            }
        }
        try {
            return new Defects(Set.of(Named.parse(Defect.class, lower, "reference-client defect")), null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown reference-client defect '" + name + "' (known: "
                    + String.join(", ", NAMES) + ")", e);
        }
    }

    public boolean has(Defect defect) {
        return on.contains(defect);
    }

    public boolean noSni() {
        return has(Defect.NO_SNI);
    }

    public boolean noAlpn() {
        return has(Defect.NO_ALPN);
    }

    public boolean alpnLengthPrefixed() {
        return has(Defect.ALPN_LENGTH_PREFIXED);
    }

    public boolean trustAll() {
        return has(Defect.TRUST_ALL);
    }

    public boolean useQos2() {
        return has(Defect.QOS2);
    }

    public boolean noBackoff() {
        return has(Defect.NO_BACKOFF);
    }

    public boolean constantBackoff() {
        return has(Defect.CONSTANT_BACKOFF);
    }

    public boolean linearBackoff() {
        return has(Defect.LINEAR_BACKOFF);
    }

    public boolean publishBeforeConnack() {
        return has(Defect.PUBLISH_BEFORE_CONNACK);
    }

    public boolean noPublishRetry() {
        return has(Defect.NO_PUBLISH_RETRY);
    }

    public boolean retryUnderNewPacketId() {
        return has(Defect.RETRY_UNDER_NEW_PACKET_ID);
    }

    public boolean assumesSession() {
        return has(Defect.ASSUMES_SESSION);
    }

    public boolean noSubscribeRetry() {
        return has(Defect.NO_SUBSCRIBE_RETRY);
    }

    public boolean noKeepAlive() {
        return has(Defect.NO_KEEP_ALIVE);
    }

    public boolean ignorePingresp() {
        return has(Defect.IGNORE_PINGRESP);
    }

    /** The names of the defects that are on, comma-separated, as {@link #named} reads them one by one. */
    public String describe() {
        List<String> names = new ArrayList<>();
        EnumSet.allOf(Defect.class).stream().filter(on::contains).map(Defect::externalName).forEach(names::add);
        if (keepAliveSeconds != null) {
            names.add("keep-alive-" + keepAliveSeconds);
        }
        return String.join(",", names);
    }
}
