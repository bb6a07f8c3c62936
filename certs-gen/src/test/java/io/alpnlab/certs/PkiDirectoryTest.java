package io.alpnlab.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void private_keys_are_written_owner_read_write_only() throws Exception {
        TestPki pki = TestPki.withAuthorities(PkiSettings.defaults(),
                PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false));
        PkiDirectory.write(dir, pki, List.of(pki.device()), "test");
        List<Path> keys;
        try (Stream<Path> files = Files.walk(dir)) {
            keys = files.filter(file -> file.getFileName().toString().endsWith(".key.pem")
                    || file.getFileName().toString().endsWith(".p12")).toList();
        }
        assertEquals(8 + 2, keys.size(), "eight authority keys, the device key and its PKCS#12: " + keys);
        for (Path key : keys) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)), key.toString());
        }
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("device.cert.pem"))));
    }

    /**
     * The server keys are kept owner-only and come back the same on the next start, whole (the public
     * half derived from the private one), so a chain issued from them verifies and serves TLS.
     */
    @Test
    void server_keys_are_kept_owner_only_and_reused_whole() throws Exception {
        java.util.Map<KeyType, java.security.KeyPair> first = PkiDirectory.loadOrCreateServerKeys(dir);
        java.util.Map<KeyType, java.security.KeyPair> again = PkiDirectory.loadOrCreateServerKeys(dir);
        assertEquals(java.util.Set.of(KeyType.RSA_2048, KeyType.EC_P256), first.keySet());
        for (KeyType type : first.keySet()) {
            Path file = dir.resolve("server").resolve(type.externalName() + ".key.pem");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
            assertEquals(first.get(type).getPublic(), again.get(type).getPublic(), type + ": the derived public key");
            java.security.Signature signer = java.security.Signature.getInstance(type.signatureAlgorithm());
            signer.initSign(again.get(type).getPrivate());
            signer.update(new byte[] {1, 2, 3});
            java.security.Signature verifier = java.security.Signature.getInstance(type.signatureAlgorithm());
            verifier.initVerify(again.get(type).getPublic());
            verifier.update(new byte[] {1, 2, 3});
            assertTrue(verifier.verify(signer.sign()), type + ": the kept pair signs and verifies");
        }
        TestPki pki = TestPki.withAuthorities(PkiSettings.defaults(),
                PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false)).withServerKeys(again);
        Credential server = pki.server(ServerChainVariant.VALID, KeyType.EC_P256);
        assertEquals(again.get(KeyType.EC_P256).getPublic(), server.chain().get(0).getPublicKey());
        Files.writeString(dir.resolve("server").resolve("ecc.key.pem"),
                Files.readString(dir.resolve("server").resolve("rsa.key.pem")));
        IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class, () -> PkiDirectory.loadOrCreateServerKeys(dir));
        assertTrue(wrongType.getMessage().contains("ecc.key.pem") && wrongType.getMessage().contains("EC_P256"), wrongType.getMessage());
    }

    @Test
    void manifest_lists_every_file_with_role_subject_sans_validity_and_fingerprint() throws Exception {
        TestPki pki = TestPki.generate(PkiSettings.defaults());
        Credential server = pki.server();
        PkiDirectory.write(dir, pki, List.of(server, pki.device()), "java -jar certs-gen-cli.jar --out x");
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve(PkiDirectory.MANIFEST).toFile());
        assertEquals(1, manifest.get("schemaVersion").asInt());
        assertEquals("java -jar certs-gen-cli.jar --out x", manifest.get("regenerate").asText());
        JsonNode chain = null;
        for (JsonNode entry : manifest.get("files")) {
            assertTrue(Files.exists(dir.resolve(entry.get("file").asText())), entry.toString());
            if (entry.get("file").asText().equals("server.fullchain.pem")) {
                chain = entry;
            }
        }
        assertTrue(chain != null, "server.fullchain.pem listed");
        assertEquals("server", chain.get("role").asText());
        assertEquals("CN=" + PkiSettings.DEFAULT_ENDPOINT, chain.get("subject").asText());
        assertEquals("DNS:" + PkiSettings.DEFAULT_ENDPOINT, chain.get("subjectAlternativeNames").get(0).asText());
        assertEquals(server.leafFingerprint(), chain.get("sha256").asText());
        assertEquals(server.leaf().getNotAfter().toInstant().toString(), chain.get("notAfter").asText());
        assertFalse(chain.get("defective").asBoolean());
        assertTrue(Files.readString(dir.resolve("README.md")).contains("java -jar certs-gen-cli.jar --out x"));
    }

    @Test
    void pkcs12_holds_the_key_and_chain_under_the_documented_password() throws Exception {
        TestPki pki = TestPki.generate(PkiSettings.defaults());
        Credential device = pki.device();
        PkiDirectory.write(dir, pki, List.of(device), "test");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("device.p12"))) {
            store.load(in, PkiDirectory.PKCS12_PASSWORD.toCharArray());
        }
        assertEquals(device.privateKey(), store.getKey("device", PkiDirectory.PKCS12_PASSWORD.toCharArray()));
        assertEquals(device.leaf(), store.getCertificate("device"));
    }

    @Test
    void authorities_survive_a_second_run_and_are_replaced_only_when_asked() {
        Authorities first = PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false);
        Authorities again = PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false);
        assertEquals(first.rsaRoot().certificate(), again.rsaRoot().certificate());
        assertEquals(first.eccIntermediate().certificate(), again.eccIntermediate().certificate());
        assertEquals(first.deviceCa().privateKey(), again.deviceCa().privateKey());
        Authorities replaced = PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), true);
        assertNotEquals(first.rsaRoot().certificate(), replaced.rsaRoot().certificate());
    }

    @Test
    void a_partial_authority_folder_is_an_error_not_a_silent_new_pki() throws Exception {
        PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false);
        Files.delete(dir.resolve("ca/ecc-root.cert.pem"));
        var error = assertThrows(IllegalArgumentException.class,
                () -> PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false));
        assertTrue(error.getMessage().contains("holds only 7 of the 8 authorities"), error.getMessage());
    }

    @Test
    void a_corrupt_certificate_file_is_named_in_the_error() throws Exception {
        PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false);
        Path rootFile = dir.resolve("ca/rsa-root.cert.pem");
        Files.writeString(rootFile, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        var error = assertThrows(IllegalArgumentException.class,
                () -> PkiDirectory.loadOrCreateAuthorities(dir, PkiSettings.defaults(), false));
        assertTrue(error.getMessage().contains(rootFile.toString()), error.getMessage());
    }
}
