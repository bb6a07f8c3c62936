package io.alpnlab.conformance.suite;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the conformance suite without Maven, through the JUnit Platform as failsafe does for
 * {@code mvn verify -Dtarget=...}: {@code java -cp <classpath> -Dtarget=... io.alpnlab.conformance.suite.SuiteMain}.
 * Settings come from system properties. Exit code 0 when no case failed.
 */
public final class SuiteMain {

    private SuiteMain() {
    }

    public static void main(String[] args) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(ConformanceSuite.class))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        TestExecutionSummary result = summary.getSummary();
        result.printTo(new PrintWriter(System.out));
        result.printFailuresTo(new PrintWriter(System.out), 20);
        System.out.flush();
        System.exit(result.getTotalFailureCount() == 0 && result.getTestsSucceededCount() > 0 ? 0 : 1);
    }
}
