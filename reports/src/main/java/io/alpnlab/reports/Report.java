package io.alpnlab.reports;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One run's report: the matrix files next to the Allure report.
 *
 * @param matrix the matrix
 * @param matrixFiles JSON, Markdown and HTML
 * @param allureIndex the Allure report's single HTML file, or null when no Allure results were given
 */
public record Report(Matrix matrix, List<Path> matrixFiles, Path allureIndex) {

    public static Report generate(Path results, Path allureResults, Path allureHome, Path out) {
        Matrix matrix = MatrixBuilder.fromResults(results);
        List<Path> files = MatrixWriter.write(matrix, out);
        Path index = null;
        if (allureResults != null) {
            if (allureHome == null) {
                throw new IllegalArgumentException("--allure-results needs --allure-home (the unpacked Allure command line)");
            }
            index = AllureReport.generate(allureHome, allureResults, out.resolve("allure-report"));
        }
        return new Report(matrix, files, index);
    }

    public List<String> failingRequired(Set<String> optional) {
        return matrix.rules().stream().filter(row -> row.verdict().failsTheRun() && !optional.contains(row.rule()))
                .map(Matrix.Row::rule).toList();
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append("Conformance of ").append(matrix.client()).append(' ').append(matrix.clientVersion()).append(": ")
                .append(MatrixWriter.summaryLine(matrix)).append('\n');
        for (Path file : matrixFiles) {
            text.append("  matrix:        ").append(file.toAbsolutePath()).append('\n');
        }
        if (allureIndex != null) {
            text.append("  Allure report: ").append(allureIndex.toAbsolutePath()).append('\n');
        }
        return text.toString();
    }
}
