package io.alpnlab.reports;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes the matrix as JSON (for tools and badges), Markdown (for a pull-request comment) and a self-contained HTML page. */
public final class MatrixWriter {

    public static final String JSON_FILE = "conformance-matrix.json";
    public static final String MARKDOWN_FILE = "conformance-matrix.md";
    public static final String HTML_FILE = "conformance-matrix.html";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MatrixWriter() {
    }

    /** Writes the three files into the folder and returns their paths (JSON, Markdown, HTML). */
    public static List<Path> write(Matrix matrix, Path folder) {
        return write(matrix, folder, null);
    }

    /**
     * The same; with a base run's matrix, the Markdown leads with what changed since it (a pull-request comment is
     * read from the top), and the full table follows folded.
     */
    public static List<Path> write(Matrix matrix, Path folder, Matrix base) {
        try {
            Files.createDirectories(folder);
            Path json = folder.resolve(JSON_FILE);
            Files.writeString(json, JSON.writeValueAsString(matrix) + "\n");
            Path markdown = folder.resolve(MARKDOWN_FILE);
            Files.writeString(markdown, markdown(matrix, base));
            Path html = folder.resolve(HTML_FILE);
            Files.writeString(html, html(matrix));
            return List.of(json, markdown, html);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the matrix into " + folder, e);
        }
    }

    public static Matrix read(Path file) {
        try {
            Matrix matrix = JSON.readValue(file.toFile(), Matrix.class);
            if (!Matrix.SCHEMA.equals(matrix.schema())) {
                throw new IllegalArgumentException(file + ": not a conformance matrix (schema '" + matrix.schema() + "')");
            }
            return matrix;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable conformance matrix (" + e.getMessage() + ")", e);
        }
    }

    static String markdown(Matrix matrix) {
        return markdown(matrix, null);
    }

    static String markdown(Matrix matrix, Matrix base) {
        StringBuilder text = new StringBuilder();
        text.append("## AWS IoT Core conformance: ").append(matrix.client())
                .append(matrix.clientVersion().isEmpty() ? "" : " " + matrix.clientVersion()).append("\n\n");
        text.append("Suite ").append(matrix.suiteVersion()).append(", ").append(matrix.date()).append(". ")
                .append(summaryLine(matrix)).append("\n\n");
        if (base != null) {
            text.append(MatrixComparison.compare(base, matrix, java.util.Set.of()).markdown());
            text.append("<details><summary>Every rule</summary>\n\n");
        }
        text.append("| Rule | Verdict | Cases |\n|---|---|---|\n");
        for (Matrix.Row row : matrix.rules()) {
            text.append("| ").append(row.rule()).append(" (").append(row.provenance()).append(") | ")
                    .append(icon(row.verdict())).append(' ').append(row.verdict().words()).append(" | ");
            for (int i = 0; i < row.cases().size(); i++) {
                Matrix.Case c = row.cases().get(i);
                text.append(i == 0 ? "" : "<br>").append(c.id()).append(": ").append(c.verdict().words());
                if (!c.reason().isEmpty() && c.verdict() != Matrix.Verdict.PASS) {
                    text.append(" (").append(escapeMarkdown(abbreviate(c.reason(), 160))).append(')');
                }
            }
            text.append(" |\n");
        }
        if (!matrix.clientConfiguration().isEmpty()) {
            text.append("\nClient configuration: ");
            matrix.clientConfiguration().forEach((key, value) -> text.append('`').append(key).append('=').append(value).append("` "));
            text.append('\n');
        }
        if (base != null) {
            text.append("\n</details>\n");
        }
        text.append("\n<details><summary>Broker profile and settings</summary>\n\n");
        matrix.broker().forEach((key, value) -> text.append("- `").append(key).append("`: ").append(value).append('\n'));
        text.append("\n</details>\n");
        return text.toString();
    }

    static String html(Matrix matrix) {
        StringBuilder rows = new StringBuilder();
        for (Matrix.Row row : matrix.rules()) {
            rows.append("<tr><td><b>").append(escape(row.rule())).append("</b><br><small>").append(escape(row.statement()))
                    .append("</small></td><td>").append(escape(row.provenance())).append("</td><td><span class=\"v ")
                    .append(row.verdict().name().toLowerCase(java.util.Locale.ROOT)).append("\">").append(row.verdict().words()).append("</span></td><td>");
            for (Matrix.Case c : row.cases()) {
                rows.append("<div>").append(escape(c.id())).append(": ").append(c.verdict().words());
                if (!c.reason().isEmpty() && c.verdict() != Matrix.Verdict.PASS) {
                    rows.append("<br><small>").append(escape(c.reason())).append("</small>");
                }
                rows.append("</div>");
            }
            rows.append("</td></tr>\n");
        }
        StringBuilder broker = new StringBuilder();
        for (Map.Entry<String, String> entry : matrix.broker().entrySet()) {
            broker.append("<tr><td>").append(escape(entry.getKey())).append("</td><td>").append(escape(entry.getValue()))
                    .append("</td></tr>");
        }
        StringBuilder configuration = new StringBuilder();
        if (!matrix.clientConfiguration().isEmpty()) {
            configuration.append("<h2>Client configuration</h2><table>");
            matrix.clientConfiguration().forEach((key, value) -> configuration.append("<tr><td>").append(escape(key))
                    .append("</td><td>").append(escape(value)).append("</td></tr>"));
            configuration.append("</table>");
        }
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Conformance: %s</title>
                <style>
                body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%%}
                td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}th{background:#f3f3f3}
                .v{padding:.1em .5em;border-radius:.3em;color:#fff;white-space:nowrap}.pass{background:#2e7d32}
                .pass_with_warnings{background:#ef6c00}.fail{background:#c62828}.not_supported{background:#6d4c41}
                .disabled,.not_applicable{background:#757575}small{color:#555}
                </style></head><body>
                <h1>AWS IoT Core conformance: %s %s</h1>
                <p>Suite %s, %s. %s</p>
                <table><tr><th>Rule</th><th>Provenance</th><th>Verdict</th><th>Cases</th></tr>
                %s</table>
                %s
                <h2>Broker profile and settings</h2><table>%s</table>
                </body></html>
                """.formatted(escape(matrix.client()), escape(matrix.client()), escape(matrix.clientVersion()),
                escape(matrix.suiteVersion()), escape(matrix.date()), escape(summaryLine(matrix)), rows, configuration, broker);
    }

    static String summaryLine(Matrix matrix) {
        StringBuilder line = new StringBuilder(matrix.rules().size() + " rules: ");
        boolean first = true;
        for (Map.Entry<String, Integer> entry : matrix.summary().entrySet()) {
            if (entry.getValue() > 0) {
                line.append(first ? "" : ", ").append(entry.getValue()).append(' ')
                        .append(Matrix.Verdict.valueOf(entry.getKey()).words());
                first = false;
            }
        }
        return line.toString();
    }

    private static String icon(Matrix.Verdict verdict) {
        return switch (verdict) {
            case PASS -> "✅";
            case PASS_WITH_WARNINGS -> "⚠️";
            case FAIL -> "❌";
            case BLOCKED -> "⛔";
            default -> "➖";
        };
    }

    private static String abbreviate(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length) + "…";
    }

    private static String escapeMarkdown(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    static String escape(String text) {
        return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
