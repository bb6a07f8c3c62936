package io.alpnlab.broker.policy;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.tls.AlertDescription;

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
    /** AWS: RSA device keys of at least 2048 bits (X.509 client certificates page). */
    public static final int MINIMUM_RSA_BITS = 2048;

    private ConnectionPolicy() {
    }

    /**
     * The decision for a ClientHello that could not be decoded: decode_error, as RFC 8446 section 6 and
     * RFC 5246 section 7.2.2 name it for a message that does not follow its syntax.
     */
    public static HelloDecision onMalformedClientHello(String why) {
        Refusal refusal = new Refusal(Rule.TLS_HS_02, AlertDescription.decode_error, "malformed ClientHello: " + why);
        return new HelloDecision(null, false, null, refusal, List.of(Check.fail(Rule.TLS_HS_02, refusal.detail())), null);
    }

    /**
     * No complete first message of the application (an MQTT CONNECT, an HTTP request) arrived within
     * {@code within} of the handshake: the refusal, under the application's rule. MQTT 3.1.1 section 3.1:
     * a server SHOULD close a connection that sends no CONNECT "within a reasonable amount of time"; AWS's
     * own deadline is INF.
     */
    public static Refusal onFirstMessageMissing(Application application, Duration within, long bytesReceived) {
        Rule rule;
        String message;
        switch (application) {
            case MQTT_X509, MQTT_CUSTOM_AUTH -> {
                rule = Rule.MQTT_CONN_01;
                message = "MQTT CONNECT";
            }
            case HTTPS_X509 -> {
                rule = Rule.HTTP_PUB_01;
                message = "HTTP request";
            }
            default -> {
                rule = Rule.TLS_ALPN_03;
                message = "MQTT CONNECT or HTTP request";
            }
        }
        return new Refusal(rule, Refusal.NO_ALERT, "no complete " + message + " within " + within.toMillis() + " ms of the"
                + " TLS handshake (" + bytesReceived + " bytes received on the connection): closed; send it as soon as"
                + " the handshake completes");
    }

    /** The decision for TLS whose first record carries no ClientHello (application data, say): unexpected_message. */
    public static HelloDecision onFirstMessageNotClientHello() {
        return refuse(new ArrayList<>(), Rule.TLS_HS_02, AlertDescription.unexpected_message,
                "the first record is not a handshake record with a ClientHello; a TLS client starts with its ClientHello");
    }

    /** The decision for a byte stream that is not TLS at all (plain MQTT or HTTP on a TLS port). */
    public static HelloDecision onNotTls(String what) {
        Refusal refusal = new Refusal(Rule.TLS_HS_02, Refusal.NO_ALERT, what);
        return new HelloDecision(null, false, null, refusal, List.of(Check.fail(Rule.TLS_HS_02, what)), null);
    }

    /**
     * The decision on a ClientHello's declared length, known from its 4-byte header before the rest
     * arrives, so that an oversized one is refused without buffering it: illegal_parameter, as OpenSSL and
     * BoringSSL answer a handshake message over their limit (the RFCs name no alert for it).
     */
    public static HelloDecision onClientHelloLength(int declaredLength, Profile profile) {
        if (declaredLength <= profile.maxClientHelloBytes()) {
            return null;
        }
        return refuse(new ArrayList<>(), Rule.TLS_HS_02, AlertDescription.illegal_parameter, "ClientHello of " + declaredLength
                + " bytes exceeds the limit of " + profile.maxClientHelloBytes());
    }

    /** A record longer than TLS allows (RFC 8446 section 5.1, 2^14 bytes of plaintext): record_overflow. */
    public static HelloDecision onRecordOverflow(int recordLength) {
        return refuse(new ArrayList<>(), Rule.TLS_HS_02, AlertDescription.record_overflow, "record of " + recordLength
                + " bytes before the handshake; TLS allows at most " + (1 << 14) + " bytes of plaintext in a record");
    }

    /**
     * The versions the server takes: the security policy's, and only TLS 1.2 when split-handshake-records
     * is planned, because TLS 1.3 encrypts the server's flight after the ServerHello and it cannot be re-cut.
     */
    public static List<Integer> serverVersions(Profile profile, Misbehaviours misbehaviours) {
        return policyVersions(profile.securityPolicy()).stream()
                .filter(version -> !misbehaviours.on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS) || version == ClientHelloFacts.TLS12).toList();
    }

    public static HelloDecision onClientHello(ListenerRole role, ClientHelloFacts hello, Profile profile,
            Misbehaviours misbehaviours) {
        List<Check> checks = new ArrayList<>();
        checks.add(Check.pass(Rule.TLS_HS_02, "ClientHello of " + hello.messageLength() + " bytes decoded"));

        // Versions: the policy's range, and TLS 1.2 only when the split-records misbehaviour needs plaintext flights.
        SecurityPolicy policy = profile.securityPolicy();
        List<Integer> offered = hello.offeredVersions();
        List<Integer> served = serverVersions(profile, misbehaviours);
        boolean common = offered.stream().anyMatch(served::contains);
        if (!common) {
            return refuse(checks, Rule.TLS_VER_01, AlertDescription.protocol_version, "client offers "
                    + TlsNames.versionNames(offered) + "; " + policy.awsName() + " accepts " + TlsNames.versionNames(policyVersions(policy))
                    + (misbehaviours.on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS) ? " (limited to TLS 1.2 by split-handshake-records)" : ""));
        }
        checks.add(Check.pass(Rule.TLS_VER_01, "client offers " + TlsNames.versionNames(offered)));

        // SNI: required and equal to an endpoint name (2022 docs), or only recommended (current docs).
        String sni = hello.serverName();
        if (sni == null) {
            String detail = "ClientHello has no SNI (server_name); set the endpoint name as SNI"
                    + " (mbedtls_ssl_set_hostname, or the host name instead of an IP in your client)";
            if (profile.sni() == Profile.SniMode.REQUIRED) {
                return refuse(checks, Rule.TLS_SNI_01, AlertDescription.unrecognized_name, detail);
            }
            // Even the docs that call SNI optional require it for custom authentication (custom-auth page).
            if (AwsRoutes.route(role, hello).application() == Application.MQTT_CUSTOM_AUTH) {
                return refuse(checks, Rule.TLS_SNI_01, AlertDescription.unrecognized_name, detail
                        + "; custom authentication (ALPN mqtt) needs SNI even under broker.sni=lenient");
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

        // Dispatch on listener and ALPN, from AWS's port/ALPN table.
        AwsRoutes.Route route = AwsRoutes.route(role, hello);
        if (route.application() == Application.UNAUTHENTICATED_443) {
            boolean unknown = hello.alpnNames() != null && !hello.alpnNames().isEmpty();
            if (unknown && profile.alpn() == Profile.AlpnMode.STRICT) {
                return refuse(checks, Rule.TLS_ALPN_03, AlertDescription.no_application_protocol,
                        "ALPN " + hello.alpnNames() + " offered on 443: none is x-amzn-mqtt-ca, x-amzn-http-ca or mqtt"
                                + " (broker.alpn=strict)");
            }
            checks.add(Check.warn(Rule.TLS_ALPN_03, (unknown ? "ALPN " + hello.alpnNames() + " has no known name"
                    : "no ALPN offered") + " on 443: no CertificateRequest, no ALPN selected; an MQTT CONNECT"
                    + " will get no CONNACK. Offer ALPN x-amzn-mqtt-ca to use your device certificate on 443"));
        } else if (route.alpn() != null) {
            checks.add(routeCheck(route));
        }
        Application application = route.application();
        boolean requestCertificate = route.requestCertificate();
        // Only the 443 listener selects by its table; on 8883 an offered x-amzn-mqtt-ca is echoed only when switched so.
        boolean echo8883 = route.role() == ListenerRole.MQTT_8883 && hello.offersAlpn(ALPN_MQTT_X509)
                && profile.alpn8883() == Profile.Alpn8883Mode.ECHO;
        String selected = route.alpn() != null ? route.alpn() : echo8883 ? ALPN_MQTT_X509 : null;
        if (hello.alpnNames() != null && route.role() == ListenerRole.MQTT_8883) {
            checks.add(Check.applied(Rule.TLS_ALPN_02, "ALPN " + hello.alpnNames() + " offered on 8883: accepted, no effect; "
                    + (echo8883 ? "x-amzn-mqtt-ca selected (broker.alpn-8883=echo)" : "none selected (broker.alpn-8883=no-echo)")));
        }
        if (hello.maxFragmentLength() != null) {
            checks.add(maxFragmentLengthCheck(hello.maxFragmentLength(), profile));
        }
        checks.add(Check.applied(Rule.TLS_CERTREQ_01, (requestCertificate ? "CertificateRequest due" : "no CertificateRequest")
                + " for " + application + " on " + role));
        checks.add(Check.applied(Rule.TLS_TICKET_01, "no session ticket issued"));

        // Deliberate misbehaviours change what is carried out, and the record says so.
        if (misbehaviours.on(Misbehaviour.WITHHOLD_CERTIFICATE_REQUEST) && requestCertificate) {
            requestCertificate = false;
            checks.add(Check.applied(Rule.TLS_CERTREQ_01, "misbehaviour withhold-certificate-request: CertificateRequest not sent"));
        }
        if (misbehaviours.on(Misbehaviour.SELECT_NO_ALPN) && selected != null) {
            selected = null;
            checks.add(Check.applied(Rule.TLS_ALPN_07, "misbehaviour select-no-alpn: no ALPN name selected"));
        }
        if (misbehaviours.on(Misbehaviour.SELECT_UNOFFERED_ALPN) && hello.alpnNames() != null) {
            // An ALPN extension is only legal in the ServerHello when the client sent one (RFC 7301 3.1).
            selected = Misbehaviours.UNOFFERED_ALPN;
        }
        return new HelloDecision(application, requestCertificate, selected, null, checks, route.acceptedBy());
    }

    /** What happens to an offered max_fragment_length: AWS ignores it; the honour switch is for other brokers. */
    private static Check maxFragmentLengthCheck(int code, Profile profile) {
        String offered = "max_fragment_length " + HandshakeDiagnosis.maxFragmentBytes(code) + " offered";
        return profile.mfl() == Profile.MflMode.IGNORE
                ? Check.applied(Rule.TLS_MFL_01, offered + ": ignored, as AWS ignores it; the server's records go up to 16 KB"
                        + " (broker.mfl=ignore)")
                : Check.warn(Rule.TLS_MFL_01, offered + ": honoured because broker.mfl=honour; AWS ignores it, so a client"
                        + " that relies on it fails there on the 4,991-byte Certificate record");
    }

    private static Check routeCheck(AwsRoutes.Route route) {
        return switch (route.application()) {
            case MQTT_X509 -> Check.pass(route.acceptedBy(), "x-amzn-mqtt-ca offered on 443: MQTT with client certificate");
            case HTTPS_X509 -> Check.applied(route.acceptedBy(), "x-amzn-http-ca offered on 443: HTTPS with client certificate");
            case MQTT_CUSTOM_AUTH -> Check.applied(route.acceptedBy(), "ALPN mqtt offered on 443: MQTT with custom authentication");
            case UNAUTHENTICATED_443 -> throw new IllegalArgumentException("no ALPN name selects " + route.application());
        };
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
            // AWS refuses such a certificate at registration, so at connect it is simply unregistered: it is
            // refused where the registry check refuses (TLS-CERT-03's switch), for this root cause.
            String detail = "client certificate has an RSA " + certificate.keyBits() + "-bit key; AWS refuses to register RSA"
                    + " keys under " + MINIMUM_RSA_BITS + " bits, so such a device is unregistered; make a 2048-bit RSA or a"
                    + " P-256 key";
            checks.add(Check.fail(Rule.TLS_CERT_04, detail));
            if (profile.registryCheck() == Profile.RegistryCheck.IN_HANDSHAKE) {
                return new CertificateDecision(checks,
                        new Refusal(Rule.TLS_CERT_04, AlertDescription.certificate_unknown, detail), null);
            }
            return new CertificateDecision(checks, null, new Refusal(Rule.TLS_CERT_04, Refusal.NO_ALERT,
                    detail + " (refused after the handshake: broker.registry-check=after-handshake)"));
        }
        checks.add(Check.pass(Rule.TLS_CERT_04, certificate.keyAlgorithm() + " " + certificate.keyBits() + "-bit key"));
        if (now.isBefore(certificate.notBefore()) || now.isAfter(certificate.notAfter())) {
            String detail = "client certificate is valid only from " + certificate.notBefore() + " to " + certificate.notAfter()
                    + " (now " + now + "); check the device clock and the certificate";
            if (profile.clientCertExpiry() == Profile.ClientCertExpiry.ACCEPT) {
                checks.add(Check.warn(Rule.TLS_CERT_05, detail + " (accepted: broker.client-cert-expiry=accept)"));
            } else {
                checks.add(Check.fail(Rule.TLS_CERT_05, detail));
                return new CertificateDecision(checks,
                        new Refusal(Rule.TLS_CERT_05, AlertDescription.certificate_expired, detail), null);
            }
        } else {
            checks.add(Check.pass(Rule.TLS_CERT_05, "client certificate within its validity"));
        }
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

    private static HelloDecision refuse(List<Check> checks, Rule rule, short alert, String detail) {
        checks.add(Check.fail(rule, detail));
        return new HelloDecision(null, false, null, new Refusal(rule, alert, detail), checks, null);
    }

    private static List<Integer> policyVersions(SecurityPolicy policy) {
        return java.util.Arrays.stream(policy.versions()).map(version -> version.getFullVersion()).toList();
    }
}
