package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.observe.MqttObservation;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttMessage;

/**
 * Next to the MQTT codec: writes every packet the client sent and every packet that really went
 * to it into the connection's record, in order. Packets a misbehaviour withheld never get here;
 * the misbehaviour records them as withheld.
 */
final class MqttPacketRecorder extends ChannelDuplexHandler {

    static final String NAME = "mqtt-recorder";

    private final MqttObservation mqtt;

    MqttPacketRecorder(MqttObservation mqtt) {
        this.mqtt = mqtt;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof MqttMessage message) {
            if (message.decoderResult().isFailure()) {
                mqtt.packet(true, "MALFORMED", String.valueOf(message.decoderResult().cause().getMessage()));
            } else {
                mqtt.packet(true, message.fixedHeader().messageType().name(), () -> MqttPackets.describe(message));
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof MqttMessage message) {
            mqtt.packet(false, message.fixedHeader().messageType().name(), () -> MqttPackets.describe(message));
        }
        ctx.write(msg, promise);
    }
}
