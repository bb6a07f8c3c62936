package io.alpnlab.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubAckMessage;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslHandler;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The work the table measures, the same for both brokers: full mutual-TLS handshakes, QoS 1 messages
 * from one publisher to one subscriber, and idle MQTT connections held open. Netty's MQTT codec over
 * the JDK's TLS; the broker's CPU time is read around each piece of work, so the loaders' own cost
 * (which shares the machine) is the same on both sides and not counted.
 */
final class Loaders implements AutoCloseable {

    private final EventLoopGroup group = new NioEventLoopGroup(2);
    private final TlsClients tls;

    Loaders(TlsClients tls) {
        this.tls = tls;
    }

    /** Completes {@code count} full handshakes, two at a time, and closes each; fails if one does not complete. */
    void handshakes(int port, TlsClients.Version version, int count) throws Exception {
        Semaphore concurrent = new Semaphore(2);
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(count);
        for (int i = 0; i < count; i++) {
            concurrent.acquire();
            SslHandler ssl = new SslHandler(tls.engine(version, port));
            Channel channel = bootstrap(ssl, null).connect(InetAddress.getLoopbackAddress(), port).channel();
            ssl.handshakeFuture().addListener(future -> {
                if (!future.isSuccess()) {
                    failed.incrementAndGet();
                }
                channel.close();
                concurrent.release();
                done.countDown();
            });
        }
        if (!done.await(5, TimeUnit.MINUTES) || failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + count + " " + version + " handshakes failed");
        }
    }

    /**
     * {@code count} QoS 1 publishes of {@code size} bytes, at most 100 unacknowledged, to a QoS 1 subscriber
     * that acknowledges each; returns the nanoseconds from the first publish to the last delivery.
     */
    long qos1(int port, int count, int size, String prefix) throws Exception {
        CountDownLatch delivered = new CountDownLatch(count);
        String topic = "bench/" + prefix;
        MqttClient subscriber = MqttClient.connect(this, port, prefix + "-sub", message -> {
            if (message instanceof MqttPublishMessage publish) {
                delivered.countDown();
                return MqttMessageBuilders.pubAck().packetId(publish.variableHeader().packetId()).build();
            }
            return null;
        });
        subscriber.send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, topic).build());
        subscriber.awaitType(MqttMessageType.SUBACK);
        Semaphore window = new Semaphore(100);
        MqttClient publisher = MqttClient.connect(this, port, prefix + "-pub", message -> {
            if (message instanceof MqttPubAckMessage) {
                window.release();
            }
            return null;
        });
        byte[] payload = new byte[size];
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            window.acquire();
            publisher.channel.writeAndFlush(MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.AT_LEAST_ONCE)
                    .messageId(i % 65_535 + 1).payload(io.netty.buffer.Unpooled.wrappedBuffer(payload)).build());
        }
        if (!delivered.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException(delivered.getCount() + " of " + count + " QoS 1 messages not delivered");
        }
        long elapsed = System.nanoTime() - start;
        publisher.close();
        subscriber.close();
        return elapsed;
    }

    /** Opens {@code count} MQTT connections (CONNECT accepted) and keeps them until the result is closed. */
    List<MqttClient> idle(int port, int count, String prefix) throws Exception {
        List<MqttClient> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            clients.add(MqttClient.connect(this, port, prefix + "-idle-" + i, message -> null));
        }
        return clients;
    }

    private Bootstrap bootstrap(SslHandler ssl, SimpleChannelInboundHandler<MqttMessage> mqtt) {
        return new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(ssl);
                if (mqtt != null) {
                    channel.pipeline().addLast(new MqttDecoder(1 << 20), MqttEncoder.INSTANCE, mqtt);
                }
            }
        });
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One MQTT 3.1.1 connection over TLS 1.3; answers what the handler returns for each message it reads. */
    static final class MqttClient implements AutoCloseable {
        final Channel channel;
        /** The packet types received, for awaitType; a set, since a subscriber receives thousands of PUBLISHes. */
        private final Set<MqttMessageType> seen;

        private MqttClient(Channel channel, Set<MqttMessageType> seen) {
            this.channel = channel;
            this.seen = seen;
        }

        static MqttClient connect(Loaders loaders, int port, String clientId, java.util.function.Function<MqttMessage, MqttMessage> onMessage)
                throws Exception {
            CompletableFuture<MqttConnAckMessage> connack = new CompletableFuture<>();
            Set<MqttMessageType> seen = EnumSet.noneOf(MqttMessageType.class);
            SslHandler ssl = new SslHandler(loaders.tls.engine(TlsClients.Version.TLS13, port));
            Channel channel = loaders.bootstrap(ssl, new SimpleChannelInboundHandler<>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
                    if (message instanceof MqttConnAckMessage ack) {
                        connack.complete(ack);
                        return;
                    }
                    synchronized (seen) {
                        seen.add(message.fixedHeader().messageType());
                        seen.notifyAll();
                    }
                    MqttMessage answer = onMessage.apply(message);
                    if (answer != null) {
                        ctx.writeAndFlush(answer);
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    connack.completeExceptionally(new IllegalStateException("closed before CONNACK"));
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    connack.completeExceptionally(cause);
                    ctx.close();
                }
            }).connect(InetAddress.getLoopbackAddress(), port).sync().channel();
            MqttClient client = new MqttClient(channel, seen);
            ssl.handshakeFuture().sync();
            channel.writeAndFlush(MqttMessageBuilders.connect().clientId(clientId).protocolVersion(MqttVersion.MQTT_3_1_1)
                    .cleanSession(true).keepAlive(600).build());
            MqttConnAckMessage ack = connack.get(30, TimeUnit.SECONDS);
            if (ack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                throw new IllegalStateException("CONNECT refused: " + ack.variableHeader().connectReturnCode());
            }
            return client;
        }

        void send(MqttMessage message) {
            channel.writeAndFlush(message);
        }

        void awaitType(MqttMessageType type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            synchronized (seen) {
                while (!seen.contains(type)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException("no " + type + " within 30 s");
                    }
                    seen.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                }
            }
        }

        @Override
        public void close() {
            channel.writeAndFlush(MqttMessage.DISCONNECT);
            channel.close().syncUninterruptibly();
        }
    }
}
