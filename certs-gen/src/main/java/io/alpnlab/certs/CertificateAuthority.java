package io.alpnlab.certs;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One certificate authority of the test PKI: its certificate, its key, and the chain above it
 * (empty for a root). Intermediates carry their issuer so that full chains can be assembled.
 */
public final class CertificateAuthority {

    private final String role;
    private final KeyType keyType;
    private final KeyPair keyPair;
    private final X509Certificate certificate;
    private final CertificateAuthority issuer;

    CertificateAuthority(String role, KeyType keyType, KeyPair keyPair, X509Certificate certificate,
            CertificateAuthority issuer) {
        this.role = Objects.requireNonNull(role);
        this.keyType = Objects.requireNonNull(keyType);
        this.keyPair = Objects.requireNonNull(keyPair);
        this.certificate = Objects.requireNonNull(certificate);
        this.issuer = issuer;
    }

    /** File-name role, e.g. {@code rsa-root}. */
    public String role() {
        return role;
    }

    public KeyType keyType() {
        return keyType;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return keyPair.getPrivate();
    }

    KeyPair keyPair() {
        return keyPair;
    }

    public boolean isRoot() {
        return issuer == null;
    }

    /** The root this authority chains up to (itself for a root). */
    public CertificateAuthority root() {
        return issuer == null ? this : issuer.root();
    }

    /** This authority's certificate followed by every issuer certificate below the root, root excluded. */
    public List<X509Certificate> chainBelowRoot() {
        List<X509Certificate> chain = new ArrayList<>();
        for (CertificateAuthority ca = this; ca != null && !ca.isRoot(); ca = ca.issuer) {
            chain.add(ca.certificate);
        }
        return chain;
    }

    X509Certificate sign(CertificateTemplate template, SecureRandom random) {
        return template.sign(certificate, keyPair.getPrivate(), keyType, random);
    }
}
