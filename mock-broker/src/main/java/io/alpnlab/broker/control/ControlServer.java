package io.alpnlab.broker.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.policy.SecurityPolicy;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.certs.Pem;
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
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

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

    private final BrokerContext broker;
    private final Channel channel;

    private ControlServer(BrokerContext broker, Channel channel) {
        this.broker = broker;
        this.channel = channel;
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ControlServer.class);

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
        ControlServer[] holder = new ControlServer[1];
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel socket) {
                        if (loopbackOnly && !socket.remoteAddress().getAddress().isLoopbackAddress()) {
                            socket.close();
                            return;
                        }
                        socket.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1024 * 1024),
                                new Handler(holder[0]));
                    }
                });
        try {
            Channel channel = bootstrap.bind(address, port).sync().channel();
            holder[0] = new ControlServer(broker, channel);
            return holder[0];
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

    /** A request the endpoint refuses, with the status and the reason. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final HttpResponseStatus status;

        BadRequest(HttpResponseStatus status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ControlServer server;

        Handler(ControlServer server) {
            this.server = server;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            try {
                Object body = server.handle(request.method(), new QueryStringDecoder(request.uri()),
                        request.content().toString(StandardCharsets.UTF_8));
                response = json(HttpResponseStatus.OK, ConnectionRecorder.toJson(body));
            } catch (BadRequest e) {
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

    Object handle(HttpMethod method, QueryStringDecoder uri, String body) {
        String path = uri.path();
        if (path.equals("/health") && method == HttpMethod.GET) {
            ObjectNode health = ConnectionRecorder.JSON.createObjectNode();
            health.put("status", "ok");
            health.put("openConnections", broker.openConnections());
            return health;
        }
        if (path.equals("/connections")) {
            if (method == HttpMethod.GET) {
                long after = uri.parameters().containsKey("after") ? parseLong(uri.parameters().get("after").get(0), "after") : 0;
                return broker.recorder().recordsAfter(after);
            }
            if (method == HttpMethod.DELETE) {
                broker.recorder().clear();
                return ok();
            }
        }
        if (path.equals("/registry")) {
            if (method == HttpMethod.GET) {
                return broker.registry().devices();
            }
            if (method == HttpMethod.POST) {
                JsonNode node = parse(body);
                X509Certificate certificate = certificate(text(node, "certificatePem"));
                DeviceStatus status = status(node.path("status").asText("ACTIVE"));
                return broker.registry().register(new RegisteredDevice(Pem.sha256Fingerprint(certificate), status,
                        node.path("thingName").asText(null), DevicePolicy.ALLOW_ALL));
            }
        }
        if (path.startsWith("/registry/") && method == HttpMethod.PUT) {
            String fingerprint = path.substring("/registry/".length()).toLowerCase(Locale.ROOT);
            JsonNode node = parse(body);
            try {
                return broker.registry().setStatus(fingerprint, status(text(node, "status")));
            } catch (IllegalArgumentException e) {
                throw new BadRequest(HttpResponseStatus.NOT_FOUND, e.getMessage());
            }
        }
        if (path.equals("/behaviours")) {
            if (method == HttpMethod.GET) {
                ObjectNode state = ConnectionRecorder.JSON.createObjectNode();
                state.set("profile", ConnectionRecorder.JSON.valueToTree(broker.profile()));
                ArrayNode defaults = state.putArray("defaults");
                broker.plan().defaults().describe().forEach(defaults::add);
                state.put("queuedOneShots", broker.plan().queuedCount());
                return state;
            }
            if (method == HttpMethod.DELETE) {
                broker.plan().reset();
                return ok();
            }
        }
        if (path.equals("/behaviours/defaults") && method == HttpMethod.PUT) {
            broker.plan().setDefaults(Misbehaviours.parse(strings(parse(body), "misbehaviours")));
            return ok();
        }
        if (path.equals("/behaviours/next") && method == HttpMethod.POST) {
            JsonNode node = parse(body);
            ListenerRole role = node.hasNonNull("listener") ? ListenerRole.fromRoleName(node.get("listener").asText()) : null;
            broker.plan().forNextConnections(role, node.path("count").asInt(1),
                    Misbehaviours.parse(strings(node, "misbehaviours")));
            return ok();
        }
        if (path.equals("/profile") && method == HttpMethod.PUT) {
            JsonNode node = parse(body);
            Profile profile = broker.profile();
            if (node.has("sni")) {
                profile = profile.withSni(Profile.parseSwitch(Profile.SniMode.class, "sni", node.get("sni").asText()));
            }
            if (node.has("alpn")) {
                profile = profile.withAlpn(Profile.parseSwitch(Profile.AlpnMode.class, "alpn", node.get("alpn").asText()));
            }
            if (node.has("registryCheck")) {
                profile = profile.withRegistryCheck(Profile.parseSwitch(Profile.RegistryCheck.class, "registryCheck",
                        node.get("registryCheck").asText()));
            }
            if (node.has("unauthorizedConnect")) {
                profile = profile.withUnauthorizedConnect(Profile.parseSwitch(Profile.UnauthorizedConnect.class,
                        "unauthorizedConnect", node.get("unauthorizedConnect").asText()));
            }
            if (node.has("securityPolicy")) {
                profile = profile.withSecurityPolicy(SecurityPolicy.fromAwsName(node.get("securityPolicy").asText()));
            }
            broker.setProfile(profile);
            return profile;
        }
        throw new BadRequest(HttpResponseStatus.NOT_FOUND, "no " + method + " " + path + " here; see GET /health, /connections,"
                + " /registry, /behaviours");
    }

    private static ObjectNode ok() {
        ObjectNode ok = ConnectionRecorder.JSON.createObjectNode();
        ok.put("status", "ok");
        return ok;
    }

    private static JsonNode parse(String body) {
        try {
            return ConnectionRecorder.JSON.readTree(body.isBlank() ? "{}" : body);
        } catch (Exception e) {
            throw new IllegalArgumentException("the request body is not JSON: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field) {
        if (!node.hasNonNull(field)) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return node.get(field).asText();
    }

    private static List<String> strings(JsonNode node, String field) {
        if (!node.path(field).isArray()) {
            throw new IllegalArgumentException("field '" + field + "' must be an array of strings");
        }
        List<String> values = new ArrayList<>();
        node.get(field).forEach(value -> values.add(value.asText()));
        return values;
    }

    private static DeviceStatus status(String text) {
        try {
            return DeviceStatus.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("status '" + text + "' is not one of " + List.of(DeviceStatus.values()), e);
        }
    }

    private static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalArgumentException("certificatePem is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static long parseLong(String text, String name) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + name + "' must be a number, got '" + text + "'", e);
        }
    }
}
