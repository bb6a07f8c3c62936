package io.alpnlab.conformance.client;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The device agent protocol, version 1 (docs/AGENT-PROTOCOL.md): UTF-8 lines of a command word and
 * {@code key=value} fields separated by single spaces, values percent-encoded. Shared by the suite's
 * agent driver and the reference agent so that both read and write exactly the same lines.
 */
public final class AgentProtocol {

    public static final String VERSION = "ALPNLAB-AGENT/1";
    /** The longest line either side accepts; a longer one is an error, not a buffer overflow on a device. */
    public static final int MAX_LINE = 4096;

    private AgentProtocol() {
    }

    /** One parsed line: the command word and its fields in order. */
    public record Line(String command, Map<String, String> fields) {
        public String field(String key) {
            return fields.get(key);
        }

        public String required(String key) {
            String value = fields.get(key);
            if (value == null) {
                throw new IllegalArgumentException(command + " needs " + key + "=");
            }
            return value;
        }
    }

    public static String format(String command, Map<String, String> fields) {
        StringBuilder line = new StringBuilder(command);
        for (Map.Entry<String, String> field : fields.entrySet()) {
            line.append(' ').append(field.getKey()).append('=').append(encode(field.getValue()));
        }
        return line.toString();
    }

    public static Line parse(String text) {
        if (text.length() > MAX_LINE) {
            throw new IllegalArgumentException("line of " + text.length() + " characters exceeds " + MAX_LINE);
        }
        String[] parts = text.strip().split(" ");
        if (parts.length == 0 || parts[0].isEmpty() || !parts[0].matches("[A-Z][A-Z_-]*(/[0-9]+)?")) {
            throw new IllegalArgumentException("a line starts with an upper-case command word, got '" + abbreviate(text) + "'");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int equals = parts[i].indexOf('=');
            if (equals <= 0) {
                if (parts[0].equals("HELLO") && i == 1) {
                    fields.put("protocol", parts[i]);
                    continue;
                }
                throw new IllegalArgumentException("field '" + abbreviate(parts[i]) + "' is not key=value");
            }
            fields.put(parts[i].substring(0, equals), decode(parts[i].substring(equals + 1)));
        }
        return new Line(parts[0], fields);
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String abbreviate(String text) {
        return text.length() > 60 ? text.substring(0, 60) + "..." : text;
    }
}
