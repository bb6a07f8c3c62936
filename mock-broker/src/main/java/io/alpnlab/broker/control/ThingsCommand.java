package io.alpnlab.broker.control;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mock-broker things}: the operator's side of the device services on a running broker, through its
 * control endpoint: read a thing's shadow and set its desired state, queue a job and read its execution.
 * Prints the document the broker answers with.
 */
@Command(name = "things", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Drive a running mock broker's Device Shadow and Jobs as an app would, through its control endpoint.",
        subcommands = {ThingsCommand.Shadow.class, ThingsCommand.Job.class})
public final class ThingsCommand implements Callable<Integer> {

    @Option(names = "--control", paramLabel = "URL", description = "The broker's control endpoint (default:"
            + " http://127.0.0.1:9080).")
    String control = "http://127.0.0.1:9080";

    @Option(names = "--token-file", paramLabel = "FILE", description = "The control endpoint's token, for a broker that"
            + " binds beyond loopback (it printed where the file is).")
    Path tokenFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** Sends one request and prints the answer; 0 on 2xx, 1 otherwise (the broker's message on stderr). */
    int send(String method, String path, String body) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(control.replaceAll("/+$", "") + path))
                    .timeout(Duration.ofSeconds(10)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (tokenFile != null) {
                request.header("Authorization", "Bearer " + Files.readString(tokenFile).trim());
            }
            HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                out.println(response.body());
                return 0;
            }
            err.println(method + " " + path + ": " + response.statusCode() + " " + response.body());
            return 1;
        } catch (IOException e) {
            err.println("cannot reach the control endpoint " + control + ": " + e.getMessage()
                    + " (is the broker running with --control-port?)");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "shadow", mixinStandardHelpOptions = true, description = "Print a thing's shadow document, or set"
            + " desired state with --desired (the device gets the delta).")
    static final class Shadow implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        ThingsCommand parent;

        @Parameters(index = "0", paramLabel = "THING", description = "The thing (the device's client ID).")
        String thing;

        @Option(names = "--name", paramLabel = "SHADOW", description = "A named shadow (default: the classic shadow).")
        String name = "";

        @Option(names = "--desired", paramLabel = "JSON", description = "Desired fields to set, e.g. '{\"color\":\"red\"}'"
                + " (null deletes one).")
        String desired;

        @Override
        public Integer call() {
            String query = name.isEmpty() ? "" : "?name=" + segment(name);
            String path = "/things/" + segment(thing) + "/shadow";
            return desired == null ? parent.send("GET", path + query, null) : parent.send("PUT", path + "/desired" + query, desired);
        }
    }

    @Command(name = "job", mixinStandardHelpOptions = true, description = "Queue a job for a thing with --document, or"
            + " print its execution (status, version, and the statuses it went through).")
    static final class Job implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        ThingsCommand parent;

        @Parameters(index = "0", paramLabel = "THING", description = "The thing (the device's client ID).")
        String thing;

        @Parameters(index = "1", paramLabel = "JOB_ID", description = "The job's ID.")
        String jobId;

        @Option(names = "--document", paramLabel = "JSON", description = "The job document (at most 32 KB) to queue.")
        String document;

        @Override
        public Integer call() {
            String path = "/things/" + segment(thing) + "/jobs/" + segment(jobId);
            return document == null ? parent.send("GET", path, null) : parent.send("PUT", path, document);
        }
    }
}
