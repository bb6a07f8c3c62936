package io.alpnlab.broker.tls;

import io.netty.buffer.ByteBuf;

/**
 * Follows one direction of a TLS byte stream record by record (5-byte header: type, version,
 * length) however TCP cut it, reading only headers and never copying a fragment. It counts whole
 * records, the longest of them, and the first fragment byte of each (the handshake type of a plaintext
 * handshake record), and rejects what is not TLS.
 */
public final class TlsRecordScanner {

    public static final int HEADER_LENGTH = 5;
    /** RFC 8446 5.2: a ciphertext record is at most 2^14 + 256 bytes. */

    static final int CHANGE_CIPHER_SPEC = 20;
    static final int HANDSHAKE = 22;
    private static final int HEARTBEAT = 24;

    /** Told of every record as it completes. */
    public interface RecordListener {
        void record(int type, int length, int firstFragmentByte);
    }

    /** Thrown when the stream is not TLS: the message says what the bytes looked like. */
    public static final class NotTlsException extends Exception {
        private static final long serialVersionUID = 1L;

        NotTlsException(String message) {
            super(message);
        }
    }

    private final byte[] header = new byte[HEADER_LENGTH];
    private int headerFilled;
    private int type;
    private int fragmentLength;
    private int fragmentRemaining;
    private int firstFragmentByte = -1;
    private int largestFragment;

    /** Scans the readable bytes of {@code buffer} without moving its indexes; returns the records completed. */
    public int scan(ByteBuf buffer, RecordListener listener) throws NotTlsException {
        int position = buffer.readerIndex();
        int end = buffer.writerIndex();
        int completed = 0;
        while (position < end) {
            if (headerFilled < HEADER_LENGTH) {
                header[headerFilled++] = buffer.getByte(position++);
                if (headerFilled == HEADER_LENGTH) {
                    startRecord();
                    if (fragmentRemaining == 0) {
                        completed += finishRecord(listener);
                    }
                }
                continue;
            }
            if (firstFragmentByte < 0) {
                firstFragmentByte = buffer.getUnsignedByte(position);
            }
            int step = Math.min(fragmentRemaining, end - position);
            position += step;
            fragmentRemaining -= step;
            if (fragmentRemaining == 0) {
                completed += finishRecord(listener);
            }
        }
        return completed;
    }

    private void startRecord() throws NotTlsException {
        type = header[0] & 0xFF;
        int majorVersion = header[1] & 0xFF;
        fragmentLength = ((header[3] & 0xFF) << 8) | (header[4] & 0xFF);
        if (type < CHANGE_CIPHER_SPEC || type > HEARTBEAT || majorVersion != 3) {
            throw new NotTlsException(describeNonTls(header));
        }
        // A record over TLS's maximum is still TLS: the ClientHello gate or Bouncy Castle answers it with
        // record_overflow, which closing it here as "not TLS" would withhold.
        fragmentRemaining = fragmentLength;
        largestFragment = Math.max(largestFragment, fragmentLength);
        firstFragmentByte = -1;
    }

    private int finishRecord(RecordListener listener) {
        headerFilled = 0;
        if (listener != null) {
            listener.record(type, fragmentLength, firstFragmentByte);
        }
        return 1;
    }

    /** The longest record seen so far, in bytes after its header. */
    int largestFragment() {
        return largestFragment;
    }

    private static String describeNonTls(byte[] header) {
        int first = header[0] & 0xFF;
        StringBuilder hex = new StringBuilder();
        for (byte value : header) {
            hex.append(String.format("%02x ", value & 0xFF));
        }
        String guess = first == 0x10 ? " (looks like a plain MQTT CONNECT: the client did not start TLS)"
                : first == 'G' || first == 'P' ? " (looks like plain HTTP: the client did not start TLS)" : "";
        return "not a TLS record: first bytes " + hex.toString().trim() + guess;
    }
}
