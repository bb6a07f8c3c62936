package io.alpnlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.testing.RealPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Keeps the benchmark working: one small round against both brokers, through its command line. It
 * checks the table is whole and every figure was measured (a positive number for both brokers); the
 * figures themselves are the full run's business (bench/README.md), never a timed assertion here.
 */
class BenchmarkSmokeTest {

    @TempDir
    Path dir;

    @Test
    void one_small_round_measures_every_row_on_both_brokers() throws Exception {
        Path mosquitto = RealPeer.require("mosquitto", "mosquitto");
        Path table = dir.resolve("table.md");
        // Enough work per row for CPU time read in 10 ms clock ticks: with 20 warm-up handshakes the cold row
        // timed 4 of Mosquitto's (about 6 ms) and read 0 ticks in one clean-clone run.
        int exit = new CommandLine(new Benchmark()).execute("--rounds", "1", "--handshakes", "50", "--messages", "300",
                "--idle", "20", "--warmup", "250", "--mosquitto", mosquitto.toString(), "--work-dir", dir.toString(),
                "--markdown", table.toString());
        assertEquals(0, exit);
        List<String> rows = Files.readAllLines(table).stream().filter(line -> line.startsWith("| ") && !line.startsWith("| measure"))
                .toList();
        assertEquals(Benchmark.Measure.values().length, rows.size(), String.join("\n", rows));
        Pattern figures = Pattern.compile("\\| ([^|]+) \\| (-?[0-9.]+) \\S+ \\| (-?[0-9.]+) \\S+ \\| (-?[0-9.]+) \\|");
        for (String row : rows) {
            Matcher matcher = figures.matcher(row);
            assertTrue(matcher.find(), row);
            // Memory per connection over 20 connections is within the noise of a JVM's heap resizing; it is a
            // figure only with the full run's 1,000. Every other row is work done and must have cost something.
            if (!matcher.group(1).equals(Benchmark.Measure.RSS_PER_CONNECTION.label)) {
                assertTrue(Double.parseDouble(matcher.group(2)) > 0 && Double.parseDouble(matcher.group(3)) > 0, row);
            }
        }
    }
}
