package io.alpnlab.broker.app;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Installs what a connection carries once TLS is up, from the listener/ALPN decision in
 * {@link TlsEstablished}: AWS-flavoured MQTT, HTTPS publish, or the unauthenticated-443 treatment.
 */
public final class ApplicationDispatcher extends ChannelInboundHandlerAdapter {

    public static final String NAME = "dispatch";
    /** Names of the HTTP codec handlers, which the HTTPS layer and the unauthenticated-443 treatment both install. */
    public static final String HTTP_CODEC_NAME = "http-codec";
    public static final String HTTP_AGGREGATOR_NAME = "http-aggregator";

    /** Builds the handlers of one application onto a pipeline; the MQTT and HTTP layers implement it. */
    public interface ApplicationInstaller {
        void install(ChannelHandlerContext ctx, TlsEstablished established);
    }

    private final BrokerContext broker;
    private final ApplicationInstaller mqtt;
    private final ApplicationInstaller https;

    public ApplicationDispatcher(BrokerContext broker, ApplicationInstaller mqtt, ApplicationInstaller https) {
        this.broker = broker;
        this.mqtt = mqtt;
        this.https = https;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof TlsEstablished established) {
            // The stage after the handshake gets the handshake's own deadline.
            FirstMessageDeadline.arm(ctx.channel(), established.observation(), broker.timing().handshakeTimeout(),
                    established.application());
            switch (established.application()) {
                case MQTT_X509, MQTT_CUSTOM_AUTH -> mqtt.install(ctx, established);
                case HTTPS_X509 -> https.install(ctx, established);
                case UNAUTHENTICATED_443 -> ctx.pipeline().addLast(UnauthenticatedHandler.NAME,
                        new UnauthenticatedHandler(established.observation(), broker.timing().unauthenticatedMqttTimeout()));
            }
            ctx.fireUserEventTriggered(event);
            ctx.pipeline().remove(this);
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Nothing is read before the handshake completes; anything else is a bug upstream, not client data.
        ReferenceCountUtil.release(msg);
        throw new IllegalStateException("application data before the TLS handshake completed");
    }
}
