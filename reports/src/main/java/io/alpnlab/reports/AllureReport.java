package io.alpnlab.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Renders Allure results into one self-contained HTML file with the Allure command line (version
 * pinned in the build, unpacked from Maven Central, run offline): a single file opens from disk,
 * travels as a CI artifact and needs no web server.
 */
public final class AllureReport {

    private AllureReport() {
    }

    /** Generates {@code out/index.html} from the results folder; the Allure home is the unpacked command line. */
    public static Path generate(Path allureHome, Path results, Path out) {
        Path script = allureHome.resolve("bin/allure");
        if (!Files.isExecutable(script)) {
            throw new IllegalArgumentException(script + " is missing or not executable: the build unpacks the Allure command"
                    + " line into reports/target/allure-commandline");
        }
        if (!Files.isDirectory(results)) {
            throw new IllegalArgumentException(results + ": no Allure results (run the suite first)");
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(script.toString(), "generate", "--single-file", "--clean",
                    "--name", "alpnlab AWS IoT Core conformance", "-o", out.toString(), results.toString()).redirectErrorStream(true);
            builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("allure generate failed:\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating the Allure report", e);
        }
        Path index = out.resolve("index.html");
        if (!Files.exists(index)) {
            throw new IllegalStateException("allure generate wrote no " + index);
        }
        return index;
    }
}
