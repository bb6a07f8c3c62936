package io.alpnlab.broker.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc7748.X448;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsAgreement;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.TlsECDomain;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.util.Arrays;
import org.bouncycastle.util.BigIntegers;

/**
 * ECDH on Bouncy Castle's lightweight curve arithmetic instead of the JDK's SunEC, for two reasons.
 * Cost: the key exchange was the largest item in the handshake profile, and BC's X25519 and P-256
 * are several times cheaper than the JDK's pure-Java ones. Verdicts: a key share the RFCs forbid
 * must be refused with {@code illegal_parameter} (RFC 8446 sections 4.2.8.2 and 7.4.2, RFC 8422
 * section 5.11): through the JDK an all-zero X25519 secret became {@code internal_error}, blaming the
 * broker, and a compressed P-256 point (which s2n, AWS's TLS stack, does not take) was accepted.
 * Only the agreement lives here; the secret it yields is the JCA crypto's own, so key derivation,
 * hybrid groups and everything else stay on the path they were.
 */
final class LightweightKeyExchange {

    private LightweightKeyExchange() {
    }

    /** The domain for a group this class serves, or null to leave the group to the JCA crypto. */
    static TlsECDomain domain(int namedGroup, TlsCrypto crypto, SecureRandom random) {
        return switch (namedGroup) {
            case NamedGroup.x25519 -> () -> new Montgomery(crypto, random, X25519.POINT_SIZE);
            case NamedGroup.x448 -> () -> new Montgomery(crypto, random, X448.POINT_SIZE);
            case NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1 -> {
                X9ECParameters curve = CustomNamedCurves.getByName(NamedGroup.getCurveName(namedGroup));
                yield () -> new Weierstrass(crypto, random, curve);
            }
            default -> null;
        };
    }

    /** X25519 and X448 (RFC 7748): both sides' values are fixed-size strings. */
    private static final class Montgomery implements TlsAgreement {
        private final TlsCrypto crypto;
        private final SecureRandom random;
        private final int size;
        private final byte[] privateKey;
        private byte[] peerValue;

        Montgomery(TlsCrypto crypto, SecureRandom random, int size) {
            this.crypto = crypto;
            this.random = random;
            this.size = size;
            this.privateKey = new byte[size];
        }

        @Override
        public byte[] generateEphemeral() {
            byte[] publicKey = new byte[size];
            if (size == X25519.POINT_SIZE) {
                X25519.generatePrivateKey(random, privateKey);
                X25519.generatePublicKey(privateKey, 0, publicKey, 0);
            } else {
                X448.generatePrivateKey(random, privateKey);
                X448.generatePublicKey(privateKey, 0, publicKey, 0);
            }
            return publicKey;
        }

        @Override
        public void receivePeerValue(byte[] value) throws IOException {
            if (value == null || value.length != size) {
                throw new TlsFatalAlert(AlertDescription.illegal_parameter,
                        "key share of " + (value == null ? 0 : value.length) + " bytes, the group's is " + size);
            }
            peerValue = value.clone();
        }

        @Override
        public TlsSecret calculateSecret() throws IOException {
            byte[] secret = new byte[size];
            boolean nonZero = size == X25519.POINT_SIZE
                    ? X25519.calculateAgreement(privateKey, 0, peerValue, 0, secret, 0)
                    : X448.calculateAgreement(privateKey, 0, peerValue, 0, secret, 0);
            Arrays.fill(privateKey, (byte) 0);
            if (!nonZero) {
                // RFC 8446 section 7.4.2 and RFC 8422 section 5.11: a low-order peer value, the client's fault.
                throw new TlsFatalAlert(AlertDescription.illegal_parameter, "the key share gives an all-zero shared secret");
            }
            return crypto.createSecret(secret);
        }
    }

    /** P-256, P-384 and P-521: points in the uncompressed form only, and on the curve. */
    private static final class Weierstrass implements TlsAgreement {
        private final TlsCrypto crypto;
        private final SecureRandom random;
        private final X9ECParameters parameters;
        private BigInteger privateKey;
        private ECPoint peerPoint;

        Weierstrass(TlsCrypto crypto, SecureRandom random, X9ECParameters parameters) {
            this.crypto = crypto;
            this.random = random;
            this.parameters = parameters;
        }

        @Override
        public byte[] generateEphemeral() {
            BigInteger order = parameters.getN();
            do {
                privateKey = BigIntegers.createRandomBigInteger(order.bitLength(), random);
            } while (privateKey.signum() == 0 || privateKey.compareTo(order) >= 0);
            return new FixedPointCombMultiplier().multiply(parameters.getG(), privateKey).getEncoded(false);
        }

        @Override
        public void receivePeerValue(byte[] value) throws IOException {
            ECCurve curve = parameters.getCurve();
            int fieldBytes = (curve.getFieldSize() + 7) / 8;
            if (value == null || value.length != 1 + 2 * fieldBytes || value[0] != 0x04) {
                // TLS 1.3 knows only the uncompressed form; the broker offers no other in TLS 1.2 (RFC 8422 section 5.1.2).
                throw new TlsFatalAlert(AlertDescription.illegal_parameter, "key share is not an uncompressed point of the group");
            }
            ECPoint point;
            try {
                point = curve.decodePoint(value).normalize();
            } catch (IllegalArgumentException offCurve) {
                throw new TlsFatalAlert(AlertDescription.illegal_parameter, "key share is not a point on the curve", offCurve);
            }
            if (point.isInfinity() || !point.isValid()) {
                throw new TlsFatalAlert(AlertDescription.illegal_parameter, "key share is not a valid point of the group");
            }
            peerPoint = point;
        }

        @Override
        public TlsSecret calculateSecret() throws IOException {
            ECPoint shared = peerPoint.multiply(privateKey).normalize();
            privateKey = null;
            if (shared.isInfinity()) {
                throw new TlsFatalAlert(AlertDescription.illegal_parameter, "the key share gives no shared secret");
            }
            int fieldBytes = (parameters.getCurve().getFieldSize() + 7) / 8;
            return crypto.createSecret(BigIntegers.asUnsignedByteArray(fieldBytes, shared.getAffineXCoord().toBigInteger()));
        }
    }
}
