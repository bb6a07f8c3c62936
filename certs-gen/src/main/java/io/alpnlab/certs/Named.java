package io.alpnlab.certs;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An enum constant with the name users write for it (on the command line, in settings, in file
 * names), and the one lookup from that name back to the constant, with an error that lists the
 * names there are.
 */
public interface Named {

    /** The name users write, e.g. {@code wrong-host} or {@code multiplex-443}. */
    String externalName();

    /** The constant of {@code type} called {@code name}; {@code what} names the kind of thing in the error. */
    static <E extends Enum<E> & Named> E parse(Class<E> type, String name, String what) {
        for (E constant : type.getEnumConstants()) {
            if (constant.externalName().equals(name)) {
                return constant;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + name + "' (expected one of " + names(type) + ")");
    }

    static <E extends Enum<E> & Named> List<String> names(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(Named::externalName).toList();
    }

    /** A constant's name in lower-case words joined by hyphens: {@code WRONG_HOST} is {@code wrong-host}. */
    static String kebab(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
