package io.alpnlab.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MatrixTest {

    @TempDir
    Path dir;

    private static Path sample() throws Exception {
        return Path.of(MatrixTest.class.getResource("/results-sample.json").toURI());
    }

    @Test
    void rules_get_the_worst_verdict_of_the_cases_that_judged_them() throws Exception {
        Matrix matrix = MatrixBuilder.fromResults(sample());
        assertEquals("sample client", matrix.client());
        assertEquals("1.2.3", matrix.clientVersion());
        assertEquals(Matrix.Verdict.FAIL, matrix.row("TLS-SNI-01").verdict());
        assertEquals(Matrix.Verdict.PASS_WITH_WARNINGS, matrix.row("TLS-SUITE-01").verdict());
        assertEquals(Matrix.Verdict.NOT_SUPPORTED, matrix.row("CLIENT-RETRY-01").verdict(), "disabled and unsupported: the worse");
        assertEquals(Matrix.Verdict.PASS, matrix.row("TLS-VERIFY-01").verdict(), "judged by one case, the disabled one aside");
        assertEquals(1, matrix.row("MQTT-CONN-01").cases().size(), "the sanity case listed once");
        assertEquals("one-shot program", matrix.row("CLIENT-RETRY-01").cases().get(0).reason(), "a skip keeps its reason");
        assertEquals(Integer.valueOf(1), matrix.summary().get("FAIL"));
    }

    @Test
    void matrix_files_are_written_and_the_json_reads_back() throws Exception {
        Matrix matrix = MatrixBuilder.fromResults(sample());
        List<Path> files = MatrixWriter.write(matrix, dir);
        assertEquals(matrix, MatrixWriter.read(files.get(0)));
        String markdown = Files.readString(files.get(1));
        assertTrue(markdown.contains("| TLS-SNI-01 (DOC) | ❌ fail | TLS-SNI-Present: fail (ClientHello has no SNI \\| really) |"),
                markdown);
        assertTrue(markdown.contains("| TLS-SUITE-01 (DOC) | ⚠️ pass with warnings |"), markdown);
        String html = Files.readString(files.get(2));
        assertTrue(html.contains("<span class=\"v fail\">fail</span>") && html.contains("sample client 1.2.3"), html);
        assertTrue(!html.contains("<script") && !html.contains("src=\"http"), "self-contained, nothing fetched");
    }

    /** The same matrix with these rules' verdicts changed: a base run to compare with. */
    private static Matrix withVerdicts(Matrix matrix, Map<String, Matrix.Verdict> verdicts) {
        return new Matrix(matrix.schema(), matrix.schemaVersion(), matrix.client(), matrix.clientVersion(), matrix.date(),
                matrix.suiteVersion(), matrix.broker(), matrix.summary(), matrix.rules().stream()
                        .map(row -> verdicts.containsKey(row.rule()) ? new Matrix.Row(row.rule(), row.statement(), row.provenance(),
                                verdicts.get(row.rule()), row.cases()) : row)
                        .toList(), matrix.clientConfiguration());
    }

    @Test
    void comparing_runs_lists_new_failures_and_fixes_and_only_required_failures_fail() throws Exception {
        Matrix head = MatrixBuilder.fromResults(sample());
        Matrix base = withVerdicts(head, Map.of("TLS-SNI-01", Matrix.Verdict.PASS, "TLS-VERIFY-01", Matrix.Verdict.FAIL));
        MatrixComparison comparison = MatrixComparison.compare(base, head, Set.of());
        assertEquals(List.of("TLS-SNI-01: pass -> fail"), comparison.newFailures());
        assertEquals(List.of("TLS-VERIFY-01: fail -> pass"), comparison.fixes());
        assertEquals(1, comparison.exitCode());
        assertEquals(0, MatrixComparison.compare(base, head, Set.of("TLS-SNI-01")).exitCode(), "optional rules do not fail");
        assertEquals(0, MatrixComparison.compare(head, base, Set.of("TLS-VERIFY-01")).exitCode(),
                "warnings alone (TLS-SUITE-01) never fail");
    }

    @Test
    void with_a_base_run_the_markdown_leads_with_what_changed_and_folds_the_table() throws Exception {
        Matrix head = MatrixBuilder.fromResults(sample());
        Matrix base = withVerdicts(head, Map.of("TLS-SNI-01", Matrix.Verdict.PASS));
        String markdown = Files.readString(MatrixWriter.write(head, dir, base).get(1));
        int changes = markdown.indexOf("### Since the base run");
        int newFailure = markdown.indexOf("- TLS-SNI-01: pass -> fail");
        int table = markdown.indexOf("| Rule | Verdict | Cases |");
        assertTrue(changes > 0 && newFailure > changes && table > newFailure, "the change first, then the table:\n" + markdown);
        assertTrue(markdown.substring(changes, table).contains("<details><summary>Every rule</summary>"), markdown);

        String unchanged = MatrixWriter.markdown(head, head);
        assertTrue(unchanged.contains("No verdict changed."), unchanged);
        assertFalse(MatrixWriter.markdown(head).contains("Since the base run"), "no base, no section");
    }

    @Test
    void compare_command_exit_codes() throws Exception {
        Matrix matrix = MatrixBuilder.fromResults(sample());
        Path file = MatrixWriter.write(matrix, dir).get(0);
        StringWriter out = new StringWriter();
        CommandLine command = ReportsCommand.commandLine();
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(new StringWriter()));
        assertEquals(1, command.execute("compare", file.toString(), file.toString()), "TLS-SNI-01 fails in the head run");
        assertTrue(out.toString().contains("No verdict changed."), out.toString());
        assertEquals(0, command.execute("compare", "--optional", "TLS-SNI-01", file.toString(), file.toString()));
        assertEquals(2, command.execute("compare", dir.resolve("missing.json").toString(), file.toString()));
        assertEquals(2, command.execute("compare", "--frobnicate"));
    }

    @Test
    void a_file_that_is_not_a_results_file_is_named_in_the_error() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"schemaVersion\": 9}");
        var error = assertThrows(IllegalArgumentException.class, () -> MatrixBuilder.fromResults(bad));
        assertTrue(error.getMessage().contains(bad.toString()) && error.getMessage().contains("schema version 1"));
    }
}
