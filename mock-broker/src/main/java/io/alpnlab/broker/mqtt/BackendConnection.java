package io.alpnlab.broker.mqtt;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One MQTT 3.1.1 connection from the front door to the back end (over TCP, or in this JVM to the
 * embedded broker), on the same event loop as the
 * client connection it serves, so that the two never race. An accepted CONNACK reaches the listener
 * only once the back end says the session is ready ({@link MqttBackend#sessionReady}); packets that
 * arrive meanwhile wait behind it, in order.
 */
public final class BackendConnection implements BackendLink {

    /** Receives what the back end sends, and its close. Called on the event loop. */
    public interface Listener {
        void fromBackend(MqttMessage message);

        void backendClosed();
    }

    /** Back-end packets may carry AWS's largest payload plus headers. */
    static final int MAX_BACKEND_MESSAGE_BYTES = 256 * 1024;

    /** A back end that never reports readiness must not hold a client forever: past this, the CONNACK goes on. */
    static final long SESSION_READY_TIMEOUT_MILLIS = 5000;

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BackendConnection.class);

    private volatile Channel channel;
    private final Listener listener;
    private final CompletableFuture<Void> sessionReady;
    /** Non-null from an accepted CONNACK until the session is ready: what arrived in that time, CONNACK first. */
    private Queue<MqttMessage> heldUntilReady;

    private BackendConnection(Listener listener, CompletableFuture<Void> sessionReady) {
        this.listener = listener;
        this.sessionReady = sessionReady;
    }

    private void received(Channel from, MqttMessage message) {
        if (heldUntilReady != null) {
            heldUntilReady.add(message);
            return;
        }
        if (message.fixedHeader().messageType() == MqttMessageType.CONNACK && !sessionReady.isDone()
                && ((MqttConnAckMessage) message).variableHeader().connectReturnCode()
                        == MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            heldUntilReady = new ArrayDeque<>();
            heldUntilReady.add(message);
            sessionReady.orTimeout(SESSION_READY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                    .whenComplete((ready, failure) -> from.eventLoop().execute(() -> release(from, failure)));
            return;
        }
        listener.fromBackend(message);
    }

    private void release(Channel from, Throwable failure) {
        if (heldUntilReady == null) {
            return;
        }
        if (failure != null && !from.isOpen()) {
            heldUntilReady.forEach(ReferenceCountUtil::release);
            heldUntilReady = null;
            return;
        }
        if (failure != null) {
            LOG.warn("the back end did not report the session ready within {} ms; relaying its CONNACK anyway",
                    SESSION_READY_TIMEOUT_MILLIS);
        }
        Queue<MqttMessage> held = heldUntilReady;
        heldUntilReady = null;
        while (!held.isEmpty()) {
            listener.fromBackend(held.poll());
        }
    }

    /** Connects and sends CONNECT; the listener gets the CONNACK like any other packet. */
    public static BackendConnection open(EventLoop loop, MqttBackend backend, String clientId, boolean cleanSession,
            Listener listener) {
        // Asked before the CONNECT goes out, so that the back end's signal cannot come first.
        BackendConnection connection = new BackendConnection(listener, backend.sessionReady(clientId));
        // In this JVM the packets travel as objects: no encoding, no kernel, no decoding, both ways.
        boolean inJvm = backend.address() instanceof LocalAddress;
        Bootstrap bootstrap = new Bootstrap().group(loop)
                .channel(inJvm ? LocalChannel.class : NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (inJvm) {
                            channel.config().setRecvByteBufAllocator(EmbeddedMoquette.drainingReads());
                        } else {
                            channel.config().setOption(ChannelOption.TCP_NODELAY, true);
                            channel.pipeline().addLast(new MqttDecoder(MAX_BACKEND_MESSAGE_BYTES, 65535));
                            channel.pipeline().addLast(MqttEncoder.INSTANCE);
                        }
                        channel.pipeline().addLast(new SimpleChannelInboundHandler<MqttMessage>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
                                // SimpleChannelInboundHandler releases the message after this returns.
                                ReferenceCountUtil.retain(message);
                                connection.received(ctx.channel(), message);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                connection.sessionReady.cancel(false);
                                connection.release(ctx.channel(), new IllegalStateException("closed"));
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
        connection.channel = connect.channel();
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
                connect.channel().writeAndFlush(connectMessage);
            }
        });
        return connection;
    }

    /** Sends a packet; on a closed connection Netty fails the write and releases the packet. */
    @Override
    public void send(MqttMessage message) {
        channel.writeAndFlush(message);
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() {
        channel.close();
    }
}
