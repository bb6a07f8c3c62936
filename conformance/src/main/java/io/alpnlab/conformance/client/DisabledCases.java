package io.alpnlab.conformance.client;

import io.alpnlab.conformance.ConformanceSettings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cases switched off for one client, each with its mandatory reason (BoGo's per-implementation
 * config): a glob on case IDs maps to why the case does not apply.
 */
public final class DisabledCases {

    public static final DisabledCases NONE = new DisabledCases(Map.of());

    private final Map<String, String> reasons;

    public DisabledCases(Map<String, String> reasons) {
        for (Map.Entry<String, String> entry : reasons.entrySet()) {
            if (entry.getValue() == null || entry.getValue().isBlank()) {
                throw new IllegalArgumentException("disabled case '" + entry.getKey() + "' needs a reason");
            }
        }
        this.reasons = new LinkedHashMap<>(reasons);
    }

    /** The reason this case is disabled, or null when it runs. */
    public String reason(String caseId) {
        for (Map.Entry<String, String> entry : reasons.entrySet()) {
            if (ConformanceSettings.globMatches(entry.getKey(), caseId)) {
                return entry.getValue();
            }
        }
        return null;
    }

    public Map<String, String> all() {
        return Map.copyOf(reasons);
    }
}
