package io.alpnlab.broker.capture;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A pcapng file (draft-ietf-opsawg-pcapng) of one TCP connection rebuilt around the bytes its two ends exchanged: a
 * section header, one raw-IP interface, and an enhanced packet per segment, with the three-way handshake first and
 * FINs last, sequence and acknowledgement numbers consistent, so that Wireshark reassembles the stream and dissects
 * TLS and, with the key log, MQTT. Checksums are left zero (Wireshark does not check them unless asked). A few dozen
 * lines of block layout, written here rather than through a capture library, which would need libpcap and a device.
 */
final class Pcapng {

    /** LINKTYPE_RAW: each packet starts with its IPv4 or IPv6 header. */
    private static final int LINKTYPE_RAW = 101;
    /** Payload per segment: an IPv4 packet's total length is 16 bits. */
    private static final int MAX_SEGMENT = 65_000;
    private static final int CLIENT_ISN = 1_000;
    private static final int SERVER_ISN = 500_000;

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final InetSocketAddress client;
    private final InetSocketAddress server;
    private final boolean ipv4;
    private long clientSeq = CLIENT_ISN;
    private long serverSeq = SERVER_ISN;

    Pcapng(InetSocketAddress client, InetSocketAddress server) {
        this.client = client;
        this.server = server;
        this.ipv4 = client.getAddress() instanceof Inet4Address && server.getAddress() instanceof Inet4Address;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** Section header with a comment, and the one interface. */
    void section(String comment) {
        byte[] text = comment.getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = buffer(16 + option(text.length) + 4);
        body.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1);
        putOption(body, 1, text); // opt_comment
        body.putInt(0); // opt_endofopt
        block(0x0A0D0D0A, body);
        ByteBuffer interfaceBody = buffer(8);
        interfaceBody.putShort((short) LINKTYPE_RAW).putShort((short) 0).putInt(0); // snaplen 0: no limit
        block(0x00000001, interfaceBody); // microsecond timestamps: the default resolution
    }

    /** The three-way handshake, at the time the broker accepted the connection. */
    void open(long micros) {
        clientSeq = CLIENT_ISN;
        serverSeq = SERVER_ISN;
        packet(true, micros, SYN, clientSeq, 0, new byte[0]);
        clientSeq++;
        packet(false, micros, SYN | ACK, serverSeq, clientSeq, new byte[0]);
        serverSeq++;
        packet(true, micros, ACK, clientSeq, serverSeq, new byte[0]);
    }

    void data(boolean fromClient, long micros, byte[] bytes) {
        for (int offset = 0; offset < bytes.length; offset += MAX_SEGMENT) {
            byte[] segment = java.util.Arrays.copyOfRange(bytes, offset, Math.min(bytes.length, offset + MAX_SEGMENT));
            if (fromClient) {
                packet(true, micros, PSH | ACK, clientSeq, serverSeq, segment);
                clientSeq += segment.length;
            } else {
                packet(false, micros, PSH | ACK, serverSeq, clientSeq, segment);
                serverSeq += segment.length;
            }
        }
    }

    /** Both FINs and the last ACK, when the connection closed. */
    void close(long micros) {
        packet(false, micros, FIN | ACK, serverSeq, clientSeq, new byte[0]);
        serverSeq++;
        packet(true, micros, FIN | ACK, clientSeq, serverSeq, new byte[0]);
        clientSeq++;
        packet(false, micros, ACK, serverSeq, clientSeq, new byte[0]);
    }

    private void packet(boolean fromClient, long micros, int flags, long seq, long ack, byte[] payload) {
        InetSocketAddress source = fromClient ? client : server;
        InetSocketAddress destination = fromClient ? server : client;
        int ipHeader = ipv4 ? 20 : 40;
        ByteBuffer packet = ByteBuffer.allocate(ipHeader + 20 + payload.length).order(ByteOrder.BIG_ENDIAN);
        if (ipv4) {
            packet.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 20 + payload.length)).putShort((short) 0)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(source.getAddress().getAddress()).put(destination.getAddress().getAddress());
            packet.putShort(10, ipv4Checksum(packet.array()));
        } else {
            packet.putInt(0x60000000).putShort((short) (20 + payload.length)).put((byte) 6).put((byte) 64)
                    .put(sixteenBytes(source)).put(sixteenBytes(destination));
        }
        packet.putShort((short) source.getPort()).putShort((short) destination.getPort()).putInt((int) seq).putInt((int) ack)
                .put((byte) 0x50).put((byte) flags).putShort((short) 0xFFFF).putShort((short) 0).putShort((short) 0)
                .put(payload);
        byte[] data = packet.array();
        ByteBuffer body = buffer(20 + padded(data.length));
        body.putInt(0).putInt((int) (micros >>> 32)).putInt((int) micros).putInt(data.length).putInt(data.length).put(data);
        body.position(20 + padded(data.length));
        block(0x00000006, body);
    }

    private static byte[] sixteenBytes(InetSocketAddress address) {
        byte[] raw = address.getAddress().getAddress();
        if (raw.length == 16) {
            return raw;
        }
        byte[] mapped = new byte[16]; // an IPv4 end on an IPv6 connection: ::ffff:a.b.c.d
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }

    private static short ipv4Checksum(byte[] packet) {
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((packet[i] & 0xff) << 8) | (packet[i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }

    private static int padded(int length) {
        return (length + 3) & ~3;
    }

    private static int option(int length) {
        return 4 + padded(length);
    }

    private static void putOption(ByteBuffer body, int code, byte[] value) {
        body.putShort((short) code).putShort((short) value.length).put(value);
        body.position(body.position() + padded(value.length) - value.length);
    }

    private static ByteBuffer buffer(int length) {
        return ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A block: type, total length, body, total length again. */
    private void block(int type, ByteBuffer body) {
        int length = 12 + body.capacity();
        ByteBuffer block = buffer(length);
        block.putInt(type).putInt(length).put(body.array()).putInt(length);
        out.writeBytes(block.array());
    }
}
