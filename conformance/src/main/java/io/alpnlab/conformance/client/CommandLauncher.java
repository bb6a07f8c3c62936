package io.alpnlab.conformance.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where a described client's commands run ({@link ProcessClient}): a program on this machine, or the
 * same command in a container image ({@link ContainerLauncher}). The shim contract (exit 0, 1 with a
 * token, 89) is the same for both.
 */
public interface CommandLauncher {

    /**
     * What one command did.
     *
     * @param finished whether it exited within the limit (it is stopped otherwise)
     * @param exitCode its exit code, when finished
     * @param cannotStart why it could not be started, or null
     */
    record Execution(boolean finished, int exitCode, String stdout, String stderr, String cannotStart) {
        static Execution notStarted(String why) {
            return new Execution(false, -1, "", "", why);
        }
    }

    /**
     * Runs the command to its end or the limit; {@code task} is the case's task (its files must be
     * reachable by the command), or null for a probe such as the version command.
     *
     * @param environment variables added to the suite's own environment
     * @param directory the working directory (a program on this machine: the description's folder), or null for the
     *     suite's own (a container: the image's)
     */
    Execution run(List<String> command, Map<String, String> environment, Path directory, ClientTask task, Duration limit)
            throws InterruptedException;

    /** Programs on this machine. */
    CommandLauncher LOCAL = (command, environment, directory, task, limit) -> {
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(environment);
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            process = builder.start();
        } catch (IOException e) {
            return Execution.notStarted("cannot start " + command.get(0) + ": " + e.getMessage());
        }
        try {
            process.getOutputStream().close(); // the program reads no input: it sees end-of-file at once
        } catch (IOException e) {
            // it already exited; its exit code tells the rest
        }
        CompletableFuture<String> stdout = Local.drain(process.getInputStream());
        CompletableFuture<String> stderr = Local.drain(process.getErrorStream());
        boolean finished;
        try {
            finished = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException stopped) {
            // The suite stopped the client: nothing of it may outlive the case.
            process.destroyForcibly();
            throw stopped;
        }
        if (!finished) {
            process.destroyForcibly();
        }
        return new Execution(finished, finished ? process.exitValue() : -1, stdout.join(), stderr.join(), null);
    };

    /** Helpers of {@link #LOCAL}. */
    final class Local {
        private Local() {
        }

        static CompletableFuture<String> drain(InputStream stream) {
            return CompletableFuture.supplyAsync(() -> {
                try (stream) {
                    return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "[output unreadable: " + e.getMessage() + "]";
                }
            }, task -> {
                Thread thread = new Thread(task, "process-client-output");
                thread.setDaemon(true);
                thread.start();
            });
        }
    }
}
