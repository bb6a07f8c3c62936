package io.alpnlab.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Real third-party programs (openssl, mosquitto clients, ...) used as test peers. When one is not
 * installed the test is skipped with the command that installs it, except where
 * {@code ALPNLAB_REQUIRE_PEERS=1} is set (CI sets it): there a missing peer fails the test, so a
 * green CI run always means the real peers ran.
 */
public final class RealPeer {

    public static final String REQUIRE_PEERS_ENV = "ALPNLAB_REQUIRE_PEERS";

    private RealPeer() {
    }

    /** The program on the PATH, or null. */
    public static Path which(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** The program's path, or the test is skipped (failed in CI) naming the Debian package to install. */
    public static Path require(String program, String debianPackage) {
        Path found = which(program);
        if (found != null) {
            return found;
        }
        String message = program + " is not installed; install it with: apt-get install " + debianPackage
                + " (.ci/run does this)";
        if ("1".equals(System.getenv(REQUIRE_PEERS_ENV))) {
            Assertions.fail(message + " [" + REQUIRE_PEERS_ENV + "=1]");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    /**
     * The host name resolves to a loopback address, or the test is skipped (failed in CI): real
     * clients send the host they connect to as SNI, so the test endpoint name must resolve here.
     */
    public static void requireResolvesToLoopback(String host) {
        boolean resolves;
        try {
            resolves = java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.io.IOException e) {
            resolves = false;
        }
        if (resolves) {
            return;
        }
        String message = host + " must resolve to 127.0.0.1 (real clients send their host as SNI): add '127.0.0.1 " + host
                + "' to /etc/hosts (.ci/run does this)";
        if ("1".equals(System.getenv(REQUIRE_PEERS_ENV))) {
            Assertions.fail(message + " [" + REQUIRE_PEERS_ENV + "=1]");
        }
        Assumptions.abort(message);
    }

    /** What a finished program did. */
    public record Result(int exitCode, String stdout, String stderr) {
        public String output() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** Runs a program to completion with closed stdin; a program still running at the timeout is killed and fails the test. */
    public static Result run(Duration timeout, List<String> command) {
        return run(timeout, command, null);
    }

    public static Result run(Duration timeout, List<String> command, String stdin) {
        try {
            Process process = new ProcessBuilder(command).start();
            CompletableFuture<String> stdout = drain(process.getInputStream());
            CompletableFuture<String> stderr = drain(process.getErrorStream());
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                Assertions.fail(String.join(" ", command) + " still running after " + timeout + "; output so far:\n"
                        + stdout.getNow("") + stderr.getNow(""));
            }
            return new Result(process.exitValue(), stdout.join(), stderr.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    /** Starts a long-running program (a server); the caller stops it. Its output is collected as it runs. */
    public static Running start(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            return new Running(process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** A program started by {@link #start}, with its merged output readable while it runs. */
    public static final class Running implements AutoCloseable {
        private final Process process;
        private final StringBuffer output = new StringBuffer();
        private final Thread reader;

        Running(Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                byte[] buffer = new byte[4096];
                try (InputStream in = process.getInputStream()) {
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    output.append("\n[output reader stopped: ").append(e.getMessage()).append(']');
                }
            }, "real-peer-output");
            reader.setDaemon(true);
            reader.start();
        }

        public String output() {
            return output.toString();
        }

        /** The program's process ID, for what only the OS can tell about it (/proc, jcmd). */
        public long pid() {
            return process.pid();
        }

        /** Waits until the output contains the text, or fails with what the program printed. */
        public String awaitOutput(String text, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                String now = output.toString();
                if (now.contains(text)) {
                    return now;
                }
                if (!process.isAlive() && !reader.isAlive()) {
                    break;
                }
                sleep(20);
            }
            return Assertions.fail("expected '" + text + "' within " + timeout + "; the program printed:\n" + output);
        }

        public Result awaitExit(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    Assertions.fail("still running after " + timeout + ":\n" + output);
                }
                reader.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Result(process.exitValue(), output.toString(), "");
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        // A thread of its own: blocking reads must not occupy the common pool the tests also use.
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "[unreadable output: " + e.getMessage() + "]";
            }
        }, task -> {
            Thread thread = new Thread(task, "real-peer-drain");
            thread.setDaemon(true);
            thread.start();
        });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static List<String> command(Object... parts) {
        List<String> command = new ArrayList<>();
        for (Object part : parts) {
            command.add(part.toString());
        }
        return command;
    }
}
