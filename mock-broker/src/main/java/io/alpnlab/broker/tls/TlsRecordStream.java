package io.alpnlab.broker.tls;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one direction of a TLS byte stream into records (5-byte header: type, version, length)
 * as the bytes arrive, however TCP cut them. Used to count what crossed the wire and to find the
 * plaintext records the broker observes (the ClientHello) or reshapes (misbehaviours).
 */
final class TlsRecordStream {

    static final int HEADER_LENGTH = 5;
    /** RFC 8446 5.2: a ciphertext record is at most 2^14 + 256 bytes. */
    static final int MAX_RECORD_LENGTH = (1 << 14) + 256;

    static final int CHANGE_CIPHER_SPEC = 20;
    static final int ALERT = 21;
    static final int HANDSHAKE = 22;
    static final int APPLICATION_DATA = 23;

    /** One whole record: its content type, its header's version, and its fragment. */
    record TlsRecord(int type, int version, byte[] fragment) {
        int wireLength() {
            return HEADER_LENGTH + fragment.length;
        }

        byte[] toBytes() {
            byte[] bytes = new byte[wireLength()];
            bytes[0] = (byte) type;
            bytes[1] = (byte) (version >> 8);
            bytes[2] = (byte) version;
            bytes[3] = (byte) (fragment.length >> 8);
            bytes[4] = (byte) fragment.length;
            System.arraycopy(fragment, 0, bytes, HEADER_LENGTH, fragment.length);
            return bytes;
        }
    }

    /** Thrown when the stream is not TLS: the message says what the first bytes looked like. */
    static final class NotTlsException extends Exception {
        private static final long serialVersionUID = 1L;

        NotTlsException(String message) {
            super(message);
        }
    }

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long records;
    private long bytes;

    /** Adds bytes and returns the records they completed. */
    List<TlsRecord> offer(byte[] data, int offset, int length) throws NotTlsException {
        pending.write(data, offset, length);
        bytes += length;
        List<TlsRecord> complete = new ArrayList<>();
        byte[] buffer = pending.toByteArray();
        int position = 0;
        while (buffer.length - position >= HEADER_LENGTH) {
            int type = buffer[position] & 0xFF;
            int version = ((buffer[position + 1] & 0xFF) << 8) | (buffer[position + 2] & 0xFF);
            int fragmentLength = ((buffer[position + 3] & 0xFF) << 8) | (buffer[position + 4] & 0xFF);
            if (type < CHANGE_CIPHER_SPEC || type > 24 || (version >> 8) != 3) {
                throw new NotTlsException(describeNonTls(buffer, position));
            }
            if (fragmentLength > MAX_RECORD_LENGTH) {
                throw new NotTlsException("record of " + fragmentLength + " bytes exceeds the TLS maximum of "
                        + MAX_RECORD_LENGTH);
            }
            if (buffer.length - position < HEADER_LENGTH + fragmentLength) {
                break;
            }
            byte[] fragment = new byte[fragmentLength];
            System.arraycopy(buffer, position + HEADER_LENGTH, fragment, 0, fragmentLength);
            complete.add(new TlsRecord(type, version, fragment));
            records++;
            position += HEADER_LENGTH + fragmentLength;
        }
        pending.reset();
        pending.write(buffer, position, buffer.length - position);
        return complete;
    }

    long records() {
        return records;
    }

    long bytes() {
        return bytes;
    }

    /** Bytes received that do not yet form a whole record. */
    int pendingBytes() {
        return pending.size();
    }

    private static String describeNonTls(byte[] buffer, int position) {
        int first = buffer[position] & 0xFF;
        StringBuilder hex = new StringBuilder();
        for (int i = position; i < Math.min(buffer.length, position + 8); i++) {
            hex.append(String.format("%02x ", buffer[i] & 0xFF));
        }
        String guess = first == 0x10 ? " (looks like a plain MQTT CONNECT: the client did not start TLS)"
                : first == 'G' || first == 'P' ? " (looks like plain HTTP: the client did not start TLS)" : "";
        return "not a TLS record: first bytes " + hex.toString().trim() + guess;
    }
}
