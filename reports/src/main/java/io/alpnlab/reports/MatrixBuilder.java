package io.alpnlab.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.conformance.ConformanceResults;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds the matrix from a run's {@code results.json}. */
public final class MatrixBuilder {

    private MatrixBuilder() {
    }

    public static Matrix fromResults(Path resultsFile) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(resultsFile.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(resultsFile + ": not a readable results file (" + e.getMessage() + ")", e);
        }
        if (root.path("schemaVersion").asInt(-1) != ConformanceResults.SCHEMA_VERSION || !root.path("cases").isArray()) {
            throw new IllegalArgumentException(resultsFile + ": not a conformance results file of schema version "
                    + ConformanceResults.SCHEMA_VERSION);
        }
        Map<String, List<Matrix.Case>> casesByRule = new LinkedHashMap<>();
        Map<String, String[]> ruleText = new LinkedHashMap<>();
        for (JsonNode result : root.get("cases")) {
            String rule = result.path("rule").asText();
            Matrix.Verdict verdict = Matrix.Verdict.valueOf(result.path("verdict").asText());
            String reason = switch (verdict) {
                case PASS -> "";
                case FAIL, BLOCKED, PASS_WITH_WARNINGS -> result.path("observed").asText();
                default -> result.path("reason").asText();
            };
            List<Matrix.Case> cases = casesByRule.computeIfAbsent(rule, key -> new ArrayList<>());
            // The sanity case runs twice (first and last); one row entry is enough unless the two differ.
            Matrix.Case entry = new Matrix.Case(result.path("id").asText(), verdict, reason);
            if (!cases.contains(entry)) {
                cases.add(entry);
            }
            ruleText.putIfAbsent(rule, new String[] {result.path("ruleStatement").asText(), result.path("provenance").asText()});
        }
        List<Matrix.Row> rows = new ArrayList<>();
        Map<Matrix.Verdict, Integer> summary = new EnumMap<>(Matrix.Verdict.class);
        for (Matrix.Verdict verdict : Matrix.Verdict.values()) {
            summary.put(verdict, 0);
        }
        for (Map.Entry<String, List<Matrix.Case>> entry : casesByRule.entrySet()) {
            Matrix.Verdict worst = entry.getValue().stream().map(Matrix.Case::verdict).max(Enum::compareTo).orElseThrow();
            boolean anyJudged = entry.getValue().stream().anyMatch(c -> c.verdict() == Matrix.Verdict.PASS
                    || c.verdict() == Matrix.Verdict.PASS_WITH_WARNINGS || c.verdict() == Matrix.Verdict.FAIL);
            if (anyJudged && worst != Matrix.Verdict.FAIL) {
                // A rule judged by some cases is not "disabled" because another case of it was.
                worst = entry.getValue().stream().map(Matrix.Case::verdict)
                        .filter(v -> v == Matrix.Verdict.PASS || v == Matrix.Verdict.PASS_WITH_WARNINGS)
                        .max(Enum::compareTo).orElse(worst);
            }
            String[] text = ruleText.get(entry.getKey());
            rows.add(new Matrix.Row(entry.getKey(), text[0], text[1], worst, List.copyOf(entry.getValue())));
            summary.merge(worst, 1, Integer::sum);
        }
        Map<String, String> broker = new TreeMap<>();
        root.path("broker").fields().forEachRemaining(field -> broker.put(field.getKey(), field.getValue().asText()));
        broker.put("timeScale", root.path("timeScale").asText());
        Map<String, String> clientConfiguration = new LinkedHashMap<>();
        root.path("client").path("configuration").fields()
                .forEachRemaining(field -> clientConfiguration.put(field.getKey(), field.getValue().asText()));
        Map<String, Integer> summaryByName = new LinkedHashMap<>();
        summary.forEach((verdict, count) -> summaryByName.put(verdict.name(), count));
        return new Matrix(Matrix.SCHEMA, Matrix.SCHEMA_VERSION, root.path("client").path("name").asText(),
                root.path("client").path("version").asText(), root.path("finishedAt").asText(),
                root.path("suiteVersion").asText(), broker, summaryByName, rows, clientConfiguration);
    }
}
