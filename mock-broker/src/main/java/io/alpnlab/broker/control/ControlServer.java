package io.alpnlab.broker.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's control endpoint for suites running in another process: read connection records,
 * change the device registry, switch behaviours. HTTP without authentication, which is safe only
 * because it binds a loopback address and refuses any other peer; both are enforced here. The one
 * exception is a container: there it binds the container's own interfaces, and the host publishes its
 * port on the host's loopback only (the image's documentation and MockBrokerContainer do so).
 *
 * <pre>
 * GET    /health                      {"status":"ok"}
 * GET    /connections[?after=ID]      finished connection records, oldest first
 * DELETE /connections                 forget them
 * GET    /registry                    registered devices
 * POST   /registry                    {"certificatePem": "...", "status": "ACTIVE", "thingName": "..."}
 * PUT    /registry/{fingerprint}      {"status": "INACTIVE"}
 * GET    /behaviours                  profile, default misbehaviours, queued one-shots
 * PUT    /behaviours/defaults         {"misbehaviours": ["serve-chain=expired", ...]}
 * POST   /behaviours/next             {"listener": "multiplex-443", "count": 1, "misbehaviours": [...]}
 * DELETE /behaviours                  back to no misbehaviour
 * PUT    /profile                     {"sni": "lenient", "alpn": "strict", "registryCheck": "in-handshake",
 *                                      "unauthorizedConnect": "connack-5", "securityPolicy": "..."} (any subset)
 * </pre>
 */
public final class ControlServer implements AutoCloseable {

    /** Request bodies larger than this are refused (413) before they are read: every body here is small. */
    static final int MAX_BODY_BYTES = 256 * 1024;

    private final Channel channel;

    private ControlServer(Channel channel) {
        this.channel = channel;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** On a loopback address, refusing any other peer. */
    public static ControlServer start(BrokerContext broker, EventLoopGroup group, InetAddress address, int port) {
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("the control endpoint has no authentication and binds loopback only, not "
                    + address.getHostAddress() + " (inside a container, say broker.control-bind explicitly)");
        }
        return bind(broker, group, address, port, true);
    }

    /**
     * On any address, for a container: the operator said so ({@code broker.control-bind}), and the host
     * must publish the port on its own loopback only.
     */
    public static ControlServer startInContainer(BrokerContext broker, EventLoopGroup group, InetAddress address, int port) {
        if (address.isLoopbackAddress()) {
            return start(broker, group, address, port);
        }
        LOG.warn("the control endpoint has no authentication and listens on {}: publish its port to 127.0.0.1 only"
                + " (docker run -p 127.0.0.1:9080:9080)", address.getHostAddress());
        return bind(broker, group, address, port, false);
    }

    private static ControlServer bind(BrokerContext broker, EventLoopGroup group, InetAddress address, int port,
            boolean loopbackOnly) {
        ControlRoutes routes = new ControlRoutes(broker);
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel socket) {
                        if (loopbackOnly && !socket.remoteAddress().getAddress().isLoopbackAddress()) {
                            socket.close();
                            return;
                        }
                        socket.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY_BYTES),
                                new Handler(routes));
                    }
                });
        try {
            return new ControlServer(bootstrap.bind(address, port).sync().channel());
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the control endpoint on " + address.getHostAddress() + ":" + port
                    + " (" + e.getMessage() + ")", e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ControlRoutes routes;

        Handler(ControlRoutes routes) {
            this.routes = routes;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            try {
                Object body = routes.handle(request.method(), new QueryStringDecoder(request.uri()),
                        request.content().toString(StandardCharsets.UTF_8));
                response = json(HttpResponseStatus.OK, ConnectionRecorder.toJson(body));
            } catch (ControlRoutes.BadRequest e) {
                response = error(e.status, e.getMessage());
            } catch (IllegalArgumentException e) {
                response = error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            var write = ctx.writeAndFlush(response);
            if (!keepAlive) {
                write.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse error(HttpResponseStatus status, String message) {
            ObjectNode body = ConnectionRecorder.JSON.createObjectNode();
            body.put("error", message);
            return json(status, body.toString());
        }

        private static FullHttpResponse json(HttpResponseStatus status, String text) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            HttpUtil.setContentLength(response, response.content().readableBytes());
            return response;
        }
    }
}
