package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Rule;
import java.nio.charset.StandardCharsets;

/** AWS's rules for one topic name or filter: size, depth, wildcards, reserved names. Part of {@link MqttPolicy}. */
final class MqttTopics {

    private MqttTopics() {
    }

    /** Size, depth and reserved-name rules shared by topic names and filters. */
    static MqttPolicy.Violation check(String topic, boolean filter) {
        int bytes = topic.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "empty topic", MqttPolicy.REASON_TOPIC_NAME_INVALID, "CLIENT_ERROR");
        }
        if (bytes > MqttPolicy.MAX_TOPIC_BYTES) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "topic of " + bytes + " bytes; AWS allows at most " + MqttPolicy.MAX_TOPIC_BYTES,
                    MqttPolicy.REASON_TOPIC_NAME_INVALID, "CLIENT_ERROR");
        }
        long slashes = topic.chars().filter(character -> character == '/').count();
        if (slashes > MqttPolicy.MAX_TOPIC_SLASHES) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "topic '" + topic + "' has " + slashes + " slashes; AWS allows at most "
                    + MqttPolicy.MAX_TOPIC_SLASHES, MqttPolicy.REASON_TOPIC_NAME_INVALID, "CLIENT_ERROR");
        }
        if (!filter && (topic.contains("+") || topic.contains("#"))) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_01, "topic name '" + topic + "' contains a wildcard",
                    MqttPolicy.REASON_TOPIC_NAME_INVALID, "CLIENT_ERROR");
        }
        if (topic.startsWith("$") && !topic.startsWith("$aws/")) {
            return new MqttPolicy.Violation(Rule.MQTT_TOPIC_02, "topic '" + topic + "' starts with $, which AWS reserves (only $aws/"
                    + " topics are usable)", MqttPolicy.REASON_TOPIC_NAME_INVALID, "CLIENT_ERROR");
        }
        return null;
    }
}
