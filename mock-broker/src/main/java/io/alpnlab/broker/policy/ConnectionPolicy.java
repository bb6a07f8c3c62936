package io.alpnlab.broker.policy;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.certs.ServerChainVariant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.HandshakeType;

/**
 * Every TLS-level decision the broker makes, as pure functions: facts about a connection go in, a
 * decision naming the rule comes out. The TLS callbacks only gather facts and carry decisions out,
 * so this class is the one place to read (and unit-test as a table) how the broker treats a client.
 */
public final class ConnectionPolicy {

    public static final String ALPN_MQTT_X509 = "x-amzn-mqtt-ca";
    public static final String ALPN_HTTPS_X509 = "x-amzn-http-ca";
    public static final String ALPN_MQTT_CUSTOM_AUTH = "mqtt";
    /** The ALPN name in OpenSSL's wire format (a length byte first), as buggy mbedTLS set-ups offer it. */
    static final String ALPN_MQTT_X509_LENGTH_PREFIXED = "\\x0ex-amzn-mqtt-ca";

    private static final Pattern IP_LITERAL = Pattern.compile("^(\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9a-fA-F:]+\\]?)$");
    private static final int MINIMUM_RSA_BITS = 2048;

    private ConnectionPolicy() {
    }

    /** The decision for a ClientHello that could not be decoded. */
    public static HelloDecision onMalformedClientHello(String why) {
        // No alert: Bouncy Castle writes nothing, alerts included, before a ClientHello it could parse.
        Refusal refusal = new Refusal(Rule.TLS_HS_02, Refusal.NO_ALERT, "malformed ClientHello: " + why
                + " (connection closed without an alert)");
        return new HelloDecision(null, false, null, refusal, List.of(Check.fail(Rule.TLS_HS_02, refusal.detail())));
    }

    /** The decision for a byte stream that is not TLS at all (plain MQTT or HTTP on a TLS port). */
    public static HelloDecision onNotTls(String what) {
        Refusal refusal = new Refusal(Rule.TLS_HS_02, Refusal.NO_ALERT, what);
        return new HelloDecision(null, false, null, refusal, List.of(Check.fail(Rule.TLS_HS_02, what)));
    }

    /**
     * The decision on a ClientHello's declared length, known from its 4-byte header before the rest
     * arrives, so that an oversized one is refused without buffering it. Bouncy Castle's handshake
     * message limit (set to the same value) carries it out by closing: before a valid ClientHello BC
     * sends nothing, not even an alert.
     */
    public static HelloDecision onClientHelloLength(int declaredLength, Profile profile) {
        if (declaredLength <= profile.maxClientHelloBytes()) {
            return null;
        }
        return refuse(new ArrayList<>(), Rule.TLS_HS_02, Refusal.NO_ALERT, "ClientHello of " + declaredLength
                + " bytes exceeds the limit of " + profile.maxClientHelloBytes() + " (connection closed without an alert)");
    }

    public static HelloDecision onClientHello(ListenerRole role, ClientHelloFacts hello, Profile profile,
            Misbehaviours misbehaviours) {
        List<Check> checks = new ArrayList<>();
        checks.add(Check.pass(Rule.TLS_HS_02, "ClientHello of " + hello.messageLength() + " bytes decoded"));

        // Versions: the policy's range, and TLS 1.2 only when the split-records misbehaviour needs plaintext flights.
        SecurityPolicy policy = profile.securityPolicy();
        List<Integer> offered = hello.offeredVersions();
        boolean common = offered.stream().anyMatch(version -> policy.allowsVersion(version)
                && (!misbehaviours.splitHandshakeRecords() || version == ClientHelloFacts.TLS12));
        if (!common) {
            return refuse(checks, Rule.TLS_VER_01, AlertDescription.protocol_version, "client offers "
                    + versionNames(offered) + "; " + policy.awsName() + " accepts " + versionNames(policyVersions(policy))
                    + (misbehaviours.splitHandshakeRecords() ? " (limited to TLS 1.2 by split-handshake-records)" : ""));
        }
        checks.add(Check.pass(Rule.TLS_VER_01, "client offers " + versionNames(offered)));

        // SNI: required and equal to an endpoint name (2022 docs), or only recommended (current docs).
        String sni = hello.serverName();
        if (sni == null) {
            String detail = "ClientHello has no SNI (server_name); set the endpoint name as SNI"
                    + " (mbedtls_ssl_set_hostname, or the host name instead of an IP in your client)";
            if (profile.sni() == Profile.SniMode.REQUIRED) {
                return refuse(checks, Rule.TLS_SNI_01, AlertDescription.unrecognized_name, detail);
            }
            checks.add(Check.warn(Rule.TLS_SNI_01, detail + "; accepted because broker.sni=lenient (current AWS docs)"));
        } else if (IP_LITERAL.matcher(sni).matches()) {
            return refuse(checks, Rule.TLS_SNI_02, AlertDescription.unrecognized_name, "SNI is the IP address '" + sni
                    + "'; AWS needs the endpoint name (" + profile.endpointNames().get(0) + ") as SNI");
        } else if (!profile.isEndpoint(sni)) {
            return refuse(checks, Rule.TLS_SNI_02, AlertDescription.unrecognized_name, "SNI '" + sni
                    + "' is not an endpoint name of this broker " + profile.endpointNames());
        } else {
            checks.add(Check.pass(Rule.TLS_SNI_01, "SNI present"));
            checks.add(Check.pass(Rule.TLS_SNI_02, "SNI '" + sni + "' is an endpoint name"));
            checks.add(Check.applied(Rule.TLS_SNI_03, "ServerHello acknowledges SNI with an empty server_name extension"));
        }

        // Cipher suites, graded as AWS's Device Advisor grades them.
        SecurityPolicy.Grade grade = policy.grade(hello.cipherSuites());
        switch (grade) {
            case FAIL -> {
                return refuse(checks, Rule.TLS_SUITE_01, AlertDescription.handshake_failure, "none of the "
                        + hello.cipherSuites().size() + " offered cipher suites is in " + policy.awsName());
            }
            case PASS_WITH_WARNINGS -> checks.add(Check.warn(Rule.TLS_SUITE_01, "only legacy suites of "
                    + policy.awsName() + " offered (no forward-secret AEAD suite); AWS accepts them but they are discouraged"));
            case PASS -> checks.add(Check.pass(Rule.TLS_SUITE_01, "offers a forward-secret AEAD suite of " + policy.awsName()));
        }

        if (hello.offersAlpn(ALPN_MQTT_X509_LENGTH_PREFIXED)) {
            checks.add(Check.fail(Rule.TLS_ALPN_06, "ALPN name offered as '" + ALPN_MQTT_X509_LENGTH_PREFIXED
                    + "': the length byte of OpenSSL's wire format was passed as part of the name;"
                    + " give mbedTLS the plain string \"x-amzn-mqtt-ca\""));
        }

        // Dispatch on listener and ALPN, as AWS's port/ALPN table says.
        Application application;
        String selected;
        boolean requestCertificate;
        switch (role) {
            case MQTT_8883 -> {
                application = Application.MQTT_X509;
                requestCertificate = true;
                selected = hello.offersAlpn(ALPN_MQTT_X509) ? ALPN_MQTT_X509 : null;
                if (hello.alpnNames() != null) {
                    checks.add(Check.applied(Rule.TLS_ALPN_02, "ALPN " + hello.alpnNames()
                            + " offered on 8883: accepted, no effect"));
                }
            }
            case HTTPS_8443 -> {
                application = Application.HTTPS_X509;
                requestCertificate = true;
                selected = null;
            }
            case MULTIPLEX_443 -> {
                if (hello.offersAlpn(ALPN_MQTT_X509)) {
                    application = Application.MQTT_X509;
                    requestCertificate = true;
                    selected = ALPN_MQTT_X509;
                    checks.add(Check.pass(Rule.TLS_ALPN_01, "x-amzn-mqtt-ca offered on 443: MQTT with client certificate"));
                } else if (hello.offersAlpn(ALPN_HTTPS_X509)) {
                    application = Application.HTTPS_X509;
                    requestCertificate = true;
                    selected = ALPN_HTTPS_X509;
                    checks.add(Check.applied(Rule.TLS_ALPN_04, "x-amzn-http-ca offered on 443: HTTPS with client certificate"));
                } else if (hello.offersAlpn(ALPN_MQTT_CUSTOM_AUTH)) {
                    application = Application.MQTT_CUSTOM_AUTH;
                    requestCertificate = false;
                    selected = ALPN_MQTT_CUSTOM_AUTH;
                    checks.add(Check.applied(Rule.TLS_ALPN_05, "ALPN mqtt offered on 443: MQTT with custom authentication"));
                } else {
                    boolean unknown = hello.alpnNames() != null && !hello.alpnNames().isEmpty();
                    if (unknown && profile.alpn() == Profile.AlpnMode.STRICT) {
                        return refuse(checks, Rule.TLS_ALPN_03, AlertDescription.no_application_protocol,
                                "ALPN " + hello.alpnNames() + " offered on 443: none is x-amzn-mqtt-ca, x-amzn-http-ca or mqtt"
                                        + " (broker.alpn=strict)");
                    }
                    application = Application.UNAUTHENTICATED_443;
                    requestCertificate = false;
                    selected = null;
                    checks.add(Check.warn(Rule.TLS_ALPN_03, (unknown ? "ALPN " + hello.alpnNames() + " has no known name"
                            : "no ALPN offered") + " on 443: no CertificateRequest, no ALPN selected; an MQTT CONNECT"
                            + " will get no CONNACK. Offer ALPN x-amzn-mqtt-ca to use your device certificate on 443"));
                }
            }
            default -> throw new IllegalStateException("unhandled listener role " + role);
        }
        checks.add(Check.applied(Rule.TLS_CERTREQ_01, (requestCertificate ? "CertificateRequest due" : "no CertificateRequest")
                + " for " + application + " on " + role));
        checks.add(Check.applied(Rule.TLS_TICKET_01, "no session ticket issued"));

        // Deliberate misbehaviours change what is carried out, and the record says so.
        if (misbehaviours.withholdCertificateRequest() && requestCertificate) {
            requestCertificate = false;
            checks.add(Check.applied(Rule.TLS_CERTREQ_01, "misbehaviour withhold-certificate-request: CertificateRequest not sent"));
        }
        if (misbehaviours.selectNoAlpn() && selected != null) {
            selected = null;
            checks.add(Check.applied(Rule.TLS_ALPN_07, "misbehaviour select-no-alpn: no ALPN name selected"));
        }
        if (misbehaviours.selectUnofferedAlpn() && hello.alpnNames() != null) {
            // An ALPN extension is only legal in the ServerHello when the client sent one (RFC 7301 3.1).
            selected = Misbehaviours.UNOFFERED_ALPN;
        }
        return new HelloDecision(application, requestCertificate, selected, null, checks);
    }

    /**
     * The decision on the client's Certificate message, when one was requested. {@code certificate}
     * is null when the client answered with an empty Certificate message.
     */
    public static CertificateDecision onClientCertificate(Application application, CertificateFacts certificate,
            Profile profile, Instant now, boolean tls13) {
        List<Check> checks = new ArrayList<>();
        if (certificate == null) {
            String detail = "the server requested a client certificate and the client sent none; configure the device"
                    + " certificate and key in your TLS stack";
            if (application != null && application.certificateAuthenticated()) {
                Refusal refusal = new Refusal(Rule.TLS_CERT_02,
                        tls13 ? AlertDescription.certificate_required : AlertDescription.handshake_failure, detail);
                checks.add(Check.fail(Rule.TLS_CERT_02, detail));
                return new CertificateDecision(checks, refusal, null);
            }
            return new CertificateDecision(checks, null, null);
        }
        checks.add(Check.pass(Rule.TLS_CERT_02, "client certificate " + certificate.subject() + " presented"));
        if (certificate.keyAlgorithm().equals("RSA") && certificate.keyBits() < MINIMUM_RSA_BITS) {
            String detail = "client certificate has an RSA " + certificate.keyBits() + "-bit key; AWS requires at least "
                    + MINIMUM_RSA_BITS + " bits";
            checks.add(Check.fail(Rule.TLS_CERT_04, detail));
            return new CertificateDecision(checks, new Refusal(Rule.TLS_CERT_04, AlertDescription.bad_certificate, detail), null);
        }
        checks.add(Check.pass(Rule.TLS_CERT_04, certificate.keyAlgorithm() + " " + certificate.keyBits() + "-bit key"));
        if (now.isBefore(certificate.notBefore()) || now.isAfter(certificate.notAfter())) {
            String detail = "client certificate is valid only from " + certificate.notBefore() + " to " + certificate.notAfter()
                    + " (now " + now + "); check the device clock and the certificate";
            checks.add(Check.fail(Rule.TLS_CERT_05, detail));
            return new CertificateDecision(checks,
                    new Refusal(Rule.TLS_CERT_05, AlertDescription.certificate_expired, detail), null);
        }
        checks.add(Check.pass(Rule.TLS_CERT_05, "client certificate within its validity"));
        if (certificate.registryStatus() != DeviceStatus.ACTIVE) {
            String detail = certificate.registryStatus() == null
                    ? "client certificate " + certificate.fingerprint().substring(0, 16) + "... is not registered; register it"
                            + " (AWS: register the certificate, or its CA) and set it ACTIVE"
                    : "client certificate " + certificate.fingerprint().substring(0, 16) + "... is " + certificate.registryStatus()
                            + ", not ACTIVE";
            checks.add(Check.fail(Rule.TLS_CERT_03, detail));
            if (profile.registryCheck() == Profile.RegistryCheck.IN_HANDSHAKE) {
                return new CertificateDecision(checks,
                        new Refusal(Rule.TLS_CERT_03, AlertDescription.certificate_unknown, detail), null);
            }
            return new CertificateDecision(checks, null, new Refusal(Rule.TLS_CERT_03, Refusal.NO_ALERT,
                    detail + " (refused after the handshake: broker.registry-check=after-handshake)"));
        }
        checks.add(Check.pass(Rule.TLS_CERT_03, "client certificate registered and ACTIVE"));
        return new CertificateDecision(checks, null, null);
    }

    /** What a completed handshake says about the client, given what the server did on purpose. */
    public static List<Check> onHandshakeComplete(Misbehaviours misbehaviours, String selectedAlpn, boolean alpnOffered) {
        List<Check> checks = new ArrayList<>();
        ServerChainVariant chain = misbehaviours.serveChain();
        Rule verifyRule = verificationRule(chain);
        if (verifyRule != null) {
            checks.add(Check.fail(verifyRule, "the client completed the handshake with the " + chain.cliName()
                    + " server chain (" + chain.description() + "): it does not verify the server, a security hole"));
        } else if (chain != ServerChainVariant.VALID) {
            checks.add(Check.pass(sizeRule(chain), "the client accepted the " + chain.cliName() + " chain"));
        }
        if (misbehaviours.splitHandshakeRecords()) {
            checks.add(Check.pass(Rule.TLS_SIZE_02, "the client reassembled handshake messages split into "
                    + Misbehaviours.SPLIT_RECORD_BYTES + "-byte records"));
        }
        if (alpnOffered && selectedAlpn == null && misbehaviours.selectNoAlpn()) {
            checks.add(Check.pass(Rule.TLS_ALPN_07, "the client continued although no ALPN name was selected"));
        }
        if (misbehaviours.selectUnofferedAlpn() && Misbehaviours.UNOFFERED_ALPN.equals(selectedAlpn)) {
            checks.add(Check.fail(Rule.TLS_ALPN_08, "the client completed the handshake although the server selected"
                    + " the ALPN name " + Misbehaviours.UNOFFERED_ALPN + ", which it never offered"));
        }
        checks.add(Check.pass(Rule.TLS_HS_03, "handshake completed"));
        return checks;
    }

    /**
     * Names the rule behind a failed handshake that the policy did not refuse itself: an alert
     * Bouncy Castle raised (an unsolicited Certificate, for instance) or one the client sent.
     */
    public static Refusal explainFailure(HandshakeFailure failure) {
        String alertName = AlertDescription.getName(failure.alert());
        if (failure.sentByClient()) {
            ServerChainVariant chain = failure.misbehaviours().serveChain();
            Rule verifyRule = verificationRule(chain);
            if (verifyRule != null) {
                return new Refusal(verifyRule, failure.alert(), "the client refused the " + chain.cliName()
                        + " server chain with alert " + alertName + ", as it must");
            }
            if (chain != ServerChainVariant.VALID) {
                return new Refusal(sizeRule(chain), failure.alert(), "the client aborted with alert " + alertName
                        + " when served the valid " + chain.cliName() + " chain ("
                        + chain.description() + "); check its TLS input buffer size");
            }
            if (failure.misbehaviours().splitHandshakeRecords()) {
                return new Refusal(Rule.TLS_SIZE_02, failure.alert(), "the client aborted with alert " + alertName
                        + " when handshake messages were split over small records");
            }
            if (failure.misbehaviours().selectUnofferedAlpn() && failure.serverFlightSent()) {
                return new Refusal(Rule.TLS_ALPN_08, failure.alert(), "the client refused an ALPN name it did not offer"
                        + " (alert " + alertName + "), as RFC 7301 requires");
            }
            if (failure.misbehaviours().selectNoAlpn() && failure.serverFlightSent()) {
                return new Refusal(Rule.TLS_ALPN_07, failure.alert(), "the client aborted with alert " + alertName
                        + " when the server selected no ALPN name; it must cope with that");
            }
            return new Refusal(Rule.TLS_HS_03, failure.alert(), "the client aborted the handshake with alert " + alertName);
        }
        if (failure.alert() == AlertDescription.unexpected_message
                && failure.lastHandshakeMessageReceived() == HandshakeType.certificate && !failure.certificateRequestSent()) {
            return new Refusal(Rule.TLS_CERT_01, failure.alert(), "the client sent a Certificate the server did not request"
                    + " (no CertificateRequest was sent); send a client certificate only when asked");
        }
        if (failure.alert() == AlertDescription.decode_error || failure.alert() == AlertDescription.illegal_parameter) {
            return new Refusal(Rule.TLS_HS_03, failure.alert(), "malformed handshake message from the client ("
                    + alertName + (failure.message() == null ? "" : ": " + failure.message()) + ")");
        }
        return new Refusal(Rule.TLS_HS_03, failure.alert(), "handshake failed with alert " + alertName
                + (failure.message() == null ? "" : " (" + failure.message() + ")"));
    }

    /**
     * Names the rule behind a client closing the TCP connection during the handshake without an
     * alert (some stacks refuse a server certificate that way).
     */
    public static Refusal explainClientClose(Misbehaviours misbehaviours, boolean serverFlightSent, boolean clientHelloSeen) {
        if (!clientHelloSeen) {
            return new Refusal(Rule.TLS_HS_03, Refusal.NO_ALERT,
                    "the client closed the connection before sending a complete ClientHello");
        }
        Rule verifyRule = verificationRule(misbehaviours.serveChain());
        if (serverFlightSent && verifyRule != null) {
            return new Refusal(verifyRule, Refusal.NO_ALERT, "the client closed the connection (without an alert) after being"
                    + " served the " + misbehaviours.serveChain().cliName() + " chain: it refused it");
        }
        if (serverFlightSent && misbehaviours.selectUnofferedAlpn()) {
            return new Refusal(Rule.TLS_ALPN_08, Refusal.NO_ALERT, "the client closed the connection (without an alert) when"
                    + " the server selected an ALPN name it never offered: it refused it");
        }
        return new Refusal(Rule.TLS_HS_03, Refusal.NO_ALERT, "the client closed the connection during the handshake"
                + " without an alert" + (serverFlightSent ? " after the server's first flight" : ""));
    }

    /**
     * Judges a client that ended the handshake itself: correct when the rule is one a client keeps
     * by refusing (a defective chain, an ALPN name it never offered), a failure otherwise.
     */
    public static Check verdictOfClientAbort(Refusal explanation) {
        boolean refusingWasRight = switch (explanation.rule()) {
            case TLS_VERIFY_01, TLS_VERIFY_02, TLS_VERIFY_03, TLS_ALPN_08 -> true;
            default -> false;
        };
        return refusingWasRight ? Check.pass(explanation.rule(), explanation.detail())
                : Check.fail(explanation.rule(), explanation.detail());
    }

    /** The rule that the client breaks by accepting this chain, or null for a chain it should accept. */
    static Rule verificationRule(ServerChainVariant chain) {
        return switch (chain) {
            case EXPIRED, NOT_YET_VALID -> Rule.TLS_VERIFY_01;
            case WRONG_HOST -> Rule.TLS_VERIFY_02;
            case UNTRUSTED_ROOT, SELF_SIGNED, MISSING_INTERMEDIATE, WEAK_KEY, WRONG_EKU -> Rule.TLS_VERIFY_03;
            case VALID, LARGE, LARGE_PLUS_20, MAX_RECORD -> null;
        };
    }

    private static Rule sizeRule(ServerChainVariant chain) {
        return chain == ServerChainVariant.MAX_RECORD ? Rule.TLS_SIZE_03 : Rule.TLS_SIZE_01;
    }

    private static HelloDecision refuse(List<Check> checks, Rule rule, short alert, String detail) {
        checks.add(Check.fail(rule, detail));
        return new HelloDecision(null, false, null, new Refusal(rule, alert, detail), checks);
    }

    private static List<Integer> policyVersions(SecurityPolicy policy) {
        return java.util.Arrays.stream(policy.versions()).map(version -> version.getFullVersion()).toList();
    }

    public static String versionName(int version) {
        return switch (version) {
            case 0x0300 -> "SSL 3.0";
            case 0x0301 -> "TLS 1.0";
            case 0x0302 -> "TLS 1.1";
            case 0x0303 -> "TLS 1.2";
            case 0x0304 -> "TLS 1.3";
            default -> String.format("0x%04x", version);
        };
    }

    private static String versionNames(List<Integer> versions) {
        return versions.stream().map(ConnectionPolicy::versionName).toList().toString();
    }
}
