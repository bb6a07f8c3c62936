package io.alpnlab.bench;

import io.alpnlab.certs.PkiDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One broker process under test, started fresh for each round: Mosquitto from its Debian package, or
 * the alpnlab mock broker in its own JVM with the flags its image uses. Both listen for MQTT over
 * mutual TLS on a loopback port with a server certificate from the same test PKI.
 */
final class BrokerUnderTest implements AutoCloseable {

    /** The flags docker/mock-broker/Dockerfile starts the broker with, besides its class archive. */
    static final List<String> ALPNLAB_JVM_FLAGS = List.of("-XX:-UsePerfData", "-XX:+UseSerialGC", "-Xms16m", "-Xmx256m",
            "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30");

    final String name;
    /** The mock broker runs on a JVM, whose garbage is collected before memory is read; Mosquitto frees as it goes. */
    private final boolean jvm;
    final int port;
    final long startedNanos;
    private final Process process;
    private final StringBuffer output = new StringBuffer();

    private BrokerUnderTest(String name, boolean jvm, int port, Process process, long startedNanos) {
        this.name = name;
        this.jvm = jvm;
        this.port = port;
        this.process = process;
        this.startedNanos = startedNanos;
        Thread reader = new Thread(() -> drain(process.getInputStream()), name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    static BrokerUnderTest mosquitto(String executable, Path pki, Path workDir) {
        int port = freePort();
        Path config = workDir.resolve("mosquitto-" + port + ".conf");
        // Clients present certificates from the device CA; Mosquitto verifies them against this file.
        Path clientCas = workDir.resolve("mosquitto-client-cas.pem");
        try {
            write(clientCas, Files.readString(pki.resolve(PkiDirectory.DEVICE_CA)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(config, String.join("\n",
                // Run as the user who owns the PKI: the private key is readable by its owner only.
                "user " + System.getProperty("user.name"),
                "per_listener_settings false",
                "listener " + port + " 127.0.0.1",
                "cafile " + clientCas,
                "certfile " + pki.resolve("server.fullchain.pem"),
                "keyfile " + pki.resolve("server.key.pem"),
                "require_certificate true",
                "allow_anonymous true",
                "persistence false",
                "max_inflight_messages 100",
                // Mosquitto acknowledges a publish on receipt and queues at most 1,000 messages per subscriber
                // by default, dropping the rest: a publisher that outran the subscriber lost messages (121 of
                // 3,000 in one run) and the run waited for them. The mock queues without a limit; so does this.
                "max_queued_messages 0",
                "log_dest stderr",
                ""));
        return start("mosquitto", false, port, List.of(executable, "-c", config.toString()));
    }

    /**
     * The class-data-sharing archive the image builds (docker/mock-broker/Dockerfile): one
     * {@code --self-check} run that records the classes a start and a first connection load. Made once
     * per benchmark, with this JVM and class path, which the archive is only valid for.
     */
    static Path trainClassArchive(Path workDir) {
        String classPath = System.getProperty("java.class.path");
        if (java.util.Arrays.stream(classPath.split(java.io.File.pathSeparator)).anyMatch(entry -> Files.isDirectory(Path.of(entry)))) {
            // The JVM archives classes from jars only; a run from class folders (the build's smoke test) goes without.
            System.err.println("class path has folders: the broker runs without a class archive (start time not as the image's)");
            return null;
        }
        Path archive = workDir.resolve("alpnlab-classes.jsa");
        List<String> command = new ArrayList<>(List.of(java(), "-XX:ArchiveClassesAtExit=" + archive));
        command.addAll(ALPNLAB_JVM_FLAGS);
        command.addAll(List.of("-cp", classPath, "io.alpnlab.broker.BrokerCommand", "--self-check"));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (process.waitFor() != 0 || !Files.exists(archive)) {
                throw new IllegalStateException("the broker's self-check for the class archive failed:\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the broker's self-check", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making the class archive", e);
        }
        return archive;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static BrokerUnderTest alpnlab(Path pki, Path classArchive, List<String> extraJvmFlags) {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(java()));
        if (classArchive != null) {
            command.add("-XX:SharedArchiveFile=" + classArchive);
        }
        command.addAll(ALPNLAB_JVM_FLAGS);
        command.addAll(extraJvmFlags);
        // Quotas flagged, not enforced: AWS's 100 publishes/s per connection would otherwise be the benchmark's limit.
        command.addAll(List.of("-Dbroker.quotas=flag", "-cp", System.getProperty("java.class.path"),
                "io.alpnlab.broker.BrokerCommand", "--pki", pki.toString(), "--port", "mqtt-8883=" + port,
                "--port", "multiplex-443=-1", "--port", "https-8443=-1", "--control-port", "-1"));
        return start("alpnlab", true, port, command);
    }

    private static BrokerUnderTest start(String name, boolean jvm, int port, List<String> command) {
        try {
            long started = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            return new BrokerUnderTest(name, jvm, port, process, started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    long pid() {
        return process.pid();
    }

    long cpuNanos() {
        return ProcessMeter.cpuNanos(pid());
    }

    long residentBytes() {
        return ProcessMeter.residentBytes(pid());
    }

    /**
     * Resident memory once garbage is out of the way: for the JVM broker a full collection first (jcmd
     * GC.run), so the figure is what it keeps, not what it has yet to collect; Mosquitto frees as it goes.
     */
    long settledResidentBytes() throws InterruptedException {
        if (jvm) {
            try {
                Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(pid()), "GC.run").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!gc.waitFor(30, TimeUnit.SECONDS) || gc.exitValue() != 0) {
                    throw new IllegalStateException("jcmd GC.run failed for the alpnlab broker");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run jcmd", e);
            }
        }
        Thread.sleep(500);
        return residentBytes();
    }

    boolean alive() {
        return process.isAlive();
    }

    String output() {
        return output.toString();
    }

    private void drain(InputStream in) {
        byte[] buffer = new byte[8192];
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (output.length() < 64 * 1024) { // the start and any error, not every connection's log line
                    output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
