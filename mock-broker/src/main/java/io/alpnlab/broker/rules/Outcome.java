package io.alpnlab.broker.rules;

/** How a connection fared against one rule. */
public enum Outcome {
    /** The rule held. */
    PASS,
    /** The rule held only under a lenient switch, or the client did something AWS tolerates but discourages. */
    WARN,
    /** The rule was broken; the broker refused or closed. */
    FAIL,
    /** The broker applied the rule (for broker-side rules: it did what AWS does). */
    APPLIED
}
