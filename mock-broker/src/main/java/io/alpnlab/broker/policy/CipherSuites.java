package io.alpnlab.broker.policy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.tls.CipherSuite;

/** IANA names of cipher suites, read once from Bouncy Castle's constants (BC has no name lookup of its own). */
public final class CipherSuites {

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        for (Field field : CipherSuite.class.getFields()) {
            if (field.getType() == int.class && Modifier.isStatic(field.getModifiers()) && field.getName().startsWith("TLS_")) {
                try {
                    NAMES.putIfAbsent(field.getInt(null), field.getName());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("Bouncy Castle CipherSuite constants are not readable", e);
                }
            }
        }
    }

    private CipherSuites() {
    }

    /** The IANA name, or {@code 0xXXXX} for a value BC does not know (GREASE, private suites). */
    public static String name(int suite) {
        String name = NAMES.get(suite);
        return name != null ? name : String.format("0x%04X", suite);
    }
}
