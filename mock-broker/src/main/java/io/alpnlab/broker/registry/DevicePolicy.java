package io.alpnlab.broker.registry;

import java.util.List;
import java.util.Map;

/**
 * A device certificate's authorization, in the spirit of an AWS IoT policy: which client IDs it may
 * connect as, which topics it may publish to and which filters it may subscribe to. Patterns use
 * {@code *} as a wildcard and the policy variables {@code ${iot:ClientId}},
 * {@code ${iot:Connection.Thing.ThingName}} and {@code ${iot:Certificate.Subject.CommonName}}.
 *
 * <p>Without a policy in the registry file a device gets {@link #ALLOW_ALL}: AWS would deny
 * everything, but a mock that refuses a freshly generated device by default helps nobody; the
 * registry file is where to be strict. It still keeps a device to its own thing's shadows and jobs
 * (SVC-SHADOW-02), as AWS's example policies do with {@code ${iot:Connection.Thing.ThingName}}: a device
 * that reads another thing's shadow works here only if its policy says so.
 *
 * @param ownThingOnly true when {@code $aws/things/<thing>/...} is allowed only for the thing named by
 *     the client ID, whatever the patterns say (the default policy)
 */
public record DevicePolicy(List<String> connect, List<String> publish, List<String> subscribe, boolean ownThingOnly) {

    public static final DevicePolicy ALLOW_ALL = new DevicePolicy(List.of("*"), List.of("*"), List.of("*"), true);

    private static final String THINGS = "$aws/things/";

    public DevicePolicy {
        connect = List.copyOf(connect);
        publish = List.copyOf(publish);
        subscribe = List.copyOf(subscribe);
    }

    /** A policy of patterns alone (a registry file's). */
    public DevicePolicy(List<String> connect, List<String> publish, List<String> subscribe) {
        this(connect, publish, subscribe, false);
    }

    /**
     * The thing a {@code $aws/things/<thing>/...} topic or filter belongs to when this policy keeps the
     * device to its own thing and it is another's (a wildcard counts as another's); null otherwise.
     */
    public String foreignThing(String topicOrFilter, Map<String, String> variables) {
        String topic = topicOrFilter;
        if (topic.startsWith("$share/") && topic.indexOf('/', "$share/".length()) > 0) {
            // A shared subscription reaches the same messages as its filter.
            topic = topic.substring(topic.indexOf('/', "$share/".length()) + 1);
        }
        if (!ownThingOnly || !topic.startsWith(THINGS)) {
            return null;
        }
        int end = topic.indexOf('/', THINGS.length());
        String thing = end < 0 ? topic.substring(THINGS.length()) : topic.substring(THINGS.length(), end);
        return thing.equals(variables.get("iot:ClientId")) ? null : thing;
    }

    public boolean allowsConnect(String clientId, Map<String, String> variables) {
        return matchesAny(connect, clientId, variables);
    }

    public boolean allowsPublish(String topic, Map<String, String> variables) {
        return matchesAny(publish, topic, variables);
    }

    public boolean allowsSubscribe(String topicFilter, Map<String, String> variables) {
        return matchesAny(subscribe, topicFilter, variables);
    }

    private static boolean matchesAny(List<String> patterns, String value, Map<String, String> variables) {
        for (String pattern : patterns) {
            if (globMatches(pattern.indexOf("${") < 0 ? pattern : substitute(pattern, variables), value)) {
                return true;
            }
        }
        return false;
    }

    static String substitute(String pattern, Map<String, String> variables) {
        String result = pattern;
        for (Map.Entry<String, String> variable : variables.entrySet()) {
            result = result.replace("${" + variable.getKey() + "}", variable.getValue() == null ? "" : variable.getValue());
        }
        return result;
    }

    /**
     * Whether the value matches the pattern, {@code *} matching any run of characters and everything else
     * itself. Checked on every publish and subscribe, so no regular expression is compiled: the classic
     * two-pointer wildcard match, linear in practice, backtracking only to the last {@code *}.
     */
    static boolean globMatches(String pattern, String value) {
        int p = 0;
        int v = 0;
        int star = -1;
        int resume = 0;
        while (v < value.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                resume = v;
            } else if (p < pattern.length() && pattern.charAt(p) == value.charAt(v)) {
                p++;
                v++;
            } else if (star >= 0) {
                p = star + 1;
                v = ++resume;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
