package io.alpnlab.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.testing.RealPeer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every certificate certs-gen writes (leaves, chains, CAs; valid and defective alike) is read by
 * three X.509 implementations nobody here wrote: the JDK's, OpenSSL's and GnuTLS's. A client on
 * any of them must be judged on what a certificate says, not fail on how it is encoded (Go's
 * crypto/x509 and GnuTLS refused the 128-bit OID arc the large chains once used for padding).
 */
class EveryCertificateParsesTest {

    private static final Pattern PEM = Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----");

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeEveryCredential() {
        // The CLI's default run: every role, both key types, as a user gets them.
        int exitCode = CertsGenCommand.commandLine().setOut(new java.io.PrintWriter(java.io.Writer.nullWriter()))
                .execute("--out", dir.toString());
        assertEquals(0, exitCode, "certs-gen");
    }

    /** One certificate: the file it is in, and its place in that file. */
    record Certificate(String file, int index, String pem) {
        @Override
        public String toString() {
            return file + "#" + index;
        }
    }

    static Stream<Certificate> certificates() throws IOException {
        List<Certificate> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".pem")).sorted().toList()) {
                Matcher matcher = PEM.matcher(Files.readString(file));
                for (int index = 0; matcher.find(); index++) {
                    all.add(new Certificate(dir.relativize(file).toString(), index, matcher.group()));
                }
            }
        }
        assertTrue(all.size() > 60, "certs-gen wrote only " + all.size() + " certificates");
        assertTrue(all.stream().anyMatch(certificate -> certificate.file().equals("server-large.fullchain.pem")));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("certificates")
    void jdk_openssl_and_gnutls_all_parse_it(Certificate certificate) throws Exception {
        CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(certificate.pem().getBytes(StandardCharsets.US_ASCII)));

        Path file = Files.createTempFile(dir, "one", ".pem");
        Files.writeString(file, certificate.pem() + "\n");
        Path openssl = RealPeer.require("openssl", "openssl");
        RealPeer.Result parsed = RealPeer.run(Duration.ofSeconds(20), List.of(openssl.toString(), "x509", "-noout", "-text",
                "-in", file.toString()));
        assertEquals(0, parsed.exitCode(), "openssl x509: " + parsed);
        assertTrue(parsed.stdout().contains("Subject:"), parsed.toString());

        Path certtool = RealPeer.require("certtool", "gnutls-bin");
        RealPeer.Result gnutls = RealPeer.run(Duration.ofSeconds(20), List.of(certtool.toString(), "-i", "--infile",
                file.toString()));
        assertEquals(0, gnutls.exitCode(), "certtool -i: " + gnutls);
        assertFalse(gnutls.output().contains("error"), "certtool -i: " + gnutls);
        assertTrue(gnutls.stdout().contains("Subject:"), gnutls.toString());
    }
}
