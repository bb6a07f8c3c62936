package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.TestMqttClient;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.crt.mqtt.MqttClientConnection;
import software.amazon.awssdk.crt.mqtt.MqttMessage;
import software.amazon.awssdk.crt.mqtt.QualityOfService;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions;
import software.amazon.awssdk.crt.mqtt5.NegotiatedSettings;
import software.amazon.awssdk.crt.mqtt5.OnAttemptingConnectReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionFailureReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionSuccessReturn;
import software.amazon.awssdk.crt.mqtt5.OnDisconnectionReturn;
import software.amazon.awssdk.crt.mqtt5.OnStoppedReturn;
import software.amazon.awssdk.crt.mqtt5.QOS;
import software.amazon.awssdk.crt.mqtt5.packets.ConnectPacket;
import software.amazon.awssdk.iot.AwsIotMqtt5ClientBuilder;
import software.amazon.awssdk.iot.AwsIotMqttConnectionBuilder;

/**
 * AWS's own device SDK (v2 for Java, on aws-crt) connects to the 443 listener and publishes: the
 * SDK offers ALPN x-amzn-mqtt-ca by itself on port 443, as it does against the real service.
 */
class AwsIotDeviceSdkTest {

    static BrokerFixture fixture;

    @BeforeAll
    static void start() {
        MosquittoClientsTest.requireEndpointResolvesToLoopback();
        fixture = BrokerFixture.start(builder -> builder.timing(new BrokerContext.Timing(Duration.ofSeconds(5),
                Duration.ofSeconds(2), 1.0)));
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aws_iot_device_sdk_connects_on_443_and_publishes() throws Exception {
        try (TestMqttClient subscriber = TestMqttClient.connected(fixture.port(ListenerRole.MQTT_8883), null, "sdk-watcher",
                MqttVersion.MQTT_3_1_1)) {
            subscriber.subscribe(1, 1, "sdk/hello");
            subscriber.await(MqttMessageType.SUBACK);

            try (AwsIotMqttConnectionBuilder builder = AwsIotMqttConnectionBuilder.newMtlsBuilderFromPath(
                    BrokerFixture.file("device.cert.pem").toString(), BrokerFixture.file("device.key.pem").toString())) {
                builder.withCertificateAuthorityFromPath(null, BrokerFixture.file("root-ca.pem").toString())
                        .withEndpoint(BrokerFixture.ENDPOINT)
                        .withPort(fixture.port(ListenerRole.MULTIPLEX_443))
                        .withClientId("aws-sdk-device")
                        .withCleanSession(true);
                try (MqttClientConnection connection = builder.build()) {
                    boolean sessionPresent = connection.connect().get(15, TimeUnit.SECONDS);
                    assertFalse(sessionPresent);
                    connection.publish(new MqttMessage("sdk/hello", "hello from aws-crt".getBytes(StandardCharsets.UTF_8),
                            QualityOfService.AT_LEAST_ONCE, false)).get(15, TimeUnit.SECONDS);
                    connection.disconnect().get(15, TimeUnit.SECONDS);
                }
            }
            assertEquals("hello from aws-crt", TestMqttClient.text(subscriber.await(MqttMessageType.PUBLISH)));
        }
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && "aws-sdk-device".equals(r.mqtt().clientId()));
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome());
        assertEquals("TLS-ALPN-01", record.verdict().rule());
        assertEquals("x-amzn-mqtt-ca", record.server().alpnSelected());
        assertEquals(BrokerFixture.ENDPOINT, record.clientHello().serverName());
        assertEquals("CLIENT_INITIATED_DISCONNECT", record.mqtt().disconnectReason());
    }

    /**
     * The SDK's MQTT 5 client reads the CONNACK AWS sends: what it changed (keep-alive clamped to 30 s,
     * session expiry capped at the account's 1 hour, an assigned client ID for an empty one) and its
     * limits (Maximum QoS 1, Receive Maximum 100, Topic Alias Maximum 8, no Subscription Identifiers).
     */
    @Test
    void aws_iot_device_sdk_mqtt5_reads_the_connack_properties_aws_sends() throws Exception {
        CompletableFuture<NegotiatedSettings> negotiated = new CompletableFuture<>();
        Mqtt5ClientOptions.LifecycleEvents events = new Mqtt5ClientOptions.LifecycleEvents() {
            @Override
            public void onAttemptingConnect(Mqtt5Client client, OnAttemptingConnectReturn result) {
            }

            @Override
            public void onConnectionSuccess(Mqtt5Client client, OnConnectionSuccessReturn result) {
                negotiated.complete(result.getNegotiatedSettings());
            }

            @Override
            public void onConnectionFailure(Mqtt5Client client, OnConnectionFailureReturn result) {
                negotiated.completeExceptionally(new IllegalStateException("connection failed: " + result.getErrorCode()));
            }

            @Override
            public void onDisconnection(Mqtt5Client client, OnDisconnectionReturn result) {
            }

            @Override
            public void onStopped(Mqtt5Client client, OnStoppedReturn result) {
            }
        };
        try (AwsIotMqtt5ClientBuilder builder = AwsIotMqtt5ClientBuilder.newDirectMqttBuilderWithMtlsFromPath(
                BrokerFixture.ENDPOINT, BrokerFixture.file("device.cert.pem").toString(),
                BrokerFixture.file("device.key.pem").toString())) {
            builder.withCertificateAuthorityFromPath(null, BrokerFixture.file("root-ca.pem").toString())
                    .withPort((long) fixture.port(ListenerRole.MQTT_8883))
                    .withConnectProperties(new ConnectPacket.ConnectPacketBuilder().withClientId("")
                            .withKeepAliveIntervalSeconds(10L).withSessionExpiryIntervalSeconds(86_400L))
                    .withLifeCycleEvents(events);
            try (Mqtt5Client client = builder.build()) {
                client.start();
                NegotiatedSettings settings = negotiated.get(15, TimeUnit.SECONDS);
                client.stop();
                assertEquals(30, settings.getServerKeepAliveSeconds(), "keep-alive 10 s is clamped to AWS's 30 s");
                assertEquals(3600, settings.getSessionExpiryIntervalSeconds(), "capped at the account's 1 hour");
                assertTrue(settings.getAssignedClientID() != null && !settings.getAssignedClientID().isEmpty());
                assertEquals(QOS.AT_LEAST_ONCE, settings.getMaximumQOS());
                assertEquals(100, settings.getReceiveMaximumFromServer());
                assertEquals(8, settings.getTopicAliasMaximumToServer());
                assertFalse(settings.getSubscriptionIdentifiersAvailable());
                assertTrue(settings.getRetainAvailable());
                assertTrue(settings.getWildcardSubscriptionsAvailable());
                assertTrue(settings.getSharedSubscriptionsAvailable(), "AWS supports $share/ subscriptions");
                String assigned = settings.getAssignedClientID();
                ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && assigned.equals(r.mqtt().clientId()));
                assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
            }
        }
    }
}
