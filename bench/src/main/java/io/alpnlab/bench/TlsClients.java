package io.alpnlab.bench;

import io.alpnlab.certs.PemTls;
import io.alpnlab.certs.PkiDirectory;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * The loaders' TLS: the JDK's client with the device certificate, the test PKI's roots, and SNI with
 * the endpoint name (AWS, and the mock, want it; OpenSSL's s_time cannot send it). Every engine comes
 * from a fresh SSLContext, so no session is resumed: each handshake is a full one on either broker.
 */
final class TlsClients {

    /** TLS 1.3 with one suite, or TLS 1.2 with ECDHE-RSA-AES128-GCM: the two handshakes the table compares. */
    enum Version {
        TLS13("TLSv1.3", "TLS_AES_128_GCM_SHA256"),
        TLS12("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");

        final String protocol;
        final String suite;

        Version(String protocol, String suite) {
            this.protocol = protocol;
            this.suite = suite;
        }
    }

    private final KeyManager[] keys;
    private final TrustManager[] trust;
    private final String endpoint;

    TlsClients(Path pki, String endpoint) {
        this.endpoint = endpoint;
        try {
            keys = PemTls.keyManagers(pki.resolve("device.key.pem"), pki.resolve("device.cert.pem"));
            trust = PemTls.trustManagers(pki.resolve(PkiDirectory.TRUST_BUNDLE));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot load the device credential from " + pki + ": " + e, e);
        }
    }

    SSLEngine engine(Version version, int port) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            SSLEngine engine = context.createSSLEngine(endpoint, port);
            engine.setUseClientMode(true);
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(endpoint)));
            parameters.setProtocols(new String[] {version.protocol});
            parameters.setCipherSuites(new String[] {version.suite});
            engine.setSSLParameters(parameters);
            return engine;
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a TLS client: " + e, e);
        }
    }
}
