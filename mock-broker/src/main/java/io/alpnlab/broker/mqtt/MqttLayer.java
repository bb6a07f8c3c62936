package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.MisbehaviourPlan;
import io.alpnlab.broker.app.ApplicationDispatcher;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import java.time.Duration;

/**
 * The MQTT side of the broker: installs the codec and {@link AwsMqttHandler} on connections that
 * carry MQTT, and owns what they share (the back end, client sessions, lifecycle events).
 */
public final class MqttLayer implements ApplicationDispatcher.ApplicationInstaller, AutoCloseable {

    /**
     * The decoder accepts packets a little above AWS's payload limit, so that the policy sees an
     * oversized payload and names the rule; far larger packets are cut off by the decoder itself.
     */
    static final int MAX_DECODED_PACKET_BYTES = MqttPolicy.MAX_PAYLOAD_BYTES + 64 * 1024;

    private final BrokerContext broker;
    private final MqttBackend backend;
    private final ClientSessions sessions;
    private final InternalPublisher publisher;
    private final LifecycleEvents lifecycle;
    private final Duration defaultSessionExpiry;
    private final RetainedStore retained = new RetainedStore();

    public MqttLayer(BrokerContext broker, MqttBackend backend, EventLoop internalLoop, Duration defaultSessionExpiry) {
        this.broker = broker;
        this.backend = backend;
        this.sessions = new ClientSessions(backend);
        this.publisher = new InternalPublisher(internalLoop, backend);
        this.lifecycle = new LifecycleEvents(publisher, broker.clock());
        this.defaultSessionExpiry = defaultSessionExpiry;
    }

    @Override
    public void install(ChannelHandlerContext ctx, TlsEstablished established) {
        // No client ID limit in the decoder: MqttPolicy applies AWS's 128 bytes and names the rule.
        ctx.pipeline().addLast("mqtt-decoder", new MqttDecoder(MAX_DECODED_PACKET_BYTES, 65535));
        ctx.pipeline().addLast("mqtt-encoder", MqttEncoder.INSTANCE);
        ctx.pipeline().addLast("aws-mqtt", new AwsMqttHandler(this, established));
    }

    public InternalPublisher publisher() {
        return publisher;
    }

    MqttBackend backend() {
        return backend;
    }

    ClientSessions sessions() {
        return sessions;
    }

    LifecycleEvents lifecycle() {
        return lifecycle;
    }

    DeviceRegistry registry() {
        return broker.registry();
    }

    MisbehaviourPlan plan() {
        return broker.plan();
    }

    Profile profile() {
        return broker.profile();
    }

    BrokerContext.Timing timing() {
        return broker.timing();
    }

    RetainedStore retained() {
        return retained;
    }

    Duration defaultSessionExpiry() {
        return defaultSessionExpiry;
    }

    @Override
    public void close() {
        sessions.close();
        publisher.close();
        backend.close();
    }
}
