package io.alpnlab.broker.services;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * AWS IoT's Device Shadow service, classic and named shadows, as its MQTT topics and documents
 * describe it (SVC-SHADOW-01): desired, reported and delta, versions with optimistic locking,
 * per-field metadata timestamps, clientToken echoed, AWS's error codes and limits. In memory; one
 * lock for all shadows (requests are few and small).
 */
public final class Shadows {

    /** AWS's limit on a shadow's state document (desired plus reported), in bytes. */
    public static final int MAX_STATE_BYTES = 8 * 1024;
    /** Levels of nesting AWS allows below desired and reported. */
    public static final int MAX_DEPTH = 6;
    /** AWS's limit on a clientToken, in bytes. */
    public static final int MAX_CLIENT_TOKEN_BYTES = 64;

    static final String PREFIX = "$aws/things/";

    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock;
    private final Map<String, Shadow> shadows = new HashMap<>();
    /** Updates a device may send after a 409 without reading the shadow again before it counts as a loop. */
    static final int UPDATES_WITHOUT_READ = 3;
    /** Things whose shadow "moved on" for the device until it reads it again, with the updates rejected so far. */
    private final Map<String, Integer> staleUntilRead = new HashMap<>();
    /** Things whose device read the shadow after a forced conflict, with the updates that were rejected. */
    private final Map<String, Integer> recovering = new HashMap<>();

    public Shadows(Clock clock) {
        this.clock = clock;
    }

    /** One shadow: its state sections (null when absent), their metadata, and its version. */
    private static final class Shadow {
        ObjectNode desired;
        ObjectNode reported;
        ObjectNode desiredMetadata;
        ObjectNode reportedMetadata;
        long version;
        /** The version of a deleted shadow, which a new one continues (AWS keeps it 48 hours). */
        long deletedVersion;
        boolean exists;
    }

    /** A shadow request topic, parsed: thing, shadow name (empty for the classic shadow), operation. */
    record Address(String thing, String shadowName, String operation) {

        String base() {
            return PREFIX + thing + "/shadow" + (shadowName.isEmpty() ? "" : "/name/" + shadowName);
        }

        String key() {
            return thing + "\u0000" + shadowName;
        }

        String describe() {
            return shadowName.isEmpty() ? "the classic shadow of " + thing : "shadow '" + shadowName + "' of " + thing;
        }
    }

    /** The request a topic makes ({@code .../shadow[/name/<n>]/get|update|delete}), or empty for any other topic. */
    static Optional<Address> request(String topic) {
        if (!topic.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] levels = topic.substring(PREFIX.length()).split("/", -1);
        if (levels.length == 3 && levels[1].equals("shadow") && isOperation(levels[2])) {
            return Optional.of(new Address(levels[0], "", levels[2]));
        }
        if (levels.length == 5 && levels[1].equals("shadow") && levels[2].equals("name") && !levels[3].isEmpty()
                && isOperation(levels[4])) {
            return Optional.of(new Address(levels[0], levels[3], levels[4]));
        }
        return Optional.empty();
    }

    private static boolean isOperation(String level) {
        return level.equals("get") || level.equals("update") || level.equals("delete");
    }

    /** Answers one request; {@code requester} is the client ID, for the client rules' checks. */
    synchronized ServiceEvent handle(Address address, byte[] payload, String requester) {
        return switch (address.operation()) {
            case "get" -> get(address, payload);
            case "delete" -> delete(address, payload);
            default -> update(address, payload, requester, false);
        };
    }

    private ServiceEvent get(Address address, byte[] payload) {
        readAgain(address.thing());
        String token = tokenOf(payload);
        Shadow shadow = shadows.get(address.key());
        String base = address.base() + "/get";
        if (shadow == null || !shadow.exists) {
            return noSuchShadow(base, address, token, "get");
        }
        ObjectNode document = withDelta(shadow);
        document.put("timestamp", now());
        putToken(document, token);
        return new ServiceEvent(List.of(ServiceReply.toSubscribers(base + "/accepted", document.toString())),
                List.of(Check.applied(Rule.SVC_SHADOW_01, "get of " + address.describe() + " accepted (version " + shadow.version + ")")));
    }

    private ServiceEvent delete(Address address, byte[] payload) {
        String token = tokenOf(payload);
        Shadow shadow = shadows.get(address.key());
        String base = address.base() + "/delete";
        if (shadow == null || !shadow.exists) {
            return noSuchShadow(base, address, token, "delete");
        }
        shadow.exists = false;
        shadow.deletedVersion = shadow.version;
        shadow.desired = null;
        shadow.reported = null;
        ObjectNode document = json.createObjectNode();
        document.put("version", shadow.version);
        document.put("timestamp", now());
        putToken(document, token);
        return new ServiceEvent(List.of(ServiceReply.toSubscribers(base + "/accepted", document.toString())),
                List.of(Check.applied(Rule.SVC_SHADOW_01, "delete of " + address.describe() + " accepted (version " + shadow.version
                        + ")")));
    }

    /**
     * An update: a device's request, or the operator's ({@code operator} true), which the client rules do
     * not count. Null values delete fields, a null section deletes the section, objects merge, anything
     * else (arrays included) replaces.
     */
    private ServiceEvent update(Address address, byte[] payload, String requester, boolean operator) {
        String base = address.base() + "/update";
        ObjectNode request;
        try {
            JsonNode parsed = json.readTree(payload);
            if (!(parsed instanceof ObjectNode object)) {
                return rejected(base, 400, "Invalid JSON", null, "update of " + address.describe() + ": 400, not a JSON object");
            }
            request = object;
        } catch (java.io.IOException e) {
            return rejected(base, 400, "Invalid JSON", null, "update of " + address.describe() + ": 400, invalid JSON");
        }
        String token = textOrNull(request.get("clientToken"));
        if (token != null && token.getBytes(StandardCharsets.UTF_8).length > MAX_CLIENT_TOKEN_BYTES) {
            return rejected(base, 400, "Invalid clientToken", null, "update of " + address.describe() + ": 400, clientToken over "
                    + MAX_CLIENT_TOKEN_BYTES + " bytes");
        }
        JsonNode stateNode = request.get("state");
        if (stateNode == null || !stateNode.isObject()) {
            return rejected(base, 400, stateNode == null ? "Missing required node: state" : "State node must be an object", token,
                    "update of " + address.describe() + ": 400, no state object");
        }
        ObjectNode state = (ObjectNode) stateNode;
        for (Iterator<String> names = state.fieldNames(); names.hasNext();) {
            String section = names.next();
            if (!section.equals("desired") && !section.equals("reported")) {
                return rejected(base, 400, "State contains an invalid node: '" + section + "'", token, "update of "
                        + address.describe() + ": 400, state section '" + section + "'");
            }
            JsonNode value = state.get(section);
            if (!value.isNull() && !value.isObject()) {
                return rejected(base, 400, section + " node must be an object", token, "update of " + address.describe()
                        + ": 400, " + section + " is no object");
            }
            if (depth(value) > MAX_DEPTH) {
                return rejected(base, 400, "JSON contains too many levels of nesting; maximum is " + MAX_DEPTH, token,
                        "update of " + address.describe() + ": 400, " + section + " nested deeper than " + MAX_DEPTH);
            }
        }
        Shadow shadow = shadows.computeIfAbsent(address.key(), key -> new Shadow());
        JsonNode version = request.get("version");
        long current = shadow.exists ? shadow.version : shadow.deletedVersion;
        List<Check> loopChecks = new ArrayList<>();
        boolean forced = !operator && forcedConflict(address.thing(), requester, loopChecks);
        if (forced || version != null && version.canConvertToLong() && version.asLong() != current) {
            String detail = forced ? "a version conflict the case forces (another writer updated the shadow first)"
                    : "version " + version.asLong() + " named, the shadow is at " + current;
            List<Check> checks = new ArrayList<>(loopChecks);
            checks.add(Check.applied(Rule.SVC_SHADOW_01, "update of " + address.describe() + " rejected 409 Version conflict: "
                    + detail));
            return rejectedWith(base, 409, "Version conflict", token, checks);
        }
        ObjectNode previous = shadow.exists ? snapshot(shadow) : null;
        long timestamp = now();
        ObjectNode desiredBefore = shadow.desired == null ? null : shadow.desired.deepCopy();
        ObjectNode deltaBefore = delta(shadow.desired, shadow.reported);
        if (state.has("desired")) {
            shadow.desired = merge(shadow.desired, state.get("desired"));
            shadow.desiredMetadata = shadow.desired == null ? null : mergeMetadata(shadow.desiredMetadata, state.get("desired"),
                    timestamp);
        }
        if (state.has("reported")) {
            shadow.reported = merge(shadow.reported, state.get("reported"));
            shadow.reportedMetadata = shadow.reported == null ? null : mergeMetadata(shadow.reportedMetadata,
                    state.get("reported"), timestamp);
        }
        int size = (shadow.desired == null ? 0 : shadow.desired.toString().length())
                + (shadow.reported == null ? 0 : shadow.reported.toString().length());
        if (size > MAX_STATE_BYTES) {
            restore(shadow, previous);
            return rejected(base, 413, "The payload exceeds the maximum size allowed", token, "update of " + address.describe()
                    + ": 413, state document of " + size + " bytes (AWS allows " + MAX_STATE_BYTES + ")");
        }
        shadow.version = current + 1;
        shadow.exists = true;
        List<ServiceReply> replies = new ArrayList<>();
        ObjectNode accepted = json.createObjectNode();
        accepted.set("state", state.deepCopy());
        ObjectNode metadata = accepted.putObject("metadata");
        if (state.has("desired") && !state.get("desired").isNull()) {
            metadata.set("desired", stamps(state.get("desired"), timestamp));
        }
        if (state.has("reported") && !state.get("reported").isNull()) {
            metadata.set("reported", stamps(state.get("reported"), timestamp));
        }
        accepted.put("version", shadow.version);
        accepted.put("timestamp", timestamp);
        putToken(accepted, token);
        replies.add(ServiceReply.toSubscribers(base + "/accepted", accepted.toString()));
        ObjectNode documents = json.createObjectNode();
        if (previous != null) {
            documents.set("previous", previous);
        }
        documents.set("current", snapshot(shadow));
        documents.put("timestamp", timestamp);
        putToken(documents, token);
        replies.add(ServiceReply.toSubscribers(base + "/documents", documents.toString()));
        ObjectNode delta = delta(shadow.desired, shadow.reported);
        if (delta != null) {
            ObjectNode message = json.createObjectNode();
            message.put("version", shadow.version);
            message.put("timestamp", timestamp);
            message.set("state", delta);
            message.set("metadata", stamps(delta, timestamp));
            putToken(message, token);
            replies.add(ServiceReply.toSubscribers(base + "/delta", message.toString()));
        }
        List<Check> checks = new ArrayList<>();
        checks.add(Check.applied(Rule.SVC_SHADOW_01, "update of " + address.describe() + " accepted (version " + shadow.version + ")"
                + (delta == null ? "" : ", delta " + delta)));
        if (!operator && state.has("reported") && !state.get("reported").isNull()) {
            checks.add(Check.pass(Rule.CLIENT_SHADOW_01, requester + " reported " + state.get("reported") + " to "
                    + address.describe() + ": accepted, version " + shadow.version));
            Integer recovered = recovering.remove(address.thing());
            if (recovered != null) {
                checks.add(Check.pass(Rule.CLIENT_SHADOW_03, requester + " read the shadow again after " + recovered
                        + " rejected update(s) and its update was accepted (version " + shadow.version + ")"));
            }
            if (deltaBefore != null && desiredBefore != null && delta(desiredBefore, shadow.reported) == null) {
                checks.add(Check.pass(Rule.CLIENT_SHADOW_02, requester + " reported the desired state " + desiredBefore
                        + ": the delta is clear (version " + shadow.version + ")"));
            }
        }
        return new ServiceEvent(replies, checks);
    }

    /**
     * Whether a device's update of the thing meets the conflict a case forces: the thing stays "moved on" for the
     * device until it reads the shadow again. Past {@value #UPDATES_WITHOUT_READ} updates without a read the device
     * is looping (CLIENT-SHADOW-03), which is flagged once.
     */
    private boolean forcedConflict(String thing, String requester, List<Check> checks) {
        Integer rejected = staleUntilRead.get(thing);
        if (rejected == null) {
            return false;
        }
        staleUntilRead.put(thing, rejected + 1);
        if (rejected + 1 == UPDATES_WITHOUT_READ + 1) {
            checks.add(Check.fail(Rule.CLIENT_SHADOW_03, requester + " sent " + (rejected + 1) + " updates after a 409 without"
                    + " reading the shadow again: it loops on the rejection"));
        }
        return true;
    }

    /** A device's get: a thing it had a conflict on is readable again, and its next accepted update is a recovery. */
    private void readAgain(String thing) {
        Integer rejected = staleUntilRead.remove(thing);
        if (rejected != null && rejected > 0) {
            recovering.put(thing, rejected);
        }
    }

    // ---- the operator's side (control endpoint, in-JVM API, the suite)

    /** Sets desired fields as an app would (the operator's update): the replies go to subscribers, delta included. */
    public synchronized List<ServiceReply> setDesired(String thing, String shadowName, String desiredJson) {
        return operatorUpdate(thing, shadowName, "desired", desiredJson);
    }

    /** Sets reported fields as another writer would (an earlier instance of the device, a test's fixture). */
    public synchronized List<ServiceReply> setReported(String thing, String shadowName, String reportedJson) {
        return operatorUpdate(thing, shadowName, "reported", reportedJson);
    }

    private List<ServiceReply> operatorUpdate(String thing, String shadowName, String section, String stateJson) {
        ObjectNode request = json.createObjectNode();
        try {
            request.putObject("state").set(section, json.readTree(stateJson));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(section + " state is not JSON: " + e.getOriginalMessage(), e);
        }
        ServiceEvent event = update(new Address(thing, shadowName, "update"), request.toString().getBytes(StandardCharsets.UTF_8),
                "operator", true);
        if (event.replies().stream().noneMatch(reply -> reply.topic().endsWith("/update/accepted"))) {
            throw new IllegalArgumentException("the shadow refused the " + section + " state: " + event.replies().get(0).payload());
        }
        return event.replies();
    }

    /** The shadow's document as get/accepted would carry it, or empty when it does not exist. */
    public synchronized Optional<String> document(String thing, String shadowName) {
        Shadow shadow = shadows.get(new Address(thing, shadowName, "get").key());
        if (shadow == null || !shadow.exists) {
            return Optional.empty();
        }
        return Optional.of(withDelta(shadow).toString());
    }

    /**
     * Makes the thing's shadow "move on" for its device, as if another writer had been first: the device's updates
     * are refused with 409 until it reads the shadow again (CLIENT-SHADOW-03).
     */
    public synchronized void forceVersionConflict(String thing) {
        staleUntilRead.put(thing, 0);
        recovering.remove(thing);
    }

    /** Forgets every shadow (a fresh run). */
    public synchronized void clear() {
        shadows.clear();
        staleUntilRead.clear();
        recovering.clear();
    }

    // ---- documents

    private ObjectNode snapshot(Shadow shadow) {
        ObjectNode document = json.createObjectNode();
        ObjectNode state = document.putObject("state");
        ObjectNode metadata = document.putObject("metadata");
        if (shadow.desired != null) {
            state.set("desired", shadow.desired.deepCopy());
            metadata.set("desired", shadow.desiredMetadata.deepCopy());
        }
        if (shadow.reported != null) {
            state.set("reported", shadow.reported.deepCopy());
            metadata.set("reported", shadow.reportedMetadata.deepCopy());
        }
        document.put("version", shadow.version);
        return document;
    }

    /** The document as get/accepted carries it, without its timestamp: state with its delta, metadata, version. */
    private ObjectNode withDelta(Shadow shadow) {
        ObjectNode document = snapshot(shadow);
        ObjectNode delta = delta(shadow.desired, shadow.reported);
        if (delta != null) {
            ((ObjectNode) document.get("state")).set("delta", delta);
        }
        return document;
    }

    private void restore(Shadow shadow, ObjectNode previous) {
        if (previous == null) {
            shadows.values().remove(shadow);
            return;
        }
        JsonNode state = previous.get("state");
        JsonNode metadata = previous.get("metadata");
        shadow.desired = state.has("desired") ? (ObjectNode) state.get("desired") : null;
        shadow.reported = state.has("reported") ? (ObjectNode) state.get("reported") : null;
        shadow.desiredMetadata = metadata.has("desired") ? (ObjectNode) metadata.get("desired") : null;
        shadow.reportedMetadata = metadata.has("reported") ? (ObjectNode) metadata.get("reported") : null;
    }

    /** The section after an update: nulls delete, objects merge, other values replace; null when nothing is left. */
    private ObjectNode merge(ObjectNode section, JsonNode change) {
        if (change.isNull()) {
            return null;
        }
        ObjectNode merged = section == null ? json.createObjectNode() : section;
        change.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (value.isNull()) {
                merged.remove(field.getKey());
            } else if (value.isObject() && merged.get(field.getKey()) instanceof ObjectNode existing) {
                ObjectNode inner = merge(existing, value);
                if (inner == null || inner.isEmpty()) {
                    merged.remove(field.getKey());
                } else {
                    merged.set(field.getKey(), inner);
                }
            } else {
                merged.set(field.getKey(), value.deepCopy());
            }
        });
        return merged.isEmpty() ? null : merged;
    }

    private ObjectNode mergeMetadata(ObjectNode metadata, JsonNode change, long timestamp) {
        ObjectNode merged = metadata == null ? json.createObjectNode() : metadata;
        change.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (value.isNull()) {
                merged.remove(field.getKey());
            } else if (value.isObject() && merged.get(field.getKey()) instanceof ObjectNode existing
                    && !existing.has("timestamp")) {
                merged.set(field.getKey(), mergeMetadata(existing, value, timestamp));
            } else {
                merged.set(field.getKey(), stamps(value, timestamp));
            }
        });
        return merged;
    }

    /** Metadata for a value: {"timestamp": t} for a leaf, the same shape for an object (arrays: one per element). */
    private JsonNode stamps(JsonNode value, long timestamp) {
        if (value.isObject()) {
            ObjectNode stamped = json.createObjectNode();
            value.fields().forEachRemaining(field -> stamped.set(field.getKey(), stamps(field.getValue(), timestamp)));
            return stamped;
        }
        if (value.isArray()) {
            var array = json.createArrayNode();
            value.forEach(element -> array.add(stamps(element, timestamp)));
            return array;
        }
        ObjectNode leaf = json.createObjectNode();
        leaf.put("timestamp", timestamp);
        return leaf;
    }

    /** The desired fields that reported lacks or holds another value for, recursively; null when there are none. */
    static ObjectNode delta(ObjectNode desired, ObjectNode reported) {
        if (desired == null) {
            return null;
        }
        ObjectNode delta = new ObjectMapper().createObjectNode();
        desired.fields().forEachRemaining(field -> {
            JsonNode have = reported == null ? null : reported.get(field.getKey());
            if (field.getValue().isObject() && have instanceof ObjectNode haveObject) {
                ObjectNode inner = delta((ObjectNode) field.getValue(), haveObject);
                if (inner != null) {
                    delta.set(field.getKey(), inner);
                }
            } else if (!sameValue(field.getValue(), have)) {
                delta.set(field.getKey(), field.getValue().deepCopy());
            }
        });
        return delta.isEmpty() ? null : delta;
    }

    /**
     * JSON equality with numbers compared by value: 21 and 21.0 are the same setting. The AWS SDKs parse shadow
     * numbers as doubles (Gson) and report 21.0 back for a desired 21; were they different, every SDK sample's delta
     * would never clear (INF from the SDKs' behaviour).
     */
    static boolean sameValue(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!sameValue(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<String> names = a.fieldNames(); names.hasNext();) {
                String name = names.next();
                if (!sameValue(a.get(name), b.get(name))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private static int depth(JsonNode node) {
        if (!node.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        for (JsonNode child : node) {
            deepest = Math.max(deepest, depth(child));
        }
        return deepest + 1;
    }

    private ServiceEvent rejected(String base, int code, String message, String token, String detail) {
        return rejectedWith(base, code, message, token, List.of(Check.applied(Rule.SVC_SHADOW_01, detail)));
    }

    private ServiceEvent rejectedWith(String base, int code, String message, String token, List<Check> checks) {
        ObjectNode error = json.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        error.put("timestamp", now());
        putToken(error, token);
        return new ServiceEvent(List.of(ServiceReply.toSubscribers(base + "/rejected", error.toString())), checks);
    }

    /** AWS's 404 for a shadow that does not exist, named as AWS names it (the thing for the classic shadow). */
    private ServiceEvent noSuchShadow(String base, Address address, String token, String operation) {
        return rejected(base, 404, "No shadow exists with name: '" + (address.shadowName().isEmpty() ? address.thing()
                : address.shadowName()) + "'", token, operation + " of " + address.describe() + ": 404, no such shadow");
    }

    /** The clientToken of a get or delete request; none when the payload is empty or no JSON object. */
    private String tokenOf(byte[] payload) {
        if (payload.length == 0) {
            return null;
        }
        try {
            return json.readTree(payload) instanceof ObjectNode request ? textOrNull(request.get("clientToken")) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static void putToken(ObjectNode document, String token) {
        if (token != null) {
            document.put("clientToken", token);
        }
    }

    private long now() {
        return clock.millis() / 1000;
    }
}
