package io.alpnlab.broker.tls;

import io.alpnlab.broker.capture.KeyLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts Bouncy Castle's non-blocking {@code TlsServerProtocol} to the pipeline and does nothing
 * else: bytes in through {@code offerInput}, BC's output to the socket through {@code readOutput},
 * decrypted bytes on to the application, application writes encrypted. Outcomes leave as events:
 * {@link TlsEstablished} when the handshake completes, {@link TlsFailedEvent} on a fatal alert.
 */
public final class BcTlsHandler extends ChannelDuplexHandler {

    public static final String NAME = "tls";

    private static final Logger LOG = LoggerFactory.getLogger(BcTlsHandler.class);

    private final TlsConnection connection;
    private final ObservingTlsServerProtocol protocol;
    private final BcTlsServer server;
    private boolean establishedFired;
    private boolean closing;

    BcTlsHandler(TlsConnection connection) throws IOException {
        this.connection = connection;
        this.protocol = new ObservingTlsServerProtocol(connection);
        this.server = new BcTlsServer(connection);
        protocol.accept(server);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof ClientHelloDecidedEvent decided) {
            // Taken before BC reads the ClientHello, so every BC callback finds it.
            connection.hello = decided.hello();
            connection.decision = decided.decision();
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buffer) || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (connection.keyLog == null) {
                offer(buffer);
            } else {
                // The handshake's key schedule runs inside offerInput: a captured connection's secrets are logged there.
                KeyLog.during(connection.keyLog, () -> offer(buffer));
            }
        } catch (IOException e) {
            onTlsFailure(ctx, e);
            return;
        } finally {
            buffer.release();
        }
        drainOutput(ctx);
        if (connection.handshakeComplete && !establishedFired) {
            establishedFired = true;
            ctx.fireUserEventTriggered(established());
        }
        drainApplicationData(ctx);
        if (protocol.isClosed() && !closing) {
            // The client sent close_notify; BC has answered it.
            closing = true;
            ctx.channel().close();
        }
    }

    /** Every read of every connection goes through here: no allocation beyond BC's own for array-backed buffers. */
    private void offer(ByteBuf buffer) throws IOException {
        if (buffer.hasArray()) {
            protocol.offerInput(buffer.array(), buffer.arrayOffset() + buffer.readerIndex(), buffer.readableBytes());
        } else {
            protocol.offerInput(ByteBufUtil.getBytes(buffer));
        }
    }

    private TlsEstablished established() {
        SecurityParameters parameters = server.connectionParameters();
        String alpn = parameters.getApplicationProtocol() == null ? null : parameters.getApplicationProtocol().getUtf8Decoding();
        return new TlsEstablished(connection.decision.application(), alpn, connection.clientCertificate, connection.device,
                connection.certificateDecision == null ? null : connection.certificateDecision.deferredRefusal(),
                connection.misbehaviours, connection.observation, parameters.getNegotiatedVersion().getFullVersion(),
                parameters.getCipherSuite());
    }

    private void onTlsFailure(ChannelHandlerContext ctx, IOException failure) {
        LOG.debug("conn#{} TLS failure", connection.observation.id(), failure);
        boolean sentByClient = failure instanceof TlsFatalAlertReceived;
        short alert = failure instanceof TlsFatalAlert fatal ? fatal.getAlertDescription()
                : failure instanceof TlsFatalAlertReceived received ? received.getAlertDescription()
                : AlertDescription.internal_error;
        boolean beforeClientHello = !connection.clientHelloAccepted && !sentByClient;
        if (beforeClientHello && connection.decision != null && connection.decision.refused()) {
            // The policy refused this hello already and the record names its alert: that is the one to send.
            alert = connection.decision.refusal().alertOnTheWire();
        }
        ctx.fireUserEventTriggered(new TlsFailedEvent(alert, sentByClient, connection.handshakeComplete,
                connection.lastHandshakeMessageReceived, failure.getMessage()));
        // BC queued the alert it raised; it must reach the peer before the close, or the peer sees a reset.
        if (drainOutput(ctx) == 0 && beforeClientHello) {
            // Before a ClientHello it could parse BC writes nothing; the RFCs still want the alert.
            ctx.writeAndFlush(TlsAlerts.plaintextFatal(ctx.alloc(), alert));
            connection.observation.alert(true, AlertLevel.fatal, alert);
        }
        closing = true;
        TlsAlerts.closeAfterAlert(ctx);
    }

    private void drainApplicationData(ChannelHandlerContext ctx) {
        int available = protocol.getAvailableInputBytes();
        if (available > 0) {
            ByteBuf plaintext = ctx.alloc().buffer(available);
            protocol.readInput(plaintext.nioBuffer(0, available), available);
            plaintext.writerIndex(available);
            ctx.fireChannelRead(plaintext);
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buffer)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            if (closing || !establishedFired) {
                promise.tryFailure(new IOException("TLS connection not open for application data"));
                return;
            }
            if (buffer.hasArray()) {
                protocol.writeApplicationData(buffer.array(), buffer.arrayOffset() + buffer.readerIndex(), buffer.readableBytes());
            } else {
                byte[] plaintext = ByteBufUtil.getBytes(buffer);
                protocol.writeApplicationData(plaintext, 0, plaintext.length);
            }
        } catch (IOException e) {
            promise.tryFailure(e);
            onTlsFailure(ctx, e);
            return;
        } finally {
            buffer.release();
        }
        drainOutput(ctx);
        promise.trySuccess();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        // Only an established connection is closed with close_notify; one that failed or timed out is just cut.
        if (!closing && connection.handshakeComplete && !protocol.isClosed()) {
            try {
                protocol.close(); // queues close_notify
            } catch (IOException e) {
                LOG.debug("conn#{} close_notify not sent: {}", connection.observation.id(), e.toString());
            }
            drainOutput(ctx);
        }
        closing = true;
        ctx.close(promise);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closing = true; // the connection is broken: no close_notify on the way out
        ctx.fireExceptionCaught(cause);
    }

    /** Moves BC's output, whole records, to the socket side of the pipeline; returns how many bytes. */
    private int drainOutput(ChannelHandlerContext ctx) {
        int available = protocol.getAvailableOutputBytes();
        if (available <= 0) {
            return 0;
        }
        ByteBuf out = ctx.alloc().buffer(available);
        protocol.readOutput(out.nioBuffer(0, available), available);
        out.writerIndex(available);
        ctx.writeAndFlush(out);
        return available;
    }
}
