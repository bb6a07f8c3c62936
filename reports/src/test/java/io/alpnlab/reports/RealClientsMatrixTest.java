package io.alpnlab.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.conformance.CaseResult;
import io.alpnlab.conformance.ClientVariants;
import io.alpnlab.conformance.ConformanceEngine;
import io.alpnlab.conformance.ConformanceResults;
import io.alpnlab.conformance.ConformanceSettings;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.ClientUnderTest;
import io.alpnlab.conformance.client.DisabledCases;
import io.alpnlab.conformance.client.ProcessClient;
import io.alpnlab.reports.clients.AwsIotSdkClient;
import io.alpnlab.reports.clients.PahoJavaClient;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The suite on clients nobody here wrote: Debian's mosquitto clients and openssl, AWS's device SDK
 * for Java, Eclipse Paho Java, MQTT.js from npm and a C client on Debian's mbedTLS. Each client's
 * expected verdicts, with the reason for every one that is not a pass, are committed in
 * {@code real-clients-expectations.json}; the test fails when a verdict differs. Every run writes
 * each client's matrix to {@code target/real-clients/<client>/}.
 */
@Execution(ExecutionMode.CONCURRENT)
class RealClientsMatrixTest {

    private static final Path OUT = Path.of("target", "real-clients");
    private static final int CLIENTS_AT_ONCE = 3;
    private static JsonNode expectations;

    private static final Path PKI = Path.of("target", "real-clients-pki").toAbsolutePath();

    @BeforeAll
    static void load() throws Exception {
        expectations = new ObjectMapper().readTree(RealClientsMatrixTest.class.getResource("/real-clients-expectations.json"));
        // Made once, before the clients run side by side: each engine then only reads it.
        BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", PKI.toString())));
    }

    /**
     * Each real client with how to create it and what it needs installed, the longest runs first (the
     * AWS SDK waits out its 10 s time-out on each of the five TLS-Verify cases), so that the short ones
     * fill the other threads meanwhile.
     */
    static Stream<RealClient> clients() {
        return Stream.of(
                client("aws-iot-device-sdk-java", AwsIotSdkClient::new, null, null),
                client("paho-java", PahoJavaClient::new, null, null),
                client("mqttjs", () -> ProcessClient.load("src/test/resources/clients/mqttjs-alpn.json"), "node", "nodejs"),
                client("mqttjs-no-alpn", () -> ProcessClient.load("src/test/resources/clients/mqttjs-noalpn.json"), "node", "nodejs"),
                client("mosquitto", () -> ProcessClient.load("mosquitto"), "mosquitto_pub", "mosquitto-clients"),
                client("mosquitto-no-alpn", ClientVariants::mosquittoWithoutAlpn, "mosquitto_pub", "mosquitto-clients"),
                client("mosquitto-insecure", ClientVariants::mosquittoInsecure, "mosquitto_pub", "mosquitto-clients"),
                client("mbedtls-c", RealClientsMatrixTest::mbedtlsClient, "gcc", "gcc libmbedtls-dev"),
                client("mbedtls-c-late-verify", RealClientsMatrixTest::mbedtlsLateVerifyClient, "gcc", "gcc libmbedtls-dev"),
                client("openssl", () -> ProcessClient.load("openssl-s_client"), "openssl", "openssl"),
                client("openssl-noservername", ClientVariants::opensslWithoutSni, "openssl", "openssl"));
    }

    /** A client, how to create it, and the program and Debian packages it needs (null for an in-JVM client). */
    private record RealClient(String id, Supplier<ClientUnderTest> factory, String program, String debianPackages) {
    }

    private static RealClient client(String id, Supplier<ClientUnderTest> factory, String program, String debianPackages) {
        return new RealClient(id, factory, program, debianPackages);
    }

    /**
     * Clients run side by side, three at a time on a pool of this test's own (JUnit's fork-join pool left
     * finished threads idle while a long client held the rest of the queue): each has its own broker on its
     * own ephemeral ports and its own results folder, and shares only the PKI, which is read-only by then.
     * Most of a run is waiting on the network and on the clients' processes, so two cores serve three at
     * once. Each client is its own test, which reports its run's outcome when it is done.
     */
    @TestFactory
    Stream<DynamicTest> real_clients_get_their_expected_verdicts() {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS_AT_ONCE, task -> {
            Thread thread = new Thread(task, "real-client-run");
            thread.setDaemon(true);
            return thread;
        });
        List<DynamicTest> tests = new ArrayList<>();
        clients().forEach(client -> {
            Future<?> run = pool.submit(() -> {
                check(client.id(), client.factory(), client.program(), client.debianPackages());
                return null;
            });
            tests.add(DynamicTest.dynamicTest(client.id(), () -> {
                try {
                    run.get(10, TimeUnit.MINUTES);
                } catch (ExecutionException e) {
                    // The run's own assertion or skip, as the run threw it.
                    throw e.getCause();
                }
            }));
        });
        // Already submitted runs go on; the pool's threads end with the last of them.
        pool.shutdown();
        return tests.stream();
    }

    private static void check(String id, Supplier<ClientUnderTest> factory, String program, String debianPackages)
            throws Exception {
        if (program != null) {
            RealPeer.require(program, debianPackages);
        }
        requireEndpointOnLoopback();
        if (id.startsWith("mqttjs")) {
            requireNodeModules();
        }
        JsonNode expected = expectations.path("clients").path(id);
        assertTrue(expected.isObject(), "no expectations for " + id + " in real-clients-expectations.json");

        ClientUnderTest client = factory.get();
        DisabledCases disabled = client instanceof ProcessClient process ? process.disabled() : DisabledCases.NONE;
        Path results = OUT.resolve(id);
        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of("conformance.results-dir", results.toString(),
                "conformance.include", expected.path("include").asText("*")));
        ConformanceResults run = new ConformanceResults();
        List<String> mismatches = new ArrayList<>();
        try (ConformanceEngine engine = ConformanceEngine.start(settings, Map.of("broker.pki-dir", PKI.toString()), client,
                disabled)) {
            for (ConformanceCase conformanceCase : engine.cases()) {
                CaseResult result = engine.run(conformanceCase);
                run.add(result);
                String want = expectedVerdict(expected, conformanceCase.id());
                if (!want.equals(result.verdict().name())) {
                    mismatches.add(conformanceCase.id() + ": want " + want + ", got " + result.verdict() + " (" + result.observed()
                            + result.reason() + ")");
                }
            }
            Path file = run.write(results, engine);
            MatrixWriter.write(MatrixBuilder.fromResults(file), results);
        }
        assertEquals(List.of(), mismatches, id + ": verdicts differ from real-clients-expectations.json");
    }

    /** The verdict the expectations file gives a case: the first matching entry, else the client's default. */
    static String expectedVerdict(JsonNode client, String caseId) {
        for (Iterator<JsonNode> entries = client.path("expect").elements(); entries.hasNext();) {
            JsonNode entry = entries.next();
            if (ConformanceSettings.globMatches(entry.path("cases").asText(), caseId)) {
                assertTrue(!entry.path("reason").asText().isBlank(), "every expectation carries its reason: " + entry);
                return entry.path("verdict").asText();
            }
        }
        return client.path("otherwise").asText("PASS");
    }

    private static ClientUnderTest mbedtlsClient() {
        buildMbedtlsClient("mbedtls-client");
        return ProcessClient.load("src/test/resources/clients/mbedtls.json");
    }

    /** The same client checking the server after the handshake (VERIFY_OPTIONAL, then the flags), as many devices do. */
    private static ClientUnderTest mbedtlsLateVerifyClient() {
        buildMbedtlsClient("mbedtls-client-late-verify", "-DVERIFY_AFTER_HANDSHAKE");
        return ProcessClient.load("src/test/resources/clients/mbedtls-late-verify.json");
    }

    private static void buildMbedtlsClient(String name, String... defines) {
        List<String> command = new ArrayList<>(List.of("gcc", "-O1", "-Wall", "-o", Path.of("target", name).toString(),
                "-I../agents/c/src"));
        command.addAll(List.of(defines));
        command.addAll(List.of("src/test/clients/mbedtls/client.c", "../agents/c/src/mqtt_wire.c", "-lmbedtls", "-lmbedx509",
                "-lmbedcrypto"));
        RealPeer.Result build = RealPeer.run(Duration.ofMinutes(1), command);
        assertEquals(0, build.exitCode(), "the mbedTLS client must build (apt-get install libmbedtls-dev):\n" + build);
    }

    static void requireNodeModules() {
        if (!Files.exists(Path.of("src/test/clients/mqttjs/node_modules/mqtt/package.json"))) {
            String message = "MQTT.js is not installed: npm ci --prefix reports/src/test/clients/mqttjs (.ci/run does this)";
            if ("1".equals(System.getenv(RealPeer.REQUIRE_PEERS_ENV))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
    }

    static void requireEndpointOnLoopback() {
        RealPeer.requireResolvesToLoopback(io.alpnlab.certs.PkiSettings.DEFAULT_ENDPOINT);
    }
}
