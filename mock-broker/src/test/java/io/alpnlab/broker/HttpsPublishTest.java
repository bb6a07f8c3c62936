package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.Openssl;
import io.alpnlab.broker.testing.TestMqttClient;
import io.alpnlab.testing.RealPeer;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * AWS's HTTPS publish API, driven by curl (8443, and 443 without ALPN where SigV4 would be needed)
 * and by openssl s_client (443 with ALPN x-amzn-http-ca, which curl cannot offer).
 */
class HttpsPublishTest {

    private static final String E = BrokerFixture.ENDPOINT;
    static BrokerFixture fixture;
    static Path curl;

    @BeforeAll
    static void start() {
        curl = RealPeer.require("curl", "curl");
        fixture = BrokerFixture.start(builder -> builder.timing(new BrokerContext.Timing(Duration.ofSeconds(5),
                Duration.ofSeconds(2), 1.0)));
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** curl with --resolve, so the endpoint name (SNI and Host) reaches 127.0.0.1 whatever DNS says. */
    private static RealPeer.Result curl(ListenerRole role, boolean withCertificate, String... arguments) {
        int port = fixture.port(role);
        List<String> command = new ArrayList<>(List.of(curl.toString(), "-sS", "--resolve", E + ":" + port + ":127.0.0.1",
                "--cacert", BrokerFixture.file("root-ca.pem").toString(), "-w", "\nstatus=%{http_code}\n"));
        if (withCertificate) {
            command.addAll(List.of("--cert", BrokerFixture.file("device.cert.pem").toString(), "--key",
                    BrokerFixture.file("device.key.pem").toString()));
        }
        command.addAll(List.of(arguments));
        return RealPeer.run(Duration.ofSeconds(20), command);
    }

    private static String url(ListenerRole role, String pathAndQuery) {
        return "https://" + E + ":" + fixture.port(role) + pathAndQuery;
    }

    @Test
    void post_topics_on_8443_reaches_an_mqtt_subscriber() {
        try (TestMqttClient subscriber = TestMqttClient.connected(fixture.port(ListenerRole.MQTT_8883), null, "http-sub",
                MqttVersion.MQTT_3_1_1)) {
            subscriber.subscribe(1, 1, "http/in");
            subscriber.await(MqttMessageType.SUBACK);
            RealPeer.Result result = curl(ListenerRole.HTTPS_8443, true, "-X", "POST", "--data", "from-curl",
                    url(ListenerRole.HTTPS_8443, "/topics/http/in?qos=1"));
            assertTrue(result.stdout().contains("status=200"), result.toString());
            assertTrue(result.stdout().contains("\"message\":\"OK\""), result.toString());
            assertEquals("from-curl", TestMqttClient.text(subscriber.await(MqttMessageType.PUBLISH)));
        }
    }

    @Test
    void bad_requests_get_a_status_and_a_reason() {
        RealPeer.Result badQos = curl(ListenerRole.HTTPS_8443, true, "-X", "POST", "--data", "x",
                url(ListenerRole.HTTPS_8443, "/topics/t?qos=2"));
        assertTrue(badQos.stdout().contains("status=400") && badQos.stdout().contains("qos must be 0 or 1"), badQos.toString());
        RealPeer.Result wrongMethod = curl(ListenerRole.HTTPS_8443, true, url(ListenerRole.HTTPS_8443, "/topics/t"));
        assertTrue(wrongMethod.stdout().contains("status=405"), wrongMethod.toString());
        RealPeer.Result unknown = curl(ListenerRole.HTTPS_8443, true, "-X", "POST", url(ListenerRole.HTTPS_8443, "/things/t"));
        assertTrue(unknown.stdout().contains("status=404"), unknown.toString());
        RealPeer.Result reserved = curl(ListenerRole.HTTPS_8443, true, "-X", "POST", "--data", "x",
                url(ListenerRole.HTTPS_8443, "/topics/%24SYS/x"));
        assertTrue(reserved.stdout().contains("status=400") && reserved.stdout().contains("reserves"), reserved.toString());
    }

    @Test
    void https_on_443_without_alpn_gets_403_saying_sigv4_is_not_emulated() {
        RealPeer.Result result = curl(ListenerRole.MULTIPLEX_443, false, "-X", "POST", "--data", "x",
                url(ListenerRole.MULTIPLEX_443, "/topics/t?qos=0"));
        assertTrue(result.stdout().contains("status=403"), result.toString());
        assertTrue(result.stdout().contains("SigV4"), result.toString());
    }

    @Test
    void alpn_x_amzn_http_ca_on_443_publishes_with_the_device_certificate() {
        try (TestMqttClient subscriber = TestMqttClient.connected(fixture.port(ListenerRole.MQTT_8883), null, "http443-sub",
                MqttVersion.MQTT_3_1_1)) {
            subscriber.subscribe(1, 0, "http443/in");
            subscriber.await(MqttMessageType.SUBACK);
            String request = "POST /topics/http443/in?qos=0 HTTP/1.1\r\nHost: " + E + "\r\nContent-Length: 9\r\n"
                    + "Connection: close\r\n\r\nvia-alpn!";
            Path openssl = RealPeer.require("openssl", "openssl");
            RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), List.of(openssl.toString(), "s_client", "-quiet",
                    "-connect", "127.0.0.1:" + fixture.port(ListenerRole.MULTIPLEX_443), "-servername", E,
                    "-alpn", "x-amzn-http-ca", "-CAfile", BrokerFixture.file("root-ca.pem").toString(),
                    Openssl.device("device")[0], Openssl.device("device")[1], Openssl.device("device")[2],
                    Openssl.device("device")[3]), request);
            assertTrue(result.stdout().contains("HTTP/1.1 200 OK"), result.toString());
            assertEquals("via-alpn!", TestMqttClient.text(subscriber.await(MqttMessageType.PUBLISH)));
        }
    }
}
