package io.alpnlab.broker.tls;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.HandlerHarness;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ProtocolVersion;

/**
 * The whole TLS front door (record meter, ClientHello gate, Bouncy Castle, the verdict handler) as
 * production builds it ({@link TlsPipelineInitializer#addFrontDoor}), fuzzed through an
 * EmbeddedChannel: once from the first byte (seeded with real ClientHellos), once after a valid TLS 1.2
 * ClientHello, where the client's second flight (Certificate, ClientKeyExchange, CertificateVerify) is
 * still plaintext the fuzzer can reach. Whatever the bytes: no exception reaches the pipeline's end,
 * every plaintext alert the broker writes is one TLS defines, and a connection the broker closed has
 * a verdict.
 */
class TlsFrontDoorFuzzTest {

    private static final byte[] TLS12_HELLO = tls12ClientHello();

    @FuzzTest(maxDuration = "5s")
    void any_bytes_from_the_first_byte(byte[] bytes) throws Exception {
        drive(bytes, null);
    }

    @FuzzTest(maxDuration = "5s")
    void any_bytes_after_a_valid_tls12_client_hello(byte[] bytes) throws Exception {
        drive(bytes, TLS12_HELLO);
    }

    private static void drive(byte[] bytes, byte[] prefix) throws Exception {
        HandlerHarness harness = new HandlerHarness();
        ConnectionObservation observation = harness.observation;
        EmbeddedChannel channel = new EmbeddedChannel(false, false);
        TlsPipelineInitializer.addFrontDoor(channel.pipeline(), harness.broker, ListenerRole.MULTIPLEX_443, observation,
                Misbehaviours.NONE, new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg); // an application would read here; the front door is what is fuzzed
                    }
                });
        channel.register();
        try {
            if (prefix != null) {
                channel.writeInbound(Unpooled.wrappedBuffer(prefix));
            }
            if (channel.isOpen()) {
                channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            }
            channel.checkException();
            checkAlerts(channel);
            if (!channel.isOpen() && observation.snapshot(false).verdict() == null) {
                throw new AssertionError("the broker closed the connection without a verdict");
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** Reads what the broker wrote as records; a plaintext alert must carry a description TLS defines. */
    private static void checkAlerts(EmbeddedChannel channel) {
        ByteBuf written = Unpooled.buffer();
        for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            written.writeBytes(out);
            out.release();
        }
        boolean encrypted = false;
        while (written.readableBytes() >= 5) {
            int type = written.readUnsignedByte();
            written.skipBytes(2);
            int length = written.readUnsignedShort();
            if (written.readableBytes() < length) {
                throw new AssertionError("the broker wrote a record cut short: " + length + " bytes declared");
            }
            ByteBuf fragment = written.readSlice(length);
            if (type == 20 || type == 23) {
                encrypted = true; // TLS 1.2 after ChangeCipherSpec, or TLS 1.3's encrypted records: alerts are not readable
            }
            if (type == 21 && !encrypted && length == 2) {
                short description = fragment.getUnsignedByte(1);
                if (AlertDescription.getName(description).startsWith("UNKNOWN")) {
                    throw new AssertionError("the broker sent alert description " + description + ", which TLS does not define");
                }
            }
        }
        written.release();
    }

    /** A TLS 1.2-only ClientHello from Bouncy Castle's client, with SNI and x-amzn-mqtt-ca so the broker asks for a certificate. */
    private static byte[] tls12ClientHello() {
        try {
            ByteBuf hello = new BcTestClient(BrokerFixture.ENDPOINT, List.of("x-amzn-mqtt-ca"), ProtocolVersion.TLSv12.only()).output();
            byte[] bytes = ByteBufUtil.getBytes(hello);
            hello.release();
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
