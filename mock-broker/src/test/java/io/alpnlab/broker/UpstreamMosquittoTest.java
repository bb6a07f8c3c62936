package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.mqtt.ExternalBroker;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.TestMqttClient;
import io.alpnlab.testing.RealPeer;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream mode against a real Mosquitto broker (Debian's mosquitto) started by the test on an
 * ephemeral loopback port: messages cross in both directions, and AWS's rules stay enforced in the
 * front door even where Mosquitto itself would allow more.
 */
class UpstreamMosquittoTest {

    @TempDir
    static Path dir;
    static RealPeer.Running mosquitto;
    static int mosquittoPort;
    static BrokerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        Path program = RealPeer.require("mosquitto", "mosquitto");
        RealPeer.require("mosquitto_pub", "mosquitto-clients");
        mosquittoPort = freeLoopbackPort();
        Path config = dir.resolve("mosquitto.conf");
        Files.writeString(config, String.join("\n",
                "listener " + mosquittoPort + " 127.0.0.1",
                "allow_anonymous true",
                "persistence false",
                "log_dest stderr",
                "log_type all", ""));
        mosquitto = RealPeer.start(List.of(program.toString(), "-c", config.toString()));
        mosquitto.awaitOutput("Opening ipv4 listen socket on port " + mosquittoPort, Duration.ofSeconds(10));
        fixture = BrokerFixture.start(builder -> builder.backend(ExternalBroker.parse("mqtt://127.0.0.1:" + mosquittoPort)));
    }

    /**
     * Mosquitto cannot report an ephemeral port back, so the test asks the kernel for a free one and
     * hands it over; the short window in between is the price of a real external broker.
     */
    static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @Test
    void front_door_publishes_reach_mosquitto_subscribers_and_back() {
        assertTrue(fixture.broker().mqttBackend().contains("127.0.0.1:" + mosquittoPort), fixture.broker().mqttBackend());
        try (TestMqttClient device = TestMqttClient.connected(fixture.port(ListenerRole.MQTT_8883), null, "upstream-device",
                MqttVersion.MQTT_3_1_1)) {
            device.subscribe(1, 1, "cloud/commands");
            device.await(MqttMessageType.SUBACK);

            // A plain MQTT client talking to Mosquitto directly, as the rest of a user's system would.
            RealPeer.Result direct = RealPeer.run(Duration.ofSeconds(15), List.of("mosquitto_pub", "-h", "127.0.0.1", "-p",
                    Integer.toString(mosquittoPort), "-t", "cloud/commands", "-m", "reboot", "-q", "1"));
            assertEquals(0, direct.exitCode(), direct.toString());
            assertEquals("reboot", TestMqttClient.text(device.await(MqttMessageType.PUBLISH)));

            device.publish("cloud/telemetry", "42", 1, 5);
            device.await(MqttMessageType.PUBACK);
        }
        assertTrue(mosquitto.output().contains("Received PUBLISH from upstream-device"), "Mosquitto saw the relayed publish");
    }

    @Test
    void aws_rules_stay_enforced_in_front_of_mosquitto() {
        // Mosquitto accepts a 129-byte client ID; AWS (and so the front door) does not.
        String longId = "u".repeat(129);
        try (TestMqttClient device = TestMqttClient.open(fixture.port(ListenerRole.MQTT_8883), BrokerFixture.pki().device(),
                null, MqttVersion.MQTT_3_1_1)) {
            device.send(device.connectMessage(longId, true, 60, null));
            assertTrue(device.awaitClosed(Duration.ofSeconds(5)));
        }
        assertEquals("MQTT-CID-01", fixture.awaitRecord(record -> record.mqtt() != null && longId.equals(record.mqtt().clientId()))
                .verdict().rule());
        assertTrue(!mosquitto.output().contains(longId), "the refused client never reached Mosquitto");
    }
}
