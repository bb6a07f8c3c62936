package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
import java.util.ArrayList;
import java.util.List;

/**
 * The CONNACK AWS IoT Core sends for an accepted CONNECT, with what it announces to MQTT 5 clients
 * (AWS's MQTT page, "MQTT 5 supported features"): its limits, and where it changed what the client
 * asked for (keep-alive, session expiry, an assigned client ID).
 */
final class AwsConnack {

    /**
     * What the CONNECT asked and what AWS applied.
     *
     * @param keepAliveRequested the CONNECT's keep-alive, in seconds
     * @param keepAliveApplied AWS's clamp of it (30..1200 s)
     * @param sessionExpiryRequested the MQTT 5 Session Expiry Interval asked for, or null when absent
     * @param sessionExpiryApplied the expiry granted, in seconds (at most the account's period)
     * @param assignedClientId the client ID assigned to an empty one, or null
     */
    record Facts(int keepAliveRequested, int keepAliveApplied, Long sessionExpiryRequested, long sessionExpiryApplied,
            String assignedClientId) {
    }

    private AwsConnack() {
    }

    static MqttConnAckMessage accepted(int mqttVersion, boolean sessionPresent, Facts facts, ConnectionObservation observation) {
        MqttMessageBuilders.ConnAckBuilder builder = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(sessionPresent);
        if (mqttVersion == 5) {
            MqttProperties properties = new MqttProperties();
            List<String> announced = new ArrayList<>(List.of("Maximum QoS 1", "Receive Maximum " + MqttPolicy.RECEIVE_MAXIMUM,
                    "Topic Alias Maximum " + MqttPolicy.TOPIC_ALIAS_MAXIMUM, "Maximum Packet Size " + MqttPolicy.MAX_PAYLOAD_BYTES,
                    "Retain Available", "Wildcard Subscriptions Available", "Subscription Identifiers not available",
                    "Shared Subscriptions Available"));
            add(properties, MqttProperties.MqttPropertyType.MAXIMUM_QOS, 1);
            add(properties, MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM, MqttPolicy.RECEIVE_MAXIMUM);
            add(properties, MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM, MqttPolicy.TOPIC_ALIAS_MAXIMUM);
            add(properties, MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE, MqttPolicy.MAX_PAYLOAD_BYTES);
            add(properties, MqttProperties.MqttPropertyType.RETAIN_AVAILABLE, 1);
            add(properties, MqttProperties.MqttPropertyType.WILDCARD_SUBSCRIPTION_AVAILABLE, 1);
            add(properties, MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0);
            add(properties, MqttProperties.MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE, 1);
            if (facts != null && facts.keepAliveApplied() != facts.keepAliveRequested()) {
                add(properties, MqttProperties.MqttPropertyType.SERVER_KEEP_ALIVE, facts.keepAliveApplied());
                announced.add("Server Keep Alive " + facts.keepAliveApplied());
            }
            if (facts != null && facts.sessionExpiryRequested() != null
                    && facts.sessionExpiryRequested() != facts.sessionExpiryApplied()) {
                add(properties, MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL, (int) facts.sessionExpiryApplied());
                announced.add("Session Expiry Interval " + facts.sessionExpiryApplied());
            }
            if (facts != null && facts.assignedClientId() != null) {
                properties.add(new MqttProperties.StringProperty(MqttProperties.MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(),
                        facts.assignedClientId()));
                announced.add("Assigned Client Identifier " + facts.assignedClientId());
            }
            builder.properties(properties);
            observation.addCheck(Check.applied(Rule.MQTT_V5_01, "CONNACK: " + String.join(", ", announced)));
        }
        return builder.build();
    }

    private static void add(MqttProperties properties, MqttProperties.MqttPropertyType type, int value) {
        properties.add(new MqttProperties.IntegerProperty(type.value(), value));
    }
}
