package io.alpnlab.broker;

import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.policy.SecurityPolicy;
import io.alpnlab.certs.PkiSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.bouncycastle.util.IPAddress;

/**
 * Every broker setting, read from {@code broker.*} properties in this one place, so that the
 * command line, system properties and the conformance suite configure the broker the same way. An
 * unknown key or a bad value is an error naming it; nothing falls back silently.
 *
 * @param endpoints endpoint names (SNI values)
 * @param bind the address listeners bind (loopback unless set)
 * @param ports real port per listener role; 0 is ephemeral, -1 is off
 * @param profile the AWS behaviour switches
 * @param misbehaviours misbehaviours applied to every connection
 * @param upstream {@code mqtt://host:port} of an external broker, or null for the embedded Moquette
 * @param eventLog JSON-lines file of connection records, or null
 * @param controlPort the loopback control endpoint's port; 0 ephemeral, -1 off
 * @param controlBind the address the control endpoint binds: loopback, or (inside a container, whose
 *     published port the host keeps on its own loopback) any address
 * @param timing handshake timeout, unauthenticated-MQTT timeout and MQTT time scale
 * @param sessionExpiry default persistent-session expiry
 * @param pkiDir where the test PKI is kept (generated on first use)
 * @param registry registry file or folder, or null to register the generated device certificates
 * @param capture whether every connection is captured with its TLS secrets (for the suite's evidence; test sessions only)
 */
public record BrokerSettings(List<String> endpoints, InetAddress bind, Map<ListenerRole, Integer> ports, Profile profile,
        Misbehaviours misbehaviours, String upstream, Path eventLog, int controlPort, InetAddress controlBind,
        BrokerContext.Timing timing, Duration sessionExpiry, Path pkiDir, Path registry, boolean capture) {

    public static final String PREFIX = "broker.";

    /** Every key with its default and its meaning: the help text and the error messages come from here. */
    public static final Map<String, String[]> KEYS = keys();

    private static Map<String, String[]> keys() {
        Map<String, String[]> keys = new LinkedHashMap<>();
        keys.put("endpoints", new String[] {PkiSettings.DEFAULT_ENDPOINT, "endpoint names accepted as SNI, comma-separated"});
        keys.put("endpoint", new String[] {"", "the same as endpoints (one name); endpoints wins when both are set"});
        keys.put("bind", new String[] {"127.0.0.1", "address the listeners bind (loopback by default)"});
        for (ListenerRole role : ListenerRole.values()) {
            keys.put("port." + role.roleName(), new String[] {Integer.toString(role.defaultPort()),
                    "port of the " + role.roleName() + " listener (0: ephemeral, -1: off)"});
        }
        keys.put("sni", new String[] {"required", "required (AWS docs 2022) or lenient (current docs)"});
        keys.put("alpn", new String[] {"observed", "unknown ALPN on 443: observed (no CONNACK) or strict (no_application_protocol)"});
        keys.put("registry-check", new String[] {"after-handshake", "where unregistered certificates are refused: after-handshake or in-handshake"});
        keys.put("unauthorized-connect", new String[] {"close", "unauthorized CONNECT: close, connack-5 or connack-7"});
        keys.put("security-policy", new String[] {SecurityPolicy.DEFAULT.awsName(), "AWS TLS security policy name"});
        keys.put("mfl", new String[] {"ignore", "the client's max_fragment_length: ignore (AWS: records up to 16 KB) or"
                + " honour (RFC 6066, as other brokers do)"});
        keys.put("alpn-8883", new String[] {"no-echo", "x-amzn-mqtt-ca offered on 8883: no-echo (none selected; unverified"
                + " at AWS) or echo (selected)"});
        keys.put("client-cert-expiry", new String[] {"refuse", "a device certificate outside its validity: refuse (as X.509"
                + " verifiers do; unverified at AWS) or accept (with a warning)"});
        keys.put("qos2", new String[] {"close", "a QoS 2 PUBLISH: close (AWS today; DISCONNECT 0x9B for MQTT 5) or drop"
                + " (no answer, connection kept)"});
        keys.put("quotas", new String[] {"enforce", "AWS's per-client throttles (1 CONNECT/s per client ID, 100 publishes"
                + " and 512 KiB/s per connection): enforce (refuse and discard the excess) or flag (warn only)"});
        keys.put("misbehave", new String[] {"", "misbehaviours for every connection, comma-separated"});
        keys.put("upstream", new String[] {"", "mqtt://host:port of an existing broker instead of the embedded Moquette"});
        keys.put("event-log", new String[] {"", "JSON-lines file to append every connection record to"});
        keys.put("control-port", new String[] {"9080", "loopback control endpoint port (0: ephemeral, -1: off)"});
        keys.put("control-bind", new String[] {"127.0.0.1", "address of the control endpoint: loopback (no"
                + " token), or 0.0.0.0 inside a container, where a token printed at start is needed (pki-dir/control-token)"});
        keys.put("handshake-timeout-ms", new String[] {"10000", "TLS handshake timeout"});
        keys.put("unauthenticated-timeout-ms", new String[] {"30000", "how long an MQTT client on 443 without ALPN waits for nothing"});
        keys.put("time-scale", new String[] {"1.0", "factor on MQTT protocol times (keep-alive); below 1 for fast tests"});
        keys.put("session-expiry-s", new String[] {Long.toString(MqttPolicy.DEFAULT_SESSION_EXPIRY.toSeconds()),
                "persistent session expiry when the client does not say"});
        keys.put("pki-dir", new String[] {"alpnlab-pki", "test PKI folder, generated on first use and reused"});
        keys.put("registry", new String[] {"", "registry file or folder (default: the generated device certificates, ACTIVE)"});
        keys.put("capture", new String[] {"off", "on: keep each connection's bytes and TLS secrets in memory, for a pcapng"
                + " capture and a key log (the suite's evidence); for the mock's test sessions only"});
        return keys;
    }

    /** Reads {@code broker.*} entries; other keys are ignored, unknown {@code broker.*} keys are errors. */
    public static BrokerSettings fromProperties(Map<String, String> properties) {
        Map<String, String> values = new TreeMap<>();
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            if (!entry.getKey().startsWith(PREFIX)) {
                continue;
            }
            String key = entry.getKey().substring(PREFIX.length());
            if (!KEYS.containsKey(key)) {
                throw new IllegalArgumentException("unknown setting '" + entry.getKey() + "'; known: "
                        + KEYS.keySet().stream().map(known -> PREFIX + known).collect(Collectors.joining(", ")));
            }
            values.put(key, entry.getValue().trim());
        }
        Reader reader = new Reader(values);
        List<String> endpoints = !values.containsKey("endpoints") && values.containsKey("endpoint")
                ? reader.list("endpoint") : reader.list("endpoints");
        Profile profile = Profile.awsDefault(endpoints);
        for (String name : Profile.SWITCHES) {
            profile = profile.withSwitch(PREFIX + name, reader.text(name));
        }
        Map<ListenerRole, Integer> ports = new EnumMap<>(ListenerRole.class);
        for (ListenerRole role : ListenerRole.values()) {
            ports.put(role, reader.integer("port." + role.roleName(), -1, 65535));
        }
        double scale = reader.parse("time-scale", Double::parseDouble);
        BrokerContext.Timing timing = reader.parse("time-scale", ignored -> new BrokerContext.Timing(
                Duration.ofMillis(reader.integer("handshake-timeout-ms", 1, 600_000)),
                Duration.ofMillis(reader.integer("unauthenticated-timeout-ms", 1, 3_600_000)), scale));
        String upstream = reader.text("upstream");
        String eventLog = reader.text("event-log");
        String registry = reader.text("registry");
        return new BrokerSettings(endpoints, reader.parse("bind", BrokerSettings::ipLiteral), ports, profile,
                reader.parse("misbehave", text -> Misbehaviours.parse(text.isEmpty() ? List.of() : Arrays.asList(text.split(",")))),
                upstream.isEmpty() ? null : upstream, eventLog.isEmpty() ? null : Path.of(eventLog),
                reader.integer("control-port", -1, 65535), reader.parse("control-bind", BrokerSettings::ipLiteral), timing,
                Duration.ofSeconds(reader.integer("session-expiry-s", 0, (int) MqttPolicy.MAX_SESSION_EXPIRY.toSeconds())),
                Path.of(reader.text("pki-dir")), registry.isEmpty() ? null : Path.of(registry), onOff(reader.text("capture")));
    }

    private static boolean onOff(String value) {
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(PREFIX + "capture='" + value + "' must be on or off");
        };
    }

    /** The effective values, for the one start-up log line. */
    public Map<String, String> describe() {
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("endpoints", String.join(",", endpoints));
        shown.put("bind", bind.getHostAddress());
        ports.forEach((role, port) -> shown.put("port." + role.roleName(), Integer.toString(port)));
        shown.putAll(profile.switches());
        shown.put("misbehave", String.join(",", misbehaviours.describe()));
        shown.put("upstream", upstream == null ? "(embedded Moquette)" : upstream);
        shown.put("time-scale", Double.toString(timing.scale()));
        if (capture) {
            shown.put("capture", "on");
        }
        if (!controlBind.isLoopbackAddress()) {
            shown.put("control-bind", controlBind.getHostAddress());
        }
        return shown;
    }

    private static InetAddress ipLiteral(String text) {
        if (!IPAddress.isValid(text)) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address", e);
        }
    }

    /** Reads values with their defaults and turns every parse failure into an error naming the key. */
    private static final class Reader {
        private final Map<String, String> values;

        Reader(Map<String, String> values) {
            this.values = values;
        }

        String text(String key) {
            return values.getOrDefault(key, KEYS.get(key)[0]);
        }

        List<String> list(String key) {
            List<String> items = new ArrayList<>();
            for (String item : text(key).split(",")) {
                if (!item.isBlank()) {
                    items.add(item.trim());
                }
            }
            if (items.isEmpty()) {
                throw new IllegalArgumentException(PREFIX + key + " must not be empty");
            }
            return items;
        }

        int integer(String key, int min, int max) {
            int value = parse(key, Integer::parseInt);
            if (value < min || value > max) {
                throw new IllegalArgumentException(PREFIX + key + " must be within " + min + ".." + max + ", got " + value);
            }
            return value;
        }

        <T> T parse(String key, java.util.function.Function<String, T> parser) {
            String text = text(key);
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PREFIX + key + "='" + text + "': " + e.getMessage(), e);
            }
        }
    }

    static Set<String> keyNames() {
        return KEYS.keySet();
    }
}
