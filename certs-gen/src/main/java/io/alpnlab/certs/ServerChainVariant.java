package io.alpnlab.certs;

/**
 * The server chains the mock broker can present. The first four are what a client must accept;
 * the rest are deliberately defective and a client must refuse each of them.
 */
public enum ServerChainVariant {
    VALID("", false, "leaf for the endpoint names, localhost and the given IPs, with its intermediate"),
    LARGE("large", false, "valid chain cross-signed like AWS's ATS chain, Certificate message of "
            + ServerChainVariant.AWS_CERTIFICATE_MESSAGE_BYTES + " bytes as in the seed dump"),
    LARGE_PLUS_20("large-plus-20", false, "valid chain about 20% larger than AWS's ("
            + ServerChainVariant.largePlus20Bytes() + "-byte Certificate message)"),
    MAX_RECORD("max-record", false, "valid chain whose Certificate message exceeds one 16 KB TLS record ("
            + ServerChainVariant.MAX_RECORD_BYTES + " bytes), so the server sends maximum-size records"),
    EXPIRED("expired", true, "leaf expired yesterday"),
    NOT_YET_VALID("not-yet-valid", true, "leaf valid only from 30 days from now"),
    WRONG_HOST("wrong-host", true, "leaf names only wrong-host.alpnlab.test, not the endpoint"),
    UNTRUSTED_ROOT("untrusted-root", true, "leaf issued by a root no client trusts"),
    SELF_SIGNED("self-signed", true, "self-signed leaf for the endpoint names"),
    MISSING_INTERMEDIATE("missing-intermediate", true, "leaf sent without the intermediate that issued it"),
    WEAK_KEY("weak-key", true, "leaf with an RSA 1024 key"),
    WRONG_EKU("wrong-eku", true, "leaf whose extended key usage is clientAuth only, not serverAuth");

    /** Length of the Certificate handshake message body AWS IoT Core sent in the seed hex dump. */
    public static final int AWS_CERTIFICATE_MESSAGE_BYTES = 4991;
    /** Larger than a maximum TLS plaintext record (2^14 bytes). */
    public static final int MAX_RECORD_BYTES = 20_000;

    private final String suffix;
    private final boolean defective;
    private final String description;

    ServerChainVariant(String suffix, boolean defective, String description) {
        this.suffix = suffix;
        this.defective = defective;
        this.description = description;
    }

    static int largePlus20Bytes() {
        return Math.round(AWS_CERTIFICATE_MESSAGE_BYTES * 1.2f);
    }

    /** Target Certificate message length, or 0 when the variant does not pad. */
    int targetCertificateMessageBytes() {
        return switch (this) {
            case LARGE -> AWS_CERTIFICATE_MESSAGE_BYTES;
            case LARGE_PLUS_20 -> largePlus20Bytes();
            case MAX_RECORD -> MAX_RECORD_BYTES;
            default -> 0;
        };
    }

    /** True when a correct client must refuse this chain. */
    public boolean defective() {
        return defective;
    }

    public String description() {
        return description;
    }

    /** Command-line and file-name name, e.g. {@code wrong-host}; {@code valid} for the default. */
    public String cliName() {
        return suffix.isEmpty() ? "valid" : suffix;
    }

    /** File stem: {@code server}, {@code server-ecc}, {@code server-expired}, {@code server-ecc-expired}... */
    public String role(KeyType keyType) {
        StringBuilder role = new StringBuilder("server");
        if (keyType == KeyType.EC_P256) {
            role.append("-ecc");
        }
        if (!suffix.isEmpty()) {
            role.append('-').append(suffix);
        }
        return role.toString();
    }

    public static ServerChainVariant fromCliName(String name) {
        for (ServerChainVariant variant : values()) {
            if (variant.cliName().equals(name)) {
                return variant;
            }
        }
        throw new IllegalArgumentException("unknown server chain variant '" + name + "'");
    }
}
