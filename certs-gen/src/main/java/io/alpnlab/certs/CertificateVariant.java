package io.alpnlab.certs;

/**
 * What server chain variants and device certificate variants have in common: a name on the
 * command line, whether a correct peer must refuse it, and the file stem it is written under.
 */
public interface CertificateVariant extends Named {

    /** The enum constant's name. */
    String name();

    /** True when a correct peer must refuse this variant. */
    boolean defective();

    String description();

    /** The file stem's first word: {@code server} or {@code device}. */
    String roleBase();

    /** Command-line and file-name name, e.g. {@code wrong-host}; {@code valid} for the default. */
    default String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    @Override
    default String externalName() {
        return cliName();
    }

    /** File stem: {@code server}, {@code server-ecc}, {@code server-expired}, {@code device-ecc-weak-key}... */
    default String role(KeyType keyType) {
        StringBuilder role = new StringBuilder(roleBase());
        if (keyType == KeyType.EC_P256) {
            role.append("-ecc");
        }
        if (!name().equals("VALID")) {
            role.append('-').append(cliName());
        }
        return role.toString();
    }
}
