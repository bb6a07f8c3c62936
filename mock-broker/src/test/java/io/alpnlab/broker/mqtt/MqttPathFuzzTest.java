package io.alpnlab.broker.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.testing.HandlerHarness;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The MQTT path behind the front door, fuzzed through an EmbeddedChannel as MqttHandlersTest drives it:
 * the decoder, the connect gate, keep-alive and the relay get any bytes, once from the first byte and
 * once after an accepted CONNECT (the fuzzer's bytes follow a valid one). Whatever the bytes, no
 * exception may reach the end of the pipeline, and a connection the broker closed has a verdict.
 */
class MqttPathFuzzTest {

    private static final NioEventLoopGroup INTERNAL = new NioEventLoopGroup(1);
    /** MQTT 3.1.1 CONNECT, client ID "f", clean session, keep-alive 60. */
    private static final byte[] CONNECT = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'f'};

    private final StandInBackend backend = new StandInBackend(ReferenceCountUtil::release);

    private EmbeddedChannel connection(HandlerHarness harness) {
        // As the TLS layer does before MQTT starts: an accepted connection has its verdict from here on.
        harness.observation.handshakeCompleted("TLS 1.3", 0x1301, "x-amzn-mqtt-ca", Rule.TLS_ALPN_01);
        return backend.connection(harness, INTERNAL.next(), Misbehaviours.NONE);
    }

    @FuzzTest(maxDuration = "5s")
    void any_bytes_from_the_first_byte(byte[] bytes) {
        HandlerHarness harness = new HandlerHarness();
        EmbeddedChannel channel = connection(harness);
        drive(channel, harness, bytes);
    }

    @FuzzTest(maxDuration = "5s")
    void any_bytes_after_an_accepted_connect(byte[] bytes) {
        HandlerHarness harness = new HandlerHarness();
        EmbeddedChannel channel = connection(harness);
        channel.writeInbound(Unpooled.wrappedBuffer(CONNECT));
        if (backend.listener != null) {
            backend.listener.fromBackend(MqttMessageBuilders.connAck().returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED)
                    .sessionPresent(false).build());
        }
        drive(channel, harness, bytes);
    }

    /**
     * The harness itself must not run out of anything in a long run: a fuzzing run died after 129,000
     * executions with "Too many open files", the broker's own lifecycle links having tried a socket to a
     * port nobody listens on for every connection. Their links now go nowhere without a socket.
     */
    @Test
    void the_harness_opens_no_socket_however_many_connections_it_drives() throws Exception {
        byte[] pubrel = {0x62, 0x02, 0x32, 0x62};
        long before = openSockets();
        for (int i = 0; i < 300; i++) {
            any_bytes_after_an_accepted_connect(pubrel);
        }
        Thread.sleep(200);
        assertEquals(before, openSockets(), "sockets open before and after 300 driven connections");
    }

    private static long openSockets() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    private static void drive(EmbeddedChannel channel, HandlerHarness harness, byte[] bytes) {
        if (channel.isOpen()) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        }
        channel.checkException();
        if (!channel.isOpen() && harness.observation.snapshot(false).verdict() == null) {
            throw new AssertionError("the broker closed the connection without a verdict");
        }
        channel.finishAndReleaseAll();
    }
}
