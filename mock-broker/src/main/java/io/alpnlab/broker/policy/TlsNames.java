package io.alpnlab.broker.policy;

import java.util.List;

/** Names of TLS protocol versions, as records and messages write them. */
public final class TlsNames {

    private TlsNames() {
    }

    public static String versionName(int version) {
        return switch (version) {
            case 0x0300 -> "SSL 3.0";
            case 0x0301 -> "TLS 1.0";
            case 0x0302 -> "TLS 1.1";
            case 0x0303 -> "TLS 1.2";
            case 0x0304 -> "TLS 1.3";
            default -> String.format("0x%04x", version);
        };
    }

    static String versionNames(List<Integer> versions) {
        return versions.stream().map(TlsNames::versionName).toList().toString();
    }
}
