package io.alpnlab.certs;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.bouncycastle.util.IPAddress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code certs-gen} command line: writes an AWS IoT Core-like test PKI into a folder. */
@Command(name = "certs-gen", mixinStandardHelpOptions = true, versionProvider = CertsGenCommand.Version.class,
        sortOptions = false,
        description = {
            "Writes an AWS IoT Core-like test PKI: RSA and ECC roots with intermediates, server chains for the "
                    + "endpoint names (valid, AWS-sized, and deliberately defective) and device certificates.",
            "Authorities in <out>/ca are kept on later runs unless --replace-ca is given."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:PKI written", "1:could not write the PKI (the message says why)", "2:bad arguments"})
public final class CertsGenCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).",
            defaultValue = "alpnlab-pki")
    private Path out;

    @Option(names = "--endpoint", paramLabel = "NAME",
            description = "Endpoint name the server certificates are for; repeat for several (AWS custom domains). "
                    + "Default: " + PkiSettings.DEFAULT_ENDPOINT)
    private List<String> endpoints = new ArrayList<>();

    @Option(names = "--ip", paramLabel = "ADDRESS", description = "IP address to add to server certificates; repeatable.")
    private List<String> ipAddresses = new ArrayList<>();

    @Option(names = "--key-types", paramLabel = "TYPE", split = ",",
            description = "Key types to issue server and device credentials for: rsa, ecc (default: rsa,ecc).")
    private List<String> keyTypes = new ArrayList<>(List.of("rsa", "ecc"));

    @Option(names = "--device-name", paramLabel = "NAME", description = "Thing name in device certificates (default: "
            + PkiSettings.DEFAULT_DEVICE_NAME + ").")
    private String deviceName = PkiSettings.DEFAULT_DEVICE_NAME;

    @Option(names = "--replace-ca", description = "Generate new authorities even if <out>/ca holds some. Devices given "
            + "the old root-ca.pem will stop trusting the broker.")
    private boolean replaceCa;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/alpnlab/certs/cli-logback.xml");
        }
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new CertsGenCommand());
        commandLine.setExecutionExceptionHandler((error, failed, parseResult) -> {
            if (error instanceof CommandLine.ParameterException bad) {
                // Values are checked after parsing (they need each other); report them like parse errors.
                return failed.getParameterExceptionHandler().handleParseException(bad, parseResult.originalArgs()
                        .toArray(String[]::new));
            }
            // A bad certificate file or an unwritable folder: the message names it; a stack trace would not help.
            failed.getErr().println("certs-gen: " + error.getMessage());
            failed.getErr().flush();
            return 1;
        });
        return commandLine;
    }

    @Override
    public Integer call() {
        Set<KeyType> types = new LinkedHashSet<>();
        for (String tag : keyTypes) {
            KeyType type = parse(() -> KeyType.fromTag(tag.trim()));
            if (type == KeyType.RSA_1024) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--key-types: rsa1024 is issued only as the weak-key variants; choose rsa and/or ecc");
            }
            types.add(type);
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (String text : ipAddresses) {
            addresses.add(parse(() -> ipLiteral(text)));
        }
        PkiSettings settings = parse(() -> PkiSettings.defaults()
                .withEndpointNames(endpoints.isEmpty() ? List.of(PkiSettings.DEFAULT_ENDPOINT) : endpoints)
                .withIpAddresses(addresses)
                .withDeviceName(deviceName));

        Authorities authorities = PkiDirectory.loadOrCreateAuthorities(out, settings, replaceCa);
        TestPki pki = TestPki.withAuthorities(settings, authorities);
        List<Credential> credentials = new ArrayList<>();
        for (KeyType type : types) {
            for (ServerChainVariant variant : ServerChainVariant.values()) {
                if (variant != ServerChainVariant.WEAK_KEY || type == KeyType.RSA_2048) {
                    credentials.add(pki.server(variant, type));
                }
            }
            for (DeviceCertificateVariant variant : DeviceCertificateVariant.values()) {
                if (variant != DeviceCertificateVariant.WEAK_KEY || type == KeyType.RSA_2048) {
                    credentials.add(pki.device(variant, type));
                }
            }
        }
        var written = PkiDirectory.write(out, pki, credentials, regenerateCommand());
        printSummary(pki, credentials, written.size());
        return 0;
    }

    private void printSummary(TestPki pki, List<Credential> credentials, int fileCount) {
        PrintWriter stdout = spec.commandLine().getOut();
        Path dir = out.toAbsolutePath().normalize();
        stdout.printf("Wrote %d files to %s (authorities in %s, manifest in %s)%n", fileCount, dir,
                dir.resolve(PkiDirectory.CA_FOLDER), dir.resolve(PkiDirectory.MANIFEST));
        stdout.printf("%-34s %-6s %7s  %s%n", "ROLE", "VALID?", "CERTMSG", "WHAT");
        for (Credential credential : credentials) {
            stdout.printf("%-34s %-6s %7d  %s%n", credential.role(), credential.defective() ? "no" : "yes",
                    credential.tls12CertificateMessageLength(), credential.description());
        }
        stdout.println("(CERTMSG: bytes of the TLS 1.2 Certificate message carrying the chain; AWS sends "
                + ServerChainVariant.AWS_CERTIFICATE_MESSAGE_BYTES + ")");
        String endpoint = pki.settings().primaryEndpoint();
        stdout.printf("%nNext: make %s resolve to the broker (e.g. '127.0.0.1 %s' in /etc/hosts), start the mock broker,%n"
                + "and point a client at these files, for example:%n", endpoint, endpoint);
        stdout.printf("  openssl s_client -connect 127.0.0.1:8883 -servername %s -CAfile %s -cert %s -key %s%n", endpoint,
                dir.resolve(PkiDirectory.TRUST_BUNDLE), dir.resolve("device.cert.pem"), dir.resolve("device.key.pem"));
        stdout.printf("  mosquitto_pub -h %s -p 443 --tls-alpn x-amzn-mqtt-ca --cafile %s --cert %s --key %s -t test -m hello%n",
                endpoint, dir.resolve(PkiDirectory.TRUST_BUNDLE), dir.resolve("device.cert.pem"),
                dir.resolve("device.key.pem"));
        stdout.flush();
    }

    private String regenerateCommand() {
        StringBuilder command = new StringBuilder("java -jar certs-gen/target/certs-gen-cli.jar --out ").append(out);
        endpoints.forEach(name -> command.append(" --endpoint ").append(name));
        ipAddresses.forEach(ip -> command.append(" --ip ").append(ip));
        command.append(" --key-types ").append(String.join(",", keyTypes));
        if (!deviceName.equals(PkiSettings.DEFAULT_DEVICE_NAME)) {
            command.append(" --device-name ").append(deviceName);
        }
        return command.toString();
    }

    private static InetAddress ipLiteral(String text) {
        if (!IPAddress.isValid(text)) {
            throw new IllegalArgumentException("--ip: '" + text + "' is not an IPv4 or IPv6 address");
        }
        try {
            return InetAddress.getByName(text); // a literal: no name lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--ip: '" + text + "' is not an IP address", e);
        }
    }

    private <T> T parse(java.util.function.Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** Reports the version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = CertsGenCommand.class.getPackage().getImplementationVersion();
            return new String[] {"alpnlab certs-gen " + (version == null ? "development" : version)};
        }
    }
}
