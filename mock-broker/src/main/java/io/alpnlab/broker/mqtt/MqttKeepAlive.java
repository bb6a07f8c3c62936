package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.rules.Rule;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Keep-alive, as HiveMQ's ping handler: answers PINGREQ with PINGRESP, and ends the connection
 * under MQTT-KA-01 when the {@code IdleStateHandler} before it saw no packet for 1.5 x the
 * keep-alive AWS applied. Installed with that handler when a CONNECT is accepted.
 */
final class MqttKeepAlive extends ChannelInboundHandlerAdapter {

    static final String NAME = "mqtt-keepalive";
    static final String IDLE_NAME = "mqtt-idle";

    private final MqttConnection connection;

    MqttKeepAlive(MqttConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof MqttMessage message && message.decoderResult().isSuccess()
                && message.fixedHeader().messageType() == MqttMessageType.PINGREQ) {
            ReferenceCountUtil.release(msg);
            connection.send(MqttMessage.PINGRESP);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            connection.violate(new MqttPolicy.Violation(Rule.MQTT_KA_01, "no packet from the client within 1.5 x its"
                    + " keep-alive; send PINGREQ before the keep-alive elapses", MqttPolicy.REASON_KEEP_ALIVE_TIMEOUT,
                    "MQTT_KEEP_ALIVE_TIMEOUT"));
            return;
        }
        super.userEventTriggered(ctx, event);
    }
}
