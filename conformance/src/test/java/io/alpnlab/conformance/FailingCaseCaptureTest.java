package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.DisabledCases;
import io.alpnlab.conformance.reference.Defects;
import io.alpnlab.conformance.reference.ReferenceClient;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The evidence of a failing case: a client that speaks MQTT 3.1 fails MQTT-CONN-03, and the suite writes each of the
 * case's connections as a pcapng capture with a key log beside it, listed in results.json; Wireshark's tshark opens
 * the pair and shows the client's CONNECT, decrypted, with its protocol version, for TLS 1.2 and TLS 1.3 (the broker's
 * security policy decides which). A passing case leaves no capture by default.
 */
class FailingCaseCaptureTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"TLS 1.2, IoTSecurityPolicy_TLS12_1_2_2022_10, CLIENT_RANDOM", "TLS 1.3, IoTSecurityPolicy_TLS13_1_3_2022_10,"
            + " CLIENT_TRAFFIC_SECRET_0"})
    void a_failing_case_leaves_a_capture_that_tshark_decrypts_to_the_connect(String version, String policy, String secretLabel)
            throws Exception {
        Path tshark = RealPeer.require("tshark", "tshark");
        Path results = dir.resolve("results");
        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of(
                "conformance.include", "MQTT-Connect-ProtocolVersion,TLS-Verify-Expired", "conformance.results-dir", results.toString()));
        CaseResult failed;
        CaseResult passed;
        try (ConformanceEngine engine = ConformanceEngine.start(settings, Map.of("broker.pki-dir", dir.resolve("pki").toString(),
                "broker.security-policy", policy), new ReferenceClient(Defects.named("mqtt-31")), DisabledCases.NONE)) {
            ConformanceCase protocolVersion = engine.cases().stream().filter(c -> c.id().equals("MQTT-Connect-ProtocolVersion"))
                    .findFirst().orElseThrow();
            failed = engine.run(protocolVersion);
            // Refusing an expired server certificate happens before MQTT: the 3.1 client passes it.
            passed = engine.run(engine.cases().stream().filter(c -> c.id().equals("TLS-Verify-Expired")).findFirst().orElseThrow());
            ConformanceResults written = new ConformanceResults();
            written.add(failed);
            written.add(passed);
            written.write(results, engine);
        }
        assertEquals(CaseResult.Verdict.FAIL, failed.verdict(), failed.observed());
        assertEquals(CaseResult.Verdict.PASS, passed.verdict(), passed.observed());
        assertEquals(List.of(), passed.evidence(), "a passing case leaves no capture unless conformance.capture=all");
        Path capture = failed.evidence().stream().filter(file -> file.toString().endsWith(".pcapng")).findFirst().orElseThrow(
                () -> new AssertionError("no capture among " + failed.evidence()));
        Path keys = Path.of(capture.toString().replace(".pcapng", ".keys"));
        assertTrue(failed.evidence().contains(keys), "the key log is beside the capture: " + failed.evidence());
        assertTrue(Files.readString(keys).contains(secretLabel + " "), version + " secrets: " + Files.readString(keys));

        JsonNode listed = new ObjectMapper().readTree(results.resolve(ConformanceResults.FILE).toFile()).path("cases").get(0)
                .path("evidence");
        assertEquals("captures/MQTT-Connect-ProtocolVersion/" + capture.getFileName(), listed.get(0).asText(),
                "results.json lists the files relative to itself");

        // The broker's listener is on an ephemeral port: tshark is told it carries MQTT over TLS, as 8883 does.
        int port = failed.records().get(0).localPort();
        RealPeer.Result decrypted = RealPeer.run(Duration.ofSeconds(60), List.of(tshark.toString(), "-r", capture.toString(),
                "-d", "tcp.port==" + port + ",tls", "-d", "tls.port==" + port + ",mqtt", "-o", "tls.keylog_file:" + keys,
                "-Y", "mqtt.msgtype == 1", "-T", "fields", "-e", "tls.record.version", "-e", "mqtt.protoname", "-e", "mqtt.ver"));
        assertEquals(0, decrypted.exitCode(), decrypted.toString());
        assertTrue(decrypted.stdout().contains("MQIsdp\t3"), "the MQTT 3.1 CONNECT, decrypted:\n" + decrypted);
    }
}
