package io.alpnlab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.alpnlab.testing.LocalImages;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.utility.DockerImageName;

/**
 * The mock broker image (built from local files) in Testcontainers: a real mosquitto client on the host
 * connects through the published ports, and the connection record comes back through the control
 * endpoint.
 */
class MockBrokerContainerTest {

    private static DockerImageName image;

    @BeforeAll
    static void buildImage() {
        image = DockerImageName.parse(LocalImages.mockBroker());
    }

    private static RealPeer.Result publish(MockBrokerContainer broker, int port, String clientId, String... extra) {
        RealPeer.require("mosquitto_pub", "mosquitto-clients");
        RealPeer.requireResolvesToLoopback(broker.getEndpoint());
        List<String> command = new java.util.ArrayList<>(List.of("mosquitto_pub", "-h", broker.getEndpoint(), "-p",
                Integer.toString(port), "--cafile", broker.getCaFile().toString(), "--cert",
                broker.getDeviceCertificateFile().toString(), "--key", broker.getDeviceKeyFile().toString(), "-i", clientId,
                "-t", "containers/hello", "-m", "hello", "-q", "1"));
        command.addAll(List.of(extra));
        return RealPeer.run(Duration.ofSeconds(20), command);
    }

    private static JsonNode recordOf(MockBrokerContainer broker, String clientId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode record : broker.getConnections()) {
                if (clientId.equals(record.path("mqtt").path("clientId").asText())) {
                    return record;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no record for " + clientId + " in " + broker.getConnections());
    }

    @Test
    void a_host_client_publishes_through_the_published_ports_and_its_record_is_read_back() throws Exception {
        try (MockBrokerContainer broker = new MockBrokerContainer(image)) {
            broker.start();
            RealPeer.Result published = publish(broker, broker.getMultiplexPort(), "container-device", "--tls-alpn",
                    "x-amzn-mqtt-ca", "-d");
            assertEquals(0, published.exitCode(), published + "\nbroker log:\n" + broker.getLogs());
            assertTrue(published.stdout().contains("received PUBACK"), published.toString());
            JsonNode record = recordOf(broker, "container-device");
            assertEquals("multiplex-443", record.path("listener").asText());
            assertEquals("TLS-ALPN-01", record.path("verdict").path("rule").asText(), record.toPrettyString());
            assertEquals("x-amzn-mqtt-ca", record.path("server").path("alpnSelected").asText());
            assertEquals(Set.of(PosixFilePermission.OWNER_READ), Files.getPosixFilePermissions(broker.getDeviceKeyFile()),
                    "the device key copied to the host is readable by its owner only");
        }
    }

    @Test
    void settings_reach_the_broker_in_the_container() throws Exception {
        try (MockBrokerContainer broker = new MockBrokerContainer(image).withMisbehaviours("serve-chain=expired")
                .withEndpoint(io.alpnlab.certs.PkiSettings.DEFAULT_ENDPOINT)) {
            broker.start();
            RealPeer.Result refused = publish(broker, broker.getMqttPort(), "container-expired");
            assertTrue(refused.exitCode() != 0, "mosquitto_pub must refuse the expired chain: " + refused);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            List<JsonNode> records = broker.getConnections();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                records = broker.getConnections();
            }
            assertEquals("TLS-VERIFY-01", records.get(0).path("verdict").path("rule").asText(), records.toString());
            assertEquals(List.of("serve-chain=expired"), List.of(records.get(0).path("server").path("misbehaviours").get(0).asText()));
        }
    }

    @Test
    void every_port_is_published_on_the_hosts_loopback_only() {
        try (MockBrokerContainer broker = new MockBrokerContainer(image)) {
            broker.start();
            var bindings = broker.getContainerInfo().getNetworkSettings().getPorts().getBindings();
            assertEquals(4, bindings.size(), bindings.toString());
            bindings.values().forEach(binding -> {
                assertEquals(1, binding.length, bindings.toString());
                assertEquals("127.0.0.1", binding[0].getHostIp(), bindings.toString());
            });
        }
    }
}
