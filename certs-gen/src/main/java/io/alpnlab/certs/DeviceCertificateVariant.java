package io.alpnlab.certs;

/** Device (client) certificates: one good, the rest each broken in one way AWS IoT Core refuses. */
public enum DeviceCertificateVariant implements CertificateVariant {
    VALID("device certificate issued by the device CA"),
    EXPIRED("device certificate expired yesterday"),
    NOT_YET_VALID("device certificate valid only from 30 days from now"),
    UNKNOWN_CA("device certificate issued by a CA nobody registered"),
    SELF_SIGNED("self-signed device certificate"),
    NO_CLIENT_AUTH("device certificate whose extended key usage lacks clientAuth"),
    WEAK_KEY("device certificate with an RSA 1024 key (AWS requires at least 2048 bits)");

    private final String description;

    DeviceCertificateVariant(String description) {
        this.description = description;
    }

    @Override
    public boolean defective() {
        return this != VALID;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String roleBase() {
        return "device";
    }
}
