package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A case whose own rule held still passes only with warnings when its connections went past AWS's
 * quotas on the way: a throttled CONNECT (a refusal under MQTT-CONN-04), publishes past 100 a second,
 * more than 100 QoS 1 in flight. The broker records them on every connection; this is what the engine
 * reads from those records.
 */
class QuotaWarningsTest {

    private static ConnectionRecord record(long id, Check... checks) {
        ConnectionObservation observation = new ConnectionObservation(id, ListenerRole.MQTT_8883, "127.0.0.1:40000", 8883,
                Clock.systemUTC());
        for (Check check : checks) {
            observation.addCheck(check);
        }
        return observation.finish();
    }

    @Test
    void quota_checks_in_any_record_are_named_once_and_others_are_not() {
        ConnectionObservation throttled = new ConnectionObservation(3, ListenerRole.MQTT_8883, "127.0.0.1:40002", 8883,
                Clock.systemUTC());
        throttled.refuse(new Refusal(Rule.MQTT_CONN_04, Refusal.NO_ALERT, "CONNECT 40 ms after the previous one"));
        String warnings = ConformanceEngine.quotaWarnings(List.of(
                record(1, Check.pass(Rule.MQTT_CONN_01, "CONNECT first"), Check.warn(Rule.MQTT_RATE_01, "150 publishes within a second")),
                record(2, Check.warn(Rule.MQTT_RATE_01, "150 publishes within a second")),
                throttled.finish()));
        assertEquals("MQTT-RATE-01: 150 publishes within a second; MQTT-CONN-04: CONNECT 40 ms after the previous one", warnings);
    }

    @Test
    void a_case_within_the_quotas_has_none() {
        assertNull(ConformanceEngine.quotaWarnings(List.of(record(1, Check.pass(Rule.MQTT_CONN_01, "CONNECT first"),
                Check.warn(Rule.TLS_SNI_01, "no SNI, lenient")))));
        assertNull(ConformanceEngine.quotaWarnings(List.of()));
        assertTrue(ConformanceEngine.quotaWarnings(List.of(record(1, Check.warn(Rule.MQTT_INFLIGHT_01, "101 in flight"))))
                .startsWith("MQTT-INFLIGHT-01"));
    }
}
