package io.alpnlab.bench;

import io.alpnlab.certs.Authorities;
import io.alpnlab.certs.DeviceCertificateVariant;
import io.alpnlab.certs.KeyType;
import io.alpnlab.certs.PkiDirectory;
import io.alpnlab.certs.PkiSettings;
import io.alpnlab.certs.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The mock broker and Mosquitto side by side (bench/README.md): each round starts each broker fresh,
 * alternating which goes first, measures its start, warms it up (the JVM's JIT; the warm-up's own cost
 * is reported), then runs the same loaders against it and reads its CPU time and memory from /proc.
 * Prints the median of the rounds as issue 15's table, with alpnlab-to-Mosquitto ratios.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "alpnlab mock broker vs Mosquitto: CPU per unit of work.")
public final class Benchmark implements Callable<Integer> {

    @Option(names = "--rounds", description = "Rounds; each starts both brokers fresh (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--handshakes", description = "Measured handshakes per TLS version and round (default: ${DEFAULT-VALUE}).")
    int handshakes = 1000;

    @Option(names = "--messages", description = "Measured QoS 1 messages per round (default: ${DEFAULT-VALUE}).")
    int messages = 20_000;

    @Option(names = "--message-size", description = "Payload bytes (default: ${DEFAULT-VALUE}).")
    int messageSize = 1024;

    @Option(names = "--idle", description = "Idle MQTT connections held per round (default: ${DEFAULT-VALUE}).")
    int idle = 1000;

    @Option(names = "--warmup", description = "Warm-up handshakes per version and messages/10 before measuring (default: ${DEFAULT-VALUE}).")
    int warmup = 500;

    @Option(names = "--mosquitto", description = "Mosquitto executable (default: ${DEFAULT-VALUE}).")
    String mosquitto = "/usr/sbin/mosquitto";

    @Option(names = "--work-dir", description = "Folder for the PKI and Mosquitto's configuration (default: a temporary one).")
    Path workDir;

    @Option(names = "--markdown", description = "Also write the table to this file.")
    Path markdown;

    @Option(names = "--profile", description = "Record the alpnlab broker with Java Flight Recorder into this folder, one file per round"
            + " (jfr print --events jdk.ExecutionSample FILE).")
    Path profile;

    /** What one round measured on one broker. */
    enum Measure {
        HANDSHAKE_TLS13("broker CPU per full mTLS handshake, TLS 1.3", "ms", "<= 1.0"),
        HANDSHAKE_TLS12("same, TLS 1.2 ECDHE-RSA-AES128-GCM", "ms", "<= 1.2"),
        CPU_PER_MESSAGE("broker CPU per QoS 1 message (publish in + delivery out)", "us", "<= 1.3"),
        THROUGHPUT("QoS 1 throughput, one publisher to one subscriber", "k/s", ">= 1.0"),
        RSS_PER_CONNECTION("RSS per idle mTLS MQTT connection", "KB", "<= 1.5"),
        IDLE_RSS("idle RSS after start", "MB", "<= 6"),
        START("process start to first accepted handshake", "s", "ready <= 1.5 s"),
        COLD_HANDSHAKE("first warm-up TLS 1.3 handshakes, CPU each (JIT not warm)", "ms", "reported");

        final String label;
        final String unit;
        final String target;

        Measure(String label, String unit, String target) {
            this.label = label;
            this.unit = unit;
            this.target = target;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Benchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = workDir != null ? workDir : Files.createTempDirectory("alpnlab-bench");
        Path pki = preparePki(dir.resolve("pki"));
        Path classArchive = BrokerUnderTest.trainClassArchive(dir);
        Map<String, List<Map<Measure, Double>>> results = Map.of("mosquitto", new ArrayList<>(), "alpnlab", new ArrayList<>());
        try (Loaders loaders = new Loaders(new TlsClients(pki, PkiSettings.DEFAULT_ENDPOINT))) {
            for (int round = 1; round <= rounds; round++) {
                List<String> order = round % 2 == 1 ? List.of("mosquitto", "alpnlab") : List.of("alpnlab", "mosquitto");
                for (String name : order) {
                    try (BrokerUnderTest broker = name.equals("mosquitto") ? BrokerUnderTest.mosquitto(mosquitto, pki, dir)
                            : BrokerUnderTest.alpnlab(pki, classArchive, profile == null ? List.of() : List.of("-XX:StartFlightRecording="
                                    + "settings=profile,dumponexit=true,filename=" + profile.resolve("alpnlab-round" + round + ".jfr")))) {
                        Map<Measure, Double> measured = round(broker, loaders, round);
                        results.get(name).add(measured);
                        System.err.printf(Locale.ROOT, "round %d %-9s %s%n", round, name, measured);
                    }
                }
            }
        }
        String table = table(median(results.get("mosquitto")), median(results.get("alpnlab")));
        System.out.println(table);
        if (markdown != null) {
            Files.writeString(markdown, table);
        }
        return 0;
    }

    private Map<Measure, Double> round(BrokerUnderTest broker, Loaders loaders, int round) throws Exception {
        Map<Measure, Double> measured = new EnumMap<>(Measure.class);
        measured.put(Measure.START, awaitFirstHandshake(broker, loaders) / 1e9);
        measured.put(Measure.IDLE_RSS, broker.settledResidentBytes() / 1048576.0);

        long cpu = broker.cpuNanos();
        int cold = Math.max(1, warmup / 5);
        loaders.handshakes(broker.port, TlsClients.Version.TLS13, cold);
        measured.put(Measure.COLD_HANDSHAKE, (broker.cpuNanos() - cpu) / 1e6 / cold);
        loaders.handshakes(broker.port, TlsClients.Version.TLS13, warmup);
        loaders.handshakes(broker.port, TlsClients.Version.TLS12, warmup);
        loaders.qos1(broker.port, Math.max(100, messages / 10), messageSize, "warm" + round);

        for (TlsClients.Version version : TlsClients.Version.values()) {
            cpu = broker.cpuNanos();
            loaders.handshakes(broker.port, version, handshakes);
            measured.put(version == TlsClients.Version.TLS13 ? Measure.HANDSHAKE_TLS13 : Measure.HANDSHAKE_TLS12,
                    (broker.cpuNanos() - cpu) / 1e6 / handshakes);
        }
        cpu = broker.cpuNanos();
        long elapsed = loaders.qos1(broker.port, messages, messageSize, "run" + round);
        measured.put(Measure.CPU_PER_MESSAGE, (broker.cpuNanos() - cpu) / 1e3 / messages);
        measured.put(Measure.THROUGHPUT, messages / (elapsed / 1e9) / 1000);

        long before = broker.settledResidentBytes();
        List<Loaders.MqttClient> held = loaders.idle(broker.port, idle, "r" + round);
        Thread.sleep(1000);
        measured.put(Measure.RSS_PER_CONNECTION, (broker.settledResidentBytes() - before) / 1024.0 / idle);
        held.forEach(Loaders.MqttClient::close);
        if (!broker.alive()) {
            throw new IllegalStateException(broker.name + " exited during the round:\n" + broker.output());
        }
        return measured;
    }

    /** Nanoseconds from process start to the first TLS 1.3 handshake that completes. */
    private static long awaitFirstHandshake(BrokerUnderTest broker, Loaders loaders) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                loaders.handshakes(broker.port, TlsClients.Version.TLS13, 1);
                return System.nanoTime() - broker.startedNanos;
            } catch (Exception notYet) {
                if (!broker.alive()) {
                    throw new IllegalStateException(broker.name + " exited at start:\n" + broker.output());
                }
                Thread.sleep(10);
            }
        }
        throw new IllegalStateException(broker.name + " accepted no handshake within 60 s:\n" + broker.output());
    }

    /** The test PKI both brokers use: the mock's own folder layout, plus the server credential Mosquitto needs as files. */
    static Path preparePki(Path folder) throws IOException {
        PkiSettings settings = PkiSettings.defaults();
        Authorities authorities = PkiDirectory.loadOrCreateAuthorities(folder, settings, false);
        TestPki pki = TestPki.withAuthorities(settings, authorities);
        if (!Files.exists(folder.resolve("server.fullchain.pem"))) {
            PkiDirectory.write(folder, pki, List.of(pki.server(), pki.device(), pki.device(DeviceCertificateVariant.VALID,
                    KeyType.EC_P256)), "alpnlab bench");
        }
        return folder;
    }

    static Map<Measure, Double> median(List<Map<Measure, Double>> rounds) {
        Map<Measure, Double> median = new EnumMap<>(Measure.class);
        for (Measure measure : Measure.values()) {
            List<Double> values = new ArrayList<>();
            rounds.forEach(round -> values.add(round.get(measure)));
            Collections.sort(values);
            median.put(measure, values.get(values.size() / 2));
        }
        return median;
    }

    static String table(Map<Measure, Double> mosquitto, Map<Measure, Double> alpnlab) {
        StringBuilder out = new StringBuilder();
        out.append("| measure | Mosquitto | alpnlab | ratio | target ratio |\n|---|---|---|---|---|\n");
        for (Measure measure : Measure.values()) {
            double m = mosquitto.get(measure);
            double a = alpnlab.get(measure);
            out.append(String.format(Locale.ROOT, "| %s | %s %s | %s %s | %s | %s |%n", measure.label, format(m), measure.unit,
                    format(a), measure.unit, m > 0 ? String.format(Locale.ROOT, "%.2f", a / m) : "-", measure.target));
        }
        return out.toString();
    }

    private static String format(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.2f", value);
    }
}
