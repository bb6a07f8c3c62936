package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.MisbehaviourPlan;
import io.alpnlab.broker.app.ApplicationDispatcher;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.services.DeviceServices;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import java.time.Duration;

/**
 * The MQTT side of the broker: installs the codec and the MQTT handlers on connections that
 * carry MQTT, and owns what they share (the back end, client sessions, lifecycle events).
 */
public final class MqttLayer implements ApplicationDispatcher.ApplicationInstaller, AutoCloseable {

    /**
     * The decoder accepts packets a little above AWS's payload limit, so that the policy sees an
     * oversized payload and names the rule; far larger packets are cut off by the decoder itself.
     */
    static final int MAX_DECODED_PACKET_BYTES = MqttPolicy.MAX_PAYLOAD_BYTES + 64 * 1024;
    static final String DECODER_NAME = "mqtt-decoder";
    static final String ENCODER_NAME = "mqtt-encoder";

    private final BrokerContext broker;
    private final MqttBackend backend;
    private final ClientSessions sessions;
    private final InternalPublisher publisher;
    private final LifecycleEvents lifecycle;
    private final Duration defaultSessionExpiry;
    private final EventLoop internalLoop;
    private final RetainedStore retained = new RetainedStore();
    private final BackendLink.Opener backendOpener;
    private final SharedSubscriptions shared;

    public MqttLayer(BrokerContext broker, MqttBackend backend, EventLoop internalLoop, Duration defaultSessionExpiry) {
        this(broker, backend, internalLoop, defaultSessionExpiry,
                (loop, clientId, clean, listener) -> BackendConnection.open(loop, backend, clientId, clean, listener),
                (loop, clientId, clean, listener) -> BackendConnection.open(loop, backend, clientId, clean, listener));
    }

    /**
     * @param backendOpener the links of clients and shared-subscription groups
     * @param internalOpener the broker's own links: lifecycle events and session purges (a test's stand-in
     *     back end gives them links that go nowhere, rather than sockets to a port nobody listens on)
     */
    MqttLayer(BrokerContext broker, MqttBackend backend, EventLoop internalLoop, Duration defaultSessionExpiry,
            BackendLink.Opener backendOpener, BackendLink.Opener internalOpener) {
        this.backendOpener = backendOpener;
        this.broker = broker;
        this.backend = backend;
        this.sessions = new ClientSessions(internalOpener);
        this.publisher = new InternalPublisher(internalLoop, internalOpener, backend.describe());
        this.lifecycle = new LifecycleEvents(publisher, broker.clock());
        this.defaultSessionExpiry = defaultSessionExpiry;
        this.internalLoop = internalLoop;
        this.shared = new SharedSubscriptions(internalLoop, backendOpener);
        // Service replies to subscribers (shadow deltas, job notifications) go out as the broker's own publishes, at
        // QoS 1 so that each subscription's QoS decides how they arrive.
        broker.services().publishWith(reply -> publisher.publish(reply.topic(),
                reply.payload().getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, false));
    }

    DeviceServices services() {
        return broker.services();
    }

    /**
     * MQTT's handlers, socket side first: the codec, the packet recorder, the planned misbehaviours,
     * and the connect gate, which adds keep-alive and the relay once it accepts a CONNECT.
     */
    @Override
    public void install(ChannelHandlerContext ctx, TlsEstablished established) {
        MqttConnection connection = new MqttConnection(this, established, ctx.channel());
        ChannelPipeline pipeline = ctx.pipeline();
        // No client ID limit in the decoder: MqttPolicy applies AWS's 128 bytes and names the rule.
        pipeline.addLast(DECODER_NAME, new MqttDecoder(MAX_DECODED_PACKET_BYTES, 65535));
        pipeline.addLast(ENCODER_NAME, MqttEncoder.INSTANCE);
        pipeline.addLast(MqttPacketRecorder.NAME, new MqttPacketRecorder(connection.mqtt));
        if (MisbehavingMqttWriter.needed(established.misbehaviours())) {
            pipeline.addLast(MisbehavingMqttWriter.NAME, new MisbehavingMqttWriter(established.misbehaviours(), connection));
        }
        pipeline.addLast(MqttConnectGate.NAME, new MqttConnectGate(connection));
    }

    /** How a client's back-end session is opened: over TCP to the back end, or a stand-in in tests. */
    BackendLink.Opener backendOpener() {
        return backendOpener;
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

    /** Expires a disconnected client's persistent session now; see {@link ClientSessions#expireNow}. */
    public java.util.concurrent.CompletableFuture<Void> expireSession(String clientId) {
        return sessions.expireNow(clientId, internalLoop);
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

    SharedSubscriptions shared() {
        return shared;
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
        shared.close();
        try {
            // The back end stops after the broker's own link is closed cleanly (see InternalPublisher.close).
            publisher.close().get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // Stop anyway: the back end is going away with everything else.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
    }
}
