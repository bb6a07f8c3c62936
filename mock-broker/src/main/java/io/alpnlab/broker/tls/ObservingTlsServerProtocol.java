package io.alpnlab.broker.tls;

import java.io.IOException;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.HandshakeMessageInput;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * Bouncy Castle's non-blocking server protocol, with two observation points BC has no callback for:
 * the type of every handshake message received (after decryption, so TLS 1.3 flights too), and
 * whether a CertificateRequest actually went out. Behaviour is BC's own; nothing is re-implemented.
 */
final class ObservingTlsServerProtocol extends TlsServerProtocol {

    private final TlsConnection connection;

    ObservingTlsServerProtocol(TlsConnection connection) {
        this.connection = connection;
    }

    @Override
    protected void handleHandshakeMessage(short type, HandshakeMessageInput buf) throws IOException {
        connection.lastHandshakeMessageReceived = type;
        connection.observation.handshakeMessageReceived(type);
        super.handleHandshakeMessage(type, buf);
    }

    @Override
    protected void sendCertificateRequestMessage(CertificateRequest certificateRequest) throws IOException {
        super.sendCertificateRequestMessage(certificateRequest);
        connection.observation.certificateRequestSent();
    }
}
