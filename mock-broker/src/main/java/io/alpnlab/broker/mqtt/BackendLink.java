package io.alpnlab.broker.mqtt;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttMessage;

/** One client connection's session in the back-end broker, as the MQTT handlers use it. */
public interface BackendLink {

    /** Sends a packet; on a closed link the packet is released and dropped. */
    void send(MqttMessage message);

    void close();

    /** Opens a link for a client ID; the listener gets the CONNACK first, on {@code loop}. */
    @FunctionalInterface
    interface Opener {
        BackendLink open(EventLoop loop, String clientId, boolean cleanSession, BackendConnection.Listener listener);
    }
}
