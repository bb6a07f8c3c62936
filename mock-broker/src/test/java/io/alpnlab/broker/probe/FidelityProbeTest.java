package io.alpnlab.broker.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.certs.Pem;
import io.alpnlab.testing.RealPeer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The fidelity probe against the mock (whose fingerprint must be the one the rule catalogue predicts) and against
 * endpoints nobody here wrote, whose known behaviour the fingerprints must show: openssl s_server without and with
 * -servername_fatal and with -alpn, and Mosquitto with TLS and client certificates.
 */
// Each test has its own broker or openssl s_server on ports of its own and its own folder; most of each is waiting
// on the probes' time-outs, so they run side by side.
@Execution(ExecutionMode.CONCURRENT)
class FidelityProbeTest {

    private static final String ENDPOINT = BrokerFixture.ENDPOINT;

    @TempDir
    Path dir;

    private static FidelityProbe probe(int port8883, int port443, Duration timeout) {
        X509Certificate[] chain = Pem.readCertificates(BrokerFixture.file("device.cert.pem")).toArray(X509Certificate[]::new);
        return new FidelityProbe(new FidelityProbe.Target("127.0.0.1", ENDPOINT, port8883, port443, chain,
                Pem.readPrivateKey(BrokerFixture.file("device.key.pem")), timeout, Duration.ZERO, null));
    }

    private static Map<String, ProbeResult> byId(Fingerprint fingerprint) {
        return fingerprint.probes().stream().collect(Collectors.toMap(ProbeResult::id, result -> result));
    }

    @Test
    void the_mocks_fingerprint_is_the_one_the_rule_catalogue_predicts() throws Exception {
        // AWS's timings: a CONNECT that will never get a CONNACK is held for 30 s, so the probe sees no answer (TLS-ALPN-03).
        try (BrokerFixture fixture = BrokerFixture.start(builder -> builder.timing(
                new BrokerContext.Timing(Duration.ofSeconds(10), Duration.ofSeconds(30), 1.0)))) {
            Fingerprint mock = probe(fixture.port(ListenerRole.MQTT_8883), fixture.port(ListenerRole.MULTIPLEX_443),
                    Duration.ofSeconds(2)).run("alpnlab mock broker");
            mock.write(dir.resolve("mock.json"));
            Prediction predicted = Prediction.load(ProbeSet.VERSION);
            assertEquals(List.of(), predicted.unmet(mock), "the mock answers as the rule catalogue predicts:\n"
                    + Files.readString(dir.resolve("mock.json")));
            assertEquals(List.of(), mock.differences(Fingerprint.read(dir.resolve("mock.json"))), "a fingerprint reads back");
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** openssl s_server on loopback with the test PKI's server chain, answering HTTP (-www) once TLS is up. */
    private static Fingerprint opensslFingerprint(String name, String... extra) throws Exception {
        Path openssl = RealPeer.require("openssl", "openssl");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(openssl.toString(), "s_server", "-accept", "127.0.0.1:" + port, "-www",
                "-cert", BrokerFixture.file("server.fullchain.pem").toString(), "-key", BrokerFixture.file("server.key.pem").toString()));
        command.addAll(List.of(extra));
        try (RealPeer.Running server = RealPeer.start(command)) {
            server.awaitOutput("ACCEPT", Duration.ofSeconds(10));
            // s_server -www answers a request line; an MQTT CONNECT has none, so its "no answer" is the short time-out.
            return probe(port, port, Duration.ofMillis(500)).run(name);
        }
    }

    @Test
    void openssl_s_server_answers_every_name_and_selects_no_alpn_unless_told() throws Exception {
        Map<String, ProbeResult> plain = byId(opensslFingerprint("openssl s_server"));
        assertEquals("handshake_complete", plain.get("8883-no-sni").outcome(), "no SNI needed");
        assertEquals("handshake_complete", plain.get("8883-other-sni").outcome(), "any name answered");
        assertFalse(plain.get("8883-device").certificateRequest(), "no client certificate asked for without -verify");
        assertNull(plain.get("443-alpn-x-amzn-mqtt-ca").alpn(), "no ALPN selected without -alpn");
        assertEquals("TLS 1.3", plain.get("8883-device").version());
        assertEquals("alert:unexpected_message", plain.get("443-unsolicited-certificate").outcome(),
                "OpenSSL refuses a Certificate nobody asked for, as RFC 5246 says");
    }

    @Test
    void openssl_s_server_with_servername_fatal_refuses_another_name() throws Exception {
        Map<String, ProbeResult> fatal = byId(opensslFingerprint("openssl s_server -servername_fatal", "-servername", ENDPOINT,
                "-cert2", BrokerFixture.file("server.fullchain.pem").toString(), "-key2", BrokerFixture.file("server.key.pem").toString(),
                "-servername_fatal"));
        assertEquals("alert:unrecognized_name", fatal.get("8883-other-sni").outcome());
        assertEquals("handshake_complete", fatal.get("8883-device").outcome());
        assertEquals("handshake_complete", fatal.get("8883-no-sni").outcome(), "no SNI is not another name");
    }

    @Test
    void openssl_s_server_with_alpn_selects_the_name_it_was_given() throws Exception {
        Map<String, ProbeResult> alpn = byId(opensslFingerprint("openssl s_server -alpn", "-alpn", "x-amzn-mqtt-ca"));
        assertEquals("x-amzn-mqtt-ca", alpn.get("443-alpn-x-amzn-mqtt-ca").alpn());
        assertTrue(alpn.get("443-alpn-x-amzn-mqtt-ca").serverExtensions().contains("application_layer_protocol_negotiation"),
                alpn.get("443-alpn-x-amzn-mqtt-ca").toString());
        assertNull(alpn.get("443-alpn-length-prefixed").alpn(), "the length-prefixed name is another name");
    }

    @Test
    void mosquitto_with_tls_asks_every_client_for_a_certificate_and_needs_no_sni() throws Exception {
        // Debian installs the broker in /usr/sbin, which a non-root PATH may lack.
        Path mosquitto = Files.isExecutable(Path.of("/usr/sbin/mosquitto")) ? Path.of("/usr/sbin/mosquitto")
                : RealPeer.require("mosquitto", "mosquitto");
        int port = freePort();
        Path config = dir.resolve("mosquitto.conf");
        Files.writeString(config, String.join("\n", "user " + System.getProperty("user.name"), "listener " + port + " 127.0.0.1",
                "cafile " + BrokerFixture.file("device-ca.pem"), "certfile " + BrokerFixture.file("server.fullchain.pem"),
                "keyfile " + BrokerFixture.file("server.key.pem"), "require_certificate true", "allow_anonymous true",
                "persistence false", "log_dest stderr", ""));
        try (RealPeer.Running broker = RealPeer.start(List.of(mosquitto.toString(), "-c", config.toString(), "-v"))) {
            broker.awaitOutput("Opening ipv4 listen socket on port " + port, Duration.ofSeconds(10));
            Map<String, ProbeResult> answers = byId(probe(port, port, Duration.ofSeconds(1)).run("mosquitto"));
            ProbeResult device = answers.get("8883-device");
            assertTrue(device.certificateRequest(), device.toString());
            assertEquals("CONNACK 0", device.mqtt(), device.toString());
            assertEquals("CONNACK 0", answers.get("8883-no-sni").mqtt(), "Mosquitto needs no SNI: AWS refuses it");
            assertTrue(answers.get("443-alpn-x-amzn-mqtt-ca").certificateRequest(), "asks on every port, with any ALPN");
            assertTrue(answers.get("443-unsolicited-certificate").certificateRequest(),
                    "asks in TLS 1.2 as well, so no certificate is ever unsolicited there");
            assertNull(answers.get("443-alpn-x-amzn-mqtt-ca").alpn(), "selects no ALPN name unless configured");
            ProbeResult anonymous = answers.get("8883-no-client-certificate");
            assertFalse("CONNACK 0".equals(anonymous.mqtt()) && "handshake_complete".equals(anonymous.outcome()),
                    "require_certificate refuses a client without one: " + anonymous);
        }
    }
}
