package io.alpnlab.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What changed between two runs' matrices (main vs a pull request, say): new failures, fixes and
 * other verdict changes, and whether the newer run fails a required rule.
 *
 * @param newFailures rules failing now that did not before
 * @param fixes rules that failed before and pass now
 * @param otherChanges any other verdict change, and rules present in only one run
 * @param failingRequired rules failing in the newer run that are required
 */
public record MatrixComparison(List<String> newFailures, List<String> fixes, List<String> otherChanges, List<String> failingRequired) {

    /** Compares; every rule is required unless listed in {@code optional}. */
    public static MatrixComparison compare(Matrix base, Matrix head, Set<String> optional) {
        List<String> newFailures = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        List<String> others = new ArrayList<>();
        List<String> failing = new ArrayList<>();
        for (Matrix.Row row : head.rules()) {
            Matrix.Row before = base.row(row.rule());
            Matrix.Verdict was = before == null ? null : before.verdict();
            Matrix.Verdict now = row.verdict();
            if (now.failsTheRun() && !optional.contains(row.rule())) {
                failing.add(row.rule());
            }
            if (was == null) {
                others.add(row.rule() + ": new in this run (" + now.words() + ")");
            } else if (now == Matrix.Verdict.FAIL && was != Matrix.Verdict.FAIL) {
                newFailures.add(row.rule() + ": " + was.words() + " -> fail");
            } else if (was == Matrix.Verdict.FAIL && (now == Matrix.Verdict.PASS || now == Matrix.Verdict.PASS_WITH_WARNINGS)) {
                fixes.add(row.rule() + ": fail -> " + now.words());
            } else if (was != now) {
                others.add(row.rule() + ": " + was.words() + " -> " + now.words());
            }
        }
        for (Matrix.Row row : base.rules()) {
            if (head.row(row.rule()) == null) {
                others.add(row.rule() + ": not judged in this run (was " + row.verdict().words() + ")");
            }
        }
        return new MatrixComparison(newFailures, fixes, others, failing);
    }

    /** 0 when no required rule fails in the newer run; warnings alone never fail. */
    public int exitCode() {
        return failingRequired.isEmpty() ? 0 : 1;
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        section(text, "New failures", newFailures);
        section(text, "Fixed", fixes);
        section(text, "Other changes", otherChanges);
        if (newFailures.isEmpty() && fixes.isEmpty() && otherChanges.isEmpty()) {
            text.append("No verdict changed.\n");
        }
        text.append(failingRequired.isEmpty() ? "No required rule fails.\n"
                : "Required rules failing: " + String.join(", ", failingRequired) + "\n");
        return text.toString();
    }

    /** The same, as the Markdown section a pull-request comment leads with. */
    public String markdown() {
        StringBuilder text = new StringBuilder("### Since the base run\n\n");
        markdownSection(text, "New failures", newFailures);
        markdownSection(text, "Fixed", fixes);
        markdownSection(text, "Other changes", otherChanges);
        if (newFailures.isEmpty() && fixes.isEmpty() && otherChanges.isEmpty()) {
            text.append("No verdict changed.\n\n");
        }
        return text.toString();
    }

    private static void markdownSection(StringBuilder text, String title, List<String> lines) {
        if (!lines.isEmpty()) {
            text.append("**").append(title).append("**\n\n");
            lines.forEach(line -> text.append("- ").append(line).append('\n'));
            text.append('\n');
        }
    }

    private static void section(StringBuilder text, String title, List<String> lines) {
        if (!lines.isEmpty()) {
            text.append(title).append(":\n");
            lines.forEach(line -> text.append("  ").append(line).append('\n'));
        }
    }
}
