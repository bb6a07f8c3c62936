package io.alpnlab.broker.tls;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.broker.policy.HandshakeFailure;
import io.alpnlab.broker.policy.HelloDecision;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.HandshakeType;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Terminates TLS for one connection with Bouncy Castle's non-blocking {@code TlsServerProtocol}.
 * Inbound bytes are first observed (records counted, the ClientHello decoded and decided on by
 * {@link ConnectionPolicy}), then offered to BC; BC's output is reshaped only where a misbehaviour
 * asks for it. When the handshake completes, {@link TlsEstablished} travels down the pipeline and
 * decrypted bytes follow it; writes from the application are encrypted on the way out.
 */
public final class BcTlsServerHandler extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(BcTlsServerHandler.class);

    private final BrokerContext broker;
    private final ListenerRole role;
    private TlsConnection connection;
    private ObservingTlsServerProtocol protocol;
    private BcTlsServer server;
    private final TlsRecordStream inboundRecords = new TlsRecordStream();
    private final TlsRecordStream outboundRecords = new TlsRecordStream();
    private final ByteArrayOutputStream clientHelloBytes = new ByteArrayOutputStream();
    private boolean clientHelloSeen;
    private ScheduledFuture<?> handshakeTimeout;
    private boolean establishedFired;
    private boolean closing;
    private boolean published;
    /** Output held back by delay-server-hello until this nano time; 0 when not holding. */
    private long holdOutputUntil;
    private final List<ByteBuf> heldOutput = new ArrayList<>();

    public BcTlsServerHandler(BrokerContext broker, ListenerRole role) {
        this.broker = broker;
        this.role = role;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
        Misbehaviours misbehaviours = broker.plan().next(role);
        ConnectionObservation observation = new ConnectionObservation(broker.nextConnectionId(), role,
                remote.getAddress().getHostAddress() + ":" + remote.getPort(), local.getPort(), broker.clock());
        observation.plan(null, null, misbehaviours.describe());
        broker.opened(observation, ctx.channel());
        connection = new TlsConnection(role, broker.profile(), misbehaviours, observation, broker.registry(),
                broker.credentials(), broker.clock());
        protocol = new ObservingTlsServerProtocol(connection);
        server = new BcTlsServer(connection);
        protocol.accept(server);
        handshakeTimeout = ctx.executor().schedule(() -> onHandshakeTimeout(ctx),
                broker.timing().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    public ConnectionObservation observation() {
        return connection.observation;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buffer)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        byte[] data;
        try {
            data = new byte[buffer.readableBytes()];
            buffer.readBytes(data);
        } finally {
            buffer.release();
        }
        if (closing) {
            return;
        }
        List<TlsRecordStream.TlsRecord> records;
        try {
            records = inboundRecords.offer(data, 0, data.length);
        } catch (TlsRecordStream.NotTlsException e) {
            HelloDecision decision = ConnectionPolicy.onNotTls(e.getMessage());
            connection.observation.addChecks(decision.checks());
            connection.observation.refuse(decision.refusal());
            connection.observation.inbound(data.length, 0);
            closeNow(ctx);
            return;
        }
        connection.observation.inbound(data.length, records.size());
        if (!clientHelloSeen) {
            observeClientHello(records);
        }
        try {
            protocol.offerInput(data);
        } catch (IOException e) {
            onTlsFailure(ctx, e);
            return;
        }
        drainOutput(ctx);
        if (connection.handshakeComplete && !establishedFired) {
            onHandshakeComplete(ctx);
        }
        drainApplicationData(ctx);
        if (protocol.isClosed() && !closing) {
            // The client sent close_notify; BC has answered it.
            closeNow(ctx);
        }
    }

    /**
     * Reassembles the first handshake message from plaintext records and decides on it before BC
     * reads it, so every BC callback finds the decision taken.
     */
    private void observeClientHello(List<TlsRecordStream.TlsRecord> records) {
        for (TlsRecordStream.TlsRecord record : records) {
            if (record.type() != TlsRecordStream.HANDSHAKE) {
                clientHelloSeen = true; // BC will refuse whatever this is (unexpected_message)
                return;
            }
            clientHelloBytes.write(record.fragment(), 0, record.fragment().length);
            byte[] bytes = clientHelloBytes.toByteArray();
            if (bytes.length < 4) {
                continue;
            }
            int type = bytes[0] & 0xFF;
            int length = ((bytes[1] & 0xFF) << 16) | ((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF);
            if (type != HandshakeType.client_hello) {
                clientHelloSeen = true;
                return;
            }
            HelloDecision oversize = ConnectionPolicy.onClientHelloLength(length, connection.profile);
            if (oversize != null) {
                clientHelloSeen = true;
                connection.observation.clientHelloError(oversize.refusal().detail(), length);
                connection.observation.addChecks(oversize.checks());
                connection.observation.refuse(oversize.refusal());
                return;
            }
            if (bytes.length < 4 + length) {
                continue;
            }
            clientHelloSeen = true;
            byte[] body = new byte[length];
            System.arraycopy(bytes, 4, body, 0, length);
            decide(body);
            return;
        }
    }

    private void decide(byte[] body) {
        HelloDecision decision;
        try {
            ClientHelloFacts hello = ClientHelloDecoder.decode(body);
            connection.hello = hello;
            connection.observation.clientHello(hello);
            decision = ConnectionPolicy.onClientHello(role, hello, connection.profile, connection.misbehaviours);
        } catch (ClientHelloDecoder.MalformedClientHelloException e) {
            connection.observation.clientHelloError(e.getMessage(), body.length);
            decision = ConnectionPolicy.onMalformedClientHello(e.getMessage());
        }
        connection.decision = decision;
        connection.observation.addChecks(decision.checks());
        if (decision.refused()) {
            connection.observation.refuse(decision.refusal());
        } else {
            connection.observation.plan(decision.application().name(), decision.selectedAlpn(),
                    connection.misbehaviours.describe());
        }
    }

    private void onTlsFailure(ChannelHandlerContext ctx, IOException failure) {
        boolean sentByClient = failure instanceof TlsFatalAlertReceived;
        LOG.debug("conn#{} TLS failure", connection.observation.id(), failure);
        short alert = failure instanceof TlsFatalAlert fatal ? fatal.getAlertDescription()
                : failure instanceof TlsFatalAlertReceived received ? received.getAlertDescription()
                : AlertDescription.internal_error;
        if (!connection.handshakeComplete && !connection.observation.hasVerdict()) {
            Refusal explanation = ConnectionPolicy.explainFailure(new HandshakeFailure(alert, sentByClient,
                    connection.lastHandshakeMessageReceived, connection.observation.wasCertificateRequestSent(),
                    connection.serverFlightSent, connection.misbehaviours, failure.getMessage()));
            if (sentByClient) {
                Check check = ConnectionPolicy.verdictOfClientAbort(explanation);
                connection.observation.clientAborted(explanation, check);
            } else {
                connection.observation.refuse(explanation);
            }
        } else if (!(failure instanceof TlsFatalAlert) && !sentByClient) {
            LOG.debug("conn#{} TLS failure after the handshake: {}", connection.observation.id(), failure.toString());
        }
        // BC queued the alert it raised; it must reach the peer before the close, or the peer sees a reset.
        drainOutput(ctx);
        closeNow(ctx);
    }

    private void onHandshakeComplete(ChannelHandlerContext ctx) {
        establishedFired = true;
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        SecurityParameters parameters = server.connectionParameters();
        ProtocolVersion version = parameters.getNegotiatedVersion();
        String alpn = parameters.getApplicationProtocol() == null ? null : parameters.getApplicationProtocol().getUtf8Decoding();
        connection.observation.handshakeCompleted(ConnectionPolicy.versionName(version.getFullVersion()),
                parameters.getCipherSuite(), alpn, acceptingRule());
        connection.observation.addChecks(ConnectionPolicy.onHandshakeComplete(connection.misbehaviours, alpn,
                connection.hello != null && connection.hello.alpnNames() != null));
        ctx.fireUserEventTriggered(new TlsEstablished(connection.decision.application(), alpn, connection.clientCertificate,
                connection.device, connection.certificateDecision == null ? null : connection.certificateDecision.deferredRefusal(),
                connection.misbehaviours, connection.observation));
    }

    /** The rule under which a completed handshake was accepted: the listener/ALPN dispatch that applied. */
    private Rule acceptingRule() {
        return switch (connection.decision.application()) {
            case MQTT_X509 -> role == ListenerRole.MULTIPLEX_443 ? Rule.TLS_ALPN_01 : Rule.TLS_CERT_03;
            case HTTPS_X509 -> role == ListenerRole.MULTIPLEX_443 ? Rule.TLS_ALPN_04 : Rule.TLS_CERT_03;
            case MQTT_CUSTOM_AUTH -> Rule.TLS_ALPN_05;
            case UNAUTHENTICATED_443 -> Rule.TLS_ALPN_03;
        };
    }

    private void drainApplicationData(ChannelHandlerContext ctx) {
        int available = protocol.getAvailableInputBytes();
        if (available > 0) {
            byte[] plaintext = new byte[available];
            protocol.readInput(plaintext, 0, available);
            ctx.fireChannelRead(Unpooled.wrappedBuffer(plaintext));
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
            byte[] plaintext = new byte[buffer.readableBytes()];
            buffer.readBytes(plaintext);
            protocol.writeApplicationData(plaintext, 0, plaintext.length);
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
        if (!closing && protocol != null && !protocol.isClosed()) {
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

    /**
     * Moves BC's output to the socket, reshaped where a misbehaviour says so: plaintext handshake
     * records cut into small records, the first flight held back, or the connection cut after the
     * ServerHello.
     */
    private void drainOutput(ChannelHandlerContext ctx) {
        int available = protocol.getAvailableOutputBytes();
        if (available <= 0) {
            return;
        }
        byte[] output = new byte[available];
        protocol.readOutput(output, 0, available);
        List<TlsRecordStream.TlsRecord> records;
        try {
            records = outboundRecords.offer(output, 0, output.length);
        } catch (TlsRecordStream.NotTlsException e) {
            throw new IllegalStateException("Bouncy Castle produced a non-TLS record: " + e.getMessage(), e);
        }
        Misbehaviours misbehaviours = connection.misbehaviours;
        ByteBuf out = ctx.alloc().buffer(output.length);
        long recordsOut = 0;
        boolean cut = false;
        for (TlsRecordStream.TlsRecord record : records) {
            boolean plaintextHandshake = record.type() == TlsRecordStream.HANDSHAKE;
            if (plaintextHandshake && misbehaviours.splitHandshakeRecords()) {
                byte[] fragment = record.fragment();
                for (int offset = 0; offset < fragment.length; offset += Misbehaviours.SPLIT_RECORD_BYTES) {
                    int length = Math.min(Misbehaviours.SPLIT_RECORD_BYTES, fragment.length - offset);
                    byte[] piece = new byte[length];
                    System.arraycopy(fragment, offset, piece, 0, length);
                    out.writeBytes(new TlsRecordStream.TlsRecord(record.type(), record.version(), piece).toBytes());
                    recordsOut++;
                }
            } else {
                out.writeBytes(record.toBytes());
                recordsOut++;
            }
            if (plaintextHandshake && record.fragment().length > 0 && record.fragment()[0] == HandshakeType.server_hello) {
                connection.serverFlightSent = true;
                if (misbehaviours.closeAfterServerHello()) {
                    cut = true;
                    break;
                }
            }
        }
        connection.observation.outbound(out.readableBytes(), recordsOut);
        if (!misbehaviours.delayServerHello().isZero() && !connection.handshakeComplete) {
            if (holdOutputUntil == 0) {
                holdOutputUntil = System.nanoTime() + misbehaviours.delayServerHello().toNanos();
                ctx.executor().schedule(() -> releaseHeldOutput(ctx), misbehaviours.delayServerHello().toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            if (System.nanoTime() < holdOutputUntil) {
                heldOutput.add(out);
                return;
            }
        }
        ctx.writeAndFlush(out);
        if (cut) {
            connection.observation.refuse(new Refusal(Rule.TLS_HS_03, Refusal.NO_ALERT,
                    "misbehaviour close-after-server-hello: the server closed the connection after its ServerHello"));
            closeNow(ctx);
        }
    }

    private void releaseHeldOutput(ChannelHandlerContext ctx) {
        holdOutputUntil = 1; // in the past: later output goes straight out
        for (ByteBuf held : heldOutput) {
            ctx.write(held);
        }
        heldOutput.clear();
        ctx.flush();
    }

    private void onHandshakeTimeout(ChannelHandlerContext ctx) {
        if (connection.handshakeComplete || closing) {
            return;
        }
        String progress = connection.hello == null
                ? "ClientHello not complete (" + inboundRecords.bytes() + " bytes received)"
                : "ClientHello received, handshake not finished";
        connection.observation.refuse(new Refusal(Rule.TLS_HS_01, Refusal.NO_ALERT, "TLS handshake not completed within "
                + broker.timing().handshakeTimeout().toMillis() + " ms: " + progress));
        closeNow(ctx);
    }

    private void closeNow(ChannelHandlerContext ctx) {
        closing = true;
        ctx.channel().close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        heldOutput.forEach(ByteBuf::release);
        heldOutput.clear();
        if (connection != null && !connection.handshakeComplete && !connection.observation.hasVerdict()) {
            Refusal explanation = ConnectionPolicy.explainClientClose(connection.misbehaviours, connection.serverFlightSent,
                    connection.hello != null);
            connection.observation.clientClosed(explanation, ConnectionPolicy.verdictOfClientAbort(explanation));
        }
        publishOnce();
        super.channelInactive(ctx);
    }

    private void publishOnce() {
        if (!published && connection != null) {
            published = true;
            // Publish before leaving the open set: whoever waits for "no open connection" then finds the record.
            broker.recorder().publish(connection.observation.finish());
            broker.closed(connection.observation);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or a broken pipe ends this connection only; the broker keeps serving the others.
        LOG.debug("conn#{} closed on {}", connection == null ? -1 : connection.observation.id(), cause.toString());
        closeNow(ctx);
    }
}
