package io.alpnlab.conformance.cases;

import static io.alpnlab.conformance.cases.ConformanceCase.BrokerSetup.everyConnection;
import static io.alpnlab.conformance.cases.ConformanceCase.BrokerSetup.firstConnections;
import static io.alpnlab.conformance.cases.ConformanceCase.ClientExpectation.ANY;
import static io.alpnlab.conformance.cases.ConformanceCase.ClientExpectation.FAIL;
import static io.alpnlab.conformance.cases.ConformanceCase.Need.PASSIVE;
import static io.alpnlab.conformance.cases.ConformanceCase.named;

import io.alpnlab.conformance.cases.ConformanceCase.Cause;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.client.ClientTask;
import java.util.List;

/** The TLS cases: ports and ALPN, SNI, versions and suites, certificates, chain sizes and records, verification. */
public final class TlsCases {

    /*
     * Record bodies the chain cases need the client to hold: the Certificate message (4-byte handshake
     * header plus the body certs-gen sizes) arrives in one record, or in 16 KB records for the largest.
     */
    static final long AWS_SIZE_RECORD = 4 + 4_991;
    static final long AWS_SIZE_PLUS_20_RECORD = 4 + 5_989;
    static final long MAX_RECORD = 16_384;

    private static final Cause NO_SNI = Cause.when("sni", "0", "the client is built without SNI: it never calls"
            + " mbedtls_ssl_set_hostname, so it sends no server_name and checks no certificate name");
    private static final Cause ALPN_WIRE_FORMAT = Cause.when("alpn_format", "wire-format", "the client passes its ALPN"
            + " names in OpenSSL's length-prefixed wire format, so mbedTLS offers a name that starts with a length byte;"
            + " give mbedtls_ssl_conf_alpn_protocols plain C strings");
    private static final Cause NO_ALPN = Cause.when("alpn", "0", "the client's TLS library is built without ALPN"
            + " (MBEDTLS_SSL_ALPN), which port 443 needs");
    private static final Cause NO_HANDSHAKE_FRAGMENTS = Cause.when("handshake_fragments", "0", "the client's TLS library"
            + " cannot reassemble a handshake message split over several records (mbedTLS 2.28 cannot)");

    private static final Cause RELIES_ON_MFL = new Cause("mfl", value -> !value.equals("0"), "the client offers"
            + " max_fragment_length {value} and counts on the server cutting its records to that size; AWS ignores"
            + " max_fragment_length (TLS-MFL-01) and sends its Certificate in one record of about 5 KB: size"
            + " MBEDTLS_SSL_IN_CONTENT_LEN for it instead of relying on MFL");

    private static Cause inputBuffer(long needed) {
        return Cause.below("tls_in_record", needed, "the client's TLS input buffer is {value} bytes and this chain needs a"
                + " record of " + needed + " bytes: raise MBEDTLS_SSL_IN_CONTENT_LEN");
    }

    private TlsCases() {
    }

    public static List<ConformanceCase> all() {
        return List.of(
                named("TLS-Connect-8883", Rule.TLS_CERT_02).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.accepted().and(Judge.check("TLS-CERT-02")))
                        .hint("connect to port 8883 with the device certificate and key configured in the TLS stack").build(),
                named("TLS-443-ALPN-Offered", Rule.TLS_ALPN_01).on(ListenerRole.MULTIPLEX_443).action(ClientTask.Action.CONNECT)
                        .needs(PASSIVE).judge(Judge.check("TLS-ALPN-01").and(Judge.accepted()))
                        .hint("no CONNACK on 443 means your ClientHello offered no ALPN x-amzn-mqtt-ca: AWS then requests no"
                                + " client certificate; set it (mbedtls_ssl_conf_alpn_protocols, --tls-alpn, ALPNProtocols)")
                        .explainedBy(NO_ALPN, ALPN_WIRE_FORMAT).build(),
                named("TLS-443-ALPN-PlainName", Rule.TLS_ALPN_06).on(ListenerRole.MULTIPLEX_443).action(ClientTask.Action.CONNECT)
                        .needs(PASSIVE).judge(Judge.neverBroken("TLS-ALPN-06"))
                        .hint("pass the ALPN name as the C string \"x-amzn-mqtt-ca\"; the length byte of OpenSSL's wire format"
                                + " belongs to OpenSSL only")
                        .explainedBy(ALPN_WIRE_FORMAT).build(),
                named("TLS-443-CertificateRequest-Answered", Rule.TLS_CERT_02).on(ListenerRole.MULTIPLEX_443)
                        .action(ClientTask.Action.CONNECT).needs(PASSIVE).judge(Judge.check("TLS-CERT-02"))
                        .hint("answer the CertificateRequest with the device certificate")
                        .explainedBy(NO_ALPN, ALPN_WIRE_FORMAT).build(),
                named("TLS-SNI-Present", Rule.TLS_SNI_01).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("TLS-SNI-01"))
                        .hint("set SNI to the endpoint name (mbedtls_ssl_set_hostname); lwIP's MQTT client connects by IP and"
                                + " sends no SNI unless you set it")
                        .explainedBy(NO_SNI).build(),
                named("TLS-SNI-EndpointName", Rule.TLS_SNI_02).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("TLS-SNI-02"))
                        .hint("SNI must be the endpoint name, not the IP address you connect to")
                        .explainedBy(NO_SNI).build(),
                named("TLS-Version", Rule.TLS_VER_01).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("TLS-VER-01")).hint("offer TLS 1.2 or 1.3").build(),
                named("TLS-CipherSuites", Rule.TLS_SUITE_01).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("TLS-SUITE-01"))
                        .hint("offer at least one ECDHE suite with AES-GCM (or TLS 1.3): AWS's policy lists them").build(),
                named("TLS-443-NoUnsolicitedCertificate", Rule.TLS_CERT_01).on(ListenerRole.MULTIPLEX_443)
                        .broker(firstConnections(1, "withhold-certificate-request")).action(ClientTask.Action.CONNECT)
                        .client(ANY).judge(Judge.neverBroken("TLS-CERT-01"))
                        .hint("send the client Certificate only after a CertificateRequest; AWS aborts the handshake otherwise")
                        .build(),
                named("TLS-Chain-AwsSize", Rule.TLS_SIZE_01).broker(firstConnections(1, "serve-chain=large"))
                        .action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .hint("AWS's Certificate message is 4,991 bytes: give the TLS input buffer room for it"
                                + " (MBEDTLS_SSL_IN_CONTENT_LEN)")
                        .explainedBy(RELIES_ON_MFL, inputBuffer(AWS_SIZE_RECORD)).build(),
                named("TLS-Chain-AwsSizePlus20", Rule.TLS_SIZE_01).broker(firstConnections(1, "serve-chain=large-plus-20"))
                        .action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .hint("leave headroom above AWS's chain size: certificates change")
                        .explainedBy(RELIES_ON_MFL, inputBuffer(AWS_SIZE_PLUS_20_RECORD)).build(),
                named("TLS-Records-Split", Rule.TLS_SIZE_02).broker(firstConnections(1, "split-handshake-records"))
                        .action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(run -> run.first() != null && run.first().clientHello() != null
                                && !run.first().clientHello().supportedVersions().isEmpty()
                                && !run.first().clientHello().supportedVersions().contains("TLS 1.2")
                                && !"TLS 1.2".equals(run.first().clientHello().legacyVersion())
                                ? Observation.notApplicable("the client offers only TLS 1.3; split records are emulated over TLS 1.2")
                                : Judge.accepted().judge(run))
                        .hint("reassemble handshake messages that span several records (mbedTLS 2.28 cannot)")
                        .advisory("AWS sends its whole chain in one record (seed 003: a 4,995-byte record), so a client that"
                                + " cannot reassemble split handshake messages still connects to AWS; other servers do split")
                        .explainedBy(NO_HANDSHAKE_FRAGMENTS).build(),
                named("TLS-Records-16K", Rule.TLS_SIZE_03).action(ClientTask.Action.SUBSCRIBE)
                        .needs(ConformanceCase.Need.LARGE_DELIVERY)
                        .judge(Judge.tookMaximumSizeRecords(ConformanceCase.LARGE_DELIVERY_BYTES))
                        .hint("receive maximum-size (16 KB) TLS records: keep the TLS input buffer at 16 KB"
                                + " (MBEDTLS_SSL_IN_CONTENT_LEN) and the MQTT receive buffer above the largest message you"
                                + " subscribe to")
                        .assuming("once the client has subscribed, the suite publishes a " + ConformanceCase.LARGE_DELIVERY_BYTES
                                + "-byte QoS 1 message to its topic, as Device Advisor's 'TLS receive maximum size fragments'"
                                + " test does")
                        .explainedBy(inputBuffer(MAX_RECORD), Cause.below("mqtt_in_buffer", ConformanceCase.LARGE_DELIVERY_BYTES
                                + 256, "the client's MQTT receive buffer is {value} bytes, smaller than the suite's "
                                + ConformanceCase.LARGE_DELIVERY_BYTES + "-byte message")).build(),
                named("TLS-Verify-Expired", Rule.TLS_VERIFY_01).broker(everyConnection("serve-chain=expired"))
                        .action(ClientTask.Action.CONNECT).client(FAIL).needs(PASSIVE)
                        .judge(Judge.clientRefusedServer("TLS-VERIFY-01"))
                        .hint("verify the server certificate's validity (and set the device clock, e.g. by SNTP, first)").build(),
                named("TLS-Verify-NotYetValid", Rule.TLS_VERIFY_01).broker(everyConnection("serve-chain=not-yet-valid"))
                        .action(ClientTask.Action.CONNECT).client(FAIL).needs(PASSIVE)
                        .judge(Judge.clientRefusedServer("TLS-VERIFY-01"))
                        .hint("verify the server certificate's validity period").build(),
                named("TLS-Verify-WrongName", Rule.TLS_VERIFY_02).broker(everyConnection("serve-chain=wrong-host"))
                        .action(ClientTask.Action.CONNECT).client(FAIL).needs(PASSIVE)
                        .judge(Judge.clientRefusedServer("TLS-VERIFY-02"))
                        .hint("check the server certificate names the endpoint (mbedtls_ssl_set_hostname does both SNI and"
                                + " this check)").build(),
                named("TLS-Verify-UntrustedRoot", Rule.TLS_VERIFY_03).broker(everyConnection("serve-chain=untrusted-root"))
                        .action(ClientTask.Action.CONNECT).client(FAIL).needs(PASSIVE)
                        .judge(Judge.clientRefusedServer("TLS-VERIFY-03"))
                        .hint("trust only the AWS roots (AmazonRootCA1/3), never any certificate (MBEDTLS_SSL_VERIFY_REQUIRED)")
                        .build(),
                named("TLS-Verify-SelfSigned", Rule.TLS_VERIFY_03).broker(everyConnection("serve-chain=self-signed"))
                        .action(ClientTask.Action.CONNECT).client(FAIL).needs(PASSIVE)
                        .judge(Judge.clientRefusedServer("TLS-VERIFY-03"))
                        .hint("refuse self-signed server certificates").build(),
                named("TLS-443-ALPN-UnofferedSelected", Rule.TLS_ALPN_08).on(ListenerRole.MULTIPLEX_443)
                        .broker(everyConnection("select-unoffered-alpn")).action(ClientTask.Action.CONNECT).client(FAIL)
                        .judge(Judge.ifAlpnOffered(Judge.clientRefusedServer("TLS-ALPN-08")))
                        .hint("refuse a ServerHello that selects an ALPN name you did not offer").build(),
                named("TLS-443-ALPN-NoneSelected", Rule.TLS_ALPN_07).on(ListenerRole.MULTIPLEX_443)
                        .broker(firstConnections(1, "select-no-alpn")).action(ClientTask.Action.CONNECT)
                        .judge(Judge.ifAlpnOffered(Judge.accepted()))
                        .hint("do not require the server to select an ALPN name (RFC 7301 lets it omit the extension)").build());
    }
}
