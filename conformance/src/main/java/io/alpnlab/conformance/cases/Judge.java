package io.alpnlab.conformance.cases;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
     * the client, under the verification rule. A completed handshake is the security hole.
     */
    static Judge clientRefusedServer(String ruleId) {
        return run -> {
            ConnectionRecord record = run.first();
            if (record == null) {
                return noConnection();
            }
            if (record.verdict().outcome() == Verdict.Kind.ACCEPTED || record.handshakeMillis() != null) {
                return Observation.fail("the client aborts the handshake", "the client completed the handshake: it does not"
                        + " verify the server, a security hole");
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

    /** At least {@code count} MQTT connections came from the client (it reconnected). */
    static Judge reconnected(int count) {
        return run -> {
            int connections = run.mqttConnections().size();
            return connections >= count
                    ? Observation.pass(count + " connections (the client reconnects)", connections + " connections")
                    : Observation.fail(count + " connections (the client reconnects)", connections + " connection(s): it did not"
                            + " reconnect");
        };
    }

    /**
     * The client noticed the dead connection itself: the first connection was not closed by the
     * broker's keep-alive deadline (1.5 x keep-alive), and a new one followed.
     */
    static Judge droppedDeadConnectionItself() {
        return run -> {
            List<ConnectionRecord> connections = run.mqttConnections();
            if (connections.isEmpty()) {
                return noConnection();
            }
            ConnectionRecord first = connections.get(0);
            if ("MQTT-KA-01".equals(first.verdict().rule())) {
                return Observation.fail("the client drops a connection whose PINGRESP does not come, and reconnects",
                        "the broker had to close it after 1.5 x keep-alive: the client did not notice the missing PINGRESP");
            }
            return reconnected(2).judge(run);
        };
    }

    /** A PUBLISH or SUBSCRIBE was sent again after the first went unacknowledged. */
    static Judge resent(String packetType) {
        return run -> {
            List<String> sent = new ArrayList<>();
            for (ConnectionRecord record : run.mqttConnections()) {
                record.mqtt().packets().stream().filter(packet -> packet.direction().equals("in") && packet.type().equals(packetType))
                        .forEach(packet -> sent.add(packet.detail()));
            }
            return sent.size() >= 2
                    ? Observation.pass(packetType + " sent again when unacknowledged", sent.size() + " times: " + sent)
                    : Observation.fail(packetType + " sent again when unacknowledged", sent.size() + " time(s): " + sent);
        };
    }

    /**
     * Reconnect intervals grow (exponential backoff) and are not all identical (jitter). The first
     * {@code refused} connections were refused by the broker; their opening times are compared.
     */
    static Judge backoff(int refused) {
        return run -> {
            List<ConnectionRecord> attempts = run.records();
            if (attempts.size() < refused + 1) {
                return Observation.fail("at least " + (refused + 1) + " connection attempts", attempts.size()
                        + " attempt(s): the client gave up or did not retry");
            }
            List<Long> gaps = new ArrayList<>();
            for (int i = 1; i <= refused && i < attempts.size(); i++) {
                gaps.add(Duration.between(attempts.get(i - 1).closedAt(), attempts.get(i).openedAt()).toMillis());
            }
            String observed = "gaps between attempts (ms): " + gaps;
            long first = gaps.get(0);
            long last = gaps.get(gaps.size() - 1);
            boolean grows = last >= Math.max(2 * first, first + 2);
            boolean jitter = gaps.stream().distinct().count() > 1 && !isExactDoubling(gaps);
            if (!grows) {
                return Observation.fail("exponential backoff (gaps grow)", observed);
            }
            return jitter ? Observation.pass("exponential backoff with jitter", observed)
                    : Observation.warn("exponential backoff with jitter", observed + " (no jitter: every client retries in step)");
        };
    }

    private static boolean isExactDoubling(List<Long> gaps) {
        for (int i = 1; i < gaps.size(); i++) {
            if (Math.abs(gaps.get(i) - 2 * gaps.get(i - 1)) > 3) {
                return false;
            }
        }
        return true;
    }

    static String describe(Verdict verdict) {
        return verdict.outcome() + " " + verdict.rule() + (verdict.alert() == null ? "" : " (alert " + verdict.alert() + ")") + ": "
                + verdict.detail();
    }
}
