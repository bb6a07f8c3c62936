package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.broker.registry.AwsPolicy;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.DisabledCases;
import io.alpnlab.conformance.reference.Defects;
import io.alpnlab.conformance.reference.ReferenceClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The least-privilege policy a run writes: AWS's policy grammar, within AWS's size limit, without
 * wildcards, and tight enough to judge with: the reference client passes the policy case under the
 * policy written from its own run, and the variant that also publishes outside its task fails it.
 */
class LeastPrivilegePolicyTest {

    /** Cases that touch every kind of topic the reference client uses: telemetry, shadow, jobs, provisioning. */
    private static final String CASES = "Sanity-Connect-Publish,MQTT-Subscribe,Shadow-ReportState,Shadow-ApplyDesired,"
            + "Jobs-Execution,Provisioning-ByClaim";

    @TempDir
    static Path dir;

    @BeforeAll
    static void preparePki() {
        BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", dir.resolve("pki").toString())));
    }

    private static ConformanceEngine engine(Defects defects, String include, String results, String policy) {
        Map<String, String> properties = new HashMap<>(Map.of("conformance.include", include, "conformance.results-dir",
                dir.resolve(results).toString()));
        if (policy != null) {
            properties.put("conformance.policy", policy);
        }
        return ConformanceEngine.start(ConformanceSettings.fromProperties(properties), Map.of("broker.pki-dir",
                dir.resolve("pki").toString()), new ReferenceClient(defects), DisabledCases.NONE);
    }

    private static CaseResult runOnly(ConformanceEngine engine, String caseId) throws InterruptedException {
        ConformanceCase policyCase = engine.cases().stream().filter(c -> c.id().equals(caseId)).findFirst().orElseThrow();
        return engine.run(policyCase);
    }

    @Test
    void the_policy_written_from_the_reference_run_is_valid_and_the_reference_client_passes_under_it() throws Exception {
        Path folder = dir.resolve("reference-run");
        try (ConformanceEngine engine = engine(Defects.NONE, CASES, "reference-run", null)) {
            ConformanceResults results = new ConformanceResults();
            for (ConformanceCase conformanceCase : engine.cases()) {
                CaseResult result = engine.run(conformanceCase);
                assertEquals(CaseResult.Verdict.PASS, result.verdict(), result.caseId() + ": " + result.observed());
                results.add(result);
            }
            results.write(folder, engine);
        }
        JsonSchema grammar;
        try (InputStream schema = ConformanceResults.class.getResourceAsStream("aws-iot-policy.schema.json")) {
            grammar = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
        }
        JsonNode written = new ObjectMapper().readTree(folder.resolve("results.json").toFile()).get("leastPrivilegePolicy");
        List<String> files = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        for (JsonNode name : written) {
            Path file = folder.resolve(name.asText());
            String document = Files.readString(file);
            JsonNode parsed = new ObjectMapper().readTree(document);
            assertEquals(java.util.Set.of(), grammar.validate(parsed), file + " is not in AWS's policy grammar");
            assertTrue(parsed.toString().length() <= LeastPrivilegePolicy.MAX_DOCUMENT_CHARACTERS, file + " is over AWS's"
                    + " 2,048 characters: " + parsed.toString().length());
            assertEquals(List.of(), AwsPolicy.parse(document).wildcards(), file + " uses wildcards");
            files.add(file.toString());
            all.append(document);
        }
        String policy = all.toString();
        assertTrue(policy.contains("client/${iot:Connection.Thing.ThingName}"), policy);
        assertTrue(policy.contains("topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/update\""), policy);
        assertTrue(policy.contains("topicfilter/$aws/certificates/create-from-csr/json/accepted"), policy);
        assertFalse(policy.contains("alpnlab-suite-helper"), "the suite's own helper is not the device: " + policy);

        String given = String.join(",", files);
        try (ConformanceEngine engine = engine(Defects.NONE, "Policy-LeastPrivilege", "under-policy", given)) {
            CaseResult result = runOnly(engine, "Policy-LeastPrivilege");
            assertEquals(CaseResult.Verdict.PASS, result.verdict(), result.observed());
        }
        try (ConformanceEngine engine = engine(Defects.named("out-of-policy-topic"), "Policy-LeastPrivilege", "defect-under-policy",
                given)) {
            CaseResult result = runOnly(engine, "Policy-LeastPrivilege");
            assertEquals(CaseResult.Verdict.FAIL, result.verdict(), result.observed());
            assertTrue(result.observed().contains("alpnlab/status/"), result.observed());
        }
    }

    @Test
    void a_given_policy_with_wildcards_blocks_the_case_saying_which() throws Exception {
        Path wide = Files.writeString(dir.resolve("wide.json"), """
                {"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:eu-west-1:123456789012:client/*"},
                  {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": "*"},
                  {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": "*"}]}""");
        try (ConformanceEngine engine = engine(Defects.NONE, "Policy-LeastPrivilege", "wide", wide.toString())) {
            CaseResult result = runOnly(engine, "Policy-LeastPrivilege");
            assertEquals(CaseResult.Verdict.BLOCKED, result.verdict(), result.observed());
            assertTrue(result.reason().contains("client/*"), result.reason());
        }
    }

    @Test
    void policy_documents_the_mock_cannot_enforce_are_refused_by_name() {
        String deny = """
                {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iot:Publish", "Resource": "*"}]}""";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AwsPolicy.parse(deny)).getMessage().contains("Deny"));
        String badArn = """
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Publish", "Resource": "topic/x"}]}""";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AwsPolicy.parse(badArn)).getMessage().contains("topic/x"));
        String wrongType = """
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Subscribe",
                  "Resource": "arn:aws:iot:eu-west-1:123456789012:topic/x"}]}""";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AwsPolicy.parse(wrongType)).getMessage()
                .contains("does not apply to a topic resource"));
        String oldVersion = """
                {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]}""";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AwsPolicy.parse(oldVersion)).getMessage().contains("Version"));
        var parsed = AwsPolicy.parse("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
                  "Resource": ["arn:aws:iot:eu-west-1:123456789012:topic/t/${iot:ClientId}"]}]}""");
        assertEquals(List.of("t/${iot:ClientId}"), parsed.policy().publish());
        assertTrue(parsed.policy().allowsPublish("t/dev-1", Map.of("iot:ClientId", "dev-1")));
        assertFalse(parsed.policy().allowsPublish("t/dev-2", Map.of("iot:ClientId", "dev-1")));
    }
}
