package io.alpnlab.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The alpnlab mock broker (AWS IoT Core's connection rules) in a container, in the style of
 * Testcontainers' own modules:
 *
 * <pre>{@code
 * try (MockBrokerContainer broker = new MockBrokerContainer().withMisbehaviours("withhold-puback")) {
 *     broker.start();
 *     myClient.connect("127.0.0.1", broker.getMqttPort(), broker.getEndpoint(), broker.getCaFile(),
 *             broker.getDeviceCertificateFile(), broker.getDeviceKeyFile());
 *     List<JsonNode> records = broker.getConnections();
 * }
 * }</pre>
 *
 * Every published port is bound to the host's loopback address only, and the control endpoint, which
 * listens beyond loopback inside the container, is called with the token the broker generated there
 * (read from its {@code control-token} file). The image is {@value #DEFAULT_IMAGE}, built from local files by
 * {@code docker/build-images.sh mock-broker}, or one built from {@code docker/mock-broker/Dockerfile}.
 */
public class MockBrokerContainer extends GenericContainer<MockBrokerContainer> {

    public static final String DEFAULT_IMAGE = "alpnlab/mock-broker:local";
    public static final int MQTT_PORT = 8883;
    public static final int MULTIPLEX_PORT = 443;
    public static final int HTTPS_PORT = 8443;
    public static final int CONTROL_PORT = 9080;
    /** Where the image keeps its test PKI (generated on first start). */
    static final String PKI_DIR = "/var/lib/alpnlab/pki";
    private static final String REGISTRY_IN_CONTAINER = "/etc/alpnlab/registry.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> endpoints = new ArrayList<>();
    private final List<String> misbehaviours = new ArrayList<>();
    private final List<String> options = new ArrayList<>();
    private Path credentials;
    private String controlToken;

    public MockBrokerContainer() {
        this(DockerImageName.parse(DEFAULT_IMAGE));
    }

    public MockBrokerContainer(DockerImageName image) {
        super(image);
        withExposedPorts(MQTT_PORT, MULTIPLEX_PORT, HTTPS_PORT, CONTROL_PORT);
        // Published on 127.0.0.1 only, never on every interface of the host.
        withCreateContainerCmdModifier(command -> {
            Ports bindings = new Ports();
            for (int port : List.of(MQTT_PORT, MULTIPLEX_PORT, HTTPS_PORT, CONTROL_PORT)) {
                bindings.bind(ExposedPort.tcp(port), Ports.Binding.bindIp("127.0.0.1"));
            }
            command.getHostConfig().withPortBindings(bindings).withPublishAllPorts(false);
        });
        waitingFor(Wait.forHttp("/health").forPort(CONTROL_PORT).withStartupTimeout(Duration.ofSeconds(90)));
    }

    /** Endpoint names accepted as SNI (default: the broker's, {@code alpnlab-ats.iot.eu-west-1.alpnlab.test}). */
    public MockBrokerContainer withEndpoint(String... names) {
        endpoints.addAll(List.of(names));
        return self();
    }

    /** {@code required} (AWS docs 2022, default) or {@code lenient} (current docs). */
    public MockBrokerContainer withSni(String mode) {
        return option("--sni", mode);
    }

    /** Unknown ALPN on 443: {@code observed} (default: no CONNACK) or {@code strict}. */
    public MockBrokerContainer withAlpn(String mode) {
        return option("--alpn", mode);
    }

    /** Where unregistered certificates are refused: {@code after-handshake} (default) or {@code in-handshake}. */
    public MockBrokerContainer withRegistryCheck(String where) {
        return option("--registry-check", where);
    }

    /** Unauthorized CONNECT: {@code close} (default), {@code connack-5} or {@code connack-7}. */
    public MockBrokerContainer withUnauthorizedConnect(String how) {
        return option("--unauthorized-connect", how);
    }

    /** An AWS TLS security policy by name, e.g. {@code IoTSecurityPolicy_TLS13_1_3_2022_10}. */
    public MockBrokerContainer withSecurityPolicy(String name) {
        return option("--security-policy", name);
    }

    /** Misbehaviours on every connection, e.g. {@code serve-chain=expired}, {@code withhold-puback}. */
    public MockBrokerContainer withMisbehaviours(String... names) {
        misbehaviours.addAll(List.of(names));
        return self();
    }

    /** A device registry file (statuses and policies), copied into the container. */
    public MockBrokerContainer withRegistry(Path file) {
        withCopyFileToContainer(MountableFile.forHostPath(file), REGISTRY_IN_CONTAINER);
        return option("--registry", REGISTRY_IN_CONTAINER);
    }

    private MockBrokerContainer option(String name, String value) {
        options.add(name);
        options.add(value);
        return self();
    }

    @Override
    protected void configure() {
        List<String> command = new ArrayList<>(options);
        for (String endpoint : endpoints) {
            command.add("--endpoint");
            command.add(endpoint);
        }
        if (!misbehaviours.isEmpty()) {
            command.add("--misbehave");
            command.add(String.join(",", misbehaviours));
        }
        setCommand(command.toArray(String[]::new));
    }

    public int getMqttPort() {
        return getMappedPort(MQTT_PORT);
    }

    public int getMultiplexPort() {
        return getMappedPort(MULTIPLEX_PORT);
    }

    public int getHttpsPort() {
        return getMappedPort(HTTPS_PORT);
    }

    /** The control endpoint, e.g. {@code http://localhost:32768}. */
    public URI getControlUri() {
        return URI.create("http://" + getHost() + ":" + getMappedPort(CONTROL_PORT));
    }

    /** The endpoint name clients must send as SNI (make it resolve to the loopback address). */
    public String getEndpoint() {
        return endpoints.isEmpty() ? io.alpnlab.certs.PkiSettings.DEFAULT_ENDPOINT : endpoints.get(0);
    }

    public Path getCaFile() {
        return credential("root-ca.pem");
    }

    public Path getDeviceCertificateFile() {
        return credential("device.cert.pem");
    }

    /** The device key, copied to the host readable by its owner only. */
    public Path getDeviceKeyFile() {
        return credential("device.key.pem");
    }

    private synchronized Path credential(String name) {
        try {
            if (credentials == null) {
                credentials = Files.createTempDirectory("alpnlab-container-pki",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                for (String file : List.of("root-ca.pem", "device.cert.pem", "device.key.pem")) {
                    Path copy = credentials.resolve(file);
                    copyFileFromContainer(PKI_DIR + "/" + file, in -> {
                        Files.copy(in, copy);
                        return null;
                    });
                }
                Files.setPosixFilePermissions(credentials.resolve("device.key.pem"), PosixFilePermissions.fromString("r--------"));
            }
            return credentials.resolve(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the broker's credentials out of the container", e);
        }
    }

    /** The finished connection records, oldest first, as the control endpoint gives them. */
    public List<JsonNode> getConnections() {
        JsonNode records = control("GET", "/connections", null);
        List<JsonNode> list = new ArrayList<>();
        records.forEach(list::add);
        return list;
    }

    /** Forgets the records so far. */
    public void clearConnections() {
        control("DELETE", "/connections", null);
    }

    /** Misbehaviours for the next {@code count} connections, e.g. {@code refuse-first-connections=2}. */
    public void misbehaveNext(int count, String... names) {
        String body = JSON.createObjectNode().put("count", count).set("misbehaviours", JSON.valueToTree(List.of(names)))
                .toString();
        control("POST", "/behaviours/next", body);
    }

    /**
     * The token the broker generated for its control endpoint, which listens beyond loopback inside the
     * container; read once from its owner-only file there (the same token the broker printed at start).
     */
    private String controlToken() {
        if (controlToken == null) {
            controlToken = copyFileFromContainer(PKI_DIR + "/control-token",
                    in -> new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
        }
        return controlToken;
    }

    private JsonNode control(String method, String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(getControlUri().resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + controlToken()).build();
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(method + " " + path + ": HTTP " + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("control endpoint " + getControlUri() + " unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling the control endpoint", e);
        }
    }
}
