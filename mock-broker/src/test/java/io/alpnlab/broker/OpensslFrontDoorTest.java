package io.alpnlab.broker;

import static io.alpnlab.broker.testing.Openssl.concat;
import static io.alpnlab.broker.testing.Openssl.device;
import static io.alpnlab.broker.testing.Openssl.sClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.testing.SharedBrokerTest;
import io.alpnlab.certs.DeviceCertificateVariant;
import io.alpnlab.certs.KeyType;
import io.alpnlab.testing.RealPeer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The front door's TLS rules proven with a client nobody here wrote: {@code openssl s_client}.
 * Each case checks both sides: what openssl printed (-msg shows every handshake message, so the
 * CertificateRequest's presence is seen from the client) and the broker's record.
 */
class OpensslFrontDoorTest extends SharedBrokerTest {

    private int port(ListenerRole role) {
        return fixture.port(role);
    }

    @Test
    void alpn_x_amzn_mqtt_ca_on_443_gets_a_certificate_request_and_is_selected() {
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443),
                concat(new String[] {"-servername", E, "-alpn", "x-amzn-mqtt-ca", "-verify_return_error"}, device("device")));
        assertTrue(client.stdout().contains("CertificateRequest"), client.toString());
        assertTrue(client.stdout().contains("ALPN protocol: x-amzn-mqtt-ca"), client.toString());

        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        assertEquals("TLS-ALPN-01", record.verdict().rule());
        assertTrue(record.server().certificateRequestSent());
        assertEquals("x-amzn-mqtt-ca", record.server().alpnSelected());
        assertEquals(List.of("x-amzn-mqtt-ca"), record.clientHello().alpn());
        assertEquals(E, record.clientHello().serverName());
        assertTrue(record.clientCertificate().presented());
        assertEquals("ACTIVE", record.clientCertificate().registryStatus());
        assertEquals("MQTT_X509", record.server().application());
    }

    /**
     * Each key-exchange group the broker computes with Bouncy Castle's lightweight arithmetic, in both
     * TLS versions, against OpenSSL's implementation of the same group: a wrong shared secret would fail
     * the Finished check, so a completed mutual-TLS handshake proves the agreement.
     */
    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"X25519,-tls1_3,X25519", "X448,-tls1_3,X448", "P-256,-tls1_3,prime256v1", "P-384,-tls1_3,secp384r1",
            "X25519,-tls1_2,X25519", "P-256,-tls1_2,prime256v1", "P-384,-tls1_2,secp384r1"})
    void every_key_exchange_group_completes_a_mutual_tls_handshake(String group, String version, String opensslName) {
        // TLS 1.2 on an RSA suite: with ECDSA, OpenSSL also wants the server certificate's curve among the groups it offered.
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), concat(new String[] {"-servername", E, "-groups", group,
                version, "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-verify_return_error"}, device("device")));
        assertTrue(client.stdout().contains("Server Temp Key: " + (opensslName.startsWith("X") ? opensslName : "ECDH, " + opensslName)),
                client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict() + "\n" + client);
        assertTrue(record.clientCertificate().presented());
    }

    /** Content type and length of each record openssl received, from its -trace output, in order. */
    private static List<int[]> receivedRecords(String trace) {
        List<int[]> records = new java.util.ArrayList<>();
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile(
                "Received Record\\s+Header:\\s+Version = [^\\n]+\\s+Content Type = \\w+ \\((\\d+)\\)\\s+Length = (\\d+)")
                .matcher(trace);
        while (matcher.find()) {
            records.add(new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2))});
        }
        return records;
    }

    private RealPeer.Result clientOfferingMaxFragmentLength512() {
        return sClient(port(ListenerRole.MULTIPLEX_443), concat(new String[] {"-servername", E, "-alpn", "x-amzn-mqtt-ca",
                "-maxfraglen", "512", "-tlsextdebug", "-trace", "-tls1_2"}, device("device")));
    }

    @Test
    void max_fragment_length_is_neither_echoed_nor_applied_as_at_aws() {
        RealPeer.Result client = clientOfferingMaxFragmentLength512();
        assertFalse(client.stdout().contains("TLS server extension \"max fragment length\""), client.toString());
        List<int[]> records = receivedRecords(client.stdout());
        assertFalse(records.isEmpty(), client.toString());
        // The Certificate record alone is over 1 KB: it arrives whole, as AWS's 4,991-byte one does.
        assertTrue(records.stream().anyMatch(record -> record[0] == 22 && record[1] > 512), client.toString());

        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        assertEquals(Outcome.APPLIED, record.check("TLS-MFL-01").orElseThrow().outcome());
        assertTrue(record.check("TLS-MFL-01").orElseThrow().detail().contains("512 offered: ignored"));
    }

    @Test
    void max_fragment_length_is_honoured_only_when_switched_for_other_brokers() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.MflMode.HONOUR));
        RealPeer.Result client = clientOfferingMaxFragmentLength512();
        assertTrue(client.stdout().contains("TLS server extension \"max fragment length\""), client.toString());
        List<int[]> plaintextHandshake = receivedRecords(client.stdout()).stream().takeWhile(record -> record[0] != 20)
                .toList();
        assertTrue(plaintextHandshake.size() > 2, client.toString());
        assertTrue(plaintextHandshake.stream().allMatch(record -> record[1] <= 512), client.toString());
        assertEquals(Outcome.WARN, fixture.awaitRecord(ListenerRole.MULTIPLEX_443).check("TLS-MFL-01").orElseThrow().outcome());
    }

    @Test
    void tls12_server_hello_carries_a_32_byte_session_id_as_aws_does() {
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), concat(new String[] {"-servername", E, "-alpn",
                "x-amzn-mqtt-ca", "-tls1_2"}, device("device")));
        assertTrue(java.util.regex.Pattern.compile("Session-ID: [0-9A-F]{64}\\s").matcher(client.stdout()).find(),
                client.toString());
        assertEquals(Verdict.Kind.ACCEPTED, fixture.awaitRecord(ListenerRole.MULTIPLEX_443).verdict().outcome());
    }

    @Test
    void no_alpn_on_443_gets_no_certificate_request_and_no_alpn() {
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), "-servername", E);
        assertFalse(client.stdout().contains("CertificateRequest"), client.toString());
        assertTrue(client.stdout().contains("No ALPN negotiated"), client.toString());

        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertFalse(record.server().certificateRequestSent());
        assertNull(record.server().alpnSelected());
        assertEquals("UNAUTHENTICATED_443", record.server().application());
        assertEquals("TLS-ALPN-03", record.verdict().rule());
        assertEquals(Outcome.WARN, record.check("TLS-ALPN-03").orElseThrow().outcome());
    }

    @Test
    void a_client_certificate_offered_without_alpn_on_443_is_never_sent_because_it_was_never_requested() {
        // openssl only sends -cert when asked: the broker must not ask without x-amzn-mqtt-ca.
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), concat(new String[] {"-servername", E}, device("device")));
        assertFalse(client.stdout().contains("CertificateRequest"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertFalse(record.clientCertificate().presented());
    }

    @Test
    void missing_sni_is_refused_with_unrecognized_name() {
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443),
                concat(new String[] {"-noservername", "-alpn", "x-amzn-mqtt-ca"}, device("device")));
        assertTrue(client.output().contains("unrecognized name") || client.output().contains("alert number 112"),
                client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals(Verdict.Kind.REFUSED, record.verdict().outcome());
        assertEquals("TLS-SNI-01", record.verdict().rule());
        assertEquals("unrecognized_name", record.verdict().alert());
        assertNull(record.clientHello().serverName());
        assertEquals("sent", record.alerts().get(0).direction());
    }

    @Test
    void wrong_sni_is_refused_with_unrecognized_name() {
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", "other-ats.iot.eu-west-1.alpnlab.test"}, device("device")));
        assertTrue(client.output().contains("alert number 112"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-SNI-02", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("other-ats.iot.eu-west-1.alpnlab.test"), record.verdict().detail());
    }

    @Test
    void lenient_sni_profile_accepts_a_missing_sni_with_a_warning() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.SniMode.LENIENT));
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), concat(new String[] {"-noservername"}, device("device")));
        assertTrue(client.stdout().contains("CertificateRequest"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        assertEquals(Outcome.WARN, record.check("TLS-SNI-01").orElseThrow().outcome());
    }

    /**
     * TLS_CHACHA20_POLY1305_SHA256 is in the default security policy's list, so a client that offers only
     * it (a device without AES hardware, say) is served, and so is the TLS 1.2 ECDHE-RSA AES suite list's
     * first; openssl is the independent stack that says which suite was agreed.
     */
    @Test
    void a_client_offering_only_chacha20_poly1305_is_served_as_the_policy_lists_it() {
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), concat(new String[] {"-servername", E, "-tls1_3",
            "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "-verify_return_error"}, device("device")));
        assertTrue(client.stdout().contains("Cipher is TLS_CHACHA20_POLY1305_SHA256"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
    }

    /**
     * A TLS 1.2 CertificateRequest lists only schemes TLS 1.2 has (PKCS#1, ECDSA, RSA-PSS, EdDSA): openssl's
     * trace of the message shows every code, and none of Bouncy Castle's TLS 1.3-only defaults (ML-DSA
     * 0x0904-0x0906, brainpool 0x081a-0x081c) may be among them.
     */
    @Test
    void the_tls12_certificate_request_lists_no_tls13_only_signature_scheme() {
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), concat(new String[] {"-servername", E, "-tls1_2",
            "-trace"}, device("device")));
        String trace = client.stdout();
        int start = trace.indexOf("CertificateRequest");
        assertTrue(start >= 0, client.toString());
        String request = trace.substring(start, trace.indexOf("ServerHelloDone", start));
        java.util.List<String> codes = java.util.regex.Pattern.compile("\\(0x([0-9a-f]{4})\\)").matcher(request).results()
                .map(match -> match.group(1)).toList();
        assertTrue(codes.contains("0401") && codes.contains("0804"), "PKCS#1 and PSS are listed: " + codes + "\n" + request);
        assertTrue(codes.stream().noneMatch(code -> code.startsWith("09") || code.startsWith("081")), codes + "\n" + request);
    }

    @Test
    void lenient_sni_profile_still_refuses_custom_authentication_without_sni() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.SniMode.LENIENT));
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), "-noservername", "-alpn", "mqtt");
        assertTrue(client.output().contains("alert number 112"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals("TLS-SNI-01", record.verdict().rule());
        assertTrue(record.verdict().detail().contains("custom authentication"), record.verdict().detail());
    }

    @Test
    void port_8883_always_requests_the_certificate_and_accepts_the_registered_device() {
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error"}, device("device-ecc")));
        assertTrue(client.stdout().contains("CertificateRequest"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        assertEquals("EC", record.clientCertificate().keyAlgorithm());
        assertEquals(List.of("client_hello", "certificate", "certificate_verify", "finished"), record.handshakeMessagesReceived());
    }

    @Test
    void alpn_offered_on_8883_is_accepted_and_changes_nothing() {
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-alpn", "x-amzn-mqtt-ca"}, device("device")));
        assertTrue(client.stdout().contains("CertificateRequest"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome());
        assertEquals(Outcome.APPLIED, record.check("TLS-ALPN-02").orElseThrow().outcome());
    }

    @Test
    void no_client_certificate_on_8883_is_refused_tls13_with_certificate_required() {
        sClient(port(ListenerRole.MQTT_8883), "-servername", E);
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-CERT-02", record.verdict().rule());
        assertEquals("certificate_required", record.verdict().alert());
    }

    @Test
    void no_client_certificate_on_8883_is_refused_tls12_with_handshake_failure() {
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), "-servername", E, "-tls1_2");
        assertTrue(client.output().contains("alert handshake failure"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-CERT-02", record.verdict().rule());
        assertEquals("handshake_failure", record.verdict().alert());
        assertEquals("TLS 1.2", record.clientHello().legacyVersion());
    }

    @Test
    void tls_1_1_is_refused_with_protocol_version() {
        // SECLEVEL=0 lets openssl 3 offer TLS 1.1 at all; the broker must then refuse it.
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), "-servername", E, "-tls1_1",
                "-cipher", "DEFAULT@SECLEVEL=0");
        assertTrue(client.output().contains("alert protocol version"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals("TLS-VER-01", record.verdict().rule());
        assertEquals("protocol_version", record.verdict().alert());
    }

    @Test
    void unregistered_certificate_is_refused_in_the_handshake_when_the_switch_says_so() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E))
                .with(Profile.RegistryCheck.IN_HANDSHAKE));
        sClient(port(ListenerRole.MQTT_8883), concat(new String[] {"-servername", E, "-tls1_2"}, device("device-unknown-ca")));
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-CERT-03", record.verdict().rule());
        assertEquals("certificate_unknown", record.verdict().alert());
        assertEquals("UNREGISTERED", record.clientCertificate().registryStatus());
    }

    @Test
    void inactive_certificate_completes_tls_after_handshake_by_default_and_is_marked_for_refusal() {
        String fingerprint = fixture.broker().pki().device().leafFingerprint();
        fixture.broker().registry().setStatus(fingerprint, DeviceStatus.INACTIVE);
        try {
            RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), concat(new String[] {"-servername", E}, device("device")));
            assertTrue(client.stdout().contains("CertificateRequest"), client.toString());
            ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
            assertEquals("INACTIVE", record.clientCertificate().registryStatus());
            assertEquals(Outcome.FAIL, record.check("TLS-CERT-03").orElseThrow().outcome());
        } finally {
            fixture.broker().registry().setStatus(fingerprint, DeviceStatus.ACTIVE);
        }
    }

    /**
     * AWS refuses an RSA 1024 certificate at registration (TLS-CERT-04), so at connect such a device is
     * unregistered: refused where the registry check refuses, after the handshake by default, with the
     * weak key named as the cause.
     */
    @Test
    void rsa_1024_device_key_cannot_be_registered_and_is_refused_as_unregistered() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> fixture.broker().registry()
                .register(fixture.broker().pki().device(DeviceCertificateVariant.WEAK_KEY, KeyType.RSA_2048).leaf(),
                        DeviceStatus.ACTIVE));
        assertTrue(refused.getMessage().contains("TLS-CERT-04"), refused.getMessage());
        String[] weak = concat(new String[] {"-servername", E, "-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0"}, device("device-weak-key"));
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883), weak);
        assertTrue(client.stdout().contains("CertificateRequest"), "the handshake completes: " + client);
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Outcome.FAIL, record.check("TLS-CERT-04").orElseThrow().outcome());
        assertEquals("UNREGISTERED", record.clientCertificate().registryStatus());

        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.RegistryCheck.IN_HANDSHAKE));
        sClient(port(ListenerRole.MQTT_8883), weak);
        ConnectionRecord inHandshake = fixture.awaitRecord(later -> later.id() > record.id()
                && later.listener().equals(ListenerRole.MQTT_8883.roleName()));
        assertEquals("TLS-CERT-04", inHandshake.verdict().rule(), inHandshake.verdict().toString());
        assertEquals("certificate_unknown", inHandshake.verdict().alert());
    }

    @Test
    void strict_alpn_switch_answers_an_unknown_name_with_no_application_protocol() {
        fixture.broker().context().setProfile(Profile.awsDefault(List.of(E)).with(Profile.AlpnMode.STRICT));
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), "-servername", E, "-alpn", "h2");
        assertTrue(client.output().contains("no application protocol") || client.output().contains("alert number 120"),
                client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals("TLS-ALPN-03", record.verdict().rule());
        assertEquals("no_application_protocol", record.verdict().alert());
    }

    @Test
    void alpn_x_amzn_http_ca_on_443_selects_https_with_a_certificate_request() {
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443),
                concat(new String[] {"-servername", E, "-alpn", "x-amzn-http-ca"}, device("device")));
        assertTrue(client.stdout().contains("CertificateRequest"), client.toString());
        assertTrue(client.stdout().contains("ALPN protocol: x-amzn-http-ca"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals("HTTPS_X509", record.server().application());
        assertEquals("TLS-ALPN-04", record.verdict().rule());
    }

    @Test
    void alpn_mqtt_on_443_selects_custom_authentication_without_a_certificate_request() {
        RealPeer.Result client = sClient(port(ListenerRole.MULTIPLEX_443), "-servername", E, "-alpn", "mqtt");
        assertFalse(client.stdout().contains("CertificateRequest"), client.toString());
        assertTrue(client.stdout().contains("ALPN protocol: mqtt"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals("MQTT_CUSTOM_AUTH", record.server().application());
        assertEquals("TLS-ALPN-05", record.verdict().rule());
    }

    @Test
    void sni_is_acknowledged_with_an_empty_server_name_extension_in_the_server_hello() {
        // -tlsextdebug prints every extension openssl receives; TLS 1.2 puts server_name in the ServerHello itself.
        RealPeer.Result client = sClient(port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-tls1_2", "-tlsextdebug"}, device("device")));
        assertTrue(client.stdout().contains("TLS server extension \"server name\" (id=0), len=0"), client.toString());
    }
}
