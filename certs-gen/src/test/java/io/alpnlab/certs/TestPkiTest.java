package io.alpnlab.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TestPkiTest {

    private static final Instant NOW = Instant.parse("2026-11-22T08:00:00Z");
    static TestPki pki;

    @BeforeAll
    static void generate() throws Exception {
        pki = TestPki.generate(PkiSettings.defaults()
                .withEndpointNames(List.of(PkiSettings.DEFAULT_ENDPOINT, "iot.custom-domain.alpnlab.test"))
                .withIpAddresses(List.of(InetAddress.getByName("127.0.0.1")))
                .withClock(Clock.fixed(NOW, ZoneOffset.UTC)));
    }

    @Test
    void large_variants_reproduce_the_aws_certificate_message_size_and_twenty_percent_more() {
        assertEquals(4991, pki.server(ServerChainVariant.LARGE, KeyType.RSA_2048).tls12CertificateMessageLength());
        assertEquals(5989, pki.server(ServerChainVariant.LARGE_PLUS_20, KeyType.RSA_2048).tls12CertificateMessageLength());
        assertEquals(4991, pki.server(ServerChainVariant.LARGE, KeyType.EC_P256).tls12CertificateMessageLength());
    }

    @Test
    void max_record_variant_does_not_fit_one_tls_record() {
        int size = pki.server(ServerChainVariant.MAX_RECORD, KeyType.RSA_2048).tls12CertificateMessageLength();
        assertTrue(size > 16384, "Certificate message of " + size + " bytes must exceed 2^14");
    }

    @Test
    void server_leaf_names_every_endpoint_localhost_and_the_ips() {
        List<String> sans = PkiDirectory.subjectAlternativeNames(pki.server().leaf());
        assertEquals(List.of("DNS:" + PkiSettings.DEFAULT_ENDPOINT, "DNS:iot.custom-domain.alpnlab.test",
                "DNS:localhost", "IP:127.0.0.1"), sans);
    }

    @Test
    void ecc_chain_is_issued_under_the_ecc_root_and_rsa_chain_under_the_rsa_root() throws Exception {
        Credential ecc = pki.server(ServerChainVariant.VALID, KeyType.EC_P256);
        assertTrue(ecc.leaf().getPublicKey() instanceof ECPublicKey);
        ecc.chain().get(1).verify(pki.authorities().eccRoot().certificate().getPublicKey());
        Credential rsa = pki.server();
        assertTrue(rsa.leaf().getPublicKey() instanceof RSAPublicKey);
        rsa.chain().get(1).verify(pki.authorities().rsaRoot().certificate().getPublicKey());
    }

    @Test
    void expired_and_not_yet_valid_leaves_are_dated_from_the_pki_clock() {
        var expired = pki.server(ServerChainVariant.EXPIRED, KeyType.RSA_2048).leaf();
        assertTrue(expired.getNotAfter().toInstant().isBefore(NOW));
        var future = pki.device(DeviceCertificateVariant.NOT_YET_VALID, KeyType.RSA_2048).leaf();
        assertTrue(future.getNotBefore().toInstant().isAfter(NOW));
        var valid = pki.device().leaf();
        assertTrue(valid.getNotBefore().toInstant().isBefore(NOW) && valid.getNotAfter().toInstant().isAfter(NOW));
    }

    @Test
    void weak_key_variants_have_1024_bit_rsa_keys() {
        var server = (RSAPublicKey) pki.server(ServerChainVariant.WEAK_KEY, KeyType.RSA_2048).leaf().getPublicKey();
        var device = (RSAPublicKey) pki.device(DeviceCertificateVariant.WEAK_KEY, KeyType.RSA_2048).leaf().getPublicKey();
        assertEquals(1024, server.getModulus().bitLength());
        assertEquals(1024, device.getModulus().bitLength());
    }

    @Test
    void each_device_variant_is_a_distinct_identity() {
        assertNotEquals(pki.device().leafFingerprint(), pki.device(DeviceCertificateVariant.UNKNOWN_CA, KeyType.RSA_2048)
                .leafFingerprint());
        assertNotEquals(pki.device().leaf().getPublicKey(), pki.device(DeviceCertificateVariant.EXPIRED, KeyType.RSA_2048)
                .leaf().getPublicKey());
    }

    @Test
    void credentials_never_print_their_private_key() {
        Credential device = pki.device();
        String text = device.toString();
        assertTrue(text.contains("device"), text);
        assertTrue(!text.contains("PRIVATE") && !text.contains(device.privateKey().toString()), text);
    }

    @Test
    void invalid_settings_are_refused_with_the_reason() {
        var error = assertThrows(IllegalArgumentException.class,
                () -> PkiSettings.defaults().withEndpointNames(List.of("bad name!")));
        assertTrue(error.getMessage().contains("'bad name!' is not a valid DNS host name"), error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PkiSettings.defaults().withEndpointNames(List.of()));
        assertThrows(IllegalArgumentException.class, () -> pki.server(ServerChainVariant.VALID, KeyType.RSA_1024));
    }
}
