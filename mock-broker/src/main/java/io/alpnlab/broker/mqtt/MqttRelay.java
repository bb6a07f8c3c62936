package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Publish and subscribe once the client has its CONNACK: each packet is decided on by
 * {@link MqttPolicy} and what passes is relayed to the back end, which keeps sessions and
 * subscriptions; its deliveries come back here. The front door keeps what AWS does differently
 * from a plain broker: retained messages (none on wildcard filters), MQTT 5 topic aliases, and the
 * packet identifiers of its own deliveries, apart from the back end's.
 */
final class MqttRelay extends MqttConnectionHandler implements BackendConnection.Listener {

    static final String NAME = "mqtt-relay";

    /** Retained deliveries take packet IDs from the top of the range so they never meet the back end's (from 1). */
    private static final int RETAINED_PACKET_IDS_FROM = 60_000;

    private final List<String> filters = new ArrayList<>();
    private final Map<Integer, String> topicAliases = new HashMap<>();
    private final Map<Integer, Pending> pendingSubscriptions = new HashMap<>();
    /** Packet IDs of the front door's own deliveries (retained messages): their PUBACKs stay here. */
    private final Set<Integer> frontDoorPacketIds = new HashSet<>();
    private int nextRetainedPacketId = RETAINED_PACKET_IDS_FROM;
    /** Arrival times and sizes of the last second's publishes, for AWS's per-connection rate quotas. */
    private final java.util.ArrayDeque<long[]> recentPublishes = new java.util.ArrayDeque<>();
    private long recentPublishBytes;
    private boolean rateFlagged;

    MqttRelay(MqttConnection connection) {
        super(connection);
    }


    @Override
    void onPacket(ChannelHandlerContext ctx, MqttMessage message) {
        MqttMessageType type = message.fixedHeader().messageType();
        switch (type) {
            case CONNECT -> connection.violate(new MqttPolicy.Violation(Rule.MQTT_CONN_01, "second CONNECT on one connection",
                    MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
            case PUBLISH -> onPublish((MqttPublishMessage) message);
            case PUBACK -> {
                int id = MqttPackets.idOf(message);
                if (!frontDoorPacketIds.remove(id)) {
                    connection.backend.send(MqttPackets.pubAck(id));
                }
            }
            case SUBSCRIBE -> onSubscribe((MqttSubscribeMessage) message);
            case UNSUBSCRIBE -> onUnsubscribe((MqttUnsubscribeMessage) message);
            case DISCONNECT -> connection.clientDisconnected();
            case PUBREC, PUBREL, PUBCOMP, AUTH -> connection.violate(new MqttPolicy.Violation(Rule.MQTT_PKT_01, type
                    + " is not supported by AWS IoT Core (no QoS 2 flows, no MQTT 5 AUTH)", MqttPolicy.REASON_PROTOCOL_ERROR,
                    "CLIENT_ERROR"));
            default -> connection.violate(new MqttPolicy.Violation(Rule.MQTT_PKT_01, type + " is not a packet a client sends",
                    MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
        }
    }

    private void onPublish(MqttPublishMessage publish) {
        String topic = resolveAlias(publish);
        if (topic == null) {
            return;
        }
        int qos = publish.fixedHeader().qosLevel().value();
        countForRate(publish.payload().readableBytes());
        MqttPolicy.Violation violation = MqttPolicy.onPublish(topic, qos, publish.fixedHeader().isRetain(),
                publish.payload().readableBytes(), connection.devicePolicy, connection.policyVariables,
                connection.layer.profile().qos2(), connection.mqttVersion == 5);
        if (violation != null) {
            connection.violate(violation);
            if (violation.action() == MqttPolicy.Action.ANSWER_WITH_REASON && qos == 1) {
                connection.send(MqttPackets.pubAck(publish.variableHeader().packetId(), violation.reasonCode()));
            }
            return;
        }
        if (publish.fixedHeader().isRetain()) {
            byte[] payload = new byte[publish.payload().readableBytes()];
            publish.payload().getBytes(publish.payload().readerIndex(), payload);
            connection.layer.retained().retain(topic, payload, qos);
        }
        // The retain flag stays with the front door's store (AWS semantics); the back end only relays.
        connection.backend.send(new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, publish.fixedHeader().isDup(), publish.fixedHeader().qosLevel(),
                        false, 0),
                new MqttPublishVariableHeader(topic, publish.variableHeader().packetId()), publish.payload().retainedDuplicate()));
    }

    /** Keeps the last second of publishes and flags the connection, once, when it passes AWS's rates. */
    private void countForRate(int payloadBytes) {
        long now = System.nanoTime();
        recentPublishes.addLast(new long[] {now, payloadBytes});
        recentPublishBytes += payloadBytes;
        while (!recentPublishes.isEmpty() && now - recentPublishes.peekFirst()[0] > 1_000_000_000L) {
            recentPublishBytes -= recentPublishes.removeFirst()[1];
        }
        if (!rateFlagged) {
            Check rate = MqttPolicy.onPublishRate(recentPublishes.size(), recentPublishBytes);
            if (rate != null) {
                rateFlagged = true;
                connection.established.observation().addCheck(rate);
            }
        }
    }

    /** The topic an MQTT 5 PUBLISH names, through its topic alias if it has one; null after a violation. */
    private String resolveAlias(MqttPublishMessage publish) {
        String topic = publish.variableHeader().topicName();
        if (connection.mqttVersion != 5) {
            return topic;
        }
        MqttProperties.MqttProperty<?> alias = publish.variableHeader().properties()
                .getProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS.value());
        if (alias == null) {
            return topic;
        }
        int value = (Integer) alias.value();
        MqttPolicy.Violation aliasViolation = MqttPolicy.onTopicAlias(value);
        if (aliasViolation != null) {
            connection.violate(aliasViolation);
            return null;
        }
        if (!topic.isEmpty()) {
            topicAliases.put(value, topic);
            return topic;
        }
        String aliased = topicAliases.get(value);
        if (aliased == null) {
            connection.violate(new MqttPolicy.Violation(Rule.MQTT_V5_01, "topic alias " + value + " used before it was set",
                    MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
        }
        return aliased;
    }

    private void onSubscribe(MqttSubscribeMessage subscribe) {
        List<String> requested = new ArrayList<>();
        List<Integer> qos = new ArrayList<>();
        for (MqttTopicSubscription subscription : subscribe.payload().topicSubscriptions()) {
            requested.add(subscription.topicName());
            qos.add(subscription.qualityOfService().value());
        }
        boolean subscriptionIdentifier = connection.mqttVersion == 5 && subscribe.idAndPropertiesVariableHeader().properties()
                .getProperty(MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()) != null;
        boolean mqtt5 = connection.mqttVersion == 5;
        MqttPolicy.Violation violation = MqttPolicy.onSubscribe(requested, qos, subscriptionIdentifier, connection.devicePolicy,
                connection.policyVariables, mqtt5);
        if (violation != null) {
            connection.violate(violation);
            return;
        }
        int packetId = subscribe.idAndPropertiesVariableHeader().messageId();
        Map<Integer, Integer> refusedCodes = new TreeMap<>();
        if (mqtt5) {
            for (int index : MqttPolicy.unauthorizedFilters(requested, connection.devicePolicy, connection.policyVariables)) {
                refusedCodes.put(index, MqttPolicy.REASON_NOT_AUTHORIZED & 0xFF);
                connection.established.observation().addCheck(Check.fail(Rule.MQTT_AUTHZ_01, "the policy does not allow"
                        + " subscribing to '" + requested.get(index) + "': SUBACK 0x87 (Not authorized), the connection kept"));
            }
        }
        List<String> countable = new ArrayList<>();
        for (int i = 0; i < requested.size(); i++) {
            if (!refusedCodes.containsKey(i)) {
                countable.add(requested.get(i));
            }
        }
        MqttPolicy.SubscriptionLimit limit = MqttPolicy.onSubscriptionCount(new HashSet<>(filters), countable);
        if (limit != null) {
            connection.established.observation().addCheck(limit.check());
            for (int refusedIndex : limit.refusedIndexes()) {
                refusedCodes.put(requested.indexOf(countable.get(refusedIndex)), MqttPolicy.SUBACK_FAILURE);
            }
        }
        List<Integer> refused = List.copyOf(refusedCodes.keySet());
        pendingSubscriptions.put(packetId, new Pending(requested, refused, refusedCodes));
        if (refused.size() == requested.size()) {
            answerSubscribe(packetId, List.of());
            return;
        }
        MqttMessageBuilders.SubscribeBuilder builder = MqttMessageBuilders.subscribe().messageId(packetId);
        for (int i = 0; i < requested.size(); i++) {
            if (!refused.contains(i)) {
                builder.addSubscription(MqttQoS.valueOf(qos.get(i)), requested.get(i));
            }
        }
        connection.backend.send(builder.build());
    }

    /** A SUBSCRIBE on its way to the back end: its filters, and those the front door refused itself, with their codes. */
    private record Pending(List<String> requested, List<Integer> refused, Map<Integer, Integer> codes) {
    }

    private void onUnsubscribe(MqttUnsubscribeMessage unsubscribe) {
        List<String> topics = unsubscribe.payload().topics();
        filters.removeAll(topics);
        MqttMessageBuilders.UnsubscribeBuilder builder = MqttMessageBuilders.unsubscribe()
                .messageId(unsubscribe.idAndPropertiesVariableHeader().messageId());
        topics.forEach(builder::addTopicFilter);
        connection.backend.send(builder.build());
    }

    /** What the back end sends for this client, after its CONNACK. Runs on the client's event loop. */
    @Override
    public void fromBackend(MqttMessage message) {
        try {
            switch (message.fixedHeader().messageType()) {
                case PUBLISH -> deliver((MqttPublishMessage) message);
                case PUBACK -> connection.send(MqttPackets.pubAck(MqttPackets.idOf(message)));
                case SUBACK -> onBackendSuback((MqttSubAckMessage) message);
                case UNSUBACK -> connection.send(MqttMessageBuilders.unsubAck().packetId(MqttPackets.idOf(message)).build());
                default -> {
                }
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    @Override
    public void backendClosed() {
        // MqttConnection's own listener records and closes.
    }

    private void onBackendSuback(MqttSubAckMessage suback) {
        answerSubscribe(suback.variableHeader().messageId(), suback.payload().grantedQoSLevels());
    }

    /** The client's SUBACK: the back end's codes, with the failure code where the front door refused a filter. */
    private void answerSubscribe(int id, List<Integer> backendCodes) {
        Pending pending = pendingSubscriptions.remove(id);
        List<String> granted = pending == null ? null : pending.requested();
        List<Integer> codes = new ArrayList<>(backendCodes);
        if (pending != null) {
            pending.refused().forEach(index -> codes.add(index, pending.codes().get(index)));
        }
        if (granted != null) {
            for (int i = 0; i < granted.size() && i < codes.size(); i++) {
                if (codes.get(i) < 0x80) {
                    filters.add(granted.get(i));
                }
            }
        }
        // The reason codes as they are: an MQTT 5 SUBACK may carry 0x87, which is no QoS value.
        connection.send(new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(id), new MqttSubAckPayload(codes))).addListener(written -> {
                    // Retained messages follow the SUBACK that announces them; a withheld SUBACK takes them along.
                    if (written.isSuccess() && granted != null) {
                        deliverRetained(granted, codes);
                    }
                });
    }

    /**
     * Retained messages for new subscriptions, from the front door's store: only filters without
     * wildcards get one, as at AWS. They go out at the lower of the stored and granted QoS.
     */
    private void deliverRetained(List<String> granted, List<Integer> codes) {
        for (int i = 0; i < granted.size() && i < codes.size(); i++) {
            String filter = granted.get(i);
            int grantedQos = codes.get(i);
            if (grantedQos >= 0x80 || !MqttPolicy.deliversRetained(filter, List.of(filter))) {
                continue;
            }
            var stored = connection.layer.retained().get(filter);
            if (stored.isEmpty()) {
                continue;
            }
            int qos = Math.min(grantedQos, stored.get().qos());
            int packetId = 0;
            if (qos > 0) {
                packetId = nextRetainedPacketId;
                nextRetainedPacketId = nextRetainedPacketId == 65535 ? RETAINED_PACKET_IDS_FROM : nextRetainedPacketId + 1;
                frontDoorPacketIds.add(packetId);
            }
            connection.send(MqttMessageBuilders.publish().topicName(filter).qos(MqttQoS.valueOf(qos)).retained(true)
                    .messageId(packetId).payload(Unpooled.wrappedBuffer(stored.get().payload())).build());
        }
    }

    /** A message for the client. A retained one that only wildcard filters match is dropped, as AWS does. */
    private void deliver(MqttPublishMessage publish) {
        String topic = publish.variableHeader().topicName();
        if (publish.fixedHeader().isRetain() && !MqttPolicy.deliversRetained(topic, filters)) {
            connection.mqtt.packet(false, "PUBLISH", "retained message on '" + topic + "' not delivered: only wildcard"
                    + " subscriptions match (AWS does not deliver retained messages on wildcards)");
            if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                connection.backend.send(MqttPackets.pubAck(publish.variableHeader().packetId()));
            }
            return;
        }
        connection.send(new MqttPublishMessage(publish.fixedHeader(), publish.variableHeader(),
                publish.payload().retainedDuplicate()));
    }


}
