package io.alpnlab.conformance.reference;

import io.alpnlab.conformance.client.AgentProtocol;
import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference implementation of the device agent (docs/AGENT-PROTOCOL.md), serving the
 * reference client: what a device's firmware implements, written in Java to prove the protocol and
 * the suite's agent driver over a real network path. It holds the CA file and credentials itself,
 * as a device does.
 *
 * <p>{@code java -cp conformance.jar io.alpnlab.conformance.reference.ReferenceAgent
 * --listen 0.0.0.0:7883 --ca root-ca.pem --cert device.cert.pem --key device.key.pem [--defect no-sni]}
 */
public final class ReferenceAgent implements AutoCloseable {

    private final ServerSocket server;
    private final ReferenceClient client;
    private final Path ca;
    private final Path cert;
    private final Path key;
    private volatile boolean closed;

    public ReferenceAgent(InetSocketAddress listen, Path ca, Path cert, Path key, Defects defects) throws IOException {
        this.server = new ServerSocket();
        server.bind(listen);
        this.client = new ReferenceClient(defects);
        this.ca = ca;
        this.cert = cert;
        this.key = key;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Serves one suite connection at a time until closed. */
    public void serve() {
        while (!closed) {
            try (Socket socket = server.accept()) {
                session(socket);
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("agent: connection ended: " + e.getMessage());
                }
            }
        }
    }

    private void session(Socket socket) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
        Map<String, String> hello = new LinkedHashMap<>();
        hello.put("name", client.name());
        hello.put("version", client.version());
        hello.put("scales_time", "1");
        write(out, AgentProtocol.format("HELLO " + AgentProtocol.VERSION, hello));
        for (String text = in.readLine(); text != null; text = in.readLine()) {
            if (text.isBlank()) {
                continue;
            }
            AgentProtocol.Line line;
            try {
                line = AgentProtocol.parse(text);
            } catch (IllegalArgumentException e) {
                write(out, AgentProtocol.format("ERROR", Map.of("message", e.getMessage())));
                continue;
            }
            switch (line.command()) {
                case "BYE" -> {
                    write(out, "BYE");
                    return;
                }
                case "RUN" -> run(line, out);
                default -> write(out, AgentProtocol.format("ERROR", Map.of("message", "unknown command " + line.command())));
            }
        }
    }

    private void run(AgentProtocol.Line line, Writer out) throws IOException {
        ClientTask task;
        try {
            task = task(line);
        } catch (IllegalArgumentException e) {
            write(out, AgentProtocol.format("ERROR", Map.of("message", e.getMessage())));
            return;
        }
        ClientReport report;
        try {
            report = client.run(task);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            write(out, AgentProtocol.format("RESULT", Map.of("outcome", "failure", "token", "INTERRUPTED", "message", "")));
            return;
        }
        for (String message : report.received()) {
            int space = message.indexOf(' ');
            write(out, AgentProtocol.format("RECEIVED", Map.of("topic", space < 0 ? message : message.substring(0, space),
                    "payload", space < 0 ? "" : message.substring(space + 1))));
        }
        for (String logLine : report.output().lines().toList()) {
            write(out, AgentProtocol.format("LOG", Map.of("text", logLine)));
        }
        Map<String, String> result = new LinkedHashMap<>();
        switch (report.outcome()) {
            case SUCCESS -> result.put("outcome", "success");
            case NOT_SUPPORTED -> {
                result.put("outcome", "unsupported");
                result.put("message", report.message());
            }
            case FAILURE -> {
                result.put("outcome", "failure");
                result.put("token", report.errorToken());
                result.put("message", report.message());
            }
        }
        write(out, AgentProtocol.format("RESULT", result));
    }

    private ClientTask task(AgentProtocol.Line line) {
        String alpn = line.fields().getOrDefault("alpn", "");
        return new ClientTask(ClientTask.Action.valueOf(line.required("action")), line.required("host"),
                Integer.parseInt(line.required("port")), line.required("server_name"),
                alpn.isEmpty() ? List.of() : Arrays.asList(alpn.split(",")), ca, cert, key, line.required("client_id"),
                Integer.parseInt(line.fields().getOrDefault("keep_alive", "30")), !"0".equals(line.field("clean")),
                line.fields().getOrDefault("topic", "alpnlab/agent"), line.fields().getOrDefault("payload", ""),
                Integer.parseInt(line.fields().getOrDefault("qos", "1")), Integer.parseInt(line.fields().getOrDefault("expect", "0")),
                Duration.ofMillis(Long.parseLong(line.fields().getOrDefault("timeout_ms", "20000"))),
                Double.parseDouble(line.fields().getOrDefault("time_scale", "1.0")));
    }

    private static void write(Writer out, String line) throws IOException {
        out.write(line + "\n");
        out.flush();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage("unexpected argument '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0) {
            usage("option " + args[args.length - 1] + " needs a value");
        }
        for (String required : List.of("listen", "ca", "cert", "key")) {
            if (!options.containsKey(required)) {
                usage("missing --" + required);
            }
        }
        String listen = options.get("listen");
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            usage("--listen needs ADDRESS:PORT, got '" + listen + "'");
        }
        Defects defects = options.containsKey("defect") ? Defects.named(options.get("defect")) : Defects.NONE;
        try (ReferenceAgent agent = new ReferenceAgent(new InetSocketAddress(InetAddress.getByName(listen.substring(0, colon)),
                Integer.parseInt(listen.substring(colon + 1))), Path.of(options.get("ca")), Path.of(options.get("cert")),
                Path.of(options.get("key")), defects)) {
            System.out.println("agent listening on " + listen.substring(0, colon) + ":" + agent.port() + " ("
                    + AgentProtocol.VERSION + ")");
            System.out.flush();
            agent.serve();
        }
    }

    private static void usage(String problem) {
        System.err.println("reference-agent: " + problem);
        System.err.println("usage: --listen ADDRESS:PORT --ca FILE --cert FILE --key FILE [--defect NAME]");
        System.exit(2);
    }
}
