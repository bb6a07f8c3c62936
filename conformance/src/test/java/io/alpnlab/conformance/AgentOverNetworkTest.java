package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.conformance.reference.ReferenceAgent;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent driver over a real network path: two network namespaces joined by a veth pair, the
 * reference agent (a "device") in one, the suite (with its broker bound on its side of the link) in
 * the other, launched as {@code -Dtarget=<agent address>} would launch it.
 */
class AgentOverNetworkTest {

    @TempDir
    Path dir;
    private TwoHostNetwork network;
    private RealPeer.Running agent;

    @AfterEach
    void removeNetwork() {
        if (agent != null) {
            agent.close();
        }
        if (network != null) {
            network.close();
        }
    }

    /**
     * Shares the machine with the meta-test's runs (both judge timers in tens of milliseconds) but not with the C agent's
     * class, which runs five suites and builds at once: beside it, this run's first case once timed out before its first
     * attempt (NO_ATTEMPT) and a CONNACK took over the 500 ms the scaled client waits.
     */
    @Test
    @org.junit.jupiter.api.parallel.ResourceLock(value = SuiteCatchesDefectsTest.TIMING,
            mode = org.junit.jupiter.api.parallel.ResourceAccessMode.READ)
    void suite_drives_an_agent_on_another_host_through_the_broker_bound_on_its_side() throws Exception {
        network = TwoHostNetwork.create();
        String labAddress = network.labAddress;
        String deviceAddress = network.deviceAddress;
        Path pki = dir.resolve("pki");
        // The device is given the CA file and its credentials once, before the run, as a real one would be.
        BrokerPki files = BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", pki.toString(),
                "broker.bind", labAddress)));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");

        agent = RealPeer.start(TwoHostNetwork.in(network.deviceNamespace, List.of(java, "-cp", classpath,
                ReferenceAgent.class.getName(), "--listen", deviceAddress + ":7883", "--ca", files.trustBundle().toString(),
                "--cert", files.deviceCertificate().toString(), "--key", files.deviceKey().toString())));
        agent.awaitOutput("agent listening on " + deviceAddress + ":7883", Duration.ofSeconds(30));

        Path results = dir.resolve("results");
        RealPeer.Result suite = RealPeer.run(Duration.ofMinutes(3), TwoHostNetwork.in(network.labNamespace, List.of(java,
                "-cp", classpath, "-Dtarget=" + deviceAddress, "-Dbroker.pki-dir=" + pki,
                "-Dconformance.include=Sanity-*,TLS-SNI-*,TLS-443-ALPN-Offered,TLS-Verify-Expired,MQTT-Publish-QoS1,MQTT-Backoff-Refused",
                "-Dconformance.results-dir=" + results, io.alpnlab.conformance.suite.SuiteMain.class.getName())));
        assertEquals(0, suite.exitCode(), suite.toString());
        assertTrue(suite.stdout().contains("PASS               TLS-443-ALPN-Offered"), suite.stdout());

        JsonNode report = new ObjectMapper().readTree(results.resolve(ConformanceResults.FILE).toFile());
        assertEquals(labAddress, report.path("broker").path("bind").asText(), "the broker listened on its side of the link");
        assertEquals("agent", report.path("settings").path("client").asText());
        assertEquals("alpnlab reference client", report.path("client").path("name").asText());
        assertEquals(8, report.path("cases").size());
        for (JsonNode result : report.path("cases")) {
            assertEquals("PASS", result.path("verdict").asText(), result.toString());
        }
    }
}
