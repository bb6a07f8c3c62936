package io.alpnlab.broker.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.time.Clock;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A hostile client must not be able to fill the broker's memory through its records: a 16 KB
 * ClientHello of 8,000 cipher suites and a 10,000-character server name is kept cut, saying what was
 * cut, and the recorder keeps at most {@link ConnectionRecorder#RETAINED_BYTES} of records, oldest out.
 * (Before, a record kept every suite name, about 400 KB, and 10,000 such records took the heap.)
 */
class RecordBoundsTest {

    private static ConnectionRecord hostileRecord(long id) {
        ConnectionObservation observation = new ConnectionObservation(id, ListenerRole.MQTT_8883, "127.0.0.1:40000", 8883,
                Clock.systemUTC());
        List<Integer> suites = IntStream.range(0, 8000).map(i -> 0x1000 + i).boxed().toList();
        String longName = "x".repeat(10_000);
        observation.clientHello(new ClientHelloFacts(0x0303, List.of(0x0304), suites, List.of(0, 10, 13), longName,
                List.of(longName), List.of(0x0401), List.of(0x0017), null, null, false, 16_000));
        observation.addCheck(Check.fail(Rule.TLS_SNI_02, "SNI '" + longName + "' is not an endpoint name"));
        return observation.finish();
    }

    @Test
    void a_huge_client_hello_is_kept_cut_and_says_what_was_cut() {
        ConnectionRecord record = hostileRecord(1);
        ConnectionRecord.ClientHelloView hello = record.clientHello();
        assertEquals(ConnectionObservation.MAX_LISTED + 1, hello.cipherSuites().size());
        assertTrue(hello.cipherSuites().get(ConnectionObservation.MAX_LISTED).contains("7936 more, cut"), hello.cipherSuites()
                .get(ConnectionObservation.MAX_LISTED));
        assertTrue(hello.serverName().length() < 600 && hello.serverName().endsWith("(9488 characters cut)"), hello.serverName());
        assertTrue(hello.alpn().get(0).length() < 600);
        assertTrue(record.checks().stream().allMatch(check -> check.detail().length() < 1100), record.checks().toString());
        assertTrue(ConnectionRecorder.estimatedBytes(record) < 40_000, ConnectionRecorder.estimatedBytes(record) + " bytes");
    }

    @Test
    void the_recorder_keeps_records_within_its_byte_budget_oldest_out() {
        ConnectionRecorder recorder = new ConnectionRecorder(null);
        ConnectionRecord sample = hostileRecord(0);
        long perRecord = ConnectionRecorder.estimatedBytes(sample);
        long count = ConnectionRecorder.RETAINED_BYTES / perRecord + 500;
        for (long id = 1; id <= count; id++) {
            recorder.publish(hostileRecord(id));
        }
        assertTrue(recorder.retainedBytes() <= ConnectionRecorder.RETAINED_BYTES, recorder.retainedBytes() + " bytes kept");
        List<ConnectionRecord> kept = recorder.records();
        assertTrue(kept.size() < count, kept.size() + " of " + count + " kept");
        assertEquals(count, kept.get(kept.size() - 1).id(), "the newest is kept");
        assertEquals(count - kept.size() + 1, kept.get(0).id(), "the oldest went first");
    }
}
