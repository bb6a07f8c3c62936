package io.alpnlab.broker.policy;

import io.alpnlab.broker.registry.DeviceStatus;
import java.time.Instant;

/**
 * The client certificate as the policy sees it.
 *
 * @param fingerprint SHA-256 of the leaf, lower-case hex (AWS's certificate ID)
 * @param subject the leaf's subject DN
 * @param keyAlgorithm RSA or EC
 * @param keyBits key size (modulus bits for RSA, field bits for EC)
 * @param notBefore start of validity
 * @param notAfter end of validity
 * @param registryStatus the status in the device registry, or null when the certificate is not registered
 */
public record CertificateFacts(String fingerprint, String subject, String keyAlgorithm, int keyBits, Instant notBefore,
        Instant notAfter, DeviceStatus registryStatus) {
}
