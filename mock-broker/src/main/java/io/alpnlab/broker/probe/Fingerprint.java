package io.alpnlab.broker.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How one endpoint answered one probe set: written as JSON, and compared probe by probe with another endpoint's (the
 * mock's with AWS's, or with the one the rule catalogue predicts).
 *
 * @param probeSet the probe set's version ({@link ProbeSet#VERSION})
 * @param target what was probed, in words (never a credential)
 * @param probes the answers, in probe order
 */
public record Fingerprint(int probeSet, String target, List<ProbeResult> probes) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public String toJson() throws IOException {
        return JSON.writeValueAsString(this);
    }

    public static Fingerprint read(Path file) {
        try {
            return JSON.readValue(file.toFile(), Fingerprint.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable fingerprint (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The differences, one line per probe and field ({@code 8883-no-sni outcome: alert:unrecognized_name ->
     * handshake_complete}); empty when the two answered alike. Fingerprints of different probe sets do not compare.
     */
    public List<String> differences(Fingerprint other) {
        if (probeSet != other.probeSet) {
            throw new IllegalArgumentException("probe set " + probeSet + " and probe set " + other.probeSet + " do not compare;"
                    + " probe both endpoints with the same version");
        }
        Map<String, ProbeResult> theirs = new LinkedHashMap<>();
        other.probes.forEach(result -> theirs.put(result.id(), result));
        List<String> differences = new ArrayList<>();
        for (ProbeResult mine : probes) {
            ProbeResult their = theirs.remove(mine.id());
            if (their == null) {
                differences.add(mine.id() + ": only in " + target);
                continue;
            }
            compare(differences, mine.id(), "outcome", mine.outcome(), their.outcome());
            compare(differences, mine.id(), "version", mine.version(), their.version());
            compare(differences, mine.id(), "alpn", mine.alpn(), their.alpn());
            compare(differences, mine.id(), "certificateRequest", mine.certificateRequest(), their.certificateRequest());
            compare(differences, mine.id(), "chain", mine.chain(), their.chain());
            compare(differences, mine.id(), "serverExtensions", mine.serverExtensions(), their.serverExtensions());
            compare(differences, mine.id(), "mqtt", mine.mqtt(), their.mqtt());
        }
        theirs.keySet().forEach(id -> differences.add(id + ": only in " + other.target));
        return differences;
    }

    private static void compare(List<String> differences, String id, String field, Object mine, Object theirs) {
        if (!Objects.equals(mine, theirs)) {
            differences.add(id + " " + field + ": " + mine + " -> " + theirs);
        }
    }
}
