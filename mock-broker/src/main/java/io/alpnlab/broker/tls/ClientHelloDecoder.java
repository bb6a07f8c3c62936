package io.alpnlab.broker.tls;

import io.alpnlab.broker.policy.ClientHelloFacts;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a ClientHello handshake message (body, without the 4-byte handshake header) into
 * {@link ClientHelloFacts}. Bouncy Castle parses the ClientHello too, but keeps extensions in a
 * Hashtable and ALPN names as strings; the connection record needs the order the client sent and
 * the raw ALPN bytes (the length-prefixed-name bug is visible only there), so we decode here for
 * observation and let BC do the protocol work.
 */
public final class ClientHelloDecoder {

    static final int EXT_SERVER_NAME = 0;
    static final int EXT_MAX_FRAGMENT_LENGTH = 1;
    static final int EXT_SUPPORTED_GROUPS = 10;
    static final int EXT_SIGNATURE_ALGORITHMS = 13;
    static final int EXT_ALPN = 16;
    static final int EXT_RECORD_SIZE_LIMIT = 28;
    static final int EXT_SESSION_TICKET = 35;
    static final int EXT_SUPPORTED_VERSIONS = 43;

    /** The extensions decoded here: their content must fill the extension exactly. */
    private static final java.util.Set<Integer> KNOWN = java.util.Set.of(EXT_SERVER_NAME, EXT_MAX_FRAGMENT_LENGTH,
            EXT_SUPPORTED_GROUPS, EXT_SIGNATURE_ALGORITHMS, EXT_ALPN, EXT_RECORD_SIZE_LIMIT, EXT_SUPPORTED_VERSIONS);

    private ClientHelloDecoder() {
    }

    /** A ClientHello that cannot be decoded; the message says which field was wrong. */
    public static final class MalformedClientHelloException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedClientHelloException(String message) {
            super(message);
        }
    }

    public static ClientHelloFacts decode(byte[] body) throws MalformedClientHelloException {
        ByteBuffer in = ByteBuffer.wrap(body);
        int legacyVersion = uint16(in, "legacy_version");
        skip(in, 32, "random");
        skip(in, uint8(in, "legacy_session_id length"), "legacy_session_id");
        int suitesLength = uint16(in, "cipher_suites length");
        if (suitesLength % 2 != 0 || suitesLength == 0) {
            throw new MalformedClientHelloException("cipher_suites length " + suitesLength + " is not a positive even number");
        }
        ByteBuffer suites = slice(in, suitesLength, "cipher_suites");
        List<Integer> cipherSuites = new ArrayList<>();
        while (suites.hasRemaining()) {
            cipherSuites.add(Short.toUnsignedInt(suites.getShort()));
        }
        int compressionLength = uint8(in, "legacy_compression_methods length");
        if (compressionLength == 0) {
            throw new MalformedClientHelloException("legacy_compression_methods is empty (the null method is mandatory)");
        }
        skip(in, compressionLength, "legacy_compression_methods");

        List<Integer> extensionTypes = new ArrayList<>();
        String serverName = null;
        List<String> alpn = null;
        List<Integer> versions = List.of();
        List<Integer> signatureAlgorithms = List.of();
        List<Integer> groups = List.of();
        Integer maxFragmentLength = null;
        Integer recordSizeLimit = null;
        boolean sessionTicket = false;
        if (in.hasRemaining()) {
            ByteBuffer extensions = slice(in, uint16(in, "extensions length"), "extensions");
            while (extensions.hasRemaining()) {
                int type = uint16(extensions, "extension type");
                if (extensionTypes.contains(type)) {
                    throw new MalformedClientHelloException("extension " + type + " appears twice");
                }
                extensionTypes.add(type);
                ByteBuffer data = slice(extensions, uint16(extensions, "extension " + type + " length"), "extension " + type);
                switch (type) {
                    case EXT_SERVER_NAME -> serverName = serverName(data);
                    case EXT_ALPN -> alpn = alpnNames(data);
                    case EXT_SUPPORTED_VERSIONS -> versions = uint16List(data, uint8(data, "supported_versions length"), "supported_versions");
                    case EXT_SIGNATURE_ALGORITHMS -> signatureAlgorithms = uint16List(data, uint16(data, "signature_algorithms length"), "signature_algorithms");
                    case EXT_SUPPORTED_GROUPS -> groups = uint16List(data, uint16(data, "supported_groups length"), "supported_groups");
                    case EXT_MAX_FRAGMENT_LENGTH -> maxFragmentLength = uint8(data, "max_fragment_length");
                    case EXT_RECORD_SIZE_LIMIT -> recordSizeLimit = uint16(data, "record_size_limit");
                    case EXT_SESSION_TICKET -> sessionTicket = true;
                    default -> {
                    }
                }
                if (KNOWN.contains(type) && data.hasRemaining()) {
                    throw new MalformedClientHelloException("extension " + type + " has " + data.remaining()
                            + " bytes after its content");
                }
            }
        }
        if (in.hasRemaining()) {
            throw new MalformedClientHelloException(in.remaining() + " bytes after the extensions");
        }
        return new ClientHelloFacts(legacyVersion, versions, cipherSuites, extensionTypes, serverName, alpn,
                signatureAlgorithms, groups, maxFragmentLength, recordSizeLimit, sessionTicket, body.length);
    }

    /**
     * RFC 6066 section 3: a client's server_name holds a non-empty list with at most one host_name, itself
     * non-empty (an empty extension is only a server's answer); anything else is a decode error, not "no SNI".
     */
    private static String serverName(ByteBuffer data) throws MalformedClientHelloException {
        if (!data.hasRemaining()) {
            throw new MalformedClientHelloException("server_name extension is empty (only a server sends it empty)");
        }
        int listLength = uint16(data, "server_name_list length");
        if (listLength == 0) {
            throw new MalformedClientHelloException("server_name_list is empty");
        }
        ByteBuffer list = slice(data, listLength, "server_name_list");
        String hostName = null;
        while (list.hasRemaining()) {
            int nameType = uint8(list, "server_name type");
            int nameLength = uint16(list, "server_name length");
            ByteBuffer name = slice(list, nameLength, "server_name");
            if (nameType == 0) {
                if (hostName != null) {
                    throw new MalformedClientHelloException("server_name_list has two host_name entries");
                }
                if (nameLength == 0) {
                    throw new MalformedClientHelloException("server_name host_name is empty");
                }
                byte[] bytes = new byte[name.remaining()];
                name.get(bytes);
                hostName = escape(bytes);
            }
        }
        return hostName;
    }

    /** RFC 7301 section 3.1: a non-empty list of non-empty names. */
    private static List<String> alpnNames(ByteBuffer data) throws MalformedClientHelloException {
        int listLength = uint16(data, "ALPN protocol_name_list length");
        if (listLength == 0) {
            throw new MalformedClientHelloException("ALPN protocol_name_list is empty");
        }
        ByteBuffer list = slice(data, listLength, "ALPN protocol_name_list");
        List<String> names = new ArrayList<>();
        while (list.hasRemaining()) {
            int length = uint8(list, "ALPN name length");
            if (length == 0) {
                throw new MalformedClientHelloException("ALPN name of length 0");
            }
            byte[] bytes = new byte[length];
            slice(list, length, "ALPN name").get(bytes);
            names.add(escape(bytes));
        }
        return names;
    }

    /** Printable ASCII as is; every other byte (and the backslash) as {@code \xNN}, so nothing is hidden. */
    public static String escape(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int value = b & 0xFF;
            if (value >= 0x20 && value < 0x7F && value != '\\') {
                text.append((char) value);
            } else {
                text.append(String.format("\\x%02x", value));
            }
        }
        return text.toString();
    }

    private static List<Integer> uint16List(ByteBuffer data, int length, String field) throws MalformedClientHelloException {
        if (length % 2 != 0) {
            throw new MalformedClientHelloException(field + " length " + length + " is odd");
        }
        ByteBuffer list = slice(data, length, field);
        List<Integer> values = new ArrayList<>();
        while (list.hasRemaining()) {
            values.add(Short.toUnsignedInt(list.getShort()));
        }
        return values;
    }

    private static int uint8(ByteBuffer in, String field) throws MalformedClientHelloException {
        need(in, 1, field);
        return Byte.toUnsignedInt(in.get());
    }

    private static int uint16(ByteBuffer in, String field) throws MalformedClientHelloException {
        need(in, 2, field);
        return Short.toUnsignedInt(in.getShort());
    }

    private static void skip(ByteBuffer in, int length, String field) throws MalformedClientHelloException {
        need(in, length, field);
        in.position(in.position() + length);
    }

    private static ByteBuffer slice(ByteBuffer in, int length, String field) throws MalformedClientHelloException {
        need(in, length, field);
        ByteBuffer slice = in.slice();
        slice.limit(length);
        in.position(in.position() + length);
        return slice;
    }

    private static void need(ByteBuffer in, int length, String field) throws MalformedClientHelloException {
        if (in.remaining() < length) {
            throw new MalformedClientHelloException(field + " needs " + length + " bytes, only " + in.remaining() + " left");
        }
    }
}
