package io.alpnlab.broker.rules;

import java.util.Locale;

/** Renders the rule catalogue as {@code docs/RULES.md}; a test keeps the committed file equal to this. */
public final class RuleCatalogue {

    private RuleCatalogue() {
    }

    /** The anchor of a rule in RULES.md, e.g. {@code tls-sni-01}, for links from reports. */
    public static String anchor(Rule rule) {
        return rule.id().toLowerCase(Locale.ROOT);
    }

    public static String toMarkdown() {
        StringBuilder text = new StringBuilder();
        text.append("# Rule catalogue\n\n")
                .append("Every AWS IoT Core connection rule the mock broker enforces and the conformance suite checks.\n")
                .append("Generated from `io.alpnlab.broker.rules.Rule`; `RuleCatalogueDocumentTest` fails when the two differ\n")
                .append("(regenerate with `mvn -pl mock-broker test -Dtest=RuleCatalogueDocumentTest -Dalpnlab.writeRules=true`).\n")
                .append("IDs are stable: never renumbered, and a retired ID is never reused.\n\n")
                .append("Provenance tags (from `../shared/reference/aws-iot-rules.md`): **DOC** AWS documentation; **CODE** an AWS SDK or\n")
                .append("client library does it; **OBS** users observed it against the service; **RFC** the TLS or MQTT specification;\n")
                .append("**INF** inferred, an assumption; **PROJECT** a choice of this project where AWS says nothing.\n")
                .append("Party: **client** rules judge the client under test, **broker** rules say what the broker does as AWS does.\n")
                .append("Sources read on ").append(Rule.SOURCES_READ_ON).append(".\n");
        String area = null;
        for (Rule rule : Rule.values()) {
            if (!rule.area().equals(area)) {
                area = rule.area();
                text.append("\n## ").append(area).append("\n\n")
                        .append("| ID | Party | Rule | Tag | Source |\n|---|---|---|---|---|\n");
            }
            text.append("| <a id=\"").append(anchor(rule)).append("\"></a>").append(rule.id())
                    .append(" | ").append(rule.party().name().toLowerCase(Locale.ROOT))
                    .append(" | ").append(escape(rule.statement()))
                    .append(" | ").append(rule.provenance().tag())
                    .append(" | ").append(escape(rule.source())).append(" |\n");
        }
        return text.append(TIMING_JUDGES).toString();
    }

    /**
     * How the suite judges the timing rules, which no single observation can: the statistics live in
     * the conformance module ({@code BackoffShape}, {@code Judge}); this is their statement for readers.
     */
    private static final String TIMING_JUDGES = """

            ## How the timing rules are judged

            **CLIENT-RETRY-01** (cases MQTT-Backoff-Refused and MQTT-Backoff-NoConnack). The broker refuses 8 connections,
            so a conforming client makes 9 attempts; the 8 gaps (from the moment the broker ended one attempt, or saw it end,
            to the next one's opening) are graded:
            1. *Immediate*: no gap reaches 1 s (scaled by the client's time scale), nor 150 ms (what scheduling alone adds
               to a gap on a loaded machine): FAIL.
            2. *Exponential without jitter*: every ratio of successive gaps is within 20% of their geometric mean, and that
               mean is at least 1.4: PASS WITH WARNINGS, as Device Advisor grades it.
            3. Otherwise each gap after the first is divided by 1.7^k (k its retry number). Exponential backoff with any
               multiplicative jitter and growth of x1.7 or more leaves no downward trend; constant and linear delays fall.
               The statistic is the number of rising pairs among those 7 values (21 pairs); 2 or fewer is a FAIL.
               A constant or linear schedule, with any offset, has at most 2, so it fails every time; AWS SDK v2's full
               jitter (1 s doubling to 120 s) fails about 2 runs in 10,000 (`BackoffShapeTest` measures it on 50,000
               seeded schedules, and `BackoffLoopTest` runs the SDK itself).

            A client that stops after 5 to 8 attempts passes with warnings (too few gaps to judge); under 5 is a FAIL.

            **CLIENT-RETRY-02**: the unacknowledged PUBLISH or SUBSCRIBE is sent again on the same connection under the same
            packet identifier: PASS. Sent again only on a new connection (what MQTT 5 allows): PASS WITH WARNINGS. Under a new
            identifier, or never: FAIL.

            **CLIENT-RECONNECT-01**: every reconnect comes at least 1 s (scaled) after the server decided to close the connection; over
            5 successive disconnects (MQTT-Reconnect-Repeated) the longer of the last two delays is at least 4 times the shorter
            of the first two, plus 5 s (scaled: room for how late a loaded client notices a close). Doubling grows 16-fold
            over 5 reconnects, equal jitter at least 8-fold; constant and linear delays fail.

            **CLIENT-SESS-01** (MQTT-PersistentSession-Expired, Device Advisor's "persistent session expiry"): the client
            subscribes with cleanSession=0 and leaves; the broker expires the session; the client comes back with
            cleanSession=0, gets session present 0, and must subscribe again to get the message published after that.
            """;

    private static String escape(String text) {
        return text.replace("|", "\\|");
    }
}
