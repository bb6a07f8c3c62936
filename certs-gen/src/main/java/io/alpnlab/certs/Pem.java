package io.alpnlab.certs;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.util.io.pem.PemGenerationException;

/** PEM encoding and decoding of certificates and keys, and the digests used to name them. */
public final class Pem {

    private Pem() {
    }

    public static String encode(List<?> objects) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot PEM-encode " + objects.size() + " objects", e);
        }
        return text.toString();
    }

    public static String encodeKey(PrivateKey key) {
        // PKCS#8 ("BEGIN PRIVATE KEY") is what openssl 3, mbedTLS, mosquitto and the JDK all read.
        try {
            return encode(List.of(new JcaPKCS8Generator(key, null).generate()));
        } catch (PemGenerationException e) {
            throw new IllegalStateException("cannot PKCS#8-encode a " + key.getAlgorithm() + " key", e);
        }
    }

    /** Reads every certificate in a PEM file; a file with none, or with anything unreadable, is an error naming the file. */
    public static List<X509Certificate> readCertificates(Path file) {
        List<X509Certificate> certificates = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (!(object instanceof X509CertificateHolder holder)) {
                    throw new IllegalArgumentException(file + ": expected only certificates, found "
                            + object.getClass().getSimpleName());
                }
                certificates.add(converter.getCertificate(holder));
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // PEMParser reports bad base64 as an unchecked DecoderException.
            throw new IllegalArgumentException(file + ": not a readable PEM certificate file (" + e.getMessage() + ")", e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + ": contains no PEM certificate");
        }
        return certificates;
    }

    /** Reads one private key (PKCS#8, or a traditional RSA/EC key pair) from a PEM file. */
    public static PrivateKey readPrivateKey(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new IllegalArgumentException(file + ": expected an unencrypted private key, found "
                    + (object == null ? "nothing" : object.getClass().getSimpleName()));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // The message says which file, never what the key is.
            throw new IllegalArgumentException(file + ": not a readable PEM private key", e);
        }
    }

    public static String sha256Fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable or certificate not encodable", e);
        }
    }

    static int tls12CertificateMessageLength(List<X509Certificate> chain) {
        int length = 3;
        for (X509Certificate certificate : chain) {
            try {
                length += 3 + certificate.getEncoded().length;
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("certificate not encodable", e);
            }
        }
        return length;
    }
}
