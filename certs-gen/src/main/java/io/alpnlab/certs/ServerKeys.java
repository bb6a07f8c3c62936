package io.alpnlab.certs;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

/** A kept private key made whole again: its public half is computed from it, not stored beside it. */
final class ServerKeys {

    private ServerKeys() {
    }

    static KeyPair withPublicKey(PrivateKey key, KeyType expected, Path file) {
        try {
            if (expected.isRsa() && key instanceof RSAPrivateCrtKey rsa && rsa.getModulus().bitLength() == 2048) {
                return new KeyPair(KeyFactory.getInstance("RSA").generatePublic(
                        new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent())), key);
            }
            if (expected == KeyType.EC_P256 && key instanceof ECPrivateKey ec && ec.getParams().getOrder().bitLength() == 256) {
                X9ECParameters curve = ECNamedCurveTable.getByName("secp256r1");
                org.bouncycastle.math.ec.ECPoint q = curve.getG().multiply(ec.getS()).normalize();
                ECPoint w = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
                return new KeyPair(KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, ec.getParams())), key);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": cannot derive the public key", e);
        }
        throw new IllegalArgumentException(file + ": expected a " + expected + " private key, found " + key.getAlgorithm()
                + " (delete the file to have a new key generated)");
    }
}
