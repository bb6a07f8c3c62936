package io.alpnlab.broker.tls;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.TlsECDomain;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

/**
 * Bouncy Castle's JCA-based TLS crypto on the JDK's providers, so bulk encryption (AES-GCM) runs on
 * SunJCE. What the JDK does not offer under the name BC asks for (RSA-PSS as
 * {@code SHA256WITHRSAANDMGF1}, needed by TLS 1.3; ChaCha20-Poly1305 as {@code ChaCha7539} and
 * {@code Poly1305}) comes from a private Bouncy Castle provider instance, never registered JVM-wide.
 * ECDH is Bouncy Castle's lightweight arithmetic ({@link LightweightKeyExchange}).
 */
public final class JdkFirstCrypto {

    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private JdkFirstCrypto() {
    }

    public static JcaTlsCrypto create() {
        SecureRandom random = new SecureRandom();
        return new KeyExchangeOnBc(new FallbackHelper(), random);
    }

    /** The JCA crypto with ECDH on Bouncy Castle's lightweight arithmetic ({@link LightweightKeyExchange}). */
    private static final class KeyExchangeOnBc extends JcaTlsCrypto {
        private final SecureRandom random;

        KeyExchangeOnBc(JcaJceHelper helper, SecureRandom random) {
            super(helper, random, random);
            this.random = random;
        }

        @Override
        public TlsECDomain createECDomain(TlsECConfig config) {
            TlsECDomain domain = LightweightKeyExchange.domain(config.getNamedGroup(), this, random);
            return domain != null ? domain : super.createECDomain(config);
        }
    }

    /**
     * Asks the JDK first and Bouncy Castle for what the JDK lacks. A name the JDK refused once goes
     * straight to BC afterwards: the TLS 1.3 RSA-PSS signature otherwise threw and caught a
     * {@code NoSuchAlgorithmException} on every handshake.
     */
    private static final class FallbackHelper extends DefaultJcaJceHelper {
        private static final Set<String> NOT_IN_THE_JDK = ConcurrentHashMap.newKeySet();

        @Override
        public Signature createSignature(String algorithm) throws NoSuchAlgorithmException {
            if (NOT_IN_THE_JDK.contains(algorithm)) {
                return Signature.getInstance(algorithm, BOUNCY_CASTLE);
            }
            try {
                return super.createSignature(algorithm);
            } catch (NoSuchAlgorithmException e) {
                NOT_IN_THE_JDK.add(algorithm);
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
            if (NOT_IN_THE_JDK.contains(algorithm)) {
                return Cipher.getInstance(algorithm, BOUNCY_CASTLE);
            }
            try {
                return super.createCipher(algorithm);
            } catch (NoSuchAlgorithmException e) {
                NOT_IN_THE_JDK.add(algorithm);
                return Cipher.getInstance(algorithm, BOUNCY_CASTLE);
            }
        }

        @Override
        public Mac createMac(String algorithm) throws NoSuchAlgorithmException {
            if (NOT_IN_THE_JDK.contains(algorithm)) {
                return Mac.getInstance(algorithm, BOUNCY_CASTLE);
            }
            try {
                return super.createMac(algorithm);
            } catch (NoSuchAlgorithmException e) {
                NOT_IN_THE_JDK.add(algorithm);
                return Mac.getInstance(algorithm, BOUNCY_CASTLE);
            }
        }
    }
}
