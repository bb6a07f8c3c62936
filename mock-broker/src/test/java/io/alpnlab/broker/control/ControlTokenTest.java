package io.alpnlab.broker.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.testing.HandlerHarness;
import io.netty.channel.nio.NioEventLoopGroup;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bound beyond loopback (in a container), the control endpoint needs the token the broker generated:
 * every request but GET /health without it, or with another, is 401 and changes nothing. Tests bind
 * loopback only, so the endpoint is bound there with a token, as it is beyond loopback.
 */
class ControlTokenTest {

    @Test
    void requests_need_the_bearer_token_except_health() throws Exception {
        NioEventLoopGroup group = new NioEventLoopGroup(1);
        HandlerHarness harness = new HandlerHarness();
        try (ControlServer server = ControlServer.bind(harness.broker, group, InetAddress.getLoopbackAddress(), 0, true,
                "s3cret")) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "health needs no token (container health checks)");
            HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(base + "/connections")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, none.statusCode());
            assertTrue(none.body().contains("Authorization: Bearer"), none.body());
            HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(base + "/behaviours/next"))
                    .header("Authorization", "Bearer guess").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"listener\":\"multiplex-443\",\"count\":3,\"misbehaviours\":[\"withhold-connack\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, wrong.statusCode());
            assertEquals(0, harness.broker.plan().queuedCount(), "a refused request changes nothing");
            HttpResponse<String> right = http.send(HttpRequest.newBuilder(URI.create(base + "/connections"))
                    .header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, right.statusCode(), right.body());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
