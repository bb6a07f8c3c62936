package io.alpnlab.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/RULES.md and the Rule enum say the same thing, and every ID is well formed and unique. */
class RuleCatalogueDocumentTest {

    private static final Path DOCUMENT = Path.of("..", "docs", "RULES.md");
    private static final Pattern ID = Pattern.compile("[A-Z]+-[A-Z0-9]+-\\d{2}");

    @Test
    void rules_md_matches_the_catalogue() throws Exception {
        String expected = RuleCatalogue.toMarkdown();
        if (Boolean.getBoolean("alpnlab.writeRules")) {
            Files.writeString(DOCUMENT, expected);
        }
        assertTrue(Files.exists(DOCUMENT), DOCUMENT.toAbsolutePath() + " is missing");
        assertEquals(expected, Files.readString(DOCUMENT), "docs/RULES.md differs from the Rule enum; regenerate it with"
                + " -Dalpnlab.writeRules=true and review the change");
    }

    @Test
    void ids_are_well_formed_unique_and_carry_a_source() {
        Set<String> seen = new HashSet<>();
        for (Rule rule : Rule.values()) {
            assertTrue(ID.matcher(rule.id()).matches(), rule.id());
            assertTrue(seen.add(rule.id()), "duplicate " + rule.id());
            assertEquals(rule.name().replace('_', '-'), rule.id(), "enum constant and ID agree");
            assertTrue(!rule.source().isBlank() && !rule.statement().isBlank(), rule.id());
        }
    }

    /** A URL, a GitHub issue or pull request, an RFC section or a seed file. */
    private static final java.util.regex.Pattern OPENABLE = java.util.regex.Pattern.compile(
            "https://\\S+|github\\.com/\\S+|RFC \\d{4}|seed \\d{3}_[0-9a-f]+\\.txt");
    private static final java.util.regex.Pattern READ_ON = java.util.regex.Pattern.compile("read \\d{4}-\\d{2}-\\d{2}");

    @Test
    void every_source_can_be_opened_and_says_when_it_was_read() {
        for (Rule rule : Rule.values()) {
            assertTrue(OPENABLE.matcher(rule.source()).find(), rule.id() + ": no URL, issue, RFC or seed file in: " + rule.source());
            assertTrue(READ_ON.matcher(rule.source()).find(), rule.id() + ": no 'read YYYY-MM-DD' in: " + rule.source());
        }
    }
}
