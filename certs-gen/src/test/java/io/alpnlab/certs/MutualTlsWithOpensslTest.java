package io.alpnlab.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** openssl s_server and s_client complete a mutual-TLS handshake with the generated credentials. */
class MutualTlsWithOpensslTest {

    private static final Pattern ACCEPT = Pattern.compile("ACCEPT 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void s_server_and_s_client_complete_mutual_tls_with_generated_rsa_credentials() {
        assertMutualTls(KeyType.RSA_2048, ServerChainVariant.VALID);
    }

    @Test
    void s_server_and_s_client_complete_mutual_tls_with_generated_ecc_credentials() {
        assertMutualTls(KeyType.EC_P256, ServerChainVariant.VALID);
    }

    @Test
    void s_client_accepts_the_aws_sized_chain() {
        assertMutualTls(KeyType.RSA_2048, ServerChainVariant.LARGE);
    }

    private void assertMutualTls(KeyType keyType, ServerChainVariant serverVariant) {
        Path openssl = RealPeer.require("openssl", "openssl");
        TestPki pki = TestPki.generate(PkiSettings.defaults());
        Credential server = pki.server(serverVariant, keyType);
        Credential device = pki.device(DeviceCertificateVariant.VALID, keyType);
        PkiDirectory.write(dir, pki, List.of(server, device), "test");
        String endpoint = PkiSettings.DEFAULT_ENDPOINT;

        // -Verify 1 makes s_server demand a client certificate and -verify_return_error makes either side
        // abort on any verification failure, so a completed handshake proves both chains verify.
        try (RealPeer.Running sServer = RealPeer.start(RealPeer.command(openssl, "s_server",
                "-accept", "127.0.0.1:0", "-naccept", "1",
                "-cert", dir.resolve(server.role() + ".cert.pem"), "-cert_chain", dir.resolve(server.role() + ".fullchain.pem"),
                "-key", dir.resolve(server.role() + ".key.pem"),
                "-CAfile", dir.resolve(PkiDirectory.DEVICE_CA), "-Verify", "1", "-verify_return_error"))) {
            Matcher accept = ACCEPT.matcher(sServer.awaitOutput("ACCEPT 127.0.0.1:", Duration.ofSeconds(10)));
            assertTrue(accept.find(), sServer.output());
            String port = accept.group(1);

            RealPeer.Result client = RealPeer.run(Duration.ofSeconds(20), RealPeer.command(openssl, "s_client",
                    "-connect", "127.0.0.1:" + port, "-servername", endpoint, "-verify_hostname", endpoint,
                    "-CAfile", dir.resolve(PkiDirectory.TRUST_BUNDLE), "-verify_return_error",
                    "-cert", dir.resolve(device.role() + ".cert.pem"), "-key", dir.resolve(device.role() + ".key.pem")),
                    "Q\n");
            assertTrue(client.stdout().contains("Verify return code: 0 (ok)"), client.toString());
            String serverOutput = sServer.awaitOutput("CONNECTION CLOSED", Duration.ofSeconds(10));
            assertTrue(serverOutput.contains("subject=CN = " + PkiSettings.DEFAULT_DEVICE_NAME)
                    || serverOutput.contains("subject=CN=" + PkiSettings.DEFAULT_DEVICE_NAME), serverOutput);
            assertEquals(0, client.exitCode(), client.toString());
        }
    }
}
