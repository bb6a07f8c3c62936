package io.alpnlab.broker.tls;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.policy.CertificateDecision;
import io.alpnlab.broker.policy.CertificateFacts;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.broker.policy.HelloDecision;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.policy.Misbehaviour;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.certs.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Hashtable;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.KeyExchangeAlgorithm;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsExtensionsUtils;
import org.bouncycastle.tls.SignatureScheme;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JceDefaultTlsCredentialedDecryptor;

/**
 * Bouncy Castle's server callbacks for one connection. They gather facts for the policy and carry
 * out its decisions (taken before BC saw the ClientHello, see {@link ClientHelloGate}); they
 * decide nothing themselves.
 */
final class BcTlsServer extends DefaultTlsServer {

    private final TlsConnection connection;

    BcTlsServer(TlsConnection connection) {
        super(connection.credentials.crypto());
        this.connection = connection;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ConnectionPolicy.serverVersions(connection.profile, connection.misbehaviours).stream()
                .map(version -> ProtocolVersion.get(version >> 8, version & 0xFF)).toArray(ProtocolVersion[]::new);
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return TlsUtils.getSupportedCipherSuites(getCrypto(), connection.profile.securityPolicy().cipherSuites());
    }

    @Override
    public int getMaxHandshakeMessageSize() {
        return connection.profile.maxClientHelloBytes();
    }

    /** The first callback BC makes for every ClientHello, TLS 1.2 or 1.3: where a refusal is carried out. */
    @Override
    public void notifyClientVersion(ProtocolVersion clientVersion) throws IOException {
        super.notifyClientVersion(clientVersion);
        // BC calls this once the ClientHello parsed; from now on it can write records, alerts included.
        connection.clientHelloAccepted = true;
        HelloDecision decision = connection.decision;
        if (decision == null) {
            // Our decoder could not see a ClientHello that BC could parse; refuse rather than guess.
            throw new TlsFatalAlert(AlertDescription.internal_error, "ClientHello not observed");
        }
        if (decision.refused()) {
            throw new TlsFatalAlert(decision.refusal().alertOnTheWire(), decision.refusal().detail());
        }
    }

    /**
     * BC refuses clients without RFC 5746 secure-renegotiation signalling. AWS documents no such rule,
     * and the broker never renegotiates, so the old-client case is accepted rather than invented.
     */
    @Override
    public void notifySecureRenegotiation(boolean secureRenegotiation) {
        // accepted either way
    }

    /**
     * AWS's TLS 1.2 ServerHello carries a 32-byte session_id (seed 003, the Pico W notes' hex dump);
     * hand-built clients parse it, so ours has one too. Nothing is resumed: no session is kept.
     */
    @Override
    public byte[] getNewSessionID() {
        return context.getNonceGenerator().generateNonce(32);
    }

    @Override
    protected ProtocolName selectProtocolName() throws IOException {
        String selected = connection.decision.selectedAlpn();
        return selected == null ? null : ProtocolName.asUtf8Encoding(selected);
    }

    @Override
    public Hashtable getServerExtensions() throws IOException {
        Hashtable extensions = super.getServerExtensions();
        if (connection.profile.mfl() == Profile.MflMode.IGNORE) {
            // AWS neither echoes nor applies max_fragment_length; without the echo Bouncy Castle cuts no record.
            extensions.remove(TlsExtensionsUtils.EXT_max_fragment_length);
        }
        if (connection.hello.serverName() != null) {
            // RFC 6066 3: acknowledge an accepted server_name with an empty extension, as AWS does.
            TlsExtensionsUtils.addServerNameExtensionServer(extensions);
        }
        return extensions;
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        boolean tls13 = TlsUtils.isTLSv13(context);
        boolean ecc;
        if (tls13) {
            // TLS 1.3 suites do not name the key type: serve RSA to clients that accept RSA-PSS, as most do.
            ecc = !offersSignature(SignatureAlgorithm.rsa_pss_rsae_sha256) && offersSignature(SignatureAlgorithm.ecdsa);
        } else {
            ecc = context.getSecurityParametersHandshake().getKeyExchangeAlgorithm() == KeyExchangeAlgorithm.ECDHE_ECDSA;
        }
        ServerCredentials.Chain chain = connection.credentials.chain(connection.misbehaviours.serveChain(), ecc);
        connection.observation.chainServed(chain.role());
        if (connection.misbehaviours.on(Misbehaviour.ALERT_MID_HANDSHAKE)) {
            // After the ServerHello, before the server's Certificate: the middle of the handshake.
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "misbehaviour alert-mid-handshake");
        }
        int keyExchange = context.getSecurityParametersHandshake().getKeyExchangeAlgorithm();
        if (!tls13 && keyExchange == KeyExchangeAlgorithm.RSA) {
            return new JceDefaultTlsCredentialedDecryptor(connection.credentials.crypto(), chain.tls12(), chain.privateKey());
        }
        return signer(chain, tls13, ecc);
    }

    private TlsCredentialedSigner signer(ServerCredentials.Chain chain, boolean tls13, boolean ecc) throws IOException {
        SignatureAndHashAlgorithm algorithm;
        if (tls13) {
            algorithm = ecc ? SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa)
                    : SignatureAndHashAlgorithm.rsa_pss_rsae_sha256;
        } else {
            Vector clientSigAlgs = context.getSecurityParametersHandshake().getClientSigAlgs();
            algorithm = TlsUtils.chooseSignatureAndHashAlgorithm(context, clientSigAlgs,
                    ecc ? SignatureAlgorithm.ecdsa : SignatureAlgorithm.rsa);
        }
        return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), connection.credentials.crypto(),
                chain.privateKey(), tls13 ? chain.tls13() : chain.tls12(), algorithm);
    }

    private boolean offersSignature(short signatureAlgorithm) {
        Vector algorithms = context.getSecurityParametersHandshake().getClientSigAlgs();
        if (algorithms == null) {
            return false;
        }
        for (Object element : algorithms) {
            SignatureAndHashAlgorithm algorithm = (SignatureAndHashAlgorithm) element;
            if (algorithm.getSignature() == signatureAlgorithm) {
                return true;
            }
        }
        return false;
    }

    @Override
    public CertificateRequest getCertificateRequest() throws IOException {
        if (!connection.decision.requestClientCertificate()) {
            return null;
        }
        Vector signatureAlgorithms = TlsUtils.getDefaultSupportedSignatureAlgorithms(context);
        if (TlsUtils.isTLSv13(context)) {
            return new CertificateRequest(TlsUtils.EMPTY_BYTES, signatureAlgorithms, null, null);
        }
        // No certificate_authorities: with registration-based trust there is no CA list to announce.
        return new CertificateRequest(new short[] {ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign},
                tls12Schemes(signatureAlgorithms), null);
    }

    /**
     * The TLS 1.2 CertificateRequest lists only schemes TLS 1.2 knows: PKCS#1, ECDSA, RSA-PSS and EdDSA
     * (RFC 5246, RFC 8422, RFC 8446 section 4.2.3). Bouncy Castle's default list also has TLS 1.3-only
     * schemes (ML-DSA, the brainpool TLS 1.3 ones), which a strict TLS 1.2 client may reject.
     */
    private static Vector tls12Schemes(Vector all) {
        Vector kept = new Vector();
        for (Object entry : all) {
            int scheme = SignatureScheme.from((SignatureAndHashAlgorithm) entry);
            int hash = scheme >>> 8;
            int signature = scheme & 0xFF;
            boolean pkcs1OrEcdsa = hash >= 2 && hash <= 6 && (signature == 1 || signature == 3);
            boolean pssOrEddsa = hash == 8 && signature >= 4 && signature <= 11;
            if (pkcs1OrEcdsa || pssOrEddsa) {
                kept.add(entry);
            }
        }
        return kept;
    }

    @Override
    public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
        boolean tls13 = TlsUtils.isTLSv13(context);
        CertificateFacts facts = null;
        if (clientCertificate != null && !clientCertificate.isEmpty()) {
            X509Certificate leaf = toX509(clientCertificate);
            connection.clientCertificate = leaf;
            String fingerprint = Pem.sha256Fingerprint(leaf);
            RegisteredDevice device = connection.registry.lookup(fingerprint).orElse(null);
            connection.device = device;
            facts = new CertificateFacts(fingerprint, leaf.getSubjectX500Principal().getName(),
                    leaf.getPublicKey().getAlgorithm(), keyBits(leaf), leaf.getNotBefore().toInstant(),
                    leaf.getNotAfter().toInstant(), device == null ? null : device.status());
            connection.observation.clientCertificate(new ConnectionRecord.ClientCertificateView(true, facts.subject(),
                    leaf.getIssuerX500Principal().getName(), fingerprint, facts.keyAlgorithm(), facts.keyBits(),
                    device == null ? "UNREGISTERED" : device.status().name()));
        }
        CertificateDecision decision = ConnectionPolicy.onClientCertificate(connection.decision.application(), facts,
                connection.profile, connection.clock.instant(), tls13);
        connection.certificateDecision = decision;
        connection.observation.addChecks(decision.checks());
        if (decision.refusal() != null) {
            connection.observation.refuse(decision.refusal());
            throw new TlsFatalAlert(decision.refusal().alertOnTheWire(), decision.refusal().detail());
        }
    }

    private static X509Certificate toX509(Certificate chain) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(chain.getCertificateAt(0).getEncoded()));
        } catch (CertificateException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "client certificate not parseable", e);
        }
    }

    private static int keyBits(X509Certificate certificate) {
        if (certificate.getPublicKey() instanceof RSAPublicKey rsa) {
            return rsa.getModulus().bitLength();
        }
        if (certificate.getPublicKey() instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize();
        }
        return 0;
    }

    /** The negotiated parameters, once the handshake completed. */
    SecurityParameters connectionParameters() {
        return context.getSecurityParametersConnection();
    }

    @Override
    public void notifyAlertRaised(short alertLevel, short alertDescription, String message, Throwable cause) {
        // BC never sends anything before a ClientHello it could parse: such an alert stays unsent.
        connection.observation.alert(connection.clientHelloAccepted, alertLevel, alertDescription);
    }

    @Override
    public void notifyAlertReceived(short alertLevel, short alertDescription) {
        connection.observation.alertReceived(alertLevel, alertDescription);
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        connection.handshakeComplete = true;
    }
}
