package io.alpnlab.broker.tls;

import io.alpnlab.certs.Credential;
import io.alpnlab.certs.KeyType;
import io.alpnlab.certs.ServerChainVariant;
import io.alpnlab.certs.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

/**
 * The server chains the broker can present, converted once to Bouncy Castle's TLS 1.2 and TLS 1.3
 * Certificate forms (the TLS 1.2 constructor throws under TLS 1.3 and vice versa).
 */
public final class ServerCredentials {

    /** One chain ready for BC. */
    public record Chain(String role, KeyType keyType, PrivateKey privateKey, Certificate tls12, Certificate tls13) {
    }

    private final TestPki pki;
    private final JcaTlsCrypto crypto;
    private final Map<String, Chain> chains = new ConcurrentHashMap<>();

    public ServerCredentials(TestPki pki, JcaTlsCrypto crypto) {
        this.pki = pki;
        this.crypto = crypto;
    }

    public JcaTlsCrypto crypto() {
        return crypto;
    }

    public TestPki pki() {
        return pki;
    }

    /** The chain of a variant in the RSA or ECC family (the weak-key variant is RSA 1024 whatever is asked). */
    public Chain chain(ServerChainVariant variant, boolean ecc) {
        KeyType keyType = ecc && variant != ServerChainVariant.WEAK_KEY ? KeyType.EC_P256 : KeyType.RSA_2048;
        return chains.computeIfAbsent(variant.role(keyType), role -> convert(pki.server(variant, keyType)));
    }

    /** Generates every chain up front, so that no connection waits for key generation. */
    public void prepare() {
        for (ServerChainVariant variant : ServerChainVariant.values()) {
            chain(variant, false);
            chain(variant, true);
        }
    }

    private Chain convert(Credential credential) {
        try {
            TlsCertificate[] certificates = new TlsCertificate[credential.chain().size()];
            CertificateEntry[] entries = new CertificateEntry[certificates.length];
            for (int i = 0; i < certificates.length; i++) {
                X509Certificate certificate = credential.chain().get(i);
                certificates[i] = crypto.createCertificate(certificate.getEncoded());
                entries[i] = new CertificateEntry(certificates[i], null);
            }
            return new Chain(credential.role(), credential.keyType(), credential.privateKey(), new Certificate(certificates),
                    new Certificate(TlsUtils.EMPTY_BYTES, entries));
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode " + credential.role(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("Bouncy Castle cannot read " + credential.role(), e);
        }
    }
}
