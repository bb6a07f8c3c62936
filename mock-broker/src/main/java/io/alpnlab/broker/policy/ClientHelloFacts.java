package io.alpnlab.broker.policy;

import java.util.List;

/**
 * What a ClientHello said, decoded from the bytes on the wire (extension order and raw ALPN bytes
 * preserved). The policy decides from these facts; the connection record shows them.
 *
 * @param legacyVersion the legacy_version field, e.g. 0x0303
 * @param supportedVersions the supported_versions extension, empty when absent
 * @param cipherSuites offered suites in the client's order
 * @param extensionTypes extension types in the order sent
 * @param serverName the SNI host_name, or null when the extension is absent or carries no host name
 * @param alpnNames offered ALPN names, escaped ({@code \xNN} for bytes outside printable ASCII), or null when the extension is absent
 * @param signatureAlgorithms signature_algorithms values
 * @param supportedGroups supported_groups values
 * @param maxFragmentLength max_fragment_length code (1..4), or null
 * @param recordSizeLimit record_size_limit, or null
 * @param sessionTicketOffered whether the session_ticket extension was present
 * @param messageLength the ClientHello handshake message length in bytes
 */
public record ClientHelloFacts(
        int legacyVersion,
        List<Integer> supportedVersions,
        List<Integer> cipherSuites,
        List<Integer> extensionTypes,
        String serverName,
        List<String> alpnNames,
        List<Integer> signatureAlgorithms,
        List<Integer> supportedGroups,
        Integer maxFragmentLength,
        Integer recordSizeLimit,
        boolean sessionTicketOffered,
        int messageLength) {

    public static final int TLS10 = 0x0301;
    public static final int TLS12 = 0x0303;
    public static final int TLS13 = 0x0304;

    public ClientHelloFacts {
        supportedVersions = List.copyOf(supportedVersions);
        cipherSuites = List.copyOf(cipherSuites);
        extensionTypes = List.copyOf(extensionTypes);
        alpnNames = alpnNames == null ? null : List.copyOf(alpnNames);
        signatureAlgorithms = List.copyOf(signatureAlgorithms);
        supportedGroups = List.copyOf(supportedGroups);
    }

    /** The versions the client offers: supported_versions when present, else every version up to legacy_version. */
    public List<Integer> offeredVersions() {
        if (!supportedVersions.isEmpty()) {
            // GREASE values (0x?A?A) are not versions.
            return supportedVersions.stream().filter(version -> (version & 0x0F0F) != 0x0A0A).toList();
        }
        List<Integer> versions = new java.util.ArrayList<>();
        for (int version = Math.min(legacyVersion, TLS12); version >= TLS10; version--) {
            versions.add(version);
        }
        return versions;
    }

    public boolean offersAlpn(String name) {
        return alpnNames != null && alpnNames.contains(name);
    }

    public boolean hasExtension(int type) {
        return extensionTypes.contains(type);
    }
}
