package io.alpnlab.conformance.suite;

import org.junit.platform.suite.api.SelectClasses;
import org.junit.platform.suite.api.Suite;
import org.junit.platform.suite.api.SuiteDisplayName;

/**
 * The JUnit 5 Platform Suite users run: {@code mvn verify -Pconformance} against the bundled
 * reference client, {@code mvn verify -Dtarget=<host>} against a device running the agent. Settings
 * come from {@code conformance.*} and {@code broker.*} system properties only; the annotations here
 * carry no defaults, because a {@code @ConfigurationParameter} would override {@code -D}.
 */
@Suite
@SuiteDisplayName("alpnlab AWS IoT Core conformance")
@SelectClasses(ConformanceTests.class)
public class ConformanceSuite {
}
