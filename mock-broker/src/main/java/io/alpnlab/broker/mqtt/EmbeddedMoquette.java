package io.alpnlab.broker.mqtt;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.IAuthorizatorPolicy;
import io.moquette.broker.subscriptions.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Properties;
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

    private EmbeddedMoquette(Server server, String password, InetSocketAddress address) {
        this.server = server;
        this.password = password;
        this.address = address;
    }

    public static EmbeddedMoquette start() {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        IllegalStateException failure = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = freeLoopbackPort();
            Server server = new Server();
            try {
                server.startServer(new MemoryConfig(properties(port)), Collections.emptyList(), null,
                        new FrontDoorOnly(password), new AllowAll());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded Moquette", e);
            }
            if (accepting(port)) {
                return new EmbeddedMoquette(server, password, new InetSocketAddress("127.0.0.1", port));
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
