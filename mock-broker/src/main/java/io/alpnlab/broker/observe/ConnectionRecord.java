package io.alpnlab.broker.observe;

import io.alpnlab.broker.rules.Check;
import java.time.Instant;
import java.util.List;

/**
 * Everything the broker saw and did on one connection: the test instrument's output. Exactly one
 * record per connection, published when it closes; JSON field names are a stable interface (the
 * control endpoint, the JSON-lines event log and the conformance suite read them).
 */
public record ConnectionRecord(
        long id,
        String listener,
        String remoteAddress,
        int localPort,
        Instant openedAt,
        Instant closedAt,
        Long handshakeMillis,
        ClientHelloView clientHello,
        ServerSide server,
        ClientCertificateView clientCertificate,
        List<String> handshakeMessagesReceived,
        List<AlertView> alerts,
        Traffic traffic,
        MqttView mqtt,
        List<Check> checks,
        Verdict verdict) {

    /** The ClientHello decoded, with names instead of numbers where Bouncy Castle knows them. */
    public record ClientHelloView(String legacyVersion, List<String> supportedVersions, List<String> cipherSuites,
            List<String> extensions, String serverName, List<String> alpn, List<String> signatureAlgorithms,
            List<String> supportedGroups, Integer maxFragmentLength, Integer recordSizeLimit, boolean sessionTicketOffered,
            int length, String error) {
    }

    /** What the server decided and sent. */
    public record ServerSide(String application, boolean certificateRequestSent, String alpnSelected,
            String negotiatedVersion, String cipherSuite, String chainServed, List<String> misbehaviours) {
    }

    public record ClientCertificateView(boolean presented, String subject, String issuer, String fingerprint,
            String keyAlgorithm, int keyBits, String registryStatus) {
    }

    public record AlertView(String direction, String level, String description, Instant at) {
    }

    /**
     * Bytes and TLS records each way.
     *
     * @param largestRecordOut the longest record the broker sent, in bytes after its 5-byte header
     */
    public record Traffic(long bytesIn, long bytesOut, long recordsIn, long recordsOut, long largestRecordOut) {
    }

    /**
     * The MQTT part of the connection, when MQTT ran after TLS.
     *
     * @param disconnectedAt when the disconnect reason was settled: the moment the broker decided to end the
     *     connection (or saw the client end it), before the TLS close that {@link ConnectionRecord#closedAt} marks
     */
    public record MqttView(String protocolVersion, String clientId, Integer keepAliveRequested, Integer keepAliveApplied,
            Boolean cleanSession, String username, List<PacketView> packets, String disconnectReason, Instant disconnectedAt) {
    }

    /**
     * When the connection ended as the client could first see it: the broker's decision to end it where
     * MQTT recorded one, else the close. Gaps to the client's next connection are measured from here.
     */
    public Instant endedAt() {
        if (mqtt != null && mqtt.disconnectedAt() != null && (closedAt == null || mqtt.disconnectedAt().isBefore(closedAt))) {
            return mqtt.disconnectedAt();
        }
        return closedAt;
    }

    /** One MQTT packet, in or out, with its essentials. */
    public record PacketView(String direction, String type, String detail, Instant at) {
    }

    /** Whether some check of this rule had this outcome. */
    public boolean has(String ruleId, io.alpnlab.broker.rules.Outcome outcome) {
        return checks.stream().anyMatch(check -> check.rule().id().equals(ruleId) && check.outcome() == outcome);
    }

    /** The first check with this rule ID, if any. */
    public java.util.Optional<Check> check(String ruleId) {
        return checks.stream().filter(check -> check.rule().id().equals(ruleId)).findFirst();
    }
}
