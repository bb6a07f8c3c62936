package io.alpnlab.certs;

/**
 * The server chains the mock broker can present. The first four are what a client must accept;
 * the rest are deliberately defective and a client must refuse each of them.
 */
public enum ServerChainVariant implements CertificateVariant {
    VALID("leaf for the endpoint names, localhost and the given IPs, with its intermediate"),
    LARGE("valid chain cross-signed like AWS's ATS chain, Certificate message of "
            + ServerChainVariant.AWS_CERTIFICATE_MESSAGE_BYTES + " bytes as in the seed dump"),
    LARGE_PLUS_20("valid chain about 20% larger than AWS's ("
            + ServerChainVariant.largePlus20Bytes() + "-byte Certificate message)"),
    MAX_RECORD("valid chain whose Certificate message exceeds one 16 KB TLS record ("
            + ServerChainVariant.MAX_RECORD_BYTES + " bytes), so the server sends maximum-size records"),
    EXPIRED("leaf expired yesterday"),
    NOT_YET_VALID("leaf valid only from 30 days from now"),
    WRONG_HOST("leaf names only wrong-host.alpnlab.test, not the endpoint"),
    UNTRUSTED_ROOT("leaf issued by a root no client trusts"),
    SELF_SIGNED("self-signed leaf for the endpoint names"),
    MISSING_INTERMEDIATE("leaf sent without the intermediate that issued it"),
    WEAK_KEY("leaf with an RSA 1024 key"),
    WRONG_EKU("leaf whose extended key usage is clientAuth only, not serverAuth");

    /** Length of the Certificate handshake message body AWS IoT Core sent in the seed hex dump. */
    public static final int AWS_CERTIFICATE_MESSAGE_BYTES = 4991;
    /** Larger than a maximum TLS plaintext record (2^14 bytes). */
    public static final int MAX_RECORD_BYTES = 20_000;

    private final String description;

    ServerChainVariant(String description) {
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
    @Override
    public boolean defective() {
        return switch (this) {
            case VALID, LARGE, LARGE_PLUS_20, MAX_RECORD -> false;
            default -> true;
        };
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String roleBase() {
        return "server";
    }

    public static ServerChainVariant fromCliName(String name) {
        return Named.parse(ServerChainVariant.class, name, "server chain variant");
    }
}
