package io.alpnlab.broker.tls;

import io.alpnlab.broker.capture.KeyLog;
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
import org.bouncycastle.tls.crypto.TlsCryptoUtils;
import org.bouncycastle.tls.crypto.TlsECDomain;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JceTlsSecret;

/**
 * Bouncy Castle's JCA-based TLS crypto on the JDK's providers, so bulk encryption (AES-GCM) runs on
 * SunJCE. What the JDK does not offer under the name BC asks for (RSA-PSS as
 * {@code SHA256WITHRSAANDMGF1}, needed by TLS 1.3; ChaCha20-Poly1305 as {@code ChaCha7539} and
 * {@code Poly1305}) comes from a private Bouncy Castle provider instance, never registered JVM-wide.
 * ECDH is Bouncy Castle's lightweight arithmetic ({@link LightweightKeyExchange}). For a captured test connection
 * its key schedule also fills the connection's {@link KeyLog}.
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

        // The two roots of every key schedule: the (EC)DHE shared secret (TLS 1.2's pre-master secret) and TLS 1.3's
        // HKDF start. When a captured connection's handshake is running, they become secrets that log what is
        // derived from them; otherwise they are BC's own, untouched.

        @Override
        public TlsSecret createSecret(byte[] data) {
            return KeyLog.current() == null ? super.createSecret(data) : new LoggedSecret(this, data);
        }

        @Override
        public TlsSecret hkdfInit(int cryptoHashAlgorithm) {
            return KeyLog.current() == null ? super.hkdfInit(cryptoHashAlgorithm)
                    : new LoggedSecret(this, new byte[TlsCryptoUtils.getHashOutputSize(cryptoHashAlgorithm)]);
        }
    }

    /**
     * A secret whose derivations stay logged secrets, and which hands the ones Wireshark needs to the running
     * connection's {@link KeyLog}: the TLS 1.2 master secret, the TLS 1.3 handshake and application traffic secrets.
     * BC derives a new secret through a package-private factory; its bytes are taken out (which destroys it) and put
     * back in a logged secret, so the key schedule itself is unchanged.
     */
    private static final class LoggedSecret extends JceTlsSecret {

        LoggedSecret(JcaTlsCrypto crypto, byte[] data) {
            super(crypto, data);
        }

        private TlsSecret logged(TlsSecret derived) {
            return new LoggedSecret(crypto, derived.extract());
        }

        @Override
        public synchronized TlsSecret deriveUsingPRF(int prfAlgorithm, String label, byte[] seed, int length) {
            TlsSecret derived = logged(super.deriveUsingPRF(prfAlgorithm, label, seed, length));
            KeyLog log = KeyLog.current();
            if (log != null && (label.equals("master secret") || label.equals("extended master secret"))) {
                log.masterSecret(copyData((LoggedSecret) derived));
            }
            return derived;
        }

        @Override
        public synchronized TlsSecret hkdfExpand(int cryptoHashAlgorithm, byte[] info, int length) {
            TlsSecret derived = logged(super.hkdfExpand(cryptoHashAlgorithm, info, length));
            KeyLog log = KeyLog.current();
            String label = log == null ? null : KeyLog.tls13Label(info);
            if (label != null) {
                log.tls13(label, copyData((LoggedSecret) derived));
            }
            return derived;
        }

        @Override
        public synchronized TlsSecret hkdfExtract(int cryptoHashAlgorithm, TlsSecret ikm) {
            return logged(super.hkdfExtract(cryptoHashAlgorithm, ikm));
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
