package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.observe.MqttObservation;
import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * AWS IoT Core's MQTT behaviour for one client connection. Each packet is decided on by
 * {@link MqttPolicy}; what passes is relayed to the back end (embedded Moquette or an upstream
 * broker) over its own MQTT 3.1.1 connection, which keeps sessions, subscriptions and retained
 * messages. Everything the client sends and receives is recorded on the connection's record.
 */
public final class AwsMqttHandler extends ChannelInboundHandlerAdapter implements ClientSessions.Session {

    static final String KEEP_ALIVE_HANDLER = "mqtt-keepalive";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AwsMqttHandler.class);

    private enum State { AWAITING_CONNECT, AWAITING_BACKEND, CONNECTED, CLOSED }

    private final MqttLayer layer;
    private final TlsEstablished established;
    private final MqttObservation mqtt;
    private final Misbehaviours misbehaviours;
    private ChannelHandlerContext ctx;
    private State state = State.AWAITING_CONNECT;
    private int mqttVersion;
    private String clientId;
    private Duration sessionExpiry = Duration.ZERO;
    private DevicePolicy devicePolicy;
    private Map<String, String> policyVariables = Map.of();
    private BackendConnection backend;
    private final List<String> filters = new ArrayList<>();
    private final Map<Integer, String> topicAliases = new HashMap<>();
    private final Set<Integer> swallowedPubacks = new HashSet<>();
    private final Map<Integer, List<String>> pendingSubscriptions = new HashMap<>();
    /** Packet IDs of the front door's own deliveries (retained messages): their PUBACKs stay here. */
    private final Set<Integer> frontDoorPacketIds = new HashSet<>();
    private static final int RETAINED_PACKET_IDS_FROM = 60_000;
    private int nextRetainedPacketId = RETAINED_PACKET_IDS_FROM;
    private int packetsFromClient;
    private boolean pubackWithheld;
    private boolean subackWithheld;
    private String disconnectReason;
    private boolean clientDisconnected;
    private ScheduledFuture<?> scheduledDisconnect;

    AwsMqttHandler(MqttLayer layer, TlsEstablished established) {
        this.layer = layer;
        this.established = established;
        this.mqtt = established.observation().mqtt();
        this.misbehaviours = established.misbehaviours();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof MqttMessage message)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            onClientPacket(message);
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void onClientPacket(MqttMessage message) {
        if (state == State.CLOSED) {
            return;
        }
        if (message.decoderResult().isFailure()) {
            Throwable cause = message.decoderResult().cause();
            mqtt.packet(true, "MALFORMED", String.valueOf(cause.getMessage()));
            if (cause instanceof TooLongFrameException) {
                violate(new MqttPolicy.Violation(Rule.MQTT_SIZE_01, "packet larger than the broker accepts: "
                        + cause.getMessage(), MqttPolicy.REASON_PACKET_TOO_LARGE, "CLIENT_ERROR"));
            } else {
                violate(new MqttPolicy.Violation(Rule.MQTT_PKT_01, "malformed MQTT packet: " + cause.getMessage(),
                        MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
            }
            return;
        }
        MqttMessageType type = message.fixedHeader().messageType();
        mqtt.packet(true, type.name(), describe(message));
        packetsFromClient++;
        if (state == State.AWAITING_CONNECT) {
            if (type != MqttMessageType.CONNECT) {
                violate(new MqttPolicy.Violation(Rule.MQTT_CONN_01, "the first packet was " + type + ", not CONNECT",
                        (byte) 0, "CLIENT_ERROR"));
                return;
            }
            onConnect((MqttConnectMessage) message);
            return;
        }
        if (state == State.AWAITING_BACKEND || !connackSent) {
            violate(new MqttPolicy.Violation(Rule.MQTT_CONN_01, type + " sent before the CONNACK; wait for CONNACK",
                    MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
            return;
        }
        switch (type) {
            case CONNECT -> violate(new MqttPolicy.Violation(Rule.MQTT_CONN_01, "second CONNECT on one connection",
                    MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
            case PUBLISH -> onPublish((MqttPublishMessage) message);
            case PUBACK -> {
                int id = idOf(message);
                if (!frontDoorPacketIds.remove(id)) {
                    backend.send(pubAck(id));
                }
            }
            case SUBSCRIBE -> onSubscribe((MqttSubscribeMessage) message);
            case UNSUBSCRIBE -> onUnsubscribe((MqttUnsubscribeMessage) message);
            case PINGREQ -> {
                if (misbehaviours.withholdPingresp()) {
                    mqtt.packet(false, "PINGRESP", "withheld (misbehaviour withhold-pingresp)");
                } else {
                    send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0)));
                }
            }
            case DISCONNECT -> {
                clientDisconnected = true;
                close("CLIENT_INITIATED_DISCONNECT");
            }
            case PUBREC, PUBREL, PUBCOMP, AUTH -> violate(new MqttPolicy.Violation(Rule.MQTT_PKT_01, type
                    + " is not supported by AWS IoT Core (no QoS 2 flows, no MQTT 5 AUTH)", MqttPolicy.REASON_PROTOCOL_ERROR,
                    "CLIENT_ERROR"));
            default -> violate(new MqttPolicy.Violation(Rule.MQTT_PKT_01, type + " is not a packet a client sends",
                    MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
        }
        if (misbehaviours.disconnectAfterPackets() > 0 && packetsFromClient >= misbehaviours.disconnectAfterPackets()
                && state == State.CONNECTED) {
            serverDisconnect("misbehaviour disconnect-after-packets=" + misbehaviours.disconnectAfterPackets());
        }
    }

    private boolean connackSent;

    private void onConnect(MqttConnectMessage connect) {
        mqttVersion = connect.variableHeader().version();
        clientId = connect.payload().clientIdentifier();
        Long sessionExpirySeconds = null;
        if (mqttVersion == 5) {
            MqttProperties.MqttProperty<?> expiry = connect.variableHeader().properties()
                    .getProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
            if (expiry != null) {
                sessionExpirySeconds = Integer.toUnsignedLong((Integer) expiry.value());
            }
        }
        String username = connect.payload().userName();
        byte[] passwordBytes = connect.payload().passwordInBytes();
        String password = passwordBytes == null ? null : new String(passwordBytes, StandardCharsets.UTF_8);
        boolean customAuth = established.application() == Application.MQTT_CUSTOM_AUTH;
        devicePolicy = established.device() == null ? null : established.device().policy();
        Map<String, String> variables = new HashMap<>();
        variables.put("iot:ClientId", clientId);
        if (established.device() != null && established.device().thingName() != null) {
            variables.put("iot:Connection.Thing.ThingName", established.device().thingName());
        }
        if (established.clientCertificate() != null) {
            variables.put("iot:Certificate.Subject.CommonName", commonName(established.clientCertificate()
                    .getSubjectX500Principal().getName()));
        }
        policyVariables = variables;
        MqttPolicy.ConnectDecision decision = MqttPolicy.onConnect(new MqttPolicy.ConnectFacts(mqttVersion, clientId,
                connect.variableHeader().keepAliveTimeSeconds(), connect.variableHeader().isCleanSession(), sessionExpirySeconds,
                username, password, established.application(), established.deferredRefusal(), devicePolicy, variables,
                customAuth && layer.registry().authorize(username, password).isPresent()),
                layer.defaultSessionExpiry());
        established.observation().addChecks(decision.checks());
        mqtt.connect(mqttVersion == 5 ? "5.0" : mqttVersion == 4 ? "3.1.1" : "level " + mqttVersion, clientId,
                connect.variableHeader().keepAliveTimeSeconds(), decision.keepAliveApplied(),
                connect.variableHeader().isCleanSession(), username);
        if (decision.violation() != null) {
            if (decision.notAuthorized()) {
                refuseUnauthorized(decision.violation());
            } else {
                violate(decision.violation());
            }
            return;
        }
        if (layer.plan().shouldRefuseConnect(misbehaviours)) {
            established.observation().addCheck(Check.applied(Rule.CLIENT_RETRY_01, "misbehaviour refuse-first-connections: "
                    + "CONNECT closed without CONNACK"));
            mqtt.disconnectReason("refused by misbehaviour refuse-first-connections");
            state = State.CLOSED;
            ctx.close();
            return;
        }
        sessionExpiry = decision.sessionExpiry();
        // AWS disconnects after 1.5 x keep-alive without a packet; scaled so tests need not wait real minutes.
        long idleMillis = layer.timing().scaled(MqttPolicy.keepAliveDeadline(decision.keepAliveApplied())).toMillis();
        ctx.pipeline().addBefore(ctx.name(), KEEP_ALIVE_HANDLER, new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        layer.sessions().connected(clientId, this);
        state = State.AWAITING_BACKEND;
        boolean clean = connect.variableHeader().isCleanSession();
        backend = BackendConnection.open(ctx.channel().eventLoop(), layer.backend(), clientId, clean, new BackendListener());
    }

    /** AWS's treatment of an unauthorized CONNECT, by switch: close (observed), CONNACK 5, or CONNACK 7 (2022 docs). */
    private void refuseUnauthorized(MqttPolicy.Violation violation) {
        Profile.UnauthorizedConnect treatment = layer.profile().unauthorizedConnect();
        established.observation().refuse(new Refusal(violation.rule(), Refusal.NO_ALERT, violation.detail()
                + " (broker.unauthorized-connect=" + treatment.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ")"));
        mqtt.disconnectReason(violation.lifecycleReason());
        state = State.CLOSED;
        if (treatment == Profile.UnauthorizedConnect.CLOSE) {
            ctx.close();
            return;
        }
        if (treatment == Profile.UnauthorizedConnect.CONNACK_7 && mqttVersion == 4) {
            // Code 7 is not an MQTT 3.1.1 return code, so Netty's encoder has no constant for it: the four
            // bytes are CONNACK type (0x20), remaining length 2, no session present, return code 7.
            mqtt.packet(false, "CONNACK", "return code 7 (non-standard, as AWS's 2022 docs describe)");
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x20, 0x02, 0x00, 0x07}))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        MqttConnectReturnCode code = mqttVersion == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
                : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
        MqttConnAckMessage connack = MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build();
        mqtt.packet(false, "CONNACK", "refused: " + code);
        ctx.writeAndFlush(connack).addListener(ChannelFutureListener.CLOSE);
    }

    private void onPublish(MqttPublishMessage publish) {
        String topic = publish.variableHeader().topicName();
        if (mqttVersion == 5) {
            MqttProperties.MqttProperty<?> alias = publish.variableHeader().properties()
                    .getProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS.value());
            if (alias != null) {
                int value = (Integer) alias.value();
                MqttPolicy.Violation aliasViolation = MqttPolicy.onTopicAlias(value);
                if (aliasViolation != null) {
                    violate(aliasViolation);
                    return;
                }
                if (topic.isEmpty()) {
                    topic = topicAliases.get(value);
                    if (topic == null) {
                        violate(new MqttPolicy.Violation(Rule.MQTT_V5_01, "topic alias " + value + " used before it was set",
                                MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
                        return;
                    }
                } else {
                    topicAliases.put(value, topic);
                }
            }
        }
        int qos = publish.fixedHeader().qosLevel().value();
        MqttPolicy.Violation violation = MqttPolicy.onPublish(topic, qos, publish.fixedHeader().isRetain(),
                publish.payload().readableBytes(), devicePolicy, policyVariables);
        if (violation != null) {
            if (violation.rule() == Rule.MQTT_QOS_01) {
                // AWS drops a QoS 2 PUBLISH without any acknowledgement and keeps the connection.
                established.observation().addCheck(Check.fail(violation.rule(), violation.detail()));
                return;
            }
            violate(violation);
            return;
        }
        int packetId = publish.variableHeader().packetId();
        if (qos == 1 && misbehaviours.withholdPuback() && !pubackWithheld) {
            // Only the first: Device Advisor's retry test expects the resend to be acknowledged.
            pubackWithheld = true;
            swallowedPubacks.add(packetId);
        }
        if (publish.fixedHeader().isRetain()) {
            byte[] payload = new byte[publish.payload().readableBytes()];
            publish.payload().getBytes(publish.payload().readerIndex(), payload);
            layer.retained().retain(topic, payload, qos);
        }
        // The retain flag stays with the front door's store (AWS semantics); the back end only relays.
        MqttPublishMessage relayed = new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, publish.fixedHeader().isDup(), publish.fixedHeader().qosLevel(),
                        false, 0),
                new MqttPublishVariableHeader(topic, packetId), publish.payload().retainedDuplicate());
        backend.send(relayed);
    }

    private void onSubscribe(MqttSubscribeMessage subscribe) {
        List<String> requested = new ArrayList<>();
        List<Integer> qos = new ArrayList<>();
        for (MqttTopicSubscription subscription : subscribe.payload().topicSubscriptions()) {
            requested.add(subscription.topicName());
            qos.add(subscription.qualityOfService().value());
        }
        boolean subscriptionIdentifier = mqttVersion == 5 && subscribe.idAndPropertiesVariableHeader().properties()
                .getProperty(MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()) != null;
        MqttPolicy.Violation violation = MqttPolicy.onSubscribe(requested, qos, subscriptionIdentifier, devicePolicy,
                policyVariables);
        if (violation != null) {
            if (violation.rule() == Rule.MQTT_QOS_01) {
                established.observation().addCheck(Check.fail(violation.rule(), violation.detail()));
                return; // no SUBACK, as AWS documents
            }
            violate(violation);
            return;
        }
        int packetId = subscribe.idAndPropertiesVariableHeader().messageId();
        pendingSubscriptions.put(packetId, requested);
        MqttMessageBuilders.SubscribeBuilder builder = MqttMessageBuilders.subscribe().messageId(packetId);
        for (int i = 0; i < requested.size(); i++) {
            builder.addSubscription(MqttQoS.valueOf(qos.get(i)), requested.get(i));
        }
        backend.send(builder.build());
    }

    private void onUnsubscribe(MqttUnsubscribeMessage unsubscribe) {
        List<String> topics = unsubscribe.payload().topics();
        filters.removeAll(topics);
        MqttMessageBuilders.UnsubscribeBuilder builder = MqttMessageBuilders.unsubscribe()
                .messageId(unsubscribe.idAndPropertiesVariableHeader().messageId());
        topics.forEach(builder::addTopicFilter);
        backend.send(builder.build());
    }

    /** What the back end sends for this client. Runs on the client's event loop. */
    private final class BackendListener implements BackendConnection.Listener {
        @Override
        public void fromBackend(MqttMessage message) {
            try {
                if (state == State.CLOSED) {
                    return;
                }
                switch (message.fixedHeader().messageType()) {
                    case CONNACK -> onBackendConnack((MqttConnAckMessage) message);
                    case PUBLISH -> deliver((MqttPublishMessage) message);
                    case PUBACK -> {
                        int id = idOf(message);
                        if (swallowedPubacks.remove(id)) {
                            mqtt.packet(false, "PUBACK", "id " + id + " withheld (misbehaviour withhold-puback)");
                        } else {
                            send(pubAck(id));
                        }
                    }
                    case SUBACK -> onBackendSuback((MqttSubAckMessage) message);
                    case UNSUBACK -> send(MqttMessageBuilders.unsubAck().packetId(idOf(message)).build());
                    default -> {
                    }
                }
            } finally {
                ReferenceCountUtil.release(message);
            }
        }

        @Override
        public void backendClosed() {
            if (state != State.CLOSED) {
                established.observation().addCheck(Check.applied(Rule.MQTT_CONN_01, "the back-end broker closed its"
                        + " connection (" + layer.backend().describe() + ")"));
                close("SERVER_ERROR");
            }
        }
    }

    private void onBackendConnack(MqttConnAckMessage connack) {
        if (connack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            established.observation().refuse(new Refusal(Rule.MQTT_CONN_02, Refusal.NO_ALERT, "the back-end broker refused"
                    + " the session: " + connack.variableHeader().connectReturnCode()));
            close("SERVER_ERROR");
            return;
        }
        state = State.CONNECTED;
        layer.lifecycle().connected(clientId, established, ctx.channel());
        if (misbehaviours.withholdConnack()) {
            mqtt.packet(false, "CONNACK", "withheld (misbehaviour withhold-connack)");
            return;
        }
        boolean sessionPresent = connack.variableHeader().isSessionPresent();
        MqttMessageBuilders.ConnAckBuilder builder = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(sessionPresent);
        if (mqttVersion == 5) {
            MqttProperties properties = new MqttProperties();
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.MAXIMUM_QOS.value(), 1));
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value(),
                    MqttPolicy.TOPIC_ALIAS_MAXIMUM));
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE.value(),
                    MqttPolicy.MAX_PAYLOAD_BYTES));
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE.value(), 0));
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.RETAIN_AVAILABLE.value(), 1));
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE.value(), 0));
            builder.properties(properties);
            established.observation().addCheck(Check.applied(Rule.MQTT_V5_01, "CONNACK: Maximum QoS 1, Topic Alias Maximum "
                    + MqttPolicy.TOPIC_ALIAS_MAXIMUM + ", Maximum Packet Size " + MqttPolicy.MAX_PAYLOAD_BYTES
                    + ", Subscription Identifiers not available"));
        }
        connackSent = true;
        send(builder.build());
        if (!misbehaviours.disconnectAfter().isZero()) {
            scheduledDisconnect = ctx.executor().schedule(() -> serverDisconnect("misbehaviour disconnect-after="
                    + misbehaviours.disconnectAfter().toMillis() + "ms"), misbehaviours.disconnectAfter().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private void onBackendSuback(MqttSubAckMessage suback) {
        int id = suback.variableHeader().messageId();
        List<String> granted = pendingSubscriptions.remove(id);
        List<Integer> codes = suback.payload().grantedQoSLevels();
        if (granted != null) {
            for (int i = 0; i < granted.size() && i < codes.size(); i++) {
                if (codes.get(i) < 0x80) {
                    filters.add(granted.get(i));
                }
            }
        }
        if (misbehaviours.withholdSuback() && !subackWithheld) {
            subackWithheld = true;
            mqtt.packet(false, "SUBACK", "id " + id + " withheld (misbehaviour withhold-suback)");
            return;
        }
        send(MqttMessageBuilders.subAck().packetId(id).addGrantedQoses(codes.stream().map(MqttQoS::valueOf)
                .toArray(MqttQoS[]::new)).build());
        if (granted != null) {
            deliverRetained(granted, codes);
        }
    }

    /**
     * Retained messages for new subscriptions, from the front door's store: only filters without
     * wildcards get one, as at AWS. They go out at the lower of the stored and granted QoS, with
     * packet IDs from the top of the range so they never meet the back end's (which count from 1).
     */
    private void deliverRetained(List<String> granted, List<Integer> codes) {
        for (int i = 0; i < granted.size() && i < codes.size(); i++) {
            String filter = granted.get(i);
            int grantedQos = codes.get(i);
            if (grantedQos >= 0x80 || !MqttPolicy.deliversRetained(filter, List.of(filter))) {
                continue;
            }
            var stored = layer.retained().get(filter);
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
            send(MqttMessageBuilders.publish().topicName(filter).qos(MqttQoS.valueOf(qos)).retained(true).messageId(packetId)
                    .payload(Unpooled.wrappedBuffer(stored.get().payload())).build());
        }
    }

    /** A message for the client. A retained one that only wildcard filters match is dropped, as AWS does. */
    private void deliver(MqttPublishMessage publish) {
        String topic = publish.variableHeader().topicName();
        if (publish.fixedHeader().isRetain() && !MqttPolicy.deliversRetained(topic, filters)) {
            mqtt.packet(false, "PUBLISH", "retained message on '" + topic + "' not delivered: only wildcard"
                    + " subscriptions match (AWS does not deliver retained messages on wildcards)");
            if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                backend.send(pubAck(publish.variableHeader().packetId()));
            }
            return;
        }
        MqttPublishMessage copy = new MqttPublishMessage(publish.fixedHeader(), publish.variableHeader(),
                publish.payload().retainedDuplicate());
        send(copy);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            violate(new MqttPolicy.Violation(Rule.MQTT_KA_01, "no packet from the client within 1.5 x its keep-alive; send"
                    + " PINGREQ before the keep-alive elapses", MqttPolicy.REASON_KEEP_ALIVE_TIMEOUT, "MQTT_KEEP_ALIVE_TIMEOUT"));
            return;
        }
        super.userEventTriggered(context, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        // A bug in handling one client's packet must not reach the pipeline's tail unexplained; the broker goes on.
        LOG.warn("conn#{} MQTT handling failed; closing this connection", established.observation().id(), cause);
        established.observation().addCheck(Check.applied(Rule.MQTT_PKT_01, "broker error: " + cause));
        close("SERVER_ERROR");
    }

    /** Another connection with this client ID arrived: AWS disconnects this one (MQTT 5 reason 0x8E). */
    @Override
    public void takenOver() {
        ctx.executor().execute(() -> {
            if (state == State.CLOSED) {
                return;
            }
            established.observation().addCheck(Check.applied(Rule.MQTT_CID_02, "a new connection with client ID '" + clientId
                    + "' took over this one"));
            sendDisconnect(MqttPolicy.REASON_SESSION_TAKEN_OVER);
            close("DUPLICATE_CLIENTID");
        });
    }

    private void serverDisconnect(String why) {
        if (state == State.CLOSED) {
            return;
        }
        established.observation().addCheck(Check.applied(Rule.CLIENT_RECONNECT_01, why));
        sendDisconnect((byte) 0x00);
        close("SERVER_INITIATED_DISCONNECT");
    }

    /** The client broke a rule: record it, tell an MQTT 5 client why, close. */
    private void violate(MqttPolicy.Violation violation) {
        if (state == State.CLOSED) {
            return;
        }
        established.observation().refuse(new Refusal(violation.rule(), Refusal.NO_ALERT, violation.detail()));
        if (violation.reasonCode() != 0) {
            sendDisconnect(violation.reasonCode());
        }
        close(violation.lifecycleReason() == null ? "CLIENT_ERROR" : violation.lifecycleReason());
    }

    private void sendDisconnect(byte reasonCode) {
        if (mqttVersion != 5 || !connackSent) {
            return;
        }
        MqttMessage disconnect = new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE,
                false, 0), new MqttReasonCodeAndPropertiesVariableHeader(reasonCode, MqttProperties.NO_PROPERTIES));
        send(disconnect);
    }

    private void close(String reason) {
        if (state == State.CLOSED) {
            return;
        }
        boolean wasConnected = state == State.CONNECTED;
        state = State.CLOSED;
        disconnectReason = reason;
        mqtt.disconnectReason(reason);
        ctx.close();
        finish(wasConnected);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) throws Exception {
        if (state != State.CLOSED) {
            boolean wasConnected = state == State.CONNECTED;
            state = State.CLOSED;
            disconnectReason = "CONNECTION_LOST";
            mqtt.disconnectReason(disconnectReason);
            finish(wasConnected);
        }
        super.channelInactive(context);
    }

    private void finish(boolean wasConnected) {
        if (scheduledDisconnect != null) {
            scheduledDisconnect.cancel(false);
        }
        if (backend != null) {
            if (clientDisconnected) {
                backend.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE,
                        false, 0)));
            }
            backend.close();
        }
        if (clientId != null && backend != null) {
            layer.sessions().disconnected(clientId, this, sessionExpiry, ctx.channel().eventLoop());
        }
        if (wasConnected) {
            layer.lifecycle().disconnected(clientId, established, ctx.channel(), disconnectReason, clientDisconnected);
        }
    }

    private void send(MqttMessage message) {
        mqtt.packet(false, message.fixedHeader().messageType().name(), describe(message));
        ctx.writeAndFlush(message);
    }

    private static MqttMessage pubAck(int packetId) {
        return MqttMessageBuilders.pubAck().packetId(packetId).build();
    }

    private static int idOf(MqttMessage message) {
        Object header = message.variableHeader();
        if (header instanceof MqttMessageIdVariableHeader id) {
            return id.messageId();
        }
        if (header instanceof io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader reply) {
            return reply.messageId();
        }
        throw new IllegalArgumentException("no packet identifier in " + message.fixedHeader().messageType());
    }

    static String describe(MqttMessage message) {
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
                    + ((MqttSubAckMessage) message).payload().grantedQoSLevels();
            case UNSUBSCRIBE -> "id=" + ((MqttUnsubscribeMessage) message).idAndPropertiesVariableHeader().messageId() + " "
                    + ((MqttUnsubscribeMessage) message).payload().topics();
            case PUBACK, UNSUBACK -> "id=" + idOf(message);
            case DISCONNECT -> message.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader reason
                    ? String.format("reason=0x%02X", reason.reasonCode()) : "";
            default -> "";
        };
    }

    private static String commonName(String distinguishedName) {
        for (String part : distinguishedName.split(",")) {
            String trimmed = part.trim();
            if (trimmed.startsWith("CN=")) {
                return trimmed.substring(3);
            }
        }
        return "";
    }
}
