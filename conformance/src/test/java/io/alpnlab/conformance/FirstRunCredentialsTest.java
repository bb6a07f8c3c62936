package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.conformance.client.Clients;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README, "A device on your desk", step 1: the first run writes the device's files even when the device is not reachable. */
class FirstRunCredentialsTest {

    @TempDir
    Path dir;

    @Test
    void a_run_against_an_unreachable_device_still_writes_its_ca_and_credentials() throws Exception {
        int closedPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = free.getLocalPort(); // closed again below: nothing listens there
        }
        ConformanceSettings settings = ConformanceSettings.fromProperties(Map.of("target", "127.0.0.1:" + closedPort));
        Path pki = dir.resolve("pki");
        UncheckedIOException unreachable = assertThrows(UncheckedIOException.class, () -> ConformanceEngine.start(settings,
                Map.of("broker.pki-dir", pki.toString()), () -> Clients.select(settings)));
        assertTrue(unreachable.getMessage().contains("cannot reach the device agent"), unreachable.getMessage());
        for (String file : new String[] {"root-ca.pem", "device.cert.pem", "device.key.pem"}) {
            assertTrue(Files.exists(pki.resolve(file)), file + " written before the device was dialled");
        }
    }
}
