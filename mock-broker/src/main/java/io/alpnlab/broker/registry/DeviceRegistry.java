package io.alpnlab.broker.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.alpnlab.certs.Pem;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device certificate registry: as at AWS, trust comes from registration, not from the chain.
 * Changeable at run time (the control endpoint and tests do); lookups are lock-free.
 *
 * <p>File format ({@code registry.json}):
 * <pre>{@code
 * {"devices": [
 *    {"certificateFile": "device.cert.pem", "status": "ACTIVE", "thingName": "my-thing",
 *     "policy": {"connect": ["${iot:Connection.Thing.ThingName}"], "publish": ["sensors/*"], "subscribe": ["*"]}},
 *    {"fingerprint": "<sha-256 hex>", "status": "INACTIVE"}],
 *  "customAuthorizers": [{"name": "my-authorizer", "username": "device", "password": "secret"}]}
 * }</pre>
 * Relative certificate paths are resolved against the file's folder. A folder instead of a file
 * registers every {@code *.cert.pem} in it as ACTIVE, then applies {@code registry.json} if present.
 */
public final class DeviceRegistry {

    /** A custom authorizer's accepted credentials, for MQTT on ALPN {@code mqtt}. */
    public record CustomAuthorizer(String name, String username, String password) {
    }

    private final Map<String, RegisteredDevice> devices = new ConcurrentHashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(DeviceRegistry.class);
    private final List<CustomAuthorizer> authorizers = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Optional<RegisteredDevice> lookup(String fingerprint) {
        return Optional.ofNullable(devices.get(fingerprint));
    }

    public Collection<RegisteredDevice> devices() {
        return List.copyOf(devices.values());
    }

    /**
     * Registers a certificate, as AWS's RegisterCertificate does; like AWS it refuses an RSA key under
     * 2048 bits (TLS-CERT-04), naming the rule.
     */
    public RegisteredDevice register(X509Certificate certificate, DeviceStatus status) {
        if (certificate.getPublicKey() instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < ConnectionPolicy.MINIMUM_RSA_BITS) {
            throw new IllegalArgumentException("certificate " + certificate.getSubjectX500Principal() + " has an RSA "
                    + rsa.getModulus().bitLength() + "-bit key: AWS refuses to register RSA keys under "
                    + ConnectionPolicy.MINIMUM_RSA_BITS + " bits (TLS-CERT-04)");
        }
        return register(new RegisteredDevice(Pem.sha256Fingerprint(certificate), status, null, DevicePolicy.ALLOW_ALL));
    }

    public RegisteredDevice register(RegisteredDevice device) {
        devices.put(device.fingerprint(), device);
        return device;
    }

    /** Changes a registered certificate's status; an unknown fingerprint is an error naming it. */
    public RegisteredDevice setStatus(String fingerprint, DeviceStatus status) {
        RegisteredDevice updated = devices.computeIfPresent(fingerprint, (key, device) -> device.withStatus(status));
        if (updated == null) {
            throw new IllegalArgumentException("no registered certificate has fingerprint " + fingerprint);
        }
        return updated;
    }

    public boolean deregister(String fingerprint) {
        return devices.remove(fingerprint) != null;
    }

    public List<CustomAuthorizer> customAuthorizers() {
        return List.copyOf(authorizers);
    }

    public void addCustomAuthorizer(CustomAuthorizer authorizer) {
        authorizers.add(authorizer);
    }

    /** The MQTT username parameter that names the custom authorizer (AWS's custom authentication page). */
    public static final String AUTHORIZER_NAME_PARAMETER = "x-amz-customauthorizer-name";

    /**
     * Whether a custom-auth CONNECT is accepted, read as AWS reads it: the username may carry a query
     * string ({@code device?x-amz-customauthorizer-name=my-authorizer&token=...}); the named authorizer
     * decides, or the default one (the first configured) when none is named. The mock's authorizers
     * accept one username (the part before {@code ?}) and password, where AWS calls a Lambda with the
     * password base64-encoded.
     */
    public Optional<CustomAuthorizer> authorize(String username, String password) {
        if (username == null || authorizers.isEmpty()) {
            return Optional.empty();
        }
        int query = username.indexOf('?');
        String user = query < 0 ? username : username.substring(0, query);
        String named = query < 0 ? null : queryParameters(username.substring(query + 1)).get(AUTHORIZER_NAME_PARAMETER);
        CustomAuthorizer authorizer = named == null ? authorizers.get(0)
                : authorizers.stream().filter(candidate -> candidate.name().equals(named)).findFirst().orElse(null);
        return authorizer != null && authorizer.username().equals(user) && authorizer.password().equals(password)
                ? Optional.of(authorizer) : Optional.empty();
    }

    /** The name=value pairs of a username's query string, URL-decoded. */
    static Map<String, String> queryParameters(String query) {
        Map<String, String> parameters = new java.util.LinkedHashMap<>();
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                parameters.put(java.net.URLDecoder.decode(pair.substring(0, equals), java.nio.charset.StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(pair.substring(equals + 1), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return parameters;
    }

    /** Loads a registry file or folder (see the class comment) into this registry. */
    public void load(Path path) {
        if (Files.isDirectory(path)) {
            try (DirectoryStream<Path> certificates = Files.newDirectoryStream(path, "*.cert.pem")) {
                for (Path file : certificates) {
                    try {
                        register(Pem.readCertificates(file).get(0), DeviceStatus.ACTIVE);
                    } catch (IllegalArgumentException refused) {
                        // Left unregistered, as at AWS: connecting with it shows the device what happens then.
                        LOG.warn("{}: not registered: {}", file, refused.getMessage());
                    }
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(path + ": cannot list the folder (" + e.getMessage() + ")", e);
            }
            Path file = path.resolve("registry.json");
            if (Files.exists(file)) {
                loadFile(file);
            }
        } else if (Files.isRegularFile(path)) {
            loadFile(path);
        } else {
            throw new IllegalArgumentException(path + ": no such registry file or folder");
        }
    }

    private void loadFile(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        List<RegisteredDevice> loaded = new ArrayList<>();
        int index = 0;
        for (JsonNode entry : root.path("devices")) {
            String where = file + ": devices[" + index++ + "]";
            String fingerprint;
            if (entry.hasNonNull("certificateFile")) {
                Path certificate = file.toAbsolutePath().getParent().resolve(entry.get("certificateFile").asText());
                fingerprint = Pem.sha256Fingerprint(Pem.readCertificates(certificate).get(0));
            } else if (entry.hasNonNull("fingerprint")) {
                fingerprint = entry.get("fingerprint").asText().toLowerCase(java.util.Locale.ROOT).replace(":", "");
            } else {
                throw new IllegalArgumentException(where + ": needs certificateFile or fingerprint");
            }
            DeviceStatus status;
            try {
                status = DeviceStatus.valueOf(entry.path("status").asText("ACTIVE"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": status '" + entry.path("status").asText()
                        + "' is not one of " + List.of(DeviceStatus.values()), e);
            }
            DevicePolicy policy = DevicePolicy.ALLOW_ALL;
            if (entry.has("policy")) {
                JsonNode node = entry.get("policy");
                policy = new DevicePolicy(strings(node.path("connect"), where), strings(node.path("publish"), where),
                        strings(node.path("subscribe"), where));
            }
            try {
                loaded.add(new RegisteredDevice(fingerprint, status, entry.path("thingName").asText(null), policy));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        List<CustomAuthorizer> loadedAuthorizers = new ArrayList<>();
        for (JsonNode entry : root.path("customAuthorizers")) {
            if (!entry.hasNonNull("username") || !entry.hasNonNull("password")) {
                throw new IllegalArgumentException(file + ": every custom authorizer needs username and password");
            }
            loadedAuthorizers.add(new CustomAuthorizer(entry.path("name").asText("authorizer"),
                    entry.get("username").asText(), entry.get("password").asText()));
        }
        // All or nothing: a file with an error changes nothing.
        loaded.forEach(this::register);
        authorizers.addAll(loadedAuthorizers);
    }

    private static List<String> strings(JsonNode node, String where) {
        if (node.isMissingNode()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(where + ": policy lists must be JSON arrays of strings");
        }
        List<String> values = new ArrayList<>();
        node.forEach(value -> values.add(value.asText()));
        return values;
    }
}
