package io.alpnlab.broker.services;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.certs.Pem;
import io.alpnlab.certs.TestPki;
import java.io.StringReader;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Fleet provisioning by claim (SVC-PROV-01): a device connected with a claim certificate gets a certificate
 * of its own (a new key and certificate, or one signed from its CSR), then RegisterThing with a
 * provisioning template registers the thing and activates the certificate in the broker's registry;
 * the device reconnects with it. Templates use AWS's template language in its minimal form: Parameters
 * (with Default), {@code Ref} and {@code Fn::Join} in the thing's name, and a DeviceConfiguration
 * returned as is.
 */
public final class FleetProvisioning {

    /** The template every broker has: the thing is named {@code <ThingNamePrefix><SerialNumber>}. */
    public static final String DEFAULT_TEMPLATE_NAME = "alpnlab-fleet";
    static final String DEFAULT_TEMPLATE = """
            {"Parameters": {"SerialNumber": {"Type": "String"}, "ThingNamePrefix": {"Type": "String", "Default": ""}},
             "Resources": {
               "thing": {"Type": "AWS::IoT::Thing",
                         "Properties": {"ThingName": {"Fn::Join": ["", [{"Ref": "ThingNamePrefix"}, {"Ref": "SerialNumber"}]]}}},
               "certificate": {"Type": "AWS::IoT::Certificate",
                               "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "ACTIVE"}}},
             "DeviceConfiguration": {"provisionedBy": "alpnlab mock broker"}}""";
    /** How long a certificateOwnershipToken is good for (AWS: one hour). */
    static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

    private static final String CERTIFICATES = "$aws/certificates/";
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
    private static final String TEMPLATES = "$aws/provisioning-templates/";

    private final ObjectMapper json = new ObjectMapper();
    private final TestPki pki;
    private final DeviceRegistry registry;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, JsonNode> templates = new HashMap<>();
    private record Ownership(String certificateId, Instant expires) {
    }

    private final Map<String, Ownership> tokens = new HashMap<>();
    /** Fingerprints of the certificates RegisterThing activated, with their thing names. */
    private final Map<String, String> provisioned = new HashMap<>();

    public FleetProvisioning(TestPki pki, DeviceRegistry registry, Clock clock) {
        this.pki = pki;
        this.registry = registry;
        this.clock = clock;
        addTemplate(DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE);
    }

    /** Whether the topic is a provisioning request ({@code .../json} or {@code .../cbor}), not a reply. */
    static boolean isRequest(String topic) {
        return topic.equals(CERTIFICATES + "create/json") || topic.equals(CERTIFICATES + "create/cbor")
                || topic.equals(CERTIFICATES + "create-from-csr/json") || topic.equals(CERTIFICATES + "create-from-csr/cbor")
                || topic.startsWith(TEMPLATES) && (topic.endsWith("/provision/json") || topic.endsWith("/provision/cbor"))
                        && topic.split("/", -1).length == 5;
    }

    synchronized ServiceEvent handle(String topic, byte[] payload, String requester) {
        if (topic.endsWith("/cbor")) {
            return rejected(topic, 400, "InvalidPayload", "the mock broker speaks the JSON form of the provisioning API only;"
                    + " use the /json topics", "CBOR request on " + topic);
        }
        JsonNode request;
        try {
            request = payload.length == 0 ? json.createObjectNode() : json.readTree(payload);
        } catch (java.io.IOException e) {
            return rejected(topic, 400, "InvalidPayload", "the request is not valid JSON", "invalid JSON on " + topic);
        }
        if (topic.equals(CERTIFICATES + "create/json")) {
            return createKeysAndCertificate(topic, requester);
        }
        if (topic.equals(CERTIFICATES + "create-from-csr/json")) {
            return createFromCsr(topic, request, requester);
        }
        String template = topic.split("/", -1)[2];
        return registerThing(topic, template, request, requester);
    }

    private ServiceEvent createKeysAndCertificate(String topic, String requester) {
        KeyPair keys;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048, random);
            keys = generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no RSA", e);
        }
        ObjectNode answer = issue(keys.getPublic(), requester);
        // The key goes to the requester alone (ServiceReply.toRequester); the broker keeps no copy and logs none.
        answer.put("privateKey", Pem.encodeKey(keys.getPrivate()));
        return new ServiceEvent(List.of(ServiceReply.toRequester(topic + "/accepted", answer.toString())),
                List.of(Check.applied(Rule.SVC_PROV_01, "CreateKeysAndCertificate for " + requester + ": certificate "
                        + answer.get("certificateId").asText().substring(0, 12) + "... issued, INACTIVE until RegisterThing")));
    }

    private ServiceEvent createFromCsr(String topic, JsonNode request, String requester) {
        String csrPem = request.path("certificateSigningRequest").asText("");
        PublicKey publicKey;
        try (PEMParser parser = new PEMParser(new StringReader(csrPem))) {
            Object parsed = parser.readObject();
            if (!(parsed instanceof PKCS10CertificationRequest csr)) {
                return rejected(topic, 400, "InvalidCertificateSigningRequest", "certificateSigningRequest holds no PEM"
                        + " certificate signing request", "create-from-csr without a CSR");
            }
            // Bouncy Castle's provider, which knows keys by their OIDs (the JDK's KeyFactory lookup by OID fails for EC).
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC).build(csr.getSubjectPublicKeyInfo()))) {
                return rejected(topic, 400, "InvalidCertificateSigningRequest", "the CSR's signature does not verify",
                        "create-from-csr with a CSR whose signature does not verify");
            }
            publicKey = new JcaPEMKeyConverter().setProvider(BC).getPublicKey(csr.getSubjectPublicKeyInfo());
        } catch (Exception e) {
            return rejected(topic, 400, "InvalidCertificateSigningRequest", "the CSR cannot be read: " + e.getMessage(),
                    "create-from-csr with an unreadable CSR");
        }
        ObjectNode answer = issue(publicKey, requester);
        return new ServiceEvent(List.of(ServiceReply.toRequester(topic + "/accepted", answer.toString())),
                List.of(Check.applied(Rule.SVC_PROV_01, "CreateCertificateFromCsr for " + requester + ": certificate "
                        + answer.get("certificateId").asText().substring(0, 12) + "... issued, INACTIVE until RegisterThing")));
    }

    /** Issues and registers (INACTIVE) a certificate for the key, with its ownership token. */
    private ObjectNode issue(PublicKey publicKey, String requester) {
        X509Certificate certificate = pki.issueDevice("provisioned-" + requester, publicKey);
        String certificateId = Pem.sha256Fingerprint(certificate);
        registry.register(new RegisteredDevice(certificateId, DeviceStatus.INACTIVE, null, DevicePolicy.ALLOW_ALL));
        byte[] tokenBytes = new byte[48];
        random.nextBytes(tokenBytes);
        String token = java.util.Base64.getEncoder().encodeToString(tokenBytes);
        tokens.put(token, new Ownership(certificateId, clock.instant().plus(TOKEN_LIFETIME)));
        ObjectNode answer = json.createObjectNode();
        answer.put("certificateId", certificateId);
        answer.put("certificateArn", "arn:aws:iot:us-east-1:123456789012:cert/" + certificateId);
        answer.put("certificatePem", Pem.encode(List.of(certificate)));
        answer.put("certificateOwnershipToken", token);
        return answer;
    }

    private ServiceEvent registerThing(String topic, String templateName, JsonNode request, String requester) {
        JsonNode template = templates.get(templateName);
        if (template == null) {
            return rejected(topic, 404, "ResourceNotFound", "no provisioning template named '" + templateName + "'",
                    "RegisterThing with the unknown template '" + templateName + "'");
        }
        Ownership ownership = tokens.get(request.path("certificateOwnershipToken").asText(""));
        if (ownership == null || clock.instant().isAfter(ownership.expires())) {
            return rejected(topic, 400, "InvalidCertificateOwnershipToken", "the certificateOwnershipToken is unknown or has"
                    + " expired", "RegisterThing with an unknown or expired certificateOwnershipToken");
        }
        Map<String, String> parameters = new HashMap<>();
        JsonNode declared = template.path("Parameters");
        for (Iterator<String> names = declared.fieldNames(); names.hasNext();) {
            String name = names.next();
            JsonNode given = request.path("parameters").get(name);
            if (given != null && !given.isNull()) {
                parameters.put(name, given.asText());
            } else if (declared.get(name).has("Default")) {
                parameters.put(name, declared.get(name).get("Default").asText());
            } else {
                return rejected(topic, 400, "InvalidParameters", "the template needs the parameter '" + name + "'",
                        "RegisterThing without the parameter '" + name + "'");
            }
        }
        parameters.put("AWS::IoT::Certificate::Id", ownership.certificateId());
        String thingName;
        try {
            thingName = evaluate(template.path("Resources").path("thing").path("Properties").path("ThingName"), parameters);
        } catch (IllegalArgumentException e) {
            return rejected(topic, 400, "InvalidParameters", e.getMessage(), "RegisterThing: " + e.getMessage());
        }
        if (!thingName.matches("[a-zA-Z0-9:_-]{1,128}")) {
            return rejected(topic, 400, "InvalidParameters", "the thing name '" + thingName + "' is not a valid thing name"
                    + " ([a-zA-Z0-9:_-]{1,128})", "RegisterThing naming the invalid thing '" + thingName + "'");
        }
        tokens.remove(request.path("certificateOwnershipToken").asText(""));
        RegisteredDevice current = registry.lookup(ownership.certificateId()).orElseThrow();
        registry.register(new RegisteredDevice(current.fingerprint(), DeviceStatus.ACTIVE, thingName, current.policy()));
        provisioned.put(ownership.certificateId(), thingName);
        ObjectNode answer = json.createObjectNode();
        answer.set("deviceConfiguration", template.path("DeviceConfiguration").isObject()
                ? template.get("DeviceConfiguration") : json.createObjectNode());
        answer.put("thingName", thingName);
        return new ServiceEvent(List.of(ServiceReply.toRequester(topic + "/accepted", answer.toString())),
                List.of(Check.applied(Rule.SVC_PROV_01, "RegisterThing with template '" + templateName + "' for " + requester
                        + ": thing " + thingName + " registered, certificate ACTIVE")));
    }

    /** A template value: a string, {"Ref": name}, or {"Fn::Join": [separator, [values]]}. */
    private static String evaluate(JsonNode value, Map<String, String> parameters) {
        if (value.isTextual()) {
            return value.asText();
        }
        if (value.has("Ref")) {
            String name = value.get("Ref").asText();
            String resolved = parameters.get(name);
            if (resolved == null) {
                throw new IllegalArgumentException("the template refers to the undeclared parameter '" + name + "'");
            }
            return resolved;
        }
        if (value.has("Fn::Join") && value.get("Fn::Join").size() == 2) {
            List<String> parts = new ArrayList<>();
            value.get("Fn::Join").get(1).forEach(part -> parts.add(evaluate(part, parameters)));
            return String.join(value.get("Fn::Join").get(0).asText(), parts);
        }
        throw new IllegalArgumentException("the template's ThingName is neither a string, a Ref nor an Fn::Join: " + value);
    }

    private ServiceEvent rejected(String topic, int status, String code, String message, String detail) {
        ObjectNode error = json.createObjectNode();
        error.put("statusCode", status);
        error.put("errorCode", code);
        error.put("errorMessage", message);
        return new ServiceEvent(List.of(ServiceReply.toRequester(topic + "/rejected", error.toString())),
                List.of(Check.applied(Rule.SVC_PROV_01, detail + ": rejected " + status + " " + code)));
    }

    // ---- the operator's side

    /** Adds (or replaces) a provisioning template, in AWS's template JSON. */
    public synchronized void addTemplate(String name, String templateJson) {
        try {
            JsonNode template = json.readTree(templateJson);
            if (!template.path("Resources").path("thing").path("Properties").has("ThingName")) {
                throw new IllegalArgumentException("template '" + name + "' has no Resources.thing.Properties.ThingName");
            }
            templates.put(name, template);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("template '" + name + "' is not JSON: " + e.getMessage(), e);
        }
    }

    /** The thing a certificate was provisioned for by RegisterThing, or empty when it was not. */
    public synchronized Optional<String> provisionedThing(String fingerprint) {
        return Optional.ofNullable(provisioned.get(fingerprint));
    }
}
