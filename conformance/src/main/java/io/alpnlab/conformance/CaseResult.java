package io.alpnlab.conformance;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.client.ClientReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the client fared on one case, with everything a report shows: the rule, what was expected and
 * observed, a hint, the client's report and the broker's records, and the evidence files written for it (a capture and
 * a key log per connection of a failing case).
 */
public record CaseResult(String caseId, Rule rule, Verdict verdict, String expected, String observed, String hint, String reason,
        String assumption, ClientReport report, List<ConnectionRecord> records, Duration duration, List<Path> evidence) {

    /** A case's verdict. Only FAIL, and NOT_SUPPORTED unless allowed, fail a run. */
    public enum Verdict {
        PASS,
        PASS_WITH_WARNINGS,
        /**
         * The case could not judge its rule because the client first broke another one (no SNI, so no
         * TLS, so no MQTT rule): the observation names that rule. Fails the run as a FAIL does, under the
         * rule that broke rather than the case's own (BoGo's "failure for the wrong reason").
         */
        BLOCKED,
        FAIL,
        /** The client cannot do what the case needs (it said so, or it cannot scale its timers). */
        NOT_SUPPORTED,
        /** Switched off for this client, with a reason, in its configuration. */
        DISABLED,
        /** The case does not apply to this client (e.g. TLS 1.2 emulation for a TLS 1.3-only client). */
        NOT_APPLICABLE
    }

    public CaseResult {
        records = records == null ? List.of() : List.copyOf(records);
        evidence = evidence == null ? List.of() : List.copyOf(evidence);
    }

    /** The same result with the files written as its evidence. */
    public CaseResult withEvidence(List<Path> files) {
        return new CaseResult(caseId, rule, verdict, expected, observed, hint, reason, assumption, report, records, duration, files);
    }

    static CaseResult skipped(String caseId, Rule rule, Verdict verdict, String reason) {
        return new CaseResult(caseId, rule, verdict, "", "", "", reason, "", null, List.of(), Duration.ZERO, List.of());
    }
}
