package io.alpnlab.conformance.suite;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.ConnectionRecorder;
import io.alpnlab.broker.rules.RuleCatalogue;
import io.alpnlab.conformance.CaseResult;
import io.alpnlab.conformance.cases.ConformanceCase;
import io.alpnlab.conformance.client.ClientReport;
import io.qameta.allure.Allure;
import io.qameta.allure.model.Status;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What the Allure report shows of a case: labels by layer and rule (linking to RULES.md), steps
 * for the broker set-up, the client run and the observation, and the evidence as attachments (the
 * decoded ClientHello, the connection records, the broker's log lines, the client's output).
 */
final class AllureCase {

    private AllureCase() {
    }

    static void describe(ConformanceCase conformanceCase, CaseResult result) {
        String area = conformanceCase.rule().area();
        Allure.label("layer", area.toLowerCase(Locale.ROOT));
        Allure.label("rule", conformanceCase.rule().id());
        Allure.label("provenance", conformanceCase.rule().provenance().tag());
        Allure.epic("AWS IoT Core conformance");
        Allure.feature(area);
        Allure.story(conformanceCase.rule().id() + ": " + conformanceCase.rule().statement());
        Allure.link("RULES.md " + conformanceCase.rule().id(), "docs/RULES.md#" + RuleCatalogue.anchor(conformanceCase.rule()));
        Allure.description(conformanceCase.rule().statement() + "\n\nProvenance: " + conformanceCase.rule().provenance().tag()
                + " (" + conformanceCase.rule().source() + ")\n\nHint: " + conformanceCase.hint()
                + (conformanceCase.assumption().isEmpty() ? "" : "\n\nAssumed: " + conformanceCase.assumption()));

        Allure.step("Broker set-up: " + conformanceCase.misbehaviours().describe() + " on " + conformanceCase.listener());

        ClientReport report = result.report();
        if (report != null) {
            Allure.step("Client: " + conformanceCase.action() + " -> " + report.outcome()
                    + (report.errorToken() == null ? "" : " " + report.errorToken()) + " in " + report.elapsed().toMillis() + " ms",
                    () -> Allure.addAttachment("client output", "text/plain", report.output(), ".txt"));
        } else {
            Allure.step("Client: not run (" + result.verdict() + ": " + result.reason() + ")");
        }

        List<ConnectionRecord> records = result.records();
        Status observed = switch (result.verdict()) {
            case PASS -> Status.PASSED;
            case PASS_WITH_WARNINGS -> Status.PASSED;
            case FAIL -> Status.FAILED;
            case BLOCKED -> Status.BROKEN;
            default -> Status.SKIPPED;
        };
        Allure.step("Observation: " + result.verdict() + " (" + records.size() + " connection(s))", step -> {
            step.parameter("want", result.expected());
            step.parameter("got", result.observed());
            if (!records.isEmpty() && records.get(0).clientHello() != null) {
                Allure.addAttachment("ClientHello (decoded)", "application/json",
                        ConnectionRecorder.toJson(records.get(0).clientHello()), ".json");
            }
            if (!records.isEmpty()) {
                Allure.addAttachment("connection records", "application/json", ConnectionRecorder.toJson(records), ".json");
                StringBuilder log = new StringBuilder();
                for (ConnectionRecord record : records) {
                    log.append("conn#").append(record.id()).append(' ').append(record.listener()).append(' ')
                            .append(record.remoteAddress()).append(' ').append(record.verdict().outcome()).append(' ')
                            .append(record.verdict().rule()).append(record.verdict().alert() == null ? ""
                                    : " (alert " + record.verdict().alert() + ")").append(": ").append(record.verdict().detail())
                            .append('\n');
                }
                Allure.addAttachment("broker log", "text/plain", log.toString(), ".txt");
            }
            // The failing case's connections as Wireshark opens them: the capture and the key log that decrypts it.
            for (Path file : result.evidence()) {
                String name = file.getFileName().toString();
                boolean capture = name.endsWith(".pcapng");
                try (InputStream in = Files.newInputStream(file)) {
                    Allure.addAttachment(name, capture ? "application/x-pcapng" : "text/plain", in, capture ? ".pcapng" : ".keys");
                } catch (IOException e) {
                    Allure.addAttachment(name + " (unreadable)", "text/plain", e.toString(), ".txt");
                }
            }
            if (observed == Status.FAILED) {
                throw new AssertionError("want: " + result.expected() + "\ngot:  " + result.observed());
            }
        });
    }
}
