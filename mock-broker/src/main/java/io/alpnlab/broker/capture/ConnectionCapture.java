package io.alpnlab.broker.capture;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one connection as the broker read and wrote them, with their times, and the TLS secrets of its
 * session: written as a pcapng capture (the TCP connection rebuilt around the bytes, so Wireshark follows it as if
 * captured on the wire) and an NSS key-log file, which together show the decrypted MQTT. The broker makes them from
 * what it already holds, so neither needs privileges nor a capture tool. Bounded: past {@link #MAX_BYTES} the rest
 * of the connection is left out, and the capture says so.
 */
public final class ConnectionCapture {

    /** Enough for any handshake and thousands of MQTT packets; a bulk transfer is cut off, not buffered. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    /** What one read or write carried. */
    record Chunk(boolean fromClient, long micros, byte[] bytes) {
    }

    private final InetSocketAddress client;
    private final InetSocketAddress server;
    private final long openedMicros;
    private final List<Chunk> chunks = new ArrayList<>();
    private final KeyLog keyLog = new KeyLog();
    private long bytes;
    private boolean truncated;
    private long closedMicros = -1;

    public ConnectionCapture(InetSocketAddress client, InetSocketAddress server) {
        this.client = client;
        this.server = server;
        this.openedMicros = nowMicros();
    }

    private static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    public KeyLog keyLog() {
        return keyLog;
    }

    /** Bytes the client sent (read before TLS sees them). */
    public void fromClient(ByteBuf buffer) {
        add(true, buffer);
    }

    /** Bytes the broker sent (as written to the socket). */
    public void toClient(ByteBuf buffer) {
        add(false, buffer);
    }

    private synchronized void add(boolean fromClient, ByteBuf buffer) {
        int length = buffer.readableBytes();
        if (length == 0 || truncated) {
            return;
        }
        if (bytes + length > MAX_BYTES) {
            truncated = true;
            return;
        }
        byte[] copy = new byte[length];
        buffer.getBytes(buffer.readerIndex(), copy);
        chunks.add(new Chunk(fromClient, nowMicros(), copy));
        bytes += length;
    }

    public synchronized void closed() {
        if (closedMicros < 0) {
            closedMicros = nowMicros();
        }
    }

    /**
     * The ClientHello's random, which keys every key-log line; null when the client sent no ClientHello Bouncy Castle
     * could have answered (then there are no secrets either).
     */
    synchronized byte[] clientRandom() {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        chunks.stream().filter(Chunk::fromClient).forEach(chunk -> client.writeBytes(chunk.bytes()));
        byte[] stream = client.toByteArray();
        // The handshake message may span records: join the handshake records' fragments until the random is in.
        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        for (int at = 0; at + 5 <= stream.length && handshake.size() < 38; ) {
            int length = ((stream[at + 3] & 0xff) << 8) | (stream[at + 4] & 0xff);
            if (stream[at] != 22 || at + 5 + length > stream.length) {
                break;
            }
            handshake.write(stream, at + 5, length);
            at += 5 + length;
        }
        byte[] message = handshake.toByteArray();
        if (message.length < 38 || message[0] != 1) {
            return null;
        }
        // type (1), length (3), legacy_version (2), then the 32-byte random.
        return java.util.Arrays.copyOfRange(message, 6, 38);
    }

    /** Writes the capture as pcapng. */
    public synchronized void writePcapng(Path file) throws IOException {
        Pcapng pcapng = new Pcapng(client, server);
        pcapng.section("alpnlab mock broker: one test connection, " + client + " -> " + server
                + (truncated ? "; cut off after " + MAX_BYTES + " bytes" : ""));
        pcapng.open(openedMicros);
        for (Chunk chunk : chunks) {
            pcapng.data(chunk.fromClient(), chunk.micros(), chunk.bytes());
        }
        if (closedMicros >= 0) {
            pcapng.close(closedMicros);
        }
        Files.write(file, pcapng.bytes());
    }

    /**
     * Writes the key-log file (owner-only: these are session secrets, if only of test sessions) and returns whether
     * there was anything to write: a connection refused before its keys were made has none.
     */
    public synchronized boolean writeKeyLog(Path file) throws IOException {
        byte[] random = clientRandom();
        if (random == null || keyLog.isEmpty()) {
            return false;
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, keyLog.text(random), StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        return true;
    }
}
