package io.alpnlab.testkit;

import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.MockBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/** The extension behind {@link MockBrokerTest}: one broker per test class, closed after it. */
public final class MockBrokerExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MockBrokerExtension.class);
    /** One test PKI per JVM: generating RSA keys for every class would cost seconds each. */
    private static Path sharedPki;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker(context);
    }

    /**
     * The broker of the class that carries the annotation (a {@code @Nested} class shares its outer
     * class's broker), started on first use and closed with that class's context: the store closes
     * {@link AutoCloseable} values.
     */
    private static EmbeddedMockBroker broker(ExtensionContext context) {
        ExtensionContext owner = context;
        while (owner.getTestMethod().isPresent()
                || owner.getTestClass().map(type -> !type.isAnnotationPresent(MockBrokerTest.class)).orElse(false)
                && owner.getParent().flatMap(ExtensionContext::getTestClass).isPresent()) {
            owner = owner.getParent().orElseThrow();
        }
        ExtensionContext classContext = owner;
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent("broker", key -> start(classContext),
                EmbeddedMockBroker.class);
    }

    private static EmbeddedMockBroker start(ExtensionContext context) {
        MockBrokerTest settings = context.getRequiredTestClass().getAnnotation(MockBrokerTest.class);
        if (settings == null) {
            settings = Defaults.class.getAnnotation(MockBrokerTest.class);
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (ListenerRole role : ListenerRole.values()) {
            properties.put(BrokerSettings.PREFIX + "port." + role.roleName(), "0");
        }
        properties.put(BrokerSettings.PREFIX + "control-port", "-1");
        properties.put(BrokerSettings.PREFIX + "pki-dir", pki().toString());
        properties.put(BrokerSettings.PREFIX + "sni", settings.sni());
        properties.put(BrokerSettings.PREFIX + "alpn", settings.alpn());
        properties.put(BrokerSettings.PREFIX + "misbehave", String.join(",", settings.misbehave()));
        properties.put(BrokerSettings.PREFIX + "time-scale", Double.toString(settings.timeScale()));
        if (settings.endpoints().length > 0) {
            properties.put(BrokerSettings.PREFIX + "endpoints", String.join(",", settings.endpoints()));
        }
        BrokerSettings brokerSettings = BrokerSettings.fromProperties(properties);
        BrokerPki files = BrokerPki.prepare(brokerSettings);
        MockBroker broker = MockBroker.builder(files.pki()).settings(brokerSettings).registry(files.registry(brokerSettings))
                .start();
        return new EmbeddedMockBroker(broker, files, brokerSettings.endpoints().get(0));
    }

    private static synchronized Path pki() {
        if (sharedPki == null) {
            try {
                sharedPki = Files.createTempDirectory("alpnlab-testkit-pki",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException e) {
                throw new UncheckedIOException("no temporary folder for the test PKI", e);
            }
        }
        return sharedPki;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedMockBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getTestClass().isEmpty()) {
            throw new ParameterResolutionException("EmbeddedMockBroker is injected into test classes only");
        }
        return broker(context);
    }

    /** Carries the annotation's defaults, for {@code @ExtendWith(MockBrokerExtension.class)} without it. */
    @MockBrokerTest
    private static final class Defaults {
    }
}
