package io.alpnlab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.testing.RealPeer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** {@link MockBrokerTest} without Docker: a real mosquitto client against the injected broker. */
@MockBrokerTest
class MockBrokerExtensionTest {

    private final EmbeddedMockBroker injectedIntoConstructor;

    MockBrokerExtensionTest(EmbeddedMockBroker broker) {
        this.injectedIntoConstructor = broker;
    }

    static RealPeer.Result publish(EmbeddedMockBroker broker, int port, String clientId, String... extra) {
        RealPeer.require("mosquitto_pub", "mosquitto-clients");
        RealPeer.requireResolvesToLoopback(broker.endpoint());
        List<String> command = new java.util.ArrayList<>(List.of("mosquitto_pub", "-h", broker.endpoint(), "-p",
                Integer.toString(port), "--cafile", broker.caFile().toString(), "--cert", broker.deviceCertificateFile().toString(),
                "--key", broker.deviceKeyFile().toString(), "-i", clientId, "-t", "testkit/hello", "-m", "hello", "-q", "1"));
        command.addAll(List.of(extra));
        return RealPeer.run(Duration.ofSeconds(20), command);
    }

    static ConnectionRecord recordOf(EmbeddedMockBroker broker, String clientId) throws InterruptedException {
        return broker.broker().recorder().await(record -> record.mqtt() != null && clientId.equals(record.mqtt().clientId()),
                Duration.ofSeconds(10));
    }

    @Test
    void a_real_client_publishes_on_443_with_alpn_and_the_record_names_the_rule(EmbeddedMockBroker broker) throws Exception {
        RealPeer.Result published = publish(broker, broker.multiplexPort(), "testkit-device", "--tls-alpn", "x-amzn-mqtt-ca");
        assertEquals(0, published.exitCode(), published.toString());
        ConnectionRecord record = recordOf(broker, "testkit-device");
        assertEquals("multiplex-443", record.listener());
        assertEquals("TLS-ALPN-01", record.verdict().rule(), record.toString());
    }

    /**
     * A test drives the device services from the broker's in-JVM API: it sets desired state on the shadow of the thing a
     * real client (mosquitto_sub, client ID = thing name) listens on, and the client gets AWS's delta document.
     */
    @Test
    void a_test_sets_desired_state_and_the_device_gets_the_delta(EmbeddedMockBroker broker) throws Exception {
        RealPeer.require("mosquitto_sub", "mosquitto-clients");
        RealPeer.requireResolvesToLoopback(broker.endpoint());
        String thing = "testkit-lamp";
        try (RealPeer.Running device = RealPeer.start(List.of("mosquitto_sub", "-h", broker.endpoint(), "-p",
                Integer.toString(broker.mqttPort()), "--cafile", broker.caFile().toString(), "--cert",
                broker.deviceCertificateFile().toString(), "--key", broker.deviceKeyFile().toString(), "-i", thing, "-t",
                "$aws/things/" + thing + "/shadow/update/delta", "-C", "1", "-W", "15", "-d"))) {
            // mosquitto_sub's output is block-buffered in a pipe: the broker's record says when it is listening.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!broker.broker().context().openConnectionHasSent(thing, "SUBACK") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(broker.broker().context().openConnectionHasSent(thing, "SUBACK"), device.output());
            broker.broker().services().setDesired(thing, "", "{\"color\":\"red\"}");
            RealPeer.Result exit = device.awaitExit(Duration.ofSeconds(15));
            assertEquals(0, exit.exitCode(), exit.toString());
            assertTrue(exit.stdout().contains("{\"version\":1,") && exit.stdout().contains("\"state\":{\"color\":\"red\"}"),
                    exit.stdout());
        }
        assertTrue(broker.broker().services().shadows().document(thing, "").orElseThrow().contains("\"desired\":{\"color\":\"red\"}"));
    }

    @Test
    void every_test_and_the_constructor_get_the_same_broker(EmbeddedMockBroker broker) {
        assertSame(injectedIntoConstructor, broker);
    }

    @Nested
    class NestedTests {
        @Test
        void a_nested_class_shares_its_outer_class_broker(EmbeddedMockBroker broker) {
            assertSame(injectedIntoConstructor, broker);
        }
    }

    @Test
    void the_annotation_configures_the_broker_and_it_is_closed_after_its_class() throws Exception {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ExpiredChainClass.class)).execute().testEvents();
        tests.assertStatistics(stats -> stats.started(1).succeeded(1));
        int port = ExpiredChainClass.port;
        assertTrue(port > 0);
        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
                "the class's broker is closed once the class is done");
    }

    /** Run by the test above through the JUnit Platform test kit, not by Surefire (it skips nested classes). */
    @MockBrokerTest(misbehave = "serve-chain=expired")
    static class ExpiredChainClass {
        static volatile int port;

        @Test
        void a_client_refuses_the_expired_chain_the_annotation_asked_for(EmbeddedMockBroker broker) throws Exception {
            port = broker.mqttPort();
            RealPeer.Result published = publish(broker, broker.mqttPort(), "testkit-expired");
            assertTrue(published.exitCode() != 0, "mosquitto_pub must refuse an expired server certificate: " + published);
            ConnectionRecord record = broker.broker().recorder().await(r -> true, Duration.ofSeconds(10));
            assertEquals("TLS-VERIFY-01", record.verdict().rule(), record.toString());
        }
    }
}
