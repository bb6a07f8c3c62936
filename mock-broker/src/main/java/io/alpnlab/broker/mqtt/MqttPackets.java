package io.alpnlab.broker.mqtt;

import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;

/** Small facts about MQTT packets: their identifiers and the one-line description the record keeps. */
final class MqttPackets {

    private MqttPackets() {
    }

    static MqttMessage pubAck(int packetId) {
        return MqttMessageBuilders.pubAck().packetId(packetId).build();
    }

    /** An MQTT 5 PUBACK with a reason code (e.g. 0x87, Not authorized). */
    static MqttMessage pubAck(int packetId, byte reasonCode) {
        return MqttMessageBuilders.pubAck().packetId(packetId).reasonCode(reasonCode).build();
    }

    static int idOf(MqttMessage message) {
        Object header = message.variableHeader();
        if (header instanceof MqttMessageIdVariableHeader id) {
            return id.messageId();
        }
        if (header instanceof MqttPubReplyMessageVariableHeader reply) {
            return reply.messageId();
        }
        throw new IllegalArgumentException("no packet identifier in " + message.fixedHeader().messageType());
    }

    /**
     * What the connection's record says about a packet, e.g. {@code topic=a/b qos=1 id=7 ...}. A packet
     * Netty decoded but cannot describe (a client's SUBACK with codes no SUBACK has, found by fuzzing)
     * is recorded as such: describing it must never be what ends the connection.
     */
    static String describe(MqttMessage message) {
        try {
            return describeDecoded(message);
        } catch (RuntimeException e) {
            return "(not describable: " + e.getClass().getSimpleName() + ")";
        }
    }

    private static String describeDecoded(MqttMessage message) {
        return switch (message.fixedHeader().messageType()) {
            case CONNECT -> {
                MqttConnectMessage connect = (MqttConnectMessage) message;
                yield "clientId=" + connect.payload().clientIdentifier() + " version=" + connect.variableHeader().version()
                        + " keepAlive=" + connect.variableHeader().keepAliveTimeSeconds() + " clean="
                        + connect.variableHeader().isCleanSession()
                        + (connect.variableHeader().hasUserName() ? " user=" + connect.payload().userName() : "");
            }
            case CONNACK -> "code=" + ((MqttConnAckMessage) message).variableHeader().connectReturnCode()
                    + " sessionPresent=" + ((MqttConnAckMessage) message).variableHeader().isSessionPresent();
            case PUBLISH -> {
                MqttPublishMessage publish = (MqttPublishMessage) message;
                yield "topic=" + publish.variableHeader().topicName() + " qos=" + publish.fixedHeader().qosLevel().value()
                        + " id=" + publish.variableHeader().packetId() + " retain=" + publish.fixedHeader().isRetain()
                        + " dup=" + publish.fixedHeader().isDup() + " bytes=" + publish.payload().readableBytes();
            }
            case SUBSCRIBE -> {
                MqttSubscribeMessage subscribe = (MqttSubscribeMessage) message;
                yield "id=" + subscribe.idAndPropertiesVariableHeader().messageId() + " " + subscribe.payload().topicSubscriptions()
                        .stream().map(s -> s.topicName() + "@" + s.qualityOfService().value()).toList();
            }
            case SUBACK -> "id=" + ((MqttSubAckMessage) message).variableHeader().messageId() + " granted="
                    + ((MqttSubAckMessage) message).payload().reasonCodes();
            case UNSUBSCRIBE -> "id=" + ((MqttUnsubscribeMessage) message).idAndPropertiesVariableHeader().messageId() + " "
                    + ((MqttUnsubscribeMessage) message).payload().topics();
            case PUBACK, UNSUBACK -> "id=" + idOf(message);
            case DISCONNECT -> message.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader reason
                    ? String.format("reason=0x%02X", reason.reasonCode()) : "";
            default -> "";
        };
    }
}
