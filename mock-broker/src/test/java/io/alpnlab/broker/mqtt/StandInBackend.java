package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.broker.testing.HandlerHarness;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The MQTT handlers driven without a back end, for MqttHandlersTest and MqttPathFuzzTest: a stand-in
 * that keeps (or hands to the test) what the front door sends it and remembers the listener of the last
 * link opened, so the test answers for the back end; and an EmbeddedChannel with MQTT installed for a
 * registered device, as the TLS layer would hand it over.
 */
final class StandInBackend {

    /**
     * The broker's own links (lifecycle events, session purges) go nowhere and open no socket: a fuzzer
     * making thousands of connections a second exhausted file descriptors with connection attempts.
     */
    private static final BackendLink NOWHERE_LINK = new BackendLink() {
        @Override
        public void send(MqttMessage message) {
            ReferenceCountUtil.release(message);
        }

        @Override
        public void close() {
        }
    };

    /** The back end the layer describes; nothing connects to it. */
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

    final List<String> opened = new ArrayList<>();
    private final Consumer<MqttMessage> sent;
    BackendConnection.Listener listener;

    /** @param sent what the front door sends the back end goes here (to keep, or to release) */
    StandInBackend(Consumer<MqttMessage> sent) {
        this.sent = sent;
    }

    /** A connection whose TLS handshake is done, with MQTT installed and the encoder taken out, so the test reads packets. */
    EmbeddedChannel connection(HandlerHarness harness, EventLoop internalLoop, Misbehaviours misbehaviours) {
        MqttLayer layer = new MqttLayer(harness.broker, NOWHERE, internalLoop, Duration.ofHours(1),
                (EventLoop loop, String clientId, boolean clean, BackendConnection.Listener backendListener) -> {
                    opened.add(clientId);
                    listener = backendListener;
                    return new BackendLink() {
                        @Override
                        public void send(MqttMessage message) {
                            sent.accept(message);
                        }

                        @Override
                        public void close() {
                        }
                    };
                }, (EventLoop loop, String clientId, boolean clean, BackendConnection.Listener internal) -> NOWHERE_LINK);
        RegisteredDevice device = new RegisteredDevice("a".repeat(64), DeviceStatus.ACTIVE, "thing-1", DevicePolicy.ALLOW_ALL);
        TlsEstablished established = new TlsEstablished(Application.MQTT_X509, "x-amzn-mqtt-ca", null, device, null,
                misbehaviours, harness.observation, 0x0304, 0x1301);
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                layer.install(ctx, established);
            }
        });
        channel.pipeline().remove(MqttLayer.ENCODER_NAME);
        return channel;
    }
}
