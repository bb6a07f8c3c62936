package io.alpnlab.reports;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The report step of {@code mvn verify -Pconformance}: runs in Maven's JVM (exec:java), so it
 * throws instead of exiting. The suite's failures are reported here, after the report is written,
 * so a failed run still leaves its report behind.
 */
public final class BuildReport {

    private BuildReport() {
    }

    /**
     * Arguments: results.json, the Allure results folder, the Allure home, the output folder, this run's ID, and the base
     * run's conformance-matrix.json or an empty argument.
     */
    public static void main(String[] args) {
        // Maven passes an empty <argument> as null (or drops it): without a base the sixth is absent or null.
        if (args.length != 5 && args.length != 6) {
            throw new IllegalArgumentException("usage: BuildReport <results.json> <allure-results> <allure-home> <out> <run-id>"
                    + " <base conformance-matrix.json, or empty>");
        }
        Path results = Path.of(args[0]);
        if (!Files.exists(results)) {
            throw new IllegalStateException(results + " does not exist: the conformance suite did not run (see its output above)");
        }
        RunResults run = RunResults.read(results);
        run.requireRun(args[4]);
        Path base = args.length < 6 || args[5] == null || args[5].isBlank() ? null : Path.of(args[5]);
        if (base != null && !Files.isRegularFile(base)) {
            throw new IllegalArgumentException("alpnlab.baseline=" + base + ": no such base matrix (a conformance-matrix.json)");
        }
        Report report = Report.generate(results, Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), base);
        System.out.print(report.describe());
        System.out.flush();
        var failing = report.failingRequired(Set.of());
        if (!failing.isEmpty()) {
            throw new IllegalStateException("required rules fail: " + String.join(", ", failing) + " (see the report above)");
        }
        run.requireSupportedOrAllowed();
    }
}
