package io.alpnlab.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        return generate(results, allureResults, allureHome, out, null);
    }

    /** The same; with a base run's matrix (conformance-matrix.json), the Markdown leads with what changed since it. */
    public static Report generate(Path results, Path allureResults, Path allureHome, Path out, Path baseMatrix) {
        Matrix matrix = MatrixBuilder.fromResults(results);
        List<Path> files = MatrixWriter.write(matrix, out, baseMatrix == null ? null : MatrixWriter.read(baseMatrix));
        // The failing cases' captures and key logs, beside the matrix (results.json names them relative to its folder).
        Path captures = results.toAbsolutePath().getParent().resolve("captures");
        if (Files.isDirectory(captures)) {
            try {
                AllureReport.copyFolder(captures, out.resolve("captures"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy the captures of " + captures + " into " + out, e);
            }
        }
        // The least-privilege AWS IoT policy documents the run wrote for what the client did.
        try (var beside = Files.list(results.toAbsolutePath().getParent())) {
            for (Path policy : beside.filter(file -> file.getFileName().toString().matches("least-privilege-policy(-\\d+)?\\.json"))
                    .toList()) {
                Files.createDirectories(out);
                Files.copy(policy, out.resolve(policy.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the least-privilege policy beside the matrix in " + out, e);
        }
        Path index = null;
        if (allureResults != null) {
            if (allureHome == null) {
                throw new IllegalArgumentException("--allure-results needs --allure-home (the unpacked Allure command line)");
            }
            // The previous report in the same place (or one a CI job restored there) carries the history the trend is drawn from.
            Path allureOut = out.resolve("allure-report");
            index = AllureReport.generate(allureHome, allureResults, allureOut, environment(matrix), allureOut.resolve("history"));
        }
        return new Report(matrix, files, index);
    }

    /** The Allure report's environment section: who was judged, by which suite, against which broker profile and switches. */
    static Map<String, String> environment(Matrix matrix) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("Client", matrix.client());
        environment.put("Client version", matrix.clientVersion().isEmpty() ? "(not reported)" : matrix.clientVersion());
        environment.put("Suite version", matrix.suiteVersion());
        // Allure shows the first five rows and folds the rest: who, which suite, and against what come first.
        environment.put("Broker profile", matrix.broker().getOrDefault("profile", ""));
        environment.put("Time scale", matrix.broker().getOrDefault("timeScale", ""));
        matrix.clientConfiguration().forEach((key, value) -> environment.put("Client " + key, value));
        matrix.broker().forEach((key, value) -> {
            if (!key.equals("profile") && !key.equals("timeScale")) {
                environment.put("Broker " + key, value);
            }
        });
        return environment;
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
