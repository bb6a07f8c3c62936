package io.alpnlab.broker.probe;

import java.util.List;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;

/**
 * One probe: a ClientHello (and, when the handshake completes, an MQTT CONNECT) sent to one port of the endpoint,
 * varied in one thing from a well-behaved device's.
 *
 * @param id the probe's name in the fingerprint, stable across probe-set versions
 * @param port which of the endpoint's ports: 8883 or 443 (the command maps them to the real ports)
 * @param sni what the server_name carries: the endpoint name, nothing, another name, or the endpoint's IP address
 * @param alpn the ALPN names, as raw bytes (a name may carry OpenSSL's length prefix by mistake); empty for none
 * @param versions the TLS versions offered
 * @param suites the cipher suites offered, or null for the client's defaults
 * @param maxFragmentLength the max_fragment_length code offered (RFC 6066), or 0 for none
 * @param paddingBytes a padding extension of this size (an oversized ClientHello), or 0
 * @param sendsCertificate whether a CertificateRequest is answered with the device certificate
 * @param mqtt whether an MQTT CONNECT is sent once the handshake completes
 * @param unsolicitedCertificate a crafted TLS 1.2 exchange instead: after the server's first flight the client sends its
 *     Certificate though none was requested (no TLS library does that on purpose, so the bytes are written here)
 */
public record Probe(String id, int port, Sni sni, List<byte[]> alpn, ProtocolVersion[] versions, int[] suites,
        short maxFragmentLength, int paddingBytes, boolean sendsCertificate, boolean mqtt, boolean unsolicitedCertificate) {

    /** What the server_name extension carries. */
    public enum Sni { ENDPOINT, NONE, OTHER_NAME, IP_ADDRESS }

    static final ProtocolVersion[] MODERN = ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12);

    /** A well-behaved device on the port: SNI, TLS 1.2-1.3, the default suites, the certificate, MQTT. */
    static Probe device(String id, int port, List<byte[]> alpn) {
        return new Probe(id, port, Sni.ENDPOINT, alpn, MODERN, null, (short) 0, 0, true, true, false);
    }

    Probe withSni(Sni value) {
        return new Probe(id, port, value, alpn, versions, suites, maxFragmentLength, paddingBytes,
                sendsCertificate, mqtt, unsolicitedCertificate);
    }

    Probe withVersions(ProtocolVersion... value) {
        return new Probe(id, port, sni, alpn, value, suites, maxFragmentLength, paddingBytes,
                sendsCertificate, mqtt, unsolicitedCertificate);
    }

    Probe withSuites(int... value) {
        return new Probe(id, port, sni, alpn, versions, value, maxFragmentLength, paddingBytes,
                sendsCertificate, mqtt, unsolicitedCertificate);
    }

    Probe withMaxFragmentLength(short code) {
        return new Probe(id, port, sni, alpn, versions, suites, code, paddingBytes,
                sendsCertificate, mqtt, unsolicitedCertificate);
    }

    Probe withPadding(int bytes) {
        return new Probe(id, port, sni, alpn, versions, suites, maxFragmentLength, bytes,
                sendsCertificate, mqtt, unsolicitedCertificate);
    }

    Probe withoutCertificate() {
        return new Probe(id, port, sni, alpn, versions, suites, maxFragmentLength, paddingBytes,
                false, mqtt, unsolicitedCertificate);
    }

    /** The crafted exchange with a Certificate nobody asked for, on a port and ALPN where no CertificateRequest comes. */
    static Probe unsolicitedCertificate(String id, int port) {
        return new Probe(id, port, Sni.ENDPOINT, List.of(), new ProtocolVersion[] {ProtocolVersion.TLSv12}, null, (short) 0, 0,
                true, false, true);
    }

    /** Suites outside every AWS IoT security policy: finite-field Diffie-Hellman, which none of them lists. */
    static final int[] OUTSIDE_THE_POLICIES = {CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA};
}
