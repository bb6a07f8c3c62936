package io.alpnlab.broker.tls;

import io.alpnlab.broker.ListenerRole;
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
 * The state one connection's TLS handler, Bouncy Castle server and protocol share: the facts
 * gathered so far and the decisions taken. Confined to the connection's event loop.
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
    boolean serverFlightSent;
    /** True once BC parsed the ClientHello: before that it sends no record at all, not even an alert. */
    boolean clientHelloAccepted;
    boolean handshakeComplete;

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
