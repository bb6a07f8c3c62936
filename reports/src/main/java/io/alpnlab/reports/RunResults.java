package io.alpnlab.reports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the report step checks in a results.json besides the verdicts: which run wrote it, and whether that run
 * allowed cases the client does not support.
 */
final class RunResults {

    private final Path file;
    private final JsonNode root;

    private RunResults(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    static RunResults read(Path file) {
        try {
            return new RunResults(file, new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable results file (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Refuses results another run wrote: when the client under test cannot even be loaded, the suite writes nothing,
     * and the results.json left by an earlier run (perhaps of another client) must not be published as this run's.
     */
    void requireRun(String runId) {
        String written = root.path("runId").asText("");
        if (!written.equals(runId)) {
            throw new IllegalStateException(file + " is from run '" + (written.isEmpty() ? "(none recorded)" : written)
                    + "', not from this run '" + runId + "': the suite wrote no results in this run (see its output above)."
                    + " To report a run of another build, give both builds the same -Dalpnlab.run-id=<id>");
        }
    }

    /**
     * Fails the run for cases the client does not support, unless the run allowed them: the suite only skips them (so
     * that the report is still written), and a client that supports nothing must not end in BUILD SUCCESS.
     */
    void requireSupportedOrAllowed() {
        List<String> unsupported = unsupportedCases();
        if (!unsupported.isEmpty() && !root.path("settings").path("allow-unsupported").asBoolean(false)) {
            throw new IllegalStateException("the client does not support " + unsupported.size() + " case(s): "
                    + String.join(", ", unsupported) + "; allow them with -Dconformance.allow-unsupported=true if that is expected");
        }
    }

    /** The IDs of the cases the client said it does not support, once each. */
    List<String> unsupportedCases() {
        List<String> ids = new ArrayList<>();
        for (JsonNode result : root.path("cases")) {
            String id = result.path("id").asText();
            if (result.path("verdict").asText().equals("NOT_SUPPORTED") && !ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }
}
