package io.alpnlab.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.conformance.client.ClientTask;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The smallest AWS IoT policy for what a device did (or is told to do): its client IDs, the topics it
 * published to, the filters it subscribed to, the topics it received on, with no wildcard. Where a
 * name is the device's thing (its client ID, as AWS's policies usually bind it), it is written as the
 * policy variable {@code ${iot:Connection.Thing.ThingName}}, so one policy serves every device of the
 * fleet.
 */
public final class LeastPrivilegePolicy {

    /** The files the run writes beside results.json: least-privilege-policy.json, then -2, -3... when one is too large. */
    public static String fileName(int index) {
        return index == 0 ? "least-privilege-policy.json" : "least-privilege-policy-" + (index + 1) + ".json";
    }
    public static final String THING = "${iot:Connection.Thing.ThingName}";
    /** The account in the ARNs: AWS's documentation placeholder; replace it with yours. */
    public static final String ACCOUNT = "123456789012";
    private static final Pattern REGION = Pattern.compile("\\.iot\\.([a-z]{2}(?:-[a-z]+)+-\\d)\\.");

    private final Set<String> connect = new LinkedHashSet<>();
    private final Set<String> publish = new LinkedHashSet<>();
    private final Set<String> subscribe = new LinkedHashSet<>();
    private final Set<String> receive = new LinkedHashSet<>();

    /**
     * From the broker's records of a run: every client ID that sent CONNECT and what each connection published,
     * subscribed to and received; connections of the suite's own helper ({@code skipClientId}) are left out.
     */
    public static LeastPrivilegePolicy fromRecords(Collection<ConnectionRecord> records, String skipClientId) {
        LeastPrivilegePolicy policy = new LeastPrivilegePolicy();
        for (ConnectionRecord record : records) {
            if (record.mqtt() == null || record.mqtt().clientId() == null || record.mqtt().clientId().equals(skipClientId)) {
                continue;
            }
            String thing = record.mqtt().clientId();
            policy.connect.add(generalize(thing, thing));
            for (ConnectionRecord.PacketView packet : record.mqtt().packets()) {
                boolean in = "in".equals(packet.direction());
                if ("PUBLISH".equals(packet.type())) {
                    String topic = topicOf(packet.detail());
                    if (topic != null) {
                        (in ? policy.publish : policy.receive).add(generalize(topic, thing));
                    }
                } else if (in && "SUBSCRIBE".equals(packet.type())) {
                    filtersOf(packet.detail()).forEach(filter -> policy.subscribe.add(generalize(filter, thing)));
                }
            }
        }
        return policy;
    }

    /**
     * What a least-privilege policy allows a device for one task of the suite: its client ID, its task topic, and the
     * reserved topics of its own thing that the task's action uses.
     */
    public static LeastPrivilegePolicy forTask(ClientTask task) {
        LeastPrivilegePolicy policy = new LeastPrivilegePolicy();
        String thing = task.thingName();
        policy.connect.add(THING);
        policy.publish.add(generalize(task.topic(), thing));
        policy.subscribe.add(generalize(task.topic(), thing));
        policy.receive.add(generalize(task.topic(), thing));
        String shadow = "$aws/things/" + THING + "/shadow/";
        policy.publish.add(shadow + "update");
        policy.publish.add(shadow + "get");
        for (String reply : List.of("update/accepted", "update/rejected", "update/delta", "update/documents", "get/accepted",
                "get/rejected")) {
            policy.subscribe.add(shadow + reply);
            policy.receive.add(shadow + reply);
        }
        return policy;
    }

    /** The name with every topic level (or the whole name) that is the device's thing written as the thing variable. */
    static String generalize(String name, String thing) {
        if (name.equals(thing)) {
            return THING;
        }
        String[] levels = name.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            if (levels[i].equals(thing)) {
                levels[i] = THING;
            }
        }
        return String.join("/", levels);
    }

    /** AWS's limit on a policy document, in characters without white space. */
    public static final int MAX_DOCUMENT_CHARACTERS = 2048;

    /** The document, in AWS's policy grammar, with ARNs in the endpoint's region (it may exceed AWS's size limit). */
    public ObjectNode document(String endpoint) {
        List<ObjectNode> documents = documents(endpoint, Integer.MAX_VALUE);
        return documents.get(0);
    }

    /**
     * The policy as documents within AWS's {@value #MAX_DOCUMENT_CHARACTERS} characters each, to attach together to the
     * certificate (AWS allows 10 per certificate): a device that uses many topics needs more than one.
     */
    public List<ObjectNode> documents(String endpoint) {
        return documents(endpoint, MAX_DOCUMENT_CHARACTERS);
    }

    private List<ObjectNode> documents(String endpoint, int limit) {
        Matcher region = REGION.matcher(endpoint);
        String prefix = "arn:aws:iot:" + (region.find() ? region.group(1) : "us-east-1") + ":" + ACCOUNT + ":";
        List<String[]> grants = new java.util.ArrayList<>();
        add(grants, "iot:Connect", prefix + "client/", connect);
        add(grants, "iot:Publish", prefix + "topic/", publish);
        add(grants, "iot:Subscribe", prefix + "topicfilter/", subscribe);
        add(grants, "iot:Receive", prefix + "topic/", receive);
        List<ObjectNode> documents = new java.util.ArrayList<>();
        ObjectNode current = emptyDocument();
        for (String[] grant : grants) {
            ObjectNode candidate = current.deepCopy();
            grant(candidate, grant[0], grant[1]);
            if (candidate.toString().length() > limit && !current.path("Statement").isEmpty()) {
                documents.add(current);
                candidate = emptyDocument();
                grant(candidate, grant[0], grant[1]);
            }
            current = candidate;
        }
        documents.add(current);
        return documents;
    }

    private static void add(List<String[]> grants, String action, String prefix, Set<String> names) {
        names.stream().sorted().forEach(name -> grants.add(new String[] {action, prefix + name}));
    }

    private static ObjectNode emptyDocument() {
        ObjectNode document = new ObjectMapper().createObjectNode();
        document.put("Version", "2012-10-17");
        document.putArray("Statement");
        return document;
    }

    /** Adds the resource to the document's statement for the action (the last one, when it is that action's). */
    private static void grant(ObjectNode document, String action, String resource) {
        ArrayNode statements = (ArrayNode) document.get("Statement");
        ObjectNode last = statements.isEmpty() ? null : (ObjectNode) statements.get(statements.size() - 1);
        if (last == null || !last.path("Action").asText().equals(action)) {
            last = statements.addObject();
            last.put("Effect", "Allow");
            last.put("Action", action);
            last.putArray("Resource");
        }
        ((ArrayNode) last.get("Resource")).add(resource);
    }

    private static String topicOf(String detail) {
        if (!detail.startsWith("topic=")) {
            return null;
        }
        int end = detail.indexOf(" qos=");
        return end < 0 ? null : detail.substring("topic=".length(), end);
    }

    /** The filters of a SUBSCRIBE as the record describes it: {@code id=N [filter@qos, ...]}. */
    private static List<String> filtersOf(String detail) {
        int open = detail.indexOf('[');
        int close = detail.lastIndexOf(']');
        if (open < 0 || close < open) {
            return List.of();
        }
        return java.util.Arrays.stream(detail.substring(open + 1, close).split(", "))
                .filter(entry -> entry.lastIndexOf('@') > 0).map(entry -> entry.substring(0, entry.lastIndexOf('@'))).toList();
    }
}
