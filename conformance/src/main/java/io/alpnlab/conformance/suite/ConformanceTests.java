package io.alpnlab.conformance.suite;

import io.alpnlab.conformance.CaseResult;
import io.alpnlab.conformance.ConformanceEngine;
import io.alpnlab.conformance.ConformanceResults;
import io.alpnlab.conformance.ConformanceSettings;
import io.alpnlab.conformance.cases.CaseTables;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.Clients;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conformance cases as JUnit tests: the table check first, then one dynamic test per case
 * (display name = case ID), then a summary. A failed case fails its test with the rule, what was
 * expected, what was observed and a hint; not-supported, disabled and not-applicable cases are
 * skipped with their reason and counted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("AWS IoT Core conformance")
public class ConformanceTests {

    private static final Logger PROGRESS = LoggerFactory.getLogger("alpnlab.conformance");
    private static ConformanceEngine engine;
    private static final ConformanceResults RESULTS = new ConformanceResults();
    private static ConformanceSettings settings;

    @BeforeAll
    static void start() {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().stringPropertyNames().forEach(name -> properties.put(name, System.getProperty(name)));
        settings = ConformanceSettings.fromProperties(properties);
        engine = ConformanceEngine.start(settings, properties, () -> Clients.select(settings));
    }

    @Test
    @Order(1)
    @DisplayName("Case tables are consistent")
    void case_tables_are_consistent() {
        List<String> problems = CaseTables.problems(CaseTables.all());
        Assertions.assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @TestFactory
    @Order(2)
    @DisplayName("Cases")
    Stream<DynamicTest> cases() {
        List<ConformanceCase> cases = engine.cases();
        // The timer-bound cases start now, side by side on brokers of their own (when the client can);
        // their tests below report them in order.
        engine.runAhead(cases);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            ConformanceCase conformanceCase = cases.get(i);
            String position = String.format("[%2d/%d]", i + 1, cases.size());
            tests.add(DynamicTest.dynamicTest(conformanceCase.id(), caseSource(conformanceCase), () -> runCase(position, conformanceCase)));
        }
        return tests.stream();
    }

    /**
     * A source of the case's own rather than the factory method's: CI test views read the failsafe XML, whose
     * reporter names a test by joining the display names of every method source above it ("Cases TLS-SNI-Present");
     * with a source that is not a method, the test is named by its case ID alone.
     */
    private static URI caseSource(ConformanceCase conformanceCase) {
        return URI.create("alpnlab:case:" + conformanceCase.id());
    }

    private static void runCase(String position, ConformanceCase conformanceCase) throws InterruptedException {
        CaseResult result = engine.run(conformanceCase);
        RESULTS.add(result);
        try {
            AllureCase.describe(conformanceCase, result);
        } catch (AssertionError expected) {
            // The observation step failed with the case; the test fails below with the full text.
        }
        PROGRESS.info("{} {} {} ({}) {} ms", position, String.format("%-18s", result.verdict()), result.caseId(), result.rule().id(),
                result.duration().toMillis());
        switch (result.verdict()) {
            case FAIL, BLOCKED -> {
                String message = describeFailure(result);
                PROGRESS.info("{}", message.indent(8).stripTrailing());
                Assertions.fail(message);
            }
            case NOT_SUPPORTED, DISABLED, NOT_APPLICABLE -> Assumptions.abort(result.verdict() + ": " + result.reason());
            default -> {
            }
        }
    }

    /**
     * The failure text: the rule, the verdict and its reason on the first line (the line a CI test view shows), then
     * the rule's statement, want, got, and what the developer can do.
     */
    static String describeFailure(CaseResult result) {
        return result.rule().id() + " " + result.verdict() + ": " + result.observed().lines().findFirst().orElse("") + "\n"
                + "rule: " + result.rule().statement() + "\n"
                + "want: " + result.expected() + "\n"
                + "got:  " + result.observed() + "\n"
                + "hint: " + result.hint()
                + (result.assumption().isEmpty() ? "" : "\nassumed: " + result.assumption());
    }

    @AfterAll
    static void finish() {
        if (engine == null) {
            return; // start() failed and said why; there is nothing to report or close
        }
        try {
            Path file = RESULTS.write(settings.resultsDir(), engine);
            Map<CaseResult.Verdict, Integer> counts = RESULTS.counts();
            PROGRESS.info("");
            PROGRESS.info("Conformance of {} {}", engine.client().name(), engine.client().version());
            PROGRESS.info("{}", String.format("%-20s %5s", "VERDICT", "CASES"));
            counts.forEach((verdict, count) -> PROGRESS.info("{}", String.format("%-20s %5d", verdict, count)));
            RESULTS.all().stream().filter(result -> result.verdict() == CaseResult.Verdict.FAIL)
                    .forEach(result -> PROGRESS.info("FAIL  {} ({}): {}", result.caseId(), result.rule().id(), result.hint()));
            RESULTS.all().stream().filter(result -> result.verdict() == CaseResult.Verdict.BLOCKED)
                    .forEach(result -> PROGRESS.info("BLOCKED  {} ({}): {}", result.caseId(), result.rule().id(), result.observed()));
            PROGRESS.info("results: {}", file.toAbsolutePath());
            int unsupported = counts.get(CaseResult.Verdict.NOT_SUPPORTED);
            if (unsupported > 0 && !settings.allowUnsupported()) {
                Assertions.fail(unsupported + " case(s) not supported by the client; allow them with"
                        + " -Dconformance.allow-unsupported=true if that is expected");
            }
        } finally {
            engine.close();
        }
    }
}
