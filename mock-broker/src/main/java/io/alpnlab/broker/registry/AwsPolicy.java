package io.alpnlab.broker.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An AWS IoT policy document, read into the {@link DevicePolicy} the broker enforces: the Allow
 * statements' iot:Connect (client/...), iot:Publish (topic/...) and iot:Subscribe (topicfilter/...)
 * resources, policy variables kept. iot:Receive is read and not enforced (the broker delivers what a
 * subscription matches). What the mock cannot enforce faithfully (Deny, conditions, the ? wildcard) is
 * refused by name rather than half-applied.
 */
public final class AwsPolicy {

    /** A resource ARN: arn:aws:iot:region:account:type/name. */
    private static final Pattern ARN = Pattern.compile("arn:aws:iot:([^:]*):([^:]*):(client|topic|topicfilter)/(.+)");
    private static final Set<String> ACTIONS = Set.of("iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive",
            "iot:RetainPublish", "iot:*");

    /**
     * @param policy what the broker enforces
     * @param wildcards the resources that use a policy wildcard ({@code *}), for the cases that forbid them
     */
    public record Parsed(DevicePolicy policy, List<String> wildcards) {
    }

    private AwsPolicy() {
    }

    /** Reads a policy document; the error names the statement and what is wrong with it. */
    public static Parsed parse(String document) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(document);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the policy is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.path("Statement").isArray() || root.path("Statement").isEmpty()) {
            throw new IllegalArgumentException("the policy has no Statement list");
        }
        if (!"2012-10-17".equals(root.path("Version").asText())) {
            throw new IllegalArgumentException("the policy's Version must be \"2012-10-17\", got " + root.path("Version"));
        }
        List<String> connect = new ArrayList<>();
        List<String> publish = new ArrayList<>();
        List<String> subscribe = new ArrayList<>();
        List<String> wildcards = new ArrayList<>();
        int index = 0;
        for (JsonNode statement : root.path("Statement")) {
            String where = "Statement[" + index++ + "]";
            String effect = statement.path("Effect").asText();
            if (effect.equals("Deny")) {
                throw new IllegalArgumentException(where + ": Deny statements are not enforced by the mock broker");
            }
            if (!effect.equals("Allow")) {
                throw new IllegalArgumentException(where + ": Effect must be Allow or Deny, got " + statement.path("Effect"));
            }
            if (statement.has("Condition")) {
                throw new IllegalArgumentException(where + ": Condition is not enforced by the mock broker");
            }
            List<String> actions = strings(statement.path("Action"), where + ".Action");
            List<String> resources = strings(statement.path("Resource"), where + ".Resource");
            for (String action : actions) {
                if (!ACTIONS.contains(action)) {
                    throw new IllegalArgumentException(where + ": action '" + action + "' is not an MQTT action of AWS IoT ("
                            + ACTIONS + ")");
                }
            }
            for (String resource : resources) {
                if (resource.contains("?")) {
                    throw new IllegalArgumentException(where + ": the ? wildcard in '" + resource + "' is not enforced by the mock");
                }
                if (resource.contains("*")) {
                    wildcards.add(resource);
                }
                if (resource.equals("*")) {
                    for (String action : actions) {
                        add(action, "*", connect, publish, subscribe);
                    }
                    continue;
                }
                Matcher arn = ARN.matcher(resource);
                if (!arn.matches()) {
                    throw new IllegalArgumentException(where + ": '" + resource + "' is not an AWS IoT client, topic or"
                            + " topicfilter ARN (arn:aws:iot:<region>:<account>:client/<id>)");
                }
                String type = arn.group(3);
                for (String action : actions) {
                    boolean fits = action.equals("iot:*") || action.equals("iot:Connect") && type.equals("client")
                            || (action.equals("iot:Publish") || action.equals("iot:Receive") || action.equals("iot:RetainPublish"))
                                    && type.equals("topic")
                            || action.equals("iot:Subscribe") && type.equals("topicfilter");
                    if (!fits) {
                        throw new IllegalArgumentException(where + ": " + action + " does not apply to a " + type + " resource ('"
                                + resource + "')");
                    }
                    if (action.equals("iot:*")) {
                        add(type.equals("client") ? "iot:Connect" : type.equals("topic") ? "iot:Publish" : "iot:Subscribe",
                                arn.group(4), connect, publish, subscribe);
                    } else {
                        add(action, arn.group(4), connect, publish, subscribe);
                    }
                }
            }
        }
        return new Parsed(new DevicePolicy(connect, publish, subscribe), List.copyOf(wildcards));
    }

    private static void add(String action, String pattern, List<String> connect, List<String> publish, List<String> subscribe) {
        switch (action) {
            case "iot:Connect" -> connect.add(pattern);
            case "iot:Publish" -> publish.add(pattern);
            case "iot:Subscribe" -> subscribe.add(pattern);
            case "iot:*" -> {
                connect.add(pattern);
                publish.add(pattern);
                subscribe.add(pattern);
            }
            default -> {
                // iot:Receive and iot:RetainPublish: read, not enforced.
            }
        }
    }

    private static List<String> strings(JsonNode node, String where) {
        List<String> values = new ArrayList<>();
        if (node.isTextual()) {
            values.add(node.asText());
        } else if (node.isArray()) {
            for (JsonNode value : node) {
                if (!value.isTextual()) {
                    throw new IllegalArgumentException(where + " holds " + value + ", not a string");
                }
                values.add(value.asText());
            }
        }
        if (values.isEmpty()) {
            throw new IllegalArgumentException(where + " is missing or empty");
        }
        return values;
    }
}
