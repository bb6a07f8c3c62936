package io.alpnlab.certs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;

/**
 * The key algorithms the test PKI issues. AWS IoT Core serves RSA or ECC chains depending on the
 * negotiated cipher suite, and refuses device keys under 2048 bits, so both families and one weak
 * size are needed.
 */
public enum KeyType implements Named {
    RSA_2048("rsa"),
    RSA_1024("rsa1024"),
    EC_P256("ecc");

    private final String fileTag;

    KeyType(String fileTag) {
        this.fileTag = fileTag;
    }

    /** Short tag used in file names and on the command line, e.g. {@code ecc}. */
    public String fileTag() {
        return fileTag;
    }

    /** The JCA signature algorithm a key of this type signs certificates with. */
    public String signatureAlgorithm() {
        return isRsa() ? "SHA256withRSA" : "SHA256withECDSA";
    }

    public boolean isRsa() {
        return this != EC_P256;
    }

    KeyPair generate(SecureRandom random) {
        try {
            if (this == EC_P256) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"), random);
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(this == RSA_1024 ? 1024 : 2048, random);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate a " + this + " key", e);
        }
    }

    @Override
    public String externalName() {
        return fileTag;
    }

    /** Parses the command-line tag ({@code rsa}, {@code ecc}, {@code rsa1024}), in any case. */
    public static KeyType fromTag(String tag) {
        return Named.parse(KeyType.class, tag.toLowerCase(java.util.Locale.ROOT), "key type");
    }
}
