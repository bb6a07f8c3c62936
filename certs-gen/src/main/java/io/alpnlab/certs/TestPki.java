package io.alpnlab.certs;

import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * An AWS IoT Core-like test PKI generated at run time: the {@link Authorities}, and on demand every
 * server chain and device certificate variant. Other modules' tests use this directly, so nothing
 * that expires is ever committed.
 *
 * <p>Server leaves of one key type share a key: the defects under test are in the certificates,
 * not the keys, and RSA key generation is the slow part. Each device variant has its own key,
 * because devices are distinct identities.
 */
public final class TestPki {

    static final Duration LEAF_VALIDITY = Duration.ofDays(365);
    public static final String WRONG_HOST_NAME = "wrong-host.alpnlab.test";

    private final PkiSettings settings;
    private final Authorities authorities;
    private final SecureRandom random;
    private final Map<KeyType, KeyPair> serverKeys = new EnumMap<>(KeyType.class);
    private final Map<String, Credential> credentials = new HashMap<>();
    private X509Certificate rsaRootCrossSigned;

    private TestPki(PkiSettings settings, Authorities authorities, SecureRandom random) {
        this.settings = settings;
        this.authorities = authorities;
        this.random = random;
    }

    /** A PKI with fresh authorities. */
    public static TestPki generate(PkiSettings settings) {
        SecureRandom random = new SecureRandom();
        return new TestPki(settings, Authorities.generate(settings.clock().instant(), random), random);
    }

    /** A PKI that issues from existing authorities, e.g. ones loaded from disk that devices already trust. */
    public static TestPki withAuthorities(PkiSettings settings, Authorities authorities) {
        return new TestPki(settings, Objects.requireNonNull(authorities), new SecureRandom());
    }

    /**
     * The same PKI with the server leaves' keys given (one per key type), e.g. kept on disk from an
     * earlier run: RSA key generation is most of what issuing a server chain costs, so a broker that
     * reuses its keys starts without it. Types not given are generated when first needed.
     */
    public TestPki withServerKeys(Map<KeyType, KeyPair> keys) {
        TestPki pki = new TestPki(settings, authorities, random);
        pki.serverKeys.putAll(keys);
        return pki;
    }

    /** The key every server leaf of this type carries, generated on first use. */
    public synchronized KeyPair serverKey(KeyType keyType) {
        return serverKeys.computeIfAbsent(keyType, type -> type.generate(random));
    }

    public PkiSettings settings() {
        return settings;
    }

    public Authorities authorities() {
        return authorities;
    }

    /** What a client should trust to connect: the RSA and ECC roots, as AWS publishes Amazon Root CA 1 and 3. */
    public List<X509Certificate> trustedRoots() {
        return List.of(authorities.rsaRoot().certificate(), authorities.eccRoot().certificate());
    }

    /** The default server credential: valid RSA chain. */
    public Credential server() {
        return server(ServerChainVariant.VALID, KeyType.RSA_2048);
    }

    /** The default device credential: valid RSA 2048 certificate. */
    public Credential device() {
        return device(DeviceCertificateVariant.VALID, KeyType.RSA_2048);
    }

    public Credential server(ServerChainVariant variant, KeyType keyType) {
        return cached(variant, keyType, (effectiveType, role) -> issueServer(variant, effectiveType, role));
    }

    public Credential device(DeviceCertificateVariant variant, KeyType keyType) {
        return cached(variant, keyType, (effectiveType, role) -> issueDevice(variant, effectiveType, role));
    }

    /**
     * A device certificate for a key somebody else holds, signed by the device CA: what fleet provisioning
     * issues for a certificate signing request (the key never leaves the device) or for a key it generated.
     */
    public X509Certificate issueDevice(String commonName, PublicKey publicKey) {
        Instant now = settings.clock().instant();
        CertificateTemplate template = new CertificateTemplate(new X500Name("CN=" + commonName),
                publicKey, now.minus(Authorities.BACKDATE), now.plus(LEAF_VALIDITY)).usage(CertificateTemplate.Usage.CLIENT);
        synchronized (this) {
            return authorities.deviceCa().sign(template, random);
        }
    }

    /** Issues a variant once and keeps it by role; the weak-key variant is always RSA 1024, and only it is. */
    private synchronized Credential cached(CertificateVariant variant, KeyType keyType,
            java.util.function.BiFunction<KeyType, String, Credential> issue) {
        boolean weak = variant.name().equals("WEAK_KEY");
        if (keyType == KeyType.RSA_1024 && !weak) {
            throw new IllegalArgumentException("RSA 1024 is only issued as the weak-key variant");
        }
        String role = variant.role(keyType);
        Credential cached = credentials.get(role);
        if (cached == null) {
            cached = issue.apply(weak ? KeyType.RSA_1024 : keyType, role);
            credentials.put(role, cached);
        }
        return cached;
    }

    /** A leaf's notBefore and notAfter: valid now, expired yesterday, or valid only from 30 days on. */
    private static Instant[] validity(CertificateVariant variant, Instant now) {
        return switch (variant.name()) {
            case "EXPIRED" -> new Instant[] {now.minus(Duration.ofDays(60)), now.minus(Duration.ofDays(1))};
            case "NOT_YET_VALID" -> new Instant[] {now.plus(Duration.ofDays(30)), now.plus(Duration.ofDays(30)).plus(LEAF_VALIDITY)};
            default -> new Instant[] {now.minus(Authorities.BACKDATE), now.plus(LEAF_VALIDITY)};
        };
    }

    private Credential issueServer(ServerChainVariant variant, KeyType keyType, String role) {
        Instant now = settings.clock().instant();
        KeyPair keyPair = serverKey(keyType);
        CertificateAuthority intermediate = keyType == KeyType.EC_P256
                ? authorities.eccIntermediate() : authorities.rsaIntermediate();
        String subject = "CN=" + (variant == ServerChainVariant.WRONG_HOST ? WRONG_HOST_NAME : settings.primaryEndpoint());
        Instant[] validity = validity(variant, now);
        Instant notBefore = validity[0];
        Instant notAfter = validity[1];
        List<String> dnsNames = variant == ServerChainVariant.WRONG_HOST ? List.of(WRONG_HOST_NAME) : settings.serverDnsNames();
        var ipAddresses = variant == ServerChainVariant.WRONG_HOST ? List.<java.net.InetAddress>of() : settings.ipAddresses();

        int target = variant.targetCertificateMessageBytes();
        int padding = 0;
        for (int attempt = 0; ; attempt++) {
            CertificateTemplate template = CertificateTemplate.of(subject, keyPair, notBefore, notAfter)
                    .usage(CertificateTemplate.Usage.SERVER).dnsNames(dnsNames).ipAddresses(ipAddresses)
                    .paddingBytes(padding);
            if (variant == ServerChainVariant.WRONG_EKU) {
                template.extendedKeyUsage(List.of(KeyPurposeId.id_kp_clientAuth));
            }
            List<X509Certificate> chain = new ArrayList<>();
            switch (variant) {
                case SELF_SIGNED -> chain.add(template.sign(null, keyPair.getPrivate(), keyType, random));
                case UNTRUSTED_ROOT -> chain.add(authorities.untrustedRoot().sign(template, random));
                case MISSING_INTERMEDIATE -> chain.add(intermediate.sign(template, random));
                case LARGE, LARGE_PLUS_20, MAX_RECORD -> {
                    // Like AWS's ATS chain: leaf, intermediate, the root cross-signed by a legacy root, the legacy root.
                    chain.add(authorities.rsaIntermediate().sign(template, random));
                    chain.addAll(authorities.rsaIntermediate().chainBelowRoot());
                    chain.add(rsaRootCrossSigned());
                    chain.add(authorities.legacyRoot().certificate());
                }
                default -> {
                    chain.add(intermediate.sign(template, random));
                    chain.addAll(intermediate.chainBelowRoot());
                }
            }
            int size = Pem.tls12CertificateMessageLength(chain);
            if (target == 0 || size == target) {
                return new Credential(role, variant.description(), keyType, keyPair.getPrivate(), chain, variant.defective());
            }
            if (attempt > 8 || size > target && padding == 0) {
                throw new IllegalStateException("cannot pad " + role + " to " + target + " bytes (unpadded " + size + ")");
            }
            // DER length fields grow at 128 and 256 bytes, so converge rather than compute in one step.
            padding = Math.max(1, padding + target - size);
        }
    }

    private X509Certificate rsaRootCrossSigned() {
        if (rsaRootCrossSigned == null) {
            CertificateAuthority rsaRoot = authorities.rsaRoot();
            X509Certificate self = rsaRoot.certificate();
            rsaRootCrossSigned = authorities.legacyRoot().sign(
                    new CertificateTemplate(org.bouncycastle.asn1.x500.X500Name.getInstance(
                            self.getSubjectX500Principal().getEncoded()), self.getPublicKey(),
                            self.getNotBefore().toInstant(), self.getNotAfter().toInstant())
                            .usage(CertificateTemplate.Usage.CA),
                    random);
        }
        return rsaRootCrossSigned;
    }

    private Credential issueDevice(DeviceCertificateVariant variant, KeyType keyType, String role) {
        Instant now = settings.clock().instant();
        KeyPair keyPair = keyType.generate(random);
        Instant[] validity = validity(variant, now);
        Instant notBefore = validity[0];
        Instant notAfter = validity[1];
        String subject = "CN=" + settings.deviceName() + (variant == DeviceCertificateVariant.VALID ? "" : "-" + variant.cliName())
                + (keyType == KeyType.EC_P256 ? "-ecc" : "");
        CertificateTemplate template = CertificateTemplate.of(subject, keyPair, notBefore, notAfter)
                .usage(CertificateTemplate.Usage.CLIENT);
        if (variant == DeviceCertificateVariant.NO_CLIENT_AUTH) {
            template.extendedKeyUsage(List.of(KeyPurposeId.id_kp_serverAuth));
        }
        X509Certificate leaf = switch (variant) {
            case SELF_SIGNED -> template.sign(null, keyPair.getPrivate(), keyType, random);
            case UNKNOWN_CA -> authorities.unknownDeviceCa().sign(template, random);
            default -> authorities.deviceCa().sign(template, random);
        };
        return new Credential(role, variant.description(), keyType, keyPair.getPrivate(), List.of(leaf),
                variant.defective());
    }
}
