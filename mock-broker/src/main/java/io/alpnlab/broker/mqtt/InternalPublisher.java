package io.alpnlab.broker.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The broker's own back-end connection, for what AWS publishes itself: lifecycle events and HTTPS
 * publishes. Connects lazily, queues while connecting, reconnects after a loss.
 */
public final class InternalPublisher {

    private final EventLoop loop;
    private final BackendLink.Opener backend;
    private final String backendDescription;
    private final String clientId = "alpnlab-internal-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    private BackendLink connection;
    private boolean linkOpen;
    private boolean connected;
    /** Set when close() waits for a CONNACK in flight; completed once the link is closed. */
    private CompletableFuture<Void> closedLink;
    private record Pending(Runnable send, CompletableFuture<Void> done) {
    }

    private final Queue<Pending> pending = new ArrayDeque<>();
    private final Map<Integer, CompletableFuture<Void>> awaitingAck = new HashMap<>();
    private int nextPacketId = 1;

    public InternalPublisher(EventLoop loop, BackendLink.Opener backend, String backendDescription) {
        this.loop = loop;
        this.backend = backend;
        this.backendDescription = backendDescription;
    }

    /** Publishes; the future completes when the back end has the message (PUBACK for QoS 1). */
    public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            Runnable send = () -> {
                int packetId = qos > 0 ? nextPacketId() : 0;
                MqttMessage publish = MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).retained(retain)
                        .messageId(packetId).payload(Unpooled.wrappedBuffer(payload)).build();
                if (qos > 0) {
                    awaitingAck.put(packetId, done);
                } else {
                    done.complete(null);
                }
                connection.send(publish);
            };
            if (connected) {
                send.run();
            } else {
                pending.add(new Pending(send, done));
                connect();
            }
        });
        return done;
    }

    private int nextPacketId() {
        int id = nextPacketId;
        nextPacketId = nextPacketId == 65535 ? 1 : nextPacketId + 1;
        return id;
    }

    private void connect() {
        if (linkOpen) {
            return;
        }
        linkOpen = true;
        connection = backend.open(loop, clientId, true, new BackendConnection.Listener() {
            @Override
            public void fromBackend(MqttMessage message) {
                try {
                    if (message.fixedHeader().messageType() == MqttMessageType.CONNACK && closedLink != null) {
                        closeNow();
                    } else if (message.fixedHeader().messageType() == MqttMessageType.CONNACK) {
                        connected = true;
                        while (!pending.isEmpty()) {
                            pending.poll().send().run();
                        }
                    } else if (message.fixedHeader().messageType() == MqttMessageType.PUBACK) {
                        int id = ((MqttMessageIdVariableHeader) message.variableHeader()).messageId();
                        CompletableFuture<Void> done = awaitingAck.remove(id);
                        if (done != null) {
                            done.complete(null);
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }

            @Override
            public void backendClosed() {
                connected = false;
                linkOpen = false;
                IllegalStateException lost = new IllegalStateException("back-end connection lost: " + backendDescription);
                awaitingAck.values().forEach(done -> done.completeExceptionally(lost));
                awaitingAck.clear();
                pending.forEach(waiting -> waiting.done().completeExceptionally(lost));
                pending.clear();
            }
        });
    }

    /**
     * Closes the link, and completes once it is closed. One still waiting for its CONNACK is closed once
     * the CONNACK is in (or after a second): Moquette 0.17 throws from inside its CONNACK write when the
     * connection is already gone (SessionCorruptedException, logged with its stack trace), which a broker
     * stopped right after its first device connected (a self-check) would otherwise print.
     */
    public CompletableFuture<Void> close() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        loop.execute(() -> {
            if (connection == null) {
                closed.complete(null);
            } else if (linkOpen && !connected) {
                closedLink = closed;
                loop.schedule(this::closeNow, 1, java.util.concurrent.TimeUnit.SECONDS);
            } else {
                connection.close();
                closed.complete(null);
            }
        });
        return closed;
    }

    private void closeNow() {
        connection.close();
        if (closedLink != null) {
            closedLink.complete(null);
        }
    }
}
