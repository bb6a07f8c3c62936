package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Rule;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/** AWS's rules for one topic name or filter: size, depth, wildcards, reserved names. Part of {@link MqttPolicy}. */
final class MqttTopics {

    /**
     * The Basic Ingest prefix ({@code $aws/rules/<rule-name>/}): AWS's topic size and depth limits do not
     * count it (quotas page, "topic size").
     */
    private static final Pattern BASIC_INGEST_PREFIX = Pattern.compile("^\\$aws/rules/[^/]+/");

    /**
     * The {@code $aws/} topics AWS defines ("Reserved topics" page): everything else under {@code $aws/} is
     * refused. {@code +} stands for one level (a thing name, a rule name), as in a filter.
     */
    private static final List<String> AWS_TOPICS = List.of(
            "$aws/events/#",
            "$aws/rules/+/#",
            "$aws/things/+/shadow/#",
            "$aws/things/+/jobs/#",
            "$aws/things/+/defender/metrics/#",
            "$aws/things/+/tunnels/notify",
            "$aws/things/+/streams/#",
            "$aws/certificates/create/#",
            "$aws/certificates/create-from-csr/#",
            "$aws/provisioning-templates/+/provision/#",
            "$aws/sitewise/#",
            "$aws/device_location/+/#");

    private MqttTopics() {
    }

    /** The prefix of a shared subscription's filter ({@code $share/<group>/}), MQTT 5's syntax, which AWS also takes in 3.1.1. */
    static final String SHARE_PREFIX = "$share/";

    /**
     * A shared subscription's parts: the group and the filter after {@code $share/<group>/}; null when the
     * filter is not shared. A malformed one (no group, or no filter) has an empty part, which {@link #check} names.
     */
    static MqttPolicy.SharedFilter shared(String filter) {
        if (!filter.startsWith(SHARE_PREFIX)) {
            return null;
        }
        String rest = filter.substring(SHARE_PREFIX.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? new MqttPolicy.SharedFilter(rest, "")
                : new MqttPolicy.SharedFilter(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /** Size, depth and reserved-name rules shared by topic names and filters. */
    static MqttPolicy.Violation check(String topic, boolean filter) {
        // An MQTT 5 client is told which: a bad topic name (0x90) or a bad filter (0x8F).
        byte reason = filter ? MqttPolicy.REASON_TOPIC_FILTER_INVALID : MqttPolicy.REASON_TOPIC_NAME_INVALID;
        if (topic.isEmpty()) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "empty topic", reason, "CLIENT_ERROR");
        }
        MqttPolicy.SharedFilter shared = filter ? shared(topic) : null;
        if (shared != null) {
            // MQTT 5 section 4.8.2: a group name is one level without wildcards, followed by a filter.
            if (shared.group().isEmpty() || shared.group().contains("+") || shared.group().contains("#")
                    || shared.filter().isEmpty()) {
                return new MqttPolicy.Violation(Rule.MQTT_TOPIC_02, "'" + topic + "' is no shared subscription: write"
                        + " $share/<group>/<filter>, with a group name without wildcards", reason, "CLIENT_ERROR");
            }
            // The quotas page does not count $share/<group>/ in a filter's size and depth.
            MqttPolicy.Violation inner = check(shared.filter(), true);
            return inner == null || !inner.detail().startsWith("topic") ? inner
                    : new MqttPolicy.Violation(inner.rule(), inner.detail() + " (not counting the $share/<group>/ prefix)",
                            inner.reasonCode(), inner.lifecycleReason(), inner.action());
        }
        String counted = BASIC_INGEST_PREFIX.matcher(topic).replaceFirst("");
        int bytes = counted.getBytes(StandardCharsets.UTF_8).length;
        String uncounted = counted.length() == topic.length() ? "" : " (not counting the $aws/rules/<rule-name>/ prefix)";
        if (bytes > MqttPolicy.MAX_TOPIC_BYTES) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "topic of " + bytes + " bytes" + uncounted + "; AWS allows at most "
                    + MqttPolicy.MAX_TOPIC_BYTES, reason, "CLIENT_ERROR");
        }
        long slashes = counted.chars().filter(character -> character == '/').count();
        if (slashes > MqttPolicy.MAX_TOPIC_SLASHES) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "topic '" + topic + "' has " + slashes + " slashes" + uncounted
                    + "; AWS allows at most " + MqttPolicy.MAX_TOPIC_SLASHES, reason, "CLIENT_ERROR");
        }
        if (!filter && (topic.contains("+") || topic.contains("#"))) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "topic name '" + topic + "' contains a wildcard", reason,
                    "CLIENT_ERROR");
        }
        if (topic.startsWith("$") && !topic.startsWith("$aws/")) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_02, "topic '" + topic + "' starts with $, which AWS reserves (only the"
                    + " $aws/ topics AWS defines are usable)", reason, "CLIENT_ERROR");
        }
        if (topic.startsWith("$aws/") && AWS_TOPICS.stream().noneMatch(template -> overlaps(topic, template))) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_02, "'" + topic + "' is not a topic AWS defines under $aws/ (shadow,"
                    + " jobs, events, rules, defender, tunnels, streams, certificates, provisioning, sitewise, device_location)",
                    reason, "CLIENT_ERROR");
        }
        return null;
    }

    /**
     * Whether a topic name, or any topic a filter matches, is one of a template's: level by level, a
     * {@code +} on either side matches one level, a {@code #} in the filter or at the template's end
     * matches the rest (or nothing).
     */
    static boolean overlaps(String topic, String template) {
        String[] levels = topic.split("/", -1);
        String[] wanted = template.split("/", -1);
        for (int i = 0; i < wanted.length; i++) {
            if (wanted[i].equals("#") || i < levels.length && levels[i].equals("#")) {
                return true;
            }
            if (i >= levels.length) {
                return false;
            }
            if (!wanted[i].equals("+") && !levels[i].equals("+") && !wanted[i].equals(levels[i])) {
                return false;
            }
        }
        return levels.length == wanted.length || levels.length == wanted.length + 1 && levels[wanted.length].equals("#");
    }
}
