package io.alpnlab.broker.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The shadow and jobs documents and errors, request by request, as AWS's pages give them. */
class DeviceServicesTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC);
    private final ObjectMapper json = new ObjectMapper();
    private final Shadows shadows = new Shadows(CLOCK);
    private final Jobs jobs = new Jobs(CLOCK);

    private ServiceEvent shadow(String operation, String body) {
        return shadows.handle(Shadows.request("$aws/things/t/shadow/" + operation).orElseThrow(),
                body.getBytes(StandardCharsets.UTF_8), "t");
    }

    private JsonNode reply(ServiceEvent event, String suffix) throws Exception {
        Optional<ServiceReply> reply = event.replies().stream().filter(r -> r.topic().endsWith(suffix)).findFirst();
        assertTrue(reply.isPresent(), "no " + suffix + " in " + event.replies());
        return json.readTree(reply.get().payload());
    }

    private static boolean has(ServiceEvent event, String rule, Outcome outcome) {
        return event.checks().stream().anyMatch(check -> check.rule().id().equals(rule) && check.outcome() == outcome);
    }

    @Test
    void desired_reported_and_delta_with_versions_nulls_and_numbers_by_value() throws Exception {
        JsonNode first = reply(shadow("update", "{\"state\":{\"reported\":{\"color\":\"green\",\"temp\":20}},\"clientToken\":\"a\"}"),
                "/update/accepted");
        assertEquals(1, first.get("version").asInt());
        assertEquals("a", first.get("clientToken").asText());
        assertEquals(CLOCK.millis() / 1000, first.get("metadata").get("reported").get("color").get("timestamp").asLong());
        ServiceEvent desired = shadow("update", "{\"state\":{\"desired\":{\"color\":\"red\",\"temp\":20}}}");
        assertEquals("{\"color\":\"red\"}", reply(desired, "/update/delta").get("state").toString(), "only what differs");
        assertEquals(1, reply(desired, "/update/documents").get("previous").get("version").asInt());
        // A device that reports 20.0 for 20 and the new color clears the delta: numbers compare by value.
        ServiceEvent applied = shadow("update", "{\"state\":{\"reported\":{\"color\":\"red\",\"temp\":20.0}}}");
        assertTrue(applied.replies().stream().noneMatch(r -> r.topic().endsWith("/update/delta")), applied.replies().toString());
        assertTrue(has(applied, "CLIENT-SHADOW-02", Outcome.PASS), applied.checks().toString());
        JsonNode got = reply(shadow("get", "{}"), "/get/accepted");
        assertEquals(3, got.get("version").asInt());
        assertFalse(got.get("state").has("delta"));
        // null deletes a field, a null section the section.
        shadow("update", "{\"state\":{\"reported\":{\"temp\":null},\"desired\":null}}");
        JsonNode after = reply(shadow("get", ""), "/get/accepted");
        assertEquals("{\"reported\":{\"color\":\"red\"}}", after.get("state").toString());
    }

    @Test
    void errors_carry_aws_codes_and_messages() throws Exception {
        assertEquals(404, reply(shadow("get", "{}"), "/get/rejected").get("code").asInt());
        assertEquals("Missing required node: state", reply(shadow("update", "{}"), "/update/rejected").get("message").asText());
        assertEquals(400, reply(shadow("update", "not json"), "/update/rejected").get("code").asInt());
        assertEquals(400, reply(shadow("update", "{\"state\":{\"reported\":{}},\"clientToken\":\"" + "x".repeat(65) + "\"}"),
                "/update/rejected").get("code").asInt());
        String deep = "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":1}}}}}}}";
        assertTrue(reply(shadow("update", "{\"state\":{\"reported\":" + deep + "}}"), "/update/rejected").get("message").asText()
                .contains("nesting"));
        JsonNode tooLarge = reply(shadow("update", "{\"state\":{\"reported\":{\"blob\":\"" + "x".repeat(Shadows.MAX_STATE_BYTES)
                + "\"}}}"), "/update/rejected");
        assertEquals(413, tooLarge.get("code").asInt());
        shadow("update", "{\"state\":{\"reported\":{\"on\":true}}}");
        JsonNode conflict = reply(shadow("update", "{\"state\":{\"reported\":{\"on\":false}},\"version\":7}"), "/update/rejected");
        assertEquals(409, conflict.get("code").asInt());
        assertEquals("Version conflict", conflict.get("message").asText());
    }

    @Test
    void a_forced_conflict_lasts_until_the_device_reads_and_a_loop_is_flagged() throws Exception {
        shadows.forceVersionConflict("t");
        String update = "{\"state\":{\"reported\":{\"on\":true}}}";
        for (int i = 1; i <= 3; i++) {
            ServiceEvent rejected = shadow("update", update);
            assertEquals(409, reply(rejected, "/update/rejected").get("code").asInt());
            assertFalse(has(rejected, "CLIENT-SHADOW-03", Outcome.FAIL), "update " + i + " is within the bound");
        }
        assertTrue(has(shadow("update", update), "CLIENT-SHADOW-03", Outcome.FAIL), "the fourth without a read is a loop");
        shadows.forceVersionConflict("t");
        shadow("update", update);
        shadow("get", "{}");
        ServiceEvent recovered = shadow("update", update);
        reply(recovered, "/update/accepted");
        assertTrue(has(recovered, "CLIENT-SHADOW-03", Outcome.PASS), recovered.checks().toString());
    }

    private ServiceEvent job(String path, String body) {
        return jobs.handle(Jobs.request("$aws/things/t/jobs/" + path).orElseThrow(), body.getBytes(StandardCharsets.UTF_8), "t");
    }

    @Test
    void job_executions_move_as_aws_allows_and_the_device_rule_sees_the_path() throws Exception {
        List<ServiceReply> queued = jobs.create("t", "j1", "{\"op\":\"x\"}");
        assertTrue(queued.stream().anyMatch(r -> r.topic().endsWith("/jobs/notify-next")));
        JsonNode started = reply(job("start-next", "{\"clientToken\":\"c\"}"), "/start-next/accepted");
        assertEquals("IN_PROGRESS", started.get("execution").get("status").asText());
        int version = started.get("execution").get("versionNumber").asInt();
        assertEquals("VersionMismatch", reply(job("j1/update", "{\"status\":\"SUCCEEDED\",\"expectedVersion\":" + (version + 5)
                + "}"), "/j1/update/rejected").get("code").asText());
        assertEquals("InvalidRequest", reply(job("j1/update", "{\"status\":\"QUEUED\"}"), "/j1/update/rejected").get("code")
                .asText());
        ServiceEvent done = job("j1/update", "{\"status\":\"SUCCEEDED\",\"expectedVersion\":" + version
                + ",\"includeJobExecutionState\":true}");
        assertEquals("SUCCEEDED", reply(done, "/j1/update/accepted").get("executionState").get("status").asText());
        assertTrue(has(done, "CLIENT-JOBS-01", Outcome.PASS));
        assertEquals("InvalidStateTransition", reply(job("j1/update", "{\"status\":\"FAILED\"}"), "/j1/update/rejected").get("code")
                .asText());
        assertEquals(List.of("QUEUED", "IN_PROGRESS", "SUCCEEDED"), jobs.history("t", "j1"));

        jobs.create("t", "j2", "{}");
        ServiceEvent skipped = job("j2/update", "{\"status\":\"SUCCEEDED\"}");
        Check failed = skipped.checks().stream().filter(check -> check.rule().id().equals("CLIENT-JOBS-01")).findFirst().orElseThrow();
        assertEquals(Outcome.FAIL, failed.outcome());
        assertTrue(failed.detail().contains("without reporting IN_PROGRESS"), failed.detail());
        assertEquals(0, reply(job("get", "{}"), "/get/accepted").get("queuedJobs").size());
    }
}
