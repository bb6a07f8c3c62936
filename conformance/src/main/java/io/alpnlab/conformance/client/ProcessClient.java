package io.alpnlab.conformance.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client that is a program (BoGo's shim contract): one command per action, with placeholders
 * for the task; exit 0 is success, 89 is "not supported" (the reason on stderr), anything else is a
 * failure whose error token comes from the error map. Described by a JSON file:
 *
 * <pre>{@code
 * {"name": "mosquitto_pub", "versionCommand": ["mosquitto_pub", "--help"], "versionPattern": "mosquitto_pub version (\\S+)",
 *  "commands": {"PUBLISH": ["mosquitto_pub", "-h", "{server_name}", "-p", "{port}", "[--tls-alpn {alpn}]", ...]},
 *  "persistentFlag": "-c",
 *  "errorMap": {"certificate verify failed": "SERVER_CERTIFICATE_REJECTED"},
 *  "disabled": {"MQTT-KeepAlive-*": "exits right after publishing"}}
 * }</pre>
 *
 * Placeholders: {@code {host} {port} {server_name} {alpn} {ca_file} {cert_file} {key_file} {client_id}
 * {keep_alive} {clean} {topic} {payload} {qos} {expect} {timeout_s} {timeout_ms} {persistent_flag}}. An argument in square
 * brackets is optional: it is dropped when a placeholder in it is empty, else split on spaces;
 * {@code {name|default}} stands in the default for an empty value. A
 * {@code SUBSCRIBE_WAIT} command, if given, is used for subscriptions that wait for messages.
 */
public final class ProcessClient extends IdentifiedClient {

    public static final int EXIT_NOT_SUPPORTED = 89;
    /** {@code {name}}, or {@code {name|default}} to stand in a default for an empty value. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)(?:\\|([^}]*))?}");

    private final Map<String, List<String>> commands;
    private final Map<String, String> errorMap;
    private final DisabledCases disabled;
    private final String persistentFlag;
    private final CommandLauncher launcher;

    ProcessClient(String name, String version, Map<String, List<String>> commands, Map<String, String> errorMap,
            DisabledCases disabled, String persistentFlag, CommandLauncher launcher) {
        super(new Identity(name, version, false, Map.of()));
        this.launcher = launcher;
        this.commands = commands;
        this.errorMap = errorMap;
        this.disabled = disabled;
        this.persistentFlag = persistentFlag;
    }

    /** The descriptions that ship with the suite, usable as {@code process:<name>}. */
    public static final java.util.List<String> BUILT_IN = java.util.List.of("mosquitto", "openssl-s_client");

    /**
     * Reads a client description: a built-in name ({@link #BUILT_IN}) or a JSON file. A missing field
     * or a wrong type is an error naming the file and the field.
     */
    public static ProcessClient load(String nameOrPath) {
        if (BUILT_IN.contains(nameOrPath)) {
            String resource = "/io/alpnlab/conformance/clients/" + nameOrPath + ".json";
            try (InputStream in = ProcessClient.class.getResourceAsStream(resource)) {
                return parse(new ObjectMapper().readTree(in), resource);
            } catch (IOException e) {
                throw new IllegalStateException("built-in client description " + resource + " unreadable", e);
            }
        }
        Path file = Path.of(nameOrPath);
        return parse(readJson(file), file.toString());
    }

    /** The JSON of a built-in description, for tools that derive variants of it. */
    public static JsonNode builtInJson(String name) {
        try (InputStream in = ProcessClient.class.getResourceAsStream("/io/alpnlab/conformance/clients/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no built-in client description '" + name + "' (known: " + BUILT_IN + ")");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("built-in client description " + name + " unreadable", e);
        }
    }

    /** A description given as JSON; {@code source} names it in error messages. */
    public static ProcessClient fromJson(JsonNode root, String source) {
        return parse(root, source);
    }

    /**
     * A client whose commands run in a container image ({@code container:<description.json>}): the
     * description's {@code "image"}, with the same commands and placeholders as on this machine.
     */
    public static ProcessClient loadContainer(String path) {
        JsonNode root = readJson(Path.of(path));
        if (!root.path("image").isTextual() || root.path("image").asText().isBlank()) {
            throw new IllegalArgumentException(path + ": a container client needs \"image\" (the image to run its commands in)");
        }
        return parse(root, path, new ContainerLauncher(root.get("image").asText()));
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable JSON client description (" + e.getMessage() + ")", e);
        }
    }

    private static ProcessClient parse(JsonNode root, String file) {
        return parse(root, file, CommandLauncher.LOCAL);
    }

    private static ProcessClient parse(JsonNode root, String file, CommandLauncher launcher) {
        if (!root.path("name").isTextual() || !root.path("commands").isObject()) {
            throw new IllegalArgumentException(file + ": needs \"name\" (text) and \"commands\" (object of argument arrays)");
        }
        Map<String, List<String>> commands = new LinkedHashMap<>();
        root.get("commands").fields().forEachRemaining(entry -> {
            String action = entry.getKey();
            if (!action.equals("SUBSCRIBE_WAIT")) {
                try {
                    ClientTask.Action.valueOf(action);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": commands." + action + " is not an action (CONNECT, PUBLISH,"
                            + " SUBSCRIBE, SUBSCRIBE_WAIT, STAY_CONNECTED)", e);
                }
            }
            commands.put(action, strings(entry.getValue(), file + ": commands." + action));
        });
        Map<String, String> errorMap = new LinkedHashMap<>();
        root.path("errorMap").fields().forEachRemaining(entry -> errorMap.put(entry.getKey(), entry.getValue().asText()));
        Map<String, String> disabled = new LinkedHashMap<>();
        root.path("disabled").fields().forEachRemaining(entry -> disabled.put(entry.getKey(), entry.getValue().asText()));
        String version = "";
        if (root.has("versionCommand")) {
            version = probeVersion(launcher, strings(root.get("versionCommand"), file + ": versionCommand"),
                    Pattern.compile(root.path("versionPattern").asText("(\\S+)")));
        }
        return new ProcessClient(root.get("name").asText(), version, commands, errorMap, new DisabledCases(disabled),
                root.path("persistentFlag").asText(""), launcher);
    }

    private static List<String> strings(JsonNode node, String where) {
        if (!node.isArray()) {
            throw new IllegalArgumentException(where + " must be an array of strings");
        }
        List<String> values = new ArrayList<>();
        node.forEach(value -> values.add(value.asText()));
        return values;
    }

    private static String probeVersion(CommandLauncher launcher, List<String> command, Pattern pattern) {
        try {
            CommandLauncher.Execution probe = launcher.run(command, null, Duration.ofSeconds(30));
            Matcher matcher = pattern.matcher(probe.stdout() + probe.stderr());
            return matcher.find() ? matcher.group(1) : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    public DisabledCases disabled() {
        return disabled;
    }



    /** A local program is killed when its run is interrupted (CommandLauncher.LOCAL); a container or device is not. */
    @Override
    public boolean stoppable() {
        return launcher == CommandLauncher.LOCAL;
    }

    @Override
    public ClientReport run(ClientTask task) throws InterruptedException {
        String action = task.action() == ClientTask.Action.SUBSCRIBE && task.expectMessages() > 0 && commands.containsKey(
                "SUBSCRIBE_WAIT") ? "SUBSCRIBE_WAIT" : task.action().name();
        List<String> template = commands.get(action);
        if (template == null) {
            return ClientReport.notSupported(name() + " has no command for " + task.action(), Duration.ZERO);
        }
        List<String> command = expand(template, values(task));
        long start = System.nanoTime();
        // A little grace over the task's own timeout: the program is asked to stop by then (timeout_s).
        CommandLauncher.Execution execution = launcher.run(command, task, task.timeout().plusSeconds(3));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        if (execution.cannotStart() != null) {
            return ClientReport.failure("CANNOT_START", execution.cannotStart(), "", Duration.ZERO);
        }
        String out = execution.stdout();
        String err = execution.stderr();
        String output = "$ " + String.join(" ", command) + "\n" + out + err;
        if (!execution.finished()) {
            return ClientReport.failure("TIMEOUT", "still running after " + task.timeout().toMillis() + " ms", output, elapsed);
        }
        int exit = execution.exitCode();
        if (exit == 0) {
            List<String> received = task.action() == ClientTask.Action.SUBSCRIBE
                    ? out.lines().filter(line -> !line.isBlank()).toList() : List.of();
            return ClientReport.success(received, output, elapsed);
        }
        if (exit == EXIT_NOT_SUPPORTED) {
            return ClientReport.notSupported(err.isBlank() ? name() + " does not support this" : err.strip(), elapsed);
        }
        return ClientReport.failure(token(out + err), "exit " + exit + ": " + lastLine(err.isBlank() ? out : err), output, elapsed);
    }

    private String token(String output) {
        for (Map.Entry<String, String> entry : errorMap.entrySet()) {
            if (output.contains(entry.getKey())) {
                return entry.getValue();
            }
        }
        return "FAILED";
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private Map<String, String> values(ClientTask task) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("host", task.host());
        values.put("port", Integer.toString(task.port()));
        values.put("server_name", task.serverName());
        values.put("alpn", String.join(",", task.alpn()));
        values.put("ca_file", String.valueOf(task.caFile()));
        values.put("cert_file", String.valueOf(task.certFile()));
        values.put("key_file", String.valueOf(task.keyFile()));
        values.put("client_id", task.clientId());
        values.put("keep_alive", Integer.toString(task.keepAliveSeconds()));
        values.put("topic", task.topic());
        values.put("payload", task.payload());
        values.put("qos", Integer.toString(task.qos()));
        values.put("expect", Integer.toString(task.expectMessages()));
        values.put("timeout_s", Long.toString(Math.max(1, task.timeout().toSeconds())));
        values.put("timeout_ms", Long.toString(task.timeout().toMillis()));
        values.put("clean", task.cleanSession() ? "1" : "0");
        values.put("persistent_flag", task.cleanSession() ? "" : persistentFlag);
        return values;
    }

    /** Substitutes placeholders; a bracketed argument disappears when one of its placeholders is empty. */
    static List<String> expand(List<String> template, Map<String, String> values) {
        List<String> command = new ArrayList<>();
        for (String argument : template) {
            boolean optional = argument.startsWith("[") && argument.endsWith("]");
            String body = optional ? argument.substring(1, argument.length() - 1) : argument;
            Matcher matcher = PLACEHOLDER.matcher(body);
            StringBuilder expanded = new StringBuilder();
            boolean empty = false;
            while (matcher.find()) {
                String key = matcher.group(1);
                if (!values.containsKey(key)) {
                    throw new IllegalArgumentException("unknown placeholder {" + key + "} in '" + argument + "'");
                }
                String value = values.get(key);
                if (value.isEmpty() && matcher.group(2) != null) {
                    value = matcher.group(2);
                }
                empty |= value.isEmpty();
                matcher.appendReplacement(expanded, Matcher.quoteReplacement(value));
            }
            matcher.appendTail(expanded);
            if (optional) {
                if (!empty) {
                    command.addAll(List.of(expanded.toString().split(" ")));
                }
            } else {
                command.add(expanded.toString());
            }
        }
        return command;
    }
}
