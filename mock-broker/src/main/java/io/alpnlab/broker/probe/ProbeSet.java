package io.alpnlab.broker.probe;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.bouncycastle.tls.MaxFragmentLength;
import org.bouncycastle.tls.ProtocolVersion;

/**
 * The probes, fixed and versioned: a fingerprint names the version it was made with, and two fingerprints are only
 * compared probe by probe. A new probe or a changed one is a new version. Sixteen connections in all.
 */
public final class ProbeSet {

    public static final int VERSION = 1;

    private static byte[] name(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static final byte[] MQTT_CA = name("x-amzn-mqtt-ca");

    /** OpenSSL's wire format handed to a library that wants plain names: the length byte becomes part of the name. */
    private static final byte[] MQTT_CA_LENGTH_PREFIXED;

    static {
        MQTT_CA_LENGTH_PREFIXED = new byte[MQTT_CA.length + 1];
        MQTT_CA_LENGTH_PREFIXED[0] = (byte) MQTT_CA.length;
        System.arraycopy(MQTT_CA, 0, MQTT_CA_LENGTH_PREFIXED, 1, MQTT_CA.length);
    }

    public static final List<Probe> V1 = List.of(
            Probe.device("8883-device", 8883, List.of()),
            Probe.device("8883-no-sni", 8883, List.of()).withSni(Probe.Sni.NONE),
            Probe.device("8883-other-sni", 8883, List.of()).withSni(Probe.Sni.OTHER_NAME),
            Probe.device("8883-ip-address-sni", 8883, List.of()).withSni(Probe.Sni.IP_ADDRESS),
            Probe.device("8883-no-client-certificate", 8883, List.of()).withoutCertificate(),
            Probe.device("8883-max-fragment-length-512", 8883, List.of()).withMaxFragmentLength(MaxFragmentLength.pow2_9),
            Probe.device("8883-tls-1.1-only", 8883, List.of()).withVersions(ProtocolVersion.TLSv11),
            Probe.device("8883-suites-outside-the-policies", 8883, List.of()).withVersions(ProtocolVersion.TLSv12)
                    .withSuites(Probe.OUTSIDE_THE_POLICIES),
            Probe.device("8883-oversized-client-hello", 8883, List.of()).withPadding(20_000),
            Probe.device("443-alpn-x-amzn-mqtt-ca", 443, List.of(MQTT_CA)),
            Probe.device("443-alpn-x-amzn-http-ca", 443, List.of(name("x-amzn-http-ca"))),
            Probe.device("443-alpn-mqtt", 443, List.of(name("mqtt"))),
            Probe.device("443-alpn-unknown", 443, List.of(name("alpnlab-unknown"))),
            Probe.device("443-alpn-length-prefixed", 443, List.of(MQTT_CA_LENGTH_PREFIXED)),
            Probe.device("443-no-alpn", 443, List.of()),
            Probe.unsolicitedCertificate("443-unsolicited-certificate", 443));

    private ProbeSet() {
    }
}
