package io.alpnlab.certs;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The certificate authorities of the test PKI, modelled on AWS IoT Core's: an RSA and an ECC root
 * (like Amazon Root CA 1 and 3) each with an intermediate, a legacy root that cross-signs the RSA
 * root (like Starfield), a root nobody trusts, and the CAs that issue device certificates.
 */
public record Authorities(
        CertificateAuthority rsaRoot,
        CertificateAuthority rsaIntermediate,
        CertificateAuthority eccRoot,
        CertificateAuthority eccIntermediate,
        CertificateAuthority legacyRoot,
        CertificateAuthority untrustedRoot,
        CertificateAuthority deviceCa,
        CertificateAuthority unknownDeviceCa) {

    static final Duration CA_VALIDITY = Duration.ofDays(20 * 365);
    /** Valid-from slightly in the past, so devices whose clocks lag a little still accept. */
    static final Duration BACKDATE = Duration.ofHours(1);

    static final String ORGANIZATION = ", O=alpnlab test PKI (not for production), C=US";

    public List<CertificateAuthority> all() {
        return List.of(rsaRoot, rsaIntermediate, eccRoot, eccIntermediate, legacyRoot, untrustedRoot, deviceCa,
                unknownDeviceCa);
    }

    static Authorities generate(Instant now, SecureRandom random) {
        Instant notBefore = now.minus(BACKDATE);
        Instant notAfter = now.plus(CA_VALIDITY);
        CertificateAuthority rsaRoot = root("rsa-root", "CN=alpnlab Test Root CA 1", KeyType.RSA_2048, notBefore, notAfter, random);
        CertificateAuthority eccRoot = root("ecc-root", "CN=alpnlab Test Root CA 3", KeyType.EC_P256, notBefore, notAfter, random);
        CertificateAuthority legacyRoot = root("legacy-root", "CN=alpnlab Legacy Services Root G2", KeyType.RSA_2048,
                notBefore, notAfter, random);
        CertificateAuthority untrusted = root("untrusted-root", "CN=Untrusted Root CA", KeyType.RSA_2048, notBefore,
                notAfter, random);
        CertificateAuthority deviceCa = root("device-ca", "CN=alpnlab Device CA", KeyType.RSA_2048, notBefore, notAfter, random);
        CertificateAuthority unknownDeviceCa = root("unknown-device-ca", "CN=Unregistered Device CA", KeyType.RSA_2048,
                notBefore, notAfter, random);
        return new Authorities(
                rsaRoot,
                intermediate("rsa-intermediate", "CN=alpnlab Test RSA 2048 M01", KeyType.RSA_2048, rsaRoot, notBefore, notAfter, random),
                eccRoot,
                intermediate("ecc-intermediate", "CN=alpnlab Test ECC 256 M02", KeyType.EC_P256, eccRoot, notBefore, notAfter, random),
                legacyRoot, untrusted, deviceCa, unknownDeviceCa);
    }

    private static CertificateAuthority root(String role, String name, KeyType keyType, Instant notBefore,
            Instant notAfter, SecureRandom random) {
        KeyPair keyPair = keyType.generate(random);
        var certificate = CertificateTemplate.of(name + ORGANIZATION, keyPair, notBefore, notAfter)
                .usage(CertificateTemplate.Usage.CA)
                .sign(null, keyPair.getPrivate(), keyType, random);
        return new CertificateAuthority(role, keyType, keyPair, certificate, null);
    }

    private static CertificateAuthority intermediate(String role, String name, KeyType keyType, CertificateAuthority issuer,
            Instant notBefore, Instant notAfter, SecureRandom random) {
        KeyPair keyPair = keyType.generate(random);
        var certificate = issuer.sign(CertificateTemplate.of(name + ORGANIZATION, keyPair, notBefore, notAfter)
                .usage(CertificateTemplate.Usage.CA).pathLength(0), random);
        return new CertificateAuthority(role, keyType, keyPair, certificate, issuer);
    }
}
