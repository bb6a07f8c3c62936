package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.conformance.cases.CaseTables;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The C agent (agents/c: mbedTLS 2.28, the Pico W's TLS stack) as a device on another host: built with
 * the system's gcc, started in one network namespace, and judged by the suite from the other, as
 * {@code mvn verify -Dtarget=<agent address>} would. The conforming build passes every case but the two
 * its TLS library cannot do; each deliberately wrong build is caught by the case meant for it, with the
 * cause named from the build configuration the agent reports.
 */
@Execution(ExecutionMode.CONCURRENT)
// Its builds and suite runs load both cores: the class takes the timing lock for itself, so that the meta-test's
// millisecond judgements never run next to them. Its seven device runs go side by side in one suite JVM (started
// before the tests, which then judge them): the four wrong builds are judged on TLS cases alone, and the conforming
// build's three runs then spend most of their time waiting on scaled timers.
@ResourceLock(value = SuiteCatchesDefectsTest.TIMING, mode = ResourceAccessMode.READ_WRITE)
class CAgentOverNetworkTest {

    private static final Path AGENT_SOURCES = Path.of("..", "agents", "c").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path RESULTS = Path.of("target", "c-agent-results").toAbsolutePath();
    private static final String CONFORMING = "alpnlab-agent";

    @TempDir
    static Path dir;
    private static TwoHostNetwork network;
    private static BrokerPki files;

    /** One device run: a build's agent on a port of its own, judged on the selected cases. */
    private record Run(String name, String build, String include, String listen) {
        Path results() {
            // Kept after the run, as the real-client matrix keeps its own: a failing build's report is there to read.
            return RESULTS.resolve(name);
        }
    }

    private static final List<Run> PLANNED = new ArrayList<>();
    private static final List<RealPeer.Running> AGENTS = new ArrayList<>();
    /** Every run's suite, side by side in one JVM on the lab host, started once the agents listen. */
    private static CompletableFuture<RealPeer.Result> suites;

    @BeforeAll
    static void buildAgentsAndNetwork() {
        RealPeer.require("make", "make");
        RealPeer.require("gcc", "gcc");
        if (!Files.exists(Path.of("/usr/include/mbedtls/ssl.h"))) {
            RealPeer.require("mbedtls-headers-missing", "libmbedtls-dev");
        }
        RealPeer.Result build = RealPeer.run(Duration.ofMinutes(3), List.of("make", "-C", AGENT_SOURCES.toString(),
                "BUILD=" + dir.resolve("build"), "variants"));
        assertEquals(0, build.exitCode(), "the C agent builds without a warning (-Werror):\n" + build);
        network = TwoHostNetwork.create();
        // The device is given the CA file and its credentials once, before any run, as a real one would be.
        files = BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", dir.resolve("pki").toString(),
                "broker.bind", network.labAddress)));
        // The conforming build is judged on the whole suite as three devices of the same build, each its own agent
        // process and broker: a device does one task at a time, so its timer-bound cases (40 of its 67 s) would
        // otherwise wait for each other. Two runs share those cases, the third has everything else.
        List<List<String>> shares = SuiteShares.of(2);
        for (int share = 0; share < shares.size(); share++) {
            plan(CONFORMING + "-" + (share + 1), CONFORMING, String.join(",", shares.get(share)));
        }
        plan("alpnlab-agent-no-sni", "alpnlab-agent-no-sni", "Sanity-*,TLS-SNI-Present");
        plan("alpnlab-agent-alpn-wire-format", "alpnlab-agent-alpn-wire-format", "TLS-443-ALPN-PlainName,TLS-443-ALPN-Offered");
        plan("alpnlab-agent-small-buffer", "alpnlab-agent-small-buffer", "Sanity-*,TLS-Chain-AwsSize");
        plan("alpnlab-agent-mfl", "alpnlab-agent-mfl", "Sanity-*,TLS-Chain-AwsSize");
        // A run that writes nothing must not be judged on an earlier build's results.
        deleteTree(RESULTS);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dbroker.pki-dir=" + dir.resolve("pki"),
                SuitesSideBySide.class.getName()));
        for (Run run : PLANNED) {
            RealPeer.Running agent = RealPeer.start(TwoHostNetwork.in(network.deviceNamespace,
                    List.of(dir.resolve("build").resolve(run.build()).toString(), "--listen", run.listen(), "--name", run.build(),
                            "--ca", files.trustBundle().toString(), "--cert", files.deviceCertificate().toString(),
                            "--key", files.deviceKey().toString())));
            AGENTS.add(agent);
            agent.awaitOutput("agent listening on " + run.listen(), Duration.ofSeconds(10));
            command.add(run.listen() + ";" + run.include() + ";" + run.results());
        }
        suites = CompletableFuture.supplyAsync(() -> RealPeer.run(Duration.ofMinutes(4),
                TwoHostNetwork.in(network.labNamespace, command)));
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot clear " + root, e);
        }
    }

    private static void plan(String name, String build, String include) {
        // Builds run side by side, each agent on a port of its own on the device host.
        PLANNED.add(new Run(name, build, include, network.deviceAddress + ":" + (7883 + PLANNED.size())));
    }

    /** The verdicts of a build's runs, by case, merged; the suite's output and the agents' if a run wrote none. */
    private static Map<String, JsonNode> verdicts(String build) throws Exception {
        RealPeer.Result suite = suites.get(5, TimeUnit.MINUTES);
        Map<String, JsonNode> merged = new LinkedHashMap<>();
        for (Run run : PLANNED) {
            if (!run.build().equals(build)) {
                continue;
            }
            Path file = run.results().resolve(ConformanceResults.FILE);
            assertTrue(Files.exists(file), run.name() + ": the suite wrote no results:\n" + suite + "\nagent:\n"
                    + AGENTS.get(PLANNED.indexOf(run)).output());
            JsonNode report = JSON.readTree(file.toFile());
            assertEquals(build, report.path("client").path("name").asText());
            report.path("cases").forEach(result -> merged.putIfAbsent(result.path("id").asText(), result));
        }
        return merged;
    }

    @AfterAll
    static void removeNetwork() {
        if (suites != null) {
            // The suites end (they have their own time limit) before the namespaces their agents live in are removed.
            suites.handle((result, failure) -> null).join();
        }
        AGENTS.forEach(RealPeer.Running::close);
        if (network != null) {
            network.close();
        }
    }

    private static void assertVerdict(Map<String, JsonNode> results, String caseId, String verdict) {
        JsonNode result = results.get(caseId);
        assertTrue(result != null, caseId + " did not run: " + results.keySet());
        assertEquals(verdict, result.path("verdict").asText(), result.toPrettyString());
    }

    @Test
    void conforming_build_passes_every_case_and_is_warned_on_the_split_records_its_tls_library_cannot_join()
            throws Exception {
        Map<String, JsonNode> results = verdicts(CONFORMING);
        // Split handshake records are advisory (AWS sends its chain in one record): a warning, not a failure. So is a
        // 128 KB delivery, past the agent's MQTT buffer (a Pico W has 264 KB of RAM in all). The agent reports its
        // shadow state; the other device-service actions it answers as not supported.
        Map<String, String> expected = Map.of("TLS-Records-Split", "PASS_WITH_WARNINGS", "MQTT-Subscribe-Payload128K",
                "PASS_WITH_WARNINGS", "Shadow-ApplyDesired", "NOT_SUPPORTED", "Jobs-Execution", "NOT_SUPPORTED", "Jobs-NotifyNext", "NOT_SUPPORTED", "Jobs-Execution-443", "NOT_SUPPORTED", "Provisioning-ByClaim-443", "NOT_SUPPORTED",
                "Provisioning-ByClaim", "NOT_SUPPORTED");
        for (Map.Entry<String, JsonNode> entry : results.entrySet()) {
            assertVerdict(results, entry.getKey(), expected.getOrDefault(entry.getKey(), "PASS"));
        }
        assertTrue(results.get("MQTT-Subscribe-Payload128K").path("hint").asText().contains("mqtt_in_buffer="),
                results.get("MQTT-Subscribe-Payload128K").toPrettyString());
        assertEquals(CaseTables.all().stream().map(ConformanceCase::id).collect(Collectors.toSet()), results.keySet(),
                "the whole suite ran");
        assertTrue(results.get("TLS-Records-Split").path("hint").asText().contains("handshake_fragments=0"),
                "the report names the library's limit as the cause: " + results.get("TLS-Records-Split").toPrettyString());
        // Device Advisor's large delivery comes in a full 16 KB record, which the agent takes.
        java.util.regex.Matcher largest = java.util.regex.Pattern.compile("records of up to (\\d+) bytes")
                .matcher(results.get("TLS-Records-16K").path("observed").asText());
        assertTrue(largest.find() && Integer.parseInt(largest.group(1)) > 16_384, results.get("TLS-Records-16K").toPrettyString());
    }

    @Test
    void build_without_sni_fails_the_sni_case_and_the_report_names_the_build_setting() throws Exception {
        Map<String, JsonNode> results = verdicts("alpnlab-agent-no-sni");
        assertVerdict(results, "TLS-SNI-Present", "FAIL");
        JsonNode sni = results.get("TLS-SNI-Present");
        assertTrue(sni.path("observed").asText().contains("no SNI"), sni.toPrettyString());
        assertTrue(sni.path("hint").asText().contains("sni=0"), sni.toPrettyString());
    }

    @Test
    void build_passing_alpn_in_openssl_wire_format_is_caught_on_443() throws Exception {
        Map<String, JsonNode> results = verdicts("alpnlab-agent-alpn-wire-format");
        assertVerdict(results, "TLS-443-ALPN-PlainName", "FAIL");
        assertVerdict(results, "TLS-443-ALPN-Offered", "FAIL");
        JsonNode plain = results.get("TLS-443-ALPN-PlainName");
        assertTrue(plain.path("hint").asText().contains("alpn_format=wire-format"), plain.toPrettyString());
    }

    /** A build that connects (sanity passes) but fails AWS's 4,991-byte chain, with a hint naming each cause. */
    private static void failsTheAwsSizedChainNaming(String build, String... hintParts) throws Exception {
        Map<String, JsonNode> results = verdicts(build);
        assertVerdict(results, "Sanity-Connect-Publish", "PASS");
        assertVerdict(results, "TLS-Chain-AwsSize", "FAIL");
        JsonNode chain = results.get("TLS-Chain-AwsSize");
        for (String part : hintParts) {
            assertTrue(chain.path("hint").asText().contains(part), part + " not named: " + chain.toPrettyString());
        }
    }

    @Test
    void build_with_a_4k_record_buffer_fails_the_aws_sized_chain_and_the_report_names_the_buffer() throws Exception {
        failsTheAwsSizedChainNaming("alpnlab-agent-small-buffer", "tls_in_record=4096");
    }

    /** The false PASS this project exists to prevent: MFL makes a 4 KB buffer work with brokers that honour it, not AWS. */
    @Test
    void build_relying_on_max_fragment_length_fails_the_aws_sized_chain_and_the_report_names_mfl() throws Exception {
        failsTheAwsSizedChainNaming("alpnlab-agent-mfl", "mfl=4096", "TLS-MFL-01");
    }
}
