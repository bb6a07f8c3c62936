package io.alpnlab.broker.app;

import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Port 443 without a recognised ALPN name, where AWS expects SigV4 (HTTPS or WebSocket): what users
 * observe is reproduced. MQTT gets no CONNACK and the connection is closed after a timeout; HTTP
 * gets a 403 that says SigV4 is not emulated. The first byte tells the two apart (0x10 is an MQTT
 * CONNECT, letters start an HTTP request line).
 */
public final class UnauthenticatedHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "unauthenticated";

    static final String SIGV4_MESSAGE = "403 Forbidden: HTTPS on port 443 without a client certificate needs SigV4,"
            + " which alpnlab does not emulate; offer ALPN x-amzn-http-ca with your device certificate, or use port 8443";

    private final ConnectionObservation observation;
    private final Duration mqttTimeout;
    private boolean decided;

    public UnauthenticatedHandler(ConnectionObservation observation, Duration mqttTimeout) {
        this.observation = observation;
        this.mqttTimeout = mqttTimeout;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (decided) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf bytes = (ByteBuf) msg;
        if (!bytes.isReadable()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        decided = true;
        int first = bytes.getUnsignedByte(bytes.readerIndex());
        if (first >> 4 == 1) {
            // The MQTT client is held for the unauthenticated timeout instead, as AWS holds it.
            FirstMessageDeadline.met(ctx.channel());
            ReferenceCountUtil.release(msg);
            String detail = "MQTT CONNECT on 443 without ALPN x-amzn-mqtt-ca: no CONNACK (as AWS does); your ClientHello offered"
                    + " no ALPN x-amzn-mqtt-ca, so AWS requests no client certificate and treats the connection as SigV4";
            observation.mqtt().packet(true, "CONNECT", "ignored: no certificate-authenticated MQTT on this connection");
            observation.addCheck(Check.fail(Rule.TLS_ALPN_03, detail));
            observation.settle("its MQTT CONNECT on 443 without ALPN x-amzn-mqtt-ca will never be answered, as at AWS"
                    + " (TLS-ALPN-03)");
            ctx.pipeline().replace(this, BlackHole.NAME, new BlackHole());
            ctx.executor().schedule(() -> {
                observation.mqtt().disconnectReason("no CONNACK; closed after " + mqttTimeout.toMillis() + " ms");
                ctx.close();
            }, mqttTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            ctx.pipeline().addAfter(ctx.name(), ApplicationDispatcher.HTTP_AGGREGATOR_NAME, new HttpObjectAggregator(64 * 1024));
            ctx.pipeline().addAfter(ctx.name(), ApplicationDispatcher.HTTP_CODEC_NAME, new HttpServerCodec());
            ctx.pipeline().addLast(SigV4Refusal.NAME, new SigV4Refusal(observation));
            ctx.fireChannelRead(msg);
            ctx.pipeline().remove(this);
        }
    }

    /** Swallows everything the client sends: AWS never answers this MQTT client. */
    static final class BlackHole extends ChannelInboundHandlerAdapter {
        static final String NAME = "blackhole";

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Answers every HTTP request with 403 and the reason. */
    static final class SigV4Refusal extends ChannelInboundHandlerAdapter {
        static final String NAME = "sigv4";

        private final ConnectionObservation observation;

        SigV4Refusal(ConnectionObservation observation) {
            this.observation = observation;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    FirstMessageDeadline.met(ctx.channel());
                    observation.addCheck(Check.applied(Rule.HTTP_SIGV4_01, request.method() + " " + request.uri()
                            + " on 443 without a client certificate: 403, SigV4 not emulated"));
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                            Unpooled.copiedBuffer(SIGV4_MESSAGE + "\n", StandardCharsets.UTF_8));
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
