package io.alpnlab.certs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What one certificate should say, and the code that signs it. Every certificate the PKI makes,
 * good or deliberately broken, goes through here so that the defects are the only differences.
 */
final class CertificateTemplate {

    /**
     * A private, non-critical extension that only adds bytes. The real AWS chain is large because of
     * cross-signing and Certificate Transparency data; this reproduces the size, which is what
     * breaks memory-constrained clients. The OID is under the UUID arc (ITU-T X.667), so it can
     * never collide with a registered extension.
     */
    static final ASN1ObjectIdentifier PADDING_EXTENSION =
            new ASN1ObjectIdentifier("2.25.229468357384745629847192355873945613845");

    enum Usage { CA, SERVER, CLIENT }

    private final X500Name subject;
    private final PublicKey publicKey;
    private Instant notBefore;
    private Instant notAfter;
    private Usage usage = Usage.SERVER;
    private List<KeyPurposeId> extendedKeyUsage;
    private final List<String> dnsNames = new ArrayList<>();
    private final List<InetAddress> ipAddresses = new ArrayList<>();
    private int paddingBytes;
    private Integer pathLength;

    CertificateTemplate(X500Name subject, PublicKey publicKey, Instant notBefore, Instant notAfter) {
        this.subject = subject;
        this.publicKey = publicKey;
        this.notBefore = notBefore;
        this.notAfter = notAfter;
    }

    CertificateTemplate usage(Usage value) {
        this.usage = value;
        return this;
    }

    /** Overrides the extended key usage implied by {@link #usage(Usage)}; empty means none at all. */
    CertificateTemplate extendedKeyUsage(List<KeyPurposeId> value) {
        this.extendedKeyUsage = value;
        return this;
    }

    CertificateTemplate dnsNames(List<String> names) {
        dnsNames.addAll(names);
        return this;
    }

    CertificateTemplate ipAddresses(List<InetAddress> addresses) {
        ipAddresses.addAll(addresses);
        return this;
    }

    CertificateTemplate paddingBytes(int bytes) {
        this.paddingBytes = bytes;
        return this;
    }

    CertificateTemplate pathLength(int value) {
        this.pathLength = value;
        return this;
    }

    /** Signs with the issuer's key; pass the subject's own key pair and a null issuer for a self-signed certificate. */
    X509Certificate sign(X509Certificate issuer, PrivateKey issuerKey, KeyType issuerKeyType, SecureRandom random) {
        try {
            X500Name issuerName = issuer == null ? subject : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
            // Top bit fixed: serials always encode in 16 bytes, so padded chains hit their exact target size.
            BigInteger serial = new BigInteger(126, random).setBit(126);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName, serial,
                    Date.from(notBefore), Date.from(notAfter), subject, publicKey);
            JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensionUtils.createSubjectKeyIdentifier(publicKey));
            if (issuer != null) {
                builder.addExtension(Extension.authorityKeyIdentifier, false,
                        extensionUtils.createAuthorityKeyIdentifier(issuer.getPublicKey()));
            }
            addUsageExtensions(builder);
            if (!dnsNames.isEmpty() || !ipAddresses.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                dnsNames.forEach(name -> names.add(new GeneralName(GeneralName.dNSName, name)));
                ipAddresses.forEach(address -> names.add(new GeneralName(GeneralName.iPAddress, address.getHostAddress())));
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            if (paddingBytes > 0) {
                builder.addExtension(PADDING_EXTENSION, false, new DEROctetString(new byte[paddingBytes]));
            }
            var signer = new JcaContentSignerBuilder(issuerKeyType.signatureAlgorithm()).setSecureRandom(random).build(issuerKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot sign certificate for " + subject, e);
        }
    }

    private void addUsageExtensions(X509v3CertificateBuilder builder) throws CertIOException {
        switch (usage) {
            case CA -> {
                builder.addExtension(Extension.basicConstraints, true,
                        pathLength == null ? new BasicConstraints(true) : new BasicConstraints(pathLength));
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            }
            case SERVER, CLIENT -> {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                // RSA leaves also allow keyEncipherment so that TLS 1.2 RSA key exchange suites of the
                // AWS policy (AES128-SHA and friends) remain usable.
                int keyUsage = KeyUsage.digitalSignature;
                if (publicKey.getAlgorithm().equals("RSA")) {
                    keyUsage |= KeyUsage.keyEncipherment;
                }
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                List<KeyPurposeId> purposes = extendedKeyUsage != null ? extendedKeyUsage
                        : List.of(usage == Usage.SERVER ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth);
                if (!purposes.isEmpty()) {
                    builder.addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
                }
            }
        }
    }

    static CertificateTemplate of(String distinguishedName, KeyPair keyPair, Instant notBefore, Instant notAfter) {
        return new CertificateTemplate(new X500Name(distinguishedName), keyPair.getPublic(), notBefore, notAfter);
    }
}
