package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Debian's mosquitto clients, a real MQTT/TLS stack, against the real listeners. mosquitto sends
 * the {@code -h} host as SNI, so the endpoint name must resolve to the loopback address
 * ({@code .ci/run} adds the /etc/hosts line).
 */
class MosquittoClientsTest {

    private static final String E = BrokerFixture.ENDPOINT;
    static BrokerFixture fixture;
    static Path pub;
    static Path sub;

    @BeforeAll
    static void start() throws Exception {
        pub = RealPeer.require("mosquitto_pub", "mosquitto-clients");
        sub = RealPeer.require("mosquitto_sub", "mosquitto-clients");
        requireEndpointResolvesToLoopback();
        // Real time (scale 1): real clients keep their own keep-alive clocks.
        fixture = BrokerFixture.start(builder -> builder.timing(new io.alpnlab.broker.BrokerContext.Timing(
                Duration.ofSeconds(5), Duration.ofSeconds(2), 1.0)));
    }

    static void requireEndpointResolvesToLoopback() {
        RealPeer.requireResolvesToLoopback(E);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @BeforeEach
    void reset() {
        fixture.broker().recorder().clear();
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)));
    }

    private static List<String> tls(Path program, ListenerRole role, String clientId, String... extra) {
        List<String> command = new ArrayList<>(List.of(program.toString(), "-h", E, "-p", Integer.toString(fixture.port(role)),
                "--cafile", BrokerFixture.file("root-ca.pem").toString(),
                "--cert", BrokerFixture.file("device.cert.pem").toString(),
                "--key", BrokerFixture.file("device.key.pem").toString(), "-i", clientId));
        if (role == ListenerRole.MULTIPLEX_443) {
            command.addAll(List.of("--tls-alpn", "x-amzn-mqtt-ca"));
        }
        command.addAll(List.of(extra));
        return command;
    }

    private static void awaitSubscribed(RealPeer.Running subscriber) {
        // mosquitto_sub -d prints the SUBACK it receives; only then is a publish sure to reach it.
        subscriber.awaitOutput("received SUBACK", Duration.ofSeconds(10));
    }

    @Test
    void qos0_and_qos1_over_8883_and_443_with_alpn_reach_the_subscriber() {
        // stdbuf: mosquitto_sub buffers its output when it is not a terminal, and the test reads it live.
        List<String> command = new ArrayList<>(List.of("stdbuf", "-oL"));
        command.addAll(tls(sub, ListenerRole.MULTIPLEX_443, "m-sub", "-t", "m/#", "-q", "1", "-v", "-d", "-C", "2"));
        try (RealPeer.Running subscriber = RealPeer.start(command)) {
            awaitSubscribed(subscriber);
            RealPeer.Result qos0 = RealPeer.run(Duration.ofSeconds(15),
                    tls(pub, ListenerRole.MQTT_8883, "m-pub0", "-t", "m/zero", "-m", "q0", "-q", "0"));
            assertEquals(0, qos0.exitCode(), qos0.toString());
            RealPeer.Result qos1 = RealPeer.run(Duration.ofSeconds(15),
                    tls(pub, ListenerRole.MULTIPLEX_443, "m-pub1", "-t", "m/one", "-m", "q1", "-q", "1", "-d"));
            assertEquals(0, qos1.exitCode(), qos1.toString());
            assertTrue(qos1.stdout().contains("received PUBACK"), qos1.toString());
            RealPeer.Result done = subscriber.awaitExit(Duration.ofSeconds(10));
            assertTrue(done.stdout().contains("m/zero q0"), done.toString());
            assertTrue(done.stdout().contains("m/one q1"), done.toString());
        }
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "m-sub".equals(r.mqtt().clientId()));
        assertEquals("TLS-ALPN-01", record.verdict().rule());
        assertEquals("x-amzn-mqtt-ca", record.server().alpnSelected());
    }

    @Test
    void mosquitto_without_alpn_on_443_completes_tls_but_never_gets_a_connack() throws Exception {
        List<String> command = new ArrayList<>(List.of(pub.toString(), "-h", E, "-p",
                Integer.toString(fixture.port(ListenerRole.MULTIPLEX_443)), "--cafile", BrokerFixture.file("root-ca.pem").toString(),
                "--cert", BrokerFixture.file("device.cert.pem").toString(), "--key", BrokerFixture.file("device.key.pem").toString(),
                "-i", "no-alpn", "-t", "x", "-m", "y", "-d"));
        long mark = fixture.broker().context().lastConnectionId();
        RealPeer.Result result;
        try (RealPeer.Running hanging = RealPeer.start(command)) {
            // While the client still waits, the broker already says how the connection ends: a suite stops it here.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String settled = null;
            while (settled == null && System.nanoTime() < deadline) {
                settled = fixture.broker().context().settledOpenConnectionAfter(mark);
                Thread.sleep(20);
            }
            assertTrue(settled != null && settled.contains("TLS-ALPN-03"), "settled: " + settled);
            result = hanging.awaitExit(Duration.ofSeconds(20));
        }
        assertNotEquals(0, result.exitCode(), result.toString());
        assertFalse(result.stdout().contains("received CONNACK"), result.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> "UNAUTHENTICATED_443".equals(r.server().application()));
        assertFalse(record.server().certificateRequestSent());
        assertTrue(record.has("TLS-ALPN-03", Outcome.FAIL), record.checks() + "\n" + record.mqtt());
    }

    /**
     * mosquitto_pub -V 5 reads Maximum QoS 1 from the CONNACK (as AWS sends it) and refuses to publish at
     * QoS 2 itself: the broker never sees the PUBLISH. (A client that sends one anyway gets DISCONNECT
     * 0x9B: {@code MqttRulesTest}.)
     */
    @Test
    void mosquitto_v5_honours_the_connack_maximum_qos_and_never_sends_qos2() {
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20),
                tls(pub, ListenerRole.MQTT_8883, "q2-pub", "-V", "5", "-t", "q2/t", "-m", "x", "-q", "2", "-d"));
        assertTrue(result.stdout().contains("received CONNACK"), result.toString());
        assertFalse(result.stdout().contains("sending PUBLISH"), result.toString());
        assertTrue(result.stderr().contains("QoS not supported"), result.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "q2-pub".equals(r.mqtt().clientId()));
        assertTrue(record.mqtt().packets().stream().noneMatch(packet -> "PUBLISH".equals(packet.type())), record.mqtt().toString());
    }

    /** mosquitto_pub speaking 3.1.1 has no Maximum QoS to read: it sends QoS 2, and AWS closes the connection. */
    @Test
    void qos2_publish_from_mosquitto_311_closes_the_connection() {
        List<String> command = new ArrayList<>(List.of("timeout", "5", "stdbuf", "-oL"));
        command.addAll(tls(pub, ListenerRole.MQTT_8883, "q2-close", "-t", "q2/t", "-m", "x", "-q", "2", "-d"));
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), command);
        assertTrue(result.stdout().contains("sending PUBLISH (d0, q2"), result.toString());
        assertFalse(result.stdout().contains("received PUBREC"), result.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "q2-close".equals(r.mqtt().clientId()));
        assertEquals("MQTT-QOS-01", record.verdict().rule(), record.verdict().toString());
    }

    /** Only the $aws/ topics AWS defines are usable: an MQTT 5 subscriber to another is told 0x8F (Topic Filter invalid). */
    @Test
    void subscribing_to_an_undefined_aws_topic_gets_disconnect_0x8f_over_mqtt5() {
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), tls(sub, ListenerRole.MQTT_8883, "undefined-aws", "-V", "5",
                "-t", "$aws/nothing/#", "-W", "5", "-d"));
        assertTrue(result.stdout().contains("received CONNACK"), result.toString());
        assertFalse(result.stdout().contains("received SUBACK"), result.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "undefined-aws".equals(r.mqtt().clientId()));
        assertEquals("MQTT-TOPIC-02", record.verdict().rule(), record.verdict().toString());
        assertTrue(record.mqtt().packets().stream().anyMatch(packet -> "out".equals(packet.direction())
                && "DISCONNECT".equals(packet.type()) && packet.detail().contains("0x8F")), record.mqtt().toString());
    }

    /** A shadow filter is a topic AWS defines: the same subscriber is granted it. */
    @Test
    void subscribing_to_a_shadow_topic_is_granted() {
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), tls(sub, ListenerRole.MQTT_8883, "shadow-sub", "-V", "5",
                "-t", "$aws/things/shadow-sub/shadow/update/accepted", "-W", "1", "-d"));
        assertTrue(result.stdout().contains("received SUBACK"), result.toString());
    }

    /**
     * AWS's publish quota, enforced: of 150 publishes in a burst, 100 a second get through and the rest
     * are discarded; the connection is warned once. Under broker.quotas=flag everything is delivered.
     */
    @Test
    void a_publish_burst_past_100_a_second_is_cut_to_100_and_warned() throws Exception {
        int delivered = burstDelivered("burst");
        // Exactly 100 unless the burst itself took over a second to arrive, which a loaded machine may make it.
        assertTrue(delivered >= 100 && delivered < 150, delivered + " delivered");
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.Quotas.FLAG));
        assertEquals(150, burstDelivered("burst-flagged"), "broker.quotas=flag delivers everything");
    }

    /** How many of 150 QoS 0 publishes sent at once by mosquitto_pub -l reach a subscriber. */
    private int burstDelivered(String clientId) throws Exception {
        Path lines = Files.createTempFile("burst", ".txt");
        Files.write(lines, java.util.stream.IntStream.range(0, 150).mapToObj(i -> "reading " + i).toList());
        List<String> subscribe = new ArrayList<>(List.of("stdbuf", "-oL"));
        subscribe.addAll(tls(sub, ListenerRole.MQTT_8883, clientId + "-sub", "-t", clientId + "/t", "-v", "-d"));
        try (RealPeer.Running subscriber = RealPeer.start(subscribe)) {
            awaitSubscribed(subscriber);
            List<String> burst = new ArrayList<>(List.of("sh", "-c", "\"$0\" \"$@\" < " + lines));
            burst.addAll(tls(pub, ListenerRole.MQTT_8883, clientId, "-t", clientId + "/t", "-l", "-q", "0"));
            RealPeer.Result sent = RealPeer.run(Duration.ofSeconds(20), burst);
            assertEquals(0, sent.exitCode(), sent.toString());
            // The first 100 always pass; wait for them, then give any others time to arrive.
            subscriber.awaitOutput(clientId + "/t reading 99", Duration.ofSeconds(10));
            Thread.sleep(700);
            ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && clientId.equals(r.mqtt().clientId()));
            assertTrue(record.has("MQTT-RATE-01", Outcome.WARN), record.checks().toString());
            return (int) subscriber.output().lines().filter(line -> line.startsWith(clientId + "/t reading")).count();
        } finally {
            Files.deleteIfExists(lines);
        }
    }

    /**
     * A shared subscription ($share/<group>/<filter>) as AWS serves it, to an MQTT 3.1.1 and an MQTT 5
     * member of one group: each of 10 messages reaches exactly one of them, in turn, and the MQTT 5 CONNACK
     * says Shared Subscriptions Available.
     */
    @Test
    void a_shared_subscription_delivers_each_message_to_one_member_of_the_group() throws Exception {
        List<String> v311 = new ArrayList<>(List.of("stdbuf", "-oL"));
        v311.addAll(tls(sub, ListenerRole.MQTT_8883, "share-a", "-t", "$share/workers/jobs/#", "-q", "1", "-v", "-d"));
        List<String> v5 = new ArrayList<>(List.of("stdbuf", "-oL"));
        v5.addAll(tls(sub, ListenerRole.MULTIPLEX_443, "share-b", "-V", "5", "-t", "$share/workers/jobs/#", "-q", "1", "-v", "-d"));
        try (RealPeer.Running memberA = RealPeer.start(v311); RealPeer.Running memberB = RealPeer.start(v5)) {
            awaitSubscribed(memberA);
            awaitSubscribed(memberB);
            for (int i = 0; i < 10; i++) {
                // Each publisher has its own client ID: AWS's 1 CONNECT per second per client ID.
                RealPeer.Result sent = RealPeer.run(Duration.ofSeconds(15), tls(pub, ListenerRole.MQTT_8883, "share-pub-" + i,
                        "-t", "jobs/" + i, "-m", "job " + i, "-q", "1"));
                assertEquals(0, sent.exitCode(), sent.toString());
            }
            List<String> even = List.of("jobs/0 job 0", "jobs/2 job 2", "jobs/4 job 4", "jobs/6 job 6", "jobs/8 job 8");
            List<String> odd = List.of("jobs/1 job 1", "jobs/3 job 3", "jobs/5 job 5", "jobs/7 job 7", "jobs/9 job 9");
            // Whichever member joined first gets the first message; then they take turns.
            java.util.function.Supplier<List<String>> gotA = () -> memberA.output().lines().filter(line -> line.startsWith("jobs/"))
                    .toList();
            java.util.function.Supplier<List<String>> gotB = () -> memberB.output().lines().filter(line -> line.startsWith("jobs/"))
                    .toList();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (gotA.get().size() + gotB.get().size() < 10 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(300);
            String both = "member A:\n" + memberA.output() + "\nmember B:\n" + memberB.output();
            assertTrue(gotA.get().equals(even) && gotB.get().equals(odd) || gotA.get().equals(odd) && gotB.get().equals(even),
                    "each message to one member, in turn\n" + both);
            assertTrue(memberB.output().contains("received CONNACK"), memberB.output());
        }
        ConnectionRecord v5Record = fixture.awaitRecord(r -> r.mqtt() != null && "share-b".equals(r.mqtt().clientId()));
        assertTrue(v5Record.check("MQTT-V5-01").orElseThrow().detail().contains("Shared Subscriptions Available"),
                v5Record.checks().toString());
    }

    /**
     * A persistent session's stored QoS 1 messages come back at AWS's replay pace, 10 a second: mosquitto_sub
     * (-c) leaves, 8 messages are stored, and on its return they arrive over at least 0.7 s, all of them.
     */
    @Test
    void stored_messages_are_replayed_to_a_returning_persistent_session_at_10_a_second() throws Exception {
        RealPeer.Result join = RealPeer.run(Duration.ofSeconds(20), tls(sub, ListenerRole.MQTT_8883, "replay-sub", "-c", "-q", "1",
                "-t", "replay/t", "-W", "1"));
        assertEquals(27, join.exitCode(), "mosquitto_sub -W ends with 27 when its time is up\n" + join);
        Path lines = Files.createTempFile("replay", ".txt");
        Files.write(lines, java.util.stream.IntStream.range(0, 8).mapToObj(i -> "stored " + i).toList());
        List<String> publish = new ArrayList<>(List.of("sh", "-c", "\"$0\" \"$@\" < " + lines));
        publish.addAll(tls(pub, ListenerRole.MQTT_8883, "replay-pub", "-t", "replay/t", "-l", "-q", "1"));
        RealPeer.Result sent = RealPeer.run(Duration.ofSeconds(20), publish);
        Files.deleteIfExists(lines);
        assertEquals(0, sent.exitCode(), sent.toString());
        Thread.sleep(1100); // AWS's 1 CONNECT per second per client ID
        RealPeer.Result back = RealPeer.run(Duration.ofSeconds(20), tls(sub, ListenerRole.MQTT_8883, "replay-sub", "-c", "-q", "1",
                "-t", "replay/t", "-C", "8", "-F", "%U %p"));
        assertEquals(0, back.exitCode(), back.toString());
        List<String> received = back.stdout().lines().toList();
        assertEquals(8, received.size(), back.toString());
        double first = Double.parseDouble(received.get(0).split(" ")[0]);
        double last = Double.parseDouble(received.get(7).split(" ")[0]);
        assertTrue(last - first >= 0.65, "8 stored messages over " + (last - first) + " s; AWS replays 10 a second\n" + back);
        assertEquals(java.util.stream.IntStream.range(0, 8).mapToObj(i -> "stored " + i).toList(),
                received.stream().map(line -> line.substring(line.indexOf(' ') + 1)).toList());
    }

    /**
     * AWS's CONNECT quota, enforced: a second CONNECT for a client ID within a second of the first is
     * refused (MQTT 5: CONNACK 0x9F; 3.1.1: closed without CONNACK), and after a second it is let in again.
     */
    @Test
    void a_second_connect_within_a_second_is_throttled_and_one_after_a_second_is_admitted() throws Exception {
        RealPeer.Result first = RealPeer.run(Duration.ofSeconds(20), tls(pub, ListenerRole.MQTT_8883, "fast", "-V", "5",
                "-t", "fast/t", "-m", "1"));
        assertEquals(0, first.exitCode(), first.toString());
        RealPeer.Result v5 = RealPeer.run(Duration.ofSeconds(20), tls(pub, ListenerRole.MQTT_8883, "fast", "-V", "5",
                "-t", "fast/t", "-m", "2", "-d"));
        RealPeer.Result v311 = RealPeer.run(Duration.ofSeconds(20), tls(pub, ListenerRole.MQTT_8883, "fast",
                "-t", "fast/t", "-m", "3", "-d"));
        Thread.sleep(1100);
        RealPeer.Result later = RealPeer.run(Duration.ofSeconds(20), tls(pub, ListenerRole.MQTT_8883, "fast",
                "-t", "fast/t", "-m", "4"));
        assertNotEquals(0, v5.exitCode(), v5.toString());
        assertTrue(v5.stdout().contains("received CONNACK (159)"), "mosquitto prints the reason code 0x9F\n" + v5);
        assertNotEquals(0, v311.exitCode(), v311.toString());
        assertFalse(v311.stdout().contains("received CONNACK"), v311.toString());
        assertEquals(0, later.exitCode(), "a second after the last admitted CONNECT\n" + later);
        ConnectionRecord throttledV5 = fixture.awaitRecord(r -> r.mqtt() != null && "fast".equals(r.mqtt().clientId())
                && "MQTT-CONN-04".equals(r.verdict().rule()) && r.mqtt().packets().stream().anyMatch(p -> "CONNACK".equals(p.type())));
        ConnectionRecord throttled311 = fixture.awaitRecord(r -> r.mqtt() != null && "fast".equals(r.mqtt().clientId())
                && "MQTT-CONN-04".equals(r.verdict().rule()) && r.mqtt().packets().stream().noneMatch(p -> "CONNACK".equals(p.type())));
        List<ConnectionRecord> throttled = List.of(throttledV5, throttled311);
        assertTrue(throttled.stream().allMatch(r -> "THROTTLED".equals(r.mqtt().disconnectReason())), throttled.toString());
    }

    /**
     * Custom authentication as AWS reads it: ALPN {@code mqtt} on 443, no client certificate, and a
     * username that names its authorizer in a query string; a name no authorizer has is refused.
     */
    @Test
    void custom_authentication_username_carries_the_authorizer_name_in_a_query_string() {
        RealPeer.Result accepted = RealPeer.run(Duration.ofSeconds(20), customAuth("custom-query",
                "custom-user?x-amz-customauthorizer-name=test-authorizer&token=abc123"));
        assertEquals(0, accepted.exitCode(), accepted.toString());
        RealPeer.Result byDefault = RealPeer.run(Duration.ofSeconds(20), customAuth("custom-default", "custom-user?token=abc123"));
        assertEquals(0, byDefault.exitCode(), "no name: the default authorizer decides\n" + byDefault);
        RealPeer.Result unknown = RealPeer.run(Duration.ofSeconds(20), customAuth("custom-unknown",
                "custom-user?x-amz-customauthorizer-name=nobody"));
        assertNotEquals(0, unknown.exitCode(), unknown.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "custom-unknown".equals(r.mqtt().clientId()));
        assertEquals("MQTT-CONN-02", record.verdict().rule(), record.verdict().toString());
    }

    private static List<String> customAuth(String clientId, String username) {
        return List.of(pub.toString(), "-h", E, "-p", Integer.toString(fixture.port(ListenerRole.MULTIPLEX_443)), "--cafile",
                BrokerFixture.file("root-ca.pem").toString(), "--tls-alpn", "mqtt", "-i", clientId, "-u", username, "-P",
                "custom-secret", "-t", "custom/t", "-m", "x", "-q", "1");
    }

    /** With broker.qos2=drop, the older behaviour: no PUBREC, and the MQTT 3.1.1 connection stays. */
    @Test
    void qos2_publish_from_mosquitto_is_dropped_when_switched() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.Qos2Mode.DROP));
        List<String> command = new ArrayList<>(List.of("timeout", "3", "stdbuf", "-oL"));
        command.addAll(tls(pub, ListenerRole.MQTT_8883, "q2-drop", "-t", "q2/t", "-m", "x", "-q", "2", "-d"));
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), command);
        assertEquals(124, result.exitCode(), "mosquitto_pub waits for a PUBREC that never comes:\n" + result);
        assertFalse(result.stdout().contains("received PUBREC"), result.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "q2-drop".equals(r.mqtt().clientId()));
        assertTrue(record.has("MQTT-QOS-01", Outcome.FAIL), record.checks().toString());
    }

    @Test
    void retained_message_reaches_a_later_exact_subscriber() {
        RealPeer.Result retained = RealPeer.run(Duration.ofSeconds(15),
                tls(pub, ListenerRole.MQTT_8883, "r-pub", "-t", "r/state", "-m", "on", "-q", "1", "-r"));
        assertEquals(0, retained.exitCode(), retained.toString());
        RealPeer.Result later = RealPeer.run(Duration.ofSeconds(15),
                tls(sub, ListenerRole.MULTIPLEX_443, "r-sub", "-t", "r/state", "-q", "1", "-C", "1", "-W", "5", "-v"));
        assertEquals(0, later.exitCode(), later.toString());
        assertTrue(later.stdout().contains("r/state on"), later.toString());
    }

    @Test
    void persistent_session_gets_the_qos1_message_published_while_it_was_offline() {
        RealPeer.Result register = RealPeer.run(Duration.ofSeconds(15),
                tls(sub, ListenerRole.MQTT_8883, "p-sub", "-c", "-t", "p/orders", "-q", "1", "-W", "1"));
        // -W 1 ends the subscriber after a second without messages (exit 27): the session stays on the broker.
        assertEquals(27, register.exitCode(), register.toString());
        RealPeer.Result publish = RealPeer.run(Duration.ofSeconds(15),
                tls(pub, ListenerRole.MULTIPLEX_443, "p-pub", "-t", "p/orders", "-m", "order-7", "-q", "1", "-d"));
        assertTrue(publish.stdout().contains("received PUBACK"), publish.toString());
        RealPeer.Result resumed = RealPeer.run(Duration.ofSeconds(15),
                tls(sub, ListenerRole.MQTT_8883, "p-sub", "-c", "-t", "p/orders", "-q", "1", "-C", "1", "-W", "5", "-v"));
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.stdout().contains("p/orders order-7"), resumed.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "p-sub".equals(r.mqtt().clientId())
                && r.mqtt().packets().stream().anyMatch(packet -> packet.detail().contains("sessionPresent=true")));
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome());
    }
}
