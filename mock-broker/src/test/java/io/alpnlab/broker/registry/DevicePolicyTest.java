package io.alpnlab.broker.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The policy's wildcard matching, which replaced a regular expression compiled on every publish. */
class DevicePolicyTest {

    @ParameterizedTest(name = "''{0}'' vs ''{1}'' -> {2}")
    @CsvSource(delimiter = '|', value = {
        "*|''|true", "*|anything/at/all|true", "a*b|ab|true", "a*b|axxb|true", "a*b|axxbc|false",
        "*/x|a/b/x|true", "a.b|axb|false", "a.b|a.b|true", "a**|a|true", "*a*a|aaab|false",
        "$aws/things/*/shadow/*|$aws/things/t1/shadow/update|true", "sensors/*/temp|sensors/1/humidity|false",
        "''|''|true", "''|x|false"})
    void wildcard_matches_as_aws_policies_read(String pattern, String value, boolean expected) {
        assertEquals(expected, DevicePolicy.globMatches(pattern, value));
    }

    /** 20,000 random patterns and values, against the regular expression the matcher replaced. */
    @Test
    void wildcard_matching_agrees_with_the_regular_expression_it_replaced() {
        Random random = new Random(18);
        for (int i = 0; i < 20_000; i++) {
            String pattern = randomText(random, "ab*.", 6);
            String value = randomText(random, "ab.", 8);
            String regex = String.join(".*", java.util.Arrays.stream(pattern.split("\\*", -1)).map(Pattern::quote).toList());
            assertEquals(Pattern.compile(regex).matcher(value).matches(), DevicePolicy.globMatches(pattern, value),
                    "'" + pattern + "' vs '" + value + "'");
        }
    }

    @Test
    void policy_variables_are_substituted_before_matching() {
        DevicePolicy policy = new DevicePolicy(List.of("${iot:Connection.Thing.ThingName}"), List.of("d/${iot:ClientId}/*"),
                List.of());
        Map<String, String> variables = Map.of("iot:ClientId", "c1", "iot:Connection.Thing.ThingName", "thing-1");
        assertTrue(policy.allowsConnect("thing-1", variables));
        assertFalse(policy.allowsConnect("thing-2", variables));
        assertTrue(policy.allowsPublish("d/c1/telemetry", variables));
        assertFalse(policy.allowsPublish("d/c2/telemetry", variables));
        assertFalse(policy.allowsSubscribe("d/c1/#", variables));
    }

    private static String randomText(Random random, String alphabet, int maxLength) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(maxLength + 1); i > 0; i--) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }
}
