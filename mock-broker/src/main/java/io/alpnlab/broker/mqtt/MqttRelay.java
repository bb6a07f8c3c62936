package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.services.DeviceServices;
import io.alpnlab.broker.services.ServiceEvent;
import io.alpnlab.broker.services.ServiceReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publish and subscribe once the client has its CONNACK: each packet is decided on by
 * {@link MqttPolicy} and what passes is relayed to the back end, which keeps sessions and
 * subscriptions; its deliveries come back here. The front door keeps what AWS does differently
 * from a plain broker: retained messages (none on wildcard filters), MQTT 5 topic aliases, and the
 * packet identifiers of its own deliveries, apart from the back end's.
 */
final class MqttRelay extends MqttConnectionHandler implements BackendConnection.Listener, SharedSubscriptions.Member {

    static final String NAME = "mqtt-relay";

    /** Retained deliveries take packet IDs from the top of the range so they never meet the back end's (from 1). */
    private static final int RETAINED_PACKET_IDS_FROM = 60_000;

    private final List<String> filters = new ArrayList<>();
    private final Map<Integer, String> topicAliases = new HashMap<>();
    private final Map<Integer, Pending> pendingSubscriptions = new HashMap<>();
    /** Packet IDs of the front door's own deliveries (retained and shared messages): their PUBACKs stay here. */
    private final Set<Integer> frontDoorPacketIds = new HashSet<>();
    private int nextRetainedPacketId = RETAINED_PACKET_IDS_FROM;
    /** The front door's deliveries waiting for room in AWS's window of unacknowledged QoS 1 messages. */
    private final ArrayDeque<MqttPublishMessage> heldBack = new ArrayDeque<>();
    /** QoS 1 messages the back end delivered to the client and the client has not acknowledged yet. */
    private int backendInFlight;
    /** QoS 1 publishes of the client relayed to the back end and not acknowledged by it yet. */
    private int clientInFlight;
    private boolean clientInFlightFlagged;
    /** Stored messages of a resumed session, waiting for their turn in AWS's replay pace. */
    private final ArrayDeque<MqttPublishMessage> replay = new ArrayDeque<>();
    private boolean replaying;
    private boolean replayScheduled;
    private long lastReplayArrivalNanos;
    private long nextReplayNanos = System.nanoTime();
    /** The shared subscriptions this connection holds, by the filter as the client wrote it. */
    private final Map<String, MqttPolicy.SharedFilter> sharedHeld = new HashMap<>();
    /** Arrival times and sizes of the last second's admitted publishes, for AWS's per-connection rate quotas. */
    private final ArrayDeque<long[]> recentPublishes = new ArrayDeque<>();
    private long recentPublishBytes;
    private boolean rateFlagged;

    MqttRelay(MqttConnection connection) {
        super(connection);
        connection.channel.closeFuture().addListener(closed -> connectionClosed());
    }

    /** The end of the connection: its place in shared groups goes, and what waited for the window is dropped. */
    private void connectionClosed() {
        sharedHeld.values().forEach(shared -> connection.layer.shared().leave(shared.group(), shared.filter(), this));
        sharedHeld.clear();
        heldBack.forEach(ReferenceCountUtil::release);
        heldBack.clear();
        replay.forEach(ReferenceCountUtil::release);
        replay.clear();
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
                    backendInFlight = Math.max(0, backendInFlight - 1);
                    connection.backend.send(MqttPackets.pubAck(id));
                }
                sendHeldBack();
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
        if (overRate(publish.payload().readableBytes())) {
            // AWS discards publishes past the rate (quotas page); a QoS 1 one is still answered (INF), with
            // 0x97 (Quota exceeded) for MQTT 5, so that the client is not left waiting on it.
            if (qos == 1) {
                connection.send(connection.mqttVersion == 5
                        ? MqttPackets.pubAck(publish.variableHeader().packetId(), MqttPolicy.REASON_QUOTA_EXCEEDED)
                        : MqttPackets.pubAck(publish.variableHeader().packetId()));
            }
            return;
        }
        if (qos == 1 && !withinReceiveMaximum()) {
            return;
        }
        byte[] serviceRequest = null;
        if (DeviceServices.isRequest(topic)) {
            serviceRequest = new byte[publish.payload().readableBytes()];
            publish.payload().getBytes(publish.payload().readerIndex(), serviceRequest);
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
        if (serviceRequest != null) {
            serve(topic, serviceRequest);
        }
    }

    /**
     * A request to the device services: its checks go on this connection's record; replies for subscribers
     * go out as the broker's publishes, a requester-only one (a new certificate) to this connection alone,
     * on a subscription of its that matches (AWS answers nobody who did not subscribe to the reply topic).
     */
    private void serve(String topic, byte[] request) {
        ServiceEvent event = connection.layer.services().onPublish(topic, request, connection.clientId);
        connection.established.observation().addChecks(event.checks());
        for (ServiceReply reply : event.replies()) {
            if (!reply.requesterOnly()) {
                connection.layer.services().publish(List.of(reply));
            } else if (filters.stream().anyMatch(filter -> MqttPolicy.filterMatches(filter, reply.topic()))) {
                sendFromFrontDoor(MqttMessageBuilders.publish().topicName(reply.topic()).qos(MqttQoS.AT_LEAST_ONCE)
                        .retained(false).messageId(0).payload(Unpooled.wrappedBuffer(reply.payload()
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8))).build());
            }
        }
    }

    /**
     * Whether this publish is past AWS's rates (100 publishes, 512 KiB in the last second) and is to be
     * discarded; the connection is flagged once. Only admitted publishes count, so a client that keeps
     * publishing too fast still gets its 100 a second through. Under broker.quotas=flag nothing is discarded.
     */
    private boolean overRate(int payloadBytes) {
        long now = System.nanoTime();
        while (!recentPublishes.isEmpty() && now - recentPublishes.peekFirst()[0] > 1_000_000_000L) {
            recentPublishBytes -= recentPublishes.removeFirst()[1];
        }
        MqttPolicy.RateDecision rate = MqttPolicy.onPublishRate(recentPublishes.size() + 1, recentPublishBytes + payloadBytes,
                connection.layer.profile().quotas());
        boolean discard = rate != null && rate.discard();
        if (!discard) {
            recentPublishes.addLast(new long[] {now, payloadBytes});
            recentPublishBytes += payloadBytes;
        }
        if (rate != null && !rateFlagged) {
            rateFlagged = true;
            connection.established.observation().addCheck(rate.warning());
        }
        return discard;
    }

    /** Counts a QoS 1 publish in AWS's window of 100 unacknowledged ones, as {@link MqttPolicy#onReceiveMaximum} decides. */
    private boolean withinReceiveMaximum() {
        MqttPolicy.Violation past = MqttPolicy.onReceiveMaximum(clientInFlight, connection.mqttVersion == 5);
        if (past != null) {
            connection.violate(past);
            return false;
        }
        Check warning = clientInFlightFlagged ? null : MqttPolicy.onUnacknowledgedWarning(clientInFlight);
        if (warning != null) {
            clientInFlightFlagged = true;
            connection.established.observation().addCheck(warning);
        }
        clientInFlight++;
        return true;
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
        // The filters the front door answers itself (refused, or shared), with their SUBACK codes.
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
        List<CompletableFuture<Void>> joins = new ArrayList<>();
        Map<Integer, CompletableFuture<Void>> joinedAt = new TreeMap<>();
        for (int i = 0; i < requested.size(); i++) {
            MqttPolicy.SharedFilter shared = MqttPolicy.sharedFilter(requested.get(i));
            if (shared != null && !refusedCodes.containsKey(i)) {
                refusedCodes.put(i, Math.min(qos.get(i), 1));
                sharedHeld.put(requested.get(i), shared);
                CompletableFuture<Void> joined = connection.layer.shared().join(shared.group(), shared.filter(), this,
                        MqttQoS.valueOf(Math.min(qos.get(i), 1)));
                joins.add(joined);
                joinedAt.put(i, joined);
            }
        }
        Runnable rest = () -> {
            joinedAt.forEach((index, joined) -> {
                if (joined.isCompletedExceptionally()) {
                    refusedCodes.put(index, MqttPolicy.SUBACK_FAILURE);
                }
            });
            List<Integer> answeredHere = List.copyOf(refusedCodes.keySet());
            pendingSubscriptions.put(packetId, new Pending(requested, answeredHere, refusedCodes));
            if (answeredHere.size() == requested.size()) {
                answerSubscribe(packetId, List.of());
                return;
            }
            MqttMessageBuilders.SubscribeBuilder builder = MqttMessageBuilders.subscribe().messageId(packetId);
            for (int i = 0; i < requested.size(); i++) {
                if (!answeredHere.contains(i)) {
                    builder.addSubscription(MqttQoS.valueOf(qos.get(i)), requested.get(i));
                }
            }
            connection.backend.send(builder.build());
        };
        if (joins.isEmpty()) {
            rest.run();
        } else {
            // The SUBACK waits for the groups' own subscriptions, so it promises no message the client would miss.
            CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new))
                    .whenComplete((joined, failure) -> loop().execute(rest));
        }
    }

    /** A SUBSCRIBE on its way to the back end: its filters, and those the front door answers itself, with their codes. */
    private record Pending(List<String> requested, List<Integer> refused, Map<Integer, Integer> codes) {
    }

    private void onUnsubscribe(MqttUnsubscribeMessage unsubscribe) {
        List<String> topics = unsubscribe.payload().topics();
        filters.removeAll(topics);
        int packetId = unsubscribe.idAndPropertiesVariableHeader().messageId();
        List<String> backendTopics = new ArrayList<>();
        for (String topic : topics) {
            MqttPolicy.SharedFilter shared = sharedHeld.remove(topic);
            if (shared != null) {
                connection.layer.shared().leave(shared.group(), shared.filter(), this);
            } else if (MqttPolicy.sharedFilter(topic) == null) {
                backendTopics.add(topic);
            }
        }
        if (backendTopics.isEmpty()) {
            connection.send(MqttMessageBuilders.unsubAck().packetId(packetId).build());
            return;
        }
        MqttMessageBuilders.UnsubscribeBuilder builder = MqttMessageBuilders.unsubscribe().messageId(packetId);
        backendTopics.forEach(builder::addTopicFilter);
        connection.backend.send(builder.build());
    }

    @Override
    public EventLoop loop() {
        return connection.channel.eventLoop();
    }

    /** A shared group's message for this member, delivered as the front door's own. */
    @Override
    public void deliverShared(String topic, ByteBuf payload, MqttQoS qos) {
        if (connection.state == MqttConnection.State.CLOSED) {
            payload.release();
            return;
        }
        sendFromFrontDoor(MqttMessageBuilders.publish().topicName(topic).qos(qos).retained(false).messageId(0)
                .payload(payload).build());
    }

    /** What the back end sends for this client, after its CONNACK. Runs on the client's event loop. */
    @Override
    public void fromBackend(MqttMessage message) {
        try {
            switch (message.fixedHeader().messageType()) {
                case PUBLISH -> deliver((MqttPublishMessage) message);
                case PUBACK -> {
                    clientInFlight = Math.max(0, clientInFlight - 1);
                    connection.send(MqttPackets.pubAck(MqttPackets.idOf(message)));
                }
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
            sendFromFrontDoor(MqttMessageBuilders.publish().topicName(filter).qos(MqttQoS.valueOf(qos)).retained(true)
                    .messageId(0).payload(Unpooled.wrappedBuffer(stored.get().payload())).build());
        }
    }

    /**
     * A delivery of the front door's own (retained, shared), within AWS's window of 100 unacknowledged QoS 1
     * messages to the client: a QoS 1 one waits while the window is full, and gets its packet ID when it goes.
     */
    private void sendFromFrontDoor(MqttPublishMessage publish) {
        if (publish.fixedHeader().qosLevel() == MqttQoS.AT_MOST_ONCE) {
            connection.send(publish);
            return;
        }
        heldBack.addLast(publish);
        sendHeldBack();
    }

    private void sendHeldBack() {
        while (!heldBack.isEmpty() && frontDoorPacketIds.size() + backendInFlight < MqttPolicy.RECEIVE_MAXIMUM) {
            MqttPublishMessage waiting = heldBack.removeFirst();
            int packetId = nextFrontDoorPacketId();
            connection.send(new MqttPublishMessage(waiting.fixedHeader(),
                    new MqttPublishVariableHeader(waiting.variableHeader().topicName(), packetId), waiting.payload()));
        }
    }

    /** The next free packet ID of the front door's range, which the back end's (from 1) never reaches. */
    private int nextFrontDoorPacketId() {
        int packetId;
        do {
            packetId = nextRetainedPacketId;
            nextRetainedPacketId = nextRetainedPacketId == 65535 ? RETAINED_PACKET_IDS_FROM : nextRetainedPacketId + 1;
        } while (!frontDoorPacketIds.add(packetId));
        return packetId;
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
        MqttPublishMessage copy = new MqttPublishMessage(publish.fixedHeader(), publish.variableHeader(),
                publish.payload().retainedDuplicate());
        if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE && stillReplaying()) {
            replay.addLast(copy);
            sendReplay();
            return;
        }
        sendFromBackend(copy);
    }

    private void sendFromBackend(MqttPublishMessage publish) {
        if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
            backendInFlight++;
        }
        connection.send(publish);
    }

    /**
     * A resumed persistent session's stored QoS 1 messages come back at most 10 a second, as AWS's MQTT
     * page says of its replay (scaled with protocol times). The back end does not say which deliveries
     * are stored ones, so the replay is taken to last until its deliveries pause for a second (scaled).
     */
    void resumedSession() {
        replaying = true;
        lastReplayArrivalNanos = System.nanoTime();
    }

    private boolean stillReplaying() {
        if (!replaying) {
            return false;
        }
        long now = System.nanoTime();
        if (replay.isEmpty() && now - lastReplayArrivalNanos > replayQuietNanos()) {
            replaying = false;
            return false;
        }
        lastReplayArrivalNanos = now;
        return true;
    }

    private long replayIntervalNanos() {
        return connection.layer.timing().scaled(MqttPolicy.REPLAY_INTERVAL).toNanos();
    }

    private long replayQuietNanos() {
        return connection.layer.timing().scaled(Duration.ofSeconds(1)).toNanos();
    }

    private void sendReplay() {
        long now = System.nanoTime();
        while (!replay.isEmpty() && now - nextReplayNanos >= 0) {
            sendFromBackend(replay.removeFirst());
            nextReplayNanos = Math.max(now, nextReplayNanos) + replayIntervalNanos();
        }
        if (!replay.isEmpty() && !replayScheduled) {
            replayScheduled = true;
            loop().schedule(() -> {
                replayScheduled = false;
                if (connection.state != MqttConnection.State.CLOSED) {
                    sendReplay();
                }
            }, Math.max(0, nextReplayNanos - now), TimeUnit.NANOSECONDS);
        }
    }


}
