package io.alpnlab.broker.probe;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ExtensionType;

/**
 * The bytes of the one probe no TLS library sends on purpose (a Certificate nobody asked for), written by hand: a TLS
 * 1.2 ClientHello, the server's first flight read plainly (TLS 1.2 sends it unencrypted), a Certificate message.
 */
public final class Crafted {

    private static final int SERVER_HELLO = 2;
    private static final int CERTIFICATE = 11;
    private static final int CERTIFICATE_REQUEST = 13;
    private static final int SERVER_HELLO_DONE = 14;

    private Crafted() {
    }

    static byte[] record(int type, byte[] fragment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        writeShort(out, 0x0303);
        writeShort(out, fragment.length);
        out.writeBytes(fragment);
        return out.toByteArray();
    }

    static byte[] handshake(int type, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        writeUint24(out, body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** TLS 1.2 only: ECDHE with RSA or ECDSA and AES-GCM, P-256 and X25519, SNI with the endpoint name. */
    static byte[] clientHello12(String serverName, SecureRandom random) {
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        extension(extensions, 0x0000, serverNameData(serverName));
        extension(extensions, 0x000a, new byte[] {0, 4, 0, 0x17, 0, 0x1d});           // supported_groups: P-256, X25519
        extension(extensions, 0x000b, new byte[] {1, 0});                            // ec_point_formats: uncompressed
        extension(extensions, 0x000d, new byte[] {0, 6, 4, 1, 8, 4, 4, 3});          // rsa_pkcs1/pss_rsae_sha256, ecdsa
        extension(extensions, 0x0017, new byte[0]);                                 // extended_master_secret
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeShort(body, 0x0303);
        byte[] clientRandom = new byte[32];
        random.nextBytes(clientRandom);
        body.writeBytes(clientRandom);
        body.write(0);                                                               // no session ID
        int[] suites = {0xc02f, 0xc030, 0xc02b, 0xc02c};
        writeShort(body, suites.length * 2);
        for (int suite : suites) {
            writeShort(body, suite);
        }
        body.write(1);
        body.write(0);                                                               // null compression
        writeShort(body, extensions.size());
        body.writeBytes(extensions.toByteArray());
        return body.toByteArray();
    }

    /** The device's chain as a TLS 1.2 certificate_list. */
    static byte[] certificateList(X509Certificate[] chain) throws IOException {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (X509Certificate certificate : chain) {
            byte[] der;
            try {
                der = certificate.getEncoded();
            } catch (CertificateEncodingException e) {
                throw new IOException("the device certificate cannot be encoded", e);
            }
            writeUint24(list, der.length);
            list.writeBytes(der);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeUint24(body, list.size());
        body.writeBytes(list.toByteArray());
        return body.toByteArray();
    }

    /**
     * Reads the server's first flight up to its ServerHelloDone, noting the version, the ServerHello's extensions, the
     * chain's sizes and a CertificateRequest; returns null when the flight completed, else what ended it.
     */
    static String readFirstFlight(DataInputStream in, FidelityProbe.Observed seen) throws IOException {
        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        int consumed = 0;
        while (true) {
            Record record = readRecord(in);
            if (record == null) {
                return "closed";
            }
            int type = record.type();
            byte[] fragment = record.fragment();
            if (type == 21) {
                return "alert:" + AlertDescription.getName(fragment[1]);
            }
            if (type != 22) {
                return "unexpected record " + type;
            }
            handshake.writeBytes(fragment);
            byte[] messages = handshake.toByteArray();
            while (consumed + 4 <= messages.length) {
                int messageType = messages[consumed] & 0xff;
                int length = ((messages[consumed + 1] & 0xff) << 16) | ((messages[consumed + 2] & 0xff) << 8)
                        | (messages[consumed + 3] & 0xff);
                if (consumed + 4 + length > messages.length) {
                    break;
                }
                note(seen, messageType, messages, consumed + 4, length);
                consumed += 4 + length;
                if (messageType == SERVER_HELLO_DONE) {
                    return null;
                }
            }
        }
    }

    private static void note(FidelityProbe.Observed seen, int type, byte[] messages, int offset, int length) {
        if (type == SERVER_HELLO) {
            int version = ((messages[offset] & 0xff) << 8) | (messages[offset + 1] & 0xff);
            seen.version = version == 0x0303 ? "TLS 1.2" : String.format("0x%04x", version);
            int at = offset + 2 + 32;
            at += 1 + (messages[at] & 0xff);                                         // session ID
            at += 3;                                                                 // suite, compression
            int end = offset + length;
            if (at + 2 <= end) {
                at += 2;
                while (at + 4 <= end) {
                    int extension = ((messages[at] & 0xff) << 8) | (messages[at + 1] & 0xff);
                    int size = ((messages[at + 2] & 0xff) << 8) | (messages[at + 3] & 0xff);
                    seen.serverExtensions.add(ExtensionType.getName(extension));
                    at += 4 + size;
                }
            }
        } else if (type == CERTIFICATE) {
            List<Integer> sizes = new ArrayList<>();
            for (int at = offset + 3; at + 3 <= offset + length; ) {
                int size = ((messages[at] & 0xff) << 16) | ((messages[at + 1] & 0xff) << 8) | (messages[at + 2] & 0xff);
                sizes.add(size);
                at += 3 + size;
            }
            seen.chain = sizes;
        } else if (type == CERTIFICATE_REQUEST) {
            seen.certificateRequest = true;
        }
    }

    /** What the server did with the unasked-for Certificate: its alert, a close, or nothing. */
    static String readAnswer(DataInputStream in) throws IOException {
        try {
            int type = in.readUnsignedByte();
            in.readUnsignedShort();
            byte[] fragment = new byte[in.readUnsignedShort()];
            in.readFully(fragment);
            return type == 21 ? "alert:" + AlertDescription.getName(fragment[1]) : "answered with record " + type;
        } catch (EOFException e) {
            return "closed";
        }
    }

    /** One TLS record as it came: its content type and fragment. */
    public record Record(int type, byte[] fragment) {
    }

    /** The next TLS record from the peer, or null when it closed the connection (end of stream). */
    public static Record readRecord(DataInputStream in) throws IOException {
        try {
            int type = in.readUnsignedByte();
            in.readUnsignedShort();
            byte[] fragment = new byte[in.readUnsignedShort()];
            in.readFully(fragment);
            return new Record(type, fragment);
        } catch (EOFException closed) {
            return null;
        }
    }

    /** server_name's extension data (RFC 6066 section 3): a list with the host as its one host_name. */
    public static byte[] serverNameData(String host) {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeShort(out, name.length + 3);
        out.write(0);
        writeShort(out, name.length);
        out.writeBytes(name);
        return out.toByteArray();
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] data) {
        writeShort(out, type);
        writeShort(out, data.length);
        out.writeBytes(data);
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write((value >>> 8) & 0xff);
        out.write(value & 0xff);
    }

    private static void writeUint24(ByteArrayOutputStream out, int value) {
        out.write((value >>> 16) & 0xff);
        out.write((value >>> 8) & 0xff);
        out.write(value & 0xff);
    }
}
