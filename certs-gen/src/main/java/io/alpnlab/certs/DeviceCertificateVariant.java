package io.alpnlab.certs;

/** Device (client) certificates: one good, the rest each broken in one way AWS IoT Core refuses. */
public enum DeviceCertificateVariant {
    VALID("", false, "device certificate issued by the device CA"),
    EXPIRED("expired", true, "device certificate expired yesterday"),
    NOT_YET_VALID("not-yet-valid", true, "device certificate valid only from 30 days from now"),
    UNKNOWN_CA("unknown-ca", true, "device certificate issued by a CA nobody registered"),
    SELF_SIGNED("self-signed", true, "self-signed device certificate"),
    NO_CLIENT_AUTH("no-client-auth", true, "device certificate whose extended key usage lacks clientAuth"),
    WEAK_KEY("weak-key", true, "device certificate with an RSA 1024 key (AWS requires at least 2048 bits)");

    private final String suffix;
    private final boolean defective;
    private final String description;

    DeviceCertificateVariant(String suffix, boolean defective, String description) {
        this.suffix = suffix;
        this.defective = defective;
        this.description = description;
    }

    public boolean defective() {
        return defective;
    }

    public String description() {
        return description;
    }

    public String cliName() {
        return suffix.isEmpty() ? "valid" : suffix;
    }

    /** File stem: {@code device}, {@code device-ecc}, {@code device-expired}... */
    public String role(KeyType keyType) {
        StringBuilder role = new StringBuilder("device");
        if (keyType == KeyType.EC_P256) {
            role.append("-ecc");
        }
        if (!suffix.isEmpty()) {
            role.append('-').append(suffix);
        }
        return role.toString();
    }
}
