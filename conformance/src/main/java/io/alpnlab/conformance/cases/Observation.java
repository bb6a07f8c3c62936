package io.alpnlab.conformance.cases;

/**
 * What a judge concluded from the broker's side: the outcome, what was expected and what was seen,
 * in words for the report ({@code want:} / {@code got:} as BoGo prints them).
 */
public record Observation(Outcome outcome, String expected, String observed) {

    public enum Outcome { PASS, WARN, FAIL, NOT_APPLICABLE }

    public static Observation pass(String expected, String observed) {
        return new Observation(Outcome.PASS, expected, observed);
    }

    public static Observation warn(String expected, String observed) {
        return new Observation(Outcome.WARN, expected, observed);
    }

    public static Observation fail(String expected, String observed) {
        return new Observation(Outcome.FAIL, expected, observed);
    }

    public static Observation notApplicable(String why) {
        return new Observation(Outcome.NOT_APPLICABLE, "", why);
    }
}
