package io.alpnlab.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.alpnlab.conformance.CaseResult;
import io.alpnlab.conformance.ConformanceEngine;
import io.alpnlab.conformance.ConformanceSettings;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.ClientUnderTest;
import io.alpnlab.conformance.client.DisabledCases;
import io.alpnlab.conformance.reference.Defects;
import io.alpnlab.conformance.reference.ReferenceClient;
import io.alpnlab.reports.clients.AwsIotSdkMqtt5Client;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backoff cases judged again and again: a statistical judge is only trustworthy if a conforming
 * client with full jitter passes every run and a constant or linear one fails every run. Each client
 * runs both backoff cases {@code alpnlab.backoff-runs} times (once in the default build;
 * {@code -Dalpnlab.backoff-runs=20} is the loop the closing note reports), and every gap sequence
 * is written to {@code target/backoff-loop/<client>.txt}.
 */
@Execution(ExecutionMode.CONCURRENT)
class BackoffLoopTest {

    private static final Path OUT = Path.of("target", "backoff-loop").toAbsolutePath();
    private static final int RUNS = Integer.getInteger("alpnlab.backoff-runs", 1);

    static Stream<Arguments> clients() {
        return Stream.of(
                Arguments.of("aws-sdk-v2-mqtt5", (Supplier<ClientUnderTest>) AwsIotSdkMqtt5Client::new, CaseResult.Verdict.PASS),
                Arguments.of("reference", (Supplier<ClientUnderTest>) ReferenceClient::new, CaseResult.Verdict.PASS),
                Arguments.of("reference-constant", (Supplier<ClientUnderTest>) () -> new ReferenceClient(
                        Defects.named("constant-backoff")), CaseResult.Verdict.FAIL),
                Arguments.of("reference-linear", (Supplier<ClientUnderTest>) () -> new ReferenceClient(
                        Defects.named("linear-backoff")), CaseResult.Verdict.FAIL));
    }

    @ParameterizedTest(name = "{0}: {2} in every run")
    @MethodSource("clients")
    @Execution(ExecutionMode.CONCURRENT)
    void every_run_gets_the_same_verdict(String id, Supplier<ClientUnderTest> factory, CaseResult.Verdict expected)
            throws Exception {
        RealClientsMatrixTest.requireEndpointOnLoopback();
        // A quarter of the default compression (0.2, not 0.05): the loop runs next to the real-client matrix, whose load
        // adds tens of milliseconds to a gap, and at 0.05 a constant 1 s retry is 50 ms.
        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of("conformance.include", "MQTT-Backoff-*",
                "conformance.time-scale", "0.2", "conformance.results-dir", OUT.resolve(id).toString()));
        List<String> lines = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        try (ConformanceEngine engine = ConformanceEngine.start(settings, Map.of("broker.pki-dir", OUT.resolve(id).resolve("pki").toString()),
                factory.get(), DisabledCases.NONE)) {
            for (int run = 1; run <= RUNS; run++) {
                // Both cases of a run side by side, each on a broker of its own, as the suite runs them.
                engine.runAhead(engine.cases());
                for (ConformanceCase conformanceCase : engine.cases()) {
                    if (!conformanceCase.id().startsWith("MQTT-Backoff-")) {
                        continue;
                    }
                    CaseResult result = engine.run(conformanceCase);
                    String line = "run " + run + " " + conformanceCase.id() + " " + result.verdict() + ": " + result.observed();
                    lines.add(line);
                    if (result.verdict() != expected) {
                        unexpected.add(line);
                    }
                }
            }
        }
        Files.createDirectories(OUT);
        Files.write(OUT.resolve(id + ".txt"), lines, StandardCharsets.UTF_8);
        assertEquals(List.of(), unexpected, id + ": every run must be " + expected);
    }
}
