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
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's control endpoint for suites running in another process: read connection records,
 * change the device registry, switch behaviours. On loopback it is HTTP without authentication, safe
 * because it refuses any other peer; both are enforced here. The one exception is a container: there it
 * binds the container's own interfaces, every request but GET /health needs a bearer token generated at
 * start, and the host still publishes its port on its own loopback only (the image's documentation and
 * MockBrokerContainer do so).
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
            throw new IllegalArgumentException("the control endpoint binds loopback only here, not "
                    + address.getHostAddress() + " (inside a container, say broker.control-bind explicitly)");
        }
        return bind(broker, group, address, port, true);
    }

    /**
     * On any address, for a container: the operator said so ({@code broker.control-bind}). Beyond loopback
     * every request but {@code GET /health} needs the token generated here, as {@code Authorization: Bearer
     * <token>}: it is printed once on standard output and written, owner-only, to {@code tokenFile}.
     */
    public static ControlServer startInContainer(BrokerContext broker, EventLoopGroup group, InetAddress address, int port,
            Path tokenFile) {
        if (address.isLoopbackAddress()) {
            return start(broker, group, address, port);
        }
        String token = newToken();
        writeOwnerOnly(tokenFile, token);
        System.out.println("control endpoint on " + address.getHostAddress() + ":" + port + " needs 'Authorization: Bearer "
                + token + "' (also in " + tokenFile + ")");
        LOG.warn("the control endpoint listens on {} and needs the token in {}: still publish its port to 127.0.0.1 only"
                + " (docker run -p 127.0.0.1:9080:9080)", address.getHostAddress(), tokenFile);
        return bind(broker, group, address, port, false, token);
    }

    private static String newToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void writeOwnerOnly(Path file, String token) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(file);
            }
            Files.writeString(file, token + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the control endpoint token to " + file, e);
        }
    }

    private static ControlServer bind(BrokerContext broker, EventLoopGroup group, InetAddress address, int port,
            boolean loopbackOnly) {
        return bind(broker, group, address, port, loopbackOnly, null);
    }

    /** Package-private for the token's test, which may bind loopback only (the endpoint itself needs no token there). */
    static ControlServer bind(BrokerContext broker, EventLoopGroup group, InetAddress address, int port,
            boolean loopbackOnly, String token) {
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
                                new Handler(routes, token));
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
        /** The bearer token every request but GET /health must carry, or null on loopback. */
        private final byte[] token;

        Handler(ControlRoutes routes, String token) {
            this.routes = routes;
            this.token = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.US_ASCII);
        }

        private boolean authorized(FullHttpRequest request) {
            if (token == null || request.method().equals(HttpMethod.GET) && new QueryStringDecoder(request.uri()).path()
                    .equals("/health")) {
                return true;
            }
            String given = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            return given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            if (!authorized(request)) {
                response = error(HttpResponseStatus.UNAUTHORIZED, "this control endpoint is bound beyond loopback: send"
                        + " 'Authorization: Bearer <token>', the token the broker printed at start and wrote to its control-token file");
                HttpUtil.setKeepAlive(response, false);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
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
