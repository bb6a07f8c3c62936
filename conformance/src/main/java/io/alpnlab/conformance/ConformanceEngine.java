package io.alpnlab.conformance;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.MockBroker;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.CaseResult.Verdict;
import io.alpnlab.conformance.cases.Attribution;
import io.alpnlab.conformance.cases.CaseRun;
import io.alpnlab.conformance.cases.CaseTables;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.cases.Observation;
import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import io.alpnlab.conformance.client.ClientUnderTest;
import io.alpnlab.conformance.client.Clients;
import io.alpnlab.conformance.client.DisabledCases;
import io.alpnlab.conformance.client.PassiveClient;
import io.alpnlab.conformance.reference.ReferenceClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs conformance cases: sets the mock broker's behaviour for the case, gives the client under test
 * its task, collects the broker's records, and judges both sides. Independent of JUnit; the JUnit
 * Platform suite and the meta-test both drive it.
 */
public final class ConformanceEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConformanceEngine.class);
    static final String HELPER_CLIENT_ID = "alpnlab-suite-helper";
    static final String OFFLINE_PAYLOAD = "published-while-offline";
    static final String AFTER_EXPIRY_PAYLOAD = "published-after-resubscribing";

    private final ConformanceSettings settings;
    private final BrokerSettings brokerSettings;
    private final ClientUnderTest client;
    private final DisabledCases disabled;
    private final MockBroker broker;
    private final BrokerPki files;
    private final double scale;
    /** When each client ID's last case ended, for {@link #awaitConnectInterval}. */
    private final Map<String, Long> lastConnects = new java.util.concurrent.ConcurrentHashMap<>();
    private final String connectHost;
    /** False for an engine that runs one case on a broker of its own, borrowing its parent's client. */
    private final boolean ownsClient;
    /** Cases started by {@link #runAhead}, by ID, until {@link #run} hands their result over. */
    private final Map<String, java.util.concurrent.CompletableFuture<CaseResult>> ahead =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Thread> aheadThreads = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ConformanceEngine(ConformanceSettings settings, BrokerSettings brokerSettings, ClientUnderTest client,
            DisabledCases disabled, MockBroker broker, BrokerPki files, double scale, String connectHost, boolean ownsClient) {
        this.ownsClient = ownsClient;
        this.settings = settings;
        this.brokerSettings = brokerSettings;
        this.client = client;
        this.disabled = disabled;
        this.broker = broker;
        this.files = files;
        this.scale = scale;
        this.connectHost = connectHost;
    }

    /**
     * Starts the broker for a client. Listeners bind ephemeral ports unless {@code broker.port.*} says
     * otherwise; MQTT times are scaled when the client scales its own timers.
     */
    public static ConformanceEngine start(ConformanceSettings settings, Map<String, String> brokerProperties,
            ClientUnderTest client, DisabledCases disabled) {
        return start(settings, brokerProperties, () -> new Clients.Selected(client, disabled));
    }

    /**
     * The same, with the client made only once the test PKI is on disk: a device agent is reached after
     * its credentials exist, so the very first run creates them even when the device is not reachable
     * yet (README, "A device on your desk", step 1).
     */
    public static ConformanceEngine start(ConformanceSettings settings, Map<String, String> brokerProperties,
            java.util.function.Supplier<Clients.Selected> clientFactory) {
        Map<String, String> properties = withSuiteDefaults(brokerProperties);
        if (settings.capture() == ConformanceSettings.Capture.OFF) {
            properties.put(BrokerSettings.PREFIX + "capture", "off");
        }
        if (settings.target() != null && !properties.containsKey(BrokerSettings.PREFIX + "bind")) {
            // A device on the network must reach the broker: listen on the interface that routes to it.
            properties.put(BrokerSettings.PREFIX + "bind", routeTo(settings.target()).getHostAddress());
        }
        BrokerSettings brokerSettings = BrokerSettings.fromProperties(properties);
        BrokerPki files = BrokerPki.prepare(brokerSettings);
        if (settings.target() != null) {
            LOG.info("device credentials for {}: {}, {}, {}", settings.target(), files.trustBundle(), files.deviceCertificate(),
                    files.deviceKey());
        }
        Clients.Selected selected = clientFactory.get();
        ClientUnderTest client = selected.client();
        DisabledCases disabled = selected.disabled();
        double scale = client.scalesTime() ? settings.timeScale() : 1.0;
        BrokerContext.Timing timing = new BrokerContext.Timing(brokerSettings.timing().handshakeTimeout(),
                Duration.ofMillis(Math.max(200, (long) (brokerSettings.timing().unauthenticatedMqttTimeout().toMillis() * scale))),
                scale);
        MockBroker broker = MockBroker.builder(files.pki()).settings(brokerSettings).timing(timing)
                .registry(files.registry(brokerSettings)).start();
        String host = brokerSettings.bind().isAnyLocalAddress() ? "127.0.0.1" : brokerSettings.bind().getHostAddress();
        if (client instanceof PassiveClient passive) {
            passive.attach(broker);
        }
        LOG.info("conformance settings: {}; broker: {}", settings.describe(), brokerSettings.describe());
        LOG.info("client under test: {} {} (time scale {}){}", client.name(), client.version(), scale,
                client.configuration().isEmpty() ? "" : ", built with " + client.configuration());
        ConformanceEngine engine = new ConformanceEngine(settings, brokerSettings, client, disabled, broker, files, scale, host,
                true);
        engine.warmUp();
        return engine;
    }

    /**
     * One connection of the suite's own through MQTT before the first case, in real time: the first
     * CONNACK of a fresh JVM comes slowly (class loading, JIT, the back end's first session), and a
     * client with scaled timers must not be judged on that. Its record is the helper's, which no
     * case reads; a failure here is left for the sanity case to report.
     */
    private void warmUp() {
        ClientReport report;
        try {
            report = new ReferenceClient().run(new ClientTask(ClientTask.Action.PUBLISH, connectHost,
                broker.port(ListenerRole.MQTT_8883), brokerSettings.endpoints().get(0), List.of(), files.trustBundle(),
                files.deviceCertificate(), files.deviceKey(), HELPER_CLIENT_ID, 30, true, "alpnlab/conformance/warm-up", "warm-up",
                    1, 0, Duration.ofSeconds(10), 1.0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        LOG.debug("warm-up connection: {}", report.succeeded() ? "ok" : report.message());
    }

    /** The suite binds ephemeral ports and no control endpoint unless the user sets them. */
    static Map<String, String> withSuiteDefaults(Map<String, String> properties) {
        Map<String, String> merged = new java.util.LinkedHashMap<>();
        // The suite's broker never keeps connection logs or a control endpoint unless asked.
        for (ListenerRole role : ListenerRole.values()) {
            merged.put(BrokerSettings.PREFIX + "port." + role.roleName(), "0");
        }
        merged.put(BrokerSettings.PREFIX + "control-port", "-1");
        // The evidence of a failing case: every connection kept with its secrets (test sessions of the test PKI).
        merged.put(BrokerSettings.PREFIX + "capture", "on");
        merged.putAll(properties);
        return merged;
    }

    /** The local address whose interface routes to the target (no packet is sent: a UDP connect only picks a route). */
    static java.net.InetAddress routeTo(String target) {
        String host = target.contains(":") && !target.startsWith("[") ? target.substring(0, target.lastIndexOf(':')) : target;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket()) {
            probe.connect(java.net.InetAddress.getByName(host), ConformanceSettings.DEFAULT_AGENT_PORT);
            return probe.getLocalAddress();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("no route to the target " + target + ": " + e.getMessage(), e);
        }
    }

    public MockBroker broker() {
        return broker;
    }

    public ClientUnderTest client() {
        return client;
    }

    public BrokerPki files() {
        return files;
    }

    public BrokerSettings brokerSettings() {
        return brokerSettings;
    }

    public ConformanceSettings settings() {
        return settings;
    }

    /** The cases this run selects, in order. */
    public List<ConformanceCase> cases() {
        return CaseTables.all().stream().filter(conformanceCase -> settings.selects(conformanceCase.id())).toList();
    }

    /**
     * Starts, side by side and now, the cases among these that mostly wait on the client's timers
     * (keep-alive, reconnect, backoff: {@link ConformanceCase.Need#SCALED_TIME}), each on a broker of
     * its own started from the same settings and PKI, so that no case sees another's connections,
     * misbehaviours or records; {@link #run} then returns their result when asked for them, in the
     * caller's order. Only for a client that can run tasks at once ({@link ClientUnderTest#runsConcurrently});
     * for any other client this does nothing and every case runs in turn on the one broker.
     */
    public void runAhead(List<ConformanceCase> cases) {
        if (!client.runsConcurrently()) {
            return;
        }
        for (ConformanceCase conformanceCase : cases) {
            if (!conformanceCase.needs(ConformanceCase.Need.SCALED_TIME) || ahead.containsKey(conformanceCase.id())) {
                continue;
            }
            java.util.concurrent.CompletableFuture<CaseResult> result = new java.util.concurrent.CompletableFuture<>();
            ahead.put(conformanceCase.id(), result);
            Thread thread = new Thread(() -> {
                try (ConformanceEngine own = brokerOfItsOwn()) {
                    result.complete(own.run(conformanceCase));
                } catch (Throwable failure) {
                    result.completeExceptionally(failure);
                }
            }, "alpnlab-case-" + conformanceCase.id());
            thread.setDaemon(true);
            aheadThreads.add(thread);
            thread.start();
        }
    }

    /**
     * An engine for one case on a fresh broker: this engine's settings, PKI, registry and timing, but
     * ephemeral ports, no control endpoint and no event log, so that any number of them can run at once.
     */
    private ConformanceEngine brokerOfItsOwn() {
        MockBroker.Builder builder = MockBroker.builder(files.pki()).settings(brokerSettings).timing(broker.context().timing())
                .registry(files.registry(brokerSettings)).controlPort(-1).eventLog(null);
        for (ListenerRole role : ListenerRole.values()) {
            if (brokerSettings.ports().getOrDefault(role, -1) >= 0) {
                builder.port(role, 0);
            }
        }
        ConformanceEngine own = new ConformanceEngine(settings, brokerSettings, client, disabled, builder.start(), files, scale,
                connectHost, false);
        own.warmUp();
        return own;
    }

    public CaseResult run(ConformanceCase conformanceCase) throws InterruptedException {
        java.util.concurrent.CompletableFuture<CaseResult> startedAhead = ahead.remove(conformanceCase.id());
        if (startedAhead != null) {
            try {
                return startedAhead.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("case " + conformanceCase.id() + " failed on its own broker: " + e.getCause(),
                        e.getCause());
            }
        }
        String reason = disabled.reason(conformanceCase.id());
        if (reason != null) {
            return CaseResult.skipped(conformanceCase.id(), conformanceCase.rule(), Verdict.DISABLED, reason);
        }
        if (conformanceCase.needs(ConformanceCase.Need.SCALED_TIME) && !client.scalesTime() && !settings.realTime()) {
            return CaseResult.skipped(conformanceCase.id(), conformanceCase.rule(), Verdict.NOT_SUPPORTED, "time-dependent case:"
                    + " the client cannot scale its timers; run with -Dconformance.real-time=true to judge it in real time");
        }
        if (client instanceof PassiveClient && !conformanceCase.needs(ConformanceCase.Need.PASSIVE)) {
            return CaseResult.skipped(conformanceCase.id(), conformanceCase.rule(), Verdict.NOT_SUPPORTED,
                    "needs a client that can be told what to do; a passive device is judged on what it does by itself");
        }
        if (!client.actions().contains(conformanceCase.action())) {
            return CaseResult.skipped(conformanceCase.id(), conformanceCase.rule(), Verdict.NOT_SUPPORTED, client.name()
                    + " does not do " + conformanceCase.action() + " (ClientUnderTest.actions())");
        }
        ClientTask task = task(conformanceCase);
        String clientId = client.clientIdFor(task);
        awaitConnectInterval(clientId);
        long started = System.nanoTime();
        prepareBroker(conformanceCase);
        long mark = broker.context().lastConnectionId();
        ClientReport report;
        Runnable restorePolicy = () -> { };
        try {
            conformanceCase.services().before().accept(broker.context().services(), clientId);
            if (conformanceCase.needs(ConformanceCase.Need.POLICY)) {
                restorePolicy = underPolicy(task);
            }
            var afterSubscribe = conformanceCase.services().afterSubscribe();
            report = conformanceCase.needs(ConformanceCase.Need.TWO_RUNS) ? runTwice(task, conformanceCase, mark)
                    : conformanceCase.needs(ConformanceCase.Need.EXPIRED_SESSION) ? runAfterExpiry(task, conformanceCase, mark)
                    : conformanceCase.needs(ConformanceCase.Need.LARGE_DELIVERY)
                            ? runWithDelivery(task.withExpectMessages(1), "x".repeat(conformanceCase.deliveryBytes()))
                    : afterSubscribe != null
                            ? runAfterSubscribe(task, () -> conformanceCase.services().ready().test(broker.context().services(),
                                    clientId), () -> afterSubscribe.accept(broker.context().services(), clientId))
                    : runUntilBlocked(task, conformanceCase, mark);
        } catch (IllegalArgumentException badPolicy) {
            return CaseResult.skipped(conformanceCase.id(), conformanceCase.rule(), Verdict.BLOCKED, badPolicy.getMessage());
        } finally {
            restorePolicy.run();
            broker.plan().reset();
            lastConnects.put(clientId, System.nanoTime());
        }
        List<ConnectionRecord> records = settle(mark);
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        if (report.outcome() == ClientReport.Outcome.NOT_SUPPORTED) {
            return new CaseResult(conformanceCase.id(), conformanceCase.rule(), Verdict.NOT_SUPPORTED, "", "", conformanceCase.hint(),
                    report.message(), conformanceCase.assumption(), report, records, duration, List.of());
        }
        return keepEvidence(judge(conformanceCase, task, report, records, duration));
    }

    /**
     * Writes each connection of the case as a pcapng capture and its TLS secrets as a key log, under
     * {@code <results-dir>/captures/<case>/}: for a case that failed or was blocked, or for every case with
     * {@code conformance.capture=all}. Wireshark (or tshark -o tls.keylog_file:...) opens the pair decrypted.
     */
    private CaseResult keepEvidence(CaseResult result) {
        boolean failed = result.verdict() == Verdict.FAIL || result.verdict() == Verdict.BLOCKED;
        if (settings.capture() == ConformanceSettings.Capture.OFF || !(failed || settings.capture() == ConformanceSettings.Capture.ALL)) {
            return result;
        }
        Path folder = settings.resultsDir().resolve("captures").resolve(result.caseId());
        List<Path> files = new ArrayList<>();
        try {
            for (ConnectionRecord record : result.records()) {
                java.util.Optional<io.alpnlab.broker.capture.ConnectionCapture> capture = broker.context().capture(record.id());
                if (capture.isEmpty()) {
                    continue;
                }
                Files.createDirectories(folder);
                Path pcapng = folder.resolve("connection-" + record.id() + ".pcapng");
                capture.get().writePcapng(pcapng);
                files.add(pcapng);
                Path keys = folder.resolve("connection-" + record.id() + ".keys");
                if (capture.get().writeKeyLog(keys)) {
                    files.add(keys);
                }
            }
        } catch (java.io.IOException e) {
            LOG.warn("could not write the captures of {} into {}: {}", result.caseId(), folder, e.toString());
        }
        return result.withEvidence(files);
    }

    /**
     * Waits until a case that reuses a client ID (the sanity case runs first and last) is past AWS's throttle of one
     * CONNECT per second per client ID (MQTT-CONN-04, scaled like the broker's timers) since that ID's last run: the
     * suite's own schedule must not make the client break it. With a short selection the two sanity runs came 287 ms
     * apart and the second was refused, a FAIL the client did nothing for.
     */
    private void awaitConnectInterval(String clientId) throws InterruptedException {
        Long last = lastConnects.get(clientId);
        if (last == null) {
            return;
        }
        long interval = (long) (io.alpnlab.broker.policy.MqttPolicy.MIN_CONNECT_INTERVAL.toNanos() * scale * 1.2);
        long wait = last + interval - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000 + 1);
        }
    }

    private void prepareBroker(ConformanceCase conformanceCase) {
        broker.plan().reset();
        broker.context().setProfile(brokerSettings.profile());
        Misbehaviours misbehaviours = conformanceCase.misbehaviours().misbehaviours();
        if (conformanceCase.misbehaviours().connections() == 0) {
            broker.plan().setDefaults(misbehaviours);
        } else {
            broker.plan().forNextConnections(null, conformanceCase.misbehaviours().connections(), misbehaviours);
            for (ConformanceCase.BrokerSetup step : conformanceCase.misbehaviours().then()) {
                broker.plan().forNextConnections(null, step.connections(), step.misbehaviours());
            }
        }
    }

    /**
     * Registers the device certificate under the case's policy (conformance.policy, or the suite's least-privilege
     * policy for the task), attached to the thing its client ID names, as at AWS; returns what puts the registration
     * back. A given policy that uses wildcards cannot judge CLIENT-POLICY-01: the case is blocked, saying why.
     */
    private Runnable underPolicy(ClientTask task) {
        List<String> documents = new ArrayList<>();
        try {
            for (Path file : settings.policy()) {
                documents.add(Files.readString(file));
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read the policy: " + e.getMessage(), e);
        }
        String given = settings.policy().isEmpty() ? "the suite's policy for the task" : "the policy " + settings.policy();
        if (documents.isEmpty()) {
            documents.add(LeastPrivilegePolicy.forTask(task).document(task.serverName()).toString());
        }
        List<String> connect = new ArrayList<>();
        List<String> publish = new ArrayList<>();
        List<String> subscribe = new ArrayList<>();
        List<String> wildcards = new ArrayList<>();
        for (String document : documents) {
            io.alpnlab.broker.registry.AwsPolicy.Parsed parsed;
            try {
                parsed = io.alpnlab.broker.registry.AwsPolicy.parse(document);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(given + " cannot be used: " + e.getMessage(), e);
            }
            connect.addAll(parsed.policy().connect());
            publish.addAll(parsed.policy().publish());
            subscribe.addAll(parsed.policy().subscribe());
            wildcards.addAll(parsed.wildcards());
        }
        if (!wildcards.isEmpty()) {
            throw new IllegalArgumentException(given + " uses wildcards (" + String.join(", ", wildcards) + "); Device Advisor"
                    + " requires a policy without them, and so does this case");
        }
        io.alpnlab.broker.registry.DeviceRegistry registry = broker.context().registry();
        String fingerprint = io.alpnlab.certs.Pem.sha256Fingerprint(io.alpnlab.certs.Pem.readCertificates(task.certFile()).get(0));
        java.util.Optional<io.alpnlab.broker.registry.RegisteredDevice> before = registry.lookup(fingerprint);
        registry.register(new io.alpnlab.broker.registry.RegisteredDevice(fingerprint,
                io.alpnlab.broker.registry.DeviceStatus.ACTIVE, client.clientIdFor(task),
                new io.alpnlab.broker.registry.DevicePolicy(connect, publish, subscribe)));
        return () -> before.ifPresentOrElse(registry::register, () -> registry.deregister(fingerprint));
    }

    ClientTask task(ConformanceCase conformanceCase) {
        String clientId = "alpnlab-" + conformanceCase.id().toLowerCase(Locale.ROOT);
        Duration timeout = Duration.ofMillis(Math.min(settings.caseTimeout().toMillis(),
                Math.max(3_000, (long) (conformanceCase.budget().toMillis() * scale))));
        if (conformanceCase.action() == ClientTask.Action.STAY_CONNECTED) {
            // Staying connected is measured against AWS's deadline: twice 1.5 x the 30 s keep-alive, scaled.
            timeout = Duration.ofMillis(Math.min(settings.caseTimeout().toMillis(), (long) (conformanceCase.budget().toMillis() * scale)));
        }
        ListenerRole role = conformanceCase.listener();
        return new ClientTask(conformanceCase.action(), connectHost, broker.port(role), brokerSettings.endpoints().get(0),
                role == ListenerRole.MULTIPLEX_443 ? List.of(ConnectionPolicy.ALPN_MQTT_X509) : List.of(), files.trustBundle(),
                files.deviceCertificate(), files.deviceKey(), clientId, 30, true, topicFor(conformanceCase, clientId),
                payloadFor(conformanceCase), conformanceCase.qos(), 0, timeout, scale);
    }

    /** The task's topic: the telemetry topic, or for provisioning the template to register with. */
    private static String topicFor(ConformanceCase conformanceCase, String clientId) {
        return conformanceCase.action() == ClientTask.Action.PROVISION
                ? io.alpnlab.broker.services.FleetProvisioning.DEFAULT_TEMPLATE_NAME : "alpnlab/conformance/" + clientId;
    }

    /** The task's payload: text to publish, or for the shadow actions the reported state, a JSON object. */
    private static String payloadFor(ConformanceCase conformanceCase) {
        return switch (conformanceCase.action()) {
            case SHADOW_REPORT, SHADOW_SYNC -> "{\"alpnlab_case\":\"" + conformanceCase.id() + "\",\"alpnlab_setpoint\":20}";
            default -> "hello from " + conformanceCase.id();
        };
    }

    /** Runs the client on its own thread, so the suite can act meanwhile; its report (or failure) completes {@code run}. */
    private Thread startClient(ClientTask task, java.util.concurrent.CompletableFuture<ClientReport> run) {
        Thread thread = new Thread(() -> {
            try {
                run.complete(client.run(task));
            } catch (Throwable failure) {
                run.completeExceptionally(failure);
            }
        }, "alpnlab-case-client");
        thread.start();
        return thread;
    }

    /**
     * The client subscribes and waits for one message; once the broker has sent its SUBACK the suite
     * publishes the payload at QoS 1 to the client's topic, which the broker delivers in maximum-size
     * (16 KB) TLS records.
     */
    private ClientReport runWithDelivery(ClientTask task, String payload) throws InterruptedException {
        return runAfterSubscribe(task, () -> true, () -> {
            try {
                ClientReport published = new ReferenceClient().run(new ClientTask(ClientTask.Action.PUBLISH, connectHost,
                        broker.port(ListenerRole.MQTT_8883), task.serverName(), List.of(), task.caFile(), task.certFile(),
                        task.keyFile(), HELPER_CLIENT_ID, 30, true, task.topic(), payload, 1, 0,
                        Duration.ofSeconds(10), 1.0));
                if (!published.succeeded()) {
                    LOG.warn("the suite could not publish the large message: {}", published.message());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * Runs the client and, once the broker has sent it a SUBACK (it is listening), does what the case's operator
     * does: publishes to it, sets a shadow's desired state. The client's report completes the run.
     */
    private ClientReport runAfterSubscribe(ClientTask task, java.util.function.BooleanSupplier ready, Runnable operator)
            throws InterruptedException {
        java.util.concurrent.CompletableFuture<ClientReport> run = new java.util.concurrent.CompletableFuture<>();
        Thread thread = startClient(task, run);
        long deadline = System.nanoTime() + task.timeout().toNanos();
        String clientId = client.clientIdFor(task);
        java.util.function.BooleanSupplier listening = () -> broker.context().openConnectionHasSent(clientId, "SUBACK")
                && ready.getAsBoolean();
        while (!run.isDone() && !listening.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (!run.isDone() && listening.getAsBoolean()) {
            operator.run();
        }
        try {
            return run.get(task.timeout().toMillis() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return ClientReport.failure("CLIENT_ERROR", "the client failed: " + e.getCause(), "", task.timeout());
        } catch (java.util.concurrent.TimeoutException e) {
            thread.interrupt();
            return ClientReport.failure("TIMEOUT", "the client did not finish within its timeout", "", task.timeout());
        }
    }

    /** Connections a client may be refused for the same earlier rule before the suite stops waiting for it. */
    static final int REFUSALS_BEFORE_STOP = 3;

    /**
     * Runs the client, and stops it once the broker has refused it {@value #REFUSALS_BEFORE_STOP} times
     * for the same prerequisite rule other than the case's own (no SNI, no ALPN on 443, MQTT 3.1): the
     * case is BLOCKED by that rule whatever the client does next, and a client retrying until its time
     * is up would make every case of a broken client wait out its whole budget. Likewise once one of
     * its connections is settled (an MQTT CONNECT on 443 without ALPN, which AWS never answers). Only for clients that
     * can be stopped ({@link ClientUnderTest#stoppable()}); the others run to the end.
     */
    private ClientReport runUntilBlocked(ClientTask task, ConformanceCase conformanceCase, long mark)
            throws InterruptedException {
        if (!client.stoppable()) {
            return client.run(task);
        }
        long started = System.nanoTime();
        java.util.concurrent.CompletableFuture<ClientReport> run = new java.util.concurrent.CompletableFuture<>();
        Thread thread = startClient(task, run);
        try {
            while (true) {
                try {
                    return run.get(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stillRunning) {
                    List<ConnectionRecord> closed = broker.recorder().recordsAfter(mark).stream()
                            .filter(record -> record.closedAt() != null).toList();
                    String blocker = Attribution.repeatedlyBlockedBy(closed, conformanceCase, REFUSALS_BEFORE_STOP);
                    if (blocker != null) {
                        thread.interrupt();
                        thread.join(5_000);
                        return ClientReport.failure("STOPPED", "stopped by the suite after the broker refused it "
                                + closed.size() + " times for " + blocker + ": the case cannot judge its own rule",
                                "", Duration.ofNanos(System.nanoTime() - started));
                    }
                    // A connection AWS will never answer ends the same way after the client's own timeout
                    // (10 s and more for most clients): its outcome is known now.
                    String settled = broker.context().settledOpenConnectionAfter(mark);
                    if (settled != null) {
                        thread.interrupt();
                        thread.join(5_000);
                        return ClientReport.failure("STOPPED", "stopped by the suite: " + settled, "",
                                Duration.ofNanos(System.nanoTime() - started));
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof InterruptedException interrupted) {
                        throw interrupted;
                    }
                    return ClientReport.failure("CLIENT_ERROR", "the client failed: " + cause, "",
                            Duration.ofNanos(System.nanoTime() - started));
                }
            }
        } finally {
            if (thread.isAlive()) {
                thread.interrupt();
            }
        }
    }

    /**
     * Device Advisor's "persistent session expiry": the client subscribes with cleanSession=0 and
     * leaves; the broker expires the session; the client comes back with cleanSession=0 and gets
     * session present 0. Once it has subscribed again the suite publishes to its topic; a client that
     * assumed its old subscriptions never gets the message.
     */
    private ClientReport runAfterExpiry(ClientTask task, ConformanceCase conformanceCase, long mark) throws InterruptedException {
        ClientTask persistent = task.withCleanSession(false);
        ClientReport first = runUntilBlocked(persistent.withExpectMessages(0), conformanceCase, mark);
        if (!first.succeeded()) {
            return first;
        }
        try {
            // A loaded machine can take seconds to see the first run's connection close; the session expires after that.
            broker.expireSession(client.clientIdFor(task)).get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return ClientReport.failure("SUITE_HELPER", "the broker could not expire the session: " + e, first.output(),
                    first.elapsed());
        }
        waitOutConnectThrottle();
        ClientReport second = runWithDelivery(persistent.withExpectMessages(1), AFTER_EXPIRY_PAYLOAD);
        return new ClientReport(second.outcome(), second.errorToken(), second.message(), second.received(),
                "--- first run\n" + first.output() + "--- second run\n" + second.output(), first.elapsed().plus(second.elapsed()));
    }

    /**
     * A second run of the client starts at least AWS's second (scaled) after the first one's CONNECT, as a
     * device restart would: the broker throttles faster CONNECTs per client ID (MQTT-CONN-04), and these
     * cases judge the session, not the throttle.
     */
    private void waitOutConnectThrottle() throws InterruptedException {
        Thread.sleep(Math.max(1, (long) (io.alpnlab.broker.policy.MqttPolicy.MIN_CONNECT_INTERVAL.toMillis() * scale)));
    }

    /**
     * Persistent sessions: the client subscribes with cleanSession=0 and leaves, a message is
     * published to its topic meanwhile, and it comes back with cleanSession=0 expecting the message.
     * Each run is stopped as soon as its outcome is settled (a CONNECT on 443 without ALPN that AWS
     * never answers), not after the client's own time-out.
     */
    private ClientReport runTwice(ClientTask task, ConformanceCase conformanceCase, long mark) throws InterruptedException {
        ClientTask persistent = task.withCleanSession(false);
        ClientReport first = runUntilBlocked(persistent.withExpectMessages(0), conformanceCase, mark);
        if (!first.succeeded()) {
            return first;
        }
        ClientReport published = new ReferenceClient().run(new ClientTask(ClientTask.Action.PUBLISH, connectHost,
                broker.port(ListenerRole.MQTT_8883), task.serverName(), List.of(), task.caFile(), task.certFile(), task.keyFile(),
                HELPER_CLIENT_ID, 30, true, task.topic(), OFFLINE_PAYLOAD, 1, 0, Duration.ofSeconds(10), 1.0));
        if (!published.succeeded()) {
            return ClientReport.failure("SUITE_HELPER", "the suite could not publish the offline message: " + published.message(),
                    published.output(), published.elapsed());
        }
        waitOutConnectThrottle();
        ClientReport second = runUntilBlocked(persistent.withExpectMessages(1), conformanceCase, mark);
        return new ClientReport(second.outcome(), second.errorToken(), second.message(), second.received(),
                "--- first run\n" + first.output() + "--- second run\n" + second.output(), first.elapsed().plus(second.elapsed()));
    }

    /**
     * Waits a moment for the case's connections to close; any still open (a client that left one
     * hanging) is then closed, so its record is complete and nothing spills into the next case.
     */
    private List<ConnectionRecord> settle(long mark) throws InterruptedException {
        long grace = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (broker.context().hasOpenConnectionAfter(mark) && System.nanoTime() < grace) {
            Thread.sleep(10);
        }
        broker.context().closeConnectionsAfter(mark);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (broker.context().hasOpenConnectionAfter(mark) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return broker.recorder().recordsAfter(mark).stream()
                .filter(record -> record.mqtt() == null || !HELPER_CLIENT_ID.equals(record.mqtt().clientId()))
                .toList();
    }

    private CaseResult judge(ConformanceCase conformanceCase, ClientTask task, ClientReport report, List<ConnectionRecord> records,
            Duration duration) {
        Observation broker = conformanceCase.judge().judge(new CaseRun(conformanceCase, task, report, records));
        String clientSide = switch (conformanceCase.client()) {
            case SUCCEED -> report.succeeded() ? null : "the client failed: " + token(report)
                    + ("TIMEOUT".equals(report.errorToken()) ? "; meanwhile the broker saw " + brokerSaw(records) : "");
            case FAIL -> report.succeeded() ? "the client reported success where it must refuse" : null;
            case ANY -> null;
        };
        String expected = expectation(conformanceCase) + "; " + broker.expected();
        String observed = "client " + (report.succeeded() ? "succeeded" : token(report)) + "; " + broker.observed();
        Verdict verdict;
        String blockedBy = null;
        if (broker.outcome() == Observation.Outcome.NOT_APPLICABLE) {
            verdict = Verdict.NOT_APPLICABLE;
        } else if (clientSide != null || broker.outcome() == Observation.Outcome.FAIL) {
            // A failure the client brought on by breaking another rule first is that rule's, not this case's.
            blockedBy = Attribution.blockedBy(records, conformanceCase);
            verdict = blockedBy != null ? Verdict.BLOCKED : conformanceCase.isAdvisory() ? Verdict.PASS_WITH_WARNINGS : Verdict.FAIL;
        } else if (broker.outcome() == Observation.Outcome.WARN) {
            verdict = Verdict.PASS_WITH_WARNINGS;
        } else {
            verdict = Verdict.PASS;
        }
        String quotas = quotaWarnings(records);
        if (verdict == Verdict.PASS && quotas != null) {
            // The case's own rule held, but AWS would have throttled the client on the way: say so.
            verdict = Verdict.PASS_WITH_WARNINGS;
            observed = observed + "; but " + quotas;
        }
        boolean failed = clientSide != null || broker.outcome() == Observation.Outcome.FAIL;
        String cause = failed && verdict != Verdict.NOT_APPLICABLE ? conformanceCase.explain(client.configuration()) : "";
        String hint = cause.isEmpty() ? conformanceCase.hint() : "cause: " + cause + ". " + conformanceCase.hint();
        if (failed && conformanceCase.isAdvisory()) {
            hint = "advisory, not required by AWS: " + conformanceCase.advisory() + ". " + hint;
        }
        String seen = clientSide == null ? observed : clientSide + "; " + broker.observed();
        if (blockedBy != null) {
            seen = "BLOCKED by " + blockedBy + " (the client broke it first, so " + conformanceCase.rule().id()
                    + " could not be judged): " + seen;
        }
        return new CaseResult(conformanceCase.id(), conformanceCase.rule(), verdict, expected, seen, hint,
                verdict == Verdict.NOT_APPLICABLE ? broker.observed() : "", conformanceCase.assumption(), report, records, duration,
                List.of());
    }

    /** The rules of AWS's per-client quotas, which any case's connections can break on the way. */
    private static final Set<Rule> QUOTA_RULES = Set.of(Rule.MQTT_CONN_04, Rule.MQTT_RATE_01, Rule.MQTT_INFLIGHT_01);

    /**
     * What the case's connections did past AWS's quotas (a CONNECT throttled, publishes past 100 a second,
     * more than 100 QoS 1 in flight), in a line, or null: the broker records them on every connection,
     * and a case that otherwise passes passes with warnings, naming the quota.
     */
    static String quotaWarnings(List<ConnectionRecord> records) {
        List<String> seen = new ArrayList<>();
        for (ConnectionRecord record : records) {
            record.checks().stream()
                    .filter(check -> QUOTA_RULES.contains(check.rule()) && check.outcome() != Outcome.PASS
                            && check.outcome() != Outcome.APPLIED)
                    .map(check -> check.rule().id() + ": " + check.detail())
                    .filter(line -> !seen.contains(line))
                    .forEach(seen::add);
        }
        return seen.isEmpty() ? null : String.join("; ", seen);
    }

    /** What the broker recorded, in a line: for a client that timed out, where it stopped. */
    static String brokerSaw(List<ConnectionRecord> records) {
        if (records.isEmpty()) {
            return "no connection at all";
        }
        List<String> connections = new ArrayList<>();
        for (ConnectionRecord record : records.subList(Math.max(0, records.size() - 3), records.size())) {
            String packets = record.mqtt() == null ? "no MQTT" : record.mqtt().packets().stream()
                    .map(packet -> packet.direction() + " " + packet.type()).collect(java.util.stream.Collectors.joining(", "));
            connections.add("connection " + record.id() + ": " + (record.handshakeMillis() == null ? "TLS not completed"
                    : "TLS completed") + ", " + (packets.isEmpty() ? "no MQTT packet" : packets) + ", then "
                    + (record.closedAt() == null ? "still open" : record.verdict().outcome().name().toLowerCase(Locale.ROOT)
                            .replace('_', ' ') + (record.verdict().rule() == null ? "" : " (" + record.verdict().rule() + ")")));
        }
        return (records.size() > 3 ? records.size() + " connections, the last 3: " : "") + String.join("; ", connections);
    }

    private static String expectation(ConformanceCase conformanceCase) {
        return switch (conformanceCase.client()) {
            case SUCCEED -> "client succeeds";
            case FAIL -> "client refuses";
            case ANY -> "client either way";
        };
    }

    private static String token(ClientReport report) {
        return report.outcome() == ClientReport.Outcome.FAILURE ? report.errorToken() + (report.message().isEmpty() ? ""
                : " (" + report.message() + ")") : report.outcome().name();
    }

    /** The broker profile switches, for reports. */
    public Profile profile() {
        return brokerSettings.profile();
    }

    public double timeScale() {
        return scale;
    }

    @Override
    public void close() {
        // Cases still running ahead (a run cut short) are stopped before the client they use is closed.
        for (Thread thread : aheadThreads) {
            thread.interrupt();
        }
        for (Thread thread : aheadThreads) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        broker.close();
        if (ownsClient) {
            client.close();
        }
    }
}
