package io.alpnlab.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.rules.Rule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The results of one run, kept in order and written as {@code results.json}: the reports module
 * turns it into the conformance matrix. Schema version 1: fields are only ever added.
 */
public final class ConformanceResults {

    public static final int SCHEMA_VERSION = 1;
    public static final String FILE = "results.json";

    private final List<CaseResult> results = new ArrayList<>();
    private final Instant startedAt = Instant.now();

    public synchronized void add(CaseResult result) {
        results.add(result);
    }

    public synchronized List<CaseResult> all() {
        return List.copyOf(results);
    }

    public synchronized Map<CaseResult.Verdict, Integer> counts() {
        Map<CaseResult.Verdict, Integer> counts = new EnumMap<>(CaseResult.Verdict.class);
        for (CaseResult.Verdict verdict : CaseResult.Verdict.values()) {
            counts.put(verdict, 0);
        }
        results.forEach(result -> counts.merge(result.verdict(), 1, Integer::sum));
        return counts;
    }

    /** Writes results.json into the folder and returns its path. */
    public synchronized Path write(Path folder, ConformanceEngine engine) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("schemaVersion", SCHEMA_VERSION);
        root.put("runId", engine.settings().runId());
        String suiteVersion = ConformanceResults.class.getPackage().getImplementationVersion();
        root.put("suiteVersion", suiteVersion == null ? "development" : suiteVersion);
        root.put("startedAt", startedAt.toString());
        root.put("finishedAt", Instant.now().toString());
        ObjectNode client = root.putObject("client");
        client.put("name", engine.client().name());
        client.put("version", engine.client().version());
        client.put("scalesTime", engine.client().scalesTime());
        ObjectNode configuration = client.putObject("configuration");
        engine.client().configuration().forEach(configuration::put);
        ObjectNode broker = root.putObject("broker");
        broker.put("profile", "aws-2022-docs+observed");
        engine.brokerSettings().describe().forEach(broker::put);
        root.put("timeScale", engine.timeScale());
        ObjectNode settings = root.putObject("settings");
        engine.settings().describe().forEach(settings::put);
        ArrayNode cases = root.putArray("cases");
        for (CaseResult result : results) {
            ObjectNode entry = cases.addObject();
            entry.put("id", result.caseId());
            Rule rule = result.rule();
            entry.put("rule", rule.id());
            entry.put("ruleStatement", rule.statement());
            entry.put("provenance", rule.provenance().tag());
            entry.put("verdict", result.verdict().name());
            entry.put("expected", result.expected());
            entry.put("observed", result.observed());
            entry.put("hint", result.hint());
            entry.put("reason", result.reason());
            entry.put("assumption", result.assumption());
            entry.put("durationMs", result.duration().toMillis());
            if (!result.evidence().isEmpty()) {
                // Relative to results.json, so the folder can be moved or published whole.
                ArrayNode evidence = entry.putArray("evidence");
                result.evidence().forEach(file -> evidence.add(folder.toAbsolutePath().relativize(file.toAbsolutePath()).toString()));
            }
            if (result.report() != null) {
                entry.put("clientOutcome", result.report().outcome().name());
                entry.put("errorToken", result.report().errorToken());
            }
            ArrayNode connections = entry.putArray("connections");
            result.records().forEach(record -> connections.add(record.id()));
        }
        // The least-privilege policy for what the client did in this run, beside the results (the report copies it).
        List<io.alpnlab.broker.observe.ConnectionRecord> records = new java.util.ArrayList<>();
        results.forEach(result -> records.addAll(result.records()));
        List<ObjectNode> policies = LeastPrivilegePolicy.fromRecords(records, ConformanceEngine.HELPER_CLIENT_ID)
                .documents(engine.brokerSettings().endpoints().get(0));
        ArrayNode policyFiles = root.putArray("leastPrivilegePolicy");
        try {
            Files.createDirectories(folder);
            for (int i = 0; i < policies.size(); i++) {
                String name = LeastPrivilegePolicy.fileName(i);
                Files.writeString(folder.resolve(name), json.writeValueAsString(policies.get(i)) + "\n");
                policyFiles.add(name);
            }
            Path file = folder.resolve(FILE);
            Files.writeString(file, json.writeValueAsString(root) + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + folder.resolve(FILE), e);
        }
    }
}
