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
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.PolicyQualifierInfo;
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
     * The CA/Browser Forum's domain-validated policy, which public server certificates carry. The
     * real AWS chain is large because of cross-signing, policies and Certificate Transparency data;
     * the large variants reproduce its size, which is what breaks memory-constrained clients, through
     * the length of this policy's CPS pointer. Every X.509 parser reads it: an earlier padding
     * extension under the 128-bit UUID arc (2.25) was refused by Go's crypto/x509 and GnuTLS.
     */
    static final ASN1ObjectIdentifier DOMAIN_VALIDATED_POLICY = new ASN1ObjectIdentifier("2.23.140.1.2.1");
    private static final String CPS_URI = "https://pki.alpnlab.test/cps/";

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
                builder.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(new PolicyInformation(
                        DOMAIN_VALIDATED_POLICY, new DERSequence(new PolicyQualifierInfo(cpsUri(paddingBytes))))));
            }
            var signer = new JcaContentSignerBuilder(issuerKeyType.signatureAlgorithm()).setSecureRandom(random).build(issuerKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot sign certificate for " + subject, e);
        }
    }

    /** A CPS pointer of the given length past its base, made of hexadecimal path segments. */
    private static String cpsUri(int length) {
        StringBuilder uri = new StringBuilder(CPS_URI);
        for (int i = 0; uri.length() < CPS_URI.length() + length; i++) {
            uri.append(i % 64 == 63 ? '/' : "0123456789abcdef".charAt(i % 16));
        }
        return uri.toString();
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
