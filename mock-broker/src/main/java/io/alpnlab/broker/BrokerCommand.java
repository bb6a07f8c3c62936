package io.alpnlab.broker;

import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.certs.PkiDirectory;
import io.alpnlab.certs.PkiSettings;
import io.alpnlab.certs.ServerChainVariant;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ListResourceBundle;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar mock-broker.jar}: starts every listener on loopback with a test PKI kept in a
 * folder (generated on first run, reused after), registers the device certificate, and prints what
 * a client needs, with command lines that work as printed. Every option is a {@code broker.*}
 * setting ({@link BrokerSettings}); system properties of the same names work too.
 */
@Command(name = "mock-broker", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = BrokerCommand.Version.class,
        description = "An AWS IoT Core-like MQTT broker for offline development and client testing.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped normally", "1:could not start (the message says why)", "2:bad arguments"},
        footerHeading = "%nMisbehaviours (--misbehave, off by default):%n",
        footer = {"", "Port 443 needs root or CAP_NET_BIND_SERVICE; without them use e.g. --port multiplex-443=10443."})
public final class BrokerCommand implements Callable<Integer> {

    static {
        // Before the first logger below is made: Logback reads its configuration once, then.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/alpnlab/broker/cli-logback.xml");
        }
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BrokerCommand.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--pki", paramLabel = "DIR", description = "Test PKI folder; generated on first use (default: alpnlab-pki).")
    private String pkiDir;

    @Option(names = "--self-check", description = "Start on ephemeral ports, connect one device as a device does (TLS 1.3,"
            + " SNI, the device certificate, MQTT CONNECT), print the outcome and exit: 0 when it was accepted. Without --pki,"
            + " in a temporary PKI removed afterwards.")
    private boolean selfCheck;

    @Option(names = "--endpoint", paramLabel = "NAME", description = "Endpoint name accepted as SNI; repeatable (default: "
            + PkiSettings.DEFAULT_ENDPOINT + ").")
    private List<String> endpoints = new ArrayList<>();

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: 127.0.0.1). Use the"
            + " address a device on your network reaches.")
    private String bind;

    @Option(names = "--port", paramLabel = "ROLE=PORT", description = "Port of a listener role (mqtt-8883, multiplex-443,"
            + " https-8443); 0 ephemeral, -1 off. Repeatable.")
    private Map<String, String> ports = new LinkedHashMap<>();






    @Option(names = "--misbehave", paramLabel = "NAME[=VALUE]", split = ",", description = "Misbehave on every connection;"
            + " see the list below.")
    private List<String> misbehave = new ArrayList<>();






    /**
     * The options that each set one {@code broker.*} key as given, with their parameter labels; their
     * help comes from BrokerSettings.KEYS, so each is written once.
     */
    private static final Map<String, String> SETTING_OPTIONS = new LinkedHashMap<>();

    static {
        String[] labels = {"sni=MODE", "alpn=MODE", "registry-check=WHERE", "unauthorized-connect=HOW", "security-policy=NAME",
            "mfl=MODE", "alpn-8883=MODE", "client-cert-expiry=MODE", "qos2=MODE", "quotas=MODE", "upstream=URI", "registry=FILE|DIR", "event-log=FILE", "control-port=PORT",
            "control-bind=ADDRESS"};
        for (String label : labels) {
            SETTING_OPTIONS.put(label.substring(0, label.indexOf('=')), label.substring(label.indexOf('=') + 1));
        }
    }

    private final Map<String, String> settingOptions = new LinkedHashMap<>();

    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        int exitCode = commandLine().execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    static CommandLine commandLine() {
        BrokerCommand command = new BrokerCommand();
        CommandSpec commandSpec = CommandSpec.forAnnotatedObject(command);
        SETTING_OPTIONS.forEach((key, label) -> commandSpec.addOption(OptionSpec.builder("--" + key).paramLabel(label)
                .type(String.class).descriptionKey(key).setter(new CommandLine.Model.ISetter() {
                    @Override
                    public <T> T set(T value) {
                        // Picocli also sets the initial (null) value before parsing: only given values are settings.
                        if (value != null) {
                            command.settingOptions.put(key, (String) value);
                        }
                        return null;
                    }
                }).build()));
        CommandLine commandLine = new CommandLine(commandSpec);
        // The setting options take their help from BrokerSettings.KEYS, written once there.
        commandLine.setResourceBundle(new ListResourceBundle() {
            @Override
            protected Object[][] getContents() {
                return BrokerSettings.KEYS.entrySet().stream().filter(key -> SETTING_OPTIONS.containsKey(key.getKey()))
                        .map(key -> new Object[] {key.getKey(), key.getValue()[1]
                        + (key.getValue()[0].isEmpty() ? "" : " (default: " + key.getValue()[0] + ")")})
                        .toArray(Object[][]::new);
            }
        });
        // The misbehaviour list comes from the one place that defines them, ahead of the static footer.
        List<String> footer = new ArrayList<>(misbehaviourHelp());
        footer.addAll(List.of(commandLine.getCommandSpec().usageMessage().footer()));
        commandLine.getCommandSpec().usageMessage().footer(footer.toArray(String[]::new));
        commandLine.addSubcommand("probe", new io.alpnlab.broker.probe.ProbeCommand());
        commandLine.addSubcommand("things", new io.alpnlab.broker.control.ThingsCommand());
        commandLine.setExecutionExceptionHandler((error, failed, parseResult) -> {
            if (error instanceof IllegalArgumentException) {
                // A bad setting value: report it like a parse error, with the usage.
                return failed.getParameterExceptionHandler().handleParseException(
                        new CommandLine.ParameterException(failed, error.getMessage(), error),
                        parseResult.originalArgs().toArray(String[]::new));
            }
            failed.getErr().println("mock-broker: " + error.getMessage());
            failed.getErr().flush();
            return 1;
        });
        return commandLine;
    }

    /** The misbehaviour names, then the chains serve-chain takes, wrapped for the help text. */
    private static List<String> misbehaviourHelp() {
        List<String> lines = wrap(String.join(", ", Misbehaviours.NAMES));
        lines.addAll(wrap("<variant>: " + String.join(", ", Arrays.stream(ServerChainVariant.values())
                .map(ServerChainVariant::cliName).toList())));
        return lines;
    }

    private static List<String> wrap(String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder(" ");
        for (String word : text.split(" ")) {
            if (line.length() + word.length() + 1 > 78) {
                lines.add(line.toString());
                line = new StringBuilder(" ");
            }
            line.append(' ').append(word);
        }
        lines.add(line.toString());
        return lines;
    }

    /** The {@code broker.*} properties: system properties first, command-line options over them. */
    Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(BrokerSettings.PREFIX)) {
                properties.put(name, System.getProperty(name));
            }
        }
        put(properties, "pki-dir", pkiDir);
        if (!endpoints.isEmpty()) {
            properties.put("broker.endpoints", String.join(",", endpoints));
        }
        put(properties, "bind", bind);
        for (Map.Entry<String, String> port : ports.entrySet()) {
            ListenerRole.fromRoleName(port.getKey());
            properties.put("broker.port." + port.getKey(), port.getValue());
        }
        if (!misbehave.isEmpty()) {
            properties.put("broker.misbehave", String.join(",", misbehave));
        }
        settingOptions.forEach((key, value) -> properties.put(BrokerSettings.PREFIX + key, value));
        return properties;
    }

    private static void put(Map<String, String> properties, String key, String value) {
        if (value != null) {
            properties.put(BrokerSettings.PREFIX + key, value);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (selfCheck) {
            return selfCheck();
        }
        BrokerSettings settings = BrokerSettings.fromProperties(properties());
        LOG.info("settings: {}", settings.describe());
        BrokerPki files = BrokerPki.prepare(settings);
        List<Path> deviceFiles = files.deviceCertificates();
        MockBroker broker = MockBroker.builder(files.pki()).settings(settings).registry(files.registry(settings)).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "mock-broker-shutdown"));
        printBanner(broker, settings, deviceFiles);
        stopped.await();
        return 0;
    }

    private int selfCheck() throws java.io.IOException {
        Map<String, String> properties = properties();
        Path temporary = pkiDir == null ? java.nio.file.Files.createTempDirectory("alpnlab-self-check") : null;
        if (temporary != null) {
            properties.put(BrokerSettings.PREFIX + "pki-dir", temporary.toString());
        }
        for (ListenerRole role : ListenerRole.values()) {
            properties.put(BrokerSettings.PREFIX + "port." + role.roleName(), "0");
        }
        properties.put(BrokerSettings.PREFIX + "control-port", "-1");
        try {
            BrokerSettings settings = BrokerSettings.fromProperties(properties);
            BrokerPki files = BrokerPki.prepare(settings);
            MockBroker broker = MockBroker.builder(files.pki()).settings(settings).registry(files.registry(settings)).start();
            String failure;
            try {
                failure = SelfCheck.connect(broker, files, settings.endpoints().get(0));
            } finally {
                broker.close();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(failure == null ? "self-check: a device connected over TLS 1.3 with SNI and its certificate, and its"
                    + " CONNECT was accepted" : "self-check FAILED: " + failure);
            out.flush();
            return failure == null ? 0 : 1;
        } finally {
            if (temporary != null) {
                try (var files = java.nio.file.Files.walk(temporary)) {
                    for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        java.nio.file.Files.deleteIfExists(file);
                    }
                }
            }
        }
    }

    private void printBanner(MockBroker broker, BrokerSettings settings, List<Path> deviceFiles) {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = settings.pkiDir().toAbsolutePath().normalize();
        String endpoint = settings.endpoints().get(0);
        String host = settings.bind().getHostAddress();
        out.printf("alpnlab mock broker: AWS IoT Core rules (%s), MQTT via %s%n", String.join(", ", settings.profile().switches()
                .entrySet().stream().map(entry -> entry.getKey().equals("security-policy") ? entry.getValue()
                        : entry.getKey() + "=" + entry.getValue()).toList()), broker.mqttBackend());
        out.printf("  endpoint      %s%n", String.join(", ", settings.endpoints()));
        for (ListenerRole role : ListenerRole.values()) {
            if (broker.isListening(role)) {
                out.printf("  %-13s %s:%d%n", role.roleName(), host, broker.port(role));
            }
        }
        if (broker.controlPort() >= 0) {
            out.printf("  control       http://%s:%d/connections  (%s)%n", settings.controlBind().isLoopbackAddress()
                    ? settings.controlBind().getHostAddress() : "127.0.0.1", broker.controlPort(),
                    settings.controlBind().isLoopbackAddress() ? "loopback only"
                            : "bound to " + settings.controlBind().getHostAddress() + ": publish it on the host's loopback only");
        }
        if (!settings.misbehaviours().isNone()) {
            out.printf("  misbehaving   %s%n", String.join(", ", settings.misbehaviours().describe()));
        }
        out.printf("  CA file       %s%n", dir.resolve(PkiDirectory.TRUST_BUNDLE));
        out.printf("  device        %s and %s (registered ACTIVE)%n", deviceFiles.get(0),
                dir.resolve("device.key.pem"));
        if (!resolvesTo(endpoint, settings.bind())) {
            out.printf("%nFirst make the endpoint name resolve to the broker (SNI must be the name, not an IP):%n"
                    + "  echo '%s %s' | sudo tee -a /etc/hosts%n", settings.bind().isAnyLocalAddress() ? "127.0.0.1" : host, endpoint);
        }
        if (broker.isListening(ListenerRole.MULTIPLEX_443)) {
            int port = broker.port(ListenerRole.MULTIPLEX_443);
            out.printf("%nTry it (port 443 role, ALPN x-amzn-mqtt-ca, device certificate):%n");
            out.printf("  openssl s_client -connect %s:%d -servername %s -alpn x-amzn-mqtt-ca -CAfile %s -cert %s -key %s%n",
                    host, port, endpoint, dir.resolve(PkiDirectory.TRUST_BUNDLE), deviceFiles.get(0), dir.resolve("device.key.pem"));
            out.printf("  mosquitto_pub -h %s -p %d --tls-alpn x-amzn-mqtt-ca --cafile %s --cert %s --key %s -i demo-device"
                    + " -t demo/hello -m hello -q 1 -d%n", endpoint, port, dir.resolve(PkiDirectory.TRUST_BUNDLE),
                    deviceFiles.get(0), dir.resolve("device.key.pem"));
        }
        out.println("Press Ctrl-C to stop.");
        out.flush();
    }

    private static boolean resolvesTo(String name, InetAddress bind) {
        try {
            InetAddress resolved = InetAddress.getByName(name);
            return bind.isAnyLocalAddress() ? resolved.isLoopbackAddress() : resolved.equals(bind);
        } catch (Exception e) {
            return false;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = BrokerCommand.class.getPackage().getImplementationVersion();
            return new String[] {"alpnlab mock-broker " + (version == null ? "development" : version)};
        }
    }
}
