package io.alpnlab.broker;

import static io.alpnlab.broker.testing.Openssl.concat;
import static io.alpnlab.broker.testing.Openssl.device;
import static io.alpnlab.broker.testing.Openssl.sClient;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.SharedBrokerTest;
import io.alpnlab.testing.RealPeer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.cert.CertificateEncodingException;
import org.junit.jupiter.api.Test;

/**
 * Byte-level crafted TLS messages, for what no well-behaved client will do: a Certificate nobody
 * asked for, half a ClientHello, a malformed one, plain MQTT on a TLS port. The one place in the
 * project where TLS bytes are written by hand, on purpose.
 */
class CraftedTlsTest extends SharedBrokerTest {

    /** A minimal, valid TLS 1.2 ClientHello with SNI and no ALPN, offering one suite BC and AWS both have. */
    static byte[] clientHelloTls12() {
        return record(22, handshake(1, clientHelloBody(new int[] {0xc02f}, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                serverNameExtension(E),
                extension(0x000a, new byte[] {0, 2, 0, 0x17}),  // supported_groups: secp256r1
                extension(0x000b, new byte[] {1, 0}),           // ec_point_formats: uncompressed
                extension(0x000d, new byte[] {0, 2, 4, 1}))));  // signature_algorithms: rsa_pkcs1_sha256
    }

    /**
     * A ClientHello's body as the crafted tests need it: client_version TLS 1.2, a random of zeros (fine
     * for these tests), no session ID, these suites, the null compression method, these extensions in order.
     */
    static byte[] clientHelloBody(int[] suites, byte[]... extensions) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] extension : extensions) {
            all.writeBytes(extension);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeShort(body, 0x0303);
        body.writeBytes(new byte[32]);
        body.write(0);
        writeShort(body, suites.length * 2);
        for (int suite : suites) {
            writeShort(body, suite);
        }
        body.write(1);
        body.write(0);
        writeShort(body, all.size());
        body.writeBytes(all.toByteArray());
        return body.toByteArray();
    }

    /** An extension: type, length, data. */
    static byte[] extension(int type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeShort(out, type);
        writeShort(out, data.length);
        out.writeBytes(data);
        return out.toByteArray();
    }


    static byte[] serverNameExtension(String host) {
        return extension(0x0000, io.alpnlab.broker.probe.Crafted.serverNameData(host));
    }

    static byte[] handshake(int type, byte[] body) {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        message.write(type);                      // msg_type
        message.write(body.length >> 16);         // length, 24 bits
        writeShort(message, body.length & 0xFFFF);
        message.writeBytes(body);
        return message.toByteArray();
    }

    static byte[] record(int contentType, byte[] fragment) {
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(contentType);                // ContentType
        writeShort(record, 0x0303);               // legacy_record_version
        writeShort(record, fragment.length);      // length
        record.writeBytes(fragment);
        return record.toByteArray();
    }

    static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }

    /** Reads whole records until one of the given handshake type (or an alert) arrives; returns that record's type. */
    static int readUntilHandshake(DataInputStream in, int handshakeType) throws IOException {
        while (true) {
            int type = in.readUnsignedByte();
            in.readUnsignedShort();
            byte[] fragment = new byte[in.readUnsignedShort()];
            in.readFully(fragment);
            if (type != 22) {
                return type;
            }
            for (int offset = 0; offset + 4 <= fragment.length;) {
                int messageType = fragment[offset] & 0xFF;
                int length = ((fragment[offset + 1] & 0xFF) << 16) | ((fragment[offset + 2] & 0xFF) << 8) | (fragment[offset + 3] & 0xFF);
                if (messageType == handshakeType) {
                    return 22;
                }
                offset += 4 + length;
            }
        }
    }

    @Test
    void unsolicited_client_certificate_gets_a_fatal_unexpected_message_alert_named_by_its_rule() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MULTIPLEX_443))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            out.write(clientHelloTls12());
            assertEquals(22, readUntilHandshake(in, 14), "the server's flight ends with ServerHelloDone (type 14)");

            // Certificate (type 11) though no CertificateRequest came: certificate_list with the device certificate.
            byte[] der = certificate();
            ByteArrayOutputStream list = new ByteArrayOutputStream();
            list.write(0);                                   // certificate_list length, 24 bits
            writeShort(list, der.length + 3);
            list.write(0);                                   // this certificate's length, 24 bits
            writeShort(list, der.length);
            list.writeBytes(der);
            out.write(record(22, handshake(11, list.toByteArray())));

            byte[] alert = new byte[7];
            in.readFully(alert);
            // Alert record: type 21, version 3.3, length 2, level fatal (2), description unexpected_message (10).
            assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, 10}, alert);
        }
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals(Verdict.Kind.REFUSED, record.verdict().outcome());
        assertEquals("TLS-CERT-01", record.verdict().rule());
        assertEquals("unexpected_message", record.verdict().alert());
        assertEquals(false, record.server().certificateRequestSent());
    }

    private static byte[] certificate() throws CertificateEncodingException {
        return BrokerFixture.pki().device().leaf().getEncoded();
    }

    @Test
    void stalled_client_is_closed_after_the_handshake_timeout_while_others_keep_connecting() throws Exception {
        byte[] hello = clientHelloTls12();
        try (Socket stalled = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MQTT_8883))) {
            stalled.getOutputStream().write(hello, 0, hello.length / 2);
            stalled.getOutputStream().flush();
            long start = System.nanoTime();

            RealPeer.Result other = sClient(fixture.port(ListenerRole.MQTT_8883),
                    concat(new String[] {"-servername", E, "-verify_return_error"}, device("device")));
            assertTrue(other.stdout().contains("Verify return code: 0 (ok)"), other.toString());
            long otherDone = System.nanoTime();

            stalled.setSoTimeout(15_000);
            assertEquals(-1, stalled.getInputStream().read(), "the broker closes the stalled connection");
            long closedAfterMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(otherDone < start + 3_000_000_000L, "the other client finished before the stalled one timed out");
            assertTrue(closedAfterMillis >= 2_500, "closed after " + closedAfterMillis + " ms, the timeout is 3 s");
        }
        ConnectionRecord record = fixture.awaitRecord(r -> "TLS-HS-01".equals(r.verdict().rule()));
        assertEquals(Verdict.Kind.REFUSED, record.verdict().outcome());
        assertTrue(record.verdict().detail().contains("ClientHello not complete"), record.verdict().detail());
    }

    @Test
    void plain_mqtt_on_a_tls_port_is_refused_with_a_hint() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MQTT_8883))) {
            socket.setSoTimeout(10_000);
            // MQTT 3.1.1 CONNECT: fixed header 0x10, remaining length 16, "MQTT", level 4, flags 2, keep-alive 60, ID "x".
            socket.getOutputStream().write(new byte[] {0x10, 16, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'x', 0, 0, 0});
            assertEquals(-1, socket.getInputStream().read());
        }
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-HS-02", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("looks like a plain MQTT CONNECT"), record.verdict().detail());
    }

    @Test
    void malformed_client_hello_is_closed_with_the_reason_recorded_and_the_broker_keeps_serving() throws Exception {
        byte[] hello = clientHelloTls12();
        // Offset 5 (record header) + 4 (handshake header) + 2 (version) + 32 (random) + 1 (session id) is the
        // cipher_suites length: make it odd, which no valid ClientHello can have.
        hello[5 + 4 + 2 + 32 + 1 + 1] = 3;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MQTT_8883))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(hello);
            // decode_error (50), as a plaintext record: Bouncy Castle itself writes nothing before a hello it can parse.
            InputStream in = socket.getInputStream();
            assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, 50}, in.readNBytes(7));
            assertEquals(-1, in.read());
        }
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-HS-02", record.verdict().rule());
        assertTrue(record.clientHello().error().contains("cipher_suites length 3"), record.clientHello().error());
        assertEquals("decode_error", record.verdict().alert());
        assertTrue(record.alerts().stream().anyMatch(alert -> alert.direction().equals("sent")
                && alert.description().equals("decode_error")), record.alerts().toString());

        RealPeer.Result next = sClient(fixture.port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error"}, device("device")));
        assertTrue(next.stdout().contains("Verify return code: 0 (ok)"), next.toString());
    }

    @Test
    void oversized_client_hello_is_closed_from_its_header_without_waiting_for_the_body() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MQTT_8883))) {
            socket.setSoTimeout(10_000);
            // A handshake header announcing a 100,000-byte ClientHello; the body never needs to come.
            socket.getOutputStream().write(new byte[] {22, 3, 1, 0, 4, 1, 0x01, (byte) 0x86, (byte) 0xa0});
            // illegal_parameter (47), as OpenSSL and BoringSSL answer a handshake message over their limit.
            assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, 47}, socket.getInputStream().readNBytes(7));
            assertEquals(-1, socket.getInputStream().read());
        }
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-HS-02", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("100000 bytes exceeds the limit"), record.verdict().detail());
    }
}
