package io.alpnlab.broker.tls;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * Bouncy Castle's JCA-based TLS crypto on the JDK's providers, so bulk encryption (AES-GCM,
 * ChaCha20-Poly1305) runs on SunJCE. Only a signature the JDK does not offer under the name BC asks
 * for (RSA-PSS as {@code SHA256WITHRSAANDMGF1}, needed by TLS 1.3) comes from a private Bouncy
 * Castle provider instance, which is never registered JVM-wide.
 */
public final class JdkFirstCrypto {

    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private JdkFirstCrypto() {
    }

    public static JcaTlsCrypto create() {
        return new JcaTlsCryptoProvider() {
            @Override
            public JcaJceHelper getHelper() {
                return new SignatureFallbackHelper();
            }
        }.create(new SecureRandom());
    }

    private static final class SignatureFallbackHelper extends DefaultJcaJceHelper {
        @Override
        public Signature createSignature(String algorithm) throws NoSuchAlgorithmException {
            try {
                return super.createSignature(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Signature.getInstance(algorithm, BOUNCY_CASTLE);
            }
        }
    }
}
