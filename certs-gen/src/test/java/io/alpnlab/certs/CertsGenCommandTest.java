package io.alpnlab.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CertsGenCommandTest {

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = CertsGenCommand.commandLine();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void default_run_writes_the_pki_and_prints_files_sizes_and_the_next_step() {
        Run run = run("--out", dir.toString(), "--ip", "127.0.0.1", "--key-types", "rsa");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("server-large                       yes       4991"), run.out());
        assertTrue(run.out().contains("openssl s_client -connect 127.0.0.1:8883 -servername " + PkiSettings.DEFAULT_ENDPOINT),
                run.out());
        assertTrue(Files.exists(dir.resolve("server.fullchain.pem")));
        assertTrue(Files.exists(dir.resolve("device-unknown-ca.cert.pem")));
        assertFalse(Files.exists(dir.resolve("device-ecc.cert.pem")), "ecc not requested");
    }

    @Test
    void unknown_option_fails_with_exit_2_naming_it() {
        Run run = run("--out", dir.toString(), "--frobnicate");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("Unknown option: '--frobnicate'"), run.err());
    }

    @Test
    void bad_key_type_fails_with_exit_2_naming_it() {
        Run run = run("--out", dir.toString(), "--key-types", "rsa,dsa");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("unknown key type 'dsa'"), run.err());
    }

    @Test
    void a_host_name_given_as_ip_fails_without_any_lookup() {
        Run run = run("--out", dir.toString(), "--ip", "example.com");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("'example.com' is not an IPv4 or IPv6 address"), run.err());
    }

    @Test
    void invalid_endpoint_name_fails_with_exit_2() {
        Run run = run("--out", dir.toString(), "--endpoint", "under_score..bad");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("is not a valid DNS host name"), run.err());
    }

    @Test
    void help_documents_every_option() {
        Run run = run("--help");
        assertEquals(0, run.exitCode());
        for (String option : new String[] {"--out", "--endpoint", "--ip", "--key-types", "--device-name", "--replace-ca"}) {
            assertTrue(run.out().contains(option), option + " missing from:\n" + run.out());
        }
    }
}
