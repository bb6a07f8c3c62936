package io.alpnlab.broker.services;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * AWS IoT Jobs' device side over MQTT (SVC-JOBS-01): get pending, start-next, describe and update a job
 * execution, with notify and notify-next when a thing's queue changes. The operator creates jobs
 * (control endpoint, in-JVM API, the suite). In memory; one lock.
 */
public final class Jobs {

    /** AWS's limit on a job document, in bytes. */
    public static final int MAX_DOCUMENT_BYTES = 32 * 1024;

    static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "REJECTED", "REMOVED", "CANCELED", "TIMED_OUT");
    /** What a device may set: AWS refuses the other statuses from a device (InvalidRequest). */
    static final Set<String> DEVICE_STATUSES = Set.of("IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED");

    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock;
    /** Executions by thing, in the order the jobs were created. */
    private final Map<String, Map<String, Execution>> executions = new LinkedHashMap<>();
    private int nextExecutionNumber = 1;
    /** Things whose device asked for its next job (get, start-next, describe $next) and was told there is none. */
    private final java.util.Set<String> foundNone = new java.util.HashSet<>();

    public Jobs(Clock clock) {
        this.clock = clock;
    }

    private static final class Execution {
        String jobId;
        String thing;
        JsonNode document;
        String status = "QUEUED";
        ObjectNode statusDetails;
        long queuedAt;
        Long startedAt;
        long lastUpdatedAt;
        long versionNumber = 1;
        long executionNumber;
        /** Queued after the thing's device asked for a job and found none: taking it shows it listened (CLIENT-JOBS-02). */
        boolean queuedWhileListening;
        /** Every status it went through, from QUEUED: what CLIENT-JOBS-01 judges. */
        final List<String> history = new ArrayList<>(List.of("QUEUED"));

        boolean pending() {
            return status.equals("QUEUED") || status.equals("IN_PROGRESS");
        }
    }

    /** A jobs request topic, parsed: thing, job ID (null for the thing-wide ones) and operation. */
    record Address(String thing, String jobId, String operation) {
    }

    /** The request a topic makes, or empty for any other topic (replies, notifications). */
    static Optional<Address> request(String topic) {
        if (!topic.startsWith(Shadows.PREFIX)) {
            return Optional.empty();
        }
        String[] levels = topic.substring(Shadows.PREFIX.length()).split("/", -1);
        if (levels.length == 3 && levels[1].equals("jobs") && (levels[2].equals("get") || levels[2].equals("start-next"))) {
            return Optional.of(new Address(levels[0], null, levels[2]));
        }
        if (levels.length == 4 && levels[1].equals("jobs") && !levels[2].isEmpty()
                && (levels[3].equals("get") || levels[3].equals("update"))) {
            return Optional.of(new Address(levels[0], levels[2], levels[3]));
        }
        return Optional.empty();
    }

    synchronized ServiceEvent handle(Address address, byte[] payload, String requester) {
        String base = Shadows.PREFIX + address.thing() + "/jobs/" + (address.jobId() == null ? "" : address.jobId() + "/")
                + address.operation();
        ObjectNode request;
        try {
            JsonNode parsed = payload.length == 0 ? json.createObjectNode() : json.readTree(payload);
            if (!(parsed instanceof ObjectNode object)) {
                return rejected(base, "InvalidJson", "the request is not a JSON object", null, null);
            }
            request = object;
        } catch (java.io.IOException e) {
            return rejected(base, "InvalidJson", "the request is not valid JSON", null, null);
        }
        String token = request.hasNonNull("clientToken") ? request.get("clientToken").asText() : null;
        return switch (address.operation()) {
            case "start-next" -> startNext(address.thing(), base, request, token);
            case "update" -> update(address, base, request, token, requester);
            case "get" -> address.jobId() == null ? pending(address.thing(), base, token) : describe(address, base, request, token);
            default -> ServiceEvent.NONE;
        };
    }

    private ServiceEvent pending(String thing, String base, String token) {
        ObjectNode document = json.createObjectNode();
        ArrayNode inProgress = document.putArray("inProgressJobs");
        ArrayNode queued = document.putArray("queuedJobs");
        for (Execution execution : of(thing)) {
            if (execution.status.equals("IN_PROGRESS")) {
                inProgress.add(summary(execution));
            } else if (execution.status.equals("QUEUED")) {
                queued.add(summary(execution));
            }
        }
        if (inProgress.isEmpty() && queued.isEmpty()) {
            foundNone.add(thing);
        }
        return accepted(base, document, token, "get pending jobs of " + thing + ": " + inProgress.size() + " in progress, "
                + queued.size() + " queued");
    }

    private ServiceEvent startNext(String thing, String base, ObjectNode request, String token) {
        Execution next = next(thing);
        ObjectNode document = json.createObjectNode();
        List<ServiceReply> notifications = new ArrayList<>();
        String detail;
        List<Check> listened = new ArrayList<>();
        if (next == null) {
            foundNone.add(thing);
            detail = "start-next for " + thing + ": no pending job";
        } else {
            listened.addAll(tookQueuedWhileListening(next));
            if (next.status.equals("QUEUED")) {
                changeStatus(next, "IN_PROGRESS", request.get("statusDetails"));
                next.startedAt = now();
                notifications.addAll(notifications(thing, true));
            }
            document.set("execution", execution(next, true));
            detail = "start-next for " + thing + ": " + next.jobId + " IN_PROGRESS (version " + next.versionNumber + ")";
        }
        ServiceEvent reply = accepted(base, document, token, detail);
        List<ServiceReply> replies = new ArrayList<>(reply.replies());
        replies.addAll(notifications);
        listened.addAll(0, reply.checks());
        return new ServiceEvent(replies, listened);
    }

    /** The CLIENT-JOBS-02 pass for a device taking a job that was queued while it listened, once per execution. */
    private List<Check> tookQueuedWhileListening(Execution execution) {
        if (!execution.queuedWhileListening) {
            return List.of();
        }
        execution.queuedWhileListening = false;
        return List.of(Check.pass(Rule.CLIENT_JOBS_02, "took job " + execution.jobId + ", queued while the device was connected"
                + " and had found no job"));
    }

    private ServiceEvent describe(Address address, String base, ObjectNode request, String token) {
        Execution execution = address.jobId().equals("$next") ? next(address.thing())
                : executions.getOrDefault(address.thing(), Map.of()).get(address.jobId());
        if (execution == null && address.jobId().equals("$next")) {
            foundNone.add(address.thing());
        }
        if (execution == null) {
            return rejected(base, "ResourceNotFound", "no job execution " + address.jobId() + " for " + address.thing(), token,
                    null);
        }
        ObjectNode document = json.createObjectNode();
        document.set("execution", execution(execution, !request.has("includeJobDocument")
                || request.get("includeJobDocument").asBoolean(true)));
        return accepted(base, document, token, "describe " + execution.jobId + " of " + address.thing() + ": " + execution.status);
    }

    private ServiceEvent update(Address address, String base, ObjectNode request, String token, String requester) {
        Execution execution = executions.getOrDefault(address.thing(), Map.of()).get(address.jobId());
        if (execution == null) {
            return rejected(base, "ResourceNotFound", "no job execution " + address.jobId() + " for " + address.thing(), token,
                    null);
        }
        String status = request.path("status").asText("");
        if (!DEVICE_STATUSES.contains(status)) {
            return rejected(base, "InvalidRequest", "status must be one of " + DEVICE_STATUSES + ", not '" + status + "'", token,
                    execution);
        }
        List<Check> checks = new ArrayList<>();
        if (request.has("expectedVersion") && request.get("expectedVersion").asLong() != execution.versionNumber) {
            checks.add(Check.fail(Rule.CLIENT_JOBS_01, requester + " updated " + execution.jobId + " with expectedVersion "
                    + request.get("expectedVersion").asText() + "; the execution is at version " + execution.versionNumber));
            ServiceEvent refused = rejected(base, "VersionMismatch", "expectedVersion " + request.get("expectedVersion").asText()
                    + " does not match the execution's version " + execution.versionNumber, token, execution);
            checks.addAll(refused.checks());
            return new ServiceEvent(refused.replies(), checks);
        }
        if (TERMINAL.contains(execution.status)) {
            return rejected(base, "InvalidStateTransition", "the job execution is already " + execution.status, token, execution);
        }
        String before = execution.status;
        checks.addAll(tookQueuedWhileListening(execution));
        changeStatus(execution, status, request.get("statusDetails"));
        if (status.equals("IN_PROGRESS") && execution.startedAt == null) {
            execution.startedAt = now();
        }
        if (TERMINAL.contains(status)) {
            boolean wentThroughProgress = execution.history.contains("IN_PROGRESS");
            String path = String.join(" -> ", execution.history);
            checks.add(wentThroughProgress
                    ? Check.pass(Rule.CLIENT_JOBS_01, requester + " took job " + execution.jobId + ": " + path)
                    : Check.fail(Rule.CLIENT_JOBS_01, requester + " reported " + execution.jobId + " " + status
                            + " without reporting IN_PROGRESS first (" + path + ")"));
        }
        ObjectNode document = json.createObjectNode();
        if (request.path("includeJobExecutionState").asBoolean(false)) {
            ObjectNode state = document.putObject("executionState");
            state.put("status", execution.status);
            if (execution.statusDetails != null) {
                state.set("statusDetails", execution.statusDetails);
            }
            state.put("versionNumber", execution.versionNumber);
        }
        if (request.path("includeJobDocument").asBoolean(false)) {
            document.set("jobDocument", execution.document);
        }
        ServiceEvent reply = accepted(base, document, token, "update " + execution.jobId + " of " + address.thing() + ": " + before
                + " -> " + status + " (version " + execution.versionNumber + ")");
        checks.addAll(0, reply.checks());
        List<ServiceReply> replies = new ArrayList<>(reply.replies());
        if (!before.equals(status)) {
            replies.addAll(notifications(address.thing(), TERMINAL.contains(status) || before.equals("QUEUED")));
        }
        return new ServiceEvent(replies, checks);
    }

    private void changeStatus(Execution execution, String status, JsonNode details) {
        execution.status = status;
        if (details instanceof ObjectNode object) {
            execution.statusDetails = object;
        }
        execution.versionNumber++;
        execution.lastUpdatedAt = now();
        execution.history.add(status);
    }

    // ---- the operator's side

    /** Queues a job for a thing and returns the notifications to publish (notify, and notify-next when it is next). */
    public synchronized List<ServiceReply> create(String thing, String jobId, String documentJson) {
        if (documentJson.getBytes(StandardCharsets.UTF_8).length > MAX_DOCUMENT_BYTES) {
            throw new IllegalArgumentException("job document of " + documentJson.getBytes(StandardCharsets.UTF_8).length
                    + " bytes; AWS allows at most " + MAX_DOCUMENT_BYTES);
        }
        JsonNode document;
        try {
            document = json.readTree(documentJson);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("job document is not JSON: " + e.getMessage(), e);
        }
        if (!document.isObject()) {
            throw new IllegalArgumentException("a job document is a JSON object");
        }
        Map<String, Execution> ofThing = executions.computeIfAbsent(thing, key -> new LinkedHashMap<>());
        if (ofThing.containsKey(jobId)) {
            throw new IllegalArgumentException("job " + jobId + " already exists for " + thing);
        }
        Execution execution = new Execution();
        execution.jobId = jobId;
        execution.thing = thing;
        execution.document = document;
        execution.queuedAt = now();
        execution.lastUpdatedAt = execution.queuedAt;
        execution.executionNumber = nextExecutionNumber++;
        execution.queuedWhileListening = foundNone.remove(thing);
        ofThing.put(jobId, execution);
        return notifications(thing, next(thing) == execution);
    }

    /** An execution's state as describe would show it, or empty when there is none. */
    public synchronized Optional<String> execution(String thing, String jobId) {
        Execution execution = executions.getOrDefault(thing, Map.of()).get(jobId);
        return execution == null ? Optional.empty() : Optional.of(execution(execution, true).toString());
    }

    /** The statuses an execution went through, from QUEUED, or an empty list when there is none. */
    public synchronized List<String> history(String thing, String jobId) {
        Execution execution = executions.getOrDefault(thing, Map.of()).get(jobId);
        return execution == null ? List.of() : List.copyOf(execution.history);
    }

    public synchronized void clear() {
        executions.clear();
    }

    /** Deletes a thing's executions (AWS's DeleteJobExecution, for all of them): a case starts from an empty queue. */
    public synchronized void deleteExecutions(String thing) {
        executions.remove(thing);
        foundNone.remove(thing);
    }

    /** Whether the thing's device asked for its next job and was told there is none (it should now be listening). */
    public synchronized boolean foundNoJob(String thing) {
        return foundNone.contains(thing);
    }

    // ---- documents

    private Iterable<Execution> of(String thing) {
        return executions.getOrDefault(thing, Map.of()).values();
    }

    /** The next pending execution: an IN_PROGRESS one first, else the oldest QUEUED. */
    private Execution next(String thing) {
        Execution queued = null;
        for (Execution execution : of(thing)) {
            if (execution.status.equals("IN_PROGRESS")) {
                return execution;
            }
            if (queued == null && execution.status.equals("QUEUED")) {
                queued = execution;
            }
        }
        return queued;
    }

    private List<ServiceReply> notifications(String thing, boolean nextChanged) {
        List<ServiceReply> replies = new ArrayList<>();
        ObjectNode notify = json.createObjectNode();
        notify.put("timestamp", now());
        ObjectNode jobs = notify.putObject("jobs");
        for (Execution execution : of(thing)) {
            if (execution.pending()) {
                ArrayNode list = jobs.has(execution.status) ? (ArrayNode) jobs.get(execution.status) : jobs.putArray(execution.status);
                list.add(summary(execution));
            }
        }
        replies.add(ServiceReply.toSubscribers(Shadows.PREFIX + thing + "/jobs/notify", notify.toString()));
        if (nextChanged) {
            ObjectNode notifyNext = json.createObjectNode();
            notifyNext.put("timestamp", now());
            Execution next = next(thing);
            if (next != null) {
                notifyNext.set("execution", execution(next, true));
            }
            replies.add(ServiceReply.toSubscribers(Shadows.PREFIX + thing + "/jobs/notify-next", notifyNext.toString()));
        }
        return replies;
    }

    private ObjectNode summary(Execution execution) {
        ObjectNode summary = json.createObjectNode();
        summary.put("jobId", execution.jobId);
        summary.put("queuedAt", execution.queuedAt);
        if (execution.startedAt != null) {
            summary.put("startedAt", execution.startedAt);
        }
        summary.put("lastUpdatedAt", execution.lastUpdatedAt);
        summary.put("versionNumber", execution.versionNumber);
        summary.put("executionNumber", execution.executionNumber);
        return summary;
    }

    private ObjectNode execution(Execution execution, boolean withDocument) {
        ObjectNode node = summary(execution);
        node.put("thingName", execution.thing);
        node.put("status", execution.status);
        if (execution.statusDetails != null) {
            node.set("statusDetails", execution.statusDetails);
        }
        if (withDocument) {
            node.set("jobDocument", execution.document);
        }
        return node;
    }

    private ServiceEvent accepted(String base, ObjectNode document, String token, String detail) {
        document.put("timestamp", now());
        if (token != null) {
            document.put("clientToken", token);
        }
        return new ServiceEvent(List.of(ServiceReply.toSubscribers(base + "/accepted", document.toString())),
                List.of(Check.applied(Rule.SVC_JOBS_01, detail)));
    }

    private ServiceEvent rejected(String base, String code, String message, String token, Execution execution) {
        ObjectNode error = json.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        error.put("timestamp", now());
        if (token != null) {
            error.put("clientToken", token);
        }
        if (execution != null) {
            ObjectNode state = error.putObject("executionState");
            state.put("status", execution.status);
            state.put("versionNumber", execution.versionNumber);
        }
        return new ServiceEvent(List.of(ServiceReply.toSubscribers(base + "/rejected", error.toString())),
                List.of(Check.applied(Rule.SVC_JOBS_01, base.substring(base.indexOf("/jobs/") + 1) + " rejected " + code + ": "
                        + message)));
    }

    private long now() {
        return clock.millis() / 1000;
    }
}
