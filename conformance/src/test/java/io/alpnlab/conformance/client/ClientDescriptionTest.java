package io.alpnlab.conformance.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client description contract of docs/CLIENT-DESCRIPTION.md, with real programs (shell scripts) run the way the suite
 * runs a described client: unknown keys and placeholders are errors, programs and files are the description's folder's,
 * the {@code env} map reaches the program, {@code failurePattern} turns a printed failure with exit 0 into a failure,
 * and the time-scale and client-ID declarations are read.
 */
class ClientDescriptionTest {

    @TempDir
    Path folder;

    private static ClientTask publish(String clientId) {
        return new ClientTask(ClientTask.Action.PUBLISH, "127.0.0.1", 8883, "endpoint.example", List.of(), Path.of("ca.pem"),
                Path.of("cert.pem"), Path.of("key.pem"), clientId, 30, true, "t/1", "hello", 1, 0, Duration.ofSeconds(10), 0.05);
    }

    /** Writes an executable script into the description's folder. */
    private Path script(String relative, String body) throws Exception {
        Path file = folder.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private Path description(String json) throws Exception {
        Path file = folder.resolve("client.json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }

    /** Loading this description fails; the error, which must name the file. */
    private IllegalArgumentException loadError(String json) throws Exception {
        Path file = description(json);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> ProcessClient.load(file.toString()));
        assertTrue(error.getMessage().startsWith(file.toString()), error.getMessage());
        return error;
    }

    @Test
    void the_built_in_descriptions_follow_the_schema() {
        for (String name : ProcessClient.BUILT_IN) {
            assertEquals(List.of(), ProcessClient.problems(ProcessClient.builtInJson(name)), name);
        }
    }

    @Test
    void an_unknown_key_is_an_error_naming_the_file_and_the_key() throws Exception {
        IllegalArgumentException error = loadError("{\"name\": \"c\", \"commands\": {\"PUBLISH\": [\"true\"]}, \"errormap\": {}}");
        assertTrue(error.getMessage().contains("errormap"), error.getMessage());
    }

    @Test
    void an_unknown_action_or_placeholder_is_an_error_naming_where() throws Exception {
        IllegalArgumentException unknownAction = loadError("{\"name\": \"c\", \"commands\": {\"PUBLISH_ONCE\": [\"true\"]}}");
        assertTrue(unknownAction.getMessage().contains("PUBLISH_ONCE"), unknownAction.getMessage());

        IllegalArgumentException unknownPlaceholder = loadError(
                "{\"name\": \"c\", \"commands\": {\"PUBLISH\": [\"true\", \"{server}\"]}}");
        assertTrue(unknownPlaceholder.getMessage().contains("$.commands.PUBLISH: unknown placeholder {server}"),
                unknownPlaceholder.getMessage());
    }

    @Test
    void programs_and_files_are_found_in_the_description_folder_with_its_env() throws Exception {
        script("bin/publish.sh", "echo \"id=$DEVICE_ID mode=$CLIENT_MODE\"; cat settings.txt");
        Files.writeString(folder.resolve("settings.txt"), "settings from the description's folder\n");
        Path file = description("{\"name\": \"scripted\", \"commands\": {\"PUBLISH\": [\"bin/publish.sh\"]},"
                + " \"env\": {\"DEVICE_ID\": \"{client_id}\", \"CLIENT_MODE\": \"test\"}}");
        // Loaded from elsewhere: the suite's working directory is not the description's folder.
        ProcessClient client = ProcessClient.load(file.toString());
        ClientReport report = client.run(publish("device-7"));
        assertTrue(report.succeeded(), report.toString());
        assertTrue(report.output().contains("id=device-7 mode=test"), report.output());
        assertTrue(report.output().contains("settings from the description's folder"), report.output());
    }

    @Test
    void a_printed_failure_with_exit_0_is_a_failure_with_its_token() throws Exception {
        script("client.sh", "echo 'connecting'; echo 'Error: TLS handshake failed: alert 112'; exit 0");
        Path file = description("{\"name\": \"lenient\", \"commands\": {\"PUBLISH\": [\"./client.sh\"]},"
                + " \"failurePattern\": \"^Error: \", \"errorMap\": {\"alert 112\": \"SNI_REFUSED\"}}");
        ClientReport report = ProcessClient.load(file.toString()).run(publish("c1"));
        assertFalse(report.succeeded(), report.toString());
        assertEquals("SNI_REFUSED", report.errorToken());
        assertTrue(report.message().contains("Error: TLS handshake failed"), report.message());

        // Without the pattern, the same program passes on its exit status: the reason the key exists.
        Path lenient = description("{\"name\": \"lenient\", \"commands\": {\"PUBLISH\": [\"./client.sh\"]}}");
        assertTrue(ProcessClient.load(lenient.toString()).run(publish("c1")).succeeded());
    }

    @Test
    void a_bad_failure_pattern_is_an_error_at_load() throws Exception {
        IllegalArgumentException error = loadError(
                "{\"name\": \"c\", \"commands\": {\"PUBLISH\": [\"true\"]}, \"failurePattern\": \"([a-z\"}");
        assertTrue(error.getMessage().contains("$.failurePattern: not a regular expression"), error.getMessage());
    }

    @Test
    void time_scaling_and_a_derived_client_id_are_declared() throws Exception {
        script("client.sh", "echo \"scale=$1\"");
        Path file = description("{\"name\": \"scaled\", \"scalesTime\": true, \"clientId\": \"{client_id}-sensor\","
                + " \"commands\": {\"PUBLISH\": [\"./client.sh\", \"{time_scale}\"]}}");
        ProcessClient client = ProcessClient.load(file.toString());
        assertTrue(client.scalesTime());
        assertEquals("alpnlab-case-sensor", client.clientIdFor(publish("alpnlab-case")));
        assertTrue(client.run(publish("c1")).output().contains("scale=0.05"));

        Path plain = description("{\"name\": \"plain\", \"commands\": {\"PUBLISH\": [\"true\"]}}");
        ProcessClient given = ProcessClient.load(plain.toString());
        assertFalse(given.scalesTime());
        assertEquals("alpnlab-case", given.clientIdFor(publish("alpnlab-case")));
    }
}
