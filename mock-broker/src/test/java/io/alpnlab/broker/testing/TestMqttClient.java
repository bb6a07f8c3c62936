package io.alpnlab.broker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.alpnlab.certs.Credential;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * A packet-level MQTT client over JDK TLS for the broker's MQTT rule tests: it sends exactly what a
 * test says (including what a conforming client never would) and queues every packet received.
 */
public final class TestMqttClient implements AutoCloseable {

    private static final EventLoopGroup GROUP = new NioEventLoopGroup(1);

    private final Channel channel;
    private final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final MqttVersion version;

    private TestMqttClient(Channel channel, MqttVersion version) {
        this.channel = channel;
        this.version = version;
    }

    /** Opens TLS to the endpoint on 127.0.0.1:port with SNI, the device credential, and the ALPN name if given. */
    public static TestMqttClient open(int port, Credential device, String alpn, MqttVersion version) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient()
                    .trustManager(BrokerFixture.pki().trustedRoots().toArray(X509Certificate[]::new));
            if (device != null) {
                builder.keyManager(device.privateKey(), device.chain().toArray(X509Certificate[]::new));
            }
            if (alpn != null) {
                builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
            }
            SslContext context = builder.build();
            TestMqttClient[] holder = new TestMqttClient[1];
            Bootstrap bootstrap = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            // The peer host is the endpoint name: the JDK sends it as SNI and verifies it.
                            SslHandler ssl = context.newHandler(channel.alloc(), BrokerFixture.ENDPOINT, port);
                            SSLEngine engine = ssl.engine();
                            SSLParameters parameters = engine.getSSLParameters();
                            parameters.setEndpointIdentificationAlgorithm("HTTPS");
                            engine.setSSLParameters(parameters);
                            channel.pipeline().addLast(ssl);
                            channel.pipeline().addLast(new MqttDecoder(1024 * 1024));
                            channel.pipeline().addLast(MqttEncoder.INSTANCE);
                            channel.pipeline().addLast(new SimpleChannelInboundHandler<MqttMessage>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
                                    holder[0].received.add(ReferenceCountUtil.retain(message));
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    holder[0].closed.countDown();
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    });
            Channel channel = bootstrap.connect(InetAddress.getLoopbackAddress(), port).sync().channel();
            holder[0] = new TestMqttClient(channel, version);
            if (!channel.pipeline().get(SslHandler.class).handshakeFuture().await(10, TimeUnit.SECONDS)) {
                fail("TLS handshake did not complete");
            }
            return holder[0];
        } catch (Exception e) {
            throw new IllegalStateException("cannot open a test MQTT connection: " + e, e);
        }
    }

    /** Opens and connects (CONNECT, then the CONNACK is awaited and returned). */
    public static TestMqttClient connected(int port, String alpn, String clientId, MqttVersion version) {
        TestMqttClient client = open(port, BrokerFixture.pki().device(), alpn, version);
        MqttConnAckMessage connack = client.connect(clientId, true, 60, null);
        assertEquals(0, connack.variableHeader().connectReturnCode().byteValue() & 0x7F, "CONNACK code");
        return client;
    }

    public MqttConnAckMessage connect(String clientId, boolean clean, int keepAlive, MqttProperties properties) {
        send(connectMessage(clientId, clean, keepAlive, properties));
        return (MqttConnAckMessage) await(MqttMessageType.CONNACK);
    }

    public MqttMessage connectMessage(String clientId, boolean clean, int keepAlive, MqttProperties properties) {
        MqttMessageBuilders.ConnectBuilder builder = MqttMessageBuilders.connect().clientId(clientId).protocolVersion(version)
                .cleanSession(clean).keepAlive(keepAlive);
        if (properties != null) {
            builder.properties(properties);
        }
        return builder.build();
    }

    public void send(MqttMessage message) {
        channel.writeAndFlush(message).syncUninterruptibly();
    }

    public void publish(String topic, byte[] payload, int qos, boolean retain, int packetId) {
        send(MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).retained(retain).messageId(packetId)
                .payload(Unpooled.wrappedBuffer(payload)).build());
    }

    public void publish(String topic, String payload, int qos, int packetId) {
        publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false, packetId);
    }

    public void subscribe(int packetId, int qos, String... filters) {
        MqttMessageBuilders.SubscribeBuilder builder = MqttMessageBuilders.subscribe().messageId(packetId);
        for (String filter : filters) {
            builder.addSubscription(MqttQoS.valueOf(qos), filter);
        }
        send(builder.build());
    }

    /** The next packet of this type; packets of other types received meanwhile are skipped. */
    public MqttMessage await(MqttMessageType type) {
        MqttMessage message = awaitOrNull(type, Duration.ofSeconds(10));
        assertNotNull(message, "no " + type + " within 10 s" + (isClosed() ? " (connection closed)" : ""));
        return message;
    }

    /** The next packet of this type within the time, or null. */
    public MqttMessage awaitOrNull(MqttMessageType type, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return null;
                }
                MqttMessage message = received.poll(remaining, TimeUnit.NANOSECONDS);
                if (message == null) {
                    return null;
                }
                if (message.fixedHeader().messageType() == type) {
                    return message;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A PUBLISH's payload as text. */
    public static String text(MqttMessage publish) {
        ByteBuf payload = (ByteBuf) publish.payload();
        return payload.toString(StandardCharsets.UTF_8);
    }

    public boolean awaitClosed(Duration timeout) {
        try {
            return closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public boolean isClosed() {
        return closed.getCount() == 0;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
