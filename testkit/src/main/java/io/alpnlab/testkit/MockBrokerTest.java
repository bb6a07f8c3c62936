package io.alpnlab.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts the AWS-like mock broker in this JVM for a test class, without Docker, and injects it as an
 * {@link EmbeddedMockBroker} parameter (constructor, {@code @BeforeAll}, test methods):
 *
 * <pre>{@code
 * @MockBrokerTest(misbehave = "withhold-puback")
 * class MyClientTest {
 *     @Test
 *     void resends_qos1_when_no_puback_comes(EmbeddedMockBroker broker) {
 *         myClient.connect(broker.host(), broker.mqttPort(), broker.endpoint(), broker.caFile(),
 *                 broker.deviceCertificateFile(), broker.deviceKeyFile());
 *         ...
 *     }
 * }
 * }</pre>
 *
 * Listeners bind ephemeral ports on 127.0.0.1; the endpoint name must resolve to the loopback address
 * for clients that send the host they dial as SNI.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(MockBrokerExtension.class)
public @interface MockBrokerTest {

    /** {@code required} (AWS docs 2022) or {@code lenient} (current docs). */
    String sni() default "required";

    /** Unknown ALPN on 443: {@code observed} or {@code strict}. */
    String alpn() default "observed";

    /** Misbehaviours on every connection, e.g. {@code serve-chain=expired}. */
    String[] misbehave() default {};

    /** Endpoint names accepted as SNI; empty for the default one. */
    String[] endpoints() default {};

    /** MQTT time scale (keep-alive deadlines): below 1 to test them quickly. */
    double timeScale() default 1.0;
}
