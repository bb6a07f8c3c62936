package io.alpnlab.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.testing.RealPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PKI is judged by a verifier we did not write: {@code openssl verify} must accept every valid
 * chain and refuse every defective one for the reason the variant is named after.
 */
class OpensslVerifiesTestPkiTest {

    /** openssl's verify error for each defective variant (X509_V_ERR_* text as printed by openssl 3). */
    private static final Map<ServerChainVariant, String> SERVER_ERRORS = Map.of(
            ServerChainVariant.EXPIRED, "certificate has expired",
            ServerChainVariant.NOT_YET_VALID, "certificate is not yet valid",
            ServerChainVariant.WRONG_HOST, "hostname mismatch",
            ServerChainVariant.UNTRUSTED_ROOT, "unable to get local issuer certificate",
            ServerChainVariant.SELF_SIGNED, "self-signed certificate",
            ServerChainVariant.MISSING_INTERMEDIATE, "unable to get local issuer certificate",
            ServerChainVariant.WEAK_KEY, "EE certificate key too weak",
            ServerChainVariant.WRONG_EKU, "unsuitable certificate purpose");

    private static final Map<DeviceCertificateVariant, String> DEVICE_ERRORS = Map.of(
            DeviceCertificateVariant.EXPIRED, "certificate has expired",
            DeviceCertificateVariant.NOT_YET_VALID, "certificate is not yet valid",
            DeviceCertificateVariant.UNKNOWN_CA, "unable to get local issuer certificate",
            DeviceCertificateVariant.SELF_SIGNED, "self-signed certificate",
            DeviceCertificateVariant.NO_CLIENT_AUTH, "unsuitable certificate purpose",
            DeviceCertificateVariant.WEAK_KEY, "EE certificate key too weak");

    @TempDir
    static Path dir;
    static TestPki pki;
    static Path openssl;

    @BeforeAll
    static void writePki() {
        openssl = RealPeer.require("openssl", "openssl");
        pki = TestPki.generate(PkiSettings.defaults());
        List<Credential> credentials = new ArrayList<>();
        for (KeyType keyType : List.of(KeyType.RSA_2048, KeyType.EC_P256)) {
            for (ServerChainVariant variant : ServerChainVariant.values()) {
                if (variant != ServerChainVariant.WEAK_KEY || keyType == KeyType.RSA_2048) {
                    credentials.add(pki.server(variant, keyType));
                }
            }
            for (DeviceCertificateVariant variant : DeviceCertificateVariant.values()) {
                if (variant != DeviceCertificateVariant.WEAK_KEY || keyType == KeyType.RSA_2048) {
                    credentials.add(pki.device(variant, keyType));
                }
            }
        }
        PkiDirectory.write(dir, pki, credentials, "test");
        // A server certificate error list that misses a defective variant would let it pass unverified.
        for (ServerChainVariant variant : ServerChainVariant.values()) {
            assertEquals(variant.defective(), SERVER_ERRORS.containsKey(variant), variant + " error expectation");
        }
        for (DeviceCertificateVariant variant : DeviceCertificateVariant.values()) {
            assertEquals(variant.defective(), DEVICE_ERRORS.containsKey(variant), variant + " error expectation");
        }
    }

    @ParameterizedTest
    @EnumSource(ServerChainVariant.class)
    void openssl_verify_judges_each_rsa_server_chain_for_the_right_reason(ServerChainVariant variant) {
        assertServerVerdict(variant, KeyType.RSA_2048);
    }

    @ParameterizedTest
    @EnumSource(value = ServerChainVariant.class, names = "WEAK_KEY", mode = EnumSource.Mode.EXCLUDE)
    void openssl_verify_judges_each_ecc_server_chain_for_the_right_reason(ServerChainVariant variant) {
        assertServerVerdict(variant, KeyType.EC_P256);
    }

    @ParameterizedTest
    @EnumSource(DeviceCertificateVariant.class)
    void openssl_verify_judges_each_device_certificate_for_the_right_reason(DeviceCertificateVariant variant) {
        String role = variant.role(KeyType.RSA_2048);
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), RealPeer.command(openssl, "verify",
                "-CAfile", dir.resolve(PkiDirectory.DEVICE_CA), "-purpose", "sslclient", "-auth_level", "2",
                dir.resolve(role + ".cert.pem")));
        assertVerdict(role, variant.defective(), DEVICE_ERRORS.get(variant), result);
    }

    private void assertServerVerdict(ServerChainVariant variant, KeyType keyType) {
        String role = variant.role(keyType);
        // -untrusted supplies the chain as a client receives it; -verify_hostname checks the endpoint name
        // as a client must; -auth_level 2 refuses keys under 112 bits of security, as AWS refuses RSA < 2048.
        RealPeer.Result result = RealPeer.run(Duration.ofSeconds(20), RealPeer.command(openssl, "verify",
                "-CAfile", dir.resolve(PkiDirectory.TRUST_BUNDLE),
                "-untrusted", dir.resolve(role + ".fullchain.pem"),
                "-purpose", "sslserver", "-verify_hostname", PkiSettings.DEFAULT_ENDPOINT, "-auth_level", "2",
                dir.resolve(role + ".cert.pem")));
        assertVerdict(role, variant.defective(), SERVER_ERRORS.get(variant), result);
    }

    private static void assertVerdict(String role, boolean defective, String expectedError, RealPeer.Result result) {
        if (defective) {
            assertTrue(result.exitCode() != 0, role + " must be refused:\n" + result);
            assertTrue(result.output().contains(expectedError), role + " refused for the wrong reason, want '"
                    + expectedError + "':\n" + result);
        } else {
            assertEquals(0, result.exitCode(), role + " must verify:\n" + result);
            assertTrue(result.stdout().contains(": OK"), result.toString());
        }
    }

    @Test
    void large_chain_verifies_through_the_cross_signed_root_like_aws_ats() {
        Credential large = pki.server(ServerChainVariant.LARGE, KeyType.RSA_2048);
        assertEquals(4, large.chain().size(), "leaf, intermediate, cross-signed root, legacy root");
        assertEquals(pki.authorities().rsaRoot().certificate().getSubjectX500Principal(),
                large.chain().get(2).getSubjectX500Principal());
        assertEquals(pki.authorities().legacyRoot().certificate().getSubjectX500Principal(),
                large.chain().get(2).getIssuerX500Principal());
    }
}
