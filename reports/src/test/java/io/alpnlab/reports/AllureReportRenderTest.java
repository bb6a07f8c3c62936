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
 * Real runs of the suite (in their own JVM, through the JUnit Platform, with Allure's listener) become the matrix and
 * the Allure report, and the report is opened in headless Chromium: it renders the run's cases (not an empty page),
 * the run's environment, its failures sorted into categories, and, after a second run into the same place, a trend
 * of both runs.
 */
class AllureReportRenderTest {

    private static final Pattern NODE_NAME = Pattern.compile("class=\"node__name\">\\s*([^<\\s][^<]*?)\\s*<");
    private static final String CASES = "Sanity-*,TLS-SNI-*,TLS-443-ALPN-Offered,TLS-Verify-*,MQTT-Publish-QoS1";

    @TempDir
    Path dir;

    /** One run of the suite against a client, into folders of its own; returns its results.json. */
    private Path run(String name, String client) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path results = dir.resolve(name).resolve("results");
        RealPeer.Result run = RealPeer.run(Duration.ofMinutes(3), List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dallure.results.directory=" + dir.resolve(name).resolve("allure-results"), "-Dconformance.results-dir=" + results,
                "-Dbroker.pki-dir=" + dir.resolve("pki"), "-Dconformance.client=" + client, "-Dconformance.include=" + CASES,
                SuiteMain.class.getName()));
        assertTrue(Files.exists(results.resolve(ConformanceResults.FILE)), run.toString());
        return results.resolve(ConformanceResults.FILE);
    }

    private RealPeer.Result dumpDom(Path chromium, Path index, String page) {
        RealPeer.Result dom = RealPeer.run(Duration.ofSeconds(90), List.of(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + dir.resolve("chromium-profile-" + page),
                "--virtual-time-budget=20000", "--dump-dom", index.toUri() + "#" + page));
        assertEquals(0, dom.exitCode(), dom.stderr());
        return dom;
    }

    /** The rendered page without the report's embedded data, which holds every name whether it is shown or not. */
    private static String shown(String dom) {
        int body = dom.indexOf("<body");
        return dom.substring(Math.max(0, body)).replaceAll("(?s)<script.*?</script>", "");
    }

    @Test
    void the_report_of_real_runs_renders_cases_environment_categories_and_trend_in_chromium() throws Exception {
        Path chromium = RealPeer.require("chromium", "chromium");
        Path out = dir.resolve("report");
        Path allureHome = Path.of(System.getProperty("alpnlab.allure.home"));

        Path passing = run("first", "reference");
        Report first = Report.generate(passing, dir.resolve("first").resolve("allure-results"), allureHome, out);
        assertTrue(Files.size(first.allureIndex()) > 100_000, "a real single-file report");

        RealPeer.Result dom = dumpDom(chromium, first.allureIndex(), "suites");
        TreeSet<String> rendered = new TreeSet<>();
        Matcher names = NODE_NAME.matcher(dom.stdout());
        while (names.find()) {
            rendered.add(names.group(1).strip());
        }
        JsonNode resultsJson = new ObjectMapper().readTree(passing.toFile());
        TreeSet<String> expected = new TreeSet<>();
        resultsJson.path("cases").forEach(result -> expected.add(result.path("id").asText()));
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(rendered);
        assertTrue(expected.size() >= 8, "the run judged its cases: " + expected);
        assertEquals(List.of(), missing, "every case of the run is in the rendered report; rendered: " + rendered);
        assertTrue(dom.stdout().contains("label_status_passed"), "status counters rendered");
        assertTrue(Files.readString(out.resolve(MatrixWriter.MARKDOWN_FILE)).contains("TLS-SNI-01"));

        // A second run, of a client without SNI, into the same place: its SNI case fails and the rest is blocked by it.
        Path failing = run("second", "reference:no-sni");
        Report second = Report.generate(failing, dir.resolve("second").resolve("allure-results"), allureHome, out);
        String overview = shown(dumpDom(chromium, second.allureIndex(), "").stdout());
        int section = overview.indexOf("Environment");
        assertTrue(section >= 0, "an environment section: " + overview);
        String environment = overview.substring(section, overview.indexOf("widget__title", section));
        // The first five rows show; the broker's switches are behind "Show all".
        for (String entry : List.of("Client", "no-sni", "Suite version", "Broker profile", "aws-2022-docs+observed", "Time scale",
                "Show all")) {
            assertTrue(environment.contains(entry), entry + " not in the environment section: " + environment);
        }
        assertTrue(overview.contains("Client defect"), "the failed SNI case is a client defect: " + overview);
        assertTrue(overview.contains("Blocked by another rule"), "the cases after it are blocked: " + overview);
        assertEquals(2, countOf(overview, "class=\"report-line\""), "the trend has a point for each of the two runs");
    }

    private static int countOf(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }
}
