package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.cases.CaseTables;
import io.alpnlab.conformance.cases.ConformanceCase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table check the suite runs first, and proof that it can fail. */
class CaseTablesTest {

    @Test
    void shipped_tables_pass_the_check() {
        assertEquals(List.of(), CaseTables.problems(CaseTables.all()));
    }

    @Test
    void the_check_reports_duplicates_misnamed_listeners_missing_sanity_and_uncovered_rules() {
        List<ConformanceCase> broken = new ArrayList<>(CaseTables.all());
        broken.remove(broken.size() - 1);
        ConformanceCase first = broken.get(1);
        broken.add(first);
        broken.add(ConformanceCase.named("TLS-443-Wrong", Rule.TLS_SNI_01).on(ListenerRole.MQTT_8883).hint("h").build());
        broken.removeIf(conformanceCase -> conformanceCase.rule() == Rule.CLIENT_KA_01);
        List<String> problems = CaseTables.problems(broken);
        assertTrue(problems.contains("duplicate case ID " + first.id()), problems.toString());
        assertTrue(problems.contains("TLS-443-Wrong names a port its listener (mqtt-8883) is not"), problems.toString());
        assertTrue(problems.contains("the sanity case must run first and last"), problems.toString());
        assertTrue(problems.contains("client rule CLIENT-KA-01 has no case and is not listed as judged elsewhere"),
                problems.toString());
    }

    @Test
    void settings_select_cases_by_glob_and_refuse_unknown_keys() {
        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of("conformance.include", "TLS-*,MQTT-Publish-*",
                "conformance.exclude", "TLS-Verify-*"));
        assertTrue(settings.selects("TLS-SNI-Present"));
        assertTrue(settings.selects("MQTT-Publish-QoS1"));
        assertTrue(!settings.selects("TLS-Verify-Expired"));
        assertTrue(!settings.selects("MQTT-Subscribe"));
        var unknown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ConformanceSettings.fromProperties(Map.of("conformance.includ", "x")));
        assertTrue(unknown.getMessage().contains("unknown setting 'conformance.includ'"), unknown.getMessage());
        var agent = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ConformanceSettings.fromProperties(Map.of("conformance.client", "agent")));
        assertTrue(agent.getMessage().contains("-Dtarget="), agent.getMessage());
        assertEquals("agent", ConformanceSettings.fromProperties(Map.of("target", "192.0.2.7")).client(),
                "-Dtarget alone selects the agent driver");
    }
}
