package io.alpnlab.broker.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.MockBroker;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.certs.Credential;
import io.alpnlab.certs.DeviceCertificateVariant;
import io.alpnlab.certs.KeyType;
import io.alpnlab.certs.PkiDirectory;
import io.alpnlab.certs.PkiSettings;
import io.alpnlab.certs.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One test PKI on disk (for real peers) and brokers started on ephemeral loopback ports with fast
 * timings. The PKI is generated once per JVM: RSA key generation is the slow part of every test.
 */
public final class BrokerFixture implements AutoCloseable {

    public static final String ENDPOINT = PkiSettings.DEFAULT_ENDPOINT;
    private static TestPki sharedPki;
    private static Path sharedDir;

    private final MockBroker broker;

    private BrokerFixture(MockBroker broker) {
        this.broker = broker;
    }

    /** The PKI shared by every test of this JVM, written to a temporary folder. */
    public static synchronized TestPki pki() {
        if (sharedPki == null) {
            sharedPki = TestPki.generate(PkiSettings.defaults());
            List<Credential> credentials = new ArrayList<>();
            credentials.add(sharedPki.server());
            credentials.add(sharedPki.device());
            credentials.add(sharedPki.device(DeviceCertificateVariant.VALID, KeyType.EC_P256));
            credentials.add(sharedPki.device(DeviceCertificateVariant.UNKNOWN_CA, KeyType.RSA_2048));
            credentials.add(sharedPki.device(DeviceCertificateVariant.WEAK_KEY, KeyType.RSA_2048));
            try {
                sharedDir = Files.createTempDirectory("alpnlab-test-pki");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            PkiDirectory.write(sharedDir, sharedPki, credentials, "test fixture");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(sharedDir)));
        }
        return sharedPki;
    }

    /** A file of the shared PKI, e.g. {@code root-ca.pem} or {@code device.key.pem}. */
    public static Path file(String name) {
        pki();
        return sharedDir.resolve(name);
    }

    public static BrokerFixture start() {
        return start(builder -> {
        });
    }

    /** Starts a broker with the device registered ACTIVE and test timings; the customizer may change anything. */
    public static BrokerFixture start(Consumer<MockBroker.Builder> customizer) {
        TestPki pki = pki();
        DeviceRegistry registry = new DeviceRegistry();
        registry.register(pki.device().leaf(), DeviceStatus.ACTIVE);
        registry.register(pki.device(DeviceCertificateVariant.VALID, KeyType.EC_P256).leaf(), DeviceStatus.ACTIVE);
        registry.addCustomAuthorizer(new DeviceRegistry.CustomAuthorizer("test-authorizer", "custom-user", "custom-secret"));
        MockBroker.Builder builder = MockBroker.builder(pki).ephemeralPorts().registry(registry)
                .profile(Profile.awsDefault(List.of(ENDPOINT)))
                .timing(new BrokerContext.Timing(Duration.ofSeconds(3), Duration.ofMillis(1500), 0.01));
        customizer.accept(builder);
        return new BrokerFixture(builder.start());
    }

    public MockBroker broker() {
        return broker;
    }

    public int port(ListenerRole role) {
        return broker.port(role);
    }

    /** The next finished record matching the predicate, or the test fails listing what was recorded. */
    public ConnectionRecord awaitRecord(Predicate<ConnectionRecord> predicate) {
        try {
            ConnectionRecord record = broker.recorder().await(predicate, Duration.ofSeconds(15));
            assertNotNull(record, "no matching connection record; recorded: " + broker.recorder().records().stream()
                    .map(r -> "conn#" + r.id() + " " + r.listener() + " " + r.verdict()).toList());
            return record;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The finished record of the only connection made on this listener so far. */
    public ConnectionRecord awaitRecord(ListenerRole role) {
        return awaitRecord(record -> record.listener().equals(role.roleName()));
    }

    @Override
    public void close() {
        broker.close();
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary folder is harmless
        }
    }
}
