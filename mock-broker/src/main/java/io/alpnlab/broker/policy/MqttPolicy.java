package io.alpnlab.broker.policy;

import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every MQTT-level decision the broker makes, as pure functions over the facts of one packet: AWS
 * IoT Core's limits and reserved names (aws-iot-rules.md section 5). The MQTT handler only gathers
 * facts and carries the decisions out.
 */
public final class MqttPolicy {

    public static final int MAX_CLIENT_ID_BYTES = 128;
    public static final int MAX_TOPIC_BYTES = 256;
    public static final int MAX_TOPIC_SLASHES = 7;
    public static final int MAX_SUBSCRIPTIONS_PER_SUBSCRIBE = 8;
    public static final int MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;
    /** The SUBACK return code for a refused subscription (MQTT 3.1.1 0x80; in MQTT 5, unspecified error). */
    public static final int SUBACK_FAILURE = 0x80;
    public static final int MAX_PAYLOAD_BYTES = 128 * 1024;
    public static final int TOPIC_ALIAS_MAXIMUM = 8;
    public static final int MIN_KEEP_ALIVE_SECONDS = 30;
    public static final int MAX_KEEP_ALIVE_SECONDS = 1200;
    /** The account's persistent session expiry period: 1 hour by default, adjustable up to 7 days (quotas page). */
    public static final Duration DEFAULT_SESSION_EXPIRY = Duration.ofHours(1);
    public static final Duration MAX_SESSION_EXPIRY = Duration.ofDays(7);
    /** AWS's quota: connect requests per second per client ID. */
    public static final Duration MIN_CONNECT_INTERVAL = Duration.ofSeconds(1);
    /** AWS's quotas per connection: publish requests and bytes per second. */
    public static final int MAX_PUBLISHES_PER_SECOND = 100;
    public static final int MAX_PUBLISH_BYTES_PER_SECOND = 512 * 1024;
    /** AWS's in-flight unacknowledged QoS 1 messages per connection, announced to MQTT 5 clients as Receive Maximum. */
    public static final int RECEIVE_MAXIMUM = 100;
    /** AWS replays a resumed persistent session's stored messages at most 10 a second (MQTT page). */
    public static final Duration REPLAY_INTERVAL = Duration.ofMillis(100);

    /** MQTT 5 reason codes AWS uses when it disconnects a client. */
    public static final byte REASON_PROTOCOL_ERROR = (byte) 0x82;
    public static final byte REASON_NOT_AUTHORIZED = (byte) 0x87;
    public static final byte REASON_KEEP_ALIVE_TIMEOUT = (byte) 0x8D;
    public static final byte REASON_SESSION_TAKEN_OVER = (byte) 0x8E;
    public static final byte REASON_TOPIC_FILTER_INVALID = (byte) 0x8F;
    public static final byte REASON_TOPIC_NAME_INVALID = (byte) 0x90;
    public static final byte REASON_PACKET_TOO_LARGE = (byte) 0x95;
    public static final byte REASON_QOS_NOT_SUPPORTED = (byte) 0x9B;
    public static final byte REASON_RECEIVE_MAXIMUM_EXCEEDED = (byte) 0x93;
    public static final byte REASON_QUOTA_EXCEEDED = (byte) 0x97;
    public static final byte REASON_TOPIC_ALIAS_INVALID = (byte) 0x94;
    public static final byte REASON_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = (byte) 0xA1;

    private MqttPolicy() {
    }

    /** What the broker does about a packet that breaks a rule. */
    public enum Action {
        /** Tell an MQTT 5 client why (DISCONNECT with the reason code), then close the connection. */
        CLOSE,
        /** Drop the packet without any answer and keep the connection, recording the failure. */
        DROP,
        /** Refuse the CONNECT as AWS treats an unauthorized one (the broker's unauthorized-connect switch). */
        REFUSE_CONNECT,
        /** Answer the packet with the MQTT 5 reason code (PUBACK or SUBACK) and keep the connection. */
        ANSWER_WITH_REASON
    }

    /**
     * Why the broker acts on a packet, and what it does.
     *
     * @param rule the deciding rule
     * @param detail what the client did, in words it can act on
     * @param reasonCode the MQTT 5 DISCONNECT reason code, or 0 to close without a DISCONNECT
     * @param lifecycleReason AWS's disconnect reason in lifecycle events (CLIENT_ERROR, FORBIDDEN_ACCESS, ...)
     * @param action what the broker does
     */
    public record Violation(Rule rule, String detail, byte reasonCode, String lifecycleReason, Action action) {

        /** A violation that closes the connection. */
        public Violation(Rule rule, String detail, byte reasonCode, String lifecycleReason) {
            this(rule, detail, reasonCode, lifecycleReason, Action.CLOSE);
        }
    }

    /**
     * The decision on a CONNECT.
     *
     * @param violation non-null when the connection is closed or refused
     * @param notAuthorized true when the violation is an authorization failure (the unauthorized-CONNECT switch applies)
     * @param keepAliveApplied the keep-alive AWS applies, in seconds
     * @param sessionExpiry how long the session outlives the connection (zero for a clean session)
     * @param assignedClientId the client ID AWS assigns to an MQTT 5 client that sent an empty one, else null
     * @param checks every rule applied
     */
    public record ConnectDecision(Violation violation, boolean notAuthorized, int keepAliveApplied, Duration sessionExpiry,
            String assignedClientId, List<Check> checks) {

        /** The client ID the connection goes by: the one sent, or the one assigned. */
        public String clientId(String sent) {
            return assignedClientId == null ? sent : assignedClientId;
        }
    }

    /**
     * What the CONNECT said and who the connection proved to be in TLS.
     *
     * @param mqttVersion 4 (3.1.1) or 5
     * @param clientId the client ID
     * @param keepAliveSeconds the requested keep-alive
     * @param cleanStart cleanSession (3.1.1) or Clean Start (5)
     * @param sessionExpirySeconds the MQTT 5 Session Expiry Interval, or null (3.1.1, or absent)
     * @param username the username, or null
     * @param password the password, or null
     * @param application how the connection authenticates (certificate or custom authorizer)
     * @param certificateRefusal the deferred refusal from TLS (after-handshake registry check), or null
     * @param devicePolicy the certificate's policy, or null when there is none (custom auth)
     * @param policyVariables values for the policy variables (${iot:ClientId}, thing name, common name)
     * @param customAuthAccepted for custom auth: whether an authorizer accepted the username/password
     */
    public record ConnectFacts(int mqttVersion, String clientId, int keepAliveSeconds, boolean cleanStart,
            Long sessionExpirySeconds, String username, String password, Application application, Refusal certificateRefusal,
            DevicePolicy devicePolicy, Map<String, String> policyVariables, boolean customAuthAccepted) {
    }

    public static int clampKeepAlive(int requested) {
        if (requested == 0 || requested > MAX_KEEP_ALIVE_SECONDS) {
            return MAX_KEEP_ALIVE_SECONDS;
        }
        return Math.max(requested, MIN_KEEP_ALIVE_SECONDS);
    }

    /** How long without any packet from the client before AWS disconnects it: 1.5 x the applied keep-alive. */
    public static Duration keepAliveDeadline(int keepAliveApplied) {
        return Duration.ofMillis(keepAliveApplied * 1500L);
    }

    /**
     * The decision on a CONNECT.
     *
     * @param accountSessionExpiry the account's persistent session expiry period: what a 3.1.1 session gets, and the most
     *     an MQTT 5 client can ask for
     */
    public static ConnectDecision onConnect(ConnectFacts connect, Duration accountSessionExpiry) {
        List<Check> checks = new ArrayList<>();
        int keepAlive = clampKeepAlive(connect.keepAliveSeconds());
        if (connect.mqttVersion() != 4 && connect.mqttVersion() != 5) {
            return refuse(checks, new Violation(Rule.MQTT_CONN_03, "MQTT protocol level " + connect.mqttVersion()
                    + " (AWS supports 3.1.1 and 5.0)", (byte) 0, "CLIENT_ERROR"), false, keepAlive);
        }
        checks.add(Check.pass(Rule.MQTT_CONN_03, connect.mqttVersion() == 5 ? "MQTT 5.0" : "MQTT 3.1.1"));

        String clientId = connect.clientId() == null ? "" : connect.clientId();
        int idBytes = clientId.getBytes(StandardCharsets.UTF_8).length;
        if (idBytes > MAX_CLIENT_ID_BYTES) {
            return refuse(checks, new Violation(Rule.MQTT_CID_01, "client ID of " + idBytes + " bytes; AWS allows at most "
                    + MAX_CLIENT_ID_BYTES, (byte) 0x85, "CLIENT_ERROR"), false, keepAlive);
        }
        if (clientId.startsWith("$")) {
            return refuse(checks, new Violation(Rule.MQTT_CID_01, "client ID '" + clientId + "' starts with $, which AWS reserves",
                    (byte) 0x85, "CLIENT_ERROR"), false, keepAlive);
        }
        String assigned = null;
        if (clientId.isEmpty() && connect.mqttVersion() == 5) {
            // AWS's MQTT page: an MQTT 5 client that sends an empty client ID is given one (Assigned Client Identifier).
            assigned = java.util.UUID.randomUUID().toString();
            clientId = assigned;
            checks.add(Check.pass(Rule.MQTT_CID_01, "empty client ID: AWS assigns '" + assigned + "'"));
        } else if (clientId.isEmpty()) {
            // MQTT 3.1.1 has no way to tell the client an assigned ID, and a policy cannot authorize an empty one (INF).
            return refuse(checks, new Violation(Rule.MQTT_CID_01, "empty client ID; AWS needs a client ID over MQTT 3.1.1",
                    (byte) 0x85, "CLIENT_ERROR"), false, keepAlive);
        } else {
            checks.add(Check.pass(Rule.MQTT_CID_01, "client ID '" + clientId + "' (" + idBytes + " bytes)"));
        }

        if (connect.keepAliveSeconds() == keepAlive) {
            checks.add(Check.pass(Rule.MQTT_KA_01, "keep-alive " + keepAlive + " s"));
        } else {
            checks.add(Check.warn(Rule.MQTT_KA_01, "keep-alive " + connect.keepAliveSeconds() + " s is outside "
                    + MIN_KEEP_ALIVE_SECONDS + ".." + MAX_KEEP_ALIVE_SECONDS + "; AWS applies " + keepAlive + " s"));
        }

        // Identity: the certificate proved in TLS, or the custom authorizer's verdict.
        if (connect.application() == Application.MQTT_CUSTOM_AUTH) {
            if (!connect.customAuthAccepted()) {
                return refuse(checks, new Violation(Rule.MQTT_CONN_02, "custom authentication refused: no authorizer accepts"
                        + " username '" + connect.username() + "' with that password", REASON_NOT_AUTHORIZED, "AUTH_ERROR"),
                        true, keepAlive);
            }
            checks.add(Check.pass(Rule.MQTT_CONN_02, "custom authorizer accepted username '" + connect.username() + "'"));
        } else {
            if (connect.certificateRefusal() != null) {
                return refuse(checks, new Violation(connect.certificateRefusal().rule(), connect.certificateRefusal().detail(),
                        REASON_NOT_AUTHORIZED, "AUTH_ERROR"), true, keepAlive);
            }
            if (connect.devicePolicy() == null || !connect.devicePolicy().allowsConnect(clientId, connect.policyVariables())) {
                return refuse(checks, new Violation(Rule.MQTT_CONN_02, "the certificate's policy does not allow client ID '"
                        + clientId + "'", REASON_NOT_AUTHORIZED, "AUTH_ERROR"), true, keepAlive);
            }
            checks.add(Check.pass(Rule.MQTT_CONN_02, "the certificate's policy allows client ID '" + clientId + "'"));
        }

        Duration expiry;
        if (connect.cleanStart() && (connect.sessionExpirySeconds() == null || connect.sessionExpirySeconds() == 0)) {
            expiry = Duration.ZERO;
        } else if (connect.mqttVersion() == 5) {
            // The client asks; AWS grants at most the account's expiry period and says so in the CONNACK.
            long seconds = connect.sessionExpirySeconds() == null ? 0 : connect.sessionExpirySeconds();
            expiry = Duration.ofSeconds(Math.min(seconds, accountSessionExpiry.toSeconds()));
        } else {
            expiry = accountSessionExpiry;
        }
        if (!expiry.isZero()) {
            checks.add(Check.applied(Rule.MQTT_SESS_01, "persistent session, expiry " + expiry.toSeconds() + " s"));
        }
        return new ConnectDecision(null, false, keepAlive, expiry, assigned, checks);
    }

    private static ConnectDecision refuse(List<Check> checks, Violation violation, boolean notAuthorized, int keepAlive) {
        checks.add(Check.fail(violation.rule(), violation.detail()));
        Violation acted = notAuthorized ? new Violation(violation.rule(), violation.detail(), violation.reasonCode(),
                violation.lifecycleReason(), Action.REFUSE_CONNECT) : violation;
        return new ConnectDecision(acted, notAuthorized, keepAlive, Duration.ZERO, null, checks);
    }

    /** A topic name in a PUBLISH: length, depth, reserved names, payload size, QoS, retain, authorization. */
    public static Violation onPublish(String topic, int qos, boolean retain, int payloadBytes, DevicePolicy policy,
            Map<String, String> variables, Profile.Qos2Mode qos2) {
        return onPublish(topic, qos, retain, payloadBytes, policy, variables, qos2, false);
    }

    /**
     * A topic name in a PUBLISH: length, depth, reserved names, payload size, QoS, retain, authorization.
     * An unauthorized MQTT 5 PUBLISH is answered with PUBACK 0x87 and the connection kept, as AWS's MQTT
     * page documents; MQTT 3.1.1 has no way to say it, and AWS closes the connection (OBS).
     */
    public static Violation onPublish(String topic, int qos, boolean retain, int payloadBytes, DevicePolicy policy,
            Map<String, String> variables, Profile.Qos2Mode qos2, boolean mqtt5) {
        if (qos == 2) {
            return qos2 == Profile.Qos2Mode.CLOSE
                    ? new Violation(Rule.MQTT_QOS_01, "QoS 2 PUBLISH to '" + topic + "': AWS supports QoS 0 and 1 and closes the"
                            + " connection", REASON_QOS_NOT_SUPPORTED, "CLIENT_ERROR")
                    : new Violation(Rule.MQTT_QOS_01, "QoS 2 PUBLISH to '" + topic + "': AWS supports QoS 0 and 1; dropped"
                            + " without a PUBACK (broker.qos2=drop)", (byte) 0, null, Action.DROP);
        }
        Violation topicViolation = MqttTopics.check(topic, false);
        if (topicViolation != null) {
            return topicViolation;
        }
        if (payloadBytes > MAX_PAYLOAD_BYTES) {
            return new Violation(Rule.MQTT_SIZE_01, "payload of " + payloadBytes + " bytes; AWS allows at most "
                    + MAX_PAYLOAD_BYTES, REASON_PACKET_TOO_LARGE, "CLIENT_ERROR");
        }
        if (retain && topic.startsWith("$")) {
            return new Violation(Rule.MQTT_RET_01, "retained PUBLISH to the reserved topic '" + topic + "'",
                    REASON_TOPIC_NAME_INVALID, "CLIENT_ERROR");
        }
        String foreign = policy == null ? null : policy.foreignThing(topic, variables);
        if (foreign != null) {
            return new Violation(Rule.SVC_SHADOW_02, "'" + topic + "' belongs to the thing '" + foreign + "'; without a policy"
                    + " that allows more, a device touches only its own thing (its client ID)"
                    + (mqtt5 ? ": PUBACK 0x87 (Not authorized), the connection kept" : ""), REASON_NOT_AUTHORIZED, "FORBIDDEN_ACCESS",
                    mqtt5 ? Action.ANSWER_WITH_REASON : Action.CLOSE);
        }
        if (policy != null && !policy.allowsPublish(topic, variables)) {
            return new Violation(Rule.MQTT_AUTHZ_01, "the policy does not allow publishing to '" + topic + "'"
                    + (mqtt5 ? ": PUBACK 0x87 (Not authorized), the connection kept" : ""), REASON_NOT_AUTHORIZED, "FORBIDDEN_ACCESS",
                    mqtt5 ? Action.ANSWER_WITH_REASON : Action.CLOSE);
        }
        return null;
    }

    /**
     * A SUBSCRIBE: at most 8 filters, each valid and authorized. A QoS 2 request is reported as such
     * (AWS sends no SUBACK for it) and takes precedence over the other checks.
     */
    public static Violation onSubscribe(List<String> filters, List<Integer> qos, boolean subscriptionIdentifier,
            DevicePolicy policy, Map<String, String> variables) {
        return onSubscribe(filters, qos, subscriptionIdentifier, policy, variables, false);
    }

    /**
     * A SUBSCRIBE, as {@link #onSubscribe(List, List, boolean, DevicePolicy, Map)}; for MQTT 5 an
     * unauthorized filter is no violation: {@link #unauthorizedFilters} gives it SUBACK 0x87.
     */
    public static Violation onSubscribe(List<String> filters, List<Integer> qos, boolean subscriptionIdentifier,
            DevicePolicy policy, Map<String, String> variables, boolean mqtt5) {
        if (subscriptionIdentifier) {
            return new Violation(Rule.MQTT_V5_01, "SUBSCRIBE carries a Subscription Identifier, which AWS does not support",
                    REASON_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, "CLIENT_ERROR");
        }
        for (int i = 0; i < qos.size(); i++) {
            if (qos.get(i) == 2) {
                return new Violation(Rule.MQTT_QOS_01, "QoS 2 subscription to '" + filters.get(i)
                        + "': AWS supports QoS 0 and 1 and sends no SUBACK", (byte) 0, null, Action.DROP);
            }
        }
        if (filters.size() > MAX_SUBSCRIPTIONS_PER_SUBSCRIBE) {
            return new Violation(Rule.MQTT_SUB_01, "SUBSCRIBE with " + filters.size() + " filters; AWS allows at most "
                    + MAX_SUBSCRIPTIONS_PER_SUBSCRIBE, REASON_PROTOCOL_ERROR, "CLIENT_ERROR");
        }
        for (String filter : filters) {
            Violation violation = MqttTopics.check(filter, true);
            if (violation != null) {
                return violation;
            }
            String foreign = policy == null ? null : policy.foreignThing(filter, variables);
            if (!mqtt5 && foreign != null) {
                return new Violation(Rule.SVC_SHADOW_02, "'" + filter + "' names the thing '" + foreign + "'; without a policy that"
                        + " allows more, a device subscribes only to its own thing's topics (its client ID)", REASON_NOT_AUTHORIZED,
                        "FORBIDDEN_ACCESS");
            }
            if (!mqtt5 && policy != null && !policy.allowsSubscribe(filter, variables)) {
                return new Violation(Rule.MQTT_AUTHZ_01, "the policy does not allow subscribing to '" + filter + "'",
                        REASON_NOT_AUTHORIZED, "FORBIDDEN_ACCESS");
            }
        }
        return null;
    }

    /**
     * A CONNECT for a client ID that connected {@code sincePrevious} ago (null for the first): AWS's 1 per
     * second quota. A warning when it is broken, else null; the connection goes on (what AWS does is INF).
     *
     * @param interval the quota's second, scaled as the broker scales protocol times
     */
    public static Check onConnectRate(Duration sincePrevious, Duration interval) {
        if (sincePrevious == null || sincePrevious.compareTo(interval) >= 0) {
            return null;
        }
        return Check.warn(Rule.MQTT_CONN_04, "CONNECT " + sincePrevious.toMillis() + " ms after the previous one for this client"
                + " ID; AWS allows 1 per second per client ID" + (interval.equals(MIN_CONNECT_INTERVAL) ? "" : " (scaled here to "
                + interval.toMillis() + " ms)") + " and throttles the rest: back off");
    }

    /**
     * The publish rate of one connection over the last second: a warning the first time it passes AWS's
     * 100 publishes or 512 KiB per second, else null.
     */
    public static Check onPublishRate(int publishesInLastSecond, long bytesInLastSecond) {
        if (publishesInLastSecond > MAX_PUBLISHES_PER_SECOND) {
            return Check.warn(Rule.MQTT_RATE_01, publishesInLastSecond + " publishes within a second; AWS allows "
                    + MAX_PUBLISHES_PER_SECOND + " per connection and throttles the excess");
        }
        if (bytesInLastSecond > MAX_PUBLISH_BYTES_PER_SECOND) {
            return Check.warn(Rule.MQTT_RATE_01, bytesInLastSecond + " bytes published within a second; AWS allows 512 KiB per"
                    + " connection and throttles the excess");
        }
        return null;
    }

    /**
     * The publish rate of one connection under a quota setting: null within AWS's rates; past them, the
     * warning to record and whether the publish is discarded (broker.quotas=enforce, as the quotas page
     * says) or only flagged (broker.quotas=flag).
     */
    public static RateDecision onPublishRate(int publishesInLastSecond, long bytesInLastSecond, Profile.Quotas quotas) {
        Check rate = onPublishRate(publishesInLastSecond, bytesInLastSecond);
        if (rate == null) {
            return null;
        }
        boolean discard = quotas == Profile.Quotas.ENFORCE;
        return new RateDecision(discard ? Check.warn(rate.rule(), rate.detail() + "; from here on the excess is discarded"
                + " (broker.quotas=enforce)") : rate, discard);
    }

    /** A publish past AWS's rates: the warning to record, and whether the publish is discarded. */
    public record RateDecision(Check warning, boolean discard) {
    }

    /**
     * A CONNECT AWS would throttle ({@code rate}, from {@link #onConnectRate}): the refusal under
     * broker.quotas=enforce, or null when the quota is only flagged. What the excess gets is INF: MQTT 5
     * has a reason for it (0x9F, Connection rate exceeded); MQTT 3.1.1 has none, so the connection is
     * closed without CONNACK, as AWS closes other refused 3.1.1 CONNECTs.
     */
    public static Refusal onThrottledConnect(Check rate, Profile.Quotas quotas, boolean mqtt5) {
        if (quotas != Profile.Quotas.ENFORCE) {
            return null;
        }
        return new Refusal(Rule.MQTT_CONN_04, Refusal.NO_ALERT, rate.detail() + "; refused (broker.quotas=enforce) with "
                + (mqtt5 ? "CONNACK 0x9F (Connection rate exceeded)" : "the connection closed without CONNACK"));
    }

    /**
     * A QoS 1 PUBLISH while {@code unacknowledged} of the client's are not yet acknowledged, against AWS's
     * window of 100. An MQTT 5 client was told Receive Maximum 100, so a 101st is the protocol error its
     * specification names (DISCONNECT 0x93); null within the window or for MQTT 3.1.1, whose client cannot
     * know the window ({@link #onUnacknowledgedWarning} flags it instead; what AWS does is INF).
     */
    public static Violation onReceiveMaximum(int unacknowledged, boolean mqtt5) {
        if (!mqtt5 || unacknowledged < RECEIVE_MAXIMUM) {
            return null;
        }
        return new Violation(Rule.MQTT_INFLIGHT_01, "a QoS 1 PUBLISH while " + unacknowledged + " were unacknowledged;"
                + " the CONNACK said Receive Maximum " + RECEIVE_MAXIMUM, REASON_RECEIVE_MAXIMUM_EXCEEDED, "CLIENT_ERROR");
    }

    /** An MQTT 3.1.1 client past AWS's 100 unacknowledged QoS 1 publishes: a warning, else null. */
    public static Check onUnacknowledgedWarning(int unacknowledged) {
        return unacknowledged < RECEIVE_MAXIMUM ? null : Check.warn(Rule.MQTT_INFLIGHT_01, "more than " + RECEIVE_MAXIMUM
                + " QoS 1 publishes unacknowledged at once; AWS allows 100 in flight");
    }

    /** The indexes of the filters the policy does not allow (an MQTT 5 SUBACK answers them 0x87). */
    public static List<Integer> unauthorizedFilters(List<String> filters, DevicePolicy policy, Map<String, String> variables) {
        List<Integer> refused = new ArrayList<>();
        for (int i = 0; policy != null && i < filters.size(); i++) {
            if (!policy.allowsSubscribe(filters.get(i), variables) || policy.foreignThing(filters.get(i), variables) != null) {
                refused.add(i);
            }
        }
        return refused;
    }

    /**
     * Which filters of an allowed SUBSCRIBE fit within AWS's 50 subscriptions per connection: a
     * filter the connection already holds costs nothing, new ones are granted in order until the
     * limit, and the rest get {@link #SUBACK_FAILURE}. Null when all fit.
     */
    public static SubscriptionLimit onSubscriptionCount(Set<String> held, List<String> requested) {
        Set<String> after = new HashSet<>(held);
        List<Integer> refused = new ArrayList<>();
        for (int i = 0; i < requested.size(); i++) {
            if (!after.contains(requested.get(i)) && after.size() >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
                refused.add(i);
            } else {
                after.add(requested.get(i));
            }
        }
        if (refused.isEmpty()) {
            return null;
        }
        return new SubscriptionLimit(refused, Check.fail(Rule.MQTT_SUB_02, refused.size() + " subscription(s) past AWS's "
                + MAX_SUBSCRIPTIONS_PER_CONNECTION + " per connection refused with SUBACK 0x80: "
                + refused.stream().map(requested::get).toList() + "; unsubscribe from filters you no longer need"));
    }

    /**
     * The part of a SUBSCRIBE past the per-connection limit.
     *
     * @param refusedIndexes positions in the SUBSCRIBE whose filters get {@link #SUBACK_FAILURE}
     * @param check the failed check to record
     */
    public record SubscriptionLimit(List<Integer> refusedIndexes, Check check) {
    }

    /**
     * A shared subscription's group and filter, from {@code $share/<group>/<filter>} (AWS takes it in MQTT
     * 3.1.1 and 5); null for a plain filter. Call it on filters {@link #onSubscribe} accepted.
     */
    public static SharedFilter sharedFilter(String filter) {
        return MqttTopics.shared(filter);
    }

    /** {@code $share/<group>/<filter>}, split: one member of the group gets each message the filter matches. */
    public record SharedFilter(String group, String filter) {
    }

    /** An MQTT 5 topic alias must be within the maximum AWS announces. */
    public static Violation onTopicAlias(int alias) {
        if (alias < 1 || alias > TOPIC_ALIAS_MAXIMUM) {
            return new Violation(Rule.MQTT_V5_01, "topic alias " + alias + " outside 1.." + TOPIC_ALIAS_MAXIMUM
                    + " (the Topic Alias Maximum in CONNACK)", REASON_TOPIC_ALIAS_INVALID, "CLIENT_ERROR");
        }
        return null;
    }

    /** Whether a subscription filter matches a topic name, MQTT's {@code +} and {@code #} included. */
    public static boolean filterMatches(String filter, String topic) {
        return MqttTopics.overlaps(topic, filter);
    }

    /**
     * AWS does not deliver retained messages on wildcard subscriptions: a retained message sent
     * because of a new subscription reaches the client only if a filter without wildcards matches it.
     */
    public static boolean deliversRetained(String topic, List<String> clientFilters) {
        return clientFilters.stream().anyMatch(filter -> !filter.contains("+") && !filter.contains("#")
                && filter.equals(topic));
    }
}
