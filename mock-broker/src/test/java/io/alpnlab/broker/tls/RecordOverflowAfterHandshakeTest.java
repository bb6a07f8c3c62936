package io.alpnlab.broker.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.SharedBrokerTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.junit.jupiter.api.Test;

/**
 * RFC 8446 section 5.2: a record longer than 2^14 + 256 bytes of ciphertext ends the session with
 * record_overflow, also after the handshake. A Bouncy Castle client completes a real handshake, then
 * writes an oversized record header and body straight to the socket; the server's alert arrives
 * encrypted, and the client's own TLS stack must read it as record_overflow.
 */
class RecordOverflowAfterHandshakeTest extends SharedBrokerTest {

    @Test
    void an_oversized_record_after_the_handshake_gets_record_overflow_and_a_recorded_rule() throws Exception {
        BcTestClient client = new BcTestClient(BrokerFixture.ENDPOINT, List.of());
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), fixture.port(ListenerRole.MULTIPLEX_443))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[32_768];
            while (!client.isConnected()) {
                send(out, client.output());
                int read = in.read(buffer);
                assertTrue(read > 0, "the server closed during the handshake");
                client.offer(Unpooled.wrappedBuffer(buffer, 0, read).copy());
            }
            send(out, client.output());
            // Application data record (23), TLS 1.2 record version, 2^14 + 2048 + 1 bytes: over every limit.
            int length = (1 << 14) + 2048 + 1;
            byte[] record = new byte[5 + length];
            record[0] = 23;
            record[1] = 3;
            record[2] = 3;
            record[3] = (byte) (length >> 8);
            record[4] = (byte) length;
            out.write(record);
            out.flush();
            IOException failure = null;
            try {
                for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
                    client.offer(Unpooled.wrappedBuffer(buffer, 0, read).copy());
                }
            } catch (IOException e) {
                failure = e;
            }
            TlsFatalAlertReceived alert = assertInstanceOf(TlsFatalAlertReceived.class, failure, "the client read an alert");
            assertEquals(AlertDescription.record_overflow, alert.getAlertDescription());
        }
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertTrue(record.checks().stream().anyMatch(check -> check.rule() == io.alpnlab.broker.rules.Rule.TLS_HS_02 && check.outcome() == Outcome.FAIL
                && check.detail().contains("record_overflow")), record.checks().toString());
    }

    private static void send(OutputStream out, ByteBuf bytes) throws IOException {
        byte[] array = new byte[bytes.readableBytes()];
        bytes.readBytes(array);
        bytes.release();
        out.write(array);
        out.flush();
    }
}
