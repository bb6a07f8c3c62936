package io.alpnlab.broker.mqtt;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.testing.HandlerHarness;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;

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

    private static final MqttBackend NOWHERE = new MqttBackend() {
        @Override
        public InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", 9);
        }

        @Override
        public String describe() {
            return "stand-in";
        }

        @Override
        public void close() {
        }
    };

    private BackendConnection.Listener listener;

    private EmbeddedChannel connection(HandlerHarness harness) {
        // As the TLS layer does before MQTT starts: an accepted connection has its verdict from here on.
        harness.observation.handshakeCompleted("TLS 1.3", 0x1301, "x-amzn-mqtt-ca", Rule.TLS_ALPN_01);
        MqttLayer layer = new MqttLayer(harness.broker, NOWHERE, INTERNAL.next(), Duration.ofHours(1),
                (loop, clientId, clean, backendListener) -> {
                    listener = backendListener;
                    return new BackendLink() {
                        @Override
                        public void send(MqttMessage message) {
                            ReferenceCountUtil.release(message);
                        }

                        @Override
                        public void close() {
                        }
                    };
                });
        RegisteredDevice device = new RegisteredDevice("a".repeat(64), DeviceStatus.ACTIVE, "thing-1", DevicePolicy.ALLOW_ALL);
        TlsEstablished established = new TlsEstablished(Application.MQTT_X509, "x-amzn-mqtt-ca", null, device, null,
                Misbehaviours.NONE, harness.observation, 0x0304, 0x1301);
        return new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                layer.install(ctx, established);
            }
        });
    }

    @FuzzTest(maxDuration = "30s")
    void any_bytes_from_the_first_byte(byte[] bytes) {
        HandlerHarness harness = new HandlerHarness();
        EmbeddedChannel channel = connection(harness);
        drive(channel, harness, bytes);
    }

    @FuzzTest(maxDuration = "30s")
    void any_bytes_after_an_accepted_connect(byte[] bytes) {
        HandlerHarness harness = new HandlerHarness();
        EmbeddedChannel channel = connection(harness);
        channel.writeInbound(Unpooled.wrappedBuffer(CONNECT));
        if (listener != null) {
            listener.fromBackend(MqttMessageBuilders.connAck().returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED)
                    .sessionPresent(false).build());
        }
        drive(channel, harness, bytes);
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
