package io.alpnlab.conformance.cases;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.rules.Rule;
import java.util.List;

/**
 * Root cause, not cascade (BoGo's "failure for the wrong reason"): which rule a failed case's
 * connections broke first, when that rule is a prerequisite ({@link CaseTables#PREREQUISITES})
 * other than the case's own. The case is then BLOCKED by it; its own rule was never judged.
 */
public final class Attribution {

    private Attribution() {
    }

    /** The prerequisite rule that blocked the case, or null when the case's own rule broke or none did. */
    public static String blockedBy(List<ConnectionRecord> records, ConformanceCase conformanceCase) {
        String own = conformanceCase.rule().id();
        if (records.stream().anyMatch(record -> broke(record, own))) {
            // The case's own rule broke (the ALPN name offered in wire format, say): whatever followed, that is its failure.
            return null;
        }
        for (ConnectionRecord record : records) {
            String rule = prerequisiteBroken(record, own);
            if (rule != null) {
                return rule;
            }
        }
        return null;
    }

    /**
     * The prerequisite rule a client keeps breaking: every one of at least {@code times} connections
     * broke the same one (other than the case's own), and none broke the case's own rule. Null otherwise.
     */
    public static String repeatedlyBlockedBy(List<ConnectionRecord> records, ConformanceCase conformanceCase, int times) {
        String own = conformanceCase.rule().id();
        if (records.size() < times || records.stream().anyMatch(record -> broke(record, own))) {
            return null;
        }
        String first = prerequisiteBroken(records.get(0), own);
        return first != null && records.stream().allMatch(record -> first.equals(prerequisiteBroken(record, own))) ? first : null;
    }

    /** The prerequisite rule (other than {@code own}) one connection broke first, or null. */
    private static String prerequisiteBroken(ConnectionRecord record, String own) {
        Verdict verdict = record.verdict();
        if (refused(verdict) && isOtherPrerequisite(verdict.rule(), own)) {
            return verdict.rule();
        }
        for (Check check : record.checks()) {
            // An MQTT CONNECT on 443 without x-amzn-mqtt-ca fails TLS-ALPN-03; what the client broke is TLS-ALPN-01.
            String rule = check.rule() == Rule.TLS_ALPN_03 ? Rule.TLS_ALPN_01.id() : check.rule().id();
            if (check.outcome() == Outcome.FAIL && isOtherPrerequisite(rule, own)) {
                return rule;
            }
        }
        return null;
    }

    private static boolean broke(ConnectionRecord record, String rule) {
        return refused(record.verdict()) && rule.equals(record.verdict().rule())
                || record.checks().stream().anyMatch(check -> check.outcome() == Outcome.FAIL && rule.equals(check.rule().id()));
    }

    private static boolean refused(Verdict verdict) {
        return verdict != null && verdict.outcome() != Verdict.Kind.ACCEPTED;
    }

    private static boolean isOtherPrerequisite(String ruleId, String own) {
        return ruleId != null && !ruleId.equals(own) && CaseTables.PREREQUISITES.stream().anyMatch(rule -> rule.id().equals(ruleId));
    }
}
