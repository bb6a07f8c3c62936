package io.alpnlab.broker.tls;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.broker.policy.HelloDecision;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.util.concurrent.Future;

/**
 * Reads the ClientHello, however many records it spans, asks {@link ConnectionPolicy} once, fires
 * {@link ClientHelloDecidedEvent} and removes itself, as Netty's {@code SniHandler} does; the bytes
 * it held then go on to Bouncy Castle, whose callbacks find the decision already taken. Netty's base
 * class reassembles the hello and refuses one longer than the profile's limit from its declared
 * length, before buffering it.
 */
public final class ClientHelloGate extends SslClientHelloHandler<HelloDecision> {

    public static final String NAME = "tls-client-hello";

    private final ListenerRole role;
    private final Profile profile;
    private final Misbehaviours misbehaviours;
    private ClientHelloFacts hello;
    private String error;
    private int length;
    /** The ClientHello length its header declares, peeked from the first record for the refusal's message. */
    private int declaredLength = -1;
    /** The first record's length, peeked with the ClientHello's. */
    private int firstRecordLength = -1;

    public ClientHelloGate(ListenerRole role, Profile profile, Misbehaviours misbehaviours) {
        super(profile.maxClientHelloBytes());
        this.role = role;
        this.profile = profile;
        this.misbehaviours = misbehaviours;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (declaredLength < 0 && msg instanceof ByteBuf buffer && internalBuffer().readableBytes() == 0
                && buffer.readableBytes() >= TlsRecordScanner.HEADER_LENGTH + 4) {
            // Record header (5 bytes), handshake type (1), then the 3-byte length.
            declaredLength = buffer.getUnsignedMedium(buffer.readerIndex() + TlsRecordScanner.HEADER_LENGTH + 1);
            firstRecordLength = buffer.getUnsignedShort(buffer.readerIndex() + 3);
            HelloDecision oversize = oversize();
            if (oversize != null) {
                // Refused from its headers, without buffering it, and with its alert: Netty's base class would close
                // without one, and Bouncy Castle never sees it.
                buffer.release();
                ctx.fireUserEventTriggered(new ClientHelloDecidedEvent(null, oversize, oversize.refusal().detail(),
                        declaredLength, true));
                ctx.writeAndFlush(TlsAlerts.plaintextFatal(ctx.alloc(), oversize.refusal().alertOnTheWire()));
                TlsAlerts.closeAfterAlert(ctx);
                return;
            }
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected Future<HelloDecision> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) {
        if (clientHello == null) {
            // The first record is no ClientHello: refused under TLS-HS-02; Bouncy Castle raises the same alert.
            return ctx.executor().newSucceededFuture(ConnectionPolicy.onFirstMessageNotClientHello());
        }
        byte[] body = ByteBufUtil.getBytes(clientHello);
        length = body.length;
        HelloDecision decision;
        try {
            hello = ClientHelloDecoder.decode(body);
            decision = ConnectionPolicy.onClientHello(role, hello, profile, misbehaviours);
        } catch (ClientHelloDecoder.MalformedClientHelloException e) {
            error = e.getMessage();
            decision = ConnectionPolicy.onMalformedClientHello(e.getMessage());
        }
        return ctx.executor().newSucceededFuture(decision);
    }

    /** The refusal of a hello too long for TLS or for the profile, from what its headers declared; null if neither. */
    private HelloDecision oversize() {
        return firstRecordLength > (1 << 14) ? ConnectionPolicy.onRecordOverflow(firstRecordLength)
                : declaredLength < 0 ? null : ConnectionPolicy.onClientHelloLength(declaredLength, profile);
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<HelloDecision> future) {
        ctx.fireUserEventTriggered(new ClientHelloDecidedEvent(hello, future.getNow(), error, length));
        ctx.pipeline().remove(this);
    }

    /**
     * Netty's base class gives up when the hello is too long or the records are not TLS. A hello too long
     * is answered with its alert (record_overflow for a record over TLS's maximum, illegal_parameter for a
     * hello over the profile's limit) written here, since Bouncy Castle never sees it; bytes that are not
     * TLS at all get no alert, as they speak no version an alert could be written in. The policy names the rule.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable reason = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (reason instanceof TooLongFrameException) {
            HelloDecision oversize = oversize();
            if (oversize == null) {
                oversize = ConnectionPolicy.onMalformedClientHello(reason.getMessage());
            }
            ctx.fireUserEventTriggered(new ClientHelloDecidedEvent(null, oversize, oversize.refusal().detail(),
                    Math.max(declaredLength, 0)));
        } else if (reason instanceof NotSslRecordException) {
            ctx.fireUserEventTriggered(new ClientHelloDecidedEvent(null, ConnectionPolicy.onMalformedClientHello(
                    reason.getMessage()), reason.getMessage(), 0));
        } else {
            ctx.fireExceptionCaught(cause);
            return;
        }
        ctx.close();
    }
}
