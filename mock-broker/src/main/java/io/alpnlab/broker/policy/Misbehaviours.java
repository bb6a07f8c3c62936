package io.alpnlab.broker.policy;

import io.alpnlab.certs.ServerChainVariant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The deliberate misbehaviours planned for one connection, all off by default: a value for some
 * {@link Misbehaviour}s. The broker takes one from its plan when the connection opens; each handler
 * that carries a misbehaviour out asks for its constant: {@link #on}, {@link #duration}, {@link #count}.
 */
public final class Misbehaviours {

    public static final int SPLIT_RECORD_BYTES = 64;
    public static final String UNOFFERED_ALPN = "x-alpnlab-unoffered";
    public static final Misbehaviours NONE = new Misbehaviours(new EnumMap<>(Misbehaviour.class));

    /** Every misbehaviour name the parser accepts, for help texts. */
    public static final List<String> NAMES = Misbehaviour.usages();

    /** Only the misbehaviours that are on, in declaration order. */
    private final Map<Misbehaviour, Object> on;

    private Misbehaviours(EnumMap<Misbehaviour, Object> values) {
        values.entrySet().removeIf(entry -> entry.getValue().equals(entry.getKey().kind().off()));
        for (Map.Entry<Misbehaviour, Object> entry : values.entrySet()) {
            boolean negative = entry.getValue() instanceof Duration duration ? duration.isNegative()
                    : entry.getValue() instanceof Integer count && count < 0;
            if (negative) {
                throw new IllegalArgumentException("misbehaviour durations and counts cannot be negative: "
                        + entry.getKey().cliName());
            }
        }
        if (values.containsKey(Misbehaviour.SELECT_NO_ALPN) && values.containsKey(Misbehaviour.SELECT_UNOFFERED_ALPN)) {
            throw new IllegalArgumentException("select-no-alpn and select-unoffered-alpn exclude each other");
        }
        this.on = Collections.unmodifiableMap(values);
    }

    /** Parses names as {@link #describe()} writes them, e.g. {@code serve-chain=expired, withhold-connack}. */
    public static Misbehaviours parse(List<String> tokens) {
        EnumMap<Misbehaviour, Object> values = new EnumMap<>(Misbehaviour.class);
        for (String raw : tokens) {
            String token = raw.trim().toLowerCase(Locale.ROOT);
            if (token.isEmpty()) {
                continue;
            }
            int equals = token.indexOf('=');
            Misbehaviour misbehaviour = Misbehaviour.fromCliName(equals < 0 ? token : token.substring(0, equals));
            values.put(misbehaviour, misbehaviour.parseValue(equals < 0 ? null : token.substring(equals + 1)));
        }
        return new Misbehaviours(values);
    }

    /** This plan with one misbehaviour set (to its kind's "off" value to clear it). */
    public Misbehaviours with(Misbehaviour misbehaviour, Object value) {
        EnumMap<Misbehaviour, Object> values = new EnumMap<>(Misbehaviour.class);
        values.putAll(on);
        values.put(misbehaviour, misbehaviour.kind().off().getClass().cast(value));
        return new Misbehaviours(values);
    }

    public boolean isNone() {
        return on.isEmpty();
    }

    /** The names of the misbehaviours that are on, as written on the command line. */
    public List<String> describe() {
        List<String> names = new ArrayList<>();
        on.forEach((misbehaviour, value) -> names.add(misbehaviour.describe(value)));
        return names;
    }

    private Object value(Misbehaviour misbehaviour) {
        return on.getOrDefault(misbehaviour, misbehaviour.kind().off());
    }

    /** Whether a misbehaviour without a value (a flag) is on. */
    public boolean on(Misbehaviour misbehaviour) {
        return (Boolean) value(requireKind(misbehaviour, Misbehaviour.Kind.FLAG));
    }

    /** A misbehaviour's duration, zero when off. */
    public Duration duration(Misbehaviour misbehaviour) {
        return (Duration) value(requireKind(misbehaviour, Misbehaviour.Kind.MILLIS));
    }

    /** A misbehaviour's count, zero when off. */
    public int count(Misbehaviour misbehaviour) {
        return (Integer) value(requireKind(misbehaviour, Misbehaviour.Kind.COUNT));
    }

    /** The server chain served: the valid one unless serve-chain says otherwise. */
    public ServerChainVariant serveChain() {
        return (ServerChainVariant) value(Misbehaviour.SERVE_CHAIN);
    }

    private static Misbehaviour requireKind(Misbehaviour misbehaviour, Misbehaviour.Kind kind) {
        if (misbehaviour.kind() != kind) {
            throw new IllegalArgumentException(misbehaviour.cliName() + " is a " + misbehaviour.kind() + " misbehaviour, not "
                    + kind);
        }
        return misbehaviour;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Misbehaviours that && on.equals(that.on);
    }

    @Override
    public int hashCode() {
        return on.hashCode();
    }

    @Override
    public String toString() {
        return "Misbehaviours" + describe();
    }
}
