package io.alpnlab.broker.rules;

import java.util.Objects;

/**
 * One rule applied to one connection: the rule, how the connection fared, and what was seen.
 *
 * @param rule the catalogue rule
 * @param outcome pass, warn, fail or applied
 * @param detail what was observed, in words a device developer can act on
 */
public record Check(Rule rule, Outcome outcome, String detail) {

    public Check {
        Objects.requireNonNull(rule);
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(detail);
    }

    public static Check pass(Rule rule, String detail) {
        return new Check(rule, Outcome.PASS, detail);
    }

    public static Check warn(Rule rule, String detail) {
        return new Check(rule, Outcome.WARN, detail);
    }

    public static Check fail(Rule rule, String detail) {
        return new Check(rule, Outcome.FAIL, detail);
    }

    public static Check applied(Rule rule, String detail) {
        return new Check(rule, Outcome.APPLIED, detail);
    }

    @Override
    public String toString() {
        return rule.id() + " " + outcome + ": " + detail;
    }
}
