package io.alpnlab.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Container images for the tests, built from local files by {@code docker/build-images.sh} (no registry
 * is reachable on our machines). Without a Docker daemon a test that needs one is skipped, saying why;
 * it never counts as passed.
 */
public final class LocalImages {

    public static final String MOCK_BROKER = "alpnlab/mock-broker:local";
    private static final Path TOP = topOfCheckout();
    private static Boolean dockerAnswers;
    private static boolean mockBrokerBuilt;

    private LocalImages() {
    }

    private static Path topOfCheckout() {
        Path here = Path.of("").toAbsolutePath();
        while (here != null && !Files.exists(here.resolve("docker/build-images.sh"))) {
            here = here.getParent();
        }
        return here;
    }

    /** Skips the calling test unless a Docker daemon answers. */
    public static synchronized void requireDocker() {
        if (dockerAnswers == null) {
            dockerAnswers = RealPeer.which("docker") != null
                    && RealPeer.run(Duration.ofSeconds(20), List.of("docker", "info")).exitCode() == 0;
        }
        Assumptions.assumeTrue(dockerAnswers, "no Docker daemon is reachable (install Debian's docker.io and start dockerd,"
                + " as .ci/run does): container tests skipped");
    }

    /** The mock broker image from this build's jar, built once per test run. */
    public static synchronized String mockBroker() {
        requireDocker();
        if (!mockBrokerBuilt) {
            Path jar = TOP.resolve("mock-broker/target/mock-broker.jar");
            assertTrue(Files.exists(jar), jar + " is built by the mock-broker module's package phase");
            build(List.of("mock-broker", jar.toString()));
            mockBrokerBuilt = true;
        }
        return MOCK_BROKER;
    }

    /** A scratch image holding these programs of this machine and the libraries they load. */
    public static String programs(String tag, String... programs) {
        requireDocker();
        List<String> arguments = new ArrayList<>(List.of("programs", tag));
        arguments.addAll(List.of(programs));
        build(arguments);
        return tag;
    }

    private static void build(List<String> arguments) {
        assertTrue(TOP != null, "docker/build-images.sh not found above " + Path.of("").toAbsolutePath());
        List<String> command = new ArrayList<>(List.of(TOP.resolve("docker/build-images.sh").toString()));
        command.addAll(arguments);
        RealPeer.Result result = RealPeer.run(Duration.ofMinutes(5), command);
        assertEquals(0, result.exitCode(), String.join(" ", command) + ":\n" + result);
    }
}
