package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.alpnlab.testing.RealPeer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * Two hosts on one machine: network namespaces joined by a veth pair, made (and removed) by the test
 * itself, so that what crosses the link crosses a real network path. Needs root; elsewhere the test
 * is skipped with the reason, and in CI ({@code ALPNLAB_REQUIRE_PEERS=1}) it fails instead.
 */
final class TwoHostNetwork implements AutoCloseable {

    private final String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1000, 9999));
    final String deviceNamespace = "alpnlab-dev-" + suffix;
    final String labNamespace = "alpnlab-lab-" + suffix;
    private final int subnet = ThreadLocalRandom.current().nextInt(10, 250);
    final String labAddress = "10.77." + subnet + ".1";
    final String deviceAddress = "10.77." + subnet + ".2";
    private boolean created;

    private TwoHostNetwork() {
    }

    static TwoHostNetwork create() {
        RealPeer.require("ip", "iproute2");
        TwoHostNetwork network = new TwoHostNetwork();
        RealPeer.Result add = ip("netns", "add", network.deviceNamespace);
        if (add.exitCode() != 0) {
            String message = "network namespaces are not permitted here (needs root and CAP_SYS_ADMIN): " + add.stderr().strip();
            if ("1".equals(System.getenv(RealPeer.REQUIRE_PEERS_ENV))) {
                throw new AssertionError(message);
            }
            Assumptions.abort(message);
        }
        network.created = true;
        try {
            network.link();
        } catch (RuntimeException | AssertionError e) {
            network.close();
            throw e;
        }
        return network;
    }

    private void link() {
        mustIp("netns", "add", labNamespace);
        String deviceLink = "vd" + suffix;
        String labLink = "vl" + suffix;
        mustIp("link", "add", deviceLink, "type", "veth", "peer", "name", labLink);
        mustIp("link", "set", deviceLink, "netns", deviceNamespace);
        mustIp("link", "set", labLink, "netns", labNamespace);
        mustIp("-n", deviceNamespace, "addr", "add", deviceAddress + "/24", "dev", deviceLink);
        mustIp("-n", labNamespace, "addr", "add", labAddress + "/24", "dev", labLink);
        for (String namespace : List.of(deviceNamespace, labNamespace)) {
            mustIp("-n", namespace, "link", "set", "lo", "up");
        }
        mustIp("-n", deviceNamespace, "link", "set", deviceLink, "up");
        mustIp("-n", labNamespace, "link", "set", labLink, "up");
    }

    /** The command, run inside a namespace. */
    static List<String> in(String namespace, List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        wrapped.addAll(command);
        return wrapped;
    }

    private static RealPeer.Result ip(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        return RealPeer.run(Duration.ofSeconds(10), command);
    }

    private static void mustIp(String... arguments) {
        RealPeer.Result result = ip(arguments);
        assertEquals(0, result.exitCode(), "ip " + String.join(" ", arguments) + ":\n" + result);
    }

    @Override
    public void close() {
        if (created) {
            // Deleting a namespace deletes its end of the veth pair, and with it the other end.
            ip("netns", "del", deviceNamespace);
            ip("netns", "del", labNamespace);
            created = false;
        }
    }
}
