package io.alpnlab.broker.mqtt;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * AWS's lifecycle events: {@code $aws/events/presence/connected/<clientId>} and
 * {@code .../disconnected/<clientId>}, with the JSON fields and disconnect reasons AWS documents.
 */
public final class LifecycleEvents {

    static final String CONNECTED_PREFIX = "$aws/events/presence/connected/";
    static final String DISCONNECTED_PREFIX = "$aws/events/presence/disconnected/";

    private final InternalPublisher publisher;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong versionNumber = new AtomicLong();

    public LifecycleEvents(InternalPublisher publisher, Clock clock) {
        this.publisher = publisher;
        this.clock = clock;
    }

    void connected(String clientId, TlsEstablished established, Channel channel) {
        ObjectNode event = base(clientId, established, channel, "connected");
        publish(CONNECTED_PREFIX + clientId, event);
        established.observation().addCheck(Check.applied(Rule.MQTT_LIFE_01, "published " + CONNECTED_PREFIX + clientId));
    }

    void disconnected(String clientId, TlsEstablished established, Channel channel, String reason, boolean clientInitiated) {
        ObjectNode event = base(clientId, established, channel, "disconnected");
        event.put("clientInitiatedDisconnect", clientInitiated);
        event.put("disconnectReason", reason);
        publish(DISCONNECTED_PREFIX + clientId, event);
        established.observation().addCheck(Check.applied(Rule.MQTT_LIFE_01, "published " + DISCONNECTED_PREFIX + clientId
                + " reason " + reason));
    }

    private ObjectNode base(String clientId, TlsEstablished established, Channel channel, String type) {
        ObjectNode event = json.createObjectNode();
        event.put("clientId", clientId);
        event.put("timestamp", clock.millis());
        event.put("eventType", type);
        event.put("sessionIdentifier", UUID.nameUUIDFromBytes(channel.id().asLongText().getBytes(StandardCharsets.UTF_8))
                .toString());
        event.put("principalIdentifier", established.device() != null ? established.device().fingerprint() : "custom-auth");
        event.put("ipAddress", channel.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null
                ? remote.getAddress().getHostAddress() : "");
        event.put("versionNumber", versionNumber.incrementAndGet());
        return event;
    }

    private void publish(String topic, ObjectNode event) {
        publisher.publish(topic, event.toString().getBytes(StandardCharsets.UTF_8), 0, false);
    }
}
