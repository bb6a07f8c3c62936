package io.alpnlab.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpnlab.conformance.client.ProcessClient;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Variants of the built-in process descriptions, derived in code so that each differs from the
 * shipped description in exactly the arguments under test ({@code -noservername}, no
 * {@code --tls-alpn}, {@code --insecure}).
 */
public final class ClientVariants {

    private ClientVariants() {
    }

    /**
     * The built-in description with argument sequences replaced in every command. A key is one
     * argument, or two adjacent arguments joined by a space (e.g. {@code "-servername {server_name}"}).
     */
    public static ProcessClient replacing(String builtIn, String name, Map<String, List<String>> replacements) {
        ObjectNode root = ProcessClient.builtInJson(builtIn).deepCopy();
        root.put("name", name);
        Iterator<Map.Entry<String, JsonNode>> commands = root.get("commands").fields();
        while (commands.hasNext()) {
            ArrayNode command = (ArrayNode) commands.next().getValue();
            List<String> arguments = new ArrayList<>();
            command.forEach(argument -> arguments.add(argument.asText()));
            List<String> rewritten = new ArrayList<>();
            for (int i = 0; i < arguments.size(); i++) {
                String pair = i + 1 < arguments.size() ? arguments.get(i) + " " + arguments.get(i + 1) : null;
                if (pair != null && replacements.containsKey(pair)) {
                    rewritten.addAll(replacements.get(pair));
                    i++;
                } else if (replacements.containsKey(arguments.get(i))) {
                    rewritten.addAll(replacements.get(arguments.get(i)));
                } else {
                    rewritten.add(arguments.get(i));
                }
            }
            command.removeAll();
            rewritten.forEach(command::add);
        }
        return ProcessClient.fromJson(root, builtIn + " variant '" + name + "'");
    }

    /** openssl s_client sending no SNI. */
    public static ProcessClient opensslWithoutSni() {
        return replacing("openssl-s_client", "openssl s_client -noservername",
                Map.of("-servername {server_name}", List.of("-noservername")));
    }

    /** mosquitto clients never offering ALPN. */
    public static ProcessClient mosquittoWithoutAlpn() {
        return replacing("mosquitto", "mosquitto clients without --tls-alpn", Map.of("[--tls-alpn {alpn}]", List.of()));
    }

    /** mosquitto clients with --insecure (no check that the certificate names the host). */
    public static ProcessClient mosquittoInsecure() {
        return replacing("mosquitto", "mosquitto clients --insecure", Map.of("--cafile", List.of("--insecure", "--cafile")));
    }
}
