package io.alpnlab.certs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The test PKI on disk: files named by role, PEM and PKCS#12, a JSON manifest, and a README.
 * Authorities are kept under {@code ca/} and reused on later runs, because a device flashed with
 * the root must keep working; leaves are re-issued every time.
 */
public final class PkiDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(PkiDirectory.class);

    /** Password of every PKCS#12 file. A test PKI: the password only satisfies tools that insist on one. */
    public static final String PKCS12_PASSWORD = "alpnlab";
    public static final String TRUST_BUNDLE = "root-ca.pem";
    public static final String DEVICE_CA = "device-ca.pem";
    public static final String MANIFEST = "manifest.json";
    static final String CA_FOLDER = "ca";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path root;
    private final List<WrittenFile> written = new ArrayList<>();

    /** One file written, for the manifest and the CLI's summary. */
    public record WrittenFile(Path path, String role, String kind, X509Certificate certificate, String description,
            boolean defective) {
    }

    private PkiDirectory(Path root) {
        this.root = root;
    }

    /**
     * Loads the authorities kept in {@code dir/ca}, or generates and keeps new ones when there are
     * none or {@code replaceAuthorities} is set. A partial set is an error: silently replacing it
     * would strand devices that trust the old root.
     */
    public static Authorities loadOrCreateAuthorities(Path dir, PkiSettings settings, boolean replaceAuthorities) {
        Path caDir = dir.resolve(CA_FOLDER);
        String[] roles = {"rsa-root", "rsa-intermediate", "ecc-root", "ecc-intermediate", "legacy-root", "untrusted-root",
                "device-ca", "unknown-device-ca"};
        long present = 0;
        for (String role : roles) {
            if (Files.exists(caDir.resolve(role + ".cert.pem"))) {
                present++;
            }
        }
        if (present == 0 || replaceAuthorities) {
            Authorities authorities = Authorities.generate(settings.clock().instant(), new java.security.SecureRandom());
            PkiDirectory directory = new PkiDirectory(dir);
            for (CertificateAuthority ca : authorities.all()) {
                directory.writePem(caDir.resolve(ca.role() + ".cert.pem"), List.of(ca.certificate()));
                directory.writeKey(caDir.resolve(ca.role() + ".key.pem"), ca.privateKey());
            }
            LOG.debug("generated new authorities in {}", caDir);
            return authorities;
        }
        if (present != roles.length) {
            throw new IllegalArgumentException(caDir + " holds only " + present + " of the " + roles.length
                    + " authorities; restore the missing ones or pass --replace-ca to start a new PKI");
        }
        CertificateAuthority rsaRoot = loadAuthority(caDir, "rsa-root", null);
        CertificateAuthority eccRoot = loadAuthority(caDir, "ecc-root", null);
        return new Authorities(
                rsaRoot, loadAuthority(caDir, "rsa-intermediate", rsaRoot),
                eccRoot, loadAuthority(caDir, "ecc-intermediate", eccRoot),
                loadAuthority(caDir, "legacy-root", null), loadAuthority(caDir, "untrusted-root", null),
                loadAuthority(caDir, "device-ca", null), loadAuthority(caDir, "unknown-device-ca", null));
    }

    /** Where the server leaves' keys are kept, beside the authorities. */
    static final String SERVER_FOLDER = "server";

    /**
     * The server leaves' keys (RSA 2048 and ECC P-256) kept in {@code dir/server/<rsa or ecc>.key.pem}, generated and kept
     * (owner-only) when missing. The certificates are issued anew on every start, from the settings
     * of that start (endpoint names, addresses, validity); only the keys, whose generation is the slow
     * part, are kept. An unreadable key file is an error naming it, never silently replaced.
     */
    public static java.util.Map<KeyType, KeyPair> loadOrCreateServerKeys(Path dir) {
        java.util.Map<KeyType, KeyPair> keys = new java.util.EnumMap<>(KeyType.class);
        PkiDirectory directory = new PkiDirectory(dir);
        for (KeyType type : List.of(KeyType.RSA_2048, KeyType.EC_P256)) {
            Path file = dir.resolve(SERVER_FOLDER).resolve(type.externalName() + ".key.pem");
            if (Files.exists(file)) {
                keys.put(type, ServerKeys.withPublicKey(Pem.readPrivateKey(file), type, file));
            } else {
                KeyPair generated = type.generate(new java.security.SecureRandom());
                directory.writeKey(file, generated.getPrivate());
                keys.put(type, generated);
            }
        }
        return keys;
    }

    private static CertificateAuthority loadAuthority(Path caDir, String role, CertificateAuthority issuer) {
        X509Certificate certificate = Pem.readCertificates(caDir.resolve(role + ".cert.pem")).get(0);
        PrivateKey key = Pem.readPrivateKey(caDir.resolve(role + ".key.pem"));
        KeyType keyType = certificate.getPublicKey() instanceof RSAPublicKey rsa
                ? (rsa.getModulus().bitLength() <= 1024 ? KeyType.RSA_1024 : KeyType.RSA_2048)
                : KeyType.EC_P256;
        if (issuer != null) {
            try {
                certificate.verify(issuer.certificate().getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(caDir.resolve(role + ".cert.pem") + " was not issued by "
                        + issuer.role() + " in the same folder", e);
            }
        }
        return new CertificateAuthority(role, keyType, new KeyPair(certificate.getPublicKey(), key), certificate, issuer);
    }

    /**
     * Writes the trust bundle, the device CA, the given credentials (PEM chain, leaf, key, PKCS#12),
     * the manifest and the README, and returns what was written.
     */
    public static List<WrittenFile> write(Path dir, TestPki pki, Collection<Credential> credentials, String regenerateCommand) {
        PkiDirectory directory = new PkiDirectory(dir);
        directory.writeTrust(pki);
        for (Credential credential : credentials) {
            directory.writeCredential(credential);
        }
        directory.writeManifest(pki, regenerateCommand);
        directory.writeReadme(pki, regenerateCommand);
        return List.copyOf(directory.written);
    }

    private void writeTrust(TestPki pki) {
        Path bundle = root.resolve(TRUST_BUNDLE);
        writePem(bundle, pki.trustedRoots());
        for (X509Certificate certificate : pki.trustedRoots()) {
            written.add(new WrittenFile(bundle, "trust-bundle", "certificate", certificate,
                    "roots a client trusts to reach the broker (like AmazonRootCA1.pem + AmazonRootCA3.pem)", false));
        }
        Path deviceCa = root.resolve(DEVICE_CA);
        writePem(deviceCa, List.of(pki.authorities().deviceCa().certificate()));
        written.add(new WrittenFile(deviceCa, "device-ca", "certificate", pki.authorities().deviceCa().certificate(),
                "CA that issued the device certificates (what a server verifying devices trusts)", false));
    }

    private void writeCredential(Credential credential) {
        boolean defective = credential.defective();
        boolean server = credential.role().startsWith("server");
        Path chainFile = root.resolve(credential.role() + (server ? ".fullchain.pem" : ".cert.pem"));
        writePem(chainFile, credential.chain());
        written.add(new WrittenFile(chainFile, credential.role(), server ? "certificate-chain" : "certificate",
                credential.leaf(), credential.description(), defective));
        if (server) {
            Path leafFile = root.resolve(credential.role() + ".cert.pem");
            writePem(leafFile, List.of(credential.leaf()));
            written.add(new WrittenFile(leafFile, credential.role(), "certificate", credential.leaf(),
                    "leaf only of " + credential.role(), defective));
        }
        Path keyFile = root.resolve(credential.role() + ".key.pem");
        writeKey(keyFile, credential.privateKey());
        written.add(new WrittenFile(keyFile, credential.role(), "private-key", credential.leaf(),
                "private key of " + credential.role() + " (owner-only)", defective));
        Path p12File = root.resolve(credential.role() + ".p12");
        writePkcs12(p12File, credential);
        written.add(new WrittenFile(p12File, credential.role(), "pkcs12", credential.leaf(),
                "key and chain of " + credential.role() + ", password '" + PKCS12_PASSWORD + "'", defective));
    }

    private void writeManifest(TestPki pki, String regenerateCommand) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode manifest = mapper.createObjectNode();
        manifest.put("schemaVersion", 1);
        manifest.put("generator", "alpnlab certs-gen");
        manifest.put("generatedAt", pki.settings().clock().instant().toString());
        manifest.put("regenerate", regenerateCommand);
        ArrayNode endpoints = manifest.putArray("endpointNames");
        pki.settings().endpointNames().forEach(endpoints::add);
        manifest.put("pkcs12Password", PKCS12_PASSWORD);
        ArrayNode files = manifest.putArray("files");
        for (WrittenFile file : written) {
            ObjectNode entry = files.addObject();
            entry.put("file", root.relativize(file.path()).toString());
            entry.put("role", file.role());
            entry.put("kind", file.kind());
            entry.put("description", file.description());
            entry.put("defective", file.defective());
            X509Certificate certificate = file.certificate();
            entry.put("subject", certificate.getSubjectX500Principal().getName());
            entry.put("issuer", certificate.getIssuerX500Principal().getName());
            ArrayNode sans = entry.putArray("subjectAlternativeNames");
            subjectAlternativeNames(certificate).forEach(sans::add);
            entry.put("notBefore", certificate.getNotBefore().toInstant().toString());
            entry.put("notAfter", certificate.getNotAfter().toInstant().toString());
            entry.put("sha256", Pem.sha256Fingerprint(certificate));
        }
        try {
            writeText(root.resolve(MANIFEST), mapper.writeValueAsString(manifest) + "\n", false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the manifest", e);
        }
    }

    static List<String> subjectAlternativeNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> entries = certificate.getSubjectAlternativeNames();
            if (entries != null) {
                for (List<?> entry : entries) {
                    int type = (Integer) entry.get(0);
                    names.add((type == 7 ? "IP:" : type == 2 ? "DNS:" : type + ":") + entry.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            throw new IllegalStateException("unreadable subjectAltName in " + certificate.getSubjectX500Principal(), e);
        }
        return names;
    }

    private void writeReadme(TestPki pki, String regenerateCommand) {
        String text = """
                # alpnlab test PKI

                Generated by alpnlab certs-gen for endpoint %s. **For tests only**: every key here is
                known to whoever can read this folder.

                - `root-ca.pem`: what clients trust (RSA and ECC roots, like AmazonRootCA1/3).
                - `server*.fullchain.pem` / `server*.key.pem`: what the mock broker serves; the
                  variants other than `server`, `server-ecc` and `server-large*` / `server-max-record`
                  are deliberately defective and a correct client must refuse them.
                - `device*.cert.pem` / `device*.key.pem` / `device*.p12`: device credentials
                  (PKCS#12 password `%s`); `device` and `device-ecc` are valid.
                - `ca/`: the authorities. They are kept when the command is run again, so devices
                  already given `root-ca.pem` keep working. Delete `ca/` or pass `--replace-ca` to start over.
                - `manifest.json`: every file with its role, subject, SANs, validity and SHA-256 fingerprint.

                Regenerate with:

                    %s
                """.formatted(pki.settings().primaryEndpoint(), PKCS12_PASSWORD, regenerateCommand);
        writeText(root.resolve("README.md"), text, false);
    }

    private void writePem(Path file, List<?> objects) {
        writeText(file, Pem.encode(objects), false);
    }

    private void writeKey(Path file, PrivateKey key) {
        writeText(file, Pem.encodeKey(key), true);
    }

    private void writePkcs12(Path file, Credential credential) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(credential.role(), credential.privateKey(), PKCS12_PASSWORD.toCharArray(),
                    credential.chain().toArray(X509Certificate[]::new));
            Path temporary = createSibling(file, true);
            try (OutputStream out = Files.newOutputStream(temporary)) {
                store.store(out, PKCS12_PASSWORD.toCharArray());
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build PKCS#12 for " + credential.role(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Writes through a sibling temporary file moved into place, so a reader never sees half a file;
     * secrets get owner-only permissions before any byte is written.
     */
    private static void writeText(Path file, String text, boolean secret) {
        try {
            Path temporary = createSibling(file, secret);
            Files.writeString(temporary, text, StandardCharsets.US_ASCII);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static Path createSibling(Path file, boolean secret) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        for (int attempt = 0; ; attempt++) {
            Path temporary = parent.resolve("." + file.getFileName() + ".tmp" + attempt);
            try {
                if (secret && parent.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    return Files.createFile(temporary, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                }
                return Files.createFile(temporary);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
    }
}
