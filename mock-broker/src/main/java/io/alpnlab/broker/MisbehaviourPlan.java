package io.alpnlab.broker;

import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.policy.Misbehaviours;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Objects;

/**
 * Which misbehaviours each new connection gets: the run's default, unless a one-shot entry queued
 * for the next connection(s) on a listener (or on any listener) applies. Thread-safe: the control
 * endpoint and tests change it while connections arrive.
 */
public final class MisbehaviourPlan {

    private record OneShot(ListenerRole role, Misbehaviours misbehaviours) {
    }

    private volatile Misbehaviours defaults = Misbehaviours.NONE;
    private final Deque<OneShot> queued = new ArrayDeque<>();
    /** CONNECTs refused so far under refuse-first-connections; reset when the misbehaviours change. */
    private int connectsRefused;

    public Misbehaviours defaults() {
        return defaults;
    }

    public synchronized void setDefaults(Misbehaviours value) {
        defaults = Objects.requireNonNull(value);
        connectsRefused = 0;
    }

    /**
     * Whether this MQTT CONNECT is one of the first N a refuse-first-connections plan refuses. The
     * count spans connections, which is why it lives here and not on one connection.
     */
    public synchronized boolean shouldRefuseConnect(Misbehaviours misbehaviours) {
        if (connectsRefused < misbehaviours.count(Misbehaviour.REFUSE_FIRST_CONNECTIONS)) {
            connectsRefused++;
            return true;
        }
        return false;
    }

    /** Queues misbehaviours for the next {@code count} connections on {@code role} (null: any listener). */
    public synchronized void forNextConnections(ListenerRole role, int count, Misbehaviours misbehaviours) {
        connectsRefused = 0;
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        for (int i = 0; i < count; i++) {
            queued.addLast(new OneShot(role, Objects.requireNonNull(misbehaviours)));
        }
    }

    /** Takes the misbehaviours for a connection that just opened on {@code role}. */
    public synchronized Misbehaviours next(ListenerRole role) {
        for (Iterator<OneShot> iterator = queued.iterator(); iterator.hasNext();) {
            OneShot oneShot = iterator.next();
            if (oneShot.role() == null || oneShot.role() == role) {
                iterator.remove();
                return oneShot.misbehaviours();
            }
        }
        return defaults;
    }

    /** Drops queued one-shots and resets the default to none. */
    public synchronized void reset() {
        queued.clear();
        defaults = Misbehaviours.NONE;
        connectsRefused = 0;
    }

    public synchronized int queuedCount() {
        return queued.size();
    }
}
