package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.alpnlab.broker.mqtt.BackendConnection;
import io.alpnlab.broker.mqtt.MqttBackend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The front door's back-end link holds an accepted CONNACK, and whatever follows it, until the back end
 * reports the session ready: Moquette 0.17 sends its CONNACK before it accepts a SUBSCRIBE.
 */
class BackendConnectionTest {

    private EventLoopGroup group;
    private Channel server;

    /** A back end that answers CONNECT with CONNACK and, at once, a PUBLISH (a stored message replayed). */
    @BeforeEach
    void startBackend() throws InterruptedException {
        group = new NioEventLoopGroup(1);
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new MqttDecoder(), MqttEncoder.INSTANCE,
                                new SimpleChannelInboundHandler<MqttMessage>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
                                        if (message.fixedHeader().messageType() == MqttMessageType.CONNECT) {
                                            ctx.write(MqttMessageBuilders.connAck()
                                                    .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).build());
                                            ctx.writeAndFlush(MqttMessageBuilders.publish().topicName("stored/message")
                                                    .qos(MqttQoS.AT_LEAST_ONCE).messageId(1)
                                                    .payload(Unpooled.wrappedBuffer(new byte[] {1})).build());
                                        }
                                    }
                                });
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    }

    @AfterEach
    void stopBackend() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void connack_and_what_follows_wait_until_the_back_end_reports_the_session_ready() throws InterruptedException {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        BlockingQueue<MqttMessageType> received = new LinkedBlockingQueue<>();
        BackendConnection connection = BackendConnection.open(group.next(), backend(ready), "held-client", true,
                new BackendConnection.Listener() {
                    @Override
                    public void fromBackend(MqttMessage message) {
                        received.add(message.fixedHeader().messageType());
                        ReferenceCountUtil.release(message);
                    }

                    @Override
                    public void backendClosed() {
                    }
                });
        try {
            assertNull(received.poll(500, TimeUnit.MILLISECONDS), "nothing may pass before the session is ready");
            ready.complete(null);
            assertEquals(MqttMessageType.CONNACK, received.poll(5, TimeUnit.SECONDS));
            assertEquals(MqttMessageType.PUBLISH, received.poll(5, TimeUnit.SECONDS), "held packets follow the CONNACK in order");
        } finally {
            connection.close();
        }
    }

    private MqttBackend backend(CompletableFuture<Void> ready) {
        InetSocketAddress address = (InetSocketAddress) server.localAddress();
        return new MqttBackend() {
            @Override
            public InetSocketAddress address() {
                return address;
            }

            @Override
            public CompletableFuture<Void> sessionReady(String clientId) {
                return ready;
            }

            @Override
            public String describe() {
                return "test back end";
            }

            @Override
            public void close() {
            }
        };
    }
}
