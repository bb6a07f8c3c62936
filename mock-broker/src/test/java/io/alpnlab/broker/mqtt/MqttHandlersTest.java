package io.alpnlab.broker.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.testing.HandlerHarness;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Each MQTT handler at its job, driven through an EmbeddedChannel: MQTT packets in, MQTT packets
 * out (the encoder is taken out so the test reads packets, not bytes), and a stand-in back end that
 * keeps what the front door sent it and answers when the test says so.
 */
class MqttHandlersTest {

    private static final NioEventLoopGroup INTERNAL = new NioEventLoopGroup(1);

    private final HandlerHarness harness = new HandlerHarness();
    private final List<MqttMessage> toBackend = new ArrayList<>();
    private final StandInBackend backend = new StandInBackend(toBackend::add);

    @AfterAll
    static void stopInternalLoop() {
        INTERNAL.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private EmbeddedChannel connection(Misbehaviours misbehaviours) {
        return backend.connection(harness, INTERNAL.next(), misbehaviours);
    }

    private EmbeddedChannel connection() {
        return connection(Misbehaviours.NONE);
    }

    private static MqttMessage connect(String clientId) {
        return MqttMessageBuilders.connect().clientId(clientId).protocolVersion(MqttVersion.MQTT_3_1_1).keepAlive(60)
                .cleanSession(true).build();
    }

    private static MqttMessage backendConnack() {
        return MqttMessageBuilders.connAck().returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false).build();
    }

    private EmbeddedChannel connected(Misbehaviours misbehaviours) {
        EmbeddedChannel channel = connection(misbehaviours);
        channel.writeInbound(connect("dev-1"));
        backend.listener.fromBackend(backendConnack());
        return channel;
    }

    private ConnectionRecord record() {
        return harness.observation.snapshot(false);
    }

    @Test
    void gate_refuses_a_first_packet_that_is_not_connect() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(MqttMessage.PINGREQ);
        assertFalse(channel.isOpen());
        assertEquals(Rule.MQTT_CONN_01.id(), record().verdict().rule());
        assertTrue(backend.opened.isEmpty(), "no back-end session for a refused connection");
    }

    @Test
    void gate_opens_the_back_end_relays_its_connack_and_steps_aside() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(connect("dev-1"));
        assertEquals(List.of("dev-1"), backend.opened);
        assertNull(channel.readOutbound(), "no CONNACK before the back end's");
        assertNotNull(channel.pipeline().get(MqttRelay.NAME));
        assertNotNull(channel.pipeline().get(MqttKeepAlive.NAME));

        backend.listener.fromBackend(backendConnack());
        MqttConnAckMessage connack = assertInstanceOf(MqttConnAckMessage.class, channel.readOutbound());
        assertEquals(MqttConnectReturnCode.CONNECTION_ACCEPTED, connack.variableHeader().connectReturnCode());
        assertNull(channel.pipeline().get(MqttConnectGate.NAME), "the gate removes itself once the CONNACK is out");
    }

    @Test
    void gate_refuses_packets_sent_before_the_connack() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(connect("dev-1"));
        channel.writeInbound(MqttMessageBuilders.publish().topicName("a").qos(MqttQoS.AT_MOST_ONCE)
                .payload(Unpooled.EMPTY_BUFFER).build());
        assertFalse(channel.isOpen());
        assertTrue(record().verdict().detail().contains("before the CONNACK"), record().verdict().detail());
    }

    @Test
    void keep_alive_answers_pingreq_and_ends_a_silent_client_under_ka_01() {
        EmbeddedChannel channel = connected(Misbehaviours.NONE);
        channel.readOutbound();
        channel.writeInbound(MqttMessage.PINGREQ);
        MqttMessage pingresp = channel.readOutbound();
        assertEquals(MqttMessageType.PINGRESP, pingresp.fixedHeader().messageType());
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertFalse(channel.isOpen());
        assertEquals(Rule.MQTT_KA_01.id(), record().verdict().rule());
    }

    @Test
    void relay_closes_the_connection_on_a_qos2_publish_as_aws_does() {
        EmbeddedChannel channel = connected(Misbehaviours.NONE);
        toBackend.clear();
        channel.writeInbound(MqttMessageBuilders.publish().topicName("t").qos(MqttQoS.EXACTLY_ONCE).messageId(3)
                .payload(Unpooled.EMPTY_BUFFER).build());
        assertFalse(channel.isOpen());
        assertTrue(toBackend.isEmpty());
        assertEquals("MQTT-QOS-01", record().verdict().rule());
    }

    @Test
    void relay_keeps_retained_messages_and_delivers_them_after_the_suback_to_exact_filters() {
        EmbeddedChannel channel = connected(Misbehaviours.NONE);
        channel.readOutbound();
        toBackend.clear();
        channel.writeInbound(MqttMessageBuilders.publish().topicName("a/b").qos(MqttQoS.AT_MOST_ONCE).retained(true)
                .payload(Unpooled.wrappedBuffer(new byte[] {42})).build());
        MqttPublishMessage relayed = (MqttPublishMessage) toBackend.get(0);
        assertFalse(relayed.fixedHeader().isRetain(), "the front door keeps retained messages, the back end only relays");
        relayed.release();

        channel.writeInbound(MqttMessageBuilders.subscribe().messageId(7).addSubscription(MqttQoS.AT_LEAST_ONCE, "a/b").build());
        assertEquals(MqttMessageType.SUBSCRIBE, toBackend.get(1).fixedHeader().messageType());
        backend.listener.fromBackend(MqttMessageBuilders.subAck().packetId(7).addGrantedQos(MqttQoS.AT_LEAST_ONCE).build());
        assertInstanceOf(MqttSubAckMessage.class, channel.readOutbound());
        MqttPublishMessage retained = channel.readOutbound();
        assertEquals("a/b", retained.variableHeader().topicName());
        assertTrue(retained.fixedHeader().isRetain());
        retained.release();
    }

    /** AWS's window of 100 unacknowledged QoS 1 messages to a client: the front door's own deliveries wait for room. */
    @Test
    void relay_holds_its_own_deliveries_while_100_qos1_messages_are_unacknowledged() {
        EmbeddedChannel channel = connected(Misbehaviours.NONE);
        channel.readOutbound();
        channel.writeInbound(MqttMessageBuilders.publish().topicName("r/t").qos(MqttQoS.AT_LEAST_ONCE).messageId(50).retained(true)
                .payload(Unpooled.wrappedBuffer(new byte[] {1})).build());
        backend.listener.fromBackend(MqttMessageBuilders.pubAck().packetId(50).build());
        channel.readOutbound();
        for (int id = 1; id <= 100; id++) {
            backend.listener.fromBackend(MqttMessageBuilders.publish().topicName("q/t").qos(MqttQoS.AT_LEAST_ONCE).messageId(id)
                    .payload(Unpooled.wrappedBuffer(new byte[] {2})).build());
        }
        toBackend.forEach(io.netty.util.ReferenceCountUtil::release);
        toBackend.clear();
        channel.writeInbound(MqttMessageBuilders.subscribe().messageId(7).addSubscription(MqttQoS.AT_LEAST_ONCE, "r/t").build());
        backend.listener.fromBackend(MqttMessageBuilders.subAck().packetId(7).addGrantedQos(MqttQoS.AT_LEAST_ONCE).build());
        List<MqttMessage> out = drain(channel);
        assertEquals(100, out.stream().filter(message -> message instanceof MqttPublishMessage).count(), "only the back end's 100");
        assertEquals(1, out.stream().filter(message -> message instanceof MqttSubAckMessage).count());

        channel.writeInbound(MqttMessageBuilders.pubAck().packetId(1).build());
        MqttPublishMessage retained = assertInstanceOf(MqttPublishMessage.class, channel.readOutbound(), "room for one more");
        assertEquals("r/t", retained.variableHeader().topicName());
        assertEquals(60_000, retained.variableHeader().packetId(), "a packet ID of the front door's range");
        retained.release();
        assertEquals(MqttMessageType.PUBACK, toBackend.get(toBackend.size() - 1).fixedHeader().messageType(),
                "the client's PUBACK goes on to the back end");
    }

    /** Receive Maximum 100 was announced: an MQTT 5 client's 101st unacknowledged QoS 1 PUBLISH is DISCONNECT 0x93. */
    @Test
    void relay_disconnects_an_mqtt5_client_past_receive_maximum() {
        harness.broker.setProfile(harness.broker.profile().with(io.alpnlab.broker.policy.Profile.Quotas.FLAG));
        EmbeddedChannel channel = connection();
        channel.writeInbound(MqttMessageBuilders.connect().clientId("dev-5").protocolVersion(MqttVersion.MQTT_5).keepAlive(60)
                .cleanSession(true).build());
        backend.listener.fromBackend(backendConnack());
        drain(channel);
        for (int id = 1; id <= 101; id++) {
            channel.writeInbound(MqttMessageBuilders.publish().topicName("in/t").qos(MqttQoS.AT_LEAST_ONCE).messageId(id)
                    .payload(Unpooled.wrappedBuffer(new byte[] {3})).build());
        }
        assertFalse(channel.isOpen());
        assertEquals(Rule.MQTT_INFLIGHT_01.id(), record().verdict().rule(), record().verdict().toString());
        assertTrue(drain(channel).stream().anyMatch(message -> message.fixedHeader().messageType() == MqttMessageType.DISCONNECT
                && message.variableHeader() instanceof io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader header
                && header.reasonCode() == (byte) 0x93), "DISCONNECT 0x93");
        toBackend.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    /** Under broker.quotas=enforce a 101st publish within a second is discarded: MQTT 5 hears PUBACK 0x97. */
    @Test
    void relay_discards_publishes_past_100_a_second_and_answers_mqtt5_with_quota_exceeded() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(MqttMessageBuilders.connect().clientId("dev-r").protocolVersion(MqttVersion.MQTT_5).keepAlive(60)
                .cleanSession(true).build());
        backend.listener.fromBackend(backendConnack());
        drain(channel);
        toBackend.clear();
        for (int id = 1; id <= 101; id++) {
            channel.writeInbound(MqttMessageBuilders.publish().topicName("in/t").qos(MqttQoS.AT_LEAST_ONCE).messageId(id)
                    .payload(Unpooled.wrappedBuffer(new byte[] {3})).build());
            if (id <= 100) {
                backend.listener.fromBackend(MqttMessageBuilders.pubAck().packetId(id).build());
            }
        }
        assertTrue(channel.isOpen());
        assertEquals(100, toBackend.size(), "the 101st is not relayed");
        List<MqttMessage> out = drain(channel);
        MqttMessage last = out.get(out.size() - 1);
        assertEquals(MqttMessageType.PUBACK, last.fixedHeader().messageType());
        assertEquals((byte) 0x97, ((io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader) last.variableHeader()).reasonCode());
        assertEquals("WARN", record().check("MQTT-RATE-01").orElseThrow().outcome().name());
        toBackend.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    private static List<MqttMessage> drain(EmbeddedChannel channel) {
        List<MqttMessage> out = new ArrayList<>();
        for (Object message = channel.readOutbound(); message != null; message = channel.readOutbound()) {
            out.add((MqttMessage) message);
        }
        return out;
    }

    @Test
    void relay_refuses_subscriptions_past_fifty_per_connection_with_the_failure_code() {
        EmbeddedChannel channel = connected(Misbehaviours.NONE);
        channel.readOutbound();
        for (int batch = 0; batch < 7; batch++) {
            MqttMessageBuilders.SubscribeBuilder subscribe = MqttMessageBuilders.subscribe().messageId(batch + 1);
            List<MqttQoS> granted = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                subscribe.addSubscription(MqttQoS.AT_LEAST_ONCE, "s/" + batch + "/" + i);
            }
            toBackend.clear();
            channel.writeInbound(subscribe.build());
            // The back end grants what it was asked: 8 each time, then only the 2 that still fit, then none.
            int forwarded = toBackend.isEmpty() ? 0
                    : ((io.netty.handler.codec.mqtt.MqttSubscribeMessage) toBackend.get(0)).payload().topicSubscriptions().size();
            for (int i = 0; i < forwarded; i++) {
                granted.add(MqttQoS.AT_LEAST_ONCE);
            }
            if (forwarded > 0) {
                backend.listener.fromBackend(MqttMessageBuilders.subAck().packetId(batch + 1)
                        .addGrantedQoses(granted.toArray(MqttQoS[]::new)).build());
            }
            MqttSubAckMessage suback = channel.readOutbound();
            List<Integer> codes = suback.payload().grantedQoSLevels();
            long refused = codes.stream().filter(code -> code == 0x80).count();
            assertEquals(8, codes.size());
            assertEquals(batch < 6 ? 0 : batch == 6 ? 6 : 8, refused, "batch " + batch + ": " + codes);
        }
        assertTrue(channel.isOpen(), "the connection stays open");
        assertEquals("FAIL", record().check("MQTT-SUB-02").orElseThrow().outcome().name());
    }

    @Test
    void withheld_suback_takes_its_retained_messages_along() {
        Misbehaviours plan = Misbehaviours.NONE.with(Misbehaviour.WITHHOLD_SUBACK, true);
        EmbeddedChannel channel = connected(plan);
        channel.readOutbound();
        channel.writeInbound(MqttMessageBuilders.publish().topicName("c/d").qos(MqttQoS.AT_MOST_ONCE).retained(true)
                .payload(Unpooled.wrappedBuffer(new byte[] {1})).build());
        channel.writeInbound(MqttMessageBuilders.subscribe().messageId(8).addSubscription(MqttQoS.AT_MOST_ONCE, "c/d").build());
        backend.listener.fromBackend(MqttMessageBuilders.subAck().packetId(8).addGrantedQos(MqttQoS.AT_MOST_ONCE).build());
        assertNull(channel.readOutbound(), "neither the SUBACK nor the retained message");
        assertTrue(record().mqtt().packets().stream().anyMatch(packet -> packet.detail().contains("id 8 withheld")));
    }

    @Test
    void withheld_connack_leaves_the_gate_in_place() {
        Misbehaviours plan = Misbehaviours.NONE.with(Misbehaviour.WITHHOLD_CONNACK, true);
        EmbeddedChannel channel = connected(plan);
        assertNull(channel.readOutbound());
        assertNotNull(channel.pipeline().get(MqttConnectGate.NAME));
        channel.writeInbound(MqttMessage.PINGREQ);
        assertFalse(channel.isOpen());
        assertEquals(Rule.MQTT_CONN_01.id(), record().verdict().rule());
    }

    @Test
    void recorder_keeps_every_packet_in_and_out_in_order() {
        EmbeddedChannel channel = connected(Misbehaviours.NONE);
        channel.writeInbound(MqttMessage.PINGREQ);
        List<String> packets = record().mqtt().packets().stream().map(packet -> packet.direction() + " " + packet.type())
                .toList();
        assertEquals(List.of("in CONNECT", "out CONNACK", "in PINGREQ", "out PINGRESP"), packets);
        channel.finishAndReleaseAll();
    }

    @Test
    void common_name_is_read_from_the_encoded_subject_escaped_commas_included() {
        assertEquals("a,b", MqttConnectGate.commonName(new X500Principal("CN=a\\,b, O=Example").getEncoded()));
        assertEquals("", MqttConnectGate.commonName(new X500Principal("O=No Common Name").getEncoded()));
    }
}
