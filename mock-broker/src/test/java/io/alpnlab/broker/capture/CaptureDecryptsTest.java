package io.alpnlab.broker.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A capture the broker writes of a real client's connection (Debian's mosquitto_pub, OpenSSL underneath) opens in
 * Wireshark's tshark and, with the key log the broker wrote beside it, decrypts to the client's MQTT packets, for
 * TLS 1.2 and TLS 1.3. Without the key log tshark sees the TLS handshake but no MQTT, so the decryption is the key
 * log's doing.
 */
class CaptureDecryptsTest {

    private static BrokerFixture fixture;
    private static Path tshark;
    private static Path pub;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        tshark = RealPeer.require("tshark", "tshark");
        pub = RealPeer.require("mosquitto_pub", "mosquitto-clients");
        RealPeer.requireResolvesToLoopback(BrokerFixture.ENDPOINT);
        fixture = BrokerFixture.start(builder -> builder.capture(true)
                .timing(new BrokerContext.Timing(Duration.ofSeconds(5), Duration.ofSeconds(2), 1.0)));
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private RealPeer.Result tshark(Path capture, Path keys, String filter, int port) {
        // The listener's port is ephemeral here: tell tshark it carries MQTT over TLS, as 8883 does by default.
        List<String> command = new java.util.ArrayList<>(List.of(tshark.toString(), "-r", capture.toString(),
                "-d", "tcp.port==" + port + ",tls", "-o", "tls.keylog_file:" + (keys == null ? "" : keys.toString()),
                "-d", "tls.port==" + port + ",mqtt", "-Y", filter, "-T", "fields", "-e", "frame.number", "-e", "_ws.col.Info"));
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(60), command);
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tlsv1.2, IoTSecurityPolicy_TLS12_1_2_2022_10", "tlsv1.3, IoTSecurityPolicy_TLS13_1_3_2022_10"})
    void tshark_decrypts_the_mqtt_of_a_captured_connection_with_its_key_log(String version, String policy) throws Exception {
        // The broker's security policy decides the version (mosquitto's --tls-version only sets its minimum).
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(BrokerFixture.ENDPOINT))
                .withSwitch("broker.security-policy", policy));
        String clientId = "capture-" + version;
        int port = fixture.port(ListenerRole.MQTT_8883);
        RealPeer.Result published = RealPeer.run(Duration.ofSeconds(15), List.of(pub.toString(), "-h", BrokerFixture.ENDPOINT,
                "-p", Integer.toString(port), "--cafile", BrokerFixture.file("root-ca.pem").toString(),
                "--cert", BrokerFixture.file("device.cert.pem").toString(), "--key", BrokerFixture.file("device.key.pem").toString(),
                "--tls-version", version, "-i", clientId, "-t", "captured/" + version, "-m", "hello-" + version, "-q", "1"));
        assertEquals(0, published.exitCode(), published.toString());
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && clientId.equals(r.mqtt().clientId()));
        ConnectionCapture capture = fixture.broker().context().capture(record.id()).orElseThrow();

        Path pcapng = dir.resolve(version + ".pcapng");
        Path keys = dir.resolve(version + ".keys");
        capture.writePcapng(pcapng);
        assertTrue(capture.writeKeyLog(keys), "a completed handshake has secrets");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)), "session secrets: owner only");
        String keyLog = Files.readString(keys);
        assertTrue(keyLog.contains(version.equals("tlsv1.3") ? "CLIENT_TRAFFIC_SECRET_0 " : "CLIENT_RANDOM "), keyLog);

        RealPeer.Result hello = tshark(pcapng, null, "tls.handshake.type == 1", port);
        assertTrue(hello.stdout().contains("Client Hello"), "the capture opens and shows the ClientHello:\n" + hello);
        RealPeer.Result withoutKeys = tshark(pcapng, null, "mqtt", port);
        assertFalse(withoutKeys.stdout().contains("Connect Command"), "no MQTT without the keys:\n" + withoutKeys);

        RealPeer.Result decrypted = tshark(pcapng, keys, "mqtt", port);
        assertTrue(decrypted.stdout().contains("Connect Command"), "the CONNECT, decrypted:\n" + decrypted);
        assertTrue(decrypted.stdout().contains("Publish Message") && decrypted.stdout().contains("captured/" + version),
                "the PUBLISH and its topic, decrypted:\n" + decrypted);
        assertTrue(decrypted.stdout().contains("Publish Ack"), "the broker's PUBACK, decrypted:\n" + decrypted);
    }
}
