package io.alpnlab.broker.mqtt;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which client ID is connected where, and when a disconnected persistent session expires. The
 * front door keeps this itself, so duplicate-client-ID takeover and session expiry follow AWS
 * whatever the back-end broker would do.
 */
public final class ClientSessions {

    private static final Logger LOG = LoggerFactory.getLogger(ClientSessions.class);

    /** What the sessions registry needs from a connected client. */
    public interface Session {
        /** Another connection took this client ID: disconnect with DUPLICATE_CLIENTID. */
        void takenOver();
    }

    private final BackendLink.Opener backend;
    private final Map<String, Session> connected = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();
    private static final int MAX_REMEMBERED_CONNECTS = 10_000;
    /** When each client ID last sent an accepted CONNECT, for AWS's 1 per second quota. */
    private final Map<String, Long> lastConnectNanos = new ConcurrentHashMap<>();
    /** Expiries asked for while the client was still connected: carried out when it disconnects. */
    private final Map<String, CompletableFuture<Void>> expireOnDisconnect = new ConcurrentHashMap<>();
    /** The MQTT version (4 or 5) each persistent session was made with: AWS does not carry one across versions. */
    private final Map<String, Integer> sessionVersions = new ConcurrentHashMap<>();

    public ClientSessions(BackendLink.Opener backend) {
        this.backend = backend;
    }

    /** Registers a new connection for the client ID; the previous one, if any, is taken over. */
    public void connected(String clientId, Session session) {
        ScheduledFuture<?> expiry = expiries.remove(clientId);
        if (expiry != null) {
            expiry.cancel(false);
        }
        Session previous = connected.put(clientId, session);
        if (previous != null && previous != session) {
            previous.takenOver();
        }
    }

    /**
     * The connection ended. A persistent session is purged from the back end once {@code expiry}
     * passes without a new connection; a clean session needs nothing.
     */
    public void disconnected(String clientId, Session session, Duration expiry, EventLoop loop) {
        if (!connected.remove(clientId, session)) {
            return; // taken over: the new connection owns the session now
        }
        CompletableFuture<Void> asked = expireOnDisconnect.remove(clientId);
        if (asked != null) {
            purge(clientId, loop).whenComplete((done, error) -> asked.complete(null));
            return;
        }
        if (expiry.isZero()) {
            return;
        }
        expiries.put(clientId, loop.schedule(() -> {
            purge(clientId, loop);
        }, expiry.toMillis(), TimeUnit.MILLISECONDS));
    }

    /**
     * Whether this CONNECT must start a new session although it asked to resume: the client ID's
     * persistent session was made with the other MQTT version, which AWS does not carry across.
     */
    public boolean crossesVersion(String clientId, int mqttVersion) {
        Integer made = sessionVersions.get(clientId);
        return made != null && made != mqttVersion;
    }

    /** The session this CONNECT starts or resumes: persistent ones are remembered with their MQTT version. */
    public void sessionStarted(String clientId, int mqttVersion, boolean persistent) {
        if (persistent) {
            sessionVersions.put(clientId, mqttVersion);
        } else {
            sessionVersions.remove(clientId);
        }
    }

    /** How long since this client ID's previous admitted CONNECT (null for its first). */
    public java.time.Duration sincePreviousConnect(String clientId) {
        Long previous = lastConnectNanos.get(clientId);
        return previous == null ? null : java.time.Duration.ofNanos(System.nanoTime() - previous);
    }

    /**
     * Remembers a CONNECT that was let through, for the next one's {@link #sincePreviousConnect}. A
     * throttled CONNECT is not remembered: a client that waits a second after its last admitted one gets
     * in, however often it tried meanwhile (what AWS counts is INF).
     */
    public void connectAdmitted(String clientId) {
        long now = System.nanoTime();
        if (lastConnectNanos.size() > MAX_REMEMBERED_CONNECTS) {
            // Only the last second matters: a client cycling through new IDs must not grow this without bound.
            lastConnectNanos.values().removeIf(at -> now - at > 1_000_000_000L);
        }
        lastConnectNanos.put(clientId, now);
    }

    public boolean isConnected(String clientId) {
        return connected.containsKey(clientId);
    }

    /**
     * Expires a disconnected client's persistent session now, as if its expiry had passed (the suite's
     * "persistent session expiry" case); completes once the back end has discarded it. A connected
     * client's session is left alone.
     */
    public CompletableFuture<Void> expireNow(String clientId, EventLoop loop) {
        ScheduledFuture<?> expiry = expiries.remove(clientId);
        if (expiry != null) {
            expiry.cancel(false);
        }
        if (connected.containsKey(clientId)) {
            // The client is still leaving (its DISCONNECT not yet seen): expire the session as soon as it has gone.
            CompletableFuture<Void> later = new CompletableFuture<>();
            expireOnDisconnect.put(clientId, later);
            if (connected.containsKey(clientId)) {
                return later;
            }
            expireOnDisconnect.remove(clientId, later);
        }
        // On the back end's loop, as every other purge: the purge's link is then written and read by one thread.
        CompletableFuture<Void> purged = new CompletableFuture<>();
        loop.execute(() -> purge(clientId, loop).whenComplete((done, failure) -> purged.complete(null)));
        return purged;
    }

    /** Ends a session in the back end: a clean-session CONNECT discards it, then DISCONNECT. */
    private CompletableFuture<Void> purge(String clientId, EventLoop loop) {
        expiries.remove(clientId);
        if (connected.containsKey(clientId)) {
            return CompletableFuture.completedFuture(null);
        }
        LOG.debug("session of {} expired; purging it from the back end", clientId);
        sessionVersions.remove(clientId);
        SessionPurge purge = new SessionPurge();
        purge.link = backend.open(loop, clientId, true, purge);
        return purge.done;
    }

    /** Discards a session: its clean CONNECT is answered, then it disconnects. */
    private static final class SessionPurge implements BackendConnection.Listener {
        private BackendLink link;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        @Override
        public void fromBackend(MqttMessage message) {
            ReferenceCountUtil.release(message);
            if (message.fixedHeader().messageType() == MqttMessageType.CONNACK) {
                link.send(MqttMessage.DISCONNECT);
                link.close();
                done.complete(null);
            }
        }

        @Override
        public void backendClosed() {
            done.complete(null);
        }
    }

    public void close() {
        expiries.values().forEach(expiry -> expiry.cancel(false));
        expiries.clear();
    }
}
