package io.alpnlab.broker.mqtt;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Upstream mode: an existing MQTT broker (Mosquitto, EMQX, HiveMQ, a cluster's load balancer) keeps
 * the sessions, and the front door keeps AWS's rules. Given as {@code mqtt://[user:password@]host:port}.
 */
public final class ExternalBroker implements MqttBackend {

    private final InetSocketAddress address;
    private final String username;
    private final String password;

    private ExternalBroker(InetSocketAddress address, String username, String password) {
        this.address = address;
        this.username = username;
        this.password = password;
    }

    public static ExternalBroker parse(String uri) {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("upstream '" + uri + "' is not a URI: " + e.getMessage(), e);
        }
        if (!"mqtt".equals(parsed.getScheme()) || parsed.getHost() == null) {
            throw new IllegalArgumentException("upstream '" + uri + "' must look like mqtt://host:port"
                    + " (plain MQTT; the front door terminates TLS)");
        }
        int port = parsed.getPort() == -1 ? 1883 : parsed.getPort();
        String username = null;
        String password = null;
        if (parsed.getRawUserInfo() != null) {
            String[] parts = parsed.getRawUserInfo().split(":", 2);
            username = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
        }
        return new ExternalBroker(InetSocketAddress.createUnresolved(parsed.getHost(), port), username, password);
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String username() {
        return username;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public String describe() {
        return "upstream broker " + address.getHostString() + ":" + address.getPort()
                + (username == null ? "" : " as " + username);
    }

    @Override
    public void close() {
        // Not ours to stop.
    }
}
