package io.alpnlab.conformance.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A device on the network running the alpnlab agent: tasks go to it as {@code RUN} lines over TCP
 * (docs/AGENT-PROTOCOL.md) and its {@code RESULT} comes back. The device holds its CA file and
 * credentials itself; only the task's parameters travel.
 */
public final class AgentClient extends IdentifiedClient {

    private final Socket socket;
    private final BufferedReader in;
    private final Writer out;

    /** HELLO fields with a meaning of their own; every other field is the device's build configuration. */
    private static final java.util.Set<String> HELLO_FIELDS = java.util.Set.of("protocol", "name", "version", "scales_time");

    private AgentClient(Socket socket, BufferedReader in, Writer out, String name, String version, boolean scalesTime,
            Map<String, String> configuration) {
        super(new Identity(name, version, scalesTime, configuration));
        this.socket = socket;
        this.in = in;
        this.out = out;
    }

    /** Connects to {@code host[:port]} (port 7883 by default) and reads the agent's HELLO. */
    public static AgentClient connect(String target) {
        String host = target;
        int port = io.alpnlab.conformance.ConformanceSettings.DEFAULT_AGENT_PORT;
        int colon = target.lastIndexOf(':');
        if (colon > 0 && !target.endsWith("]") && target.indexOf(':') == colon) {
            host = target.substring(0, colon);
            port = Integer.parseInt(target.substring(colon + 1));
        }
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
            String greeting = in.readLine();
            if (greeting == null) {
                throw new IllegalStateException("the agent at " + target + " closed the connection without HELLO");
            }
            AgentProtocol.Line hello = AgentProtocol.parse(greeting);
            if (!hello.command().equals("HELLO") || !AgentProtocol.VERSION.equals(hello.field("protocol"))) {
                throw new IllegalStateException("the agent at " + target + " greeted with '" + greeting + "', expected HELLO "
                        + AgentProtocol.VERSION);
            }
            Map<String, String> configuration = new LinkedHashMap<>(hello.fields());
            configuration.keySet().removeAll(HELLO_FIELDS);
            return new AgentClient(socket, in, out, hello.fields().getOrDefault("name", "agent at " + target),
                    hello.fields().getOrDefault("version", ""), "1".equals(hello.field("scales_time")),
                    java.util.Collections.unmodifiableMap(configuration));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the device agent at " + target + ": " + e.getMessage(), e);
        }
    }





    @Override
    public ClientReport run(ClientTask task) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("action", task.action().name());
        fields.put("host", task.host());
        fields.put("port", Integer.toString(task.port()));
        fields.put("server_name", task.serverName());
        fields.put("alpn", String.join(",", task.alpn()));
        fields.put("client_id", task.clientId());
        fields.put("keep_alive", Integer.toString(task.keepAliveSeconds()));
        fields.put("clean", task.cleanSession() ? "1" : "0");
        fields.put("topic", task.topic());
        fields.put("payload", task.payload());
        fields.put("qos", Integer.toString(task.qos()));
        fields.put("expect", Integer.toString(task.expectMessages()));
        fields.put("timeout_ms", Long.toString(task.timeout().toMillis()));
        fields.put("time_scale", Double.toString(task.timeScale()));
        long start = System.nanoTime();
        List<String> received = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        try {
            out.write(AgentProtocol.format("RUN", fields) + "\n");
            out.flush();
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, task.timeout().toMillis() + 10_000));
            while (true) {
                String text = in.readLine();
                if (text == null) {
                    return ClientReport.failure("AGENT_GONE", "the agent closed the connection during RUN", log.toString(),
                            elapsed(start));
                }
                AgentProtocol.Line line = AgentProtocol.parse(text);
                switch (line.command()) {
                    case "RECEIVED" -> received.add(line.required("topic") + " " + line.fields().getOrDefault("payload", ""));
                    case "LOG" -> log.append(line.fields().getOrDefault("text", "")).append('\n');
                    case "ERROR" -> {
                        String message = line.fields().getOrDefault("message", "");
                        // An agent built before an action existed knows nothing of it: that is "not supported", not a
                        // failure of the device (agents now answer RESULT outcome=unsupported themselves).
                        if (message.startsWith("unknown action '" + task.action().name() + "'")) {
                            return ClientReport.notSupported("the agent does not know the action " + task.action().name()
                                    + " (built before it existed)", elapsed(start));
                        }
                        return ClientReport.failure("AGENT_ERROR", message, log.toString(), elapsed(start));
                    }
                    case "RESULT" -> {
                        String outcome = line.required("outcome");
                        return switch (outcome) {
                            case "success" -> ClientReport.success(received, log.toString(), elapsed(start));
                            case "unsupported" -> ClientReport.notSupported(line.fields().getOrDefault("message", ""), elapsed(start));
                            case "failure" -> ClientReport.failure(line.fields().getOrDefault("token", "FAILED"),
                                    line.fields().getOrDefault("message", ""), log.toString(), elapsed(start));
                            default -> ClientReport.failure("AGENT_ERROR", "unknown outcome '" + outcome + "'", log.toString(),
                                    elapsed(start));
                        };
                    }
                    default -> log.append("(ignored: ").append(text).append(")\n");
                }
            }
        } catch (SocketTimeoutException e) {
            return ClientReport.failure("AGENT_TIMEOUT", "no RESULT within the task timeout plus 10 s", log.toString(), elapsed(start));
        } catch (IOException | IllegalArgumentException e) {
            return ClientReport.failure("AGENT_ERROR", e.getMessage(), log.toString(), elapsed(start));
        }
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public void close() {
        try {
            out.write("BYE\n");
            out.flush();
        } catch (IOException e) {
            // the device may already be gone; closing is all that is left to do
        }
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
