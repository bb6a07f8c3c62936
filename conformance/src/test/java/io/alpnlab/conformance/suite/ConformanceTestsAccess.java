package io.alpnlab.conformance.suite;

import io.alpnlab.conformance.CaseResult;

/** Lets tests read the exact failure text the suite prints. */
public final class ConformanceTestsAccess {

    private ConformanceTestsAccess() {
    }

    public static String failureText(CaseResult result) {
        return ConformanceTests.describeFailure(result);
    }
}
