package io.alpnlab.reports;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The conformance matrix of one run: every rule the run judged, with its verdict for the client
 * under test and the cases behind it. Serialised as JSON with a stable, versioned schema
 * ({@link #SCHEMA}, {@link #SCHEMA_VERSION}): fields are only ever added.
 *
 * @param schema always {@link #SCHEMA}
 * @param schemaVersion the schema version
 * @param client the client's name
 * @param clientVersion its version if known
 * @param date when the run finished
 * @param suiteVersion the suite's version
 * @param broker the broker profile and settings of the run
 * @param summary how many rules got each verdict
 * @param rules one row per rule
 * @param clientConfiguration how the client reports it is built (a device agent's TLS library, SNI and ALPN
 *     support, record buffers); empty when it says nothing (added in schema version 1, absent in older files)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Matrix(String schema, int schemaVersion, String client, String clientVersion, String date, String suiteVersion,
        Map<String, String> broker, Map<String, Integer> summary, List<Row> rules, Map<String, String> clientConfiguration) {

    public Matrix {
        clientConfiguration = clientConfiguration == null ? Map.of() : clientConfiguration;
    }

    public static final String SCHEMA = "alpnlab-conformance-matrix";
    public static final int SCHEMA_VERSION = 1;

    /** Verdicts from best to worst; a rule gets the worst verdict of its cases. */
    public enum Verdict {
        PASS("pass"),
        PASS_WITH_WARNINGS("pass with warnings"),
        NOT_APPLICABLE("not applicable"),
        DISABLED("disabled"),
        NOT_SUPPORTED("not supported"),
        /** Not judged: the client broke a prerequisite rule first (named in the reason). Fails the run. */
        BLOCKED("blocked"),
        FAIL("fail");

        private final String words;

        /** FAIL, and BLOCKED, which stands for the prerequisite the client broke: either makes a run fail. */
        public boolean failsTheRun() {
            return this == FAIL || this == BLOCKED;
        }

        Verdict(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    /**
     * One rule of the matrix.
     *
     * @param rule the rule ID
     * @param statement what the rule says
     * @param provenance DOC, OBS, RFC, INF, ...
     * @param verdict the worst verdict among its cases
     * @param cases the cases that judged it
     */
    public record Row(String rule, String statement, String provenance, Verdict verdict, List<Case> cases) {
    }

    /** One case behind a rule, with the reason for a skip or what went wrong. */
    public record Case(String id, Verdict verdict, String reason) {
    }

    public Row row(String ruleId) {
        return rules.stream().filter(row -> row.rule().equals(ruleId)).findFirst().orElse(null);
    }
}
