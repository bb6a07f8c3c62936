package io.alpnlab.broker.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/**
 * The rule catalogue: every AWS IoT Core connection rule the broker enforces and the suite checks.
 * IDs are stable ({@code AREA-TOPIC-NN}): never renumbered, a retired ID never reused. The
 * catalogue is also {@code docs/RULES.md}; {@code RuleCatalogueDocumentTest} keeps the two in step.
 */
public enum Rule {
    // ---- TLS: SNI (aws-iot-rules.md section 2)
    TLS_SNI_01("TLS-SNI-01", Party.CLIENT, "The client sends the SNI (server_name) extension; a ClientHello without it is refused. AWS requires it for multi-account certificates, custom domains, VPC endpoints, configured TLS policies, custom authentication and JITR; its MQTT page says every connection without it is refused, which the default follows.",
            Provenance.DOCUMENTED, "AWS IoT developer guide, \"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): \"Connection attempts that don't include the SNI are refused\"; \"Transport security in AWS IoT Core\" (https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html) calls SNI highly recommended and requires it for multi-account (SNI_ONLY) certificates, custom domains, VPC endpoints, configured TLS policies; \"Custom authentication\" (https://docs.aws.amazon.com/iot/latest/developerguide/custom-authentication.html) and \"Just-in-time registration\" (https://docs.aws.amazon.com/iot/latest/developerguide/auto-register-device-cert.html) require it too; read 2026-12-02. Switch broker.sni=lenient for the unconditional current reading"),
    TLS_SNI_02("TLS-SNI-02", Party.CLIENT, "The SNI host_name is a configured endpoint name (the iot:Data-ATS endpoint or a custom domain), not an IP address or another name.",
            Provenance.DOCUMENTED, "\"Transport security in AWS IoT Core\" (https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html): an incorrect or invalid host_name fails the connection; refusing an IP literal rests on RFC 6066 section 3; read 2026-12-02"),
    TLS_SNI_03("TLS-SNI-03", Party.BROKER, "When SNI is accepted the server answers with an empty server_name extension.",
            Provenance.RFC, "RFC 6066 section 3 (https://www.rfc-editor.org/rfc/rfc6066#section-3); AWS's ServerHello in seed 003_453ee7510c4f4b36.txt (Pico W notes, hex dump of AWS's handshake); read 2026-12-02"),

    // ---- TLS: ALPN and ports (section 1)
    TLS_ALPN_01("TLS-ALPN-01", Party.CLIENT, "MQTT with an X.509 client certificate on port 443 offers the ALPN name x-amzn-mqtt-ca; the server selects it.",
            Provenance.DOCUMENTED, "\"Device communication protocols\" (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html), the port/ALPN table; seed AWS IoT blog on MQTT with X.509 on port 443 (seed 000_78894ad7d267f2e2.txt); read 2026-12-02"),
    TLS_ALPN_02("TLS-ALPN-02", Party.BROKER, "On port 8883 an offered ALPN name is accepted and changes nothing; by default no name is selected (whether AWS echoes x-amzn-mqtt-ca there is unverified; broker.alpn-8883=echo selects it).",
            Provenance.CODE, "aws-iot-device-sdk-java-v2 AwsIotMqtt5ClientBuilder offers x-amzn-mqtt-ca with its default port 8883 (CODE); github.com/aws/aws-iot-device-sdk-swift/pull/80 says the service accepts it on either port (OBS); the echo is UNV, and no-echo is the default because a client that offered ALPN must cope with none (RFC 7301 section 3.2); read 2026-12-02"),
    TLS_ALPN_03("TLS-ALPN-03", Party.CLIENT, "On port 443 without x-amzn-mqtt-ca (no ALPN or an unknown name) the server requests no client certificate and selects no ALPN; TLS completes but an MQTT CONNECT never gets a CONNACK.",
            Provenance.OBSERVED, "github.com/aws/aws-iot-device-sdk-python/issues/131 and github.com/aws/amazon-freertos/issues/3135 (connections on 443 without the name hang); read 2026-12-02. broker.alpn=strict answers no_application_protocol instead"),
    TLS_ALPN_04("TLS-ALPN-04", Party.BROKER, "On port 443 the ALPN name x-amzn-http-ca selects HTTPS with an X.509 client certificate.",
            Provenance.DOCUMENTED, "\"Device communication protocols\" (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html); read 2026-12-02"),
    TLS_ALPN_05("TLS-ALPN-05", Party.BROKER, "On port 443 the ALPN name mqtt selects MQTT with custom authentication: no client certificate; the username may carry a query string naming the authorizer (x-amz-customauthorizer-name, else the default authorizer decides) with its token, and the authorizer checks username and password (AWS passes the password to its Lambda base64-encoded).",
            Provenance.DOCUMENTED, "\"Device communication protocols\" (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html) and \"Custom authentication\" (https://docs.aws.amazon.com/iot/latest/developerguide/custom-authentication.html); read 2026-12-02"),
    TLS_ALPN_06("TLS-ALPN-06", Party.CLIENT, "The ALPN name is offered as the plain string x-amzn-mqtt-ca, not in OpenSSL's length-prefixed wire format.",
            Provenance.OBSERVED, "github.com/aws/amazon-freertos/issues/3135, FreeRTOS pull requests 675 and 831 (mbedTLS given \"\\x0ex-amzn-mqtt-ca\" offers a wrong name); read 2026-12-02"),
    TLS_ALPN_07("TLS-ALPN-07", Party.CLIENT, "A client that offered ALPN still works when the server selects no ALPN name.",
            Provenance.RFC, "RFC 7301 section 3.2 (https://www.rfc-editor.org/rfc/rfc7301#section-3.2): the server may omit the extension; read 2026-12-02"),
    TLS_ALPN_08("TLS-ALPN-08", Party.CLIENT, "The client refuses a ServerHello that selects an ALPN name it did not offer.",
            Provenance.RFC, "RFC 7301 section 3.1 (https://www.rfc-editor.org/rfc/rfc7301#section-3.1): the selected protocol must be one the client offered; read 2026-12-02"),

    // ---- TLS: client certificates (section 4)
    TLS_CERTREQ_01("TLS-CERTREQ-01", Party.BROKER, "The server sends a CertificateRequest on 8883 and 8443 always, and on 443 only when x-amzn-mqtt-ca or x-amzn-http-ca is offered.",
            Provenance.DOCUMENTED, "seed AWS IoT blog on MQTT with X.509 on port 443 (seed 000_78894ad7d267f2e2.txt): \"AWS IoT Core also uses the ProtocolName to signal that it should send a CertificateRequest\"; \"Device communication protocols\" (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html); 443 without a name serving SigV4 is INF; read 2026-12-02"),
    TLS_CERT_01("TLS-CERT-01", Party.CLIENT, "The client never sends a Certificate the server did not request; a server receiving one aborts with unexpected_message.",
            Provenance.RFC, "RFC 5246 section 7.4.6 (https://www.rfc-editor.org/rfc/rfc5246#section-7.4.6), RFC 8446 section 4.4.2; read 2026-12-02"),
    TLS_CERT_02("TLS-CERT-02", Party.CLIENT, "When a CertificateRequest is sent for MQTT or HTTPS with X.509 authentication, the client answers with a certificate.",
            Provenance.DOCUMENTED, "\"Device communication protocols\" (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html), X.509 client certificate authentication; the alert (certificate_required in TLS 1.3, handshake_failure in TLS 1.2) is INF; read 2026-12-02"),
    TLS_CERT_03("TLS-CERT-03", Party.CLIENT, "The client certificate is registered with AWS IoT and ACTIVE; trust comes from registration, not from the chain.",
            Provenance.DOCUMENTED, "\"X.509 client certificates\" (https://docs.aws.amazon.com/iot/latest/developerguide/x509-client-certs.html); where the refusal happens is disputed: in the handshake (github.com/aws/aws-iot-device-sdk-python/issues/76, 2017) or after it (github.com/aws/aws-iot-device-sdk-embedded-C/issues/1920, 2024, TLS 1.2); read 2026-12-02. Switch broker.registry-check"),
    TLS_CERT_04("TLS-CERT-04", Party.CLIENT, "An RSA client key has at least 2048 bits: AWS refuses to register a weaker certificate, so such a device connects as unregistered and is refused where TLS-CERT-03 says.",
            Provenance.DOCUMENTED, "\"X.509 client certificates\" (https://docs.aws.amazon.com/iot/latest/developerguide/x509-client-certs.html), key sizes; Device Defender audit \"Device certificate key quality\" (https://docs.aws.amazon.com/iot/latest/developerguide/audit-chk-device-cert-key-quality.html): AWS refuses a weak key at registration, so at connect the device is unregistered; read 2026-12-02"),
    TLS_CERT_05("TLS-CERT-05", Party.CLIENT, "The client certificate is within its validity period (unverified at AWS: broker.client-cert-expiry=accept turns the refusal into a warning).",
            Provenance.INFERRED, "not documented for device certificates (only github.com/floci-io/floci/pull/3180, an emulator); RFC 5280 section 6.1.3 (https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3); read 2026-12-02. Switch broker.client-cert-expiry=accept"),

    // ---- TLS: versions, suites, sessions (section 3)
    TLS_VER_01("TLS-VER-01", Party.CLIENT, "The client offers a TLS version of the endpoint's security policy (TLS 1.2 or 1.3 by default).",
            Provenance.DOCUMENTED, "\"Security policies\" (https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html#tls-policy-table): IoTSecurityPolicy_TLS13_1_2_2022_10 is the default; read 2026-12-02"),
    TLS_SUITE_01("TLS-SUITE-01", Party.CLIENT, "The client offers at least one cipher suite of the security policy; offering only the weaker legacy ones passes with warnings.",
            Provenance.DOCUMENTED, "\"Security policies\" (https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html#tls-policy-table), suite lists; grading as Device Advisor's \"TLS Cipher Suites\" test (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-tls.html); read 2026-12-02"),
    TLS_CHAIN_01("TLS-CHAIN-01", Party.BROKER, "ECDSA cipher suites are served the ECC chain, the others the RSA chain.",
            Provenance.DOCUMENTED, "\"Server authentication\" (https://docs.aws.amazon.com/iot/latest/developerguide/server-authentication.html); for TLS 1.3 (no key exchange in the suite) the RSA chain is served when the client accepts RSA-PSS signatures (INF); read 2026-12-02"),
    TLS_TICKET_01("TLS-TICKET-01", Party.BROKER, "The server issues no session tickets.",
            Provenance.DOCUMENTED, "\"Transport security in AWS IoT Core\" (https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html): the SessionTicket extension is not supported (TLS 1.2; TLS 1.3 NewSessionTicket UNV); read 2026-12-02"),
    TLS_HS_01("TLS-HS-01", Party.CLIENT, "The TLS handshake completes within the handshake timeout; a stalled client is disconnected.",
            Provenance.PROJECT, "project choice: keeps stalled clients from pinning resources; AWS's timeout is not documented (searched https://docs.aws.amazon.com/iot/latest/developerguide/transport-security.html, read 2026-12-02)"),
    TLS_HS_02("TLS-HS-02", Party.CLIENT, "The ClientHello is well formed and within the size limit, and later records are too. Bad input gets the RFC's fatal alert: decode_error for a hello that breaks its syntax (an empty ALPN list, a server_name that is empty, has two host names or trailing bytes), unexpected_message when the first record is no ClientHello, record_overflow for a record over 2^14 bytes (after the handshake too), illegal_parameter for a hello over the limit (as OpenSSL and BoringSSL); bytes that are not TLS at all are closed without one.",
            Provenance.RFC, "RFC 8446 sections 4.1.2, 5.1 and 6 (https://www.rfc-editor.org/rfc/rfc8446), RFC 5246 sections 7.2.2 and 7.4.1.2, RFC 6066 section 3 (https://www.rfc-editor.org/rfc/rfc6066#section-3), RFC 7301 section 3.1 (https://www.rfc-editor.org/rfc/rfc7301#section-3.1); the size limit and its alert are a PROJECT choice; read 2026-12-02"),
    TLS_HS_03("TLS-HS-03", Party.CLIENT, "The TLS handshake completes without a fatal alert for any other reason.",
            Provenance.RFC, "RFC 8446 section 6 (https://www.rfc-editor.org/rfc/rfc8446#section-6), RFC 5246 section 7.2; read 2026-12-02"),

    // ---- TLS: what a client must survive and refuse (client-side, sections 3 and 6)
    TLS_VERIFY_01("TLS-VERIFY-01", Party.CLIENT, "The client refuses an expired or not-yet-valid server certificate.",
            Provenance.RFC, "RFC 5280 section 6.1.3 (https://www.rfc-editor.org/rfc/rfc5280#section-6.1.3); Device Advisor \"TLS Expired Server Cert\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-tls.html); read 2026-12-02"),
    TLS_VERIFY_02("TLS-VERIFY-02", Party.CLIENT, "The client refuses a server certificate that does not name the endpoint.",
            Provenance.RFC, "RFC 6125 (https://www.rfc-editor.org/rfc/rfc6125); Device Advisor \"TLS Incorrect Subject Name Server Cert\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-tls.html); read 2026-12-02"),
    TLS_VERIFY_03("TLS-VERIFY-03", Party.CLIENT, "The client refuses a server chain it cannot trust: untrusted root, self-signed, missing intermediate, weak key, wrong key usage.",
            Provenance.RFC, "RFC 5280 section 6 (https://www.rfc-editor.org/rfc/rfc5280#section-6); Device Advisor \"TLS Unsecure Server Cert\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-tls.html); read 2026-12-02"),
    TLS_SIZE_01("TLS-SIZE-01", Party.CLIENT, "The client accepts AWS's large server chain (4,991-byte Certificate message) and one 20% larger.",
            Provenance.OBSERVED, "seed 003_453ee7510c4f4b36.txt (Pico W notes, hex dump of AWS's handshake): a Certificate message of 4,991 bytes; Device Advisor \"TLS Large Size Server Cert\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-tls.html); read 2026-12-02"),
    TLS_SIZE_02("TLS-SIZE-02", Party.CLIENT, "The client reassembles handshake messages split over several small records. Advisory: AWS sends its chain in one record, so a client that cannot passes with warnings.",
            Provenance.RFC, "RFC 5246 section 6.2.1 (https://www.rfc-editor.org/rfc/rfc5246#section-6.2.1), RFC 8446 section 5.1: handshake messages may be fragmented across records; AWS sends its chain in one 4,995-byte record: seed 003_453ee7510c4f4b36.txt (Pico W notes, hex dump of AWS's handshake); read 2026-12-02"),
    TLS_SIZE_03("TLS-SIZE-03", Party.CLIENT, "The client receives maximum-size (16 KB) TLS records: a large QoS 1 message on its subscription, as AWS delivers it, is taken and acknowledged.",
            Provenance.DOCUMENTED, "Device Advisor \"TLS Receive Maximum Size Fragments\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-tls.html): a large payload on a QoS 1 subscription; RFC 8446 section 5.1; AWS sends no handshake message over 16 KB, so the oversized chain (serve-chain=max-record) is an opt-in misbehaviour; read 2026-12-02"),
    TLS_MFL_01("TLS-MFL-01", Party.CLIENT, "The client does not rely on max_fragment_length: AWS neither echoes nor applies it, so records (the 4,991-byte Certificate among them) come at full size, up to 16 KB.",
            Provenance.OBSERVED, "AWS staff in github.com/aws/aws-iot-device-sdk-embedded-C/issues/81 and embedded-C pull request 1325 (github.com/aws/aws-iot-device-sdk-embedded-C/pull/1325); read 2026-12-02. Switch broker.mfl=honour for brokers that apply it"),

    // ---- MQTT (section 5)
    MQTT_CONN_01("MQTT-CONN-01", Party.CLIENT, "CONNECT is the first packet and is sent once; anything before CONNACK or a second CONNECT closes the connection, and so does a connection without a complete CONNECT within the handshake timeout (10 s) of the TLS handshake (AWS's own deadline is INF).",
            Provenance.DOCUMENTED, "\"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): CLIENT_ERROR disconnect; MQTT 3.1.1 section 3.1 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html); read 2026-12-02"),
    MQTT_CONN_02("MQTT-CONN-02", Party.CLIENT, "The connecting identity is authorized: an ACTIVE certificate whose policy allows the client ID, or a valid custom-auth token. MQTT 5 refusals get CONNACK 0x87.",
            Provenance.DOCUMENTED, "\"Authorization\" (https://docs.aws.amazon.com/iot/latest/developerguide/iot-authorization.html); refusal is a close without CONNACK by default (OBS), CONNACK 5 or 7 (2022 docs) by switch; \"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html) documents 0x87 for MQTT 5; read 2026-12-02"),
    MQTT_CONN_03("MQTT-CONN-03", Party.CLIENT, "The protocol is MQTT 3.1.1 or 5.0.",
            Provenance.DOCUMENTED, "\"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): MQTT 3.1.1 and 5 are supported; read 2026-12-02"),
    MQTT_CONN_04("MQTT-CONN-04", Party.CLIENT, "A client ID connects at most once per second: a CONNECT less than a second after the last admitted one is throttled. How AWS refuses it is INF: here MQTT 5 gets CONNACK 0x9F (Connection rate exceeded) and 3.1.1 a close without CONNACK (lifecycle reason THROTTLED); broker.quotas=flag only warns.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): connect requests per second per client ID, 1, not adjustable; read 2026-12-02"),
    MQTT_RATE_01("MQTT-RATE-01", Party.CLIENT, "A connection publishes at most 100 messages and 512 KiB per second: the excess is discarded (a warning in the connection record); a discarded QoS 1 publish is still acknowledged (INF), with PUBACK 0x97 (Quota exceeded) for MQTT 5. broker.quotas=flag delivers everything.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): publish requests per second per connection 100, throughput per connection 512 KiB/s, requests past the limit are discarded, not adjustable; read 2026-12-02"),
    MQTT_INFLIGHT_01("MQTT-INFLIGHT-01", Party.CLIENT, "At most 100 QoS 1 messages are unacknowledged in each direction: an MQTT 5 client that sends a 101st gets DISCONNECT 0x93 (Receive Maximum exceeded), a 3.1.1 client is warned (what AWS does is INF); the broker's own deliveries to a client wait while 100 are unacknowledged.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): in-flight unacknowledged messages 100 per client; MQTT 5.0 section 3.3.4 (https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html): 0x93 when Receive Maximum is exceeded; read 2026-12-02"),
    MQTT_PKT_01("MQTT-PKT-01", Party.CLIENT, "Packets are well-formed MQTT; PUBREC, PUBREL, PUBCOMP and AUTH are not used.",
            Provenance.DOCUMENTED, "MQTT 3.1.1 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html) and 5.0 specifications; \"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): QoS 2 flows and AUTH unsupported; read 2026-12-02"),
    MQTT_KA_01("MQTT-KA-01", Party.CLIENT, "Keep-alive is within 30..1200 s (0 or more than 1200 becomes 1200, less than 30 becomes 30); the connection is closed after 1.5 x keep-alive without traffic.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): keep-alive 30..1200 s; MQTT 5 reason 0x8D in \"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html); read 2026-12-02"),
    MQTT_CID_01("MQTT-CID-01", Party.CLIENT, "The client ID is at most 128 bytes and does not start with $; an empty one is assigned (MQTT 5 Assigned Client Identifier) or refused (MQTT 3.1.1).",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): client ID size 128 bytes; read 2026-12-02"),
    MQTT_CID_02("MQTT-CID-02", Party.BROKER, "A second connection with the same client ID disconnects the first (MQTT 5 reason 0x8E, lifecycle reason DUPLICATE_CLIENTID).",
            Provenance.DOCUMENTED, "\"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html); lifecycle events (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html): DUPLICATE_CLIENTID; read 2026-12-02"),
    MQTT_QOS_01("MQTT-QOS-01", Party.CLIENT, "QoS is 0 or 1: a QoS 2 PUBLISH closes the connection (MQTT 5: DISCONNECT 0x9B; broker.qos2=drop drops it without a PUBACK instead), and a QoS 2 subscription gets no SUBACK.",
            Provenance.DOCUMENTED, "\"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): QoS 2 not supported (DISCONNECT 0x9B for MQTT 5); github.com/aws/aws-iot-device-sdk-embedded-C/pull/1941 (2025): QoS 2 closed the connection; read 2026-12-02"),
    MQTT_TOPIC_01("MQTT-TOPIC-01", Party.CLIENT, "Topics and filters are at most 256 bytes and 7 slashes, not counting the $aws/rules/<rule-name>/ prefix; violations close the connection (MQTT 5: 0x90 for a topic name, 0x8F for a filter).",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): topic size 256 bytes, 7 slashes; read 2026-12-02"),
    MQTT_TOPIC_02("MQTT-TOPIC-02", Party.CLIENT, "Topics starting with $ are reserved: only the $aws/ topics AWS defines are usable (shadow, jobs, events, rules, defender, tunnels, streams, certificates, provisioning, sitewise, device_location). A filter $share/<group>/<filter> is a shared subscription, in MQTT 3.1.1 and 5: each matching message goes to one member of the group, in turn; a topic name may not start with $share.",
            Provenance.DOCUMENTED, "\"Reserved topics\" (https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html); shared subscriptions in \"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html, section \"Shared subscriptions\"), MQTT 5.0 section 4.8.2 (https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html); round-robin delivery and no persistence of shared subscriptions in a session are INF; read 2026-12-02"),
    MQTT_SUB_01("MQTT-SUB-01", Party.CLIENT, "A SUBSCRIBE carries at most 8 subscriptions.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): 8 subscriptions per SUBSCRIBE; the reply to more is UNV; read 2026-12-02"),
    MQTT_SUB_02("MQTT-SUB-02", Party.CLIENT, "A connection holds at most 50 subscriptions; filters past that get the SUBACK failure code 0x80 and the connection stays open.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): subscriptions per connection 50; the 0x80 answer is INF, consistent with github.com/aws/aws-iot-device-sdk-python discussion 318 (no messages on topics past 50, OBS); read 2026-12-02"),
    MQTT_SIZE_01("MQTT-SIZE-01", Party.CLIENT, "A packet's payload is at most 128 KB.",
            Provenance.DOCUMENTED, "AWS IoT Core endpoints and quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits): payload 128 KB (PAYLOAD_LIMIT_EXCEEDED); github.com/aws/aws-iot-device-sdk-python/issues/21; read 2026-12-02"),
    MQTT_RET_01("MQTT-RET-01", Party.BROKER, "Retained messages: one per topic, not delivered on wildcard subscriptions, a 0-byte payload deletes, none on $ topics.",
            Provenance.DOCUMENTED, "\"MQTT retained messages\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-retain); read 2026-12-02"),
    MQTT_SESS_01("MQTT-SESS-01", Party.BROKER, "Persistent sessions keep subscriptions and QoS 1 messages for the account's session expiry period (1 hour by default, up to 7 days) and replay them on reconnect, at most 10 a second; an MQTT 5 client's Session Expiry Interval is capped at that period. The replay is taken to end when the stored deliveries pause for a second (INF: the back end does not mark them). A restart of this broker is a clean slate (sessions live in memory), where AWS keeps them.",
            Provenance.DOCUMENTED, "\"MQTT persistent sessions\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-persistent-sessions): stored messages, expiry, replay rate; read 2026-12-02"),
    MQTT_V5_01("MQTT-V5-01", Party.BROKER, "The MQTT 5 CONNACK says Maximum QoS 1, Receive Maximum 100, Topic Alias Maximum 8, Maximum Packet Size 128 KB, Retain, Wildcard and Shared Subscriptions available, Subscription Identifiers not (using one gets DISCONNECT 0xA1), and Server Keep Alive, Session Expiry Interval or an Assigned Client Identifier where AWS changed what the client asked.",
            Provenance.DOCUMENTED, "\"MQTT 5 supported features\" and \"MQTT 5 properties\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5); Receive Maximum 100 from the quotas page (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits, in-flight unacknowledged messages); read 2026-12-02"),
    MQTT_AUTHZ_01("MQTT-AUTHZ-01", Party.CLIENT, "Publishes and subscriptions are allowed by the certificate's policy. MQTT 3.1.1: others close the connection; MQTT 5: PUBACK or SUBACK 0x87 (Not authorized) and the connection stays (whether AWS also closes it is UNV).",
            Provenance.DOCUMENTED, "\"AWS IoT Core policies\" (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html) (FORBIDDEN_ACCESS); github.com/aws/aws-iot-device-sdk-js/issues/125 and /191 (MQTT 3.1.1 closes); read 2026-12-02"),
    MQTT_LIFE_01("MQTT-LIFE-01", Party.BROKER, "Connects and disconnects are published to $aws/events/presence/connected|disconnected/<clientId> with AWS's disconnect reasons.",
            Provenance.DOCUMENTED, "\"Lifecycle events\" (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html); read 2026-12-02"),
    HTTP_PUB_01("HTTP-PUB-01", Party.CLIENT, "HTTPS publish is POST /topics/{topic}?qos=0|1 with a client certificate; it reaches MQTT subscribers. A connection without a complete request within the handshake timeout (10 s) of the TLS handshake is closed.",
            Provenance.DOCUMENTED, "\"HTTPS\" (https://docs.aws.amazon.com/iot/latest/developerguide/http.html); read 2026-12-02"),
    HTTP_SIGV4_01("HTTP-SIGV4-01", Party.BROKER, "HTTPS on 443 without a client certificate expects SigV4, which the mock does not emulate: it answers 403.",
            Provenance.PROJECT, "project choice: SigV4 needs AWS credentials (\"HTTPS\", https://docs.aws.amazon.com/iot/latest/developerguide/http.html); the mock says so instead of pretending; read 2026-12-02"),

    // ---- Device services: Shadow, Jobs, fleet provisioning (Device Advisor's second half)
    SVC_SHADOW_01("SVC-SHADOW-01", Party.BROKER, "The Device Shadow service answers get, update and delete on $aws/things/<thing>/shadow[/name/<shadow>]/... with /accepted or /rejected, publishes /update/delta whenever an accepted update leaves desired differing from reported, and /update/documents on every accepted update; version starts at 1 and grows by one per update, an update naming another version is rejected 409, clientToken is echoed, metadata carries per-field timestamps. Limits: 8 KB state document (413), 6 levels of nesting below desired/reported (400), clientToken of at most 64 bytes (400).",
            Provenance.DOCUMENTED, "\"Device Shadow service documents\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-document.html), \"Device Shadow MQTT topics\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-mqtt.html), \"Device Shadow error messages\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-error-messages.html), shadow quotas (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#device-shadow-limits); delta on a reported-only update that leaves a mismatch is OBS (repost.aws question QUx_YtxvdmTFODhuuNd4D_Yw); read 2026-12-02"),
    SVC_SHADOW_02("SVC-SHADOW-02", Party.CLIENT, "A device touches only its own thing's shadows and jobs (the thing named by its client ID) unless its policy allows more.",
            Provenance.INFERRED, "\"Example policies for shadows\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-provision-cloud.html) bind topics to ${iot:Connection.Thing.ThingName}; the default of a mock without a policy file is a PROJECT choice; read 2026-12-02"),
    SVC_JOBS_01("SVC-JOBS-01", Party.BROKER, "The Jobs service answers get, start-next, describe and update on $aws/things/<thing>/jobs/...: start-next moves the next QUEUED execution to IN_PROGRESS; updates may move QUEUED or IN_PROGRESS to IN_PROGRESS, SUCCEEDED, FAILED or REJECTED and nothing else (InvalidStateTransition); an update with expectedVersion other than the execution's versionNumber is rejected VersionMismatch; notify and notify-next are published when the queue changes. Job documents of at most 32 KB.",
            Provenance.DOCUMENTED, "\"Jobs device MQTT API operations\" (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html), \"Job execution states\" (https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs-lifecycle.html), Jobs quotas (https://docs.aws.amazon.com/general/latest/gr/iot_device_management.html); read 2026-12-02"),
    SVC_PROV_01("SVC-PROV-01", Party.BROKER, "Fleet provisioning by claim: $aws/certificates/create/json issues a key and certificate, $aws/certificates/create-from-csr/json signs the device's CSR, each with a certificateOwnershipToken; $aws/provisioning-templates/<template>/provision/json registers the thing the template names and activates the certificate, which the device then connects with. The answers go only to the requesting connection. JSON payloads only (CBOR is rejected).",
            Provenance.DOCUMENTED, "\"Device provisioning MQTT API\" (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html); delivery to the requester only is INF; read 2026-12-02"),
    CLIENT_SHADOW_01("CLIENT-SHADOW-01", Party.CLIENT, "The device reports its state: it publishes a reported section to its shadow's update topic and the update is accepted.",
            Provenance.DOCUMENTED, "Device Advisor shadow tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-shadow.html): \"Publish\" (device publishes its state after it connects) and \"Update\" (reported state); read 2026-12-02"),
    CLIENT_SHADOW_02("CLIENT-SHADOW-02", Party.CLIENT, "The device applies a desired change it is sent on /update/delta: it reports the desired values back, so that the delta clears.",
            Provenance.DOCUMENTED, "Device Advisor shadow tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-shadow.html): \"Update\" validates that the reported state matches the desired state set by the test; read 2026-12-02"),
    CLIENT_SHADOW_03("CLIENT-SHADOW-03", Party.CLIENT, "A device whose shadow update is rejected with 409 (version conflict: the shadow moved on) reads the shadow again before it retries, rather than resending the same update in a loop (at most 3 updates without a read in between), and its update is accepted in the end.",
            Provenance.INFERRED, "\"Device Shadow error messages\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-error-messages.html) and \"Device Shadow service documents\", optimistic locking (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-document.html#device-shadow-document-versioning); the bound of 3 is a PROJECT choice (AWS meters shadow requests per thing: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#device-shadow-limits); read 2026-12-02"),
    CLIENT_JOBS_01("CLIENT-JOBS-01", Party.CLIENT, "The device takes a job (start-next, or notify-next then an update) and reports IN_PROGRESS before it reports SUCCEEDED, FAILED or REJECTED, with an expectedVersion that matches when it sends one.",
            Provenance.DOCUMENTED, "Device Advisor \"Job Execution\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-job-execution.html): the device moves the execution to IN_PROGRESS and then to SUCCEEDED; \"Jobs device MQTT API operations\" (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html); read 2026-12-02"),
    CLIENT_JOBS_02("CLIENT-JOBS-02", Party.CLIENT, "A device that found no pending job listens for one (notify-next or notify) and takes a job queued while it is connected, without reconnecting or polling for it.",
            Provenance.DOCUMENTED, "Device Advisor \"Job Execution\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-job-execution.html) recommends subscribing to notify-next; \"Jobs device MQTT API operations\", JobExecutionsChanged and NextJobExecutionChanged (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html); read 2026-12-02"),
    CLIENT_LONG_01("CLIENT-LONG-01", Party.CLIENT, "Over a long run that strings failures together (server disconnects, an outage in which connects are refused, a dead connection without PINGRESP), the device keeps reconnecting, no sooner than 1 s after a disconnect and without breaking the keep-alive or the connect throttle, and is connected at the end.",
            Provenance.DOCUMENTED, "Device Advisor \"Long duration tests\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-long-duration.html): happy phase, then reconnect backoff, long server disconnect and intermittent connectivity; the compressed schedule is a PROJECT choice; read 2026-12-02"),
    CLIENT_PROV_01("CLIENT-PROV-01", Party.CLIENT, "A device provisioned by claim obtains its own certificate (CreateKeysAndCertificate or CreateCertificateFromCsr), registers it (RegisterThing), and reconnects with it.",
            Provenance.DOCUMENTED, "\"Provisioning by claim\" (https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html#claim-based), \"Device provisioning MQTT API\" (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html); read 2026-12-02"),
    CLIENT_PUBACK_01("CLIENT-PUBACK-01", Party.CLIENT, "The device receives and acknowledges a QoS 1 message with a payload near AWS's 128 KB limit.",
            Provenance.DOCUMENTED, "Device Advisor MQTT tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-mqtt.html): \"MQTT Receive large payload\"/\"PUBACK to QoS 1\" (payloads up to 128 KB); payload limit from the quotas page (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits); read 2026-12-02"),
    CLIENT_POLICY_01("CLIENT-POLICY-01", Party.CLIENT, "The device stays within a least-privilege policy without wildcards: the client IDs, topics and filters it uses are the ones it is given (its task, its thing's reserved topics).",
            Provenance.DOCUMENTED, "Device Advisor permissions and policies test \"Device policies do not contain wildcards\" (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-permissions-policies.html); AWS IoT security best practices, least privilege (https://docs.aws.amazon.com/iot/latest/developerguide/security-best-practices.html); read 2026-12-02"),

    // ---- Client behaviour the suite measures (section 6)
    CLIENT_RETRY_01("CLIENT-RETRY-01", Party.CLIENT, "When no CONNACK comes or the broker refuses, the client keeps retrying with exponential backoff and jitter: at least 5 attempts, an envelope that grows (constant, linear and immediate retries fail; exponential without jitter warns).",
            Provenance.DOCUMENTED, "Device Advisor MQTT tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-mqtt.html): \"Connect jitter retries\" and \"Connect exponential backoff retries\" (at least 5 attempts; strictly exponential without jitter is a warning; constant, linear or immediate fail); \"Retry with backoff\" in AWS IoT Core best practices; FreeRTOS backoffAlgorithm (full jitter); read 2026-12-02. The test: BackoffShape, docs/RULES.md"),
    CLIENT_RETRY_02("CLIENT-RETRY-02", Party.CLIENT, "A QoS 1 PUBLISH without PUBACK, or a SUBSCRIBE without SUBACK, is sent again on the same connection under the same packet identifier (the DUP flag is not required).",
            Provenance.DOCUMENTED, "Device Advisor MQTT tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-mqtt.html): \"QoS1 publish retries - No PUBACK\" and \"Subscribe retries - No SUBACK\" (the resend on the same connection with the same packet identifier); \"MQTT\" (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): the DUP flag is not supported, so it is not required; read 2026-12-02"),
    CLIENT_KA_01("CLIENT-KA-01", Party.CLIENT, "The client sends PINGREQ within its keep-alive, and reconnects when no PINGRESP comes.",
            Provenance.DOCUMENTED, "Device Advisor MQTT tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-mqtt.html): \"Keep-Alive\" and \"No Ping response\"; MQTT 3.1.1 section 3.1.2.10 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html); read 2026-12-02"),
    CLIENT_SESS_01("CLIENT-SESS-01", Party.CLIENT, "When the CONNACK says session present 0 (the persistent session expired, or never carried over), the client subscribes again instead of assuming its old subscriptions.",
            Provenance.DOCUMENTED, "Device Advisor MQTT tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-mqtt.html): \"Persistent session expiry\"; MQTT 3.1.1 section 3.2.2.2 (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html); read 2026-12-02"),
    CLIENT_RECONNECT_01("CLIENT-RECONNECT-01", Party.CLIENT, "After the server disconnects it, the client reconnects no sooner than 1 s later, with growing delays when it happens again, and resumes its persistent session.",
            Provenance.DOCUMENTED, "Device Advisor MQTT tests (https://docs.aws.amazon.com/iot/latest/developerguide/device-advisor-tests-mqtt.html): \"Reconnect backoff on server disconnect\" (a delay of at least 1 s, growing over 5 to 10 disconnects) and \"Persistent session\"; read 2026-12-02");

    private final String id;
    private final Party party;
    private final String statement;
    private final Provenance provenance;
    private final String source;

    /** When the sources in the catalogue were last read against ../shared/reference/aws-iot-rules.md. */
    public static final String SOURCES_READ_ON = "2026-12-02";

    Rule(String id, Party party, String statement, Provenance provenance, String source) {
        this.id = id;
        this.party = party;
        this.statement = statement;
        this.provenance = provenance;
        this.source = source;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** The area prefix of the ID, e.g. {@code TLS} or {@code MQTT}. */
    public String area() {
        return id.substring(0, id.indexOf('-'));
    }

    public Party party() {
        return party;
    }

    public String statement() {
        return statement;
    }

    public Provenance provenance() {
        return provenance;
    }

    public String source() {
        return source;
    }

    @JsonCreator
    public static Rule fromId(String id) {
        return byId(id).orElseThrow(() -> new IllegalArgumentException("no rule has the ID '" + id + "'"));
    }

    public static Optional<Rule> byId(String id) {
        return Arrays.stream(values()).filter(rule -> rule.id.equals(id)).findFirst();
    }

    @Override
    public String toString() {
        return id;
    }
}
