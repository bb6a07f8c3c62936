package io.alpnlab.broker.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertLevel;

/**
 * The fatal alert a server owes a client whose first flight it cannot take, written as a plaintext
 * record: Bouncy Castle writes nothing before a ClientHello it could parse (it does not know the
 * version yet), and RFC 8446 section 6 and RFC 5246 section 7.2.2 still want the alert. The record
 * version is TLS 1.2's, which every client accepts on a record before the ServerHello.
 */
final class TlsAlerts {

    private static final int ALERT_CONTENT_TYPE = 21;
    /** How long a refused client may take to read its alert and close before the broker closes anyway. */
    static final Duration LINGER = Duration.ofSeconds(1);

    private TlsAlerts() {
    }

    static ByteBuf plaintextFatal(ByteBufAllocator allocator, short description) {
        ByteBuf record = allocator.buffer(7);
        record.writeByte(ALERT_CONTENT_TYPE).writeShort(0x0303).writeShort(2).writeByte(AlertLevel.fatal).writeByte(description);
        return record;
    }

    /**
     * Closes the connection once the alert already written has gone out, so that the client reads it:
     * closing a socket with the client's bytes still unread (the rest of an oversized hello or record)
     * makes the kernel answer with a reset, and a reset can destroy the alert in the client's receive
     * buffer before the client reads it; the client would then report "connection reset" instead of the
     * alert that names its fault. So the write side is shut after the alert (a FIN), whatever the client
     * still sends is read and dropped, and the connection closes when the client closes or after
     * {@link #LINGER}, whichever comes first, so that a client that never closes holds nothing.
     */
    static void closeAfterAlert(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        // Writes complete in order: when this empty one has, so has the alert before it.
        var written = ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
        if (!(channel instanceof DuplexChannel duplex)) {
            written.addListener(done -> channel.close());
            return;
        }
        if (channel.pipeline().get(DiscardInput.class) == null) {
            channel.pipeline().addFirst(DiscardInput.INSTANCE);
        }
        channel.config().setAutoRead(true);
        written.addListener(done -> {
            if (done.isSuccess()) {
                duplex.shutdownOutput();
            } else {
                channel.close();
            }
        });
        channel.eventLoop().schedule(() -> channel.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Drops what a refused client still sends while the broker waits for it to close. */
    @ChannelHandler.Sharable
    private static final class DiscardInput extends ChannelInboundHandlerAdapter {
        static final DiscardInput INSTANCE = new DiscardInput();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
