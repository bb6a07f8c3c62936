package io.alpnlab.broker.tls;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * Bouncy Castle's JCA-based TLS crypto on the JDK's providers, so bulk encryption (AES-GCM) runs on
 * SunJCE. What the JDK does not offer under the name BC asks for (RSA-PSS as
 * {@code SHA256WITHRSAANDMGF1}, needed by TLS 1.3; ChaCha20-Poly1305 as {@code ChaCha7539} and
 * {@code Poly1305}) comes from a private Bouncy Castle provider instance, never registered JVM-wide.
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

        /**
         * BC asks for ChaCha20-Poly1305 as the cipher {@code ChaCha7539} and the MAC {@code Poly1305}, names the
         * JDK does not use: without this fallback BC finds no ChaCha20 suite usable and refuses a client that
         * offers only TLS_CHACHA20_POLY1305_SHA256, which the security policies list.
         */
        @Override
        public Cipher createCipher(String algorithm) throws NoSuchAlgorithmException, NoSuchPaddingException {
            try {
                return super.createCipher(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Cipher.getInstance(algorithm, BOUNCY_CASTLE);
            }
        }

        @Override
        public Mac createMac(String algorithm) throws NoSuchAlgorithmException {
            try {
                return super.createMac(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Mac.getInstance(algorithm, BOUNCY_CASTLE);
            }
        }
    }
}
