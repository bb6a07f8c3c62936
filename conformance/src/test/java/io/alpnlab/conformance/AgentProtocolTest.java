package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.conformance.client.AgentProtocol;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentProtocolTest {

    @Test
    void values_with_spaces_equals_and_non_ascii_round_trip() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("topic", "a/b c=d");
        fields.put("payload", "temperature 21.5 °C\nnext line");
        fields.put("alpn", "");
        String line = AgentProtocol.format("RUN", fields);
        assertTrue(line.startsWith("RUN topic=a%2Fb%20c%3Dd "), line);
        assertTrue(!line.contains("\n"), "one line");
        AgentProtocol.Line parsed = AgentProtocol.parse(line);
        assertEquals("RUN", parsed.command());
        assertEquals(fields, parsed.fields());
    }

    @Test
    void hello_carries_the_protocol_version() {
        AgentProtocol.Line hello = AgentProtocol.parse("HELLO ALPNLAB-AGENT/1 name=pico-w scales_time=0");
        assertEquals(AgentProtocol.VERSION, hello.field("protocol"));
        assertEquals("pico-w", hello.field("name"));
    }

    @Test
    void malformed_lines_are_errors_that_say_what_was_wrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentProtocol.parse("run action=X")).getMessage()
                .contains("upper-case command word"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentProtocol.parse("RUN action")).getMessage()
                .contains("'action' is not key=value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentProtocol.parse("RUN x=" + "y".repeat(5000)))
                .getMessage().contains("exceeds 4096"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentProtocol.parse("RUN host=h").required("action"))
                .getMessage().contains("RUN needs action="));
    }
}
