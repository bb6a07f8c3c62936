package io.alpnlab.broker.observe;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.policy.CipherSuites;
import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.policy.TlsNames;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.rules.Rule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.ExtensionType;
import org.bouncycastle.tls.HandshakeType;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.SignatureScheme;

/**
 * The record of one connection while it is open. Confined to the connection's event loop; the
 * verdict is guarded so the first refusal (or the client's abort) is the one that stands, and the
 * finished {@link ConnectionRecord} is produced exactly once.
 */
public final class ConnectionObservation {

    private final long id;
    private final ListenerRole listener;
    private final String remoteAddress;
    private final int localPort;
    private final Clock clock;
    private final Instant openedAt;
    private Instant handshakeCompletedAt;
    private ConnectionRecord.ClientHelloView clientHello;
    private String application;
    private boolean certificateRequestSent;
    private String alpnSelected;
    private String negotiatedVersion;
    private String cipherSuite;
    private String chainServed;
    private List<String> misbehaviours = List.of();
    private ConnectionRecord.ClientCertificateView clientCertificate;
    private final List<String> handshakeMessagesReceived = new ArrayList<>();
    private final List<ConnectionRecord.AlertView> alerts = new ArrayList<>();
    private long bytesIn;
    private long bytesOut;
    private long recordsIn;
    private long recordsOut;
    private long largestRecordOut;
    private final List<Check> checks = new ArrayList<>();
    private Rule acceptedBy;
    private Verdict verdict;
    private MqttObservation mqtt;
    private ConnectionRecord finished;
    /** Set once nothing the client does can change how the connection ends; read by the suite while it is open. */
    private volatile String settled;

    public ConnectionObservation(long id, ListenerRole listener, String remoteAddress, int localPort, Clock clock) {
        this.id = id;
        this.listener = listener;
        this.remoteAddress = remoteAddress;
        this.localPort = localPort;
        this.clock = clock;
        this.openedAt = clock.instant();
    }

    /**
     * Says that the connection's outcome is decided whatever the client does next (AWS will never
     * answer it), and why: a suite need not wait out the client's own timeout to judge it.
     */
    public void settle(String reason) {
        settled = reason;
    }

    /** Why the connection's outcome is decided, or null while the client can still change it. */
    public String settled() {
        return settled;
    }

    public long id() {
        return id;
    }

    public ListenerRole listener() {
        return listener;
    }

    public Instant now() {
        return clock.instant();
    }

    /** Entries a record keeps of each list in a ClientHello; a hostile hello may carry thousands. */
    static final int MAX_LISTED = 64;
    /** Characters a record keeps of one name (SNI, ALPN) or detail; a hostile hello may carry 16 KB of one. */
    static final int MAX_TEXT = 512;

    /**
     * The ClientHello as the record keeps it: each list cut at {@link #MAX_LISTED} entries and each name
     * at {@link #MAX_TEXT} characters, with what was cut said in place, so that 10,000 records of 16 KB
     * hellos stay small (a record kept every suite name: about 400 KB each).
     */
    public void clientHello(ClientHelloFacts hello) {
        clientHello = new ConnectionRecord.ClientHelloView(
                TlsNames.versionName(hello.legacyVersion()),
                bounded(hello.supportedVersions(), TlsNames::versionName),
                bounded(hello.cipherSuites(), CipherSuites::name),
                bounded(hello.extensionTypes(), ConnectionObservation::extensionName),
                bounded(hello.serverName()), hello.alpnNames() == null ? null : bounded(hello.alpnNames()),
                bounded(hello.signatureAlgorithms(), scheme -> known(SignatureScheme.getName(scheme), scheme)),
                bounded(hello.supportedGroups(), group -> known(NamedGroup.getName(group), group)),
                hello.maxFragmentLength(), hello.recordSizeLimit(), hello.sessionTicketOffered(), hello.messageLength(), null);
    }

    static List<String> bounded(List<String> entries) {
        return bounded(entries, Function.identity());
    }

    /** As {@link #bounded(List)}, naming only the entries kept: a 16 KB hello lists 8,000 suites, of which 64 are. */
    static <T> List<String> bounded(List<T> entries, Function<T, String> name) {
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < entries.size() && i < MAX_LISTED; i++) {
            kept.add(bounded(name.apply(entries.get(i))));
        }
        if (entries.size() > MAX_LISTED) {
            kept.add("... " + (entries.size() - MAX_LISTED) + " more, cut (a record keeps " + MAX_LISTED + ")");
        }
        return List.copyOf(kept);
    }

    static String bounded(String text) {
        return text == null || text.length() <= MAX_TEXT ? text
                : text.substring(0, MAX_TEXT) + "... (" + (text.length() - MAX_TEXT) + " characters cut)";
    }

    private static Check bounded(Check check) {
        return check.detail().length() <= MAX_TEXT * 2 ? check
                : new Check(check.rule(), check.outcome(), check.detail().substring(0, MAX_TEXT * 2) + "... ("
                        + (check.detail().length() - MAX_TEXT * 2) + " characters cut)");
    }

    public void clientHelloError(String error, int length) {
        clientHello = new ConnectionRecord.ClientHelloView(null, List.of(), List.of(), List.of(), null, null, List.of(),
                List.of(), null, null, false, length, error);
    }

    private static String extensionName(int type) {
        return known(ExtensionType.getName(type), type);
    }

    /** BC's name, or the hex code point where BC does not know the value (GREASE, new code points). */
    private static String known(String name, int value) {
        return name == null || name.startsWith("UNKNOWN") ? String.format("0x%04x", value) : name;
    }

    public void plan(String applicationName, String alpn, List<String> misbehaviourNames) {
        this.application = applicationName;
        this.alpnSelected = alpn;
        this.misbehaviours = List.copyOf(misbehaviourNames);
    }

    public void certificateRequestSent() {
        certificateRequestSent = true;
    }

    public boolean wasCertificateRequestSent() {
        return certificateRequestSent;
    }

    public void chainServed(String role) {
        chainServed = role;
    }

    public void handshakeMessageReceived(short type) {
        handshakeMessagesReceived.add(HandshakeType.getName(type));
    }

    /** An alert raised by the broker (sent, or raised but never written) or received from the client. */
    public void alert(boolean written, short level, short description) {
        alerts.add(new ConnectionRecord.AlertView(written ? "sent" : "raised-not-sent", AlertLevel.getName(level),
                AlertDescription.getName(description), clock.instant()));
    }

    public void alertReceived(short level, short description) {
        alerts.add(new ConnectionRecord.AlertView("received", AlertLevel.getName(level),
                AlertDescription.getName(description), clock.instant()));
    }

    public void clientCertificate(ConnectionRecord.ClientCertificateView view) {
        clientCertificate = view;
    }

    public void addChecks(List<Check> more) {
        more.forEach(this::addCheck);
    }

    public void addCheck(Check check) {
        checks.add(bounded(check));
    }

    public List<Check> checks() {
        return List.copyOf(checks);
    }

    public void inbound(long bytes, long records) {
        bytesIn += bytes;
        recordsIn += records;
    }

    /** Bytes received so far, whole records or not. */
    public long inboundBytes() {
        return bytesIn;
    }

    public void outbound(long bytes, long records, long largestRecord) {
        bytesOut += bytes;
        recordsOut += records;
        largestRecordOut = Math.max(largestRecordOut, largestRecord);
    }

    public void handshakeCompleted(String version, int suite, String alpn, Rule acceptingRule) {
        handshakeCompletedAt = clock.instant();
        negotiatedVersion = version;
        cipherSuite = CipherSuites.name(suite);
        alpnSelected = alpn;
        acceptedBy = acceptingRule;
    }

    public boolean handshakeCompleted() {
        return handshakeCompletedAt != null;
    }

    /** The broker refuses under a rule; only the first refusal of a connection counts. Returns whether this one did. */
    public boolean refuse(Refusal refusal) {
        if (verdict != null) {
            return false;
        }
        verdict = Verdict.of(Verdict.Kind.REFUSED, refusal.rule(), refusal.alert() == Refusal.NO_ALERT ? null : refusal.alertName(),
                refusal.detail());
        if (checks.stream().noneMatch(check -> check.rule() == refusal.rule() && check.outcome() == Outcome.FAIL)) {
            addCheck(Check.fail(refusal.rule(), refusal.detail()));
        }
        return true;
    }

    /** The client aborted the handshake; the policy named the rule the abort relates to. */
    public boolean clientAborted(Refusal explanation, Check check) {
        if (verdict != null) {
            return false;
        }
        verdict = Verdict.of(Verdict.Kind.ABORTED_BY_CLIENT, explanation.rule(), explanation.alertName(), explanation.detail());
        checks.add(check);
        return true;
    }

    /** The client closed the TCP connection during the handshake without an alert. */
    public boolean clientClosed(Refusal explanation, Check check) {
        if (verdict != null) {
            return false;
        }
        verdict = Verdict.of(Verdict.Kind.CLOSED_BY_CLIENT, explanation.rule(), null, explanation.detail());
        checks.add(check);
        return true;
    }

    public boolean hasVerdict() {
        return verdict != null;
    }

    /** The MQTT part if MQTT ran; unlike {@link #mqtt()} it creates nothing. Safe from any thread. */
    public MqttObservation mqttIfStarted() {
        return mqtt;
    }

    public MqttObservation mqtt() {
        if (mqtt == null) {
            mqtt = new MqttObservation(clock);
        }
        return mqtt;
    }

    /** The finished record; the first call fixes the verdict, later calls return the same record. */
    public ConnectionRecord finish() {
        if (finished == null) {
            finished = snapshot(true);
        }
        return finished;
    }

    /** The record as it stands, for live views; does not fix the verdict. */
    public ConnectionRecord snapshot(boolean closed) {
        Verdict current = verdict;
        if (current == null) {
            if (handshakeCompletedAt != null) {
                current = Verdict.of(Verdict.Kind.ACCEPTED, acceptedBy, null, closed ? "connection completed" : "open");
            } else if (closed) {
                current = Verdict.of(Verdict.Kind.CLOSED_BY_CLIENT, Rule.TLS_HS_03, null,
                        "the client closed the connection before the handshake completed, without an alert"
                                + (clientHello == null ? " (no ClientHello received)" : ""));
            }
        }
        Long handshakeMillis = handshakeCompletedAt == null ? null : Duration.between(openedAt, handshakeCompletedAt).toMillis();
        return new ConnectionRecord(id, listener.roleName(), remoteAddress, localPort, openedAt, closed ? clock.instant() : null,
                handshakeMillis, clientHello,
                new ConnectionRecord.ServerSide(application, certificateRequestSent, alpnSelected, negotiatedVersion,
                        cipherSuite, chainServed, misbehaviours),
                clientCertificate == null ? new ConnectionRecord.ClientCertificateView(false, null, null, null, null, 0, null)
                        : clientCertificate,
                List.copyOf(handshakeMessagesReceived), List.copyOf(alerts),
                new ConnectionRecord.Traffic(bytesIn, bytesOut, recordsIn, recordsOut, largestRecordOut),
                mqtt == null ? null : mqtt.view(), List.copyOf(checks), current);
    }
}
