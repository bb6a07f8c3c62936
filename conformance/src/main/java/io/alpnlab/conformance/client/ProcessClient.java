package io.alpnlab.conformance.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
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
import java.util.regex.PatternSyntaxException;

/**
 * A client that is a program (BoGo's shim contract): one command per action, with placeholders
 * for the task; exit 0 is success, 89 is "not supported" (the reason on stderr), anything else is a
 * failure whose error token comes from the error map. Described by a JSON file whose format (version
 * {@value #FORMAT_VERSION}) is documented in {@code docs/CLIENT-DESCRIPTION.md} and checked against the JSON Schema
 * {@code client-description.schema.json} next to the built-in descriptions: an unknown key is an error, as an unknown
 * {@code -D} setting is.
 *
 * <pre>{@code
 * {"name": "mosquitto_pub", "versionCommand": ["mosquitto_pub", "--help"], "versionPattern": "mosquitto_pub version (\\S+)",
 *  "commands": {"PUBLISH": ["mosquitto_pub", "-h", "{server_name}", "-p", "{port}", "[--tls-alpn {alpn}]", ...]},
 *  "persistentFlag": "-c",
 *  "errorMap": {"certificate verify failed": "SERVER_CERTIFICATE_REJECTED"},
 *  "disabled": {"MQTT-KeepAlive-*": "exits right after publishing"}}
 * }</pre>
 *
 * Placeholders: {@link #PLACEHOLDERS}. An argument in square brackets is optional: it is dropped when a placeholder in
 * it is empty, else split on spaces; {@code {name|default}} stands in the default for an empty value. A
 * {@code SUBSCRIBE_WAIT} command, if given, is used for subscriptions that wait for messages. A program given as a
 * relative path with a slash ({@code ./client}, {@code bin/client}) is found in the description's folder, and every
 * command runs in that folder.
 */
public final class ProcessClient extends IdentifiedClient {

    public static final int EXIT_NOT_SUPPORTED = 89;
    /** The version of the description format this suite reads. */
    public static final int FORMAT_VERSION = 1;
    /** Every placeholder a command, an environment value or the client-ID template may use. */
    public static final List<String> PLACEHOLDERS = List.of("host", "port", "server_name", "alpn", "ca_file", "cert_file",
            "key_file", "client_id", "keep_alive", "clean", "topic", "payload", "qos", "expect", "timeout_s", "timeout_ms",
            "persistent_flag", "time_scale");
    /** {@code {name}}, or {@code {name|default}} to stand in a default for an empty value. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)(?:\\|([^}]*))?}");
    private static final String SCHEMA_RESOURCE = "/io/alpnlab/conformance/clients/client-description.schema.json";
    private static final JsonSchema SCHEMA = loadSchema();

    private final Map<String, List<String>> commands;
    private final Map<String, String> errorMap;
    private final DisabledCases disabled;
    private final String persistentFlag;
    private final CommandLauncher launcher;
    private final Map<String, String> environment;
    private final Path folder;
    private final Pattern failurePattern;
    private final String clientIdTemplate;

    ProcessClient(String name, String version, Map<String, List<String>> commands, Map<String, String> errorMap,
            DisabledCases disabled, String persistentFlag, CommandLauncher launcher) {
        this(new Identity(name, version, false, Map.of()), commands, errorMap, disabled, persistentFlag, launcher, Map.of(), null,
                null, "{client_id}");
    }

    private ProcessClient(Identity identity, Map<String, List<String>> commands, Map<String, String> errorMap,
            DisabledCases disabled, String persistentFlag, CommandLauncher launcher, Map<String, String> environment, Path folder,
            Pattern failurePattern, String clientIdTemplate) {
        super(identity);
        this.launcher = launcher;
        this.commands = commands;
        this.errorMap = errorMap;
        this.disabled = disabled;
        this.persistentFlag = persistentFlag;
        this.environment = environment;
        this.folder = folder;
        this.failurePattern = failurePattern;
        this.clientIdTemplate = clientIdTemplate;
    }

    /** The descriptions that ship with the suite, usable as {@code process:<name>}. */
    public static final List<String> BUILT_IN = List.of("mosquitto", "openssl-s_client");

    /**
     * Reads a client description: a built-in name ({@link #BUILT_IN}) or a JSON file. A missing field, a wrong type or an
     * unknown key is an error naming the file and the field.
     */
    public static ProcessClient load(String nameOrPath) {
        if (BUILT_IN.contains(nameOrPath)) {
            return parse(builtInJson(nameOrPath), "/io/alpnlab/conformance/clients/" + nameOrPath + ".json", null,
                    CommandLauncher.LOCAL);
        }
        Path file = Path.of(nameOrPath).toAbsolutePath().normalize();
        return parse(readJson(file), file.toString(), file.getParent(), CommandLauncher.LOCAL);
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

    /** A description given as JSON; {@code source} names it in error messages; relative paths are the working directory's. */
    public static ProcessClient fromJson(JsonNode root, String source) {
        return parse(root, source, null, CommandLauncher.LOCAL);
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
        // The programs are in the image: nothing is looked up in the description's folder.
        return parse(root, path, null, new ContainerLauncher(root.get("image").asText()));
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable JSON client description (" + e.getMessage() + ")", e);
        }
    }

    private static JsonSchema loadSchema() {
        try (InputStream in = ProcessClient.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (IOException e) {
            throw new IllegalStateException(SCHEMA_RESOURCE + " unreadable", e);
        }
    }

    /** What is wrong with a description, one line per problem (empty when nothing is). */
    public static List<String> problems(JsonNode root) {
        List<String> problems = new ArrayList<>();
        SCHEMA.validate(root).stream().map(ValidationMessage::getMessage).sorted().forEach(problems::add);
        if (!problems.isEmpty()) {
            return problems;
        }
        root.get("commands").fields().forEachRemaining(entry -> unknownPlaceholders(entry.getValue(), "$.commands." + entry.getKey(), problems));
        root.path("env").fields().forEachRemaining(entry -> unknownPlaceholders(entry.getValue(), "$.env." + entry.getKey(), problems));
        unknownPlaceholders(root.path("clientId"), "$.clientId", problems);
        for (String key : new String[] {"failurePattern", "versionPattern"}) {
            if (root.has(key)) {
                try {
                    Pattern.compile(root.get(key).asText());
                } catch (PatternSyntaxException e) {
                    problems.add("$." + key + ": not a regular expression (" + e.getDescription() + ")");
                }
            }
        }
        return problems;
    }

    private static void unknownPlaceholders(JsonNode texts, String where, List<String> problems) {
        List<JsonNode> values = new ArrayList<>();
        if (texts.isArray()) {
            texts.forEach(values::add);
        } else if (texts.isTextual()) {
            values.add(texts);
        }
        for (JsonNode value : values) {
            Matcher matcher = PLACEHOLDER.matcher(value.asText());
            while (matcher.find()) {
                if (!PLACEHOLDERS.contains(matcher.group(1))) {
                    problems.add(where + ": unknown placeholder {" + matcher.group(1) + "}; known: " + PLACEHOLDERS);
                }
            }
        }
    }

    private static ProcessClient parse(JsonNode root, String file, Path folder, CommandLauncher launcher) {
        List<String> problems = problems(root);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + ": not a valid client description (format version " + FORMAT_VERSION
                    + ", docs/CLIENT-DESCRIPTION.md):\n  " + String.join("\n  ", problems));
        }
        Map<String, List<String>> commands = new LinkedHashMap<>();
        root.get("commands").fields().forEachRemaining(entry ->
                commands.put(entry.getKey(), inFolder(strings(entry.getValue()), folder)));
        Map<String, String> errorMap = new LinkedHashMap<>();
        root.path("errorMap").fields().forEachRemaining(entry -> errorMap.put(entry.getKey(), entry.getValue().asText()));
        Map<String, String> disabled = new LinkedHashMap<>();
        root.path("disabled").fields().forEachRemaining(entry -> disabled.put(entry.getKey(), entry.getValue().asText()));
        Map<String, String> environment = new LinkedHashMap<>();
        root.path("env").fields().forEachRemaining(entry -> environment.put(entry.getKey(), entry.getValue().asText()));
        String version = "";
        if (root.has("versionCommand")) {
            version = probeVersion(launcher, inFolder(strings(root.get("versionCommand")), folder), environment, folder,
                    Pattern.compile(root.path("versionPattern").asText("(\\S+)")));
        }
        // Multi-line: a client's error is a line among others, and "^Error:" should mean a line that starts so.
        Pattern failurePattern = root.has("failurePattern") ? Pattern.compile(root.get("failurePattern").asText(), Pattern.MULTILINE)
                : null;
        Identity identity = new Identity(root.get("name").asText(), version, root.path("scalesTime").asBoolean(false), Map.of());
        return new ProcessClient(identity, commands, errorMap, new DisabledCases(disabled), root.path("persistentFlag").asText(""),
                launcher, Map.copyOf(environment), folder, failurePattern, root.path("clientId").asText("{client_id}"));
    }

    private static List<String> strings(JsonNode node) {
        List<String> values = new ArrayList<>();
        node.forEach(value -> values.add(value.asText()));
        return values;
    }

    /** A program given as a relative path with a slash is the description's folder's, as a shell script's would be. */
    private static List<String> inFolder(List<String> command, Path folder) {
        String program = command.get(0);
        if (folder == null || !program.contains("/") || Path.of(program).isAbsolute()) {
            return command;
        }
        List<String> resolved = new ArrayList<>(command);
        resolved.set(0, folder.resolve(program).normalize().toString());
        return resolved;
    }

    private static String probeVersion(CommandLauncher launcher, List<String> command, Map<String, String> environment,
            Path folder, Pattern pattern) {
        try {
            CommandLauncher.Execution probe = launcher.run(command, environment, folder, null, Duration.ofSeconds(30));
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
        Map<String, String> values = values(task);
        List<String> command = expand(template, values);
        Map<String, String> env = new LinkedHashMap<>();
        environment.forEach((key, value) -> env.put(key, expandText(value, values)));
        long start = System.nanoTime();
        // A little grace over the task's own timeout: the program is asked to stop by then (timeout_s).
        CommandLauncher.Execution execution = launcher.run(command, env, folder, task, task.timeout().plusSeconds(3));
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
        Matcher printedFailure = failurePattern == null ? null : failurePattern.matcher(out + err);
        if (exit == 0 && printedFailure != null && printedFailure.find()) {
            // A client that prints its failure and exits 0 must not pass on its exit status.
            return ClientReport.failure(token(out + err), "exit 0, but the output matches failurePattern: " + lineOf(out + err,
                    printedFailure.start()), output, elapsed);
        }
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

    private static String lineOf(String text, int index) {
        int from = text.lastIndexOf('\n', Math.max(0, index - 1)) + 1;
        int to = text.indexOf('\n', index);
        return text.substring(from, to < 0 ? text.length() : to).strip();
    }

    /** The client ID the client actually uses for a task: the description's template, {client_id} unless it says otherwise. */
    @Override
    public String clientIdFor(ClientTask task) {
        return expandText(clientIdTemplate, values(task));
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
        values.put("time_scale", Double.toString(task.timeScale()));
        return values;
    }

    /** Substitutes the placeholders in one text (an environment value, the client-ID template). */
    private static String expandText(String text, Map<String, String> values) {
        List<String> expanded = expand(List.of(text), values);
        return expanded.isEmpty() ? "" : expanded.get(0);
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
