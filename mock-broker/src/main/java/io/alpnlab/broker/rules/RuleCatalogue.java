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
        return text.toString();
    }

    private static String escape(String text) {
        return text.replace("|", "\\|");
    }
}
