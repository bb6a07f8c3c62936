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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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
    private final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 9999));
    private final String deviceNamespace = "alpnlab-dev-" + suffix;
    private final String labNamespace = "alpnlab-lab-" + suffix;
    private final int subnet = ThreadLocalRandom.current().nextInt(10, 250);
    private final String labAddress = "10.77." + subnet + ".1";
    private final String deviceAddress = "10.77." + subnet + ".2";
    private boolean created;
    private RealPeer.Running agent;

    private RealPeer.Result ip(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        return RealPeer.run(Duration.ofSeconds(10), command);
    }

    private void mustIp(String... arguments) {
        RealPeer.Result result = ip(arguments);
        assertEquals(0, result.exitCode(), "ip " + String.join(" ", arguments) + ":\n" + result);
    }

    private void createNetwork() {
        RealPeer.require("ip", "iproute2");
        RealPeer.Result add = ip("netns", "add", deviceNamespace);
        if (add.exitCode() != 0) {
            String message = "network namespaces are not permitted here (needs root and CAP_SYS_ADMIN): " + add.stderr().strip();
            if ("1".equals(System.getenv(RealPeer.REQUIRE_PEERS_ENV))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        created = true;
        mustIp("netns", "add", labNamespace);
        String deviceLink = "vd" + suffix;
        String labLink = "vl" + suffix;
        mustIp("link", "add", deviceLink, "type", "veth", "peer", "name", labLink);
        mustIp("link", "set", deviceLink, "netns", deviceNamespace);
        mustIp("link", "set", labLink, "netns", labNamespace);
        mustIp("-n", deviceNamespace, "addr", "add", deviceAddress + "/24", "dev", deviceLink);
        mustIp("-n", labNamespace, "addr", "add", labAddress + "/24", "dev", labLink);
        for (String namespace : List.of(deviceNamespace, labNamespace)) {
            mustIp("-n", namespace, "link", "set", "lo", "up");
        }
        mustIp("-n", deviceNamespace, "link", "set", deviceLink, "up");
        mustIp("-n", labNamespace, "link", "set", labLink, "up");
    }

    @AfterEach
    void removeNetwork() {
        if (agent != null) {
            agent.close();
        }
        if (created) {
            // Deleting a namespace deletes its end of the veth pair, and with it the other end.
            ip("netns", "del", deviceNamespace);
            ip("netns", "del", labNamespace);
        }
    }

    @Test
    void suite_drives_an_agent_on_another_host_through_the_broker_bound_on_its_side() throws Exception {
        createNetwork();
        Path pki = dir.resolve("pki");
        // The device is given the CA file and its credentials once, before the run, as a real one would be.
        BrokerPki files = BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", pki.toString(),
                "broker.bind", labAddress)));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");

        agent = RealPeer.start(List.of("ip", "netns", "exec", deviceNamespace, java, "-cp", classpath,
                ReferenceAgent.class.getName(), "--listen", deviceAddress + ":7883", "--ca", files.trustBundle().toString(),
                "--cert", files.deviceCertificate().toString(), "--key", files.deviceKey().toString()));
        agent.awaitOutput("agent listening on " + deviceAddress + ":7883", Duration.ofSeconds(30));

        Path results = dir.resolve("results");
        RealPeer.Result suite = RealPeer.run(Duration.ofMinutes(3), List.of("ip", "netns", "exec", labNamespace, java,
                "-cp", classpath, "-Dtarget=" + deviceAddress, "-Dbroker.pki-dir=" + pki,
                "-Dconformance.include=Sanity-*,TLS-SNI-*,TLS-443-ALPN-Offered,TLS-Verify-Expired,MQTT-Publish-QoS1,MQTT-Backoff-Refused",
                "-Dconformance.results-dir=" + results, io.alpnlab.conformance.suite.SuiteMain.class.getName()));
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
