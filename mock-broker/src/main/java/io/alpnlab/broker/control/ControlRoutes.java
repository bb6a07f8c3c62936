package io.alpnlab.broker.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.registry.DeviceStatus;
import io.alpnlab.broker.registry.RegisteredDevice;
import io.alpnlab.certs.Pem;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the control endpoint does, as a table of routes: each one a method and a path (a trailing
 * {@code *} takes the rest of the path as its argument) and what it answers. Request bodies are
 * bound to records by Jackson, which refuses unknown fields, so a typo is an error, not a no-op.
 */
final class ControlRoutes {

    /** A request the endpoint refuses, with the status and the reason. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final HttpResponseStatus status;

        BadRequest(HttpResponseStatus status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** At most this many one-shot plans can be queued by one request. */
    static final int MAX_QUEUED_PER_REQUEST = 10_000;

    record Registration(String certificatePem, String status, String thingName) {
    }

    record StatusChange(String status) {
    }

    record MisbehaviourList(List<String> misbehaviours) {
    }

    record NextConnections(String listener, Integer count, List<String> misbehaviours) {
    }

    @FunctionalInterface
    private interface Route {
        Object answer(String argument, QueryStringDecoder uri, String body);
    }

    private final BrokerContext broker;
    private final Map<String, Route> routes;

    ControlRoutes(BrokerContext broker) {
        this.broker = broker;
        this.routes = Map.ofEntries(
                Map.entry("GET /health", (argument, uri, body) -> health()),
                Map.entry("GET /connections", (argument, uri, body) -> broker.recorder().recordsAfter(after(uri))),
                Map.entry("DELETE /connections", (argument, uri, body) -> done(broker.recorder()::clear)),
                Map.entry("GET /registry", (argument, uri, body) -> broker.registry().devices()),
                Map.entry("POST /registry", (argument, uri, body) -> register(bind(body, Registration.class))),
                Map.entry("PUT /registry/*", (argument, uri, body) -> setStatus(argument, bind(body, StatusChange.class))),
                Map.entry("GET /behaviours", (argument, uri, body) -> behaviours()),
                Map.entry("DELETE /behaviours", (argument, uri, body) -> done(broker.plan()::reset)),
                Map.entry("PUT /behaviours/defaults", (argument, uri, body) -> done(() -> broker.plan().setDefaults(
                        Misbehaviours.parse(required(bind(body, MisbehaviourList.class).misbehaviours(), "misbehaviours"))))),
                Map.entry("POST /behaviours/next", (argument, uri, body) -> queue(bind(body, NextConnections.class))),
                Map.entry("PUT /profile", (argument, uri, body) -> profile(body)),
                Map.entry("GET /things/*", (argument, uri, body) -> readThing(argument, uri)),
                Map.entry("PUT /things/*", (argument, uri, body) -> writeThing(argument, uri, body)));
    }

    Object handle(HttpMethod method, QueryStringDecoder uri, String body) {
        String path = uri.path();
        Route exact = routes.get(method + " " + path);
        if (exact != null) {
            return exact.answer(null, uri, body);
        }
        for (Map.Entry<String, Route> route : routes.entrySet()) {
            String key = route.getKey();
            String prefix = key.substring(0, key.length() - 1);
            if (key.endsWith("*") && (method + " " + path).startsWith(prefix)) {
                return route.getValue().answer((method + " " + path).substring(prefix.length()), uri, body);
            }
        }
        throw new BadRequest(HttpResponseStatus.NOT_FOUND, "no " + method + " " + path + " here; see GET /health, /connections,"
                + " /registry, /behaviours, /things/<thing>/shadow, /things/<thing>/jobs/<jobId>");
    }

    /**
     * {@code <thing>/shadow} (the document; {@code ?name=} for a named shadow) or {@code <thing>/jobs/<jobId>} (the
     * execution and the statuses it went through).
     */
    private JsonNode readThing(String argument, QueryStringDecoder uri) {
        String[] parts = argument.split("/", -1);
        if (parts.length == 2 && parts[1].equals("shadow")) {
            String document = broker.services().shadows().document(parts[0], shadowName(uri)).orElseThrow(() ->
                    new BadRequest(HttpResponseStatus.NOT_FOUND, "no shadow" + (shadowName(uri).isEmpty() ? "" : " '"
                            + shadowName(uri) + "'") + " for the thing " + parts[0]));
            return document(document);
        }
        if (parts.length == 3 && parts[1].equals("jobs")) {
            String execution = broker.services().jobs().execution(parts[0], parts[2]).orElseThrow(() ->
                    new BadRequest(HttpResponseStatus.NOT_FOUND, "no job " + parts[2] + " for the thing " + parts[0]));
            ObjectNode answer = (ObjectNode) document(execution);
            ArrayNode history = answer.putArray("history");
            broker.services().jobs().history(parts[0], parts[2]).forEach(history::add);
            return answer;
        }
        throw new BadRequest(HttpResponseStatus.NOT_FOUND, "GET /things/<thing>/shadow or /things/<thing>/jobs/<jobId>");
    }

    /** {@code <thing>/shadow/desired} sets desired state (the body); {@code <thing>/jobs/<jobId>} queues a job (the body is its document). */
    private JsonNode writeThing(String argument, QueryStringDecoder uri, String body) {
        String[] parts = argument.split("/", -1);
        try {
            if (parts.length == 3 && parts[1].equals("shadow") && parts[2].equals("desired")) {
                broker.services().setDesired(parts[0], shadowName(uri), body);
                return document(broker.services().shadows().document(parts[0], shadowName(uri)).orElseThrow());
            }
            if (parts.length == 3 && parts[1].equals("jobs")) {
                broker.services().createJob(parts[0], parts[2], body);
                return document(broker.services().jobs().execution(parts[0], parts[2]).orElseThrow());
            }
        } catch (IllegalArgumentException e) {
            throw new BadRequest(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
        throw new BadRequest(HttpResponseStatus.NOT_FOUND, "PUT /things/<thing>/shadow/desired or /things/<thing>/jobs/<jobId>");
    }

    private static String shadowName(QueryStringDecoder uri) {
        List<String> name = uri.parameters().get("name");
        return name == null || name.isEmpty() ? "" : name.get(0);
    }

    private static JsonNode document(String json) {
        try {
            return ConnectionRecorder.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the services wrote a document that is not JSON", e);
        }
    }

    private ObjectNode health() {
        ObjectNode health = ConnectionRecorder.JSON.createObjectNode();
        health.put("status", "ok");
        health.put("openConnections", broker.openConnections());
        health.put("retainedRecordBytes", broker.recorder().retainedBytes());
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        ObjectNode memory = health.putObject("heap");
        memory.put("usedBytes", heap.getUsed());
        memory.put("committedBytes", heap.getCommitted());
        memory.put("maxBytes", heap.getMax());
        ObjectNode verdicts = health.putObject("verdicts");
        broker.recorder().verdictTally().forEach(verdicts::put);
        return health;
    }

    private RegisteredDevice register(Registration registration) {
        X509Certificate certificate = certificate(required(registration.certificatePem(), "certificatePem"));
        DeviceStatus status = status(registration.status() == null ? "ACTIVE" : registration.status());
        return broker.registry().register(new RegisteredDevice(Pem.sha256Fingerprint(certificate), status,
                registration.thingName(), DevicePolicy.ALLOW_ALL));
    }

    private RegisteredDevice setStatus(String fingerprint, StatusChange change) {
        DeviceStatus status = status(required(change.status(), "status"));
        try {
            return broker.registry().setStatus(fingerprint.toLowerCase(Locale.ROOT), status);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(HttpResponseStatus.NOT_FOUND, e.getMessage());
        }
    }

    private ObjectNode behaviours() {
        ObjectNode state = ConnectionRecorder.JSON.createObjectNode();
        state.set("profile", ConnectionRecorder.JSON.valueToTree(broker.profile()));
        ArrayNode defaults = state.putArray("defaults");
        broker.plan().defaults().describe().forEach(defaults::add);
        state.put("queuedOneShots", broker.plan().queuedCount());
        return state;
    }

    private ObjectNode queue(NextConnections next) {
        int count = next.count() == null ? 1 : next.count();
        if (count < 1 || count > MAX_QUEUED_PER_REQUEST) {
            throw new IllegalArgumentException("count must be within 1.." + MAX_QUEUED_PER_REQUEST + ", got " + count);
        }
        ListenerRole role = next.listener() == null ? null : ListenerRole.fromRoleName(next.listener());
        Misbehaviours misbehaviours = Misbehaviours.parse(required(next.misbehaviours(), "misbehaviours"));
        return done(() -> broker.plan().forNextConnections(role, count, misbehaviours));
    }

    /** Any subset of the profile's switches, by their JSON names ({@code sni}, {@code registryCheck}, ...). */
    private Profile profile(String body) {
        JsonNode node = parse(body);
        Profile profile = broker.profile();
        for (var fields = node.fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getValue().isTextual()) {
                throw new IllegalArgumentException("profile switch '" + field.getKey() + "' must be a string");
            }
            profile = profile.withSwitch(field.getKey(), field.getValue().asText());
        }
        broker.setProfile(profile);
        return profile;
    }

    private static ObjectNode done(Runnable action) {
        action.run();
        ObjectNode ok = ConnectionRecorder.JSON.createObjectNode();
        ok.put("status", "ok");
        return ok;
    }

    private static long after(QueryStringDecoder uri) {
        List<String> values = uri.parameters().get("after");
        if (values == null) {
            return 0;
        }
        try {
            return Long.parseLong(values.get(0));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'after' must be a number, got '" + values.get(0) + "'", e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode node = ConnectionRecorder.JSON.readTree(body.isBlank() ? "{}" : body);
            if (!node.isObject()) {
                throw new IllegalArgumentException("the request body must be a JSON object");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the request body is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static <T> T bind(String body, Class<T> type) {
        try {
            return ConnectionRecorder.JSON.readerFor(type).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(parse(body));
        } catch (java.io.IOException e) {
            String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException json ? json.getOriginalMessage()
                    : e.getMessage();
            throw new IllegalArgumentException("bad request body: " + message, e);
        }
    }

    private static <T> T required(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return value;
    }

    private static DeviceStatus status(String text) {
        try {
            return DeviceStatus.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("status '" + text + "' is not one of " + List.of(DeviceStatus.values()), e);
        }
    }

    private static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalArgumentException("certificatePem is not a PEM certificate: " + e.getMessage(), e);
        }
    }
}
