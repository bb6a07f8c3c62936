package io.alpnlab.conformance.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.certs.PemTls;
import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import io.alpnlab.conformance.client.ClientUnderTest;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The bundled reference client: MQTT 3.1.1 over the JDK's TLS, written to do everything AWS IoT
 * Core expects (SNI with the endpoint name, the ALPN name it is given, server verification,
 * exponential backoff with jitter, QoS 1 and SUBSCRIBE retries, keep-alive with a PINGRESP
 * check). Each {@link Defects} flag breaks one of those on purpose, so the suite can prove that the
 * case meant to catch it does.
 */
public final class ReferenceClient implements ClientUnderTest {

    /**
     * Connect retries: full jitter, a delay in [0, base x 2^n] (the AWS SDKs' and FreeRTOS
     * backoffAlgorithm's way, and the hardest shape for the suite to judge). The base is the
     * backoffAlgorithm demos' 500 ms rather than the SDKs' 1 s, which halves the suite's time; the cap
     * is the SDK v2 MQTT 5 client's 120 s, so 9 attempts still grow.
     */
    static final Duration BACKOFF_BASE = Duration.ofMillis(500);
    static final Duration BACKOFF_CAP = Duration.ofSeconds(120);
    /**
     * Reconnects after a connection that was up: equal jitter, a delay in [b x 2^n / 2, b x 2^n] with
     * b = 2 s, so that no reconnect comes sooner than the 1 s Device Advisor requires, and each
     * successive one later.
     */
    static final Duration RECONNECT_BASE = Duration.ofSeconds(2);
    /** How long to wait for a PUBACK, SUBACK or PINGRESP before acting, at time scale 1. */
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    /** The shortest wait for a CONNACK, at any time scale. */
    static final Duration MIN_CONNACK_WAIT = Duration.ofMillis(500);

    private static final EventLoopGroup GROUP = new NioEventLoopGroup(1, runnable -> {
        Thread thread = new Thread(runnable, "reference-client");
        thread.setDaemon(true);
        return thread;
    });

    private final Defects defects;

    public ReferenceClient() {
        this(Defects.NONE);
    }

    public ReferenceClient(Defects defects) {
        this.defects = defects;
    }

    @Override
    public String name() {
        return defects.isNone() ? "alpnlab reference client" : "alpnlab reference client (defective: " + defects.describe() + ")";
    }

    @Override
    public String version() {
        String version = ReferenceClient.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }

    @Override
    public boolean scalesTime() {
        return true;
    }

    /** Every wait in {@link #run} is interruptible, and an interrupted run closes its session on the way out. */
    @Override
    public boolean stoppable() {
        return true;
    }

    /** Each run has its own connection, session and SSL context; nothing else is kept between runs. */
    @Override
    public boolean runsConcurrently() {
        return true;
    }

    /** Every action: it does them all, or answers for itself that it cannot. */
    @Override
    public java.util.Set<ClientTask.Action> actions() {
        return java.util.EnumSet.allOf(ClientTask.Action.class);
    }

    public Defects defects() {
        return defects;
    }

    @Override
    public ClientReport run(ClientTask task) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + task.timeout().toNanos();
        StringBuilder log = new StringBuilder();
        SSLContext context;
        try {
            context = sslContext(task);
        } catch (GeneralSecurityException | RuntimeException e) {
            return ClientReport.failure("CREDENTIALS", e.getMessage(), log.toString(), elapsed(start));
        }
        Session session = null;
        String lastError = "NO_ATTEMPT";
        String lastMessage = "";
        int attempt = 0;
        int failedConnects = 0;
        int lostConnections = 0;
        boolean lastWasLost = false;
        List<String> received = new ArrayList<>();
        boolean done = false;
        while (!done && System.nanoTime() < deadline) {
            if (attempt > 0) {
                Duration wait = lastWasLost ? reconnectDelay(lostConnections, task.timeScale())
                        : backoff(failedConnects, task.timeScale());
                log.append(lastWasLost ? "reconnect " : "retry ").append(attempt).append(" in ").append(wait.toMillis())
                        .append(" ms\n");
                if (System.nanoTime() + wait.toNanos() >= deadline) {
                    break;
                }
                Thread.sleep(Math.max(1, wait.toMillis()));
            }
            attempt++;
            boolean connected = false;
            try {
                // The defect: ALPN set up for the first connection only, as in firmware that configures it in its boot path.
                boolean withoutAlpn = attempt > 1 && defects.has(Defect.FORGETS_ALPN_ON_RECONNECT);
                session = Session.open(context, withoutAlpn ? task.withoutAlpn() : task, defects, log);
                MqttConnAckMessage connack = session.connect(deadline);
                if (connack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                    throw new ClientFailure("CONNACK_REFUSED", "CONNACK " + connack.variableHeader().connectReturnCode());
                }
                connected = true;
                log.append("connected, session present ").append(connack.variableHeader().isSessionPresent()).append('\n');
                // A connection that got its CONNACK starts the connect backoff afresh.
                failedConnects = 0;
                if (defects.has(Defect.OUT_OF_POLICY_TOPIC)) {
                    session.publishOutsideTask();
                }
                done = switch (task.action()) {
                    case CONNECT -> true;
                    case PUBLISH -> session.publish(deadline);
                    case SUBSCRIBE -> session.subscribe(deadline, received);
                    case STAY_CONNECTED -> session.stayConnected(deadline);
                    case SHADOW_REPORT -> session.shadowReport(deadline);
                    case SHADOW_SYNC -> session.shadowSync(deadline);
                    case JOB -> session.takeJob(deadline);
                    case PROVISION -> reconnectProvisioned(session, session.provision(deadline), task, deadline, log);
                };
                if (task.action() == ClientTask.Action.STAY_CONNECTED && !done) {
                    lastError = "CONNECTION_LOST";
                    lastMessage = "the connection dropped; reconnecting";
                    session.close();
                    lostConnections++;
                    lastWasLost = true;
                    continue;
                }
                session.disconnect();
            } catch (InterruptedException stopped) {
                // Stopped by the suite (its outcome is settled): the connection goes now, not when the broker gives up on it.
                if (session != null) {
                    session.close();
                }
                throw stopped;
            } catch (ClientFailure failure) {
                lastError = failure.token;
                lastMessage = failure.getMessage();
                // A connection that was up and then failed (dropped mid-publish, say) is a lost connection: reconnect no
                // sooner than AWS's 1 s, with growing delays (CLIENT-RECONNECT-01); one that never got its CONNACK backs off.
                if (connected) {
                    lostConnections++;
                    lastWasLost = true;
                } else {
                    failedConnects++;
                    lastWasLost = false;
                }
                if (connected && task.action() == ClientTask.Action.PUBLISH && defects.has(Defect.DROPS_UNACKED_ON_RECONNECT)) {
                    // The defect: the unacknowledged QoS 1 message is taken as sent; nothing is resent after the reconnect.
                    log.append("connection lost before the PUBACK; treating the message as sent (defect)\n");
                    done = true;
                    break;
                }
                log.append("attempt ").append(attempt).append(" failed: ").append(failure.token).append(' ')
                        .append(failure.getMessage()).append('\n');
                if (session != null) {
                    session.close();
                }
                if (failure.fatal) {
                    // A server this client cannot trust is not retried: retrying cannot make it trustworthy.
                    break;
                }
                if (!connected && failedConnects >= 2 && defects.has(Defect.GIVES_UP_AFTER_TWO_FAILURES)) {
                    log.append("giving up after 2 failed connects (defect)\n");
                    break;
                }
            }
        }
        if (done || task.action() == ClientTask.Action.STAY_CONNECTED && session != null && session.isOpen()) {
            if (session != null) {
                session.close();
            }
            return ClientReport.success(received, log.toString(), elapsed(start));
        }
        return ClientReport.failure(lastError, lastMessage, log.toString(), elapsed(start));
    }

    /**
     * The last step of provisioning by claim: leave the claim's connection and come back with the new
     * certificate, as the thing RegisterThing named (the defective client comes back with the claim).
     */
    private boolean reconnectProvisioned(Session claim, Provisioned provisioned, ClientTask task, long deadline, StringBuilder log)
            throws ClientFailure, InterruptedException {
        claim.disconnect();
        // The new thing is named by the client ID the claim used: AWS takes one CONNECT a second per client ID.
        Thread.sleep(scaledMillis(1_200, task.timeScale()).toMillis());
        SSLContext context;
        try {
            context = defects.has(Defect.KEEPS_CLAIM_CERTIFICATE) ? sslContext(task) : provisioned.sslContext(task);
        } catch (GeneralSecurityException e) {
            throw new ClientFailure("CREDENTIALS", "cannot use the provisioned certificate: " + e.getMessage(), true);
        }
        log.append("reconnecting as ").append(provisioned.thingName()).append(defects.has(Defect.KEEPS_CLAIM_CERTIFICATE)
                ? " with the claim certificate\n" : " with the provisioned certificate\n");
        ClientTask asThing = task.withClientId(provisioned.thingName());
        Session own = Session.open(context, defects.has(Defect.FORGETS_ALPN_ON_RECONNECT) ? asThing.withoutAlpn() : asThing,
                defects, log);
        try {
            MqttConnAckMessage connack = own.connect(deadline);
            if (connack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                throw new ClientFailure("CONNACK_REFUSED", "the provisioned certificate was refused: CONNACK "
                        + connack.variableHeader().connectReturnCode());
            }
            log.append("connected with the provisioned certificate\n");
        } finally {
            own.disconnect();
        }
        return true;
    }

    /** What provisioning by claim gave the device: its key (it never left the device), certificate and thing. */
    record Provisioned(java.security.PrivateKey key, X509Certificate certificate, String thingName) {

        SSLContext sslContext(ClientTask task) throws GeneralSecurityException {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            try {
                store.load(null, null);
            } catch (java.io.IOException e) {
                throw new GeneralSecurityException(e);
            }
            char[] password = new char[0];
            store.setKeyEntry("device", key, password, new java.security.cert.Certificate[] {certificate});
            javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(
                    javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), PemTls.trustManagers(task.caFile()), new SecureRandom());
            return context;
        }
    }

    /** The wait before connect retry {@code retry} (1 for the first): full jitter, or a defect's shape. */
    Duration backoff(int retry, double scale) {
        Duration defective = defectiveDelay(retry, scale);
        if (defective != null) {
            return defective;
        }
        long ceiling = Math.min(BACKOFF_CAP.toMillis(), BACKOFF_BASE.toMillis() << Math.min(Math.max(0, retry - 1), 20));
        return scaledMillis(ThreadLocalRandom.current().nextLong(0, ceiling + 1), scale);
    }

    /** The wait before reconnect {@code lost} (1 after the first lost connection): equal jitter from 1 s. */
    Duration reconnectDelay(int lost, double scale) {
        Duration defective = defectiveDelay(lost, scale);
        if (defective != null) {
            return defective;
        }
        long ceiling = Math.min(BACKOFF_CAP.toMillis(), RECONNECT_BASE.toMillis() << Math.min(Math.max(0, lost - 1), 20));
        return scaledMillis(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1), scale);
    }

    private Duration defectiveDelay(int retry, double scale) {
        if (defects.noBackoff()) {
            return Duration.ofMillis(5);
        }
        if (defects.constantBackoff()) {
            return scaledMillis(1_000, scale);
        }
        if (defects.linearBackoff()) {
            return scaledMillis(1_000L * Math.max(1, retry), scale);
        }
        return null;
    }

    private static Duration scaledMillis(long millis, double scale) {
        return Duration.ofMillis(Math.max(1, (long) (millis * scale)));
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private SSLContext sslContext(ClientTask task) throws GeneralSecurityException {
        TrustManager[] trust = defects.trustAll() ? new TrustManager[] {new TrustEverything()}
                : PemTls.trustManagers(task.caFile());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(PemTls.keyManagers(task.keyFile(), task.certFile()), trust, new SecureRandom());
        return context;
    }

    /** A failure the client reports; {@code fatal} ones end the task without retrying. */
    static final class ClientFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final String token;
        final boolean fatal;

        ClientFailure(String token, String message) {
            this(token, message, false);
        }

        ClientFailure(String token, String message, boolean fatal) {
            super(message);
            this.token = token;
            this.fatal = fatal;
        }
    }

    /** One TCP+TLS+MQTT connection, used from the calling thread; packets arrive on a queue. */
    static final class Session {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final Channel channel;
        private final BlockingQueue<Object> inbound;
        private final ClientTask task;
        private final Defects defects;
        private final StringBuilder log;
        private int nextPacketId = 1;
        private long lastSent = System.nanoTime();
        private long pingSentAt;

        private Session(Channel channel, BlockingQueue<Object> inbound, ClientTask task, Defects defects, StringBuilder log) {
            this.channel = channel;
            this.inbound = inbound;
            this.task = task;
            this.defects = defects;
            this.log = log;
        }

        static Session open(SSLContext context, ClientTask task, Defects defects, StringBuilder log) throws ClientFailure,
                InterruptedException {
            BlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
            SSLEngine engine = context.createSSLEngine(task.serverName(), task.port());
            engine.setUseClientMode(true);
            SSLParameters parameters = engine.getSSLParameters();
            if (!defects.trustAll()) {
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
            }
            parameters.setServerNames(defects.noSni() ? List.of() : List.of(new SNIHostName(task.serverName())));
            List<String> alpn = defects.noAlpn() ? List.of() : task.alpn();
            if (defects.alpnLengthPrefixed()) {
                // The classic mbedTLS mistake: OpenSSL's wire format (a length byte, then the name) passed as the name.
                alpn = alpn.stream().map(name -> (char) name.length() + name).toList();
            }
            parameters.setApplicationProtocols(alpn.toArray(String[]::new));
            engine.setSSLParameters(parameters);
            SslHandler ssl = new SslHandler(engine);
            ssl.setHandshakeTimeout(10, TimeUnit.SECONDS);
            Bootstrap bootstrap = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            if (defects.has(Defect.SMALL_RECORD_BUFFER)) {
                                channel.pipeline().addLast(new RecordSizeGuard());
                            }
                            // 256 KB takes AWS's largest packet (128 KB payload); the defect's fixed 64 KB buffer does not.
                            int mqttBuffer = defects.has(Defect.MQTT_BUFFER_64K) ? 64 * 1024 : 256 * 1024;
                            channel.pipeline().addLast(ssl, new MqttDecoder(mqttBuffer), MqttEncoder.INSTANCE,
                                    new SimpleChannelInboundHandler<MqttMessage>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
                                            if (message.decoderResult().isFailure()) {
                                                // A packet this client cannot take (over its buffer): it drops the connection.
                                                inbound.add(message.decoderResult().cause());
                                                ctx.close();
                                                return;
                                            }
                                            inbound.add(ReferenceCountUtil.retain(message));
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            inbound.add(Closed.INSTANCE);
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            inbound.add(cause);
                                            ctx.close();
                                        }
                                    });
                        }
                    });
            Channel channel;
            try {
                channel = bootstrap.connect(new InetSocketAddress(task.host(), task.port())).sync().channel();
            } catch (Exception e) {
                throw new ClientFailure("TCP_CONNECT", "cannot connect to " + task.host() + ":" + task.port() + ": " + e.getMessage());
            }
            var handshake = ssl.handshakeFuture().await(15, TimeUnit.SECONDS);
            if (!handshake || !ssl.handshakeFuture().isSuccess()) {
                Throwable cause = ssl.handshakeFuture().cause();
                channel.close();
                String message = cause == null ? "TLS handshake timed out" : rootMessage(cause);
                // A server that cannot be trusted is not retried: no retry makes it trustworthy. Nor is one whose
                // handshake broke the protocol (an ALPN name this client never offered): a verification failure is
                // final, and retrying it with backoff cost the suite 2 s for nothing.
                boolean untrusted = causedBy(cause, java.security.cert.CertificateException.class)
                        || message.contains("PKIX") || message.contains("No subject alternative");
                boolean protocolViolation = causedBy(cause, javax.net.ssl.SSLProtocolException.class);
                throw new ClientFailure(untrusted ? "SERVER_CERTIFICATE_REJECTED" : "TLS_HANDSHAKE", message,
                        untrusted || protocolViolation);
            }
            log.append("TLS ").append(engine.getSession().getProtocol()).append(' ').append(engine.getSession().getCipherSuite())
                    .append(" ALPN ").append(ssl.applicationProtocol()).append('\n');
            return new Session(channel, inbound, task, defects, log);
        }

        private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
            for (Throwable cause = error; cause != null; cause = cause.getCause()) {
                if (type.isInstance(cause)) {
                    return true;
                }
            }
            return false;
        }

        private static String rootMessage(Throwable error) {
            Throwable cause = error;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            return cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }

        MqttConnAckMessage connect(long deadline) throws ClientFailure, InterruptedException {
            int keepAlive = defects.keepAliveSeconds() != null ? defects.keepAliveSeconds() : task.keepAliveSeconds();
            boolean mqtt31 = defects.has(Defect.MQTT_31);
            // MQTT 3.1 allows client IDs of at most 23 characters (Netty's encoder enforces it); a 3.1 client keeps to that.
            String clientId = mqtt31 && task.clientId().length() > 23 ? task.clientId().substring(0, 23) : task.clientId();
            send(MqttMessageBuilders.connect().clientId(clientId)
                    .protocolVersion(mqtt31 ? MqttVersion.MQTT_3_1 : MqttVersion.MQTT_3_1_1)
                    .cleanSession(task.cleanSession() || defects.has(Defect.ALWAYS_CLEAN_SESSION)).keepAlive(keepAlive).build());
            if (defects.publishBeforeConnack()) {
                send(MqttMessageBuilders.publish().topicName(task.topic()).qos(MqttQoS.AT_MOST_ONCE)
                        .payload(Unpooled.copiedBuffer(task.payload(), StandardCharsets.UTF_8)).build());
            }
            // Not below half a second, however fast the suite's clock: a loaded CI machine can take a quarter of one to
            // answer a CONNECT, and a client that gives up sooner abandons the connection a case planned for.
            Duration connackWait = scaled(ACK_TIMEOUT).compareTo(MIN_CONNACK_WAIT) < 0 ? MIN_CONNACK_WAIT : scaled(ACK_TIMEOUT);
            long connackDeadline = Math.min(deadline, System.nanoTime() + connackWait.toNanos());
            MqttMessage connack = await(MqttMessageType.CONNACK, connackDeadline);
            if (connack == null) {
                throw new ClientFailure("NO_CONNACK", "no CONNACK within " + connackWait.toMillis() + " ms");
            }
            return (MqttConnAckMessage) connack;
        }

        boolean publish(long deadline) throws ClientFailure, InterruptedException {
            int qos = defects.useQos2() ? 2 : task.qos();
            int packetId = qos > 0 ? nextPacketId++ : 0;
            boolean duplicate = false;
            while (true) {
                send(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, duplicate, MqttQoS.valueOf(qos), false, 0),
                        new MqttPublishVariableHeader(task.topic(), packetId),
                        Unpooled.copiedBuffer(task.payload(), StandardCharsets.UTF_8)));
                if (qos == 0) {
                    return true;
                }
                MqttMessageType ack = qos == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC;
                MqttMessage reply = await(ack, Math.min(deadline, System.nanoTime() + scaled(ACK_TIMEOUT).toNanos()));
                if (reply != null) {
                    return true;
                }
                if (defects.noPublishRetry() || System.nanoTime() >= deadline) {
                    // The defective client gives the message up for good: no resend, no reconnect for it.
                    throw new ClientFailure("NO_PUBACK", "no " + ack + " for packet " + packetId, defects.noPublishRetry());
                }
                if (defects.retryUnderNewPacketId()) {
                    // The defect: the broker sees a second message, not a retry of the first.
                    packetId = nextPacketId++;
                }
                log.append("no ").append(ack).append(" for ").append(packetId).append(", resending with DUP\n");
                duplicate = true;
            }
        }

        boolean subscribe(long deadline, List<String> received) throws ClientFailure, InterruptedException {
            int packetId = nextPacketId++;
            // The defect: a client coming back to a persistent session trusts it, whatever session present says.
            boolean trustsSession = defects.assumesSession() && !task.cleanSession() && task.expectMessages() > 0;
            while (!trustsSession) {
                send(MqttMessageBuilders.subscribe().messageId(packetId)
                        .addSubscription(MqttQoS.valueOf(defects.useQos2() ? 2 : task.qos()), task.topic()).build());
                MqttMessage suback = await(MqttMessageType.SUBACK, Math.min(deadline, System.nanoTime()
                        + scaled(ACK_TIMEOUT).toNanos()), received);
                if (suback != null) {
                    break;
                }
                if (defects.noSubscribeRetry() || System.nanoTime() >= deadline) {
                    throw new ClientFailure("NO_SUBACK", "no SUBACK for packet " + packetId, defects.noSubscribeRetry());
                }
                log.append("no SUBACK, resubscribing\n");
            }
            while (received.size() < task.expectMessages()) {
                MqttMessage message = await(null, deadline, received);
                ReferenceCountUtil.release(message);
                if (message == null && received.size() < task.expectMessages()) {
                    throw new ClientFailure("NO_MESSAGE", "received " + received.size() + " of " + task.expectMessages()
                            + " messages");
                }
            }
            return true;
        }

        // ---- the device services (Shadow, Jobs, fleet provisioning), over the same connection

        /** Replies of the services that arrived while waiting for something else, as "topic payload". */
        private final List<String> inbox = new ArrayList<>();
        private int nextToken = 1;

        private record Incoming(String topic, JsonNode body) {
        }

        private String thingTopic(String rest) {
            return "$aws/things/" + task.thingName() + "/" + rest;
        }

        /** The defect's status message, to a topic no least-privilege policy for the task allows. */
        void publishOutsideTask() {
            send(MqttMessageBuilders.publish().topicName("alpnlab/status/" + task.clientId()).qos(MqttQoS.AT_MOST_ONCE)
                    .payload(Unpooled.copiedBuffer("{\"status\":\"up\"}", StandardCharsets.UTF_8)).build());
        }

        private void subscribeTo(long deadline, String... filters) throws ClientFailure, InterruptedException {
            int packetId = nextPacketId++;
            while (true) {
                MqttMessageBuilders.SubscribeBuilder builder = MqttMessageBuilders.subscribe().messageId(packetId);
                for (String filter : filters) {
                    builder.addSubscription(MqttQoS.AT_LEAST_ONCE, filter);
                }
                send(builder.build());
                MqttMessage suback = await(MqttMessageType.SUBACK, Math.min(deadline, System.nanoTime()
                        + scaled(ACK_TIMEOUT).toNanos()), inbox);
                if (suback != null) {
                    return;
                }
                if (System.nanoTime() >= deadline) {
                    throw new ClientFailure("NO_SUBACK", "no SUBACK for " + List.of(filters));
                }
            }
        }

        /** A QoS 1 publish of a service request, resent under the same packet ID until its PUBACK. */
        private void request(String topic, String json, long deadline) throws ClientFailure, InterruptedException {
            int packetId = nextPacketId++;
            boolean duplicate = false;
            while (true) {
                send(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, duplicate, MqttQoS.AT_LEAST_ONCE, false, 0),
                        new MqttPublishVariableHeader(topic, packetId), Unpooled.copiedBuffer(json, StandardCharsets.UTF_8)));
                if (await(MqttMessageType.PUBACK, Math.min(deadline, System.nanoTime() + scaled(ACK_TIMEOUT).toNanos()),
                        inbox) != null) {
                    return;
                }
                if (System.nanoTime() >= deadline) {
                    throw new ClientFailure("NO_PUBACK", "no PUBACK for the request on " + topic);
                }
                duplicate = true;
            }
        }

        /**
         * The next reply on one of the topics carrying this client token (null: any), from what already arrived or
         * what arrives before the deadline; replies to other requesters (another client token) are passed over.
         */
        private Incoming reply(long deadline, String token, String... topics) throws ClientFailure, InterruptedException {
            java.util.Set<String> wanted = java.util.Set.of(topics);
            while (true) {
                for (java.util.Iterator<String> entries = inbox.iterator(); entries.hasNext();) {
                    String entry = entries.next();
                    int space = entry.indexOf(' ');
                    String topic = entry.substring(0, space);
                    if (!wanted.contains(topic)) {
                        continue;
                    }
                    entries.remove();
                    JsonNode body = parse(entry.substring(space + 1));
                    if (token == null || token.equals(body.path("clientToken").asText(null))) {
                        return new Incoming(topic, body);
                    }
                }
                MqttMessage message = await(null, deadline, inbox);
                if (message == null) {
                    throw new ClientFailure("NO_REPLY", "no reply on " + wanted + " in time");
                }
                ReferenceCountUtil.release(message);
            }
        }

        private static JsonNode parse(String json) {
            try {
                return JSON.readTree(json);
            } catch (java.io.IOException e) {
                return JSON.createObjectNode();
            }
        }

        private String token() {
            return task.clientId() + "-" + nextToken++;
        }

        boolean shadowReport(long deadline) throws ClientFailure, InterruptedException {
            String update = thingTopic("shadow/update");
            subscribeTo(deadline, update + "/accepted", update + "/rejected", thingTopic("shadow/get/accepted"),
                    thingTopic("shadow/get/rejected"));
            if (defects.has(Defect.NEVER_REPORTS_SHADOW)) {
                log.append("subscribed to the shadow; reporting nothing (defect)\n");
                return true;
            }
            reportState(parse(task.payload()), deadline);
            return true;
        }

        /**
         * Publishes reported state until it is accepted. A 409 means the shadow moved on: read it again, then
         * retry, at most 3 times (CLIENT-SHADOW-03); any other rejection is the device's own error.
         */
        private void reportState(JsonNode reported, long deadline) throws ClientFailure, InterruptedException {
            String update = thingTopic("shadow/update");
            int rejected = 0;
            while (true) {
                String token = token();
                ObjectNode document = JSON.createObjectNode();
                document.putObject("state").set("reported", reported);
                document.put("clientToken", token);
                request(update, document.toString(), deadline);
                Incoming answer = reply(deadline, token, update + "/accepted", update + "/rejected");
                if (answer.topic().endsWith("/accepted")) {
                    log.append("shadow update accepted, version ").append(answer.body().path("version").asText()).append('\n');
                    return;
                }
                rejected++;
                int code = answer.body().path("code").asInt();
                log.append("shadow update rejected ").append(code).append(' ').append(answer.body().path("message").asText())
                        .append('\n');
                if (defects.has(Defect.LOOPS_ON_REJECTED)) {
                    continue;
                }
                if (code != 409 || rejected > 3) {
                    throw new ClientFailure("SHADOW_REJECTED", "shadow update rejected " + code + ": "
                            + answer.body().path("message").asText(), true);
                }
                String getToken = token();
                request(thingTopic("shadow/get"), "{\"clientToken\":\"" + getToken + "\"}", deadline);
                Incoming current = reply(deadline, getToken, thingTopic("shadow/get/accepted"), thingTopic("shadow/get/rejected"));
                log.append("read the shadow again: version ").append(current.body().path("version").asText("none")).append('\n');
            }
        }

        boolean shadowSync(long deadline) throws ClientFailure, InterruptedException {
            String update = thingTopic("shadow/update");
            subscribeTo(deadline, update + "/accepted", update + "/rejected", update + "/delta", thingTopic("shadow/get/accepted"),
                    thingTopic("shadow/get/rejected"));
            reportState(parse(task.payload()), deadline);
            for (int applied = 0; applied < Math.max(1, task.expectMessages()); applied++) {
                Incoming delta = reply(deadline, null, update + "/delta");
                if (defects.has(Defect.IGNORES_DELTA)) {
                    log.append("delta ").append(delta.body().path("state")).append(" received and ignored (defect)\n");
                    continue;
                }
                log.append("applying delta ").append(delta.body().path("state")).append('\n');
                reportState(delta.body().path("state"), deadline);
            }
            return true;
        }

        boolean takeJob(long deadline) throws ClientFailure, InterruptedException {
            String jobs = thingTopic("jobs/");
            subscribeTo(deadline, jobs + "notify-next", jobs + "start-next/accepted", jobs + "start-next/rejected",
                    jobs + "$next/get/accepted", jobs + "$next/get/rejected", jobs + "+/update/accepted", jobs + "+/update/rejected");
            JsonNode execution = null;
            while (execution == null) {
                String token = token();
                if (defects.has(Defect.JOB_SKIPS_IN_PROGRESS)) {
                    request(jobs + "$next/get", "{\"clientToken\":\"" + token + "\"}", deadline);
                    execution = reply(deadline, token, jobs + "$next/get/accepted", jobs + "$next/get/rejected").body().get("execution");
                } else {
                    request(jobs + "start-next", "{\"clientToken\":\"" + token + "\"}", deadline);
                    execution = reply(deadline, token, jobs + "start-next/accepted", jobs + "start-next/rejected").body()
                            .get("execution");
                }
                if (execution == null && defects.has(Defect.ASKS_FOR_JOBS_ONCE)) {
                    log.append("no pending job; not listening for one (defect)\n");
                    return true;
                }
                if (execution == null) {
                    log.append("no pending job; waiting for notify-next\n");
                    // notify-next with an execution means a job came; one without (the queue emptied) means wait on.
                    while (!reply(deadline, null, jobs + "notify-next").body().has("execution")) {
                        log.append("notify-next without an execution\n");
                    }
                }
            }
            String jobId = execution.path("jobId").asText();
            log.append("job ").append(jobId).append(' ').append(execution.path("status").asText()).append(", version ")
                    .append(execution.path("versionNumber").asText()).append('\n');
            String token = token();
            ObjectNode done = JSON.createObjectNode();
            done.put("status", "SUCCEEDED");
            done.put("expectedVersion", execution.path("versionNumber").asLong());
            done.putObject("statusDetails").put("result", "done by the alpnlab reference client");
            done.put("clientToken", token);
            request(jobs + jobId + "/update", done.toString(), deadline);
            Incoming answer = reply(deadline, token, jobs + jobId + "/update/accepted", jobs + jobId + "/update/rejected");
            if (answer.topic().endsWith("/rejected")) {
                throw new ClientFailure("JOB_UPDATE_REJECTED", answer.body().path("code").asText() + ": "
                        + answer.body().path("message").asText(), true);
            }
            log.append("job ").append(jobId).append(" SUCCEEDED\n");
            return true;
        }

        /** CreateCertificateFromCsr (the key stays on the device), then RegisterThing with the task's template. */
        Provisioned provision(long deadline) throws ClientFailure, InterruptedException {
            String csrTopic = "$aws/certificates/create-from-csr/json";
            String provisionTopic = "$aws/provisioning-templates/" + task.topic() + "/provision/json";
            subscribeTo(deadline, csrTopic + "/accepted", csrTopic + "/rejected", provisionTopic + "/accepted",
                    provisionTopic + "/rejected");
            java.security.KeyPair keys;
            String csr;
            try {
                java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
                generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
                keys = generator.generateKeyPair();
                var request = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                        new javax.security.auth.x500.X500Principal("CN=" + task.clientId()), keys.getPublic())
                        .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                                .build(keys.getPrivate()));
                csr = io.alpnlab.certs.Pem.encode(List.of(request));
            } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
                throw new ClientFailure("CREDENTIALS", "cannot make a key and CSR: " + e.getMessage(), true);
            }
            ObjectNode csrRequest = JSON.createObjectNode();
            csrRequest.put("certificateSigningRequest", csr);
            request(csrTopic, csrRequest.toString(), deadline);
            Incoming issued = reply(deadline, null, csrTopic + "/accepted", csrTopic + "/rejected");
            if (issued.topic().endsWith("/rejected")) {
                throw new ClientFailure("PROVISIONING_REJECTED", issued.body().toString(), true);
            }
            X509Certificate certificate;
            try {
                certificate = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(
                        new java.io.ByteArrayInputStream(issued.body().path("certificatePem").asText().getBytes(
                                StandardCharsets.US_ASCII)));
            } catch (java.security.cert.CertificateException e) {
                throw new ClientFailure("PROVISIONING_REJECTED", "the certificate issued cannot be read: " + e.getMessage(), true);
            }
            ObjectNode register = JSON.createObjectNode();
            register.put("certificateOwnershipToken", issued.body().path("certificateOwnershipToken").asText());
            register.putObject("parameters").put("SerialNumber", task.clientId());
            request(provisionTopic, register.toString(), deadline);
            Incoming thing = reply(deadline, null, provisionTopic + "/accepted", provisionTopic + "/rejected");
            if (thing.topic().endsWith("/rejected")) {
                throw new ClientFailure("PROVISIONING_REJECTED", thing.body().toString(), true);
            }
            log.append("provisioned as ").append(thing.body().path("thingName").asText()).append('\n');
            return new Provisioned(keys.getPrivate(), certificate, thing.body().path("thingName").asText());
        }

        /** Keeps the connection up until the deadline; false when it dropped (the caller reconnects). */
        boolean stayConnected(long deadline) throws InterruptedException {
            try {
                // Any PUBLISH is answered and dropped; await() also keeps the keep-alive going.
                MqttMessage message;
                while ((message = await(null, deadline, new ArrayList<>())) != null) {
                    ReferenceCountUtil.release(message);
                    log.append("message received while staying connected\n");
                }
                return true;
            } catch (ClientFailure lost) {
                log.append("connection lost: ").append(lost.token).append('\n');
                return false;
            }
        }

        /**
         * Sends PINGREQ when the keep-alive has passed without a packet sent, and reports false when
         * a PINGREQ went unanswered for the ack timeout (the connection is then treated as dead).
         */
        private boolean keepAlive() throws ClientFailure {
            if (defects.noKeepAlive()) {
                return true;
            }
            long now = System.nanoTime();
            if (pingSentAt != 0 && now - pingSentAt > scaled(ACK_TIMEOUT).toNanos()) {
                if (defects.ignorePingresp()) {
                    return true;
                }
                log.append("no PINGRESP: reconnecting\n");
                return false;
            }
            int keepAlive = defects.keepAliveSeconds() != null ? defects.keepAliveSeconds() : task.keepAliveSeconds();
            if (keepAlive > 0 && pingSentAt == 0 && now - lastSent > scaled(Duration.ofSeconds(keepAlive)).toNanos() * 3 / 4) {
                send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
                pingSentAt = now;
            }
            return true;
        }

        private long pollMillis(long deadline) {
            long remaining = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            return Math.min(remaining, Math.max(1, scaled(Duration.ofSeconds(1)).toMillis()));
        }

        private MqttMessage await(MqttMessageType type, long deadline) throws ClientFailure, InterruptedException {
            return await(type, deadline, null);
        }

        /**
         * Waits for a packet of the type (null: any PUBLISH), answering what arrives meanwhile:
         * PUBLISH gets its PUBACK and is collected, PINGRESP clears the pending ping.
         */
        private MqttMessage await(MqttMessageType type, long deadline, List<String> received)
                throws ClientFailure, InterruptedException {
            while (System.nanoTime() < deadline) {
                Object next = inbound.poll(pollMillis(deadline), TimeUnit.MILLISECONDS);
                if (!keepAlive()) {
                    throw new ClientFailure("NO_PINGRESP", "the server did not answer PINGREQ");
                }
                if (next == null) {
                    continue;
                }
                if (next == Closed.INSTANCE) {
                    throw new ClientFailure("CONNECTION_CLOSED", "the server closed the connection");
                }
                if (next instanceof Throwable error) {
                    throw new ClientFailure("CONNECTION_ERROR", rootMessage(error));
                }
                MqttMessage message = (MqttMessage) next;
                try {
                    MqttMessageType got = message.fixedHeader().messageType();
                    if (got == MqttMessageType.PINGRESP) {
                        pingSentAt = 0;
                    }
                    if (got == MqttMessageType.PUBLISH) {
                        MqttPublishMessage publish = (MqttPublishMessage) message;
                        if (received != null) {
                            received.add(publish.variableHeader().topicName() + " "
                                    + publish.payload().toString(StandardCharsets.UTF_8));
                        }
                        if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                            send(MqttMessageBuilders.pubAck().packetId(publish.variableHeader().packetId()).build());
                        }
                        if (type == null) {
                            return ReferenceCountUtil.retain(message);
                        }
                    }
                    if (got == type) {
                        return ReferenceCountUtil.retain(message);
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }
            return null;
        }

        private void send(MqttMessage message) {
            lastSent = System.nanoTime();
            channel.writeAndFlush(message);
        }

        private Duration scaled(Duration duration) {
            return Duration.ofNanos(Math.max(1_000_000L, (long) (duration.toNanos() * task.timeScale())));
        }

        boolean isOpen() {
            return channel.isActive();
        }

        void disconnect() {
            if (channel.isActive()) {
                channel.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE,
                        false, 0)));
            }
            close();
        }

        void close() {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            Object leftover;
            while ((leftover = inbound.poll()) != null) {
                ReferenceCountUtil.release(leftover);
            }
        }
    }

    /** Marker queued when the connection closes. */
    private enum Closed { INSTANCE }

    /** The deliberate hole of the "accepts any server certificate" defect. */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
