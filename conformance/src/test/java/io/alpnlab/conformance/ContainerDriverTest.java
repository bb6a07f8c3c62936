package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.ClientUnderTest;
import io.alpnlab.conformance.client.Clients;
import io.alpnlab.conformance.client.ProcessClient;
import io.alpnlab.testing.LocalImages;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container driver: the client under test is a container image built from local files (holding
 * this machine's mosquitto_pub and mosquitto_sub, nothing else), run by Testcontainers with the
 * process driver's placeholders, reaching the suite's broker by the endpoint name.
 */
class ContainerDriverTest {

    private static final String IMAGE = "alpnlab/mosquitto-clients:local";

    @TempDir
    Path dir;

    @Test
    void mosquitto_in_a_container_image_passes_the_cases_it_can_express() throws Exception {
        LocalImages.requireDocker();
        RealPeer.require("mosquitto_pub", "mosquitto-clients");
        LocalImages.programs(IMAGE, "mosquitto_pub", "mosquitto_sub");
        // The shipped mosquitto description, with the image its commands run in.
        ObjectNode description = (ObjectNode) ProcessClient.builtInJson("mosquitto");
        description.put("name", "mosquitto in " + IMAGE).put("image", IMAGE);
        Path file = dir.resolve("mosquitto-container.json");
        Files.writeString(file, description.toPrettyString());

        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of("conformance.client", "container:" + file,
                "conformance.include", "Sanity-*,TLS-443-ALPN-Offered,TLS-SNI-*,TLS-Verify-Expired,MQTT-Publish-QoS1,MQTT-Subscribe",
                "conformance.results-dir", dir.resolve("results").toString()));
        Clients.Selected selected = Clients.select(settings);
        ClientUnderTest client = selected.client();
        assertTrue(client.version().matches("\\d+\\.\\d+\\.\\d+"), "the version command ran in the container too: '"
                + client.version() + "'");
        List<CaseResult> results = new ArrayList<>();
        try (ConformanceEngine engine = ConformanceEngine.start(settings, Map.of("broker.pki-dir", dir.resolve("pki").toString()),
                client, selected.disabled())) {
            for (ConformanceCase conformanceCase : engine.cases()) {
                results.add(engine.run(conformanceCase));
            }
        }
        assertEquals(8, results.size(), results.toString());
        for (CaseResult result : results) {
            assertEquals(CaseResult.Verdict.PASS, result.verdict(), result.caseId() + ": " + result.observed() + "\n"
                    + (result.report() == null ? "" : result.report().output()));
        }
        CaseResult expired = results.stream().filter(result -> result.caseId().equals("TLS-Verify-Expired")).findFirst().orElseThrow();
        // mosquitto words it "Error: ..." or "Unable to connect (...)" as the failure lands in its loop or in its connect call.
        assertTrue(expired.report().output().contains("A TLS error occurred."),
                "the container's stderr reaches the report: " + expired.report().output());
    }
}
