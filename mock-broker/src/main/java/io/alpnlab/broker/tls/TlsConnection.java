package io.alpnlab.broker.tls;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.capture.KeyLog;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.CertificateDecision;
import io.alpnlab.broker.policy.ClientHelloFacts;
import io.alpnlab.broker.policy.HelloDecision;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.registry.RegisteredDevice;
import java.security.cert.X509Certificate;
import java.time.Clock;

/**
 * What {@link BcTlsHandler} and Bouncy Castle's callbacks for the same connection share, because
 * BC's callback API gives them no other channel: the ClientHello decision the handler hands in, and
 * what the callbacks learn (the client certificate, the last handshake message, completion).
 * Confined to the connection's event loop.
 */
final class TlsConnection {

    final ListenerRole role;
    final Profile profile;
    final Misbehaviours misbehaviours;
    final ConnectionObservation observation;
    final DeviceRegistry registry;
    final ServerCredentials credentials;
    final Clock clock;

    ClientHelloFacts hello;
    HelloDecision decision;
    CertificateDecision certificateDecision;
    X509Certificate clientCertificate;
    RegisteredDevice device;
    short lastHandshakeMessageReceived = -1;
    /** True once BC parsed the ClientHello: before that it sends no record at all, not even an alert. */
    boolean clientHelloAccepted;
    boolean handshakeComplete;
    /** Where this connection's TLS secrets go when it is captured (a test session), else null. */
    KeyLog keyLog;

    TlsConnection(ListenerRole role, Profile profile, Misbehaviours misbehaviours, ConnectionObservation observation,
            DeviceRegistry registry, ServerCredentials credentials, Clock clock) {
        this.role = role;
        this.profile = profile;
        this.misbehaviours = misbehaviours;
        this.observation = observation;
        this.registry = registry;
        this.credentials = credentials;
        this.clock = clock;
    }
}
