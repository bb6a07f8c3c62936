package io.alpnlab.broker;

import static io.alpnlab.broker.CraftedTlsTest.clientHelloBody;
import static io.alpnlab.broker.CraftedTlsTest.extension;
import static io.alpnlab.broker.CraftedTlsTest.handshake;
import static io.alpnlab.broker.CraftedTlsTest.record;
import static io.alpnlab.broker.CraftedTlsTest.serverNameExtension;
import static io.alpnlab.broker.CraftedTlsTest.writeShort;
import static io.alpnlab.broker.probe.Crafted.serverNameData;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.probe.Crafted;
import io.alpnlab.broker.testing.SharedBrokerTest;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.tls.AlertDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A tool that judges clients by the TLS RFCs answers bad input as the RFCs say: each row is crafted
 * bytes, the fatal alert the broker must send (RFC 8446 section 6, RFC 5246 section 7.2.2, RFC 6066,
 * RFC 7301) and the rule its record must name. Before this, such input was closed without any alert,
 * answered with the undefined description 255, or recorded as "no SNI". A key share the RFCs forbid
 * is the client's fault and gets illegal_parameter (it was internal_error, or accepted in compressed
 * form); it is recorded under TLS-HS-03, the handshake's catch-all, with the reason in the detail.
 */
class MalformedInputAlertsTest extends SharedBrokerTest {

    private static final byte[] HOST = E.getBytes(StandardCharsets.US_ASCII);

    static Stream<Arguments> table() {
        return Stream.of(
                row("an empty ALPN protocol list (RFC 7301 forbids it)", hello(sni(), extension(16, bytes(0, 0))),
                        AlertDescription.decode_error, "TLS-HS-02"),
                row("an ALPN name of length 0", hello(sni(), extension(16, bytes(0, 1, 0))), AlertDescription.decode_error,
                        "TLS-HS-02"),
                row("an empty server_name extension (only a server sends one)", hello(extension(0, new byte[0])),
                        AlertDescription.decode_error, "TLS-HS-02"),
                row("two host_names in server_name (RFC 6066 section 3)", hello(twoHostNames()), AlertDescription.decode_error,
                        "TLS-HS-02"),
                row("server_name with a byte after its list", helloWithServerName(concat(serverNameData(E), bytes(0))),
                        AlertDescription.decode_error, "TLS-HS-02"),
                row("extensions declared longer than the message", truncatedExtensions(), AlertDescription.decode_error,
                        "TLS-HS-02"),
                row("no compression method (the null method is mandatory)", withoutCompressionMethods(),
                        AlertDescription.decode_error, "TLS-HS-02"),
                row("application data before any handshake", record(23, bytes(1, 2, 3)), AlertDescription.unexpected_message,
                        "TLS-HS-02"),
                row("a first record of 2^14 + 100 bytes", record(22, handshake(1, new byte[(1 << 14) + 96])),
                        AlertDescription.record_overflow, "TLS-HS-02"),
                row("a ClientHello of 20,000 bytes in two records", oversizedHelloInTwoRecords(), AlertDescription.illegal_parameter,
                        "TLS-HS-02"),
                row("an X25519 key share of all zeros (RFC 8446 section 7.4.2)", tls13Hello(0x001d, new byte[32]),
                        AlertDescription.illegal_parameter, "TLS-HS-03"),
                row("an X25519 key share of 31 bytes", tls13Hello(0x001d, new byte[31]), AlertDescription.illegal_parameter,
                        "TLS-HS-03"),
                row("a P-256 key share off the curve (RFC 8446 section 4.2.8.2)", tls13Hello(0x0017, offCurveP256()),
                        AlertDescription.illegal_parameter, "TLS-HS-03"),
                row("a P-256 key share in compressed form", tls13Hello(0x0017, concat(bytes(2), new byte[32])),
                        AlertDescription.illegal_parameter, "TLS-HS-03"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void malformed_input_gets_the_rfc_alert_and_a_recorded_rule(String name, byte[] input, short alert, String rule)
            throws Exception {
        List<Integer> alerts = sendAndCollectAlerts(input);
        assertEquals(List.of(2 << 8 | alert), alerts, name + ": one fatal " + AlertDescription.getName(alert)
                + ", nothing else (received " + alerts + ")");
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        if (rule != null) {
            assertEquals(rule, record.verdict().rule(), record.verdict().toString());
        }
        assertEquals(AlertDescription.getName(alert), record.verdict().alert(), record.verdict().toString());
        assertTrue(record.alerts().stream().anyMatch(view -> view.direction().equals("sent")
                && view.description().equals(AlertDescription.getName(alert))), record.alerts().toString());
    }

    /**
     * A client still sending its hello when the broker refuses it from the headers can finish sending and then read
     * its alert, as the broker stops writing but reads (and drops) what comes until the client closes. Closing at once,
     * with the rest of the hello unread, made the kernel answer it with a reset: the client's next write failed, and
     * it never read the alert that names its fault.
     */
    @Test
    void a_client_still_sending_when_refused_finishes_and_reads_its_alert() throws Exception {
        byte[] input = oversizedHelloInTwoRecords();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MQTT_8883))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(input, 0, 64);
            out.flush();
            // Time for the broker to refuse the hello from its headers and answer.
            Thread.sleep(300);
            for (int at = 64; at < input.length; at += 1024) {
                out.write(input, at, Math.min(1024, input.length - at));
                out.flush();
                Thread.sleep(5);
            }
            Crafted.Record record = Crafted.readRecord(new DataInputStream(socket.getInputStream()));
            assertTrue(record != null && record.type() == 21, "an alert record, got " + record);
            assertEquals(2 << 8 | AlertDescription.illegal_parameter, (record.fragment()[0] & 0xFF) << 8
                    | (record.fragment()[1] & 0xFF));
            assertEquals(null, Crafted.readRecord(new DataInputStream(socket.getInputStream())), "then the end of the stream");
        }
        assertEquals("illegal_parameter", fixture.awaitRecord(ListenerRole.MQTT_8883).verdict().alert());
    }

    private static Arguments row(String name, byte[] input, short alert, String rule) {
        return Arguments.of(name, input, alert, rule);
    }

    /** Sends the bytes and reads records until the broker closes: the alerts among them, as level << 8 | description. */
    private List<Integer> sendAndCollectAlerts(byte[] input) throws IOException {
        List<Integer> alerts = new ArrayList<>();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MQTT_8883))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(input);
            socket.getOutputStream().flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            while (true) {
                Crafted.Record record;
                try {
                    record = Crafted.readRecord(in);
                } catch (SocketException reset) {
                    return alerts;
                }
                if (record == null) {
                    return alerts;
                }
                if (record.type() == 21 && record.fragment().length == 2) {
                    alerts.add((record.fragment()[0] & 0xFF) << 8 | (record.fragment()[1] & 0xFF));
                }
            }
        }
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] out = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, out, first.length, second.length);
        return out;
    }

    private static byte[] sni() {
        return serverNameExtension(E);
    }

    private static byte[] twoHostNames() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeShort(out, 2 * (HOST.length + 3));
        for (int i = 0; i < 2; i++) {
            out.write(0);
            writeShort(out, HOST.length);
            out.writeBytes(HOST);
        }
        return extension(0, out.toByteArray());
    }

    /** A TLS 1.2 ClientHello (one AWS suite, P-256, RSA PKCS#1 SHA-256) with these extensions first. */
    private static byte[] hello(byte[]... extensions) {
        return record(22, handshake(1, helloBody(extensions)));
    }

    /** As {@link #hello(byte[]...)}, with the server_name extension's content given raw (for malformed contents). */
    private static byte[] helloWithServerName(byte[] serverNameData) {
        return hello(extension(0, serverNameData));
    }

    private static byte[] helloBody(byte[]... first) {
        byte[][] extensions = Arrays.copyOf(first, first.length + 3);
        extensions[first.length] = extension(10, bytes(0, 2, 0, 0x17));
        extensions[first.length + 1] = extension(11, bytes(1, 0));
        extensions[first.length + 2] = extension(13, bytes(0, 2, 4, 1));
        return clientHelloBody(new int[] {0xc02f}, extensions);
    }

    /** A TLS 1.3 ClientHello (TLS_AES_128_GCM_SHA256, RSA-PSS) with SNI and one key share in the given group. */
    private static byte[] tls13Hello(int group, byte[] keyExchange) {
        ByteArrayOutputStream share = new ByteArrayOutputStream();
        writeShort(share, keyExchange.length + 4);
        writeShort(share, group);
        writeShort(share, keyExchange.length);
        share.writeBytes(keyExchange);
        return record(22, handshake(1, clientHelloBody(new int[] {0x1301}, sni(), extension(43, bytes(2, 3, 4)),
                extension(10, bytes(0, 2, group >> 8, group & 0xFF)), extension(13, bytes(0, 2, 8, 4)),
                extension(51, share.toByteArray()))));
    }

    /** An uncompressed P-256 point (x = 1, y = 1) that is not on the curve. */
    private static byte[] offCurveP256() {
        byte[] point = new byte[65];
        point[0] = 4;
        point[32] = 1;
        point[64] = 1;
        return point;
    }

    private static byte[] truncatedExtensions() {
        byte[] body = helloBody(sni());
        int extensionsLengthAt = 2 + 32 + 1 + 2 + 2 + 1 + 1;
        int declared = ((body[extensionsLengthAt] & 0xFF) << 8 | (body[extensionsLengthAt + 1] & 0xFF)) + 10;
        body[extensionsLengthAt] = (byte) (declared >> 8);
        body[extensionsLengthAt + 1] = (byte) declared;
        return record(22, handshake(1, body));
    }

    private static byte[] withoutCompressionMethods() {
        byte[] body = helloBody(sni());
        int compressionAt = 2 + 32 + 1 + 2 + 2;
        byte[] without = new byte[body.length - 1];
        System.arraycopy(body, 0, without, 0, compressionAt);
        without[compressionAt] = 0;
        System.arraycopy(body, compressionAt + 2, without, compressionAt + 1, body.length - compressionAt - 2);
        return record(22, handshake(1, without));
    }

    private static byte[] oversizedHelloInTwoRecords() {
        byte[] message = handshake(1, new byte[20_000 - 4]);
        byte[] first = Arrays.copyOfRange(message, 0, 16_000);
        byte[] second = Arrays.copyOfRange(message, 16_000, message.length);
        return concat(record(22, first), record(22, second));
    }
}
