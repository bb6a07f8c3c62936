package io.alpnlab.broker.tls;

import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Rule;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.HandshakeType;

/**
 * Reshapes what Bouncy Castle writes, on the socket side of it, as the connection's planned
 * misbehaviours say: plaintext handshake records (those before the server's ChangeCipherSpec; an
 * encrypted record cut in two fails its MAC) cut into small records, the first flight held
 * back, or the connection cut right after the ServerHello. In the pipeline only when one of those
 * is planned; BC's own output is whole records, which is what lets this handler cut them.
 */
public final class MisbehavingRecordWriter extends ChannelOutboundHandlerAdapter {

    public static final String NAME = "tls-misbehaviour";

    private final Misbehaviours misbehaviours;
    private final List<ByteBuf> held = new ArrayList<>();
    private ScheduledFuture<?> release;
    private boolean released;
    private boolean cut;
    /** After the server's ChangeCipherSpec its handshake records are encrypted: they are never split. */
    private boolean encrypting;

    public MisbehavingRecordWriter(Misbehaviours misbehaviours) {
        this.misbehaviours = misbehaviours;
    }

    /** True when some misbehaviour of this plan works on records, so the handler is needed. */
    public static boolean needed(Misbehaviours misbehaviours) {
        return misbehaviours.on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS) || !misbehaviours.duration(Misbehaviour.DELAY_SERVER_HELLO).isZero()
                || misbehaviours.on(Misbehaviour.CLOSE_AFTER_SERVER_HELLO);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf records) || cut) {
            ctx.write(msg, promise);
            return;
        }
        CompositeByteBuf out = ctx.alloc().compositeBuffer();
        boolean serverHello = false;
        try {
            while (records.readableBytes() >= TlsRecordScanner.HEADER_LENGTH) {
                int type = records.getUnsignedByte(records.readerIndex());
                int version = records.getUnsignedShort(records.readerIndex() + 1);
                int length = records.getUnsignedShort(records.readerIndex() + 3);
                records.skipBytes(TlsRecordScanner.HEADER_LENGTH);
                ByteBuf fragment = records.readRetainedSlice(length);
                if (type == TlsRecordScanner.CHANGE_CIPHER_SPEC) {
                    encrypting = true;
                }
                boolean plaintextHandshake = type == TlsRecordScanner.HANDSHAKE && !encrypting;
                if (plaintextHandshake && length > 0 && fragment.getUnsignedByte(0) == HandshakeType.server_hello) {
                    serverHello = true;
                }
                if (plaintextHandshake && misbehaviours.on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS)) {
                    while (fragment.isReadable()) {
                        appendRecord(ctx, out, type, version, fragment.readRetainedSlice(
                                Math.min(Misbehaviours.SPLIT_RECORD_BYTES, fragment.readableBytes())));
                    }
                    fragment.release();
                } else {
                    appendRecord(ctx, out, type, version, fragment);
                }
                if (serverHello && misbehaviours.on(Misbehaviour.CLOSE_AFTER_SERVER_HELLO)) {
                    cut = true;
                    break;
                }
            }
        } finally {
            records.release();
        }
        if (!misbehaviours.duration(Misbehaviour.DELAY_SERVER_HELLO).isZero() && !released) {
            hold(ctx, out, promise);
        } else {
            ctx.write(out, promise);
        }
        if (cut) {
            ctx.flush();
            ctx.fireUserEventTriggered(new ConnectionRefusedEvent(new Refusal(Rule.TLS_HS_03, Refusal.NO_ALERT,
                    "misbehaviour close-after-server-hello: the server closed the connection after its ServerHello"), List.of()));
            ctx.close(); // from here, so that Bouncy Castle adds no close_notify
        }
    }

    private static void appendRecord(ChannelHandlerContext ctx, CompositeByteBuf out, int type, int version, ByteBuf fragment) {
        ByteBuf header = ctx.alloc().buffer(TlsRecordScanner.HEADER_LENGTH);
        header.writeByte(type).writeShort(version).writeShort(fragment.readableBytes());
        out.addComponent(true, header);
        out.addComponent(true, fragment);
    }

    /** delay-server-hello: everything written in the first {@code delay} goes out together when it ends. */
    private void hold(ChannelHandlerContext ctx, ByteBuf out, ChannelPromise promise) {
        held.add(out);
        promise.trySuccess();
        if (release == null) {
            release = ctx.executor().schedule(() -> {
                released = true;
                held.forEach(ctx::write);
                held.clear();
                ctx.flush();
            }, misbehaviours.duration(Misbehaviour.DELAY_SERVER_HELLO).toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (release != null) {
            release.cancel(false);
        }
        held.forEach(ByteBuf::release);
        held.clear();
    }
}
