package io.alpnlab.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.MockBroker;
import io.alpnlab.certs.PkiSettings;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MQTT.js over MQTT 5, a client nobody here wrote, against the broker's AWS behaviours that only an
 * MQTT 5 client can see: the CONNACK properties AWS sends (Shared Subscriptions Available among them),
 * a shared subscription with two members, and PUBACK 0x97 for publishes past 100 a second.
 * It lives here because the reports module is where MQTT.js is installed (npm ci, as .ci/run does).
 */
class MqttJsV5BrokerTest {

    @Test
    void mqttjs_v5_reads_the_connack_shares_a_subscription_and_hears_quota_exceeded() throws Exception {
        RealClientsMatrixTest.requireEndpointOnLoopback();
        RealClientsMatrixTest.requireNodeModules();
        Path node = RealPeer.require("node", "nodejs");
        Path dir = Path.of("target", "mqttjs-v5").toAbsolutePath();
        BrokerSettings settings = BrokerSettings.fromProperties(Map.of("broker.pki-dir", dir.resolve("pki").toString(),
                "broker.port.mqtt-8883", "0", "broker.port.multiplex-443", "0", "broker.port.https-8443", "0",
                "broker.control-port", "-1"));
        BrokerPki files = BrokerPki.prepare(settings);
        try (MockBroker broker = MockBroker.builder(files.pki()).settings(settings).registry(files.registry(settings)).start()) {
            List<String> command = new ArrayList<>(List.of(node.toString(), "src/test/clients/mqttjs/shared-v5.js", "127.0.0.1",
                    Integer.toString(broker.port(ListenerRole.MQTT_8883)), PkiSettings.DEFAULT_ENDPOINT, files.trustBundle().toString(),
                    files.deviceCertificate().toString(), files.deviceKey().toString(), "mqttjs"));
            RealPeer.Result result = RealPeer.run(Duration.ofSeconds(40), command);
            assertEquals(0, result.exitCode(), result.toString());
            JsonNode out = new ObjectMapper().readTree(result.stdout().lines().reduce((first, last) -> last).orElseThrow());

            JsonNode connack = out.path("connack");
            assertEquals(1, connack.path("maximumQoS").asInt(-1), connack.toString());
            assertEquals(100, connack.path("receiveMaximum").asInt(), connack.toString());
            assertEquals(8, connack.path("topicAliasMaximum").asInt(), connack.toString());
            assertTrue(connack.path("sharedSubscriptionAvailable").asBoolean(false), "AWS supports $share/: " + connack);
            assertTrue(connack.path("wildcardSubscriptionAvailable").asBoolean(false), connack.toString());
            assertTrue(!connack.path("subscriptionIdentifiersAvailable").asBoolean(true), connack.toString());

            JsonNode received = out.path("received");
            List<String> all = new ArrayList<>();
            received.path("a").forEach(message -> all.add(message.asText()));
            received.path("b").forEach(message -> all.add(message.asText()));
            assertEquals(5, received.path("a").size(), "one member in turn gets each message: " + received);
            assertEquals(5, received.path("b").size(), received.toString());
            assertEquals(10, all.stream().distinct().count(), "no message twice: " + received);

            // 10 publishes before the burst, then 120 at once: past 100 in the second, the rest get 0x97.
            JsonNode codes = out.path("reasonCodes");
            assertTrue(codes.path("151").asInt() >= 20, "PUBACK 0x97 (Quota exceeded) for the excess: " + codes);
            assertEquals(120, codes.path("0").asInt() + codes.path("151").asInt(), codes.toString());
        }
    }
}
