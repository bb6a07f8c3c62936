package io.alpnlab.broker;

import io.alpnlab.broker.app.ApplicationDispatcher;
import io.alpnlab.broker.control.ControlServer;
import io.alpnlab.broker.http.HttpsLayer;
import io.alpnlab.broker.mqtt.EmbeddedMoquette;
import io.alpnlab.broker.mqtt.ExternalBroker;
import io.alpnlab.broker.mqtt.MqttBackend;
import io.alpnlab.broker.mqtt.MqttLayer;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.tls.JdkFirstCrypto;
import io.alpnlab.broker.tls.ServerCredentials;
import io.alpnlab.broker.tls.TlsPipelineInitializer;
import io.alpnlab.certs.ServerChainVariant;
import io.alpnlab.certs.TestPki;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AWS IoT Core-like broker: one Netty listener per {@link ListenerRole}, TLS terminated by
 * Bouncy Castle under the rules of {@link io.alpnlab.broker.policy.ConnectionPolicy}, every
 * connection recorded. Binds the loopback address unless told otherwise; tests bind port 0 and ask
 * {@link #port(ListenerRole)}.
 */
public final class MockBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MockBroker.class);

    private final BrokerContext context;
    private final EventLoopGroup group;
    private final Map<ListenerRole, Channel> listeners = new EnumMap<>(ListenerRole.class);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private String mqttBackendDescription;
    private ControlServer control;
    private MqttLayer mqttLayer;

    private MockBroker(BrokerContext context, EventLoopGroup group) {
        this.context = context;
        this.group = group;
    }

    public static Builder builder(TestPki pki) {
        return new Builder(pki);
    }

    public int port(ListenerRole role) {
        return address(role).getPort();
    }

    public InetSocketAddress address(ListenerRole role) {
        Channel channel = listeners.get(role);
        if (channel == null) {
            throw new IllegalArgumentException("listener " + role + " is not running");
        }
        return (InetSocketAddress) channel.localAddress();
    }

    public boolean isListening(ListenerRole role) {
        return listeners.containsKey(role);
    }

    public BrokerContext context() {
        return context;
    }

    public ConnectionRecorder recorder() {
        return context.recorder();
    }

    public DeviceRegistry registry() {
        return context.registry();
    }

    public MisbehaviourPlan plan() {
        return context.plan();
    }

    /** The control endpoint's port, or -1 when it is off. */
    public int controlPort() {
        return control == null ? -1 : control.port();
    }

    /** The MQTT back end in one line (embedded Moquette, or the upstream broker). */
    public String mqttBackend() {
        return mqttBackendDescription;
    }

    /**
     * Expires a disconnected client's persistent session now, as its expiry passing would; the next
     * CONNECT of that client ID gets session present 0. Completes once the session is gone.
     */
    public java.util.concurrent.CompletableFuture<Void> expireSession(String clientId) {
        return mqttLayer.expireSession(clientId);
    }

    /** AWS's device services behind the reserved topics: set a shadow's desired state, queue a job, read what a device did. */
    public io.alpnlab.broker.services.DeviceServices services() {
        return context.services();
    }

    public TestPki pki() {
        return context.credentials().pki();
    }

    /** Keeps a resource (the MQTT back end, the control endpoint) to close with the broker. */
    void own(AutoCloseable resource) {
        resources.add(resource);
    }

    EventLoopGroup group() {
        return group;
    }

    @Override
    public void close() {
        for (Channel channel : listeners.values()) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        listeners.clear();
        // Resources (the MQTT layer) still use the event loops while closing: close them first.
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", resources.get(i), e.toString());
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        context.recorder().close();
    }

    /** Assembles a broker; every setting has the AWS-like default. */
    public static final class Builder {
        private final TestPki pki;
        private Profile profile;
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private final Map<ListenerRole, Integer> ports = new EnumMap<>(ListenerRole.class);
        private BrokerContext.Timing timing = BrokerContext.Timing.defaults();
        private Path eventLog;
        /** Where the control endpoint's token goes when it binds beyond loopback: the PKI folder, or a temporary file. */
        private Path controlTokenFile;
        private Clock clock = Clock.systemUTC();
        private DeviceRegistry registry = new DeviceRegistry();
        private MisbehaviourPlan plan = new MisbehaviourPlan();
        private int threads = 2;
        private boolean capture;
        private MqttBackend backend;
        private Duration defaultSessionExpiry = MqttPolicy.DEFAULT_SESSION_EXPIRY;
        private int controlPort = -1;
        private InetAddress controlBind = InetAddress.getLoopbackAddress();

        private Builder(TestPki pki) {
            this.pki = Objects.requireNonNull(pki);
            for (ListenerRole role : ListenerRole.values()) {
                ports.put(role, role.defaultPort());
            }
        }

        public Builder profile(Profile value) {
            profile = value;
            return this;
        }

        public Builder bindAddress(InetAddress value) {
            bindAddress = Objects.requireNonNull(value);
            return this;
        }

        /** The port of one listener; 0 for an ephemeral port, -1 to not start it. */
        public Builder port(ListenerRole role, int port) {
            if (port < -1 || port > 65535) {
                throw new IllegalArgumentException("port of " + role + " must be -1 (off), 0 (ephemeral) or 1..65535, got " + port);
            }
            ports.put(role, port);
            return this;
        }

        /** Every listener on an ephemeral port: what tests use. */
        public Builder ephemeralPorts() {
            for (ListenerRole role : ListenerRole.values()) {
                ports.put(role, 0);
            }
            return this;
        }

        public Builder timing(BrokerContext.Timing value) {
            timing = Objects.requireNonNull(value);
            return this;
        }

        public Builder eventLog(Path value) {
            eventLog = value;
            return this;
        }

        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value);
            return this;
        }

        public Builder registry(DeviceRegistry value) {
            registry = Objects.requireNonNull(value);
            return this;
        }

        public Builder plan(MisbehaviourPlan value) {
            plan = Objects.requireNonNull(value);
            return this;
        }

        /** Keep every connection's bytes and TLS secrets, for pcapng captures and key logs (test sessions only). */
        public Builder capture(boolean value) {
            capture = value;
            return this;
        }

        public Builder threads(int value) {
            threads = value;
            return this;
        }

        /** The loopback control endpoint's port: 0 for an ephemeral one, -1 (the default) for none. */
        public Builder controlPort(int value) {
            if (value < -1 || value > 65535) {
                throw new IllegalArgumentException("control port must be -1 (off), 0 (ephemeral) or 1..65535, got " + value);
            }
            controlPort = value;
            return this;
        }

        /**
         * The control endpoint's address: loopback (no token), or beyond it in a container, where a token
         * generated at start is needed and the host keeps the published port on its own loopback address.
         */
        public Builder controlBind(InetAddress value) {
            controlBind = Objects.requireNonNull(value);
            return this;
        }

        /** Applies every setting read from {@code broker.*} properties. */
        public Builder settings(BrokerSettings settings) {
            profile(settings.profile());
            bindAddress(settings.bind());
            settings.ports().forEach(this::port);
            timing(settings.timing());
            eventLog(settings.eventLog());
            defaultSessionExpiry(settings.sessionExpiry());
            controlPort(settings.controlPort());
            controlBind(settings.controlBind());
            controlTokenFile = settings.pkiDir().resolve("control-token");
            capture(settings.capture());
            plan.setDefaults(settings.misbehaviours());
            if (settings.upstream() != null) {
                backend(ExternalBroker.parse(settings.upstream()));
            }
            return this;
        }

        /** Upstream mode: relay MQTT to this broker instead of the embedded Moquette. */
        public Builder backend(MqttBackend value) {
            backend = value;
            return this;
        }

        /** How long a persistent session outlives its connection when the client does not say (AWS: 1 hour). */
        public Builder defaultSessionExpiry(Duration value) {
            if (value.isNegative()) {
                throw new IllegalArgumentException("session expiry cannot be negative");
            }
            defaultSessionExpiry = value;
            return this;
        }

        /** Starts every listener; if one cannot bind, nothing is left running and the error says which and why. */
        public MockBroker start() {
            Profile effectiveProfile = profile != null ? profile : Profile.awsDefault(pki.settings().endpointNames());
            JcaTlsCrypto crypto = JdkFirstCrypto.create();
            ServerCredentials credentials = new ServerCredentials(pki, crypto);
            // Issuing the server chains (an RSA key generation) and starting the back end take about 0.5 s and
            // 0.35 s of a cold start and need nothing from each other: the chains are issued meanwhile, and
            // waited for before the first listener opens.
            CompletableFuture<Void> chains = new CompletableFuture<>();
            Thread issuer = new Thread(() -> {
                try {
                    credentials.chain(ServerChainVariant.VALID, false);
                    credentials.chain(ServerChainVariant.VALID, true);
                    chains.complete(null);
                } catch (Throwable e) {
                    chains.completeExceptionally(e);
                }
            }, "server-chain-issuer");
            issuer.setDaemon(true);
            issuer.start();
            BrokerContext context = new BrokerContext(effectiveProfile, plan, registry, credentials,
                    new ConnectionRecorder(eventLog), clock, timing);
            if (capture) {
                context.captureConnections();
            }
            MockBroker broker = new MockBroker(context, new NioEventLoopGroup(threads));
            try {
                MqttBackend effectiveBackend = backend != null ? backend : EmbeddedMoquette.start(broker.group);
                MqttLayer mqttLayer = new MqttLayer(context, effectiveBackend, broker.group.next(), defaultSessionExpiry);
                broker.own(mqttLayer);
                broker.mqttLayer = mqttLayer;
                ApplicationDispatcher.ApplicationInstaller mqttInstaller = mqttLayer;
                ApplicationDispatcher.ApplicationInstaller httpsInstaller = new HttpsLayer(mqttLayer.publisher());
                broker.mqttBackendDescription = effectiveBackend.describe();
                awaitChains(chains);
                for (ListenerRole role : ListenerRole.values()) {
                    int port = ports.get(role);
                    if (port < 0) {
                        continue;
                    }
                    broker.listeners.put(role, Listeners.bind(broker.group, bindAddress, role, port,
                            new TlsPipelineInitializer(context, role, mqttInstaller, httpsInstaller)));
                }
                if (controlPort >= 0) {
                    if (controlTokenFile == null && !controlBind.isLoopbackAddress()) {
                        try {
                            controlTokenFile = java.nio.file.Files.createTempDirectory("alpnlab-control").resolve("control-token");
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException("cannot make a folder for the control endpoint token", e);
                        }
                    }
                    // Loopback unless told otherwise (a container, then with a token), whatever the listeners bind.
                    ControlServer control = ControlServer.startInContainer(context, broker.group, controlBind, controlPort,
                            controlTokenFile);
                    broker.own(control);
                    broker.control = control;
                }
            } catch (RuntimeException e) {
                broker.close();
                throw e;
            }
            LOG.info("broker listening on {} with {} (endpoint names: {}, profile {})",
                    broker.listeners.keySet().stream().map(role -> role + "=" + broker.port(role)).toList(),
                    broker.mqttBackendDescription, effectiveProfile.endpointNames(), effectiveProfile.switches());
            return broker;
        }

        private static void awaitChains(CompletableFuture<Void> chains) {
            try {
                chains.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException cause ? cause
                        : new IllegalStateException("cannot issue the server chains", e.getCause());
            }
        }
    }
}
