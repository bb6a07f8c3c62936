package io.alpnlab.broker.mqtt;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.util.ReferenceCountUtil;

/**
 * What the handlers that consume a client's packets share: each packet is handled while the
 * connection is open and released after, and the end of the TCP connection or a bug in handling
 * reaches {@link MqttConnection}, which ends the session once.
 */
abstract class MqttConnectionHandler extends ChannelInboundHandlerAdapter {

    final MqttConnection connection;

    MqttConnectionHandler(MqttConnection connection) {
        this.connection = connection;
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof MqttMessage message && connection.state != MqttConnection.State.CLOSED) {
                if (message.decoderResult().isFailure()) {
                    connection.undecodable(message.decoderResult().cause());
                } else {
                    onPacket(ctx, message);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** One packet the client sent, decoded; released when this returns. */
    abstract void onPacket(ChannelHandlerContext ctx, MqttMessage message);

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        connection.inactive();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connection.failed(cause);
    }
}
