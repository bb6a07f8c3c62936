package io.alpnlab.conformance;

import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.Clients;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Several suite runs in one JVM, each against a device agent of its own, side by side: {@code
 * java -cp <classpath> -Dbroker.pki-dir=... io.alpnlab.conformance.SuitesSideBySide <target>;<include>;<results dir> ...}.
 * Each run is the suite's own engine loop (the one {@code SuiteMain} drives through JUnit): its own broker on
 * ephemeral ports, every selected case in order, its results.json written to its folder. The C agent's test runs
 * its seven device runs this way from the lab's network namespace: one JVM there instead of seven, whose start-up
 * and compilation took both cores for the first 20 s. Exit code 0 when every run wrote its results, whatever the
 * verdicts (the caller judges them); 1, naming the run, when one could not.
 */
public final class SuitesSideBySide {

    private SuitesSideBySide() {
    }

    public static void main(String[] args) throws InterruptedException {
        AtomicInteger broken = new AtomicInteger();
        List<Thread> runs = new ArrayList<>();
        for (String spec : args) {
            String[] parts = spec.split(";", -1);
            if (parts.length != 3) {
                System.err.println("expected <target>;<include>;<results dir>, got: " + spec);
                System.exit(2);
            }
            Thread run = new Thread(() -> {
                try {
                    runOne(parts[0], parts[1], parts[2]);
                } catch (Throwable failure) {
                    broken.incrementAndGet();
                    System.err.println("run against " + parts[0] + " failed:");
                    failure.printStackTrace();
                }
            }, "suite-" + parts[0]);
            run.start();
            runs.add(run);
        }
        for (Thread run : runs) {
            run.join();
        }
        System.exit(broken.get() == 0 ? 0 : 1);
    }

    private static void runOne(String target, String include, String resultsDir) throws InterruptedException {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().stringPropertyNames().forEach(name -> properties.put(name, System.getProperty(name)));
        properties.put("target", target);
        properties.put("conformance.include", include);
        properties.put("conformance.results-dir", resultsDir);
        ConformanceSettings settings = ConformanceSettings.fromProperties(properties);
        ConformanceResults results = new ConformanceResults();
        try (ConformanceEngine engine = ConformanceEngine.start(settings, properties, () -> Clients.select(settings))) {
            List<ConformanceCase> cases = engine.cases();
            engine.runAhead(cases);
            for (ConformanceCase conformanceCase : cases) {
                results.add(engine.run(conformanceCase));
            }
            results.write(settings.resultsDir(), engine);
        }
        System.out.println("run against " + target + ": results in " + resultsDir);
    }
}
