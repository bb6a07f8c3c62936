package io.alpnlab.broker.tls;

import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.registry.RegisteredDevice;
import java.security.cert.X509Certificate;

/**
 * Pipeline event fired when the TLS handshake completes: what the connection carries from now on
 * and the identity it proved, for the application handlers to install themselves.
 *
 * @param application MQTT or HTTPS, certificate- or custom-authenticated, or the unauthenticated 443 case
 * @param alpn the ALPN name selected, or null
 * @param clientCertificate the device certificate presented, or null
 * @param device the registry entry of that certificate, or null when unregistered or absent
 * @param deferredRefusal non-null when the first MQTT CONNECT or HTTP request must be refused (after-handshake registry check)
 * @param misbehaviours what the server does on purpose on this connection
 * @param observation the connection's record, for the application layer to add to
 * @param protocolVersion the negotiated version as on the wire (0x0303 for TLS 1.2)
 * @param cipherSuite the negotiated cipher suite
 */
public record TlsEstablished(Application application, String alpn, X509Certificate clientCertificate,
        RegisteredDevice device, Refusal deferredRefusal, Misbehaviours misbehaviours, ConnectionObservation observation,
        int protocolVersion, int cipherSuite) {
}
