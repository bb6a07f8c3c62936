package io.alpnlab.conformance;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The suite's settings, read from {@code conformance.*} properties in this one place ({@code -Dtarget}
 * is the documented short form of {@code conformance.target}). Unknown keys and bad values are errors.
 *
 * @param client which client is judged: {@code reference}, {@code reference:<defect>}, {@code java:<class>},
 *     {@code service}, {@code process:<config.json>}, {@code container:<config.json>}, {@code agent} or {@code passive}
 * @param target the device agent's {@code host[:port]} (agent and passive modes), or null
 * @param include case ID globs to run (empty: all)
 * @param exclude case ID globs to skip
 * @param caseTimeout the hard limit of one case
 * @param timeScale factor on protocol times for clients that scale their timers
 * @param realTime run time-dependent cases in real time for clients that cannot scale
 * @param allowUnsupported whether "not supported" cases may pass the run
 * @param resultsDir where results.json and the per-case files go
 * @param runId this run's identity, written into results.json so that the report step refuses another run's results
 * @param capture which cases get a pcapng capture and key log per connection
 * @param policy AWS IoT policy documents (JSON) the policy case runs the device under, together as if attached to
 *     its certificate; empty for the suite's own least-privilege policy for the task
 */
public record ConformanceSettings(String client, String target, List<String> include, List<String> exclude,
        Duration caseTimeout, double timeScale, boolean realTime, boolean allowUnsupported, Path resultsDir, String runId,
        Capture capture, List<Path> policy) {

    /** Which cases' connections are written as captures with their TLS secrets. */
    public enum Capture { FAILING, ALL, OFF }

    public static final String PREFIX = "conformance.";
    public static final int DEFAULT_AGENT_PORT = 7883;

    static final Map<String, String[]> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("client", new String[] {"reference", "reference | reference:<defect> | java:<class> | service"
                + " | process:<config.json> | container:<config.json> | agent | passive"});
        KEYS.put("target", new String[] {"", "device agent host[:port] (-Dtarget= is the short form)"});
        KEYS.put("include", new String[] {"", "case ID globs to run, comma-separated"});
        KEYS.put("exclude", new String[] {"", "case ID globs to skip, comma-separated"});
        // Room for a real-time backoff case: 9 attempts of full jitter from 1 s take up to 255 s, plus CONNACK time-outs.
        KEYS.put("case-timeout-ms", new String[] {"420000", "hard limit of one case"});
        KEYS.put("time-scale", new String[] {"0.05", "factor on protocol times for clients that scale their timers"});
        KEYS.put("real-time", new String[] {"false", "run time-dependent cases in real time for clients that cannot scale"});
        KEYS.put("allow-unsupported", new String[] {"false", "let 'not supported' cases pass the run"});
        KEYS.put("results-dir", new String[] {"target/conformance", "where results.json and case files go"});
        // Maven passes the build's start time to the suite and to the report step alike; a run started by hand gets a
        // random one, which no report step can be given by mistake.
        KEYS.put("run-id", new String[] {"", "this run's identity in results.json (default: a random one)"});
        KEYS.put("capture", new String[] {"failing", "pcapng capture and TLS key log of each connection: failing (cases that"
                + " fail or are blocked), all, or off"});
        KEYS.put("policy", new String[] {"", "AWS IoT policy documents (JSON, no wildcards), comma-separated, for"
                + " Policy-LeastPrivilege; default: the suite's least-privilege policy for the task"});
    }

    public static ConformanceSettings fromProperties(Map<String, String> properties) {
        Map<String, String> values = new TreeMap<>();
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            String key = entry.getKey();
            if (key.equals("target")) {
                values.putIfAbsent("target", entry.getValue().trim());
                continue;
            }
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String name = key.substring(PREFIX.length());
            if (!KEYS.containsKey(name)) {
                throw new IllegalArgumentException("unknown setting '" + key + "'; known: "
                        + KEYS.keySet().stream().map(known -> PREFIX + known).collect(Collectors.joining(", ")));
            }
            values.put(name, entry.getValue().trim());
        }
        String target = values.getOrDefault("target", "");
        String client = values.containsKey("client") ? values.get("client") : target.isEmpty() ? "reference" : "agent";
        if (client.equals("agent") && target.isEmpty()) {
            throw new IllegalArgumentException("conformance.client=agent needs the device: -Dtarget=<host>[:port]");
        }
        double scale = number(values, "time-scale");
        if (!(scale > 0 && scale <= 1)) {
            throw new IllegalArgumentException("conformance.time-scale must be within (0, 1], got " + scale);
        }
        long timeout = (long) number(values, "case-timeout-ms");
        if (timeout < 1000) {
            throw new IllegalArgumentException("conformance.case-timeout-ms must be at least 1000, got " + timeout);
        }
        return new ConformanceSettings(client, target.isEmpty() ? null : target, list(values, "include"), list(values, "exclude"),
                Duration.ofMillis(timeout), scale, bool(values, "real-time"), bool(values, "allow-unsupported"),
                Path.of(values.getOrDefault("results-dir", KEYS.get("results-dir")[0])), runId(values.getOrDefault("run-id", "")),
                capture(values.getOrDefault("capture", KEYS.get("capture")[0])), policy(values.getOrDefault("policy", "")));
    }

    private static List<Path> policy(String given) {
        List<Path> files = new ArrayList<>();
        for (String name : given.split(",")) {
            if (name.isBlank()) {
                continue;
            }
            Path file = Path.of(name.trim());
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException(PREFIX + "policy: '" + name.trim() + "' is not a file");
            }
            files.add(file);
        }
        return List.copyOf(files);
    }

    private static Capture capture(String given) {
        try {
            return Capture.valueOf(given.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "capture='" + given + "' must be failing, all or off", e);
        }
    }

    private static String runId(String given) {
        if (given.isEmpty()) {
            return java.util.UUID.randomUUID().toString();
        }
        if (!given.matches("[A-Za-z0-9._:-]{1,64}")) {
            throw new IllegalArgumentException(PREFIX + "run-id='" + given + "' must be 1 to 64 letters, digits or . _ : -");
        }
        return given;
    }

    /** Whether a case ID is selected by the include and exclude globs. */
    public boolean selects(String caseId) {
        boolean included = include.isEmpty() || include.stream().anyMatch(glob -> glob(glob).matcher(caseId).matches());
        return included && exclude.stream().noneMatch(glob -> glob(glob).matcher(caseId).matches());
    }

    public static boolean globMatches(String glob, String caseId) {
        return glob(glob).matcher(caseId).matches();
    }

    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString());
    }

    public Map<String, String> describe() {
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("client", client);
        shown.put("target", target == null ? "" : target);
        shown.put("include", String.join(",", include));
        shown.put("exclude", String.join(",", exclude));
        shown.put("time-scale", Double.toString(timeScale));
        shown.put("real-time", Boolean.toString(realTime));
        shown.put("allow-unsupported", Boolean.toString(allowUnsupported));
        shown.put("results-dir", resultsDir.toString());
        shown.put("run-id", runId);
        shown.put("capture", capture.name().toLowerCase(java.util.Locale.ROOT));
        shown.put("policy", String.join(",", policy.stream().map(Path::toString).toList()));
        return shown;
    }

    private static List<String> list(Map<String, String> values, String key) {
        String text = values.getOrDefault(key, "");
        List<String> items = new ArrayList<>();
        Arrays.stream(text.split(",")).map(String::trim).filter(item -> !item.isEmpty()).forEach(items::add);
        return items;
    }

    private static double number(Map<String, String> values, String key) {
        String text = values.getOrDefault(key, KEYS.get(key)[0]);
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + "='" + text + "' is not a number", e);
        }
    }

    private static boolean bool(Map<String, String> values, String key) {
        String text = values.getOrDefault(key, KEYS.get(key)[0]);
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException(PREFIX + key + "='" + text + "' must be true or false");
        }
        return Boolean.parseBoolean(text);
    }
}
