package io.alpnlab.broker.probe;

import io.alpnlab.broker.mqtt.BlockingMqtt;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.TreeSet;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ExtensionType;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsExtensionsUtils;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * Sends each probe of a probe set to an endpoint, one connection at a time with a pause between them, and records
 * how the endpoint answered: the alert or close, the ServerHello's version, extensions and ALPN, whether a
 * CertificateRequest came, the sizes of the chain served, and the first answer to an MQTT CONNECT. It never verifies
 * the server (it observes it) and sends nothing but ClientHellos, a device's certificate when asked for one, and one
 * CONNECT: safe to point at a real service.
 */
public final class FidelityProbe {

    /** Where to probe, as whom. */
    /**
     * Where to probe, as whom.
     *
     * @param clientId the MQTT client ID of every CONNECT, or null for one per probe ({@code alpnlab-probe-<probe>}); a
     *     real endpoint's policy may allow only the thing's name, and then the pause must exceed AWS's throttle of one
     *     CONNECT per second per client ID
     */
    public record Target(String host, String endpointName, int port8883, int port443, java.security.cert.X509Certificate[] chain,
            PrivateKey key, Duration timeout, Duration pause, String clientId) {
    }

    private final Target target;
    // Bouncy Castle's own provider: TLS 1.3 needs RSA-PSS under names the JDK's providers do not use.
    private final JcaTlsCrypto crypto = new JcaTlsCryptoProvider().setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
            .create(new SecureRandom());

    public FidelityProbe(Target target) {
        this.target = target;
    }

    /** Runs every probe, in order, pausing between connections. */
    public Fingerprint run(String targetName) throws InterruptedException {
        List<ProbeResult> results = new ArrayList<>();
        for (Probe probe : ProbeSet.V1) {
            if (!results.isEmpty()) {
                Thread.sleep(target.pause().toMillis());
            }
            results.add(run(probe));
        }
        return new Fingerprint(ProbeSet.VERSION, targetName, results);
    }

    ProbeResult run(Probe probe) {
        int port = probe.port() == 443 ? target.port443() : target.port8883();
        if (probe.unsolicitedCertificate()) {
            return runUnsolicitedCertificate(probe, port);
        }
        Observed seen = new Observed();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(target.host(), port), (int) target.timeout().toMillis());
            socket.setSoTimeout((int) target.timeout().toMillis());
            TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream());
            try {
                protocol.connect(new ProbeClient(probe, seen));
                seen.outcome = "handshake_complete";
            } catch (IOException failure) {
                seen.outcome = describe(failure);
                return seen.result(probe.id());
            }
            if (probe.mqtt()) {
                seen.mqtt = firstMqttAnswer(target.clientId() != null ? target.clientId() : "alpnlab-probe-" + probe.id(),
                        protocol.getInputStream(), protocol.getOutputStream());
            }
            protocol.close();
        } catch (IOException e) {
            seen.outcome = seen.outcome == null ? describe(e) : seen.outcome;
        }
        return seen.result(probe.id());
    }

    /**
     * The crafted probe: a TLS 1.2 ClientHello (SNI, ECDHE suites, P-256 and X25519), the server's first flight read to
     * its ServerHelloDone (or what ends it), then a Certificate message with the device certificate that nobody asked
     * for; the outcome is how the server answers that.
     */
    private ProbeResult runUnsolicitedCertificate(Probe probe, int port) {
        Observed seen = new Observed();
        if (target.chain() == null) {
            seen.outcome = "not run: needs the device certificate (--cert)";
            return seen.result(probe.id());
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(target.host(), port), (int) target.timeout().toMillis());
            socket.setSoTimeout((int) target.timeout().toMillis());
            java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(Crafted.record(22, Crafted.handshake(1, Crafted.clientHello12(target.endpointName(), new SecureRandom()))));
            out.flush();
            String first = Crafted.readFirstFlight(in, seen);
            if (first != null) {
                seen.outcome = first;
                return seen.result(probe.id());
            }
            out.write(Crafted.record(22, Crafted.handshake(11, Crafted.certificateList(target.chain()))));
            out.flush();
            seen.outcome = Crafted.readAnswer(in);
        } catch (SocketTimeoutException e) {
            seen.outcome = "timeout";
        } catch (IOException e) {
            seen.outcome = seen.outcome == null ? describe(e) : seen.outcome;
        }
        return seen.result(probe.id());
    }

    private static String describe(IOException failure) {
        if (failure instanceof TlsFatalAlertReceived received) {
            return "alert:" + AlertDescription.getName(received.getAlertDescription());
        }
        if (failure instanceof SocketTimeoutException) {
            return "timeout";
        }
        if (failure instanceof TlsFatalAlert raised) {
            // The client itself gave up: what the server sent could not be taken (e.g. an unoffered ALPN name).
            return "client_refused:" + AlertDescription.getName(raised.getAlertDescription());
        }
        if (failure instanceof java.net.ConnectException) {
            return "connection_refused";
        }
        return "closed";
    }

    /** Sends a CONNECT (MQTT 3.1.1, clean session) and reads the first packet or what ends the connection. */
    private static String firstMqttAnswer(String clientId, InputStream in, OutputStream out) {
        try {
            out.write(BlockingMqtt.connect(clientId));
            out.flush();
            MqttMessage answer = BlockingMqtt.firstPacket(in);
            if (answer == null) {
                return "closed";
            }
            if (answer.decoderResult().isFailure()) {
                return "not MQTT";
            }
            return answer instanceof MqttConnAckMessage connack
                    ? "CONNACK " + connack.variableHeader().connectReturnCode().byteValue()
                    : answer.fixedHeader().messageType().name();
        } catch (TlsFatalAlertReceived alert) {
            return "alert:" + AlertDescription.getName(alert.getAlertDescription());
        } catch (SocketTimeoutException e) {
            return "no answer";
        } catch (IOException e) {
            return "closed";
        }
    }

    /** What one connection showed. */
    static final class Observed {
        String outcome;
        String version;
        String alpn;
        boolean certificateRequest;
        List<Integer> chain = List.of();
        final TreeSet<String> serverExtensions = new TreeSet<>();
        String mqtt;

        ProbeResult result(String id) {
            return new ProbeResult(id, outcome, version, alpn, certificateRequest, chain, List.copyOf(serverExtensions), mqtt);
        }
    }

    /** Bouncy Castle's client, varied as the probe says, reporting what the server did. */
    private final class ProbeClient extends DefaultTlsClient {
        private final Probe probe;
        private final Observed seen;

        ProbeClient(Probe probe, Observed seen) {
            super(crypto);
            this.probe = probe;
            this.seen = seen;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return probe.versions();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return probe.suites() != null ? probe.suites() : super.getSupportedCipherSuites();
        }

        @Override
        protected Vector<ServerName> getSNIServerNames() {
            String name = switch (probe.sni()) {
                case ENDPOINT -> target.endpointName();
                case NONE -> null;
                case OTHER_NAME -> "not-this-endpoint.alpnlab.invalid";
                case IP_ADDRESS -> target.host();
            };
            if (name == null) {
                return null;
            }
            Vector<ServerName> names = new Vector<>();
            names.add(new ServerName(NameType.host_name, name.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            return names;
        }

        @Override
        protected Vector<ProtocolName> getProtocolNames() {
            if (probe.alpn().isEmpty()) {
                return null;
            }
            Vector<ProtocolName> names = new Vector<>();
            probe.alpn().forEach(name -> names.add(ProtocolName.asRawBytes(name)));
            return names;
        }

        @Override
        @SuppressWarnings("unchecked") // Bouncy Castle's extension tables predate generics
        public Hashtable<Integer, byte[]> getClientExtensions() throws IOException {
            Hashtable<Integer, byte[]> extensions = super.getClientExtensions();
            if (probe.maxFragmentLength() != 0) {
                TlsExtensionsUtils.addMaxFragmentLengthExtension(extensions, probe.maxFragmentLength());
            }
            if (probe.paddingBytes() > 0) {
                TlsExtensionsUtils.addPaddingExtension(extensions, probe.paddingBytes());
            }
            return extensions;
        }

        @Override
        public void notifyServerVersion(ProtocolVersion serverVersion) throws IOException {
            super.notifyServerVersion(serverVersion);
            seen.version = serverVersion.getName();
        }

        @Override
        @SuppressWarnings("rawtypes") // Bouncy Castle's signature
        public void processServerExtensions(Hashtable serverExtensions) throws IOException {
            if (serverExtensions != null) {
                for (Object type : serverExtensions.keySet()) {
                    seen.serverExtensions.add(ExtensionType.getName(((Integer) type)));
                }
            }
            super.processServerExtensions(serverExtensions);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            ProtocolName selected = context.getSecurityParametersConnection().getApplicationProtocol();
            seen.alpn = selected == null ? null : selected.getUtf8Decoding();
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    Certificate chain = serverCertificate.getCertificate();
                    List<Integer> sizes = new ArrayList<>();
                    for (int i = 0; i < chain.getLength(); i++) {
                        sizes.add(chain.getCertificateAt(i).getEncoded().length);
                    }
                    seen.chain = sizes;
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    seen.certificateRequest = true;
                    if (!probe.sendsCertificate() || target.chain() == null) {
                        return null;
                    }
                    return signer(request);
                }
            };
        }

        private TlsCredentials signer(CertificateRequest request) throws IOException {
            org.bouncycastle.tls.crypto.TlsCertificate[] certificates =
                    new org.bouncycastle.tls.crypto.TlsCertificate[target.chain().length];
            for (int i = 0; i < certificates.length; i++) {
                try {
                    certificates[i] = crypto.createCertificate(target.chain()[i].getEncoded());
                } catch (java.security.cert.CertificateEncodingException e) {
                    throw new IOException("the device certificate cannot be encoded", e);
                }
            }
            Certificate certificate = TlsUtils.isTLSv13(context)
                    ? new Certificate(request.getCertificateRequestContext(), toEntries(certificates))
                    : new Certificate(certificates);
            boolean rsa = target.key().getAlgorithm().equals("RSA");
            SignatureAndHashAlgorithm algorithm = TlsUtils.isTLSv13(context)
                    ? (rsa ? SignatureAndHashAlgorithm.rsa_pss_rsae_sha256
                            : SignatureAndHashAlgorithm.getInstance(org.bouncycastle.tls.HashAlgorithm.sha256,
                                    org.bouncycastle.tls.SignatureAlgorithm.ecdsa))
                    : SignatureAndHashAlgorithm.getInstance(org.bouncycastle.tls.HashAlgorithm.sha256,
                            rsa ? org.bouncycastle.tls.SignatureAlgorithm.rsa : org.bouncycastle.tls.SignatureAlgorithm.ecdsa);
            return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, target.key(), certificate, algorithm);
        }

        private org.bouncycastle.tls.CertificateEntry[] toEntries(org.bouncycastle.tls.crypto.TlsCertificate[] certificates) {
            org.bouncycastle.tls.CertificateEntry[] entries = new org.bouncycastle.tls.CertificateEntry[certificates.length];
            for (int i = 0; i < certificates.length; i++) {
                entries[i] = new org.bouncycastle.tls.CertificateEntry(certificates[i], null);
            }
            return entries;
        }
    }
}
