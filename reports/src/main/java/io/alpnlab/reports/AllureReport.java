package io.alpnlab.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Renders Allure results into one self-contained HTML file with the Allure command line (version
 * pinned in the build, unpacked from Maven Central, run offline): a single file opens from disk,
 * travels as a CI artifact and needs no web server. Before rendering it adds what the suite's own
 * results cannot carry: the environment of the run, the categories failures are sorted into, and the
 * history of the previous report, which Allure's trend graphs are drawn from.
 */
public final class AllureReport {

    private AllureReport() {
    }

    /** The categories a failing or skipped case is sorted into, by its status and the first line of its message. */
    static final String CATEGORIES = """
            [
              {"name": "Client defect", "matchedStatuses": ["failed"], "messageRegex": "(?s)[A-Z0-9-]+ FAIL: .*"},
              {"name": "Blocked by another rule", "matchedStatuses": ["failed"], "messageRegex": "(?s)[A-Z0-9-]+ BLOCKED: .*"},
              {"name": "Not supported by the client", "matchedStatuses": ["skipped"], "messageRegex": "(?s)NOT_SUPPORTED: .*"},
              {"name": "Broker or suite error", "matchedStatuses": ["broken"]}
            ]
            """;

    /**
     * Generates {@code out/index.html} from the results folder; the Allure home is the unpacked command line.
     *
     * @param environment the run's environment section (client, suite, broker profile and switches)
     * @param history the previous report's {@code history} folder, or null; the trend graphs start from it
     */
    public static Path generate(Path allureHome, Path results, Path out, Map<String, String> environment, Path history) {
        Path script = allureHome.resolve("bin/allure");
        if (!Files.isExecutable(script)) {
            throw new IllegalArgumentException(script + " is missing or not executable: the build unpacks the Allure command"
                    + " line into reports/target/allure-commandline");
        }
        if (!Files.isDirectory(results)) {
            throw new IllegalArgumentException(results + ": no Allure results (run the suite first)");
        }
        try {
            writeEnvironment(results.resolve("environment.properties"), environment);
            Files.writeString(results.resolve("categories.json"), CATEGORIES, StandardCharsets.UTF_8);
            if (history != null && Files.isDirectory(history)) {
                copyFolder(history, results.resolve("history"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot add the environment, categories and history to " + results, e);
        }
        run(script, "--single-file", "--clean", "--name", "alpnlab AWS IoT Core conformance", "-o", out.toString(), results.toString());
        // The single file carries no history folder; the next run's trend needs one, so the same results are also
        // rendered as a plain report, whose history is kept beside the single file.
        Path plain = out.resolveSibling(out.getFileName() + ".plain");
        run(script, "--clean", "-o", plain.toString(), results.toString());
        try {
            copyFolder(plain.resolve("history"), out.resolve("history"));
            deleteFolder(plain);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the report's history in " + out, e);
        }
        Path index = out.resolve("index.html");
        if (!Files.isDirectory(out.resolve("history"))) {
            throw new IllegalStateException("allure generate wrote no history folder in " + out + ": the next run could draw no trend");
        }
        if (!Files.exists(index)) {
            throw new IllegalStateException("allure generate wrote no " + index);
        }
        return index;
    }

    private static void run(Path script, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.add("generate");
        command.addAll(List.of(arguments));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
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
    }

    private static void deleteFolder(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(file);
            }
        }
    }

    /**
     * In the properties format Allure reads (Java's: non-ASCII as unicode escapes), in the order given, so that the
     * section reads as written; Properties.store would shuffle it and add a date line.
     */
    private static void writeEnvironment(Path file, Map<String, String> environment) throws IOException {
        StringBuilder text = new StringBuilder();
        environment.forEach((key, value) -> text.append(escape(key, true)).append('=').append(escape(value, false)).append('\n'));
        Files.writeString(file, text, StandardCharsets.ISO_8859_1); // all ASCII: the rest is \\u-escaped
    }

    private static String escape(String text, boolean key) {
        StringBuilder escaped = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                case '=', ':', '#', '!' -> escaped.append('\\').append(c);
                case ' ' -> escaped.append(key ? "\\ " : " ");
                default -> escaped.append(c > 126 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return escaped.toString();
    }

    static void copyFolder(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
