package io.alpnlab.broker.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Hashtable;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * A real TLS client for handler tests: Bouncy Castle's non-blocking client protocol, pumped by
 * hand, so that the server's handlers can be driven through an EmbeddedChannel with genuine
 * handshakes. It trusts any server chain: these tests are about the broker's pipeline, not the
 * client's verification.
 */
final class BcTestClient {

    private final TlsClientProtocol protocol = new TlsClientProtocol();
    private boolean certificateRequested;

    BcTestClient(String serverName, List<String> alpn) throws IOException {
        this(serverName, alpn, null);
    }

    /** @param versions the TLS versions offered, or null for Bouncy Castle's default (1.3 and 1.2) */
    BcTestClient(String serverName, List<String> alpn, ProtocolVersion[] versions) throws IOException {
        protocol.connect(new DefaultTlsClient(new JcaTlsCryptoProvider().setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).create(new SecureRandom())) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return versions != null ? versions : super.getSupportedVersions();
            }

            @Override
            protected Vector getSNIServerNames() {
                Vector names = new Vector();
                if (serverName != null) {
                    names.add(new ServerName(org.bouncycastle.tls.NameType.host_name,
                            serverName.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                }
                return names;
            }

            @Override
            protected Vector getProtocolNames() {
                if (alpn.isEmpty()) {
                    return null;
                }
                Vector names = new Vector();
                alpn.forEach(name -> names.add(ProtocolName.asUtf8Encoding(name)));
                return names;
            }

            @Override
            public Hashtable getClientExtensions() throws IOException {
                return super.getClientExtensions();
            }

            @Override
            public TlsAuthentication getAuthentication() {
                return new TlsAuthentication() {
                    @Override
                    public void notifyServerCertificate(TlsServerCertificate serverCertificate) {
                    }

                    @Override
                    public TlsCredentials getClientCredentials(CertificateRequest certificateRequest) {
                        certificateRequested = true;
                        return null;
                    }
                };
            }
        });
    }

    /** What the client has to send (the ClientHello first). */
    ByteBuf output() {
        int available = protocol.getAvailableOutputBytes();
        byte[] bytes = new byte[available];
        protocol.readOutput(bytes, 0, available);
        return Unpooled.wrappedBuffer(bytes);
    }

    void offer(ByteBuf fromServer) throws IOException {
        byte[] bytes = new byte[fromServer.readableBytes()];
        fromServer.readBytes(bytes);
        fromServer.release();
        protocol.offerInput(bytes);
    }

    boolean isConnected() {
        return protocol.isConnected();
    }

    boolean certificateRequested() {
        return certificateRequested;
    }

    void send(byte[] applicationData) throws IOException {
        protocol.writeApplicationData(applicationData, 0, applicationData.length);
    }

    byte[] received() {
        byte[] bytes = new byte[protocol.getAvailableInputBytes()];
        protocol.readInput(bytes, 0, bytes.length);
        return bytes;
    }
}
