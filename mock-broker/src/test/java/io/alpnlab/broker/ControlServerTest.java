package io.alpnlab.broker;

import static io.alpnlab.broker.testing.Openssl.concat;
import static io.alpnlab.broker.testing.Openssl.device;
import static io.alpnlab.broker.testing.Openssl.sClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.certs.Pem;
import io.alpnlab.testing.RealPeer;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loopback control endpoint and the JSON-lines event log: the two out-of-process views of the records. */
class ControlServerTest {

    private static final String E = BrokerFixture.ENDPOINT;
    @TempDir
    static Path dir;
    static BrokerFixture fixture;
    static HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        fixture = BrokerFixture.start(builder -> builder.controlPort(0).eventLog(dir.resolve("events.jsonl")));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.broker().controlPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void records_are_readable_over_http_and_in_the_event_log() throws Exception {
        sClient(fixture.port(ListenerRole.MULTIPLEX_443), "-noservername");
        var record = fixture.awaitRecord(r -> "TLS-SNI-01".equals(r.verdict().rule()));
        JsonNode list = ConnectionRecorder.JSON.readTree(call("GET", "/connections?after=" + (record.id() - 1), null).body());
        assertEquals("TLS-SNI-01", list.get(0).path("verdict").path("rule").asText());
        assertEquals("unrecognized_name", list.get(0).path("verdict").path("alert").asText());

        List<String> lines = Files.readAllLines(dir.resolve("events.jsonl"));
        assertTrue(lines.stream().anyMatch(line -> line.contains("\"id\":" + record.id() + ",") && line.contains("TLS-SNI-01")),
                lines.toString());
    }

    @Test
    void registry_status_changes_take_effect_on_the_next_connection() throws Exception {
        String fingerprint = Pem.sha256Fingerprint(BrokerFixture.pki().device().leaf());
        fixture.broker().context().setProfile(fixture.broker().context().profile()
                .with(io.alpnlab.broker.policy.Profile.RegistryCheck.IN_HANDSHAKE));
        try {
            HttpResponse<String> changed = call("PUT", "/registry/" + fingerprint, "{\"status\":\"REVOKED\"}");
            assertEquals(200, changed.statusCode(), changed.body());
            sClient(fixture.port(ListenerRole.MQTT_8883), concat(new String[] {"-servername", E, "-tls1_2"}, device("device")));
            var refused = fixture.awaitRecord(r -> "REVOKED".equals(r.clientCertificate().registryStatus()));
            assertEquals("TLS-CERT-03", refused.verdict().rule());
        } finally {
            call("PUT", "/registry/" + fingerprint, "{\"status\":\"ACTIVE\"}");
            fixture.broker().context().setProfile(fixture.broker().context().profile()
                    .with(io.alpnlab.broker.policy.Profile.RegistryCheck.AFTER_HANDSHAKE));
        }
    }

    @Test
    void behaviours_and_profile_switch_over_http() throws Exception {
        assertEquals(200, call("POST", "/behaviours/next",
                "{\"listener\":\"mqtt-8883\",\"count\":1,\"misbehaviours\":[\"serve-chain=wrong-host\"]}").statusCode());
        RealPeer.Result client = sClient(fixture.port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error", "-verify_hostname", E}, device("device")));
        assertTrue(client.output().contains("hostname mismatch"), client.toString());

        HttpResponse<String> profile = call("PUT", "/profile", "{\"sni\":\"lenient\"}");
        assertEquals(200, profile.statusCode(), profile.body());
        assertEquals("LENIENT", fixture.broker().context().profile().sni().name());
        call("PUT", "/profile", "{\"sni\":\"required\"}");
    }

    @Test
    void bad_requests_name_what_was_wrong() throws Exception {
        HttpResponse<String> badStatus = call("PUT", "/registry/" + "0".repeat(64), "{\"status\":\"ACTIVE\"}");
        assertEquals(404, badStatus.statusCode());
        assertTrue(badStatus.body().contains("no registered certificate has fingerprint"), badStatus.body());
        HttpResponse<String> badMisbehaviour = call("PUT", "/behaviours/defaults", "{\"misbehaviours\":[\"be-rude\"]}");
        assertEquals(400, badMisbehaviour.statusCode());
        assertTrue(badMisbehaviour.body().contains("unknown misbehaviour 'be-rude'"), badMisbehaviour.body());
        HttpResponse<String> notJson = call("PUT", "/profile", "{sni:");
        assertEquals(400, notJson.statusCode());
        assertEquals(404, call("GET", "/nothing", null).statusCode());
    }

    @Test
    void control_endpoint_refuses_to_bind_a_non_loopback_address() throws Exception {
        var group = new io.netty.channel.nio.NioEventLoopGroup(1);
        try {
            var error = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> io.alpnlab.broker.control.ControlServer.start(fixture.broker().context(), group,
                            InetAddress.getByName("0.0.0.0"), 0));
            assertTrue(error.getMessage().contains("binds loopback only"), error.getMessage());
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
