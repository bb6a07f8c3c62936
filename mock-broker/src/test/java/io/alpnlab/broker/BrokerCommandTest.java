package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.testing.RealPeer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** The command line as a user runs it: a separate JVM, a start-up banner whose command lines work as printed. */
// Each test runs its own broker process on ephemeral ports (or none) with a folder of its own: they run side by side.
@Execution(ExecutionMode.CONCURRENT)
class BrokerCommandTest {

    @TempDir
    Path dir;

    private List<String> java(String... arguments) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), BrokerCommand.class.getName()));
        command.addAll(Arrays.asList(arguments));
        return command;
    }

    @Test
    void banner_names_ports_and_files_and_its_openssl_and_mosquitto_lines_work_as_printed() {
        try (RealPeer.Running broker = RealPeer.start(java("--pki", dir.resolve("pki").toString(), "--port", "mqtt-8883=0",
                "--port", "multiplex-443=0", "--port", "https-8443=0", "--control-port", "0"))) {
            String banner = broker.awaitOutput("Press Ctrl-C to stop.", Duration.ofSeconds(30));
            assertTrue(banner.contains("CA file       " + dir.resolve("pki/root-ca.pem")), banner);
            assertTrue(banner.matches("(?s).*multiplex-443 127\\.0\\.0\\.1:\\d+.*"), banner);

            Matcher openssl = Pattern.compile("  (openssl s_client [^\\n]+)").matcher(banner);
            assertTrue(openssl.find(), banner);
            RealPeer.require("openssl", "openssl");
            RealPeer.Result handshake = RealPeer.run(Duration.ofSeconds(20), List.of(openssl.group(1).split(" ")), "Q\n");
            assertTrue(handshake.stdout().contains("ALPN protocol: x-amzn-mqtt-ca"), handshake.toString());
            assertTrue(handshake.stdout().contains("Verify return code: 0 (ok)"), handshake.toString());

            Matcher mosquitto = Pattern.compile("  (mosquitto_pub [^\\n]+)").matcher(banner);
            assertTrue(mosquitto.find(), banner);
            RealPeer.require("mosquitto_pub", "mosquitto-clients");
            MosquittoClientsTest.requireEndpointResolvesToLoopback();
            RealPeer.Result publish = RealPeer.run(Duration.ofSeconds(20), List.of(mosquitto.group(1).split(" ")));
            assertTrue(publish.stdout().contains("received PUBACK"), publish.toString());
            assertTrue(broker.awaitOutput("ACCEPTED TLS-ALPN-01", Duration.ofSeconds(10)).contains("conn#"));
            // The command line's own logging configuration applies (one INFO line per connection), not
            // Logback's default, which prints every library's DEBUG lines.
            assertFalse(broker.output().contains(" DEBUG "), broker.output());
        }
    }

    /**
     * --self-check connects one device as a device does and exits 0; with the device's certificate
     * revoked in the registry (answered with CONNACK 5) the same check exits 1 and names the refusal.
     * (The image builds its class archive with this run.)
     */
    @Test
    void self_check_passes_for_a_good_pki_and_fails_naming_the_refusal() throws Exception {
        Path pki = dir.resolve("self-check-pki");
        RealPeer.Result good = RealPeer.run(Duration.ofSeconds(60), java("--pki", pki.toString(), "--self-check"));
        assertEquals(0, good.exitCode(), good.toString());
        assertTrue(good.stdout().contains("self-check: a device connected over TLS 1.3"), good.toString());
        Path registry = dir.resolve("revoked.json");
        String fingerprint = io.alpnlab.certs.Pem.sha256Fingerprint(
                io.alpnlab.certs.Pem.readCertificates(pki.resolve("device.cert.pem")).get(0));
        Files.writeString(registry, "{\"devices\": [{\"fingerprint\": \"" + fingerprint + "\", \"status\": \"REVOKED\"}]}");
        // Answered with CONNACK 5 rather than a close, so the check must read the CONNACK's code to fail.
        RealPeer.Result revoked = RealPeer.run(Duration.ofSeconds(60), java("--pki", pki.toString(), "--registry",
                registry.toString(), "--unauthorized-connect", "connack-5", "--self-check"));
        assertEquals(1, revoked.exitCode(), revoked.toString());
        assertTrue(revoked.stdout().contains("self-check FAILED: CONNACK CONNECTION_REFUSED_NOT_AUTHORIZED"), revoked.toString());
    }

    @Test
    void unknown_option_exits_2_naming_it() {
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(30), java("--frobnicate"));
        assertEquals(2, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("Unknown option: '--frobnicate'"), result.toString());
    }

    @Test
    void bad_switch_value_exits_2_naming_the_setting_and_the_allowed_values() {
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(30), java("--pki", dir.toString(), "--sni", "sometimes"));
        assertEquals(2, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("broker.sni: 'sometimes' is not one of [required, lenient]"), result.toString());
    }

    @Test
    void busy_port_exits_1_with_a_clear_message() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            RealPeer.Result result = RealPeer.run(Duration.ofSeconds(60), java("--pki", dir.toString(), "--port",
                    "mqtt-8883=" + busy.getLocalPort(), "--port", "multiplex-443=0", "--port", "https-8443=0", "--control-port", "-1"));
            assertEquals(1, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("cannot listen as mqtt-8883 on 127.0.0.1:" + busy.getLocalPort()), result.toString());
            assertTrue(result.stderr().contains("choose another port with --port mqtt-8883=<port>"), result.toString());
        }
    }

    @Test
    void help_documents_every_switch_and_misbehaviour() {
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(30), java("--help"));
        assertEquals(0, result.exitCode(), result.toString());
        for (String option : List.of("--pki", "--endpoint", "--bind", "--port", "--sni", "--alpn", "--registry-check",
                "--unauthorized-connect", "--security-policy", "--misbehave", "--upstream", "--registry", "--event-log",
                "--control-port", "split-handshake-records", "refuse-first-connections", "CAP_NET_BIND_SERVICE")) {
            assertTrue(result.stdout().contains(option), option + " missing from --help:\n" + result.stdout());
        }
    }
}
