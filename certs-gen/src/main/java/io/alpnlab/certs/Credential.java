package io.alpnlab.certs;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A private key with the certificate chain its holder presents in TLS (leaf first, root excluded).
 *
 * @param role file-name stem, e.g. {@code server-large} or {@code device-ecc}
 * @param description one line saying what the credential is for and, if defective, what is wrong
 * @param keyType the leaf key's type
 * @param privateKey the leaf's private key; never log it
 * @param chain the certificates the holder sends, leaf first
 * @param defective true when a correct peer must refuse this credential
 */
public record Credential(String role, String description, KeyType keyType, PrivateKey privateKey,
        List<X509Certificate> chain, boolean defective) {

    public Credential {
        Objects.requireNonNull(role);
        Objects.requireNonNull(privateKey);
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a credential needs at least its leaf certificate");
        }
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** SHA-256 of the leaf's DER encoding, lower-case hex: how AWS IoT identifies a device certificate. */
    public String leafFingerprint() {
        return Pem.sha256Fingerprint(leaf());
    }

    /**
     * Size of the TLS 1.2 Certificate handshake message body carrying this chain: a 3-byte list
     * length, then each certificate with its own 3-byte length. The seed dump of AWS IoT Core shows
     * 4,991 bytes here.
     */
    public int tls12CertificateMessageLength() {
        return Pem.tls12CertificateMessageLength(chain);
    }

    @Override
    public String toString() {
        // The record's generated toString would print the private key.
        return "Credential[" + role + ", " + keyType + ", " + leaf().getSubjectX500Principal().getName() + "]";
    }
}
