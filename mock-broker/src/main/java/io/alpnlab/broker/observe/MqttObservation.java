package io.alpnlab.broker.observe;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The MQTT part of a connection's record while it is open; confined to the connection's event loop. */
public final class MqttObservation {

    /** Packets kept per connection; a chatty client must not grow a record without bound. */
    static final int MAX_PACKETS = 500;

    private final Clock clock;
    private String protocolVersion;
    private String clientId;
    private Integer keepAliveRequested;
    private Integer keepAliveApplied;
    private Boolean cleanSession;
    private String username;
    private final List<ConnectionRecord.PacketView> packets = new ArrayList<>();
    private int droppedPackets;
    private String disconnectReason;
    private java.time.Instant disconnectedAt;
    /** The types of packet sent to the client so far; read from other threads (a suite waiting for a SUBACK). */
    private final java.util.Set<String> sentTypes = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile String connectedClientId;

    MqttObservation(Clock clock) {
        this.clock = clock;
    }

    public void connect(String version, String id, int keepAlive, int appliedKeepAlive, boolean clean, String user) {
        protocolVersion = version;
        clientId = id;
        connectedClientId = id;
        keepAliveRequested = keepAlive;
        keepAliveApplied = appliedKeepAlive;
        cleanSession = clean;
        username = user;
    }

    public void packet(boolean inbound, String type, String detail) {
        packet(inbound, type, () -> detail);
    }

    /**
     * As {@link #packet(boolean, String, String)}, describing the packet only if the record keeps it: past
     * {@link #MAX_PACKETS} a busy connection's packets are counted, and building their text was wasted work.
     */
    public void packet(boolean inbound, String type, Supplier<String> detail) {
        if (!inbound) {
            sentTypes.add(type);
        }
        if (packets.size() >= MAX_PACKETS) {
            droppedPackets++;
            return;
        }
        packets.add(new ConnectionRecord.PacketView(inbound ? "in" : "out", type, detail.get(), clock.instant()));
    }

    public void disconnectReason(String reason) {
        if (disconnectReason == null) {
            disconnectReason = reason;
            disconnectedAt = clock.instant();
        }
    }

    public String clientId() {
        return clientId;
    }

    /** Whether this client ID's connection has been sent a packet of this type; safe from any thread. */
    public boolean hasSent(String id, String type) {
        return id.equals(connectedClientId) && sentTypes.contains(type);
    }

    ConnectionRecord.MqttView view() {
        List<ConnectionRecord.PacketView> copy = new ArrayList<>(packets);
        if (droppedPackets > 0) {
            copy.add(new ConnectionRecord.PacketView("-", "TRUNCATED", droppedPackets + " further packets not recorded",
                    clock.instant()));
        }
        return new ConnectionRecord.MqttView(protocolVersion, clientId, keepAliveRequested, keepAliveApplied, cleanSession,
                username, copy, disconnectReason, disconnectedAt);
    }
}
