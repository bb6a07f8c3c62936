package io.alpnlab.conformance.client;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The agent protocol's line parser, fuzzed: a device on the network may send anything. Any line is
 * parsed or refused with an {@link IllegalArgumentException} that says why, and a parsed line written
 * back with {@link AgentProtocol#format} parses to the same command and fields.
 */
class AgentProtocolFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void any_line_parses_or_is_refused_and_round_trips(String text) {
        if (text == null) {
            return; // Jazzer's null String; a socket's reader ends with null, which AgentClient handles before parsing
        }
        AgentProtocol.Line line;
        try {
            line = AgentProtocol.parse(text);
        } catch (IllegalArgumentException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError("a refusal must say what was wrong", refused);
            }
            return;
        }
        if (line.command().equals("HELLO") && line.fields().containsKey("protocol")) {
            return; // HELLO's bare protocol word is written as a field; its round trip differs by design
        }
        AgentProtocol.Line again = AgentProtocol.parse(AgentProtocol.format(line.command(), line.fields()));
        if (!again.equals(line)) {
            throw new AssertionError("round trip changed " + line + " into " + again);
        }
    }
}
