package io.alpnlab.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.BrokerPki;
import io.alpnlab.broker.BrokerSettings;
import io.alpnlab.testing.RealPeer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C agent's side of docs/AGENT-PROTOCOL.md on bad input: every malformed line gets an ERROR
 * naming what was wrong, and the agent keeps the connection and keeps serving.
 */
class CAgentProtocolTest {

    private static final Path AGENT_SOURCES = Path.of("..", "agents", "c").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void bad_lines_get_an_error_naming_the_problem_and_the_agent_keeps_serving() throws Exception {
        RealPeer.require("make", "make");
        RealPeer.Result build = RealPeer.run(Duration.ofMinutes(2), List.of("make", "-C", AGENT_SOURCES.toString(),
                "BUILD=" + dir.resolve("build")));
        assertEquals(0, build.exitCode(), build.toString());
        BrokerPki files = BrokerPki.prepare(BrokerSettings.fromProperties(Map.of("broker.pki-dir", dir.resolve("pki").toString())));
        try (RealPeer.Running agent = RealPeer.start(List.of(dir.resolve("build/alpnlab-agent").toString(), "--listen",
                "127.0.0.1:0", "--ca", files.trustBundle().toString(), "--cert", files.deviceCertificate().toString(),
                "--key", files.deviceKey().toString()))) {
            Matcher listening = Pattern.compile("agent listening on 127\\.0\\.0\\.1:(\\d+)")
                    .matcher(agent.awaitOutput("agent listening on", Duration.ofSeconds(10)));
            assertTrue(listening.find(), agent.output());
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(listening.group(1)))) {
                socket.setSoTimeout(10_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
                String hello = in.readLine();
                assertTrue(hello.startsWith("HELLO ALPNLAB-AGENT/1 "), hello);
                assertTrue(hello.contains(" tls=mbedtls%2F2.28"), hello);

                assertEquals("ERROR message=cannot%20parse%20the%20line%20%28COMMAND%20key%3Dvalue%20...%2C%20values%20"
                        + "percent-encoded%29", exchange(in, out, "run lowercase"));
                assertEquals("ERROR message=unknown%20command%20%27FLY%27", exchange(in, out, "FLY"));
                assertEquals("ERROR message=RUN%20needs%20host", exchange(in, out, "RUN action=CONNECT"));
                assertEquals("ERROR message=unknown%20action%20%27HOVER%27", exchange(in, out,
                        "RUN action=HOVER host=127.0.0.1 port=1 server_name=x client_id=y"));
                assertEquals("ERROR message=port%20must%20be%201..65535", exchange(in, out,
                        "RUN action=CONNECT host=127.0.0.1 port=99999 server_name=x client_id=y"));
                assertEquals("ERROR message=cannot%20parse%20the%20line%20%28COMMAND%20key%3Dvalue%20...%2C%20values%20"
                        + "percent-encoded%29", exchange(in, out, "RUN payload=%ZZ"));
                assertEquals("ERROR message=line%20longer%20than%204096%20bytes", exchange(in, out, "RUN " + "a".repeat(5000)));
                // Still serving: a real task after all that, to a port where nothing listens.
                assertTrue(exchange(in, out, "RUN action=CONNECT host=127.0.0.1 port=1 server_name=x client_id=y timeout_ms=300"
                        + " time_scale=0.01").startsWith("RESULT outcome=failure token=TCP_CONNECT"));
                assertEquals("BYE", exchange(in, out, "BYE"));
            }
        }
    }

    /** Sends a line and returns the first reply that is not a LOG line. */
    private static String exchange(BufferedReader in, Writer out, String line) throws Exception {
        out.write(line + "\n");
        out.flush();
        String reply;
        do {
            reply = in.readLine();
        } while (reply != null && reply.startsWith("LOG "));
        return reply;
    }
}
