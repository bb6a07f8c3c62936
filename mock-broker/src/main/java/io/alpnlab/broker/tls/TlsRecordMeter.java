package io.alpnlab.broker.tls;

import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.broker.policy.HelloDecision;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import org.bouncycastle.tls.HandshakeType;

/**
 * Next to the socket: counts the bytes and records that cross the wire in each direction for the
 * connection's record, refuses a byte stream that is not TLS (plain MQTT or HTTP on a TLS port), and
 * tells the pipeline when the ServerHello went out. It reads record headers only; bytes pass unchanged.
 */
public final class TlsRecordMeter extends ChannelDuplexHandler {

    public static final String NAME = "tls-record-meter";

    private final ConnectionObservation observation;
    private final TlsRecordScanner inbound = new TlsRecordScanner();
    private final TlsRecordScanner outbound = new TlsRecordScanner();
    private boolean notTls;
    private boolean serverHelloSent;
    private boolean serverHelloAnnounced;

    public TlsRecordMeter(ConnectionObservation observation) {
        this.observation = observation;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buffer) || notTls) {
            ReferenceCountUtil.release(msg);
            return;
        }
        int records;
        try {
            records = inbound.scan(buffer, null);
        } catch (TlsRecordScanner.NotTlsException e) {
            notTls = true;
            observation.inbound(buffer.readableBytes(), 0);
            buffer.release();
            HelloDecision decision = ConnectionPolicy.onNotTls(e.getMessage());
            ctx.fireUserEventTriggered(new ConnectionRefusedEvent(decision.refusal(), decision.checks()));
            ctx.close();
            return;
        }
        observation.inbound(buffer.readableBytes(), records);
        ctx.fireChannelRead(buffer);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof ByteBuf buffer) {
            int records = outbound.scan(buffer, this::outboundRecord);
            observation.outbound(buffer.readableBytes(), records, outbound.largestFragment());
        }
        ctx.write(msg, promise);
        if (serverHelloSent && !serverHelloAnnounced) {
            serverHelloAnnounced = true;
            ctx.fireUserEventTriggered(ServerHelloSentEvent.INSTANCE);
        }
    }

    private void outboundRecord(int type, int length, int firstFragmentByte) {
        if (type == TlsRecordScanner.HANDSHAKE && firstFragmentByte == HandshakeType.server_hello) {
            serverHelloSent = true;
        }
    }
}
