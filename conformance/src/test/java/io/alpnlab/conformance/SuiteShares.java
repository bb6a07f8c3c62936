package io.alpnlab.conformance;

import io.alpnlab.conformance.cases.CaseTables;
import io.alpnlab.conformance.cases.ConformanceCase;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole suite cut into runs that go side by side, each on an engine and broker of its own: the cases that wait
 * on the client's timers (keep-alive, retries, backoff: most of a run's time) shared round-robin among some runs, and
 * every other case, the sanity case included, in one more. Together they cover the case table once.
 */
final class SuiteShares {

    private SuiteShares() {
    }

    /** Whether the case judges the client's timers: such a case needs a quiet machine. */
    static boolean timed(ConformanceCase conformanceCase) {
        return conformanceCase.needs(ConformanceCase.Need.SCALED_TIME);
    }

    static boolean timed(String caseId) {
        return CaseTables.all().stream().filter(c -> c.id().equals(caseId)).findFirst().map(SuiteShares::timed).orElseThrow();
    }

    /** {@code timedRuns} lists of the timed cases' IDs, then one of the others', each in the table's order. */
    static List<List<String>> of(int timedRuns) {
        List<List<String>> shares = new ArrayList<>();
        for (int run = 0; run < timedRuns; run++) {
            shares.add(new ArrayList<>());
        }
        List<String> timed = CaseTables.all().stream().filter(SuiteShares::timed).map(ConformanceCase::id).toList();
        for (int i = 0; i < timed.size(); i++) {
            shares.get(i % timedRuns).add(timed.get(i));
        }
        shares.add(CaseTables.all().stream().filter(c -> !timed(c)).map(ConformanceCase::id).distinct().toList());
        return shares;
    }
}
