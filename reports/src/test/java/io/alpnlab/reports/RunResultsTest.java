package io.alpnlab.reports;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report step's checks of a results.json: that this run wrote it, and that unsupported cases were allowed. */
class RunResultsTest {

    @TempDir
    Path dir;

    private Path results(String runId, String allowUnsupported, String... verdicts) throws Exception {
        StringBuilder cases = new StringBuilder();
        for (int i = 0; i < verdicts.length; i++) {
            cases.append(i == 0 ? "" : ",").append("{\"id\": \"Case-").append(i).append("\", \"verdict\": \"").append(verdicts[i]).append("\"}");
        }
        String runField = runId == null ? "" : "\"runId\": \"" + runId + "\", ";
        Path file = dir.resolve("results.json");
        Files.writeString(file, "{\"schemaVersion\": 1, " + runField + "\"settings\": {\"allow-unsupported\": \"" + allowUnsupported
                + "\"}, \"cases\": [" + cases + "]}", StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void results_of_another_run_are_refused_naming_both_runs() throws Exception {
        RunResults stale = RunResults.read(results("20261201T100000.000Z", "false", "PASS"));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> stale.requireRun("20261202T090000.000Z"));
        assertTrue(refused.getMessage().contains("'20261201T100000.000Z'") && refused.getMessage().contains("'20261202T090000.000Z'"),
                refused.getMessage());
        assertDoesNotThrow(() -> stale.requireRun("20261201T100000.000Z"));
    }

    @Test
    void results_from_before_run_ids_are_refused() throws Exception {
        RunResults old = RunResults.read(results(null, "false", "PASS"));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> old.requireRun("20261202T090000.000Z"));
        assertTrue(refused.getMessage().contains("(none recorded)"), refused.getMessage());
    }

    @Test
    void unsupported_cases_fail_the_run_unless_allowed() throws Exception {
        RunResults notAllowed = RunResults.read(results("r", "false", "PASS", "NOT_SUPPORTED", "NOT_SUPPORTED"));
        assertEquals(List.of("Case-1", "Case-2"), notAllowed.unsupportedCases());
        IllegalStateException failed = assertThrows(IllegalStateException.class, notAllowed::requireSupportedOrAllowed);
        assertTrue(failed.getMessage().contains("2 case(s): Case-1, Case-2"), failed.getMessage());
        assertTrue(failed.getMessage().contains("-Dconformance.allow-unsupported=true"), failed.getMessage());

        assertDoesNotThrow(RunResults.read(results("r", "true", "PASS", "NOT_SUPPORTED"))::requireSupportedOrAllowed);
        assertDoesNotThrow(RunResults.read(results("r", "false", "PASS", "DISABLED", "NOT_APPLICABLE"))::requireSupportedOrAllowed);
    }
}
