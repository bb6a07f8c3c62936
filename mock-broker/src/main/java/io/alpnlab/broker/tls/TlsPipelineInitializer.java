package io.alpnlab.broker.tls;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.app.ApplicationDispatcher;
import io.alpnlab.broker.capture.CaptureHandler;
import io.alpnlab.broker.capture.ConnectionCapture;
import io.alpnlab.broker.capture.KeyLog;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.Misbehaviours;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

/**
 * Builds one accepted connection's pipeline, socket side first: the record meter, the record
 * misbehaviours when planned, the ClientHello gate, Bouncy Castle, the verdict, and the dispatcher
 * that installs the application once TLS is up. The connection's plan and record are made here,
 * once, and handed to the handlers that need them.
 */
public final class TlsPipelineInitializer extends ChannelInitializer<SocketChannel> {

    private final BrokerContext broker;
    private final ListenerRole role;
    private final ApplicationDispatcher.ApplicationInstaller mqtt;
    private final ApplicationDispatcher.ApplicationInstaller https;

    public TlsPipelineInitializer(BrokerContext broker, ListenerRole role, ApplicationDispatcher.ApplicationInstaller mqtt,
            ApplicationDispatcher.ApplicationInstaller https) {
        this.broker = broker;
        this.role = role;
        this.mqtt = mqtt;
        this.https = https;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        InetSocketAddress remote = channel.remoteAddress();
        Misbehaviours misbehaviours = broker.plan().next(role);
        ConnectionObservation observation = new ConnectionObservation(broker.nextConnectionId(), role,
                remote.getAddress().getHostAddress() + ":" + remote.getPort(), channel.localAddress().getPort(), broker.clock());
        observation.plan(null, null, misbehaviours.describe());
        broker.opened(observation, channel);
        ConnectionCapture capture = broker.startCapture(observation.id(), remote, channel.localAddress());
        if (capture != null) {
            // Socket-most: it sees the bytes as they arrive and as they leave, after every record misbehaviour.
            channel.pipeline().addLast(CaptureHandler.NAME, new CaptureHandler(capture));
        }
        addFrontDoor(channel.pipeline(), broker, role, observation, misbehaviours, new ApplicationDispatcher(broker, mqtt, https),
                capture == null ? null : capture.keyLog());
    }

    /**
     * The front door's handlers for one connection, socket side first. Public so the TLS fuzz test drives
     * exactly this pipeline through an EmbeddedChannel rather than a copy of it.
     */
    public static void addFrontDoor(ChannelPipeline pipeline, BrokerContext broker, ListenerRole role,
            ConnectionObservation observation, Misbehaviours misbehaviours, ChannelHandler application) {
        addFrontDoor(pipeline, broker, role, observation, misbehaviours, application, null);
    }

    private static void addFrontDoor(ChannelPipeline pipeline, BrokerContext broker, ListenerRole role,
            ConnectionObservation observation, Misbehaviours misbehaviours, ChannelHandler application, KeyLog keyLog) {
        TlsConnection connection = new TlsConnection(role, broker.profile(), misbehaviours, observation, broker.registry(),
                broker.credentials(), broker.clock());
        connection.keyLog = keyLog;
        pipeline.addLast(TlsRecordMeter.NAME, new TlsRecordMeter(observation));
        if (MisbehavingRecordWriter.needed(misbehaviours)) {
            pipeline.addLast(MisbehavingRecordWriter.NAME, new MisbehavingRecordWriter(misbehaviours));
        }
        pipeline.addLast(ClientHelloGate.NAME, new ClientHelloGate(role, connection.profile, misbehaviours));
        try {
            pipeline.addLast(BcTlsHandler.NAME, new BcTlsHandler(connection));
        } catch (IOException e) {
            throw new UncheckedIOException("Bouncy Castle could not start a server handshake", e);
        }
        pipeline.addLast(ConnectionVerdictHandler.NAME, new ConnectionVerdictHandler(broker, observation, misbehaviours));
        pipeline.addLast(ApplicationDispatcher.NAME, application);
    }
}
