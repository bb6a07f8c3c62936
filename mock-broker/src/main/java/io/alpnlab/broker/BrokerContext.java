package io.alpnlab.broker;

import io.alpnlab.broker.capture.ConnectionCapture;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.services.DeviceServices;
import io.alpnlab.broker.tls.ServerCredentials;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every connection of one broker shares: the profile (switchable at run time), the
 * misbehaviour plan, the device registry, the server chains, the recorder, the clock and timing
 * settings, and the connections currently open.
 */
public final class BrokerContext {

    private volatile Profile profile;
    private final MisbehaviourPlan plan;
    private final DeviceRegistry registry;
    private final ServerCredentials credentials;
    private final ConnectionRecorder recorder;
    private final Clock clock;
    private final Timing timing;
    private final DeviceServices services;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, ConnectionObservation> open = new ConcurrentHashMap<>();
    private final Map<Long, Channel> channels = new ConcurrentHashMap<>();
    /** Captures of the latest connections by ID, while capture is on (null when off); the oldest go first. */
    private volatile Map<Long, ConnectionCapture> captures;
    private static final int CAPTURES_KEPT = 1024;

    /**
     * Time settings. {@code scale} multiplies every MQTT protocol time (keep-alive enforcement,
     * withheld-packet timeouts) so tests need not wait AWS's real seconds; 1.0 in production.
     *
     * @param handshakeTimeout how long a TLS handshake may take before the connection is closed
     * @param unauthenticatedMqttTimeout how long an MQTT connection that will never get a CONNACK stays open
     * @param scale factor applied to MQTT protocol times (keep-alive), e.g. 0.01 in tests
     */
    public record Timing(Duration handshakeTimeout, Duration unauthenticatedMqttTimeout, double scale) {
        public Timing {
            Objects.requireNonNull(handshakeTimeout);
            Objects.requireNonNull(unauthenticatedMqttTimeout);
            if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
                throw new IllegalArgumentException("handshake timeout must be positive, got " + handshakeTimeout);
            }
            if (!(scale > 0 && scale <= 1)) {
                throw new IllegalArgumentException("time scale must be within (0, 1], got " + scale);
            }
        }

        public static Timing defaults() {
            return new Timing(Duration.ofSeconds(10), Duration.ofSeconds(30), 1.0);
        }

        public Duration scaled(Duration protocolTime) {
            return Duration.ofNanos(Math.max(1_000_000L, (long) (protocolTime.toNanos() * scale)));
        }
    }

    public BrokerContext(Profile profile, MisbehaviourPlan plan, DeviceRegistry registry, ServerCredentials credentials,
            ConnectionRecorder recorder, Clock clock, Timing timing) {
        this.profile = Objects.requireNonNull(profile);
        this.plan = Objects.requireNonNull(plan);
        this.registry = Objects.requireNonNull(registry);
        this.credentials = Objects.requireNonNull(credentials);
        this.recorder = Objects.requireNonNull(recorder);
        this.clock = Objects.requireNonNull(clock);
        this.timing = Objects.requireNonNull(timing);
        this.services = new DeviceServices(credentials.pki(), registry, clock);
    }

    /** Device Shadow, Jobs and fleet provisioning behind the reserved topics. */
    public DeviceServices services() {
        return services;
    }

    public Profile profile() {
        return profile;
    }

    /** From now on every accepted connection is captured (broker.capture=on). */
    public void captureConnections() {
        captures = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, ConnectionCapture> eldest) {
                return size() > CAPTURES_KEPT;
            }
        });
    }

    /** A new connection's capture, kept under its ID; null when capture is off. */
    public ConnectionCapture startCapture(long connectionId, InetSocketAddress client, InetSocketAddress server) {
        Map<Long, ConnectionCapture> kept = captures;
        if (kept == null) {
            return null;
        }
        ConnectionCapture capture = new ConnectionCapture(client, server);
        kept.put(connectionId, capture);
        return capture;
    }

    /** The capture of a connection, if capture was on and it is among the latest {@value #CAPTURES_KEPT}. */
    public java.util.Optional<ConnectionCapture> capture(long connectionId) {
        Map<Long, ConnectionCapture> kept = captures;
        return kept == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(kept.get(connectionId));
    }

    public void setProfile(Profile value) {
        profile = Objects.requireNonNull(value);
    }

    public MisbehaviourPlan plan() {
        return plan;
    }

    public DeviceRegistry registry() {
        return registry;
    }

    public ServerCredentials credentials() {
        return credentials;
    }

    public ConnectionRecorder recorder() {
        return recorder;
    }

    public Clock clock() {
        return clock;
    }

    public Timing timing() {
        return timing;
    }

    /** The ID of the newest connection so far (0 before the first): records after it belong to what follows. */
    public long lastConnectionId() {
        return ids.get();
    }

    /** Whether a connection with an ID above this one is still open. */
    public boolean hasOpenConnectionAfter(long id) {
        return open.keySet().stream().anyMatch(openId -> openId > id);
    }

    public long nextConnectionId() {
        return ids.incrementAndGet();
    }

    /** Why an open connection with an ID above this one is settled ({@link ConnectionObservation#settle}), or null. */
    public String settledOpenConnectionAfter(long id) {
        return open.entrySet().stream().filter(entry -> entry.getKey() > id).map(entry -> entry.getValue().settled())
                .filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    /** Whether an open connection of this client ID has been sent a packet of this type (a SUBACK, say). */
    public boolean openConnectionHasSent(String clientId, String packetType) {
        return open.values().stream().map(ConnectionObservation::mqttIfStarted)
                .anyMatch(mqtt -> mqtt != null && mqtt.hasSent(clientId, packetType));
    }

    public void opened(ConnectionObservation observation, Channel channel) {
        open.put(observation.id(), observation);
        channels.put(observation.id(), channel);
    }

    public void closed(ConnectionObservation observation) {
        open.remove(observation.id());
        channels.remove(observation.id());
    }

    /**
     * Closes every connection opened after this ID that is still open: a suite ends a case this
     * way, so that a client's leftover connection neither hides its record nor spills into the next case.
     */
    public void closeConnectionsAfter(long id) {
        channels.forEach((openId, channel) -> {
            if (openId > id) {
                channel.close();
            }
        });
    }

    public int openConnections() {
        return open.size();
    }
}
