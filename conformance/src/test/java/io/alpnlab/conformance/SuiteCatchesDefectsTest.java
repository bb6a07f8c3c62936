package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.conformance.cases.CaseTables;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.DisabledCases;
import io.alpnlab.conformance.reference.Defects;
import io.alpnlab.conformance.reference.ReferenceClient;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The meta-test: the suite can fail. The conforming reference client passes every case, and each
 * deliberately defective reference client is caught by the case meant to catch it, for the rule
 * it breaks.
 */
@Execution(ExecutionMode.CONCURRENT)
class SuiteCatchesDefectsTest {

    /**
     * Held shared by each run here and exclusively by the C agent's builds: the timing judges here measure tens of
     * milliseconds, which C builds next to them turned into hundreds in a CI run. A lock per method, not on the
     * class, keeps the runs here side by side.
     */
    static final String TIMING = "alpnlab.timing";

    /** Defects whose connect-retry gaps (the backoff cases) at the default time scale are as short as the scheduling noise. */
    private static final java.util.Set<String> NOISE_SIZED_RETRIES = java.util.Set.of("no-backoff", "constant-backoff");

    @TempDir
    static Path dir;

    /** Made once, before the runs go side by side: each engine then only reads it. */
    @BeforeAll
    static void preparePki() {
        BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", dir.resolve("pki").toString())));
    }

    private static ConformanceEngine engine(Defects defects, String include) {
        return engine(defects, include, "0.05");
    }

    private static ConformanceEngine engine(Defects defects, String include, String timeScale) {
        return engine(defects, include, timeScale, include.replaceAll("[^A-Za-z0-9-]", "_"));
    }

    private static ConformanceEngine engine(Defects defects, String include, String timeScale, String runName) {
        Map<String, String> properties = Map.of("conformance.include", include, "conformance.time-scale", timeScale,
                "conformance.results-dir", dir.resolve("results-" + defects.describe() + "-" + runName).toString());
        ConformanceSettings settings = ConformanceSettings.fromProperties(properties);
        return ConformanceEngine.start(settings, Map.of("broker.pki-dir", dir.resolve("pki").toString()),
                new ReferenceClient(defects), DisabledCases.NONE);
    }

    /**
     * The whole suite for one client, as three runs at once, each an engine and broker of its own: two share the cases
     * that wait on the client's timers (40 of a run's 50 s), the third has the rest. Not every timed case at once, as
     * the suite's runAhead does: four whole-suite runs doing that put 60 timed cases on two cores and stretched
     * reconnect delays by 300 ms. Results come back in the table's order.
     */
    private static List<CaseResult> wholeSuite(Defects defects) throws Exception {
        List<List<String>> shares = SuiteShares.of(2);
        List<CompletableFuture<List<CaseResult>>> runs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(shares.size());
        for (int share = 0; share < shares.size(); share++) {
            String include = String.join(",", shares.get(share));
            String runName = "whole-suite-" + share;
            runs.add(CompletableFuture.supplyAsync(() -> {
                List<CaseResult> results = new ArrayList<>();
                try (ConformanceEngine engine = engine(defects, include, "0.05", runName)) {
                    for (ConformanceCase conformanceCase : engine.cases()) {
                        results.add(engine.run(conformanceCase));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return results;
            }, pool));
        }
        Map<String, Deque<CaseResult>> byCase = new HashMap<>();
        try {
            for (var run : runs) {
                run.get(5, TimeUnit.MINUTES)
                        .forEach(result -> byCase.computeIfAbsent(result.caseId(), id -> new ArrayDeque<>()).add(result));
            }
        } finally {
            pool.shutdown();
        }
        List<CaseResult> inOrder = new ArrayList<>();
        for (ConformanceCase conformanceCase : CaseTables.all()) {
            Deque<CaseResult> results = byCase.get(conformanceCase.id());
            if (results != null && !results.isEmpty()) {
                inOrder.add(results.poll());
            }
        }
        return inOrder;
    }

    @Test
    @ResourceLock(value = TIMING, mode = ResourceAccessMode.READ)
    @Execution(ExecutionMode.CONCURRENT)
    void conforming_reference_client_passes_every_case() throws Exception {
        List<String> failures = new ArrayList<>();
        List<String> ran = new ArrayList<>();
        for (CaseResult result : wholeSuite(Defects.NONE)) {
            ran.add(result.caseId());
            if (result.verdict() != CaseResult.Verdict.PASS) {
                failures.add(result.caseId() + " " + result.verdict() + ": " + result.observed() + " " + result.reason()
                        + (result.report() == null ? "" : "\n" + result.report().output()));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        // The table's every case ran, the sanity case first and last: nothing was filtered out on the way.
        assertEquals(CaseTables.all().stream().map(ConformanceCase::id).toList(), ran, "every case ran, in order");
    }

    /**
     * Root cause, not cascade: a client with one defect that stops it at the door fails exactly one
     * rule, the one it breaks; every other case it cannot get through says BLOCKED by that rule.
     */
    @ParameterizedTest(name = "{0} fails only {1}")
    @ResourceLock(value = TIMING, mode = ResourceAccessMode.READ)
    @org.junit.jupiter.params.provider.CsvSource({"no-sni, TLS-SNI-01", "no-alpn, TLS-ALPN-01", "mqtt-31, MQTT-CONN-03"})
    @Execution(ExecutionMode.CONCURRENT)
    void a_client_with_one_defect_fails_one_rule_and_the_rest_is_blocked_by_it(String defect, String rule) throws Exception {
        List<String> failedRules = new ArrayList<>();
        List<String> unexplained = new ArrayList<>();
        List<String> unexpectedFailures = new ArrayList<>();
        for (CaseResult result : wholeSuite(Defects.named(defect))) {
            if (result.verdict() == CaseResult.Verdict.FAIL) {
                failedRules.add(result.rule().id());
                unexpectedFailures.add(result.caseId() + ": " + result.observed());
            } else if (result.verdict() == CaseResult.Verdict.BLOCKED && !result.observed().startsWith("BLOCKED by " + rule)) {
                unexplained.add(result.caseId() + ": " + result.observed());
            }
        }
        assertEquals(List.of(rule), failedRules.stream().distinct().toList(), defect + ": the failing rules; failures: "
                + unexpectedFailures);
        assertEquals(List.of(), unexplained, defect + ": blocked by another rule than " + rule);
    }

    static Stream<Arguments> defects() {
        return Stream.of(
                Arguments.of("no-sni", "TLS-SNI-Present", "TLS-SNI-01"),
                Arguments.of("no-alpn", "TLS-443-ALPN-Offered", "TLS-ALPN-01"),
                Arguments.of("alpn-length-prefixed", "TLS-443-ALPN-PlainName", "TLS-ALPN-06"),
                Arguments.of("trust-all", "TLS-Verify-Expired", "TLS-VERIFY-01"),
                Arguments.of("trust-all", "TLS-Verify-WrongName", "TLS-VERIFY-02"),
                Arguments.of("trust-all", "TLS-Verify-UntrustedRoot", "TLS-VERIFY-03"),
                Arguments.of("qos2", "MQTT-Publish-QoS1", "MQTT-QOS-01"),
                Arguments.of("keep-alive-5", "MQTT-Connect-KeepAlive", "MQTT-KA-01"),
                Arguments.of("no-backoff", "MQTT-Backoff-Refused", "CLIENT-RETRY-01"),
                Arguments.of("constant-backoff", "MQTT-Backoff-Refused", "CLIENT-RETRY-01"),
                Arguments.of("linear-backoff", "MQTT-Backoff-Refused", "CLIENT-RETRY-01"),
                Arguments.of("linear-backoff", "MQTT-Backoff-NoConnack", "CLIENT-RETRY-01"),
                Arguments.of("constant-backoff", "MQTT-Reconnect-Repeated", "CLIENT-RECONNECT-01"),
                Arguments.of("retry-under-new-packet-id", "MQTT-Publish-RetryWithoutPuback", "CLIENT-RETRY-02"),
                Arguments.of("assumes-session", "MQTT-PersistentSession-Expired", "CLIENT-SESS-01"),
                Arguments.of("publish-before-connack", "MQTT-WaitsForConnack", "MQTT-CONN-01"),
                Arguments.of("no-publish-retry", "MQTT-Publish-RetryWithoutPuback", "CLIENT-RETRY-02"),
                Arguments.of("no-subscribe-retry", "MQTT-Subscribe-RetryWithoutSuback", "CLIENT-RETRY-02"),
                Arguments.of("no-keep-alive", "MQTT-KeepAlive-PingInTime", "MQTT-KA-01"),
                Arguments.of("ignore-pingresp", "MQTT-KeepAlive-NoPingresp", "CLIENT-KA-01"),
                Arguments.of("mqtt-31", "MQTT-Connect-ProtocolVersion", "MQTT-CONN-03"),
                Arguments.of("small-record-buffer", "TLS-Chain-AwsSize", "TLS-SIZE-01"),
                Arguments.of("small-record-buffer", "TLS-Records-16K", "TLS-SIZE-03"),
                Arguments.of("never-reports-shadow", "Shadow-ReportState", "CLIENT-SHADOW-01"),
                Arguments.of("ignores-delta", "Shadow-ApplyDesired", "CLIENT-SHADOW-02"),
                Arguments.of("loops-on-rejected", "Shadow-VersionConflict", "CLIENT-SHADOW-03"),
                Arguments.of("job-skips-in-progress", "Jobs-Execution", "CLIENT-JOBS-01"),
                Arguments.of("keeps-claim-certificate", "Provisioning-ByClaim", "CLIENT-PROV-01"),
                Arguments.of("mqtt-buffer-64k", "MQTT-Subscribe-Payload128K", "CLIENT-PUBACK-01"),
                Arguments.of("out-of-policy-topic", "Policy-LeastPrivilege", "CLIENT-POLICY-01"),
                Arguments.of("drops-unacked-on-reconnect", "MQTT-Reconnect-Unstable", "CLIENT-RECONNECT-01"),
                Arguments.of("asks-for-jobs-once", "Jobs-NotifyNext", "CLIENT-JOBS-02"),
                Arguments.of("gives-up-after-two-failures", "MQTT-LongDuration", "CLIENT-LONG-01"),
                Arguments.of("forgets-alpn-on-reconnect", "MQTT-Reconnect-Unstable-443", "TLS-ALPN-01"),
                Arguments.of("forgets-alpn-on-reconnect", "Provisioning-ByClaim-443", "TLS-ALPN-01"),
                Arguments.of("always-clean-session", "MQTT-PersistentSession-Resume", "MQTT-SESS-01"),
                Arguments.of("always-clean-session", "MQTT-PersistentSession-Resume-443", "MQTT-SESS-01"),
                Arguments.of("never-reports-shadow", "Shadow-ReportState-443", "CLIENT-SHADOW-01"),
                Arguments.of("job-skips-in-progress", "Jobs-Execution-443", "CLIENT-JOBS-01"));
    }

    /**
     * A reconnect at once after the server's disconnect is caught. At the default time scale AWS's 1 s
     * minimum is 50 ms, within what a JVM client takes to notice a closed connection, so this one runs at
     * a quarter of real time, where the defect's 5 ms wait is far below the 250 ms it must respect.
     */
    @Test
    @ResourceLock(value = TIMING, mode = ResourceAccessMode.READ)
    @Execution(ExecutionMode.CONCURRENT)
    void reconnecting_at_once_after_a_server_disconnect_is_caught() throws Exception {
        try (ConformanceEngine engine = engine(Defects.named("no-backoff"), "MQTT-Reconnect-AfterServerDisconnect", "0.25")) {
            ConformanceCase reconnect = engine.cases().stream()
                    .filter(c -> c.id().equals("MQTT-Reconnect-AfterServerDisconnect")).findFirst().orElseThrow();
            CaseResult result = engine.run(reconnect);
            assertEquals(CaseResult.Verdict.FAIL, result.verdict(), result.observed());
            assertTrue(result.observed().contains("came sooner than 250 ms"), result.observed());
        }
    }

    /**
     * The suite's timer-bound cases run ahead, side by side, each on a broker of its own: the defect is still caught by
     * its case, the others still pass, the results come back in the caller's order, and no case's connections reach the
     * engine's own broker or another case's records.
     */
    @Test
    @ResourceLock(value = TIMING, mode = ResourceAccessMode.READ)
    @Execution(ExecutionMode.CONCURRENT)
    void cases_run_ahead_on_brokers_of_their_own_keep_their_verdicts_and_records() throws Exception {
        List<String> ids = List.of("MQTT-WaitsForConnack", "MQTT-Publish-RetryWithoutPuback", "MQTT-Subscribe-RetryWithoutSuback");
        try (ConformanceEngine engine = engine(Defects.named("no-publish-retry"), String.join(",", ids))) {
            long mark = engine.broker().context().lastConnectionId();
            engine.runAhead(engine.cases());
            List<CaseResult> results = new ArrayList<>();
            for (ConformanceCase conformanceCase : engine.cases()) {
                results.add(engine.run(conformanceCase));
            }
            assertEquals(ids, results.stream().map(CaseResult::caseId).toList());
            assertEquals(List.of(CaseResult.Verdict.PASS, CaseResult.Verdict.FAIL, CaseResult.Verdict.PASS),
                    results.stream().map(CaseResult::verdict).toList(), results.toString());
            for (CaseResult result : results) {
                String ownClientId = "alpnlab-" + result.caseId().toLowerCase(java.util.Locale.ROOT);
                assertTrue(!result.records().isEmpty(), result.caseId() + " has no record");
                result.records().forEach(record -> assertEquals(ownClientId, record.mqtt() == null ? null : record.mqtt().clientId(),
                        result.caseId() + " got another's record: " + record));
            }
            assertEquals(List.of(), engine.broker().recorder().recordsAfter(mark), "the engine's own broker saw a case");
        }
    }

    static Stream<Arguments> defectsInTimedCases() {
        return defects().filter(arguments -> SuiteShares.timed((String) arguments.get()[1]));
    }

    static Stream<Arguments> defectsInUntimedCases() {
        return defects().filter(arguments -> !SuiteShares.timed((String) arguments.get()[1]));
    }

    /**
     * Each defect runs against its own broker; they share only the read-only PKI, so they run side by side. A case
     * that judges timers holds the timing lock; the others judge what was sent, not when, and run beside the C agent's
     * builds and suites too.
     */
    @ParameterizedTest(name = "{0} is caught by {1}")
    @ResourceLock(value = TIMING, mode = ResourceAccessMode.READ)
    @MethodSource("defectsInTimedCases")
    @Execution(ExecutionMode.CONCURRENT)
    void each_defective_reference_client_is_caught_by_its_timed_case(String defect, String caseId, String brokenRule)
            throws Exception {
        assertCaughtByItsCase(defect, caseId, brokenRule);
    }

    @ParameterizedTest(name = "{0} is caught by {1}")
    @MethodSource("defectsInUntimedCases")
    @Execution(ExecutionMode.CONCURRENT)
    void each_defective_reference_client_is_caught_by_its_untimed_case(String defect, String caseId, String brokenRule)
            throws Exception {
        assertCaughtByItsCase(defect, caseId, brokenRule);
    }

    private static void assertCaughtByItsCase(String defect, String caseId, String brokenRule)
            throws Exception {
        // Retrying at once or every 50 ms (1 s at the default scale 0.05) puts every gap inside the scheduling noise of
        // the loaded 2-core machine: one 262 ms spike among eight immediate retries once read as a growing envelope (a
        // PASS for no-backoff). At 0.5 their gaps stand clear of it; the grader's own error rates are BackoffShapeTest's.
        String scale = caseId.startsWith("MQTT-Backoff-") && NOISE_SIZED_RETRIES.contains(defect) ? "0.5" : "0.05";
        try (ConformanceEngine engine = engine(Defects.named(defect), caseId, scale)) {
            ConformanceCase conformanceCase = engine.cases().stream().filter(c -> c.id().equals(caseId)).findFirst().orElseThrow();
            CaseResult result = engine.run(conformanceCase);
            assertNotEquals(CaseResult.Verdict.PASS, result.verdict(), defect + " went unnoticed: " + result.observed());
            String text = result.observed() + " " + result.records().stream().map(record -> record.checks().toString()).toList();
            assertTrue(text.contains(brokenRule) || result.rule().id().equals(brokenRule),
                    defect + " was caught for the wrong reason; want " + brokenRule + ", got: " + result.observed());
        }
    }
}
