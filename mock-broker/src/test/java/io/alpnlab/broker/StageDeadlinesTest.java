package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.SharedBrokerTest;
import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every stage after the TLS handshake has a deadline (the handshake timeout, 3 s in this fixture): a
 * real TLS client (openssl s_client, stdin held open) that completes the handshake and then sends
 * nothing, or half a CONNECT, is closed by the broker within it, and the record names the rule.
 * Without these deadlines such connections stayed open for ever, each holding its memory.
 */
class StageDeadlinesTest extends SharedBrokerTest {

    @ParameterizedTest(name = "{0} on {1}, then {2}")
    @CsvSource(delimiter = '|', value = {
        "device certificate | mqtt-8883     | nothing                                      | MQTT-CONN-01 | no complete MQTT CONNECT",
        "device certificate | mqtt-8883     | half a CONNECT (1000 bytes declared, 6 sent) | MQTT-CONN-01 | no complete MQTT CONNECT",
        "device certificate | https-8443    | nothing                                      | HTTP-PUB-01  | no complete HTTP request",
        "no certificate     | multiplex-443 | nothing                                      | TLS-ALPN-03  | no complete MQTT CONNECT or HTTP request"})
    void a_connection_that_sends_nothing_after_the_handshake_is_closed_by_the_deadline(String identity, String listener,
            String then, String rule, String detail) throws Exception {
        ListenerRole role = ListenerRole.fromRoleName(listener);
        Path openssl = RealPeer.require("openssl", "openssl");
        // Half an MQTT CONNECT: type 0x10, remaining length 1000 (0xe8 0x07), then 6 of those bytes; stdin then stays open.
        String input = then.startsWith("half") ? "printf '\\020\\350\\007\\000\\004MQTT'; " : "";
        String credentials = identity.startsWith("device") ? " -cert " + BrokerFixture.file("device.cert.pem") + " -key "
                + BrokerFixture.file("device.key.pem") : "";
        List<String> command = new ArrayList<>(List.of("sh", "-c", "(" + input + "sleep 12) | " + openssl + " s_client -quiet"
                + " -connect 127.0.0.1:" + fixture.port(role) + " -servername " + E + " -CAfile "
                + BrokerFixture.file("root-ca.pem") + credentials));
        long start = System.nanoTime();
        try (RealPeer.Running client = RealPeer.start(command)) {
            ConnectionRecord record = fixture.awaitRecord(r -> r.listener().equals(listener));
            long closedAfter = (System.nanoTime() - start) / 1_000_000;
            assertEquals(Verdict.Kind.REFUSED, record.verdict().outcome(), record.verdict().toString());
            assertEquals(rule, record.verdict().rule(), record.verdict().toString());
            assertTrue(record.verdict().detail().contains(detail), record.verdict().detail());
            assertTrue(record.server().negotiatedVersion() != null, "the handshake completed first: " + record.server());
            assertTrue(closedAfter >= 2_500 && closedAfter < 9_000, "closed " + closedAfter + " ms after the start; the deadline"
                    + " is 3 s after the handshake, and the client would have waited 12 s\n" + client.output());
        }
    }
}
