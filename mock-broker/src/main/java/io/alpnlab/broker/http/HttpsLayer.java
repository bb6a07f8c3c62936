package io.alpnlab.broker.http;

import io.alpnlab.broker.app.ApplicationDispatcher;
import io.alpnlab.broker.mqtt.InternalPublisher;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/** Installs HTTPS publish on certificate-authenticated HTTPS connections. */
public final class HttpsLayer implements ApplicationDispatcher.ApplicationInstaller {

    private final InternalPublisher publisher;

    static final String PUBLISH_NAME = "https-publish";

    public HttpsLayer(InternalPublisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public void install(ChannelHandlerContext ctx, TlsEstablished established) {
        ctx.pipeline().addLast(ApplicationDispatcher.HTTP_CODEC_NAME, new HttpServerCodec());
        // One byte over AWS's limit still aggregates, so the policy (not the aggregator) refuses it with a reason.
        ctx.pipeline().addLast(ApplicationDispatcher.HTTP_AGGREGATOR_NAME, new HttpObjectAggregator(MqttPolicy.MAX_PAYLOAD_BYTES + 1024));
        ctx.pipeline().addLast(PUBLISH_NAME, new HttpsPublishHandler(established, publisher));
    }
}
