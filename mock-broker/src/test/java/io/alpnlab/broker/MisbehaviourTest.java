package io.alpnlab.broker;

import static io.alpnlab.broker.testing.Openssl.concat;
import static io.alpnlab.broker.testing.Openssl.device;
import static io.alpnlab.broker.testing.Openssl.sClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.testing.SharedBrokerTest;
import io.alpnlab.testing.RealPeer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each deliberate server misbehaviour, observed by openssl and judged in the broker's record. */
class MisbehaviourTest extends SharedBrokerTest {

    private void misbehave(String... names) {
        fixture.broker().plan().forNextConnections(null, 1, Misbehaviours.parse(List.of(names)));
    }

    private RealPeer.Result verifyingClient(ListenerRole role, String... extra) {
        return sClient(fixture.port(role), concat(new String[] {"-servername", E, "-verify_return_error",
                "-verify_hostname", E, "-alpn", "x-amzn-mqtt-ca"}, device("device"), extra));
    }

    @Test
    void expired_chain_is_refused_by_a_verifying_client_which_the_record_counts_as_a_pass() {
        misbehave("serve-chain=expired");
        RealPeer.Result client = verifyingClient(ListenerRole.MULTIPLEX_443);
        assertTrue(client.output().contains("certificate has expired"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals(Verdict.Kind.ABORTED_BY_CLIENT, record.verdict().outcome(), record.verdict().toString());
        assertEquals("TLS-VERIFY-01", record.verdict().rule());
        assertEquals("certificate_expired", record.verdict().alert());
        assertEquals(Outcome.PASS, record.check("TLS-VERIFY-01").orElseThrow().outcome());
        assertEquals("server-expired", record.server().chainServed());
    }

    @Test
    void a_client_that_accepts_an_expired_chain_is_failed_as_a_security_hole() {
        misbehave("serve-chain=expired");
        // Without -verify_return_error openssl reports the problem and carries on, as a careless device would.
        RealPeer.Result client = sClient(fixture.port(ListenerRole.MULTIPLEX_443),
                concat(new String[] {"-servername", E, "-alpn", "x-amzn-mqtt-ca"}, device("device")));
        assertTrue(client.stdout().contains("Verify return code: 10 (certificate has expired)"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome());
        assertEquals(Outcome.FAIL, record.check("TLS-VERIFY-01").orElseThrow().outcome());
        assertTrue(record.check("TLS-VERIFY-01").orElseThrow().detail().contains("security hole"));
    }

    @Test
    void wrong_host_chain_is_refused_by_a_client_that_checks_the_name() {
        misbehave("serve-chain=wrong-host");
        RealPeer.Result client = verifyingClient(ListenerRole.MQTT_8883);
        assertTrue(client.output().contains("hostname mismatch"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("TLS-VERIFY-02", record.verdict().rule());
        assertEquals(Outcome.PASS, record.check("TLS-VERIFY-02").orElseThrow().outcome());
    }

    @Test
    void untrusted_and_self_signed_chains_are_refused_under_the_trust_rule() {
        for (String variant : List.of("untrusted-root", "self-signed", "missing-intermediate")) {
            fixture.broker().recorder().clear();
            misbehave("serve-chain=" + variant);
            RealPeer.Result client = verifyingClient(ListenerRole.MQTT_8883);
            assertTrue(client.exitCode() != 0 || client.output().contains("alert"), variant + ":\n" + client);
            ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
            assertEquals("TLS-VERIFY-03", record.verdict().rule(), variant + ": " + record.verdict());
            assertEquals(Verdict.Kind.ABORTED_BY_CLIENT, record.verdict().outcome(), variant);
        }
    }

    @Test
    void large_chain_is_served_with_its_cross_signed_roots() {
        misbehave("serve-chain=large");
        RealPeer.Result client = sClient(fixture.port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error", "-showcerts", "-tls1_2"}, device("device")));
        assertEquals(4, client.stdout().split("-----BEGIN CERTIFICATE-----", -1).length - 1, client.toString());
        // openssl counts the 4-byte handshake header: 0x1383 = 4 + 4,991, the same bytes as the seed dump's "13 83".
        assertTrue(client.stdout().contains("Handshake [length 1383], Certificate"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome());
        // openssl prefers ECDHE-ECDSA suites, so the ECC family's large chain is served: same size, as AWS does per suite.
        assertTrue(record.server().chainServed().matches("server(-ecc)?-large"), record.server().chainServed());
        assertEquals(Outcome.PASS, record.check("TLS-SIZE-01").orElseThrow().outcome());
    }

    @Test
    void max_record_chain_makes_the_server_send_16_kb_records() {
        misbehave("serve-chain=max-record");
        RealPeer.Result client = sClient(fixture.port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error", "-tls1_2"}, device("device")));
        assertTrue(client.stdout().contains("Verify return code: 0 (ok)"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Outcome.PASS, record.check("TLS-SIZE-03").orElseThrow().outcome());
        assertTrue(record.traffic().bytesOut() > 20_000, record.traffic().toString());
    }

    @Test
    void split_handshake_records_cuts_the_flight_into_64_byte_records_over_tls12() {
        misbehave("split-handshake-records");
        RealPeer.Result client = sClient(fixture.port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error"}, device("device")));
        assertTrue(client.stdout().contains("Protocol  : TLSv1.2"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        // The ~2 KB first flight alone becomes more than 25 records of 64 bytes.
        assertTrue(record.traffic().recordsOut() > 25, record.traffic().toString());
        assertEquals("TLS 1.2", record.server().negotiatedVersion());
        assertEquals(Outcome.PASS, record.check("TLS-SIZE-02").orElseThrow().outcome());
    }

    /**
     * Only plaintext handshake records are split: the Finished after ChangeCipherSpec is encrypted, and a
     * CBC record cut in two fails its MAC ("bad record mac"), which would blame the client for the split.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"})
    void split_handshake_records_leaves_the_encrypted_finished_whole_for_cbc_and_gcm_suites(String suite) {
        misbehave("split-handshake-records");
        RealPeer.Result client = sClient(fixture.port(ListenerRole.MQTT_8883),
                concat(new String[] {"-servername", E, "-verify_return_error", "-tls1_2", "-cipher", suite}, device("device")));
        assertFalse(client.output().contains("bad record mac"), client.toString());
        assertTrue(client.stdout().contains("Cipher is " + suite), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        assertEquals(Outcome.PASS, record.check("TLS-SIZE-02").orElseThrow().outcome());
    }

    @Test
    void withheld_certificate_request_is_not_sent_on_x_amzn_mqtt_ca() {
        misbehave("withhold-certificate-request");
        RealPeer.Result client = verifyingClient(ListenerRole.MULTIPLEX_443);
        assertFalse(client.stdout().contains("CertificateRequest"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertFalse(record.server().certificateRequestSent());
        assertFalse(record.clientCertificate().presented());
    }

    @Test
    void select_no_alpn_leaves_the_client_without_a_protocol() {
        misbehave("select-no-alpn");
        RealPeer.Result client = verifyingClient(ListenerRole.MULTIPLEX_443);
        assertTrue(client.stdout().contains("No ALPN negotiated"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        assertTrue(record.has("TLS-ALPN-07", Outcome.PASS), record.checks().toString());
    }

    @Test
    void select_unoffered_alpn_is_judged_by_what_the_client_did() {
        misbehave("select-unoffered-alpn");
        RealPeer.Result client = verifyingClient(ListenerRole.MULTIPLEX_443);
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MULTIPLEX_443);
        // openssl 3 checks that the selected protocol was offered and aborts: the rule holds.
        assertEquals("TLS-ALPN-08", record.verdict().rule(), client + "\n" + record.verdict());
        assertEquals(Outcome.PASS, record.check("TLS-ALPN-08").orElseThrow().outcome());
    }

    @Test
    void delayed_server_hello_holds_the_first_flight_back() {
        misbehave("delay-server-hello=600");
        RealPeer.Result client = verifyingClient(ListenerRole.MQTT_8883);
        assertTrue(client.stdout().contains("Verify return code: 0 (ok)"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertTrue(record.handshakeMillis() >= 600, "handshake took " + record.handshakeMillis() + " ms");
        assertEquals(List.of("delay-server-hello=600ms"), record.server().misbehaviours());
    }

    @Test
    void close_after_server_hello_cuts_the_connection() {
        misbehave("close-after-server-hello");
        RealPeer.Result client = verifyingClient(ListenerRole.MQTT_8883);
        assertTrue(client.stdout().contains("ServerHello"), client.toString());
        assertFalse(client.stdout().contains("Certificate,") || client.stdout().contains("], Certificate"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals(Verdict.Kind.REFUSED, record.verdict().outcome());
        assertTrue(record.verdict().detail().contains("close-after-server-hello"), record.verdict().detail());
    }

    @Test
    void alert_mid_handshake_sends_handshake_failure_after_the_server_hello() {
        misbehave("alert-mid-handshake");
        RealPeer.Result client = verifyingClient(ListenerRole.MQTT_8883, "-tls1_2");
        assertTrue(client.stdout().contains("ServerHello"), client.toString());
        assertTrue(client.output().contains("alert handshake failure"), client.toString());
        ConnectionRecord record = fixture.awaitRecord(ListenerRole.MQTT_8883);
        assertEquals("handshake_failure", record.verdict().alert());
    }

    @Test
    void one_shot_misbehaviours_apply_to_the_next_connection_only() {
        misbehave("serve-chain=expired");
        verifyingClient(ListenerRole.MQTT_8883);
        RealPeer.Result second = verifyingClient(ListenerRole.MQTT_8883);
        assertTrue(second.stdout().contains("Verify return code: 0 (ok)"), second.toString());
        ConnectionRecord first = fixture.awaitRecord(record -> record.id() > 0 && !record.server().misbehaviours().isEmpty());
        ConnectionRecord next = fixture.awaitRecord(record -> record.id() > first.id());
        assertEquals(Verdict.Kind.ABORTED_BY_CLIENT, first.verdict().outcome());
        assertEquals(Verdict.Kind.ACCEPTED, next.verdict().outcome());
        assertTrue(next.server().misbehaviours().isEmpty());
    }
}
