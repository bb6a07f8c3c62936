package io.alpnlab.broker.mqtt;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.IAuthorizatorPolicy;
import io.moquette.broker.subscriptions.Topic;
import io.moquette.interception.AbstractInterceptHandler;
import io.moquette.interception.messages.InterceptConnectMessage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Moquette embedded in this JVM, reached over Netty's local transport: the front door hands it the
 * decoded packets and takes its deliveries as objects, so a message is decoded once (from the
 * client) and encoded once (to the subscriber), with no loopback socket between. Moquette opens no
 * port at all, so nothing else on the machine can bypass AWS's rules by talking to it; it still
 * requires a password generated per run, as a second lock. Telemetry off, persistence in memory,
 * messages up to AWS's 128 KB plus headers.
 */
public final class EmbeddedMoquette implements MqttBackend {

    static final String USERNAME = "alpnlab-front-door";

    private Server server;
    private final String password;
    private final Channel acceptor;
    private final SessionReadiness readiness;

    private EmbeddedMoquette(Server server, String password, Channel acceptor, SessionReadiness readiness) {
        this.server = server;
        this.password = password;
        this.acceptor = acceptor;
        this.readiness = readiness;
    }

    /** Starts Moquette; its connections are served on {@code group}, the front door's event loops. */
    public static EmbeddedMoquette start(EventLoopGroup group) {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        Server server = new Server();
        SessionReadiness readiness = new SessionReadiness();
        MemoryConfig config = new MemoryConfig(properties());
        FrontDoorOnly authenticator = new FrontDoorOnly(password);
        try {
            server.startServer(config, List.of(readiness), null, authenticator, new AllowAll());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded Moquette", e);
        }
        try {
            ChannelHandler mqttHandler = MoquetteInternals.connectionHandler(server, config, authenticator);
            Channel acceptor = new SameLoopAcceptor(mqttHandler);
            group.next().register(acceptor).syncUninterruptibly();
            acceptor.bind(LocalAddress.ANY).syncUninterruptibly();
            return new EmbeddedMoquette(server, password, acceptor, readiness);
        } catch (RuntimeException e) {
            server.stopServer();
            throw e;
        }
    }

    /**
     * A local channel reads one packet per read by default, each read ending in a read-complete
     * (where Moquette flushes), and closes with what is still unread dropped. Reading everything
     * queued in one go costs one read-complete per burst, and a close stays behind the packets
     * written before it: a client's last publishes before it goes away reach Moquette, as they do
     * over a socket, where the kernel delivers them before the FIN.
     */
    static RecvByteBufAllocator drainingReads() {
        return new ServerChannelRecvByteBufAllocator().maxMessagesPerRead(Integer.MAX_VALUE);
    }

    private static Properties properties() {
        Properties properties = new Properties();
        // No TCP listener: the front door reaches Moquette in this JVM (see the class comment).
        properties.setProperty("port", "disabled");
        properties.setProperty("websocket_port", "disabled");
        properties.setProperty("allow_anonymous", "false");
        properties.setProperty("allow_zero_byte_client_id", "false");
        properties.setProperty("persistence_enabled", "false");
        properties.setProperty("telemetry_enabled", "false");
        properties.setProperty("netty.mqtt.message_size", Integer.toString(256 * 1024));
        // Every packet is flushed as written: an in-JVM write costs no system call, and a delivery
        // must not wait for Moquette's periodic flush.
        properties.setProperty("buffer_flush_millis", "immediate");
        // Sessions are expired by the front door (AWS's rules), never by Moquette on its own.
        properties.setProperty("persistent_client_expiration", "7d");
        return properties;
    }

    @Override
    public LocalAddress address() {
        return (LocalAddress) acceptor.localAddress();
    }

    @Override
    public String username() {
        return USERNAME;
    }

    @Override
    public String password() {
        return password;
    }

    /**
     * Moquette 0.17 puts the CONNACK on the wire before it marks the connection connected (the mark is
     * set by a write listener added from its session thread after the write may already be done), and
     * drops a SUBSCRIBE that comes in between. Its connect interceptor runs after the mark, so the
     * front door waits for that before it relays the CONNACK.
     */
    @Override
    public CompletableFuture<Void> sessionReady(String clientId) {
        return readiness.await(clientId);
    }

    @Override
    public String describe() {
        return "embedded Moquette, in this JVM (no port)";
    }

    @Override
    public void close() {
        if (server != null) {
            acceptor.close().syncUninterruptibly();
            server.stopServer();
            server = null;
        }
    }

    /**
     * Moquette's end of each in-JVM connection lives on the event loop of the front door's end: the
     * two hand packets over without a thread switch, and a close cannot race a write (Netty's local
     * transport may drop a buffer when the two ends close and write on different threads).
     */
    private static final class SameLoopAcceptor extends LocalServerChannel {

        SameLoopAcceptor(ChannelHandler mqttHandler) {
            pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object accepted) {
                    MoquetteEnd child = (MoquetteEnd) accepted;
                    child.config().setRecvByteBufAllocator(drainingReads());
                    child.pipeline().addLast("handler", mqttHandler);
                    child.frontDoorLoop.register(child).addListener(registered -> {
                        if (!registered.isSuccess()) {
                            child.unsafe().closeForcibly();
                        }
                    });
                }
            });
        }

        @Override
        protected LocalChannel newLocalChannel(LocalChannel frontDoorEnd) {
            return new MoquetteEnd(this, frontDoorEnd);
        }
    }

    private static final class MoquetteEnd extends LocalChannel {
        final EventLoop frontDoorLoop;

        MoquetteEnd(LocalServerChannel parent, LocalChannel frontDoorEnd) {
            super(parent, frontDoorEnd);
            this.frontDoorLoop = frontDoorEnd.eventLoop();
        }
    }

    /** Completes the futures waiting for a client ID when Moquette reports that client connected. */
    static final class SessionReadiness extends AbstractInterceptHandler {
        private final ConcurrentHashMap<String, Set<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();

        CompletableFuture<Void> await(String clientId) {
            CompletableFuture<Void> ready = new CompletableFuture<>();
            waiting.computeIfAbsent(clientId, id -> ConcurrentHashMap.newKeySet()).add(ready);
            // Cancelled or timed out: forget it, so closed connections leave nothing behind.
            ready.whenComplete((done, failure) -> waiting.computeIfPresent(clientId, (id, futures) -> {
                futures.remove(ready);
                return futures.isEmpty() ? null : futures;
            }));
            return ready;
        }

        @Override
        public void onConnect(InterceptConnectMessage message) {
            Set<CompletableFuture<Void>> futures = waiting.remove(message.getClientID());
            if (futures != null) {
                futures.forEach(ready -> ready.complete(null));
            }
        }

        @Override
        public String getID() {
            return "alpnlab-session-readiness";
        }

        @Override
        public Class<?>[] getInterceptedMessageTypes() {
            return new Class<?>[] {InterceptConnectMessage.class};
        }

        @Override
        public void onSessionLoopError(Throwable error) {
            // Moquette logs its own session-loop errors; readiness has nothing to add.
        }
    }

    /** Accepts only the front door's credentials. */
    private static final class FrontDoorOnly implements IAuthenticator {
        private final byte[] password;

        FrontDoorOnly(String password) {
            this.password = password.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean checkValid(String clientId, String username, byte[] offered) {
            return USERNAME.equals(username) && offered != null && MessageDigest.isEqual(password, offered);
        }
    }

    /** Authorization is the front door's job (AWS policies); Moquette lets its only user do everything. */
    private static final class AllowAll implements IAuthorizatorPolicy {
        @Override
        public boolean canWrite(Topic topic, String user, String client) {
            return true;
        }

        @Override
        public boolean canRead(Topic topic, String user, String client) {
            return true;
        }
    }
}
