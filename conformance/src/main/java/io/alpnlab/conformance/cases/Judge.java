package io.alpnlab.conformance.cases;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Judges the broker's side of a case. Common judges are here as factories; tables combine them.
 */
@FunctionalInterface
public interface Judge {

    Observation judge(CaseRun run);

    /** No connection reached the broker: the case cannot judge the broker side. */
    static Observation noConnection() {
        return Observation.fail("a connection to the broker", "no connection reached the broker (check the address and port)");
    }

    /** The largest TLS plaintext record (RFC 8446 section 5.1); a ciphertext record of a full one is longer. */
    int MAX_PLAINTEXT_RECORD = 1 << 14;

    /**
     * Device Advisor's "TLS receive maximum size fragments": the suite's large QoS 1 message went to
     * the client in maximum-size TLS records, and the client acknowledged it.
     */
    static Judge tookMaximumSizeRecords(int payloadBytes) {
        return run -> {
            ConnectionRecord record = run.records().stream().filter(candidate -> candidate.mqtt() != null
                    && candidate.mqtt().packets().stream().anyMatch(packet -> "out".equals(packet.direction())
                            && "PUBLISH".equals(packet.type()) && packet.detail().contains("bytes=" + payloadBytes)))
                    .findFirst().orElse(null);
            if (record == null) {
                return Observation.fail("the " + payloadBytes + "-byte message delivered on the client's subscription",
                        run.records().isEmpty() ? "no connection reached the broker" : "it was never sent: the client did not"
                                + " subscribe, or left before the suite published");
            }
            long largest = record.traffic().largestRecordOut();
            boolean acknowledged = record.mqtt().packets().stream().anyMatch(packet -> "in".equals(packet.direction())
                    && "PUBACK".equals(packet.type()));
            String seen = "delivered in TLS records of up to " + largest + " bytes";
            if (largest <= MAX_PLAINTEXT_RECORD) {
                return Observation.fail("records of 16 KB", seen + ", none of full size");
            }
            if (!acknowledged) {
                return Observation.fail("a PUBACK for the QoS 1 message", seen + "; the client never acknowledged it");
            }
            return Observation.pass("the client takes maximum-size records and acknowledges", seen + "; PUBACK received");
        };
    }

    /**
     * The inner judge, for a client whose ClientHello offered ALPN; a case about the server's ALPN
     * selection cannot apply to a client that offered none (TLS-ALPN-01 judges that).
     */
    static Judge ifAlpnOffered(Judge inner) {
        return run -> {
            ConnectionRecord record = run.first();
            if (record != null && record.clientHello() != null
                    && (record.clientHello().alpn() == null || record.clientHello().alpn().isEmpty())) {
                return Observation.notApplicable("the client offered no ALPN, so the server's ALPN selection cannot be"
                        + " judged (TLS-ALPN-01 judges the missing offer)");
            }
            return inner.judge(run);
        };
    }

    /** The rule's checks on the first connection: PASS if passed, WARN if warned, FAIL if failed or missing. */
    static Judge check(String ruleId) {
        return run -> {
            ConnectionRecord record = run.first();
            if (record == null) {
                return noConnection();
            }
            List<Check> checks = record.checks().stream().filter(check -> check.rule().id().equals(ruleId)).toList();
            String observed = checks.isEmpty() ? "no " + ruleId + " check (verdict " + describe(record.verdict()) + ")"
                    : checks.get(checks.size() - 1).outcome() + ": " + checks.get(checks.size() - 1).detail();
            if (checks.stream().anyMatch(check -> check.outcome() == Outcome.FAIL)) {
                Check failed = checks.stream().filter(check -> check.outcome() == Outcome.FAIL).findFirst().orElseThrow();
                return Observation.fail(ruleId + " passes", failed.detail());
            }
            if (checks.stream().anyMatch(check -> check.outcome() == Outcome.WARN)) {
                return Observation.warn(ruleId + " passes", observed);
            }
            if (checks.stream().anyMatch(check -> check.outcome() == Outcome.PASS || check.outcome() == Outcome.APPLIED)) {
                return Observation.pass(ruleId + " passes", observed);
            }
            return Observation.fail(ruleId + " passes", observed);
        };
    }

    /**
     * A rule the broker's device services judge (a shadow report, a job's statuses, a provisioned reconnect): the
     * case passes when some connection passed it and none failed it; without any check, {@code missing} says what
     * the device never did.
     */
    static Judge serviceCheck(String ruleId, String missing) {
        return run -> {
            if (run.records().isEmpty()) {
                return noConnection();
            }
            Check passed = null;
            for (ConnectionRecord record : run.records()) {
                for (Check check : record.checks()) {
                    if (!check.rule().id().equals(ruleId)) {
                        continue;
                    }
                    if (check.outcome() == Outcome.FAIL) {
                        return Observation.fail(ruleId + " passes", "conn#" + record.id() + ": " + check.detail());
                    }
                    if (check.outcome() == Outcome.PASS && passed == null) {
                        passed = check;
                    }
                }
            }
            return passed != null ? Observation.pass(ruleId + " passes", passed.detail())
                    : Observation.fail(ruleId + " passes", missing);
        };
    }

    /** The suite's QoS 1 message of this size reached the client and was acknowledged (CLIENT-PUBACK-01). */
    static Judge acknowledgedDelivery(int payloadBytes) {
        return run -> {
            for (ConnectionRecord record : run.records()) {
                if (record.mqtt() == null || record.mqtt().packets().stream().noneMatch(packet -> "out".equals(packet.direction())
                        && "PUBLISH".equals(packet.type()) && packet.detail().contains("bytes=" + payloadBytes))) {
                    continue;
                }
                boolean acknowledged = record.mqtt().packets().stream().anyMatch(packet -> "in".equals(packet.direction())
                        && "PUBACK".equals(packet.type()));
                return acknowledged ? Observation.pass("a PUBACK for the " + payloadBytes + "-byte message", "delivered on conn#"
                        + record.id() + " and acknowledged")
                        : Observation.fail("a PUBACK for the " + payloadBytes + "-byte message", "delivered on conn#" + record.id()
                                + "; the client never acknowledged it (it " + (record.closedAt() != null ? "closed the connection"
                                        : "kept silent") + ")");
            }
            return run.records().isEmpty() ? noConnection()
                    : Observation.fail("the " + payloadBytes + "-byte message delivered", "it was never sent: the client did not"
                            + " subscribe, or left before the suite published");
        };
    }

    /**
     * Every connection stayed within the policy of the case: no refusal and no failed check under MQTT-AUTHZ-01 (the
     * policy) or SVC-SHADOW-02 (another thing's topics), and the client reached MQTT at all.
     */
    static Judge withinPolicy() {
        return run -> {
            if (run.records().isEmpty()) {
                return noConnection();
            }
            for (ConnectionRecord record : run.records()) {
                for (Check check : record.checks()) {
                    if ((check.rule().id().equals("MQTT-AUTHZ-01") || check.rule().id().equals("SVC-SHADOW-02"))
                            && check.outcome() == Outcome.FAIL) {
                        return Observation.fail("everything within the policy", "conn#" + record.id() + ": " + check.detail());
                    }
                }
                if (record.verdict() != null && ("MQTT-AUTHZ-01".equals(record.verdict().rule())
                        || "SVC-SHADOW-02".equals(record.verdict().rule()))) {
                    return Observation.fail("everything within the policy", "conn#" + record.id() + ": " + record.verdict().detail());
                }
            }
            boolean mqtt = run.records().stream().anyMatch(record -> record.mqtt() != null && record.mqtt().clientId() != null);
            return mqtt ? Observation.pass("everything within the policy", run.records().size() + " connection(s), nothing outside"
                    + " the policy") : Observation.fail("everything within the policy", "no connection reached MQTT");
        };
    }

    /**
     * A long run survived (CLIENT-LONG-01): at least {@code connections} connections (one per failure of the schedule,
     * and the last), every reconnect after a connection that was up no sooner than 1 s (scaled), no keep-alive or
     * connect-throttle breach, and the last connection up until the client itself closed it at the end.
     */
    static Judge survivedLongRun(int connections) {
        return run -> {
            String expected = "at least " + connections + " connections through the schedule, reconnects no sooner than 1 s,"
                    + " connected at the end";
            List<ConnectionRecord> records = run.records();
            if (records.isEmpty()) {
                return noConnection();
            }
            for (ConnectionRecord record : records) {
                for (Check check : record.checks()) {
                    if ((check.rule().id().equals("MQTT-KA-01") || check.rule().id().equals("MQTT-CONN-04"))
                            && check.outcome() == Outcome.FAIL) {
                        return Observation.fail(expected, "conn#" + record.id() + ": " + check.detail());
                    }
                }
                if (record.verdict() != null && "MQTT-CONN-04".equals(record.verdict().rule())) {
                    return Observation.fail(expected, "conn#" + record.id() + " was throttled: " + record.verdict().detail());
                }
            }
            long least = Math.max(1, Math.round(LEAST_RECONNECT_DELAY_MILLIS * run.task().timeScale()));
            for (int i = 1; i < records.size(); i++) {
                ConnectionRecord before = records.get(i - 1);
                boolean wasUp = before.mqtt() != null && before.mqtt().packets().stream().anyMatch(packet ->
                        "out".equals(packet.direction()) && "CONNACK".equals(packet.type()));
                long delay = Duration.between(before.endedAt(), records.get(i).openedAt()).toMillis();
                if (wasUp && delay < least) {
                    return Observation.fail(expected, "conn#" + records.get(i).id() + " came " + delay + " ms after conn#"
                            + before.id() + " was closed, sooner than " + least + " ms (1 s scaled)");
                }
            }
            ConnectionRecord last = records.get(records.size() - 1);
            String lastReason = last.mqtt() == null ? null : last.mqtt().disconnectReason();
            String seen = records.size() + " connection(s); the last ended " + (lastReason == null ? "without MQTT" : lastReason);
            if (records.size() < connections) {
                return Observation.fail(expected, seen + ": the device stopped before the schedule was through");
            }
            if (!"CLIENT_INITIATED_DISCONNECT".equals(lastReason)) {
                return Observation.fail(expected, seen + ": it was not connected at the end of the run");
            }
            return Observation.pass(expected, seen);
        };
    }

    /** The client's QoS 1 PUBLISH was acknowledged on some connection of the case: the message got through in the end. */
    static Judge publishAcknowledged() {
        return run -> {
            for (ConnectionRecord record : run.mqttConnections()) {
                boolean published = record.mqtt().packets().stream().anyMatch(packet -> "in".equals(packet.direction())
                        && "PUBLISH".equals(packet.type()));
                boolean acknowledged = record.mqtt().packets().stream().anyMatch(packet -> "out".equals(packet.direction())
                        && "PUBACK".equals(packet.type()));
                if (published && acknowledged) {
                    return Observation.pass("the QoS 1 message acknowledged in the end", "PUBACK on conn#" + record.id());
                }
            }
            return Observation.fail("the QoS 1 message acknowledged in the end", "no connection of the case got a PUBACK: the"
                    + " message was lost with the connection that dropped");
        };
    }

    /** No connection of the case broke the rule (a FAIL check or a refusal under it). */
    static Judge neverBroken(String ruleId) {
        return run -> {
            if (run.records().isEmpty()) {
                return noConnection();
            }
            for (ConnectionRecord record : run.records()) {
                for (Check check : record.checks()) {
                    if (check.rule().id().equals(ruleId) && check.outcome() == Outcome.FAIL) {
                        return Observation.fail("no connection breaks " + ruleId, "conn#" + record.id() + ": " + check.detail());
                    }
                }
            }
            return Observation.pass("no connection breaks " + ruleId, run.records().size() + " connection(s), none broke it");
        };
    }

    /** The first connection's verdict is ACCEPTED. */
    static Judge accepted() {
        return run -> {
            ConnectionRecord record = run.first();
            if (record == null) {
                return noConnection();
            }
            return record.verdict().outcome() == Verdict.Kind.ACCEPTED
                    ? Observation.pass("the broker accepts the connection", describe(record.verdict()))
                    : Observation.fail("the broker accepts the connection", describe(record.verdict()));
        };
    }

    /**
     * The client refused a defective server chain: the first connection ended in the handshake, by
     * the client, under the verification rule. A client that completed the handshake and then closed
     * without a byte of MQTT (Paho C's X509_check_host after the handshake, mbedTLS's VERIFY_OPTIONAL
     * with a flags check) did refuse the impostor, late: it passes with warnings, since its device
     * certificate already went to that server. A client that spoke MQTT to it has the security hole.
     */
    static Judge clientRefusedServer(String ruleId) {
        return run -> {
            ConnectionRecord record = run.first();
            if (record == null) {
                return noConnection();
            }
            if (record.verdict().outcome() == Verdict.Kind.ACCEPTED || record.handshakeMillis() != null) {
                boolean spokeMqtt = record.mqtt() != null && record.mqtt().packets().stream()
                        .anyMatch(packet -> "in".equals(packet.direction()));
                boolean closedItself = record.verdict().outcome() == Verdict.Kind.ACCEPTED || record.alerts().stream()
                        .anyMatch(alert -> "received".equals(alert.direction()) && "close_notify".equals(alert.description()));
                if (!spokeMqtt && closedItself) {
                    return Observation.warn("the client aborts the handshake", "the client completed the handshake (its device"
                            + " certificate went to the impostor) and then closed without sending MQTT: it checks the server"
                            + " after the handshake, not during it");
                }
                return Observation.fail("the client aborts the handshake", "the client completed the handshake and "
                        + (spokeMqtt ? "sent MQTT to a server it should not trust" : "kept the connection open")
                        + ": it does not verify the server, a security hole");
            }
            boolean byClient = record.verdict().outcome() == Verdict.Kind.ABORTED_BY_CLIENT
                    || record.verdict().outcome() == Verdict.Kind.CLOSED_BY_CLIENT;
            if (byClient && ruleId.equals(record.verdict().rule())) {
                return Observation.pass("the client aborts the handshake", describe(record.verdict()));
            }
            if ("TLS-HS-01".equals(record.verdict().rule())) {
                // Refused, since it never finished the handshake, but it left the connection hanging without an alert.
                return Observation.warn("the client aborts the handshake with an alert", "the client stopped the handshake"
                        + " but neither sent an alert nor closed the connection; the broker timed it out");
            }
            return Observation.fail("the client aborts the handshake under " + ruleId, describe(record.verdict()));
        };
    }

    /** Both judges hold; the weaker outcome wins. */
    default Judge and(Judge other) {
        return run -> {
            Observation first = judge(run);
            Observation second = other.judge(run);
            Observation worse = first.outcome().ordinal() >= second.outcome().ordinal() ? first : second;
            return new Observation(worse.outcome(), first.expected() + "; " + second.expected(),
                    first.observed() + "; " + second.observed());
        };
    }

    /**
     * Over 5 reconnects exponential backoff grows 16-fold (doubling) or at least 8-fold (equal jitter); linear
     * delays 5-fold at most. The last reconnects must be this many times the first, plus a margin (at time
     * scale 1) for measurement noise.
     */
    long GROWTH_FACTOR = 4;
    long GROWTH_MARGIN_MILLIS = 5_000;

    /** Device Advisor's shortest reconnect delay after a server disconnect, at time scale 1. */
    long LEAST_RECONNECT_DELAY_MILLIS = 1_000;

    /**
     * Device Advisor's reconnect tests: the client reconnects after each of the broker's
     * {@code disconnects}, never sooner than 1 s (scaled) after it; over four or more, the delays grow:
     * the longer of the last two is at least 4 times the shorter of the first two, plus 5 s (a test on
     * the envelope, so jitter within each delay does not matter).
     */
    static Judge reconnectsWithBackoff(int disconnects) {
        return run -> {
            List<ConnectionRecord> connections = run.records();
            String expected = disconnects == 1 ? "a reconnect no sooner than 1 s after the server's disconnect"
                    : "a reconnect after each of " + disconnects + " disconnects, each no sooner than 1 s, the delays growing";
            List<Long> delays = new ArrayList<>();
            for (int i = 1; i < connections.size() && i <= disconnects; i++) {
                delays.add(Duration.between(connections.get(i - 1).endedAt(), connections.get(i).openedAt()).toMillis());
            }
            String seen = connections.size() + " connection(s), reconnect delays (ms) " + delays;
            if (delays.size() < disconnects) {
                return Observation.fail(expected, seen + ": no reconnect after disconnect " + (delays.size() + 1));
            }
            long least = Math.max(1, Math.round(LEAST_RECONNECT_DELAY_MILLIS * run.task().timeScale()));
            for (int i = 0; i < delays.size(); i++) {
                if (delays.get(i) < least) {
                    return Observation.fail(expected, seen + ": reconnect " + (i + 1) + " came sooner than " + least + " ms (1 s"
                            + (run.task().timeScale() == 1.0 ? "" : " scaled") + ")");
                }
            }
            if (disconnects >= 4) {
                // The shorter of the first two against the longer of the last two: one scheduling hiccup (how late a loaded
                // client notices a close, which the broker cannot see) moves neither, and the margin covers the rest.
                long early = Math.min(delays.get(0), delays.get(1));
                long late = Math.max(delays.get(delays.size() - 2), delays.get(delays.size() - 1));
                long margin = Math.round(GROWTH_MARGIN_MILLIS * run.task().timeScale());
                if (late < GROWTH_FACTOR * early + margin) {
                    return Observation.fail(expected, seen + ": the delays do not grow (the last two reach " + late + " ms, under "
                            + GROWTH_FACTOR + " x the first two's shorter " + early + " ms plus " + margin + " ms)");
                }
            }
            return Observation.pass(expected, seen);
        };
    }

    /**
     * The client noticed the dead connection itself: the first connection was not closed by the
     * broker's keep-alive deadline (1.5 x keep-alive), and a new one followed.
     */
    static Judge droppedDeadConnectionItself() {
        return run -> {
            // The connections that got their CONNACK: one the client abandoned before that never had a PINGRESP to miss.
            List<ConnectionRecord> established = run.mqttConnections().stream().filter(record -> record.mqtt().packets().stream()
                    .anyMatch(packet -> "out".equals(packet.direction()) && "CONNACK".equals(packet.type()))).toList();
            if (established.isEmpty()) {
                return Observation.fail("the client drops a connection whose PINGRESP does not come, and reconnects",
                        run.records().isEmpty() ? "no connection reached the broker" : "no connection got as far as its CONNACK");
            }
            ConnectionRecord first = established.get(0);
            if ("MQTT-KA-01".equals(first.verdict().rule())) {
                return Observation.fail("the client drops a connection whose PINGRESP does not come, and reconnects",
                        "the broker had to close it after 1.5 x keep-alive: the client did not notice the missing PINGRESP");
            }
            return established.size() >= 2
                    ? Observation.pass("the client drops a connection whose PINGRESP does not come, and reconnects",
                            established.size() + " established connections")
                    : Observation.fail("the client drops a connection whose PINGRESP does not come, and reconnects",
                            "1 established connection: it did not reconnect");
        };
    }

    /**
     * Device Advisor's retry test: the unacknowledged PUBLISH or SUBSCRIBE is sent again on the same
     * connection under the same packet identifier. The DUP flag is not required (AWS documents it as
     * unsupported). A resend that waits for a new connection works with AWS (MQTT 5 allows resends only
     * then) but fails Device Advisor's test, so it is a warning; one under a new identifier is a second
     * message, not a retry.
     */
    static Judge resentOnSameConnection(String packetType) {
        return run -> {
            String expected = packetType + " sent again on the same connection under the same packet identifier";
            List<ConnectionRecord> connections = run.mqttConnections();
            List<List<Integer>> idsByConnection = new ArrayList<>();
            for (ConnectionRecord record : connections) {
                idsByConnection.add(record.mqtt().packets().stream()
                        .filter(packet -> packet.direction().equals("in") && packet.type().equals(packetType))
                        .map(packet -> packetId(packet.detail())).toList());
            }
            int firstConnection = 0;
            while (firstConnection < idsByConnection.size() && idsByConnection.get(firstConnection).isEmpty()) {
                firstConnection++;
            }
            if (firstConnection == idsByConnection.size()) {
                return Observation.fail(expected, "no " + packetType + " at all on " + connections.size() + " connection(s)");
            }
            List<Integer> ids = idsByConnection.get(firstConnection);
            int firstId = ids.get(0);
            long sameId = ids.stream().filter(id -> id == firstId).count();
            String seen = "connection " + (firstConnection + 1) + " carried " + packetType + " id(s) " + ids;
            if (sameId >= 2) {
                return Observation.pass(expected, seen);
            }
            if (ids.size() >= 2) {
                return Observation.fail(expected, seen + ": resent under a new identifier, which AWS takes as a second message");
            }
            boolean later = idsByConnection.stream().skip(firstConnection + 1L).anyMatch(idsOnConnection -> !idsOnConnection.isEmpty());
            return later
                    ? Observation.warn(expected, seen + " once, then again only on a new connection: AWS accepts that, Device"
                            + " Advisor's retry test does not")
                    : Observation.fail(expected, seen + " once and never again, on " + connections.size() + " connection(s)");
        };
    }

    /** The {@code id=} of a packet's recorded detail, -1 when it has none. */
    private static int packetId(String detail) {
        Matcher matcher = PACKET_ID.matcher(detail);
        return matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
    }

    Pattern PACKET_ID = Pattern.compile("\\bid=(\\d+)");

    /**
     * Device Advisor's "persistent session expiry": on the connection after the session expired, the
     * CONNACK said session present 0, the client subscribed again, and the message published after
     * that reached it.
     */
    static Judge resubscribedAfterExpiry() {
        return run -> {
            String expected = "a SUBSCRIBE after the CONNACK's session present 0, and the message that followed received";
            List<ConnectionRecord> connections = run.mqttConnections();
            if (connections.size() < 2) {
                return Observation.fail(expected, connections.size() + " MQTT connection(s): the client never came back after"
                        + " its session expired");
            }
            ConnectionRecord second = connections.get(connections.size() - 1);
            boolean presentZero = second.mqtt().packets().stream().anyMatch(packet -> "out".equals(packet.direction())
                    && "CONNACK".equals(packet.type()) && packet.detail().contains("sessionPresent=false"));
            boolean resubscribed = second.mqtt().packets().stream().anyMatch(packet -> "in".equals(packet.direction())
                    && "SUBSCRIBE".equals(packet.type()));
            boolean received = run.report().received().stream().anyMatch(message -> message.contains("published-after"));
            if (!presentZero) {
                return Observation.fail(expected, "the broker did not answer session present 0 (the case could not expire"
                        + " the session)");
            }
            if (!resubscribed) {
                return Observation.fail(expected, "session present 0, and the client sent no SUBSCRIBE: it assumed its old"
                        + " subscriptions, which expired with the session, and missed the message");
            }
            return received ? Observation.pass(expected, "session present 0, SUBSCRIBE sent again, message received")
                    : Observation.fail(expected, "session present 0 and SUBSCRIBE sent again, but the message never reached the"
                            + " client");
        };
    }

    /** Device Advisor's least number of connection attempts for a backoff test. */
    int LEAST_ATTEMPTS = 5;

    /**
     * The client backs off exponentially with jitter ({@link BackoffShape}) across the first
     * {@code refused} connections, which the broker refused; the gaps run from one attempt's close to
     * the next one's opening.
     */
    static Judge backoff(int refused) {
        if (refused < BackoffShape.GAPS) {
            throw new IllegalArgumentException("the backoff test needs " + BackoffShape.GAPS + " refused connections");
        }
        return run -> {
            List<ConnectionRecord> attempts = run.records();
            List<Long> gaps = new ArrayList<>();
            for (int i = 1; i < attempts.size() && i <= refused; i++) {
                gaps.add(Duration.between(attempts.get(i - 1).endedAt(), attempts.get(i).openedAt()).toMillis());
            }
            String observed = attempts.size() + " attempts, gaps (ms) " + gaps;
            if (attempts.size() < LEAST_ATTEMPTS) {
                return Observation.fail("at least " + LEAST_ATTEMPTS + " connection attempts, retrying until connected (AWS SDKs never"
                        + " give up)", observed + ": the client gave up or did not retry");
            }
            if (gaps.size() < BackoffShape.GAPS) {
                return Observation.warn((BackoffShape.GAPS + 1) + " attempts to judge the backoff's shape", observed
                        + ": the client stopped retrying, or the case's time ran out, before the shape could be judged");
            }
            BackoffShape shape = BackoffShape.of(gaps, run.task().timeScale());
            String seen = observed + "; " + shape.reason();
            return switch (shape.shape()) {
                case JITTERED_EXPONENTIAL -> Observation.pass("exponential backoff with jitter", seen);
                case EXPONENTIAL_WITHOUT_JITTER -> Observation.warn("exponential backoff with jitter", seen);
                case NOT_GROWING, IMMEDIATE -> Observation.fail("exponential backoff with jitter, not constant, linear or"
                        + " immediate retries", seen);
            };
        };
    }

    static String describe(Verdict verdict) {
        return verdict.outcome() + " " + verdict.rule() + (verdict.alert() == null ? "" : " (alert " + verdict.alert() + ")") + ": "
                + verdict.detail();
    }
}
