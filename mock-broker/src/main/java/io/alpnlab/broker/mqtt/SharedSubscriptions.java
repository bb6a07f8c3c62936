package io.alpnlab.broker.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * AWS's shared subscriptions ({@code $share/<group>/<filter>}, MQTT 3.1.1 and 5): each message the
 * filter matches goes to one member of the group, in turn. The back end knows nothing of groups (the
 * embedded Moquette has no shared subscriptions): each group holds one back-end subscription of its
 * own to the filter, and hands each message to the next member, which delivers it with a packet ID
 * of the front door's. A group lasts while it has members; a shared subscription is not kept in a
 * persistent session (INF: AWS's MQTT page says nothing of it, and MQTT 5 leaves it to the server).
 *
 * <p>Confined to one event loop (the broker's internal loop): members call in from their own loops
 * through {@link #join} and {@link #leave}, and get their messages on theirs.
 */
final class SharedSubscriptions implements AutoCloseable {

    /** A connection that holds shared subscriptions: it delivers a group's message to its client. */
    interface Member {

        EventLoop loop();

        /** Delivers on the member's loop; the payload is the member's to release. */
        void deliverShared(String topic, ByteBuf payload, MqttQoS qos);
    }

    private static final AtomicLong GROUP_NUMBERS = new AtomicLong();

    private final EventLoop loop;
    private final BackendLink.Opener opener;
    private final Map<String, Group> groups = new HashMap<>();

    SharedSubscriptions(EventLoop loop, BackendLink.Opener opener) {
        this.loop = loop;
        this.opener = opener;
    }

    /**
     * Adds a member to the group of {@code $share/<group>/<filter>} at the QoS it was granted; completes
     * once the group's back-end subscription is in place, so the member's SUBACK promises no message
     * it would miss. Joining again changes the QoS.
     */
    CompletableFuture<Void> join(String group, String filter, Member member, MqttQoS qos) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        loop.execute(() -> {
            Group shared = groups.computeIfAbsent(key(group, filter), key -> new Group(key, filter));
            shared.members.removeIf(existing -> existing.member() == member);
            shared.members.add(new Membership(member, qos));
            if (shared.subscribed) {
                ready.complete(null);
            } else {
                shared.waiting.add(ready);
                shared.open();
            }
        });
        return ready;
    }

    /** Takes a member out of a group; the last one out ends the group's back-end subscription. */
    void leave(String group, String filter, Member member) {
        loop.execute(() -> {
            Group shared = groups.get(key(group, filter));
            if (shared != null) {
                shared.members.removeIf(existing -> existing.member() == member);
                if (shared.members.isEmpty()) {
                    groups.remove(shared.key);
                    shared.close();
                }
            }
        });
    }

    private static String key(String group, String filter) {
        return group + "\u0000" + filter;
    }

    @Override
    public void close() {
        loop.execute(() -> {
            groups.values().forEach(Group::close);
            groups.clear();
        });
    }

    private record Membership(Member member, MqttQoS qos) {
    }

    /** One group on one filter: its members in delivery order and its back-end subscription. */
    private final class Group implements BackendConnection.Listener {

        final String key;
        final String filter;
        final List<Membership> members = new ArrayList<>();
        final List<CompletableFuture<Void>> waiting = new ArrayList<>();
        int next;
        BackendLink link;
        boolean subscribed;
        boolean closed;

        Group(String key, String filter) {
            this.key = key;
            this.filter = filter;
        }

        void open() {
            if (link == null) {
                link = opener.open(loop, "alpnlab-share-" + GROUP_NUMBERS.incrementAndGet(), true, this);
            }
        }

        void close() {
            closed = true;
            if (link != null) {
                link.close();
            }
        }

        @Override
        public void fromBackend(MqttMessage message) {
            try {
                MqttMessageType type = message.fixedHeader().messageType();
                if (type == MqttMessageType.CONNACK) {
                    link.send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, filter).build());
                } else if (type == MqttMessageType.SUBACK) {
                    subscribed = true;
                    waiting.forEach(ready -> ready.complete(null));
                    waiting.clear();
                } else if (type == MqttMessageType.PUBLISH) {
                    handOver((MqttPublishMessage) message);
                }
            } finally {
                ReferenceCountUtil.release(message);
            }
        }

        /**
         * The next member in turn gets the message, at the lower of its QoS and its grant. The back end
         * has its PUBACK at once: from here on the message is the member's, as at AWS once delivered.
         */
        private void handOver(MqttPublishMessage publish) {
            if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                link.send(MqttPackets.pubAck(publish.variableHeader().packetId()));
            }
            if (members.isEmpty()) {
                return;
            }
            next = next % members.size();
            Membership chosen = members.get(next);
            next++;
            MqttQoS qos = MqttQoS.valueOf(Math.min(publish.fixedHeader().qosLevel().value(), chosen.qos().value()));
            String topic = publish.variableHeader().topicName();
            ByteBuf payload = publish.payload().retainedDuplicate();
            chosen.member().loop().execute(() -> chosen.member().deliverShared(topic, payload, qos));
        }

        @Override
        public void backendClosed() {
            link = null;
            subscribed = false;
            if (closed) {
                return;
            }
            IllegalStateException lost = new IllegalStateException("the back end closed the shared subscription to '" + filter
                    + "'");
            waiting.forEach(ready -> ready.completeExceptionally(lost));
            waiting.clear();
            // The members keep their subscription: the group subscribes again for them.
            if (!members.isEmpty()) {
                loop.schedule(() -> {
                    if (!closed && link == null) {
                        open();
                    }
                }, 200, TimeUnit.MILLISECONDS);
            }
        }
    }
}
