package io.alpnlab.broker.testing;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.MisbehaviourPlan;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.tls.JdkFirstCrypto;
import io.alpnlab.broker.tls.ServerCredentials;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a handler test needs around one {@link EmbeddedChannel}: a broker context on the shared
 * test PKI, fast timings, a record for the connection, and the user events that reached the end
 * of the pipeline.
 */
public final class HandlerHarness {

    /**
     * Short timers for handler tests. The handshake deadline is 2 s, not less: an EmbeddedChannel runs due
     * timers on every write, and a test that drives a real handshake (RSA signing) on a machine also busy
     * with HostileLoadTest took over 500 ms and was cut by the deadline it was not testing.
     */
    public static final BrokerContext.Timing FAST = new BrokerContext.Timing(Duration.ofMillis(2000), Duration.ofMillis(300), 0.01);

    private static ServerCredentials credentials;

    public final BrokerContext broker;
    public final ConnectionObservation observation;

    public HandlerHarness(Profile profile) {
        broker = new BrokerContext(profile, new MisbehaviourPlan(), new DeviceRegistry(), credentials(),
                new ConnectionRecorder(null), Clock.systemUTC(), FAST);
        observation = new ConnectionObservation(broker.nextConnectionId(), ListenerRole.MULTIPLEX_443, "127.0.0.1:40000", 443,
                broker.clock());
    }

    public HandlerHarness() {
        this(Profile.awsDefault(List.of(BrokerFixture.ENDPOINT)));
    }

    /** Server chains from the PKI every test of this JVM shares (RSA key generation is the slow part). */
    public static synchronized ServerCredentials credentials() {
        if (credentials == null) {
            credentials = new ServerCredentials(BrokerFixture.pki(), JdkFirstCrypto.create());
        }
        return credentials;
    }

    /** An EmbeddedChannel with the handlers, and a last handler that keeps the user events that reach it. */
    public static EmbeddedChannel channel(List<Object> events, ChannelHandler... handlers) {
        List<ChannelHandler> all = new ArrayList<>(List.of(handlers));
        all.add(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object event) {
                events.add(event);
            }
        });
        return new EmbeddedChannel(all.toArray(ChannelHandler[]::new));
    }
}
