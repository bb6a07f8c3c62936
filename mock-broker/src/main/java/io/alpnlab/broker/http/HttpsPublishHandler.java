package io.alpnlab.broker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.app.FirstMessageDeadline;
import io.alpnlab.broker.mqtt.InternalPublisher;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * AWS IoT's HTTPS publish API on a certificate-authenticated connection (8443, or 443 with ALPN
 * x-amzn-http-ca): {@code POST /topics/{topic}?qos=0|1}. The message reaches MQTT subscribers
 * through the back end; every bad request gets a status and a message that says what was wrong.
 */
final class HttpsPublishHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TlsEstablished established;
    private final InternalPublisher publisher;

    HttpsPublishHandler(TlsEstablished established, InternalPublisher publisher) {
        this.established = established;
        this.publisher = publisher;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        FirstMessageDeadline.met(ctx.channel());
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + request.decoderResult().cause(), false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (!uri.path().startsWith("/topics/") || uri.path().length() == "/topics/".length()) {
            respond(ctx, HttpResponseStatus.NOT_FOUND, "no such resource '" + uri.path() + "'; publish with POST /topics/{topic}?qos=0|1",
                    keepAlive);
            return;
        }
        if (request.method() != HttpMethod.POST) {
            respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, request.method() + " is not supported; use POST", keepAlive);
            return;
        }
        Refusal refusal = established.deferredRefusal();
        if (refusal != null) {
            established.observation().refuse(refusal);
            respond(ctx, HttpResponseStatus.FORBIDDEN, refusal.detail(), false);
            return;
        }
        String topic = uri.rawPath().substring("/topics/".length());
        topic = QueryStringDecoder.decodeComponent(topic);
        List<String> qosValues = uri.parameters().getOrDefault("qos", List.of("0"));
        int qos;
        try {
            qos = Integer.parseInt(qosValues.get(0));
        } catch (NumberFormatException e) {
            qos = -1;
        }
        if (qos != 0 && qos != 1) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "qos must be 0 or 1, got '" + qosValues.get(0) + "'", keepAlive);
            return;
        }
        byte[] payload = ByteBufUtil.getBytes(request.content());
        MqttPolicy.Violation violation = MqttPolicy.onPublish(topic, qos, false, payload.length,
                established.device() == null ? null : established.device().policy(), Map.of("iot:ClientId", ""),
                Profile.Qos2Mode.CLOSE);
        if (violation != null) {
            established.observation().addCheck(Check.fail(violation.rule(), violation.detail()));
            HttpResponseStatus status = violation.rule() == Rule.MQTT_AUTHZ_01 ? HttpResponseStatus.FORBIDDEN
                    : violation.rule() == Rule.MQTT_SIZE_01 ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            respond(ctx, status, violation.detail(), keepAlive);
            return;
        }
        String publishedTopic = topic;
        int publishedQos = qos;
        publisher.publish(topic, payload, qos, false).whenComplete((ignored, error) -> ctx.executor().execute(() -> {
            if (error != null) {
                respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "the message could not be delivered: " + error.getMessage(),
                        false);
                return;
            }
            established.observation().addCheck(Check.pass(Rule.HTTP_PUB_01, "POST /topics/" + publishedTopic + "?qos="
                    + publishedQos + " delivered (" + payload.length + " bytes)"));
            respond(ctx, HttpResponseStatus.OK, "OK", keepAlive);
        }));
    }

    private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String message, boolean keepAlive) {
        ObjectNode body = JSON.createObjectNode();
        body.put("message", message);
        body.put("traceId", UUID.randomUUID().toString());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body.toString(), StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        var write = ctx.writeAndFlush(response);
        if (!keepAlive) {
            write.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
    }
}
