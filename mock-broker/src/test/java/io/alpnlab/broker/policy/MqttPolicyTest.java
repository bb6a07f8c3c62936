package io.alpnlab.broker.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.rules.Rule;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The MQTT policy as tables, each limit at its boundary. */
class MqttPolicyTest {

    private static MqttPolicy.ConnectFacts connect(int version, String clientId, int keepAlive, boolean clean, Long expiry) {
        return new MqttPolicy.ConnectFacts(version, clientId, keepAlive, clean, expiry, null, null, Application.MQTT_X509, null,
                DevicePolicy.ALLOW_ALL, Map.of("iot:ClientId", clientId), false);
    }

    @ParameterizedTest(name = "keep-alive {0} -> {1}")
    @CsvSource({"0,1200", "1,30", "29,30", "30,30", "60,60", "1200,1200", "1201,1200", "65535,1200"})
    void keep_alive_is_clamped(int requested, int applied) {
        assertEquals(applied, MqttPolicy.clampKeepAlive(requested));
        assertEquals(Duration.ofMillis(applied * 1500L), MqttPolicy.keepAliveDeadline(applied));
    }

    @ParameterizedTest(name = "client ID of {0} bytes -> {1}")
    @CsvSource({"1,", "128,", "129,MQTT-CID-01"})
    void client_id_length_limit(int length, String rule) {
        MqttPolicy.ConnectDecision decision = MqttPolicy.onConnect(connect(4, "c".repeat(length), 60, true, null),
                Duration.ofHours(1));
        assertEquals(rule, decision.violation() == null ? null : decision.violation().rule().id());
    }

    @Test
    void client_id_length_counts_utf8_bytes() {
        // 43 three-byte characters are 129 bytes though only 43 characters.
        assertEquals(Rule.MQTT_CID_01, MqttPolicy.onConnect(connect(4, "€".repeat(43), 60, true, null), Duration.ZERO)
                .violation().rule());
    }

    @Test
    void connect_refusals_name_their_rule() {
        assertEquals(Rule.MQTT_CID_01, MqttPolicy.onConnect(connect(4, "$x", 60, true, null), Duration.ZERO).violation().rule());
        assertEquals(Rule.MQTT_CONN_03, MqttPolicy.onConnect(connect(3, "x", 60, true, null), Duration.ZERO).violation().rule());
        MqttPolicy.ConnectDecision unauthorized = MqttPolicy.onConnect(new MqttPolicy.ConnectFacts(4, "x", 60, true, null, null,
                null, Application.MQTT_X509, new Refusal(Rule.TLS_CERT_03, Refusal.NO_ALERT, "inactive"), DevicePolicy.ALLOW_ALL,
                Map.of(), false), Duration.ZERO);
        assertTrue(unauthorized.notAuthorized());
        assertEquals(Rule.TLS_CERT_03, unauthorized.violation().rule());
        MqttPolicy.ConnectDecision badCustom = MqttPolicy.onConnect(new MqttPolicy.ConnectFacts(4, "x", 60, true, null, "u", "p",
                Application.MQTT_CUSTOM_AUTH, null, null, Map.of(), false), Duration.ZERO);
        assertEquals(Rule.MQTT_CONN_02, badCustom.violation().rule());
    }

    @Test
    void session_expiry_follows_clean_flag_and_mqtt5_interval() {
        assertEquals(Duration.ZERO, MqttPolicy.onConnect(connect(4, "x", 60, true, null), Duration.ofHours(1)).sessionExpiry());
        assertEquals(Duration.ofHours(1), MqttPolicy.onConnect(connect(4, "x", 60, false, null), Duration.ofHours(1)).sessionExpiry());
        assertEquals(Duration.ofSeconds(300), MqttPolicy.onConnect(connect(5, "x", 60, false, 300L), Duration.ofHours(1))
                .sessionExpiry());
        assertEquals(Duration.ofHours(1), MqttPolicy.onConnect(connect(5, "x", 60, false, 4_000_000_000L), Duration.ofHours(1))
                .sessionExpiry(), "capped at the account's expiry period (1 hour by default)");
        assertEquals(Duration.ofDays(7), MqttPolicy.onConnect(connect(5, "x", 60, false, 4_000_000_000L), Duration.ofDays(7))
                .sessionExpiry(), "an account raised to AWS's most, 7 days");
    }

    @Test
    void an_empty_mqtt5_client_id_is_assigned_one_and_an_empty_311_one_refused() {
        MqttPolicy.ConnectDecision assigned = MqttPolicy.onConnect(connect(5, "", 60, true, null), Duration.ZERO);
        assertNull(assigned.violation());
        assertNotNull(assigned.assignedClientId());
        assertEquals(assigned.assignedClientId(), assigned.clientId(""));
        assertEquals(Rule.MQTT_CID_01, MqttPolicy.onConnect(connect(4, "", 60, true, null), Duration.ZERO).violation().rule());
    }

    @ParameterizedTest(name = "publish to {0}")
    @CsvSource({
        "a/b/c/d/e/f/g/h,",
        "a/b/c/d/e/f/g/h/i,MQTT-TOPIC-01",
        "a/+/c,MQTT-TOPIC-01",
        "$SYS/x,MQTT-TOPIC-02",
        "$aws/things/t/shadow/update,",
        "$aws/things/t/shadow/name/n/update,",
        "$aws/things/t/jobs/get,",
        "$aws/things/other-thing/shadow/update,SVC-SHADOW-02",
        "$aws/rules/my_rule/a/b/c/d/e/f/g/h,",
        "$aws/rules/my_rule/a/b/c/d/e/f/g/h/i,MQTT-TOPIC-01",
        "$aws/things/t/unknown,MQTT-TOPIC-02",
        "$share/g/t,MQTT-TOPIC-02",
        "$aws/anything,MQTT-TOPIC-02"})
    void publish_topic_rules(String topic, String rule) {
        // The client is the thing t: the default policy keeps it to its own thing's reserved topics.
        MqttPolicy.Violation violation = MqttPolicy.onPublish(topic, 1, false, 10, DevicePolicy.ALLOW_ALL, Map.of("iot:ClientId", "t"),
                Profile.Qos2Mode.CLOSE);
        assertEquals(rule, violation == null ? null : violation.rule().id());
    }

    @ParameterizedTest(name = "subscribe to {0}")
    @CsvSource({
        "$share/workers/jobs/#,",
        "$share/workers/a/b/c/d/e/f/g/h,",
        "$share/workers/a/b/c/d/e/f/g/h/i,MQTT-TOPIC-01",
        "$share//jobs,MQTT-TOPIC-02",
        "$share/workers,MQTT-TOPIC-02",
        "$share/workers/,MQTT-TOPIC-02",
        "$share/w+/jobs,MQTT-TOPIC-02",
        "$share/g/$aws/anything,MQTT-TOPIC-02",
        "$share/g/$aws/things/t/shadow/update/accepted,"})
    void shared_subscription_filters(String filter, String rule) {
        MqttPolicy.Violation violation = MqttPolicy.onSubscribe(List.of(filter), List.of(1), false, DevicePolicy.ALLOW_ALL, Map.of("iot:ClientId", "t"),
                true);
        assertEquals(rule, violation == null ? null : violation.rule().id(), violation == null ? "" : violation.detail());
        if (violation != null) {
            assertEquals(MqttPolicy.REASON_TOPIC_FILTER_INVALID, violation.reasonCode(), "MQTT 5: 0x8F for a filter");
        }
    }

    @Test
    void a_shared_filter_splits_into_group_and_filter_and_its_prefix_is_not_counted() {
        assertEquals(new MqttPolicy.SharedFilter("workers", "jobs/#"), MqttPolicy.sharedFilter("$share/workers/jobs/#"));
        assertNull(MqttPolicy.sharedFilter("jobs/#"));
        String longest = "$share/g/" + "t".repeat(256);
        assertNull(MqttPolicy.onSubscribe(List.of(longest), List.of(0), false, null, Map.of()), "256 bytes after $share/g/");
        MqttPolicy.Violation tooLong = MqttPolicy.onSubscribe(List.of(longest + "t"), List.of(0), false, null, Map.of());
        assertTrue(tooLong.detail().contains("not counting the $share/<group>/ prefix"), tooLong.detail());
    }

    @Test
    void quotas_are_refused_or_discarded_under_enforce_and_only_warned_under_flag() {
        Check rate = MqttPolicy.onConnectRate(Duration.ofMillis(40), MqttPolicy.MIN_CONNECT_INTERVAL);
        Refusal throttled = MqttPolicy.onThrottledConnect(rate, Profile.Quotas.ENFORCE, true);
        assertEquals(Rule.MQTT_CONN_04, throttled.rule());
        assertTrue(throttled.detail().contains("CONNACK 0x9F"), throttled.detail());
        assertTrue(MqttPolicy.onThrottledConnect(rate, Profile.Quotas.ENFORCE, false).detail().contains("without CONNACK"));
        assertNull(MqttPolicy.onThrottledConnect(rate, Profile.Quotas.FLAG, true));

        assertNull(MqttPolicy.onPublishRate(100, 1000, Profile.Quotas.ENFORCE));
        MqttPolicy.RateDecision over = MqttPolicy.onPublishRate(101, 1000, Profile.Quotas.ENFORCE);
        assertTrue(over.discard() && over.warning().outcome() == Outcome.WARN, over.toString());
        assertFalse(MqttPolicy.onPublishRate(101, 1000, Profile.Quotas.FLAG).discard());
    }

    @Test
    void receive_maximum_closes_mqtt5_and_warns_311_at_100_unacknowledged() {
        assertNull(MqttPolicy.onReceiveMaximum(99, true));
        MqttPolicy.Violation past = MqttPolicy.onReceiveMaximum(100, true);
        assertEquals(Rule.MQTT_INFLIGHT_01, past.rule());
        assertEquals(MqttPolicy.REASON_RECEIVE_MAXIMUM_EXCEEDED, past.reasonCode());
        assertNull(MqttPolicy.onReceiveMaximum(100, false), "a 3.1.1 client cannot know the window");
        assertNull(MqttPolicy.onUnacknowledgedWarning(99));
        assertEquals(Outcome.WARN, MqttPolicy.onUnacknowledgedWarning(100).outcome());
    }

    @Test
    void publish_limits_at_their_boundaries() {
        assertNull(MqttPolicy.onPublish("t".repeat(256), 0, false, 0, null, Map.of(), Profile.Qos2Mode.CLOSE));
        assertEquals(Rule.MQTT_TOPIC_01, MqttPolicy.onPublish("t".repeat(257), 0, false, 0, null, Map.of(), Profile.Qos2Mode.CLOSE).rule());
        assertNull(MqttPolicy.onPublish("t", 1, false, 131072, null, Map.of(), Profile.Qos2Mode.CLOSE));
        assertEquals(Rule.MQTT_SIZE_01, MqttPolicy.onPublish("t", 1, false, 131073, null, Map.of(), Profile.Qos2Mode.CLOSE).rule());
        MqttPolicy.Violation qos2 = MqttPolicy.onPublish("t", 2, false, 1, null, Map.of(), Profile.Qos2Mode.CLOSE);
        assertEquals(Rule.MQTT_QOS_01, qos2.rule());
        assertEquals(MqttPolicy.Action.CLOSE, qos2.action());
        assertEquals(MqttPolicy.REASON_QOS_NOT_SUPPORTED, qos2.reasonCode());
        assertEquals(MqttPolicy.Action.DROP, MqttPolicy.onPublish("t", 2, false, 1, null, Map.of(), Profile.Qos2Mode.DROP).action());
        assertEquals(Rule.MQTT_RET_01, MqttPolicy.onPublish("$aws/things/t/shadow/update", 0, true, 1, null, Map.of(),
                Profile.Qos2Mode.CLOSE).rule());
        // The Basic Ingest prefix is not counted: 256 bytes after it pass.
        assertNull(MqttPolicy.onPublish("$aws/rules/r/" + "t".repeat(256), 0, false, 0, null, Map.of(), Profile.Qos2Mode.CLOSE));
        assertEquals(Rule.MQTT_TOPIC_01, MqttPolicy.onPublish("$aws/rules/r/" + "t".repeat(257), 0, false, 0, null, Map.of(),
                Profile.Qos2Mode.CLOSE).rule());
    }

    @Test
    void subscribe_limits() {
        List<String> eight = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        assertNull(MqttPolicy.onSubscribe(eight, List.of(1, 1, 1, 1, 1, 1, 1, 1), false, null, Map.of()));
        List<String> nine = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i");
        assertEquals(Rule.MQTT_SUB_01, MqttPolicy.onSubscribe(nine, List.of(0, 0, 0, 0, 0, 0, 0, 0, 0), false, null, Map.of()).rule());
        assertEquals(Rule.MQTT_QOS_01, MqttPolicy.onSubscribe(List.of("a"), List.of(2), false, null, Map.of()).rule());
        assertEquals(Rule.MQTT_V5_01, MqttPolicy.onSubscribe(List.of("a"), List.of(1), true, null, Map.of()).rule());
        assertNull(MqttPolicy.onSubscribe(List.of("a/+/c/#"), List.of(1), false, null, Map.of()));
        assertNull(MqttPolicy.onSubscribe(List.of("$aws/things/+/shadow/#", "$aws/things/#", "$aws/events/presence/+/+"),
                List.of(1, 1, 1), false, null, Map.of()));
        MqttPolicy.Violation undefined = MqttPolicy.onSubscribe(List.of("$aws/nothing/#"), List.of(1), false, null, Map.of());
        assertEquals(Rule.MQTT_TOPIC_02, undefined.rule());
        assertEquals(MqttPolicy.REASON_TOPIC_FILTER_INVALID, undefined.reasonCode(), "a bad filter is 0x8F for MQTT 5");
    }

    @Test
    void fifty_subscriptions_per_connection_and_the_excess_refused_filter_by_filter() {
        java.util.Set<String> fortyNine = new java.util.HashSet<>();
        for (int i = 0; i < 49; i++) {
            fortyNine.add("held/" + i);
        }
        assertNull(MqttPolicy.onSubscriptionCount(fortyNine, List.of("new/1", "held/3")), "the 50th, and one already held");
        MqttPolicy.SubscriptionLimit limit = MqttPolicy.onSubscriptionCount(fortyNine, List.of("new/1", "new/2", "held/0",
                "new/3"));
        assertEquals(List.of(1, 3), limit.refusedIndexes(), "new filters past 50 refused; a held one costs nothing");
        assertEquals(Rule.MQTT_SUB_02, limit.check().rule());
        assertTrue(limit.check().detail().contains("[new/2, new/3]"), limit.check().detail());
    }

    @Test
    void topic_alias_maximum_is_8() {
        assertNull(MqttPolicy.onTopicAlias(8));
        assertEquals(Rule.MQTT_V5_01, MqttPolicy.onTopicAlias(9).rule());
        assertEquals(Rule.MQTT_V5_01, MqttPolicy.onTopicAlias(0).rule());
    }

    @Test
    void retained_messages_are_delivered_to_exact_filters_only() {
        assertTrue(MqttPolicy.deliversRetained("a/b", List.of("a/b")));
        assertFalse(MqttPolicy.deliversRetained("a/b", List.of("a/#")));
        assertFalse(MqttPolicy.deliversRetained("a/b", List.of("a/+")));
    }

    @Test
    void device_policy_substitutes_variables() {
        DevicePolicy policy = new DevicePolicy(List.of("${iot:Connection.Thing.ThingName}"), List.of("things/${iot:ClientId}/*"),
                List.of("things/*"));
        Map<String, String> variables = Map.of("iot:ClientId", "kitchen", "iot:Connection.Thing.ThingName", "kitchen");
        assertTrue(policy.allowsConnect("kitchen", variables));
        assertFalse(policy.allowsConnect("garage", variables));
        assertTrue(policy.allowsPublish("things/kitchen/temp", variables));
        assertEquals(Rule.MQTT_AUTHZ_01, MqttPolicy.onPublish("things/garage/temp", 0, false, 1, policy, variables,
                Profile.Qos2Mode.CLOSE).rule());
    }

    @Test
    void connect_and_publish_rates_are_flagged_past_aws_quotas() {
        assertNull(MqttPolicy.onConnectRate(null, Duration.ofSeconds(1)), "a client ID's first CONNECT");
        assertNull(MqttPolicy.onConnectRate(Duration.ofMillis(1000), Duration.ofSeconds(1)));
        Check tooSoon = MqttPolicy.onConnectRate(Duration.ofMillis(400), Duration.ofSeconds(1));
        assertEquals(Rule.MQTT_CONN_04, tooSoon.rule());
        assertEquals(Outcome.WARN, tooSoon.outcome());
        assertNull(MqttPolicy.onPublishRate(100, 512 * 1024));
        assertEquals(Rule.MQTT_RATE_01, MqttPolicy.onPublishRate(101, 0).rule());
        assertEquals(Rule.MQTT_RATE_01, MqttPolicy.onPublishRate(3, 512 * 1024 + 1).rule());
    }
}
