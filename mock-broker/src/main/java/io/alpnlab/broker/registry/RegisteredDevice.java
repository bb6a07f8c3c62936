package io.alpnlab.broker.registry;

import java.util.Objects;

/**
 * One registered device certificate.
 *
 * @param fingerprint SHA-256 of the certificate, lower-case hex: AWS's certificate ID
 * @param status only ACTIVE may connect
 * @param thingName the thing attached to the certificate, or null
 * @param policy what the certificate may do
 */
public record RegisteredDevice(String fingerprint, DeviceStatus status, String thingName, DevicePolicy policy) {

    public RegisteredDevice {
        Objects.requireNonNull(fingerprint);
        Objects.requireNonNull(status);
        Objects.requireNonNull(policy);
        if (!fingerprint.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("fingerprint must be 64 lower-case hex digits (SHA-256), got '" + fingerprint + "'");
        }
    }

    public RegisteredDevice withStatus(DeviceStatus value) {
        return new RegisteredDevice(fingerprint, value, thingName, policy);
    }
}
