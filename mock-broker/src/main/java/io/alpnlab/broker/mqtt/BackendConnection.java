package io.alpnlab.broker.mqtt;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.nio.charset.StandardCharsets;

/**
 * One MQTT 3.1.1 connection from the front door to the back end, on the same event loop as the
 * client connection it serves, so that the two never race.
 */
public final class BackendConnection {

    /** Receives what the back end sends, and its close. Called on the event loop. */
    public interface Listener {
        void fromBackend(MqttMessage message);

        void backendClosed();
    }

    /** Back-end packets may carry AWS's largest payload plus headers. */
    static final int MAX_BACKEND_MESSAGE_BYTES = 256 * 1024;

    private final Channel channel;

    private BackendConnection(Channel channel) {
        this.channel = channel;
    }

    /** Connects and sends CONNECT; the listener gets the CONNACK like any other packet. */
    public static BackendConnection open(EventLoop loop, MqttBackend backend, String clientId, boolean cleanSession,
            Listener listener) {
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new MqttDecoder(MAX_BACKEND_MESSAGE_BYTES, 65535));
                        channel.pipeline().addLast(MqttEncoder.INSTANCE);
                        channel.pipeline().addLast(new SimpleChannelInboundHandler<MqttMessage>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
                                // SimpleChannelInboundHandler releases the message after this returns.
                                io.netty.util.ReferenceCountUtil.retain(message);
                                listener.fromBackend(message);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                listener.backendClosed();
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                });
        ChannelFuture connect = bootstrap.connect(backend.address());
        BackendConnection connection = new BackendConnection(connect.channel());
        connect.addListener(future -> {
            if (future.isSuccess()) {
                MqttMessageBuilders.ConnectBuilder builder = MqttMessageBuilders.connect()
                        .clientId(clientId).protocolVersion(MqttVersion.MQTT_3_1_1).cleanSession(cleanSession)
                        // The front door enforces keep-alive itself; the back-end link is kept open while the client is.
                        .keepAlive(0);
                if (backend.username() != null) {
                    builder.hasUser(true).username(backend.username());
                }
                if (backend.password() != null) {
                    builder.hasPassword(true).password(backend.password().getBytes(StandardCharsets.UTF_8));
                }
                MqttConnectMessage connectMessage = builder.build();
                connection.channel.writeAndFlush(connectMessage);
            }
        });
        return connection;
    }

    /** Sends a packet; on a closed connection Netty fails the write and releases the packet. */
    public void send(MqttMessage message) {
        channel.writeAndFlush(message);
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    public void close() {
        channel.close();
    }
}
