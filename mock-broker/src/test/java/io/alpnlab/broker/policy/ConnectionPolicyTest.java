package io.alpnlab.broker.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.certs.ServerChainVariant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.HandshakeType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The TLS policy as a table: facts in, the decision and the rule that made it out. */
class ConnectionPolicyTest {

    static final String E = "a-ats.iot.eu-west-1.alpnlab.test";
    static final Profile AWS = Profile.awsDefault(List.of(E, "iot.custom.alpnlab.test"));
    static final int ECDHE_RSA_AES128_GCM = 0xc02f;
    static final int RSA_AES128_CBC_SHA = 0x002f;
    static final int DHE_RSA_AES128_GCM = 0x009e;
    static final int TLS_AES_128_GCM = 0x1301;

    /** A ClientHello builder with modern defaults: TLS 1.3 and 1.2, SNI = E, no ALPN. */
    static final class Hello {
        List<Integer> versions = List.of(0x0304, 0x0303);
        int legacy = 0x0303;
        List<Integer> suites = List.of(TLS_AES_128_GCM, ECDHE_RSA_AES128_GCM);
        String sni = E;
        List<String> alpn;

        Hello alpn(String... names) {
            alpn = List.of(names);
            return this;
        }

        Hello sni(String value) {
            sni = value;
            return this;
        }

        Hello suites(Integer... values) {
            suites = List.of(values);
            return this;
        }

        Hello versions(Integer... values) {
            versions = List.of(values);
            return this;
        }

        Hello legacyOnly(int version) {
            versions = List.of();
            legacy = version;
            return this;
        }

        ClientHelloFacts facts() {
            List<Integer> extensions = new ArrayList<>();
            if (sni != null) {
                extensions.add(0);
            }
            if (alpn != null) {
                extensions.add(16);
            }
            return new ClientHelloFacts(legacy, versions, suites, extensions, sni, alpn, List.of(0x0804), List.of(29), null,
                    null, false, 300);
        }
    }

    static Hello hello() {
        return new Hello();
    }

    /** One row: listener, ClientHello, profile, misbehaviours, and the expected decision. */
    record Row(String name, ListenerRole role, Hello hello, Profile profile, Misbehaviours misbehaviours, Rule refusedBy,
            short alert, Application application, boolean certificateRequest, String alpn) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row accept(String name, ListenerRole role, Hello hello, Application application, boolean certificateRequest,
            String alpn) {
        return new Row(name, role, hello, AWS, Misbehaviours.NONE, null, (short) -1, application, certificateRequest, alpn);
    }

    static Row refuse(String name, ListenerRole role, Hello hello, Profile profile, Rule rule, short alert) {
        return new Row(name, role, hello, profile, Misbehaviours.NONE, rule, alert, null, false, null);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                accept("8883 requests a certificate without ALPN", ListenerRole.MQTT_8883, hello(), Application.MQTT_X509, true, null),
                accept("8883 accepts x-amzn-mqtt-ca and selects none by default (alpn-8883=no-echo)", ListenerRole.MQTT_8883,
                        hello().alpn("x-amzn-mqtt-ca"), Application.MQTT_X509, true, null),
                new Row("8883 selects x-amzn-mqtt-ca with alpn-8883=echo", ListenerRole.MQTT_8883, hello().alpn("x-amzn-mqtt-ca"),
                        AWS.with(Profile.Alpn8883Mode.ECHO), Misbehaviours.NONE, null, (short) -1, Application.MQTT_X509, true,
                        "x-amzn-mqtt-ca"),
                accept("8883 ignores an unknown ALPN name", ListenerRole.MQTT_8883, hello().alpn("h2"), Application.MQTT_X509, true, null),
                accept("443 + x-amzn-mqtt-ca is MQTT with a certificate", ListenerRole.MULTIPLEX_443, hello().alpn("h2", "x-amzn-mqtt-ca"),
                        Application.MQTT_X509, true, "x-amzn-mqtt-ca"),
                accept("443 + x-amzn-http-ca is HTTPS with a certificate", ListenerRole.MULTIPLEX_443, hello().alpn("x-amzn-http-ca"),
                        Application.HTTPS_X509, true, "x-amzn-http-ca"),
                accept("443 + mqtt is custom authentication", ListenerRole.MULTIPLEX_443, hello().alpn("mqtt"),
                        Application.MQTT_CUSTOM_AUTH, false, "mqtt"),
                accept("443 without ALPN requests nothing", ListenerRole.MULTIPLEX_443, hello(), Application.UNAUTHENTICATED_443,
                        false, null),
                accept("443 with an unknown name is treated as no ALPN", ListenerRole.MULTIPLEX_443, hello().alpn("h2"),
                        Application.UNAUTHENTICATED_443, false, null),
                accept("443 with the length-prefixed name is treated as no ALPN", ListenerRole.MULTIPLEX_443,
                        hello().alpn("\\x0ex-amzn-mqtt-ca"), Application.UNAUTHENTICATED_443, false, null),
                accept("8443 is HTTPS with a certificate", ListenerRole.HTTPS_8443, hello(), Application.HTTPS_X509, true, null),
                accept("a custom domain is an endpoint name", ListenerRole.MQTT_8883, hello().sni("IOT.custom.alpnlab.test"),
                        Application.MQTT_X509, true, null),
                accept("TLS 1.2 only is fine", ListenerRole.MQTT_8883, hello().legacyOnly(0x0303).suites(ECDHE_RSA_AES128_GCM),
                        Application.MQTT_X509, true, null),
                refuse("missing SNI", ListenerRole.MULTIPLEX_443, hello().sni(null), AWS, Rule.TLS_SNI_01,
                        AlertDescription.unrecognized_name),
                refuse("wrong SNI", ListenerRole.MQTT_8883, hello().sni("evil.example"), AWS, Rule.TLS_SNI_02,
                        AlertDescription.unrecognized_name),
                refuse("wrong SNI under lenient profile", ListenerRole.MQTT_8883, hello().sni("evil.example"),
                        AWS.with(Profile.SniMode.LENIENT), Rule.TLS_SNI_02, AlertDescription.unrecognized_name),
                refuse("custom authentication without SNI, even under the lenient profile", ListenerRole.MULTIPLEX_443,
                        hello().sni(null).alpn("mqtt"), AWS.with(Profile.SniMode.LENIENT), Rule.TLS_SNI_01,
                        AlertDescription.unrecognized_name),
                refuse("IP address as SNI", ListenerRole.MQTT_8883, hello().sni("127.0.0.1"), AWS, Rule.TLS_SNI_02,
                        AlertDescription.unrecognized_name),
                refuse("TLS 1.1 and older", ListenerRole.MQTT_8883, hello().legacyOnly(0x0302), AWS, Rule.TLS_VER_01,
                        AlertDescription.protocol_version),
                refuse("TLS 1.2 under the TLS 1.3-only policy", ListenerRole.MQTT_8883, hello().legacyOnly(0x0303),
                        AWS.with(SecurityPolicy.TLS13_1_3_2022_10), Rule.TLS_VER_01, AlertDescription.protocol_version),
                refuse("no suite of the policy", ListenerRole.MQTT_8883, hello().legacyOnly(0x0303).suites(DHE_RSA_AES128_GCM), AWS,
                        Rule.TLS_SUITE_01, AlertDescription.handshake_failure),
                refuse("unknown ALPN under strict profile", ListenerRole.MULTIPLEX_443, hello().alpn("h2"),
                        AWS.with(Profile.AlpnMode.STRICT), Rule.TLS_ALPN_03, AlertDescription.no_application_protocol))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void client_hello_decisions(Row row) {
        HelloDecision decision = ConnectionPolicy.onClientHello(row.role(), row.hello().facts(), row.profile(), row.misbehaviours());
        if (row.refusedBy() != null) {
            assertTrue(decision.refused(), row + ": expected a refusal by " + row.refusedBy() + ", got " + decision);
            assertEquals(row.refusedBy(), decision.refusal().rule(), row.name());
            assertEquals(row.alert(), decision.refusal().alert(), row.name());
            assertTrue(decision.checks().contains(Check.fail(row.refusedBy(), decision.refusal().detail())), row.name());
        } else {
            assertFalse(decision.refused(), row + ": " + decision.refusal());
            assertEquals(row.application(), decision.application(), row.name());
            assertEquals(row.certificateRequest(), decision.requestClientCertificate(), row.name());
            assertEquals(row.alpn(), decision.selectedAlpn(), row.name());
        }
    }

    @Test
    void lenient_sni_accepts_a_missing_name_with_a_warning() {
        HelloDecision decision = ConnectionPolicy.onClientHello(ListenerRole.MQTT_8883, hello().sni(null).facts(),
                AWS.with(Profile.SniMode.LENIENT), Misbehaviours.NONE);
        assertFalse(decision.refused());
        assertTrue(decision.checks().stream().anyMatch(check -> check.rule() == Rule.TLS_SNI_01 && check.outcome() == Outcome.WARN));
    }

    @Test
    void legacy_only_suites_pass_with_a_warning() {
        HelloDecision decision = ConnectionPolicy.onClientHello(ListenerRole.MQTT_8883,
                hello().legacyOnly(0x0303).suites(RSA_AES128_CBC_SHA).facts(), AWS, Misbehaviours.NONE);
        assertFalse(decision.refused());
        assertTrue(decision.checks().stream().anyMatch(check -> check.rule() == Rule.TLS_SUITE_01 && check.outcome() == Outcome.WARN));
    }

    @Test
    void length_prefixed_alpn_name_is_named_as_the_mbedtls_bug() {
        HelloDecision decision = ConnectionPolicy.onClientHello(ListenerRole.MULTIPLEX_443,
                hello().alpn("\\x0ex-amzn-mqtt-ca").facts(), AWS, Misbehaviours.NONE);
        Check bug = decision.checks().stream().filter(check -> check.rule() == Rule.TLS_ALPN_06).findFirst().orElseThrow();
        assertEquals(Outcome.FAIL, bug.outcome());
        assertTrue(bug.detail().contains("length byte"), bug.detail());
    }

    @Test
    void misbehaviours_withhold_the_certificate_request_and_change_alpn() {
        Misbehaviours withhold = Misbehaviours.parse(List.of("withhold-certificate-request", "select-no-alpn"));
        HelloDecision decision = ConnectionPolicy.onClientHello(ListenerRole.MULTIPLEX_443, hello().alpn("x-amzn-mqtt-ca").facts(),
                AWS, withhold);
        assertFalse(decision.requestClientCertificate());
        assertNull(decision.selectedAlpn());
        HelloDecision unoffered = ConnectionPolicy.onClientHello(ListenerRole.MULTIPLEX_443, hello().alpn("x-amzn-mqtt-ca").facts(),
                AWS, Misbehaviours.parse(List.of("select-unoffered-alpn")));
        assertEquals(Misbehaviours.UNOFFERED_ALPN, unoffered.selectedAlpn());
    }

    @Test
    void split_records_limit_the_connection_to_tls12() {
        HelloDecision decision = ConnectionPolicy.onClientHello(ListenerRole.MQTT_8883, hello().versions(0x0304).facts(), AWS,
                Misbehaviours.parse(List.of("split-handshake-records")));
        assertEquals(Rule.TLS_VER_01, decision.refusal().rule());
        assertTrue(decision.refusal().detail().contains("split-handshake-records"));
    }

    @Test
    void oversized_client_hello_is_refused_from_its_length() {
        assertNull(ConnectionPolicy.onClientHelloLength(16384, AWS));
        assertEquals(Rule.TLS_HS_02, ConnectionPolicy.onClientHelloLength(16385, AWS).refusal().rule());
    }

    static CertificateFacts certificate(String algorithm, int bits, DeviceStatus status) {
        return new CertificateFacts("ab".repeat(32), "CN=device", algorithm, bits, Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2027-01-01T00:00:00Z"), status);
    }

    static final Instant NOW = Instant.parse("2026-11-22T00:00:00Z");

    @Test
    void client_certificate_decisions() {
        assertNull(ConnectionPolicy.onClientCertificate(Application.MQTT_X509, certificate("RSA", 2048, DeviceStatus.ACTIVE), AWS,
                NOW, true).refusal());
        CertificateDecision none13 = ConnectionPolicy.onClientCertificate(Application.MQTT_X509, null, AWS, NOW, true);
        assertEquals(Rule.TLS_CERT_02, none13.refusal().rule());
        assertEquals(AlertDescription.certificate_required, none13.refusal().alert());
        assertEquals(AlertDescription.handshake_failure,
                ConnectionPolicy.onClientCertificate(Application.MQTT_X509, null, AWS, NOW, false).refusal().alert());
        // AWS never registers an RSA 1024 certificate, so it is refused where an unregistered one is: after the handshake.
        CertificateDecision weak = ConnectionPolicy.onClientCertificate(Application.MQTT_X509, certificate("RSA", 1024, null), AWS,
                NOW, true);
        assertNull(weak.refusal());
        assertEquals(Rule.TLS_CERT_04, weak.deferredRefusal().rule());
        assertEquals(Rule.TLS_CERT_04, ConnectionPolicy.onClientCertificate(Application.MQTT_X509, certificate("RSA", 1024, null),
                AWS.with(Profile.RegistryCheck.IN_HANDSHAKE), NOW, true).refusal().rule());
        assertNull(ConnectionPolicy.onClientCertificate(Application.MQTT_X509, certificate("EC", 256, DeviceStatus.ACTIVE), AWS,
                NOW, true).refusal(), "EC P-256 is accepted");
        Instant afterExpiry = Instant.parse("2028-01-01T00:00:00Z");
        assertEquals(Rule.TLS_CERT_05, ConnectionPolicy.onClientCertificate(Application.MQTT_X509,
                certificate("RSA", 2048, DeviceStatus.ACTIVE), AWS, afterExpiry, true).refusal().rule());
        CertificateDecision expiredAccepted = ConnectionPolicy.onClientCertificate(Application.MQTT_X509,
                certificate("RSA", 2048, DeviceStatus.ACTIVE), AWS.with(Profile.ClientCertExpiry.ACCEPT), afterExpiry, true);
        assertNull(expiredAccepted.refusal(), "broker.client-cert-expiry=accept lets an expired certificate through");
        assertTrue(expiredAccepted.checks().stream().anyMatch(check -> check.rule() == Rule.TLS_CERT_05
                && check.outcome() == Outcome.WARN), expiredAccepted.checks().toString());

        CertificateDecision afterHandshake = ConnectionPolicy.onClientCertificate(Application.MQTT_X509,
                certificate("RSA", 2048, null), AWS, NOW, true);
        assertNull(afterHandshake.refusal(), "by default the refusal waits for the CONNECT");
        assertEquals(Rule.TLS_CERT_03, afterHandshake.deferredRefusal().rule());
        CertificateDecision inHandshake = ConnectionPolicy.onClientCertificate(Application.MQTT_X509,
                certificate("RSA", 2048, DeviceStatus.INACTIVE), AWS.with(Profile.RegistryCheck.IN_HANDSHAKE), NOW, true);
        assertEquals(AlertDescription.certificate_unknown, inHandshake.refusal().alert());
    }

    @Test
    void failures_are_explained_by_the_rule_behind_them() {
        Refusal unsolicited = HandshakeDiagnosis.explainFailure(new HandshakeFailure(AlertDescription.unexpected_message, false,
                HandshakeType.certificate, false, true, Misbehaviours.NONE, null, null));
        assertEquals(Rule.TLS_CERT_01, unsolicited.rule());
        Refusal expired = HandshakeDiagnosis.explainFailure(new HandshakeFailure(AlertDescription.certificate_expired, true,
                HandshakeType.client_hello, false, true, Misbehaviours.parse(List.of("serve-chain=expired")), null, null));
        assertEquals(Rule.TLS_VERIFY_01, expired.rule());
        assertEquals(Outcome.PASS, HandshakeDiagnosis.verdictOfClientAbort(expired).outcome());
        Refusal largeRefused = HandshakeDiagnosis.explainFailure(new HandshakeFailure(AlertDescription.record_overflow, true,
                HandshakeType.client_hello, false, true, Misbehaviours.parse(List.of("serve-chain=large")), null, null));
        assertEquals(Rule.TLS_SIZE_01, largeRefused.rule());
        assertEquals(Outcome.FAIL, HandshakeDiagnosis.verdictOfClientAbort(largeRefused).outcome());
    }

    @Test
    void accepting_a_defective_chain_fails_its_verification_rule() {
        for (ServerChainVariant variant : ServerChainVariant.values()) {
            Misbehaviours chain = Misbehaviours.NONE.with(Misbehaviour.SERVE_CHAIN, variant);
            List<Check> checks = HandshakeDiagnosis.onHandshakeComplete(chain, null, false);
            boolean failed = checks.stream().anyMatch(check -> check.outcome() == Outcome.FAIL);
            assertEquals(variant.defective(), failed, variant + ": " + checks);
        }
    }
}
