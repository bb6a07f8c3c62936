package io.alpnlab.broker.probe;

import io.alpnlab.certs.Pem;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mock-broker probe}: the fidelity probe. Probes an endpoint (the mock, AWS IoT Core with your device's
 * credentials, any TLS server) and writes its fingerprint; or compares two fingerprints.
 */
@Command(name = "probe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send the fixed probe set (version " + ProbeSet.VERSION + ": 16 ClientHellos, one connection at a time)"
                + " to an endpoint and write how it answered as a JSON fingerprint; or compare two fingerprints.",
            "Safe to point at a real service: it only observes (no server verification), sends a ClientHello per connection,"
                + " your device certificate when asked for one (and once unasked, the probe of TLS-CERT-01), and one MQTT"
                + " CONNECT, pausing between connections."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:probed, or the fingerprints are alike", "1:the fingerprints differ", "2:bad arguments"})
public final class ProbeCommand implements Callable<Integer> {

    @Option(names = "--host", paramLabel = "HOST", description = "Address to connect to (default: 127.0.0.1).")
    private String host = "127.0.0.1";

    @Option(names = "--endpoint", paramLabel = "NAME", description = "The endpoint name sent as SNI, e.g. your"
            + " xxxx-ats.iot.eu-west-1.amazonaws.com (default: the mock's).")
    private String endpoint = io.alpnlab.certs.PkiSettings.DEFAULT_ENDPOINT;

    @Option(names = "--port-8883", paramLabel = "PORT", description = "The MQTT port (default: 8883).")
    private int port8883 = 8883;

    @Option(names = "--port-443", paramLabel = "PORT", description = "The port-443 listener (default: 443).")
    private int port443 = 443;

    @Option(names = "--cert", paramLabel = "PEM", description = "Device certificate (chain) sent when the endpoint asks for one.")
    private Path certificate;

    @Option(names = "--key", paramLabel = "PEM", description = "The device's private key (read, never written or sent).")
    private Path key;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "Per connection (default: 5000).")
    private long timeoutMillis = 5000;

    @Option(names = "--pause-ms", paramLabel = "MS", description = "Between connections (default: 1500: AWS throttles"
            + " CONNECTs to one per second per client ID).")
    private long pauseMillis = 1500;

    @Option(names = "--client-id", paramLabel = "ID", description = "The MQTT client ID of every CONNECT, e.g. the thing name"
            + " your policy allows (default: alpnlab-probe-<probe>).")
    private String clientId;

    @Option(names = "--name", paramLabel = "TEXT", description = "What the fingerprint says was probed (default: the"
            + " endpoint name).")
    private String name;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the fingerprint (default: print it).")
    private Path out;

    @Option(names = "--diff", arity = "2", paramLabel = "FINGERPRINT", description = "Compare two fingerprints instead.")
    private List<Path> diff;

    @Override
    public Integer call() throws Exception {
        if (diff != null) {
            Fingerprint first = Fingerprint.read(diff.get(0));
            Fingerprint second = Fingerprint.read(diff.get(1));
            List<String> differences = first.differences(second);
            System.out.println(differences.isEmpty() ? first.target() + " and " + second.target() + " answered alike"
                    : first.target() + " -> " + second.target() + ":\n  " + String.join("\n  ", differences));
            return differences.isEmpty() ? 0 : 1;
        }
        if ((certificate == null) != (key == null)) {
            throw new IllegalArgumentException("--cert and --key go together");
        }
        X509Certificate[] chain = certificate == null ? null : Pem.readCertificates(certificate).toArray(X509Certificate[]::new);
        PrivateKey privateKey = key == null ? null : Pem.readPrivateKey(key);
        FidelityProbe probe = new FidelityProbe(new FidelityProbe.Target(host, endpoint, port8883, port443, chain, privateKey,
                Duration.ofMillis(timeoutMillis), Duration.ofMillis(pauseMillis), clientId));
        Fingerprint fingerprint = probe.run(name != null ? name : endpoint);
        if (out != null) {
            fingerprint.write(out);
            System.out.println("fingerprint of " + fingerprint.target() + " (probe set " + fingerprint.probeSet() + "): " + out);
        } else {
            System.out.println(fingerprint.toJson());
        }
        return 0;
    }
}
