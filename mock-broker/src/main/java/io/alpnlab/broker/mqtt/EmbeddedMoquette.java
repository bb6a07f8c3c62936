package io.alpnlab.broker.mqtt;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.IAuthorizatorPolicy;
import io.moquette.broker.subscriptions.Topic;
import io.moquette.interception.AbstractInterceptHandler;
import io.moquette.interception.messages.InterceptConnectMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Moquette embedded on the loopback address and an ephemeral port: telemetry off, persistence in
 * memory, messages up to AWS's 128 KB plus headers. Only the front door can use it: it requires a
 * password generated per run, so nothing else on the machine can bypass AWS's rules by talking to
 * Moquette directly.
 */
public final class EmbeddedMoquette implements MqttBackend {

    static final String USERNAME = "alpnlab-front-door";

    private Server server;
    private final String password;
    private final InetSocketAddress address;
    private final SessionReadiness readiness;

    private EmbeddedMoquette(Server server, String password, InetSocketAddress address, SessionReadiness readiness) {
        this.server = server;
        this.password = password;
        this.address = address;
        this.readiness = readiness;
    }

    public static EmbeddedMoquette start() {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        IllegalStateException failure = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = freeLoopbackPort();
            Server server = new Server();
            SessionReadiness readiness = new SessionReadiness();
            try {
                server.startServer(new MemoryConfig(properties(port)), List.of(readiness), null,
                        new FrontDoorOnly(password), new AllowAll());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded Moquette", e);
            }
            if (accepting(port)) {
                return new EmbeddedMoquette(server, password, new InetSocketAddress("127.0.0.1", port), readiness);
            }
            server.stopServer();
            failure = new IllegalStateException("the embedded Moquette did not start listening on 127.0.0.1:" + port);
        }
        throw failure;
    }

    private static Properties properties(int port) {
        Properties properties = new Properties();
        properties.setProperty("host", "127.0.0.1");
        properties.setProperty("port", Integer.toString(port));
        properties.setProperty("websocket_port", "disabled");
        properties.setProperty("allow_anonymous", "false");
        properties.setProperty("allow_zero_byte_client_id", "false");
        properties.setProperty("persistence_enabled", "false");
        properties.setProperty("telemetry_enabled", "false");
        properties.setProperty("netty.mqtt.message_size", Integer.toString(256 * 1024));
        // Sessions are expired by the front door (AWS's rules), never by Moquette on its own.
        properties.setProperty("persistent_client_expiration", "7d");
        return properties;
    }

    /**
     * A free loopback port chosen here rather than port 0: Moquette 0.17 binds asynchronously and
     * its {@code getPort()} races the bind (an unsynchronised HashMap), so the port is decided up
     * front and {@link #accepting} confirms Moquette got it; another attempt follows if not.
     */
    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for the embedded Moquette", e);
        }
    }

    private static boolean accepting(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    @Override
    public InetSocketAddress address() {
        return address;
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
        return "embedded Moquette on " + address.getHostString() + ":" + address.getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stopServer();
            server = null;
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
