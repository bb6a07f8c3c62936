package io.alpnlab.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.conformance.ConformanceResults;
import io.alpnlab.conformance.suite.SuiteMain;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real run of the suite (in its own JVM, through the JUnit Platform, with Allure's listener)
 * becomes the matrix and the Allure report, and the report is opened in headless Chromium to check
 * that it renders the run's cases, not an empty page.
 */
class AllureReportRenderTest {

    private static final Pattern NODE_NAME = Pattern.compile("class=\"node__name\">\\s*([^<\\s][^<]*?)\\s*<");

    @TempDir
    Path dir;

    @Test
    void the_report_of_a_real_run_renders_its_cases_in_chromium() throws Exception {
        Path chromium = RealPeer.require("chromium", "chromium");
        Path allureResults = dir.resolve("allure-results");
        Path results = dir.resolve("results");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        RealPeer.Result run = RealPeer.run(Duration.ofMinutes(3), List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dallure.results.directory=" + allureResults, "-Dconformance.results-dir=" + results,
                "-Dbroker.pki-dir=" + dir.resolve("pki"),
                "-Dconformance.include=Sanity-*,TLS-SNI-*,TLS-443-ALPN-Offered,TLS-Verify-*,MQTT-Publish-QoS1",
                SuiteMain.class.getName()));
        assertEquals(0, run.exitCode(), run.toString());

        Path out = dir.resolve("report");
        Report report = Report.generate(results.resolve(ConformanceResults.FILE), allureResults,
                Path.of(System.getProperty("alpnlab.allure.home")), out);
        assertTrue(Files.size(report.allureIndex()) > 100_000, "a real single-file report");

        RealPeer.Result dom = RealPeer.run(Duration.ofSeconds(90), List.of(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + dir.resolve("chromium-profile"),
                "--virtual-time-budget=20000", "--dump-dom", report.allureIndex().toUri() + "#suites"));
        assertEquals(0, dom.exitCode(), dom.stderr());

        TreeSet<String> rendered = new TreeSet<>();
        Matcher names = NODE_NAME.matcher(dom.stdout());
        while (names.find()) {
            rendered.add(names.group(1).strip());
        }
        JsonNode resultsJson = new ObjectMapper().readTree(results.resolve(ConformanceResults.FILE).toFile());
        TreeSet<String> expected = new TreeSet<>();
        resultsJson.path("cases").forEach(result -> expected.add(result.path("id").asText()));
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(rendered);
        assertTrue(expected.size() >= 8, "the run judged its cases: " + expected);
        assertEquals(List.of(), missing, "every case of the run is in the rendered report; rendered: " + rendered);
        assertTrue(dom.stdout().contains("label_status_passed"), "status counters rendered");
        assertTrue(Files.readString(out.resolve(MatrixWriter.MARKDOWN_FILE)).contains("TLS-SNI-01"));
    }
}
