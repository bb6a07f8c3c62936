package io.alpnlab.broker.capture;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** First on the socket side: copies what the connection reads and writes into its {@link ConnectionCapture}. */
public final class CaptureHandler extends ChannelDuplexHandler {

    public static final String NAME = "capture";

    private final ConnectionCapture capture;

    public CaptureHandler(ConnectionCapture capture) {
        this.capture = capture;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buffer) {
            capture.fromClient(buffer);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buffer) {
            capture.toClient(buffer);
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        capture.closed();
        ctx.fireChannelInactive();
    }
}
