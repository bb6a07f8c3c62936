package io.alpnlab.broker.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What the rule catalogue says an AWS-like endpoint answers to each probe ({@code predicted-v<N>.json} beside this
 * class): for each probe, the fields the rules determine, with the rules that determine them. A field the rules say
 * nothing exact about (the chain's sizes, the ServerHello's extensions) is left out and not compared. The mock's
 * fingerprint must meet every prediction; a user's AWS fingerprint shows where AWS and the rules part.
 */
public final class Prediction {

    private final JsonNode root;

    private Prediction(JsonNode root) {
        this.root = root;
    }

    public static Prediction load(int probeSet) {
        String resource = "predicted-v" + probeSet + ".json";
        try (InputStream in = Prediction.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no prediction for probe set " + probeSet);
            }
            return new Prediction(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new IllegalStateException(resource + " unreadable", e);
        }
    }

    /** The predictions the fingerprint does not meet, one line each, naming the probe, the field and the rules. */
    public List<String> unmet(Fingerprint fingerprint) {
        List<String> unmet = new ArrayList<>();
        if (root.path("probeSet").asInt() != fingerprint.probeSet()) {
            unmet.add("the prediction is for probe set " + root.path("probeSet").asInt() + ", the fingerprint of " + fingerprint.probeSet());
            return unmet;
        }
        ObjectMapper json = new ObjectMapper();
        for (JsonNode predicted : root.path("probes")) {
            String id = predicted.path("id").asText();
            ProbeResult actual = fingerprint.probes().stream().filter(result -> result.id().equals(id)).findFirst().orElse(null);
            if (actual == null) {
                unmet.add(id + ": not in the fingerprint");
                continue;
            }
            JsonNode answered = json.valueToTree(actual);
            Iterator<Map.Entry<String, JsonNode>> fields = predicted.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getKey().equals("id") || field.getKey().equals("rules")) {
                    continue;
                }
                JsonNode value = answered.path(field.getKey());
                if (!field.getValue().equals(value.isMissingNode() ? json.nullNode() : value)) {
                    unmet.add(id + " " + field.getKey() + ": predicted " + field.getValue() + " (" + predicted.path("rules")
                            + "), answered " + value);
                }
            }
        }
        return unmet;
    }
}
