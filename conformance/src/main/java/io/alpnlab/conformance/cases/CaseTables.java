package io.alpnlab.conformance.cases;

import static io.alpnlab.conformance.cases.ConformanceCase.Need.PASSIVE;
import static io.alpnlab.conformance.cases.ConformanceCase.named;

import io.alpnlab.broker.rules.Party;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.client.ClientTask;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Every case, in run order: the sanity case first and last, TLS, MQTT, then the device services. */
public final class CaseTables {

    /** Proves the broker and the client work at all; run first and last, as tlsfuzzer does. */
    public static final ConformanceCase SANITY = named("Sanity-Connect-Publish", Rule.MQTT_CONN_01)
            .action(ClientTask.Action.PUBLISH).needs(PASSIVE).judge(Judge.accepted())
            .hint("the client could not connect and publish at all: check the address, port, CA file and credentials")
            .build();

    private static final Pattern ID = Pattern.compile("[A-Z][A-Za-z0-9]*(-[A-Za-z0-9]+)+");

    /**
     * Rules no client case judges, with the reason: broker behaviour the broker's own tests prove,
     * or limits no conforming client approaches on its own. The quotas (MQTT-CONN-04, MQTT-RATE-01,
     * MQTT-INFLIGHT-01) are enforced in every connection and named in its record: a throttled CONNECT is a
     * refusal under MQTT-CONN-04, which the reconnect and backoff cases then name. SVC-SHADOW-02 (own thing only) is
     * enforced on every publish and subscribe and proven by the broker's policy tests.
     */
    public static final Set<Rule> JUDGED_ELSEWHERE = Set.of(Rule.TLS_SNI_03, Rule.TLS_ALPN_02, Rule.TLS_ALPN_03, Rule.TLS_ALPN_04,
            Rule.TLS_ALPN_05, Rule.TLS_CERTREQ_01, Rule.TLS_CERT_03, Rule.TLS_CERT_04, Rule.TLS_CERT_05,
            Rule.TLS_CHAIN_01, Rule.TLS_TICKET_01, Rule.TLS_HS_01, Rule.TLS_HS_02, Rule.TLS_HS_03, Rule.MQTT_CONN_02,
            Rule.MQTT_PKT_01, Rule.MQTT_SUB_02, Rule.TLS_MFL_01, Rule.MQTT_CID_02, Rule.MQTT_TOPIC_01, Rule.MQTT_TOPIC_02, Rule.MQTT_SIZE_01,
            Rule.MQTT_RET_01, Rule.MQTT_V5_01, Rule.MQTT_AUTHZ_01, Rule.MQTT_LIFE_01, Rule.HTTP_PUB_01, Rule.HTTP_SIGV4_01,
            Rule.MQTT_CONN_04, Rule.MQTT_RATE_01, Rule.MQTT_INFLIGHT_01, Rule.SVC_SHADOW_02);

    /**
     * Rules without which no other rule can be judged: a client that breaks one gets no TLS session,
     * or no MQTT session, at all. A case that fails because its connection broke one of these (and not
     * its own rule) is BLOCKED by it, never a failure of its own rule.
     */
    public static final Set<Rule> PREREQUISITES = Set.of(Rule.TLS_SNI_01, Rule.TLS_SNI_02, Rule.TLS_VER_01, Rule.TLS_SUITE_01,
            Rule.TLS_ALPN_01, Rule.TLS_CERT_02, Rule.TLS_CERT_03, Rule.TLS_CERT_04, Rule.TLS_HS_02,
            Rule.MQTT_CONN_02, Rule.MQTT_CONN_03, Rule.MQTT_CID_01);

    /**
     * The cases that open more than one connection (or a new TLS context) run again on port 443: a device's reconnect,
     * persistent-session and provisioning paths must offer ALPN too, or AWS never answers them there.
     */
    private static final List<ConformanceCase> ON_443 = java.util.stream.Stream.concat(MqttCases.all().stream(),
            ServiceCases.all().stream()).filter(conformanceCase -> Set.of("MQTT-Reconnect-Unstable", "MQTT-PersistentSession-Resume",
                    "Shadow-ReportState", "Jobs-Execution", "Provisioning-ByClaim").contains(conformanceCase.id()))
            .map(ConformanceCase::on443).toList();

    private CaseTables() {
    }

    public static List<ConformanceCase> all() {
        List<ConformanceCase> cases = new ArrayList<>();
        cases.add(SANITY);
        cases.addAll(TlsCases.all());
        cases.addAll(MqttCases.all());
        cases.addAll(ServiceCases.all());
        cases.addAll(ON_443);
        cases.add(SANITY);
        return cases;
    }

    /**
     * The table check, run as a test before anything else: IDs unique and well formed, the sanity case
     * first and last, every client rule of the catalogue covered by a case or listed as judged elsewhere.
     */
    public static List<String> problems(List<ConformanceCase> cases) {
        List<String> problems = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < cases.size(); i++) {
            ConformanceCase conformanceCase = cases.get(i);
            boolean sanity = conformanceCase == SANITY;
            if (!sanity && !ids.add(conformanceCase.id())) {
                problems.add("duplicate case ID " + conformanceCase.id());
            }
            if (!ID.matcher(conformanceCase.id()).matches()) {
                problems.add("case ID '" + conformanceCase.id() + "' is not hyphenated words");
            }
            if (conformanceCase.hint().isBlank()) {
                problems.add(conformanceCase.id() + " has no hint for the developer");
            }
            if (conformanceCase.id().contains("443") != (conformanceCase.listener().roleName().contains("443"))) {
                problems.add(conformanceCase.id() + " names a port its listener (" + conformanceCase.listener() + ") is not");
            }
        }
        if (cases.isEmpty() || cases.get(0) != SANITY || cases.get(cases.size() - 1) != SANITY) {
            problems.add("the sanity case must run first and last");
        }
        Set<Rule> covered = new HashSet<>();
        cases.forEach(conformanceCase -> covered.add(conformanceCase.rule()));
        for (Rule rule : Rule.values()) {
            if (rule.party() == Party.CLIENT && !covered.contains(rule) && !JUDGED_ELSEWHERE.contains(rule)) {
                problems.add("client rule " + rule.id() + " has no case and is not listed as judged elsewhere");
            }
            if (covered.contains(rule) && JUDGED_ELSEWHERE.contains(rule)) {
                problems.add(rule.id() + " is both covered by a case and listed as judged elsewhere");
            }
        }
        return problems;
    }
}
