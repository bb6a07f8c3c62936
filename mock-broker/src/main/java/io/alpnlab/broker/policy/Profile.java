package io.alpnlab.broker.policy;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The switches where AWS IoT Core's behaviour changed or is disputed (aws-iot-rules.md). The
 * default profile is AWS as documented in 2022 plus observed behaviour; each switch is documented
 * with its alternative.
 *
 * @param endpointNames accepted SNI values (the ATS endpoint and any custom domains)
 * @param sni whether SNI is required (2022 docs) or only recommended (current docs)
 * @param alpn how an unknown ALPN name on the 443 listener is treated
 * @param registryCheck where an unregistered or inactive device certificate is refused
 * @param unauthorizedConnect what an unauthorized MQTT CONNECT gets
 * @param securityPolicy the endpoint's TLS security policy
 * @param maxClientHelloBytes the largest ClientHello (and any other client handshake message) accepted
 * @param mfl whether the client's max_fragment_length is ignored (AWS) or honoured
 * @param alpn8883 whether an x-amzn-mqtt-ca offered on the 8883 listener is selected (echoed) or not
 * @param clientCertExpiry whether a device certificate outside its validity period is refused (unverified at AWS)
 * @param qos2 what a QoS 2 PUBLISH gets: the connection closed (AWS today) or a silent drop (older behaviour)
 * @param quotas whether AWS's per-client throttles (CONNECTs per client ID, publishes per connection) are
 *     enforced or only flagged
 */
public record Profile(
        List<String> endpointNames,
        SniMode sni,
        AlpnMode alpn,
        RegistryCheck registryCheck,
        UnauthorizedConnect unauthorizedConnect,
        SecurityPolicy securityPolicy,
        int maxClientHelloBytes,
        MflMode mfl,
        Alpn8883Mode alpn8883,
        ClientCertExpiry clientCertExpiry,
        Qos2Mode qos2,
        Quotas quotas) {

    /**
     * The largest handshake message accepted from a client: far above any real ClientHello
     * (post-quantum key shares included) and any device certificate chain, half of BC's own default.
     */
    public static final int DEFAULT_MAX_CLIENT_HELLO_BYTES = 16384;

    public enum SniMode {
        /** 2022 docs: "Connection attempts that don't include the SNI are refused" (default). */
        REQUIRED,
        /** Current docs: SNI recommended, not required; a wrong name is still refused. */
        LENIENT
    }

    public enum AlpnMode {
        /** Observed: an unknown name is ignored, no ALPN selected, no CertificateRequest (default). */
        OBSERVED,
        /** An unknown name is answered with the fatal alert no_application_protocol. */
        STRICT
    }

    public enum MflMode {
        /**
         * AWS (staff answer in aws-iot-device-sdk-embedded-C issue 81, embedded-C pull request 1325): the
         * extension is neither echoed nor applied; records go up to 16 KB whatever the client asked (default).
         */
        IGNORE,
        /** RFC 6066 section 4: echoed and applied, as many other brokers do. */
        HONOUR
    }

    public enum Alpn8883Mode {
        /**
         * Not selected: whether AWS echoes a name offered on 8883 is unverified, and a client that offered
         * ALPN must cope with none selected (RFC 7301 section 3.2), so this exposes more (default).
         */
        NO_ECHO,
        /** x-amzn-mqtt-ca offered on 8883 is selected, as the 443 listener does. */
        ECHO
    }

    public enum Qos2Mode {
        /**
         * The connection is closed, with DISCONNECT 0x9B (QoS not supported) for MQTT 5: AWS's MQTT page lists
         * 0x9B, and aws-iot-device-sdk-embedded-C pull request 1941 (2025) saw a QoS 2 publish close it (default).
         */
        CLOSE,
        /** The PUBLISH is dropped without an answer and the connection stays, as this broker did before 2026-12. */
        DROP
    }

    public enum Quotas {
        /**
         * As the quotas page says: a CONNECT less than a second after the previous one for its client ID is
         * refused, and publishes past 100 or 512 KiB per second on a connection are discarded (default).
         */
        ENFORCE,
        /** Only flagged, as warnings in the connection record: everything is served, for load tests. */
        FLAG
    }

    public enum ClientCertExpiry {
        /**
         * Refused, as every X.509 verifier does (RFC 5280 section 6.1.3); AWS does not document it for
         * device certificates, so this is the stricter guess: no false PASS (default).
         */
        REFUSE,
        /** Accepted with a warning, for checking a device whose clock or certificate is known to be off. */
        ACCEPT
    }

    public enum RegistryCheck {
        /** 2024 observation: TLS completes, the MQTT CONNECT is refused (default). */
        AFTER_HANDSHAKE,
        /** 2017 observation: the handshake is aborted with certificate_unknown. */
        IN_HANDSHAKE
    }

    public enum UnauthorizedConnect {
        /** Observed: a 3.1.1 connection is closed without CONNACK; MQTT 5 gets CONNACK 0x87, as documented (default). */
        CLOSE,
        /** MQTT 3.1.1 standard: CONNACK return code 5 (not authorized). */
        CONNACK_5,
        /** 2022 docs: CONNACK return code 7, which is not an MQTT 3.1.1 code. */
        CONNACK_7
    }

    public Profile {
        endpointNames = List.copyOf(endpointNames);
        if (endpointNames.isEmpty()) {
            throw new IllegalArgumentException("at least one endpoint name is needed");
        }
        Objects.requireNonNull(sni);
        Objects.requireNonNull(alpn);
        Objects.requireNonNull(registryCheck);
        Objects.requireNonNull(unauthorizedConnect);
        Objects.requireNonNull(securityPolicy);
        Objects.requireNonNull(mfl);
        Objects.requireNonNull(alpn8883);
        Objects.requireNonNull(clientCertExpiry);
        Objects.requireNonNull(qos2);
        Objects.requireNonNull(quotas);
        if (maxClientHelloBytes < 512 || maxClientHelloBytes > 32768) {
            throw new IllegalArgumentException("maxClientHelloBytes must be within 512..32768, got " + maxClientHelloBytes);
        }
    }

    public static Profile awsDefault(List<String> endpointNames) {
        return new Profile(endpointNames, SniMode.REQUIRED, AlpnMode.OBSERVED, RegistryCheck.AFTER_HANDSHAKE,
                UnauthorizedConnect.CLOSE, SecurityPolicy.DEFAULT, DEFAULT_MAX_CLIENT_HELLO_BYTES, MflMode.IGNORE,
                Alpn8883Mode.NO_ECHO, ClientCertExpiry.REFUSE, Qos2Mode.CLOSE, Quotas.ENFORCE);
    }

    /**
     * This profile with one switch changed: a {@link SniMode}, {@link AlpnMode}, {@link RegistryCheck},
     * {@link UnauthorizedConnect} or {@link SecurityPolicy} value replaces the one of its type.
     */
    public Profile with(Enum<?> value) {
        Objects.requireNonNull(value);
        if (!SWITCH_TYPES.contains(value.getDeclaringClass())) {
            throw new IllegalArgumentException(value.getDeclaringClass().getSimpleName() + " is not a profile switch");
        }
        return new Profile(endpointNames, value instanceof SniMode v ? v : sni, value instanceof AlpnMode v ? v : alpn,
                value instanceof RegistryCheck v ? v : registryCheck,
                value instanceof UnauthorizedConnect v ? v : unauthorizedConnect,
                value instanceof SecurityPolicy v ? v : securityPolicy, maxClientHelloBytes, value instanceof MflMode v ? v : mfl,
                value instanceof Alpn8883Mode v ? v : alpn8883, value instanceof ClientCertExpiry v ? v : clientCertExpiry,
                value instanceof Qos2Mode v ? v : qos2, value instanceof Quotas v ? v : quotas);
    }

    /**
     * This profile with one switch changed by its setting name, as the command line, the {@code broker.*}
     * properties and the control endpoint write it ({@code sni}, {@code registry-check} or {@code registryCheck}, ...).
     */
    public Profile withSwitch(String setting, String value) {
        Objects.requireNonNull(value, setting);
        // "broker.registry-check" (settings) and "registryCheck" (control endpoint JSON) name the same switch.
        String name = setting.substring(setting.lastIndexOf('.') + 1).replaceAll("([a-z])([A-Z])", "$1-$2")
                .toLowerCase(Locale.ROOT);
        return with(switch (name) {
            case "sni" -> parseSwitch(SniMode.class, setting, value);
            case "alpn" -> parseSwitch(AlpnMode.class, setting, value);
            case "registry-check" -> parseSwitch(RegistryCheck.class, setting, value);
            case "unauthorized-connect" -> parseSwitch(UnauthorizedConnect.class, setting, value);
            case "mfl" -> parseSwitch(MflMode.class, setting, value);
            case "alpn-8883" -> parseSwitch(Alpn8883Mode.class, setting, value);
            case "client-cert-expiry" -> parseSwitch(ClientCertExpiry.class, setting, value);
            case "qos2" -> parseSwitch(Qos2Mode.class, setting, value);
            case "quotas" -> parseSwitch(Quotas.class, setting, value);
            case "security-policy" -> {
                try {
                    yield SecurityPolicy.fromAwsName(value);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(setting + "='" + value + "': " + e.getMessage(), e);
                }
            }
            default -> throw new IllegalArgumentException("unknown profile switch '" + setting + "' (known: " + SWITCHES + ")");
        });
    }

    /** Every switch's setting name and value as {@link #withSwitch} reads it, e.g. {@code sni=required}, in order. */
    public java.util.Map<String, String> switches() {
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (Enum<?> value : List.<Enum<?>>of(sni, alpn, registryCheck, unauthorizedConnect, securityPolicy, mfl, alpn8883,
                clientCertExpiry, qos2, quotas)) {
            String setting = SWITCHES.get(values.size());
            values.put(setting, value instanceof SecurityPolicy policy ? policy.awsName()
                    : value.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return values;
    }

    /** The switches {@link #withSwitch} knows, by setting name. */
    public static final List<String> SWITCHES = List.of("sni", "alpn", "registry-check", "unauthorized-connect",
            "security-policy", "mfl", "alpn-8883", "client-cert-expiry",
            "qos2", "quotas");

    private static final java.util.Set<Class<?>> SWITCH_TYPES = java.util.Set.of(SniMode.class, AlpnMode.class,
            RegistryCheck.class, UnauthorizedConnect.class, SecurityPolicy.class, MflMode.class, Alpn8883Mode.class,
            ClientCertExpiry.class, Qos2Mode.class, Quotas.class);

    public Profile withMaxClientHelloBytes(int value) {
        return new Profile(endpointNames, sni, alpn, registryCheck, unauthorizedConnect, securityPolicy, value, mfl, alpn8883,
                clientCertExpiry, qos2, quotas);
    }

    public boolean isEndpoint(String serverName) {
        return endpointNames.stream().anyMatch(name -> name.equalsIgnoreCase(serverName));
    }

    /** Parses a switch value written in lower case with dashes, e.g. {@code after-handshake}. */
    public static <E extends Enum<E>> E parseSwitch(Class<E> type, String setting, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            List<String> allowed = java.util.Arrays.stream(type.getEnumConstants())
                    .map(constant -> constant.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList();
            throw new IllegalArgumentException(setting + ": '" + value + "' is not one of " + allowed, e);
        }
    }
}
