package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.policy.Misbehaviours;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT misbehaviours a case plans, as a handler of their own that the honest handlers know
 * nothing of: withholds the CONNACK, the first PUBACK, the first SUBACK or every PINGRESP (failing
 * the write, so that what depends on the packet having gone out does not happen), and disconnects
 * the client a while after its CONNACK or after a number of its packets. In the pipeline only when
 * one of those is planned.
 */
final class MisbehavingMqttWriter extends ChannelDuplexHandler {

    static final String NAME = "mqtt-misbehaviour";

    /** The failure a withheld packet's write ends with. */
    static final class Withheld extends Exception {
        private static final long serialVersionUID = 1L;

        Withheld(String misbehaviour) {
            super("withheld by misbehaviour " + misbehaviour, null, false, false);
        }
    }

    private final Misbehaviours misbehaviours;
    private final MqttConnection connection;
    private boolean pubackWithheld;
    private boolean subackWithheld;
    private int packetsFromClient;
    private ScheduledFuture<?> scheduledDisconnect;

    MisbehavingMqttWriter(Misbehaviours misbehaviours, MqttConnection connection) {
        this.misbehaviours = misbehaviours;
        this.connection = connection;
    }

    /** True when some MQTT misbehaviour is planned, so the handler is needed. */
    static boolean needed(Misbehaviours misbehaviours) {
        return misbehaviours.on(Misbehaviour.WITHHOLD_CONNACK) || misbehaviours.on(Misbehaviour.WITHHOLD_PUBACK) || misbehaviours.on(Misbehaviour.WITHHOLD_SUBACK)
                || misbehaviours.on(Misbehaviour.WITHHOLD_PINGRESP) || !misbehaviours.duration(Misbehaviour.DISCONNECT_AFTER).isZero()
                || misbehaviours.count(Misbehaviour.DISCONNECT_AFTER_PACKETS) > 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean packet = msg instanceof MqttMessage message && message.decoderResult().isSuccess();
        ctx.fireChannelRead(msg);
        // Counted once the honest handlers have dealt with the packet, so the last one is answered first.
        if (packet && misbehaviours.count(Misbehaviour.DISCONNECT_AFTER_PACKETS) > 0 && ++packetsFromClient >= misbehaviours.count(Misbehaviour.DISCONNECT_AFTER_PACKETS)
                && connection.state == MqttConnection.State.CONNECTED) {
            connection.serverDisconnect("misbehaviour disconnect-after-packets=" + misbehaviours.count(Misbehaviour.DISCONNECT_AFTER_PACKETS));
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        String withheld = msg instanceof MqttMessage message ? withhold(message.fixedHeader().messageType()) : null;
        if (withheld == null) {
            ctx.write(msg, promise);
            if (msg instanceof MqttMessage message && message.fixedHeader().messageType() == MqttMessageType.CONNACK) {
                scheduleDisconnect(ctx);
            }
            return;
        }
        MqttMessage message = (MqttMessage) msg;
        String id = message.fixedHeader().messageType() == MqttMessageType.PUBACK
                || message.fixedHeader().messageType() == MqttMessageType.SUBACK ? "id " + MqttPackets.idOf(message) + " " : "";
        connection.mqtt.packet(false, message.fixedHeader().messageType().name(), id + "withheld (misbehaviour " + withheld + ")");
        ReferenceCountUtil.release(msg);
        promise.tryFailure(new Withheld(withheld));
    }

    /** The misbehaviour that withholds this packet, or null to send it. */
    private String withhold(MqttMessageType type) {
        switch (type) {
            case CONNACK:
                return misbehaviours.on(Misbehaviour.WITHHOLD_CONNACK) ? "withhold-connack" : null;
            case PUBACK:
                // Only the first: Device Advisor's retry test expects the resend to be acknowledged.
                if (misbehaviours.on(Misbehaviour.WITHHOLD_PUBACK) && !pubackWithheld) {
                    pubackWithheld = true;
                    return "withhold-puback";
                }
                return null;
            case SUBACK:
                if (misbehaviours.on(Misbehaviour.WITHHOLD_SUBACK) && !subackWithheld) {
                    subackWithheld = true;
                    return "withhold-suback";
                }
                return null;
            case PINGRESP:
                return misbehaviours.on(Misbehaviour.WITHHOLD_PINGRESP) ? "withhold-pingresp" : null;
            default:
                return null;
        }
    }

    private void scheduleDisconnect(ChannelHandlerContext ctx) {
        if (!misbehaviours.duration(Misbehaviour.DISCONNECT_AFTER).isZero() && scheduledDisconnect == null) {
            long millis = misbehaviours.duration(Misbehaviour.DISCONNECT_AFTER).toMillis();
            scheduledDisconnect = ctx.executor().schedule(() -> connection.serverDisconnect("misbehaviour disconnect-after="
                    + millis + "ms"), millis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (scheduledDisconnect != null) {
            scheduledDisconnect.cancel(false);
        }
    }
}
