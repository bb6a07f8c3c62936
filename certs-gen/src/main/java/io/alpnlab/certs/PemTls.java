package io.alpnlab.certs;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JDK's TLS as a device holds it, from the PEM files this PKI writes: the device's key and
 * certificate chain, and the roots it trusts. Every JDK client here (the reference client, the
 * benchmark's loaders, the broker's self-check, test adapters) builds its context from this.
 * Unreadable files are an {@link IllegalArgumentException} naming the file (from {@link Pem}).
 */
public final class PemTls {

    private PemTls() {
    }

    /** Key managers presenting this key and chain, as the JDK's PKIX key manager chooses them. */
    public static KeyManager[] keyManagers(Path keyFile, Path certificateFile) {
        PrivateKey key = Pem.readPrivateKey(keyFile);
        List<X509Certificate> chain = Pem.readCertificates(certificateFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            // The store lives in memory for the key manager to read and is never written, so the key's protection is one
            // PBKDF2 iteration, not the JDK's default 10,000: those were 5 % of the meta-test's CPU (a context per run).
            store.setEntry("device", new KeyStore.PrivateKeyEntry(key, chain.toArray(X509Certificate[]::new)),
                    new KeyStore.PasswordProtection(new char[0], "PBEWithHmacSHA256AndAES_256",
                            new javax.crypto.spec.PBEParameterSpec(new byte[16], 1)));
            KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
            factory.init(store, new char[0]);
            return factory.getKeyManagers();
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("the JDK cannot hold the key of " + keyFile + " with " + certificateFile + ": " + e, e);
        }
    }

    /** Trust managers that accept chains to the roots in this bundle, and nothing else. */
    public static TrustManager[] trustManagers(Path trustBundle) {
        List<X509Certificate> roots = Pem.readCertificates(trustBundle);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < roots.size(); i++) {
                store.setCertificateEntry("root-" + i, roots.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            return factory.getTrustManagers();
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("the JDK cannot trust the roots of " + trustBundle + ": " + e, e);
        }
    }

    /** A TLS context with this device's key and chain, trusting this bundle's roots. */
    public static SSLContext context(Path keyFile, Path certificateFile, Path trustBundle) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers(keyFile, certificateFile), trustManagers(trustBundle), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no TLS context: " + e, e);
        }
    }
}
