package io.alpnlab.reports;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reports generate} turns a run into the conformance matrix (JSON, Markdown, HTML) and the
 * Allure report; {@code reports compare} prints what changed between two runs. Exit codes a CI job
 * can use: 0 no required rule fails, 1 a required rule fails, 2 bad arguments or unreadable files.
 */
@Command(name = "reports", mixinStandardHelpOptions = true, subcommands = {ReportsCommand.Generate.class,
        ReportsCommand.Compare.class}, description = "Conformance matrix, Allure report, and run comparison.")
public final class ReportsCommand {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new ReportsCommand());
        commandLine.setExecutionExceptionHandler((error, failed, parseResult) -> {
            failed.getErr().println("reports: " + error.getMessage());
            failed.getErr().flush();
            return 2;
        });
        return commandLine;
    }

    @Command(name = "generate", mixinStandardHelpOptions = true, description = "Write the matrix files and the Allure report.")
    static final class Generate implements Callable<Integer> {
        @Option(names = "--results", required = true, paramLabel = "FILE", description = "results.json of the run.")
        Path results;

        @Option(names = "--allure-results", paramLabel = "DIR", description = "The run's Allure results, to render.")
        Path allureResults;

        @Option(names = "--allure-home", paramLabel = "DIR", description = "The unpacked Allure command line.")
        Path allureHome;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the report goes.")
        Path out;

        @Option(names = "--optional", split = ",", paramLabel = "RULE", description = "Rules whose failure does not fail.")
        List<String> optional = List.of();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Report report = Report.generate(results, allureResults, allureHome, out);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.print(report.describe());
            stdout.flush();
            return report.failingRequired(new HashSet<>(optional)).isEmpty() ? 0 : 1;
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true, description = "Print what changed between two matrices.")
    static final class Compare implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "BASE", description = "conformance-matrix.json of the earlier run (e.g. main).")
        Path base;

        @Parameters(index = "1", paramLabel = "HEAD", description = "conformance-matrix.json of the later run (e.g. a pull request).")
        Path head;

        @Option(names = "--optional", split = ",", paramLabel = "RULE", description = "Rules whose failure does not fail.")
        List<String> optional = List.of();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            MatrixComparison comparison = MatrixComparison.compare(MatrixWriter.read(base), MatrixWriter.read(head),
                    new HashSet<>(optional));
            spec.commandLine().getOut().print(comparison.describe());
            spec.commandLine().getOut().flush();
            return comparison.exitCode();
        }
    }
}
