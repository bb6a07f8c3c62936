package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.SharedBrokerTest;
import io.alpnlab.broker.testing.TestMqttClient;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AWS IoT Core's MQTT rules, each at its boundary, over real TLS connections to the 8883 listener
 * (and 443 where ALPN matters). Keep-alive times are scaled by 0.01 in the fixture.
 */
class MqttRulesTest extends SharedBrokerTest {

    private int port() {
        return fixture.port(ListenerRole.MQTT_8883);
    }

    private TestMqttClient client(String clientId) {
        return TestMqttClient.connected(port(), null, clientId, MqttVersion.MQTT_3_1_1);
    }

    /** An MQTT 3.1.1 client makes a persistent session with one QoS 1 subscription, then leaves with DISCONNECT. */
    private static void leavePersistentSession(int port, String clientId, String filter) {
        try (TestMqttClient client = TestMqttClient.open(port, BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            client.connect(clientId, false, 60, null);
            client.subscribe(1, 1, filter);
            client.await(MqttMessageType.SUBACK);
            client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
    }

    private ConnectionRecord recordOf(String clientId) {
        return fixture.awaitRecord(record -> record.mqtt() != null && clientId.equals(record.mqtt().clientId()));
    }

    private static String repeat(char c, int count) {
        return String.valueOf(c).repeat(count);
    }

    @Test
    void qos1_publish_is_acknowledged_and_delivered_to_a_subscriber() {
        try (TestMqttClient subscriber = client("sub-qos1"); TestMqttClient publisher = client("pub-qos1")) {
            subscriber.subscribe(1, 1, "sensors/kitchen");
            subscriber.await(MqttMessageType.SUBACK);
            publisher.publish("sensors/kitchen", "21.5", 1, 7);
            assertEquals(7, ((io.netty.handler.codec.mqtt.MqttPubAckMessage) publisher.await(MqttMessageType.PUBACK))
                    .variableHeader().messageId());
            assertEquals("21.5", TestMqttClient.text(subscriber.await(MqttMessageType.PUBLISH)));
        }
    }

    @Test
    void client_id_of_128_bytes_is_accepted_and_129_bytes_closes_the_connection() {
        try (TestMqttClient ok = client(repeat('a', 128))) {
            assertFalse(ok.isClosed());
        }
        try (TestMqttClient tooLong = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            tooLong.send(tooLong.connectMessage(repeat('b', 129), true, 60, null));
            assertTrue(tooLong.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = recordOf(repeat('b', 129));
        assertEquals("MQTT-CID-01", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("129 bytes"), record.verdict().detail());
    }

    @Test
    void client_id_starting_with_dollar_is_refused() {
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            client.send(client.connectMessage("$reserved", true, 60, null));
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-CID-01", recordOf("$reserved").verdict().rule());
    }

    @Test
    void keep_alive_is_clamped_to_aws_range() {
        try (TestMqttClient low = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1);
             TestMqttClient zero = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            low.connect("ka-low", true, 10, null);
            zero.connect("ka-zero", true, 0, null);
        }
        ConnectionRecord low = recordOf("ka-low");
        assertEquals(30, low.mqtt().keepAliveApplied());
        assertEquals(Outcome.WARN, low.check("MQTT-KA-01").orElseThrow().outcome());
        assertEquals(1200, recordOf("ka-zero").mqtt().keepAliveApplied());
    }

    @Test
    void silent_client_is_disconnected_after_one_and_a_half_keep_alives() {
        // Keep-alive 30 s, deadline 45 s, scaled by 0.01: 450 ms without a packet.
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_5)) {
            client.connect("silent", true, 30, null);
            MqttMessage disconnect = client.awaitOrNull(MqttMessageType.DISCONNECT, Duration.ofSeconds(5));
            assertNotNull(disconnect, "MQTT 5 clients are told why");
            assertEquals((byte) 0x8D, ((MqttReasonCodeAndPropertiesVariableHeader) disconnect.variableHeader()).reasonCode());
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = recordOf("silent");
        assertEquals("MQTT-KA-01", record.verdict().rule());
        assertEquals("MQTT_KEEP_ALIVE_TIMEOUT", record.mqtt().disconnectReason());
    }

    @Test
    void pingreq_keeps_the_connection_alive() throws Exception {
        try (TestMqttClient client = client("pinger")) {
            for (int i = 0; i < 4; i++) {
                Thread.sleep(200);
                client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
                assertNotNull(client.awaitOrNull(MqttMessageType.PINGRESP, Duration.ofSeconds(2)));
            }
            assertFalse(client.isClosed(), "four pings 200 ms apart kept a 450 ms deadline alive");
        }
    }

    @Test
    void first_packet_other_than_connect_closes_the_connection() {
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && r.mqtt().clientId() == null);
        assertEquals("MQTT-CONN-01", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("PINGREQ, not CONNECT"), record.verdict().detail());
    }

    @Test
    void second_connect_closes_the_connection() {
        try (TestMqttClient client = client("twice")) {
            client.send(client.connectMessage("twice", true, 60, null));
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-CONN-01", recordOf("twice").verdict().rule());
    }

    @Test
    void qos2_flow_packets_close_the_connection_as_unsupported() {
        try (TestMqttClient client = client("pubrel-sender")) {
            // PUBREL (type 6, flags 0010), remaining length 2, packet ID 1: the second step of a QoS 2 flow.
            client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 2),
                    io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader.from(1)));
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = recordOf("pubrel-sender");
        assertEquals("MQTT-PKT-01", record.verdict().rule(), record.toString());
        assertTrue(record.verdict().detail().contains("PUBREL is not supported"), record.verdict().detail());
    }

    @Test
    void publish_before_connack_closes_the_connection() {
        fixture.broker().plan().forNextConnections(null, 1, Misbehaviours.parse(List.of("withhold-connack")));
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            client.send(client.connectMessage("eager", true, 60, null));
            assertNull(client.awaitOrNull(MqttMessageType.CONNACK, Duration.ofMillis(300)), "CONNACK withheld");
            client.publish("eager/topic", "too soon", 0, 0);
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = recordOf("eager");
        assertEquals("MQTT-CONN-01", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("before the CONNACK"), record.verdict().detail());
    }

    @Test
    void topic_with_7_slashes_is_accepted_and_8_slashes_closes_the_connection() {
        try (TestMqttClient client = client("depth")) {
            client.publish("a/b/c/d/e/f/g/h", "7 slashes", 1, 1);
            client.await(MqttMessageType.PUBACK);
            client.publish("a/b/c/d/e/f/g/h/i", "8 slashes", 1, 2);
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = recordOf("depth");
        assertEquals("MQTT-TOPIC-01", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("8 slashes"), record.verdict().detail());
    }

    @Test
    void topic_of_256_bytes_is_accepted_and_257_closes_the_connection() {
        try (TestMqttClient client = client("long-topic")) {
            client.publish(repeat('t', 256), "ok", 1, 1);
            client.await(MqttMessageType.PUBACK);
            client.publish(repeat('t', 257), "too long", 1, 2);
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertTrue(recordOf("long-topic").verdict().detail().contains("257 bytes"));
    }

    @Test
    void payload_of_128_kb_is_accepted_and_one_byte_more_closes_the_connection() {
        try (TestMqttClient client = client("big-payload")) {
            client.publish("big", new byte[128 * 1024], 1, false, 1);
            client.await(MqttMessageType.PUBACK);
            client.publish("big", new byte[128 * 1024 + 1], 1, false, 2);
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        ConnectionRecord record = recordOf("big-payload");
        assertEquals("MQTT-SIZE-01", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("131073 bytes"), record.verdict().detail());
    }

    @Test
    void eight_subscriptions_per_subscribe_are_accepted_and_nine_close_the_connection() {
        try (TestMqttClient client = client("many-subs")) {
            client.subscribe(1, 1, "s/1", "s/2", "s/3", "s/4", "s/5", "s/6", "s/7", "s/8");
            assertEquals(8, ((MqttSubAckMessage) client.await(MqttMessageType.SUBACK)).payload().grantedQoSLevels().size());
            client.subscribe(2, 1, "t/1", "t/2", "t/3", "t/4", "t/5", "t/6", "t/7", "t/8", "t/9");
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-SUB-01", recordOf("many-subs").verdict().rule());
    }

    @Test
    void fifty_subscriptions_per_connection_are_granted_and_the_rest_get_0x80() {
        try (TestMqttClient client = client("fifty-subs")) {
            for (int batch = 0; batch < 7; batch++) {
                String[] filters = new String[8];
                for (int i = 0; i < 8; i++) {
                    filters[i] = "f/" + batch + "/" + i;
                }
                client.subscribe(batch + 1, 1, filters);
                List<Integer> codes = ((MqttSubAckMessage) client.await(MqttMessageType.SUBACK)).payload().grantedQoSLevels();
                assertEquals(batch < 6 ? 0 : 6, codes.stream().filter(code -> code == 0x80).count(), "batch " + batch + ": " + codes);
            }
            client.send(MqttMessage.PINGREQ);
            assertNotNull(client.awaitOrNull(MqttMessageType.PINGRESP, Duration.ofSeconds(2)), "the connection stays open");
        }
        assertEquals(Outcome.FAIL, recordOf("fifty-subs").check("MQTT-SUB-02").orElseThrow().outcome());
    }

    @Test
    void qos2_publish_closes_the_connection_by_default() {
        try (TestMqttClient client = client("qos2-close")) {
            client.publish("q2", "exactly once?", 2, 5);
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)), "AWS closes a connection that publishes at QoS 2");
        }
        ConnectionRecord record = recordOf("qos2-close");
        assertEquals("MQTT-QOS-01", record.verdict().rule());
        assertEquals(Verdict.Kind.REFUSED, record.verdict().outcome());
    }

    /** An MQTT 5 client that ignores the CONNACK's Maximum QoS 1 is told why: DISCONNECT 0x9B, QoS not supported. */
    @Test
    void qos2_publish_over_mqtt5_gets_disconnect_0x9b() {
        try (TestMqttClient client = TestMqttClient.connected(port(), null, "qos2-v5", MqttVersion.MQTT_5)) {
            client.publish("q2", "exactly once?", 2, 5);
            MqttMessage disconnect = client.await(MqttMessageType.DISCONNECT);
            assertEquals((byte) 0x9B, ((MqttReasonCodeAndPropertiesVariableHeader) disconnect.variableHeader()).reasonCode());
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-QOS-01", recordOf("qos2-v5").verdict().rule());
    }

    @Test
    void qos2_publish_gets_no_puback_and_the_connection_stays_open_when_switched_to_drop() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.Qos2Mode.DROP));
        try (TestMqttClient client = client("qos2-pub")) {
            client.publish("q2", "exactly once?", 2, 5);
            assertNull(client.awaitOrNull(MqttMessageType.PUBREC, Duration.ofMillis(400)));
            client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            assertNotNull(client.awaitOrNull(MqttMessageType.PINGRESP, Duration.ofSeconds(2)));
        }
        ConnectionRecord record = recordOf("qos2-pub");
        assertEquals(Outcome.FAIL, record.check("MQTT-QOS-01").orElseThrow().outcome());
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome());
    }

    @Test
    void qos2_subscription_gets_no_suback() {
        try (TestMqttClient client = client("qos2-sub")) {
            client.subscribe(3, 2, "q2/#");
            assertNull(client.awaitOrNull(MqttMessageType.SUBACK, Duration.ofMillis(400)));
        }
        assertEquals(Outcome.FAIL, recordOf("qos2-sub").check("MQTT-QOS-01").orElseThrow().outcome());
    }

    @Test
    void reserved_dollar_topics_close_the_connection_but_aws_topics_are_usable() {
        try (TestMqttClient client = client("dollar")) {
            client.publish("$aws/things/dollar/shadow/update", "{}", 1, 1);
            client.await(MqttMessageType.PUBACK);
            client.publish("$SYS/broker", "no", 1, 2);
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-TOPIC-02", recordOf("dollar").verdict().rule());
    }

    @Test
    void retained_messages_reach_exact_subscriptions_but_not_wildcards_and_an_empty_payload_deletes() {
        try (TestMqttClient publisher = client("retainer")) {
            publisher.publish("home/door", "open".getBytes(), 1, true, 1);
            publisher.await(MqttMessageType.PUBACK);
        }
        try (TestMqttClient exact = client("exact"); TestMqttClient wildcard = client("wildcard")) {
            exact.subscribe(1, 1, "home/door");
            exact.await(MqttMessageType.SUBACK);
            MqttPublishMessage retained = (MqttPublishMessage) exact.await(MqttMessageType.PUBLISH);
            assertEquals("open", TestMqttClient.text(retained));
            assertTrue(retained.fixedHeader().isRetain());

            wildcard.subscribe(1, 1, "home/#");
            wildcard.await(MqttMessageType.SUBACK);
            assertNull(wildcard.awaitOrNull(MqttMessageType.PUBLISH, Duration.ofMillis(500)),
                    "AWS does not deliver retained messages on wildcard subscriptions");
        }
        try (TestMqttClient deleter = client("deleter")) {
            deleter.publish("home/door", new byte[0], 1, true, 1);
            deleter.await(MqttMessageType.PUBACK);
        }
        try (TestMqttClient late = client("late")) {
            late.subscribe(1, 1, "home/door");
            late.await(MqttMessageType.SUBACK);
            assertNull(late.awaitOrNull(MqttMessageType.PUBLISH, Duration.ofMillis(500)), "the 0-byte retain deleted it");
        }
    }

    @Test
    void acknowledged_qos1_message_reaches_an_offline_persistent_subscriber_when_it_returns() {
        leavePersistentSession(port(), "persistent-sub", "orders/new");
        try (TestMqttClient publisher = client("order-publisher")) {
            publisher.publish("orders/new", "order-42", 1, 9);
            publisher.await(MqttMessageType.PUBACK);
        }
        try (TestMqttClient back = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            MqttConnAckMessage connack = back.connect("persistent-sub", false, 60, null);
            assertTrue(connack.variableHeader().isSessionPresent());
            assertEquals("order-42", TestMqttClient.text(back.await(MqttMessageType.PUBLISH)));
        }
    }

    /**
     * A broker restart is a clean slate: sessions and their queued QoS 1 messages live in memory, so a
     * persistent session does not survive it (AWS keeps them for the session expiry; a test broker that is
     * restarted starts afresh, and says so in docs/RULES.md under MQTT-SESS-01). A client must cope with
     * session present 0 anyway.
     */
    @Test
    void a_broker_restart_starts_every_session_afresh() {
        try (BrokerFixture first = BrokerFixture.start()) {
            leavePersistentSession(first.port(ListenerRole.MQTT_8883), "restart-sub", "restart/t");
        }
        try (BrokerFixture second = BrokerFixture.start();
                TestMqttClient back = TestMqttClient.open(second.port(ListenerRole.MQTT_8883), BrokerFixture.pki().device(), null,
                        MqttVersion.MQTT_3_1_1)) {
            MqttConnAckMessage connack = back.connect("restart-sub", false, 60, null);
            assertFalse(connack.variableHeader().isSessionPresent(), "a restarted broker has no session to resume");
        }
    }

    /** AWS keeps sessions per MQTT version: a 3.1.1 session is not resumed by an MQTT 5 CONNECT of the same client ID. */
    @Test
    void a_persistent_session_does_not_carry_across_mqtt_versions() {
        leavePersistentSession(port(), "cross-version", "cross/topic");
        try (TestMqttClient again = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            assertTrue(again.connect("cross-version", false, 60, null).variableHeader().isSessionPresent(), "same version resumes");
            again.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            assertTrue(again.awaitClosed(Duration.ofSeconds(5)));
        }
        MqttProperties expiry = new MqttProperties();
        expiry.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), 600));
        try (TestMqttClient v5 = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_5)) {
            assertFalse(v5.connect("cross-version", false, 60, expiry).variableHeader().isSessionPresent(),
                    "the 3.1.1 session does not carry to MQTT 5");
        }
    }

    @Test
    void second_connection_with_the_same_client_id_disconnects_the_first_with_reason_0x8e() {
        try (TestMqttClient first = TestMqttClient.connected(port(), null, "twin", MqttVersion.MQTT_5);
             TestMqttClient second = TestMqttClient.connected(port(), null, "twin", MqttVersion.MQTT_5)) {
            MqttMessage disconnect = first.await(MqttMessageType.DISCONNECT);
            assertEquals((byte) 0x8E, ((MqttReasonCodeAndPropertiesVariableHeader) disconnect.variableHeader()).reasonCode());
            assertTrue(first.awaitClosed(Duration.ofSeconds(5)));
            assertFalse(second.isClosed());
        }
        ConnectionRecord first = fixture.awaitRecord(record -> record.mqtt() != null && "twin".equals(record.mqtt().clientId())
                && "DUPLICATE_CLIENTID".equals(record.mqtt().disconnectReason()));
        assertEquals(Outcome.APPLIED, first.check("MQTT-CID-02").orElseThrow().outcome());
    }

    @Test
    void mqtt5_connack_announces_aws_limits() {
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_5)) {
            MqttConnAckMessage connack = client.connect("v5-limits", true, 60, null);
            MqttProperties properties = connack.variableHeader().properties();
            assertEquals(1, properties.getProperty(MqttProperties.MqttPropertyType.MAXIMUM_QOS.value()).value());
            assertEquals(8, properties.getProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value()).value());
            assertEquals(131072, properties.getProperty(MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE.value()).value());
            assertEquals(0, properties.getProperty(
                    MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE.value()).value());
        }
    }

    @Test
    void mqtt5_subscription_identifier_gets_disconnect_0xa1() {
        try (TestMqttClient client = TestMqttClient.connected(port(), null, "sub-id", MqttVersion.MQTT_5)) {
            MqttProperties properties = new MqttProperties();
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value(), 5));
            client.send(MqttMessageBuilders.subscribe().messageId(1).properties(properties)
                    .addSubscription(MqttQoS.AT_LEAST_ONCE, "x/y").build());
            MqttMessage disconnect = client.await(MqttMessageType.DISCONNECT);
            assertEquals((byte) 0xA1, ((MqttReasonCodeAndPropertiesVariableHeader) disconnect.variableHeader()).reasonCode());
        }
        assertEquals("MQTT-V5-01", recordOf("sub-id").verdict().rule());
    }

    @Test
    void mqtt5_topic_alias_above_8_is_refused_and_within_8_is_resolved() {
        try (TestMqttClient subscriber = TestMqttClient.connected(port(), null, "alias-sub", MqttVersion.MQTT_5);
             TestMqttClient client = TestMqttClient.connected(port(), null, "alias", MqttVersion.MQTT_5)) {
            subscriber.subscribe(1, 0, "aliased/topic");
            subscriber.await(MqttMessageType.SUBACK);
            MqttProperties setAlias = new MqttProperties();
            setAlias.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS.value(), 8));
            client.send(MqttMessageBuilders.publish().topicName("aliased/topic").qos(MqttQoS.AT_MOST_ONCE).properties(setAlias)
                    .payload(Unpooled.copiedBuffer("first".getBytes())).build());
            client.send(MqttMessageBuilders.publish().topicName("").qos(MqttQoS.AT_MOST_ONCE).properties(setAlias)
                    .payload(Unpooled.copiedBuffer("second".getBytes())).build());
            assertEquals("first", TestMqttClient.text(subscriber.await(MqttMessageType.PUBLISH)));
            assertEquals("second", TestMqttClient.text(subscriber.await(MqttMessageType.PUBLISH)));

            MqttProperties tooHigh = new MqttProperties();
            tooHigh.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS.value(), 9));
            client.send(MqttMessageBuilders.publish().topicName("x").qos(MqttQoS.AT_MOST_ONCE).properties(tooHigh)
                    .payload(Unpooled.copiedBuffer("x".getBytes())).build());
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-V5-01", recordOf("alias").verdict().rule());
    }

    @Test
    void inactive_certificate_connect_is_closed_without_connack_by_default() {
        String fingerprint = fixture.broker().pki().device().leafFingerprint();
        fixture.broker().registry().setStatus(fingerprint, DeviceStatus.INACTIVE);
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
            client.send(client.connectMessage("inactive", true, 60, null));
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
            assertNull(client.awaitOrNull(MqttMessageType.CONNACK, Duration.ZERO));
        } finally {
            fixture.broker().registry().setStatus(fingerprint, DeviceStatus.ACTIVE);
        }
        ConnectionRecord record = recordOf("inactive");
        assertEquals("TLS-CERT-03", record.verdict().rule());
        assertEquals("AUTH_ERROR", record.mqtt().disconnectReason());
    }

    /** An MQTT 5 client is told: CONNACK 0x87 (Not authorized), as AWS's MQTT page documents, then the close. */
    @Test
    void unauthorized_mqtt5_connect_gets_connack_0x87_by_default() {
        String fingerprint = fixture.broker().pki().device().leafFingerprint();
        fixture.broker().registry().setStatus(fingerprint, DeviceStatus.INACTIVE);
        try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_5)) {
            client.send(client.connectMessage("inactive-v5", true, 60, new MqttProperties()));
            MqttConnAckMessage connack = (MqttConnAckMessage) client.await(MqttMessageType.CONNACK);
            assertEquals((byte) 0x87, connack.variableHeader().connectReturnCode().byteValue());
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        } finally {
            fixture.broker().registry().setStatus(fingerprint, DeviceStatus.ACTIVE);
        }
        assertEquals("TLS-CERT-03", recordOf("inactive-v5").verdict().rule());
    }

    @Test
    void unauthorized_connect_gets_connack_5_or_7_by_switch() throws Exception {
        String fingerprint = fixture.broker().pki().device().leafFingerprint();
        fixture.broker().registry().setStatus(fingerprint, DeviceStatus.REVOKED);
        try {
            fixture.broker().context().setProfile(Profile.awsDefault(List.of(BrokerFixture.ENDPOINT))
                    .with(Profile.UnauthorizedConnect.CONNACK_5));
            try (TestMqttClient client = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
                client.send(client.connectMessage("revoked-5", true, 60, null));
                MqttConnAckMessage connack = (MqttConnAckMessage) client.await(MqttMessageType.CONNACK);
                assertEquals(5, connack.variableHeader().connectReturnCode().byteValue());
            }
            fixture.broker().context().setProfile(Profile.awsDefault(List.of(BrokerFixture.ENDPOINT))
                    .with(Profile.UnauthorizedConnect.CONNACK_7));
            // Netty's decoder rejects return code 7, which is the point of the switch: read the raw CONNACK over TLS.
            byte[] raw = RawTls.connectAndReadFirstBytes(port(), "revoked-7", 4);
            assertArrayEquals(new byte[] {0x20, 0x02, 0x00, 0x07}, raw);
        } finally {
            fixture.broker().registry().setStatus(fingerprint, DeviceStatus.ACTIVE);
        }
    }

    @Test
    void custom_authentication_on_alpn_mqtt_checks_username_and_password() {
        int port443 = fixture.port(ListenerRole.MULTIPLEX_443);
        try (TestMqttClient good = TestMqttClient.open(port443, null, "mqtt", MqttVersion.MQTT_3_1_1)) {
            good.send(MqttMessageBuilders.connect().clientId("custom-good").protocolVersion(MqttVersion.MQTT_3_1_1)
                    .cleanSession(true).keepAlive(60).hasUser(true).username("custom-user").hasPassword(true)
                    .password("custom-secret".getBytes()).build());
            assertEquals(0, ((MqttConnAckMessage) good.await(MqttMessageType.CONNACK)).variableHeader()
                    .connectReturnCode().byteValue());
        }
        try (TestMqttClient bad = TestMqttClient.open(port443, null, "mqtt", MqttVersion.MQTT_3_1_1)) {
            bad.send(MqttMessageBuilders.connect().clientId("custom-bad").protocolVersion(MqttVersion.MQTT_3_1_1)
                    .cleanSession(true).keepAlive(60).hasUser(true).username("custom-user").hasPassword(true)
                    .password("wrong".getBytes()).build());
            assertTrue(bad.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-CONN-02", recordOf("custom-bad").verdict().rule());
    }

    @Test
    void certificate_policy_limits_client_ids_and_topics_with_policy_variables() {
        var pki = fixture.broker().pki();
        var device = pki.device(io.alpnlab.certs.DeviceCertificateVariant.VALID, io.alpnlab.certs.KeyType.EC_P256);
        RegisteredDevice original = fixture.broker().registry().lookup(device.leafFingerprint()).orElseThrow();
        fixture.broker().registry().register(new RegisteredDevice(device.leafFingerprint(), DeviceStatus.ACTIVE, "kitchen-thing",
                new DevicePolicy(List.of("${iot:Connection.Thing.ThingName}"), List.of("things/${iot:ClientId}/*"),
                        List.of("things/${iot:ClientId}/*"))));
        try {
            try (TestMqttClient wrongId = TestMqttClient.open(port(), device, null, MqttVersion.MQTT_3_1_1)) {
                wrongId.send(wrongId.connectMessage("not-the-thing", true, 60, null));
                assertTrue(wrongId.awaitClosed(Duration.ofSeconds(5)));
            }
            assertEquals("MQTT-CONN-02", recordOf("not-the-thing").verdict().rule());
            try (TestMqttClient thing = TestMqttClient.open(port(), device, null, MqttVersion.MQTT_3_1_1)) {
                thing.connect("kitchen-thing", true, 60, null);
                thing.publish("things/kitchen-thing/temperature", "21", 1, 1);
                thing.await(MqttMessageType.PUBACK);
                thing.publish("things/other-thing/temperature", "21", 1, 2);
                assertTrue(thing.awaitClosed(Duration.ofSeconds(5)));
            }
            ConnectionRecord record = recordOf("kitchen-thing");
            assertEquals("MQTT-AUTHZ-01", record.verdict().rule());
            assertEquals("FORBIDDEN_ACCESS", record.mqtt().disconnectReason());
        } finally {
            fixture.broker().registry().register(original);
        }
    }

    /** MQTT 5 is told, and keeps the connection: PUBACK 0x87 for a forbidden topic, SUBACK 0x87 for a forbidden filter. */
    @Test
    void mqtt5_authorization_failures_get_reason_0x87_and_the_connection_stays() {
        var pki = fixture.broker().pki();
        var device = pki.device(io.alpnlab.certs.DeviceCertificateVariant.VALID, io.alpnlab.certs.KeyType.EC_P256);
        RegisteredDevice original = fixture.broker().registry().lookup(device.leafFingerprint()).orElseThrow();
        fixture.broker().registry().register(new RegisteredDevice(device.leafFingerprint(), DeviceStatus.ACTIVE, "v5-thing",
                new DevicePolicy(List.of("v5-thing"), List.of("things/v5-thing/*"), List.of("things/v5-thing/*"))));
        try (TestMqttClient thing = TestMqttClient.open(port(), device, null, MqttVersion.MQTT_5)) {
            thing.connect("v5-thing", true, 60, new MqttProperties());
            thing.publish("things/other/temperature", "21", 1, 7);
            MqttMessage puback = thing.await(MqttMessageType.PUBACK);
            assertEquals((byte) 0x87, ((MqttPubReplyMessageVariableHeader) puback.variableHeader()).reasonCode());
            thing.subscribe(8, 1, "things/v5-thing/cmd", "things/other/cmd");
            MqttSubAckMessage suback = (MqttSubAckMessage) thing.await(MqttMessageType.SUBACK);
            assertEquals(List.of(1, 0x87), suback.payload().reasonCodes());
            thing.publish("things/v5-thing/temperature", "22", 1, 9);
            assertEquals(0, ((MqttPubReplyMessageVariableHeader) thing.await(MqttMessageType.PUBACK).variableHeader()).reasonCode(),
                    "the connection is still there and serves allowed topics");
        } finally {
            fixture.broker().registry().register(original);
        }
        assertTrue(recordOf("v5-thing").has("MQTT-AUTHZ-01", Outcome.FAIL));
    }

    @Test
    void lifecycle_events_announce_connects_and_disconnects_with_aws_reasons() {
        try (TestMqttClient watcher = client("watcher")) {
            watcher.subscribe(1, 0, "$aws/events/presence/connected/+", "$aws/events/presence/disconnected/+");
            watcher.await(MqttMessageType.SUBACK);
            try (TestMqttClient device = client("lifecycle-device")) {
                MqttPublishMessage connected = awaitTopic(watcher, "$aws/events/presence/connected/lifecycle-device");
                assertTrue(TestMqttClient.text(connected).contains("\"eventType\":\"connected\""));
                device.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            }
            MqttPublishMessage disconnected = awaitTopic(watcher, "$aws/events/presence/disconnected/lifecycle-device");
            assertTrue(TestMqttClient.text(disconnected).contains("\"disconnectReason\":\"CLIENT_INITIATED_DISCONNECT\""),
                    TestMqttClient.text(disconnected));
        }
    }

    /** The next PUBLISH on this topic; others (the watcher's own lifecycle events) are skipped. */
    private static MqttPublishMessage awaitTopic(TestMqttClient client, String topic) {
        for (int i = 0; i < 10; i++) {
            MqttPublishMessage publish = (MqttPublishMessage) client.await(MqttMessageType.PUBLISH);
            if (publish.variableHeader().topicName().equals(topic)) {
                return publish;
            }
        }
        throw new AssertionError("no PUBLISH on " + topic);
    }

    @Test
    void withheld_puback_suback_and_pingresp_are_not_sent() {
        fixture.broker().plan().forNextConnections(null, 1,
                Misbehaviours.parse(List.of("withhold-puback", "withhold-suback", "withhold-pingresp")));
        try (TestMqttClient client = client("withheld")) {
            client.publish("w/t", "x", 1, 3);
            assertNull(client.awaitOrNull(MqttMessageType.PUBACK, Duration.ofMillis(300)));
            client.subscribe(4, 1, "w/#");
            assertNull(client.awaitOrNull(MqttMessageType.SUBACK, Duration.ofMillis(300)));
            client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            assertNull(client.awaitOrNull(MqttMessageType.PINGRESP, Duration.ofMillis(300)));
        }
        ConnectionRecord record = recordOf("withheld");
        assertTrue(record.mqtt().packets().stream().anyMatch(packet -> packet.detail().contains("withhold-puback")));
    }

    @Test
    void disconnect_after_and_refuse_first_connections_misbehaviours() {
        fixture.broker().plan().forNextConnections(null, 1, Misbehaviours.parse(List.of("disconnect-after=200")));
        try (TestMqttClient client = client("dropped")) {
            assertTrue(client.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("SERVER_INITIATED_DISCONNECT", recordOf("dropped").mqtt().disconnectReason());

        fixture.broker().plan().setDefaults(Misbehaviours.parse(List.of("refuse-first-connections=2")));
        for (int attempt = 1; attempt <= 2; attempt++) {
            try (TestMqttClient refused = TestMqttClient.open(port(), BrokerFixture.pki().device(), null, MqttVersion.MQTT_3_1_1)) {
                refused.send(refused.connectMessage("retrier", true, 60, null));
                assertTrue(refused.awaitClosed(Duration.ofSeconds(5)), "attempt " + attempt + " refused");
            }
        }
        try (TestMqttClient third = client("retrier")) {
            assertFalse(third.isClosed());
        }
    }

    /** Raw TLS for the one case Netty's MQTT decoder cannot read: a non-standard CONNACK return code. */
    static final class RawTls {
        static byte[] connectAndReadFirstBytes(int port, String clientId, int count) throws Exception {
            var device = BrokerFixture.pki().device();
            java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("device", device.privateKey(), new char[0], device.chain().toArray(new java.security.cert.Certificate[0]));
            javax.net.ssl.KeyManagerFactory keyManagers = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
            keyManagers.init(keys, new char[0]);
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("root", BrokerFixture.pki().trustedRoots().get(0));
            javax.net.ssl.TrustManagerFactory trustManagers = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            trustManagers.init(trust);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
                 javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                         .createSocket(plain, BrokerFixture.ENDPOINT, port, true)) {
                tls.setSoTimeout(10_000);
                byte[] id = clientId.getBytes();
                // MQTT 3.1.1 CONNECT: header 0x10, remaining length, "MQTT", level 4, clean session, keep-alive 60, client ID.
                java.io.ByteArrayOutputStream connect = new java.io.ByteArrayOutputStream();
                connect.write(0x10);
                connect.write(12 + id.length);
                connect.write(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, (byte) id.length});
                connect.write(id);
                tls.getOutputStream().write(connect.toByteArray());
                return tls.getInputStream().readNBytes(count);
            }
        }
    }
}
