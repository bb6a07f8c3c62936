package io.alpnlab.broker.mqtt;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.IAuthorizatorPolicy;
import io.moquette.broker.subscriptions.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
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
        Properties properties = new Properties();
        properties.setProperty("host", "127.0.0.1");
        properties.setProperty("port", "0");
        properties.setProperty("websocket_port", "disabled");
        properties.setProperty("allow_anonymous", "false");
        properties.setProperty("allow_zero_byte_client_id", "false");
        properties.setProperty("persistence_enabled", "false");
        properties.setProperty("telemetry_enabled", "false");
        properties.setProperty("netty.mqtt.message_size", Integer.toString(256 * 1024));
        // Sessions are expired by the front door (AWS's rules), never by Moquette on its own.
        properties.setProperty("persistent_client_expiration", "7d");
        Server server = new Server();
        try {
            server.startServer(new MemoryConfig(properties), Collections.emptyList(), null, new FrontDoorOnly(password),
                    new AllowAll());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded Moquette", e);
        }
        return new EmbeddedMoquette(server, password, new InetSocketAddress("127.0.0.1", boundPort(server)));
    }

    /** Moquette records the ephemeral port when its asynchronous bind completes; wait for it. */
    private static int boundPort(Server server) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            int port = server.getPort();
            if (port != 0) {
                return port;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        server.stopServer();
        throw new IllegalStateException("the embedded Moquette did not report its port within 10 s");
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
