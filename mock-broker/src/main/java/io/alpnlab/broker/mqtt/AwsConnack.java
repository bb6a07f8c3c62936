package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;

/** The CONNACK AWS IoT Core sends for an accepted CONNECT, with the limits it announces to MQTT 5 clients. */
final class AwsConnack {

    private AwsConnack() {
    }

    static MqttConnAckMessage accepted(int mqttVersion, boolean sessionPresent, ConnectionObservation observation) {
        MqttMessageBuilders.ConnAckBuilder builder = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(sessionPresent);
        if (mqttVersion == 5) {
            MqttProperties properties = new MqttProperties();
            add(properties, MqttProperties.MqttPropertyType.MAXIMUM_QOS, 1);
            add(properties, MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM, MqttPolicy.TOPIC_ALIAS_MAXIMUM);
            add(properties, MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE, MqttPolicy.MAX_PAYLOAD_BYTES);
            add(properties, MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0);
            add(properties, MqttProperties.MqttPropertyType.RETAIN_AVAILABLE, 1);
            add(properties, MqttProperties.MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE, 0);
            builder.properties(properties);
            observation.addCheck(Check.applied(Rule.MQTT_V5_01, "CONNACK: Maximum QoS 1, Topic Alias Maximum "
                    + MqttPolicy.TOPIC_ALIAS_MAXIMUM + ", Maximum Packet Size " + MqttPolicy.MAX_PAYLOAD_BYTES
                    + ", Subscription Identifiers not available"));
        }
        return builder.build();
    }

    private static void add(MqttProperties properties, MqttProperties.MqttPropertyType type, int value) {
        properties.add(new MqttProperties.IntegerProperty(type.value(), value));
    }
}
