package io.alpnlab.broker.testing;

import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code openssl s_client} against a broker listener, the way a device developer would run it. */
public final class Openssl {

    private Openssl() {
    }

    /**
     * Runs s_client to 127.0.0.1:port with the given extra arguments; {@code Q} on stdin makes it
     * close cleanly after the handshake. {@code -msg} output shows every handshake message received.
     */
    public static RealPeer.Result sClient(int port, String... arguments) {
        Path openssl = RealPeer.require("openssl", "openssl");
        List<String> command = new ArrayList<>(List.of(openssl.toString(), "s_client", "-connect", "127.0.0.1:" + port,
                "-CAfile", BrokerFixture.file("root-ca.pem").toString(), "-msg"));
        command.addAll(List.of(arguments));
        return RealPeer.run(Duration.ofSeconds(20), command, "Q\n");
    }

    /** The device credential arguments ({@code -cert}, {@code -key}). */
    public static String[] device(String role) {
        return new String[] {"-cert", BrokerFixture.file(role + ".cert.pem").toString(), "-key",
                BrokerFixture.file(role + ".key.pem").toString()};
    }

    public static String[] concat(String[]... parts) {
        List<String> all = new ArrayList<>();
        for (String[] part : parts) {
            all.addAll(List.of(part));
        }
        return all.toArray(String[]::new);
    }
}
