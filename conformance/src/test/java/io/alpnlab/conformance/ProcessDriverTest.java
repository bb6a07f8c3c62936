package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.ProcessClient;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process driver on real programs: mosquitto clients and openssl s_client, with the shipped descriptions. */
class ProcessDriverTest {

    @TempDir
    static Path dir;

    private static List<CaseResult> run(ProcessClient client, String include) throws Exception {
        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of("conformance.include", include,
                "conformance.results-dir", dir.resolve("results").toString()));
        List<CaseResult> results = new ArrayList<>();
        try (ConformanceEngine engine = ConformanceEngine.start(settings, Map.of("broker.pki-dir", dir.resolve("pki").toString()),
                client, client.disabled())) {
            for (ConformanceCase conformanceCase : engine.cases()) {
                results.add(engine.run(conformanceCase));
            }
        }
        return results;
    }

    static void requireEndpointOnLoopback() {
        RealPeer.requireResolvesToLoopback(io.alpnlab.certs.PkiSettings.DEFAULT_ENDPOINT);
    }

    @Test
    void mosquitto_passes_every_case_it_can_express() throws Exception {
        RealPeer.require("mosquitto_pub", "mosquitto-clients");
        requireEndpointOnLoopback();
        ProcessClient mosquitto = ProcessClient.load("mosquitto");
        assertTrue(mosquitto.version().matches("\\d+\\.\\d+\\.\\d+"), "version read from mosquitto_pub --help: " + mosquitto.version());
        List<CaseResult> results = run(mosquitto, "*");
        List<String> failures = results.stream().filter(result -> result.verdict() == CaseResult.Verdict.FAIL)
                .map(result -> result.caseId() + ": " + result.observed()).toList();
        assertEquals(List.of(), failures);
        long passed = results.stream().filter(result -> result.verdict() == CaseResult.Verdict.PASS).count();
        assertTrue(passed >= 25, passed + " cases passed: " + results.stream().map(r -> r.caseId() + "=" + r.verdict()).toList());
        assertTrue(results.stream().anyMatch(result -> result.verdict() == CaseResult.Verdict.DISABLED
                && result.reason().contains("one-shot")), "the disabled cases carry their reason");
    }

    /**
     * A selection of the sanity case alone runs it first and last, back to back: the suite must space the two runs past
     * AWS's one CONNECT per second per client ID (MQTT-CONN-04) rather than blame the client for its own schedule.
     */
    @Test
    void the_sanity_case_run_back_to_back_is_not_throttled_by_the_suites_own_schedule() throws Exception {
        RealPeer.require("mosquitto_pub", "mosquitto-clients");
        requireEndpointOnLoopback();
        List<CaseResult> results = run(ProcessClient.load("mosquitto"), "Sanity-*");
        assertEquals(2, results.size(), results.toString());
        for (CaseResult result : results) {
            assertEquals(CaseResult.Verdict.PASS, result.verdict(), result.observed());
        }
    }

    @Test
    void openssl_s_client_passes_the_tls_cases() throws Exception {
        RealPeer.require("openssl", "openssl");
        List<CaseResult> results = run(ProcessClient.load("openssl-s_client"), "TLS-*");
        List<String> failures = results.stream().filter(result -> result.verdict() == CaseResult.Verdict.FAIL)
                .map(result -> result.caseId() + ": " + result.observed()).toList();
        assertEquals(List.of(), failures);
    }

    @Test
    void openssl_s_client_without_sni_fails_the_sni_case_naming_the_rule() throws Exception {
        RealPeer.require("openssl", "openssl");
        ProcessClient noSni = ClientVariants.opensslWithoutSni();
        CaseResult result = run(noSni, "TLS-SNI-Present").get(0);
        assertEquals(CaseResult.Verdict.FAIL, result.verdict(), result.observed());
        assertTrue(result.observed().contains("SNI_REFUSED"), "the error map turned openssl's alert into a token: " + result.observed());
        String message = io.alpnlab.conformance.suite.ConformanceTestsAccess.failureText(result);
        assertTrue(message.startsWith("TLS-SNI-01"), message);
        assertTrue(message.contains("ClientHello has no SNI"), message);
        assertTrue(message.contains("mbedtls_ssl_set_hostname"), message);
    }
}
