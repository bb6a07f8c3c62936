package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.observe.ConnectionRecord;
import io.alpnlab.broker.observe.Verdict;
import io.alpnlab.broker.rules.Outcome;
import io.alpnlab.broker.services.DeviceServices;
import io.alpnlab.broker.testing.BrokerFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.crt.mqtt.MqttClientConnection;
import software.amazon.awssdk.crt.mqtt.QualityOfService;
import software.amazon.awssdk.iot.AwsIotMqttConnectionBuilder;
import software.amazon.awssdk.iot.iotidentity.IotIdentityClient;
import software.amazon.awssdk.iot.iotidentity.model.CreateKeysAndCertificateRequest;
import software.amazon.awssdk.iot.iotidentity.model.CreateKeysAndCertificateResponse;
import software.amazon.awssdk.iot.iotidentity.model.CreateKeysAndCertificateSubscriptionRequest;
import software.amazon.awssdk.iot.iotidentity.model.RegisterThingRequest;
import software.amazon.awssdk.iot.iotidentity.model.RegisterThingResponse;
import software.amazon.awssdk.iot.iotidentity.model.RegisterThingSubscriptionRequest;
import software.amazon.awssdk.iot.iotjobs.IotJobsClient;
import software.amazon.awssdk.iot.iotjobs.model.JobStatus;
import software.amazon.awssdk.iot.iotjobs.model.StartNextJobExecutionResponse;
import software.amazon.awssdk.iot.iotjobs.model.StartNextPendingJobExecutionRequest;
import software.amazon.awssdk.iot.iotjobs.model.StartNextPendingJobExecutionSubscriptionRequest;
import software.amazon.awssdk.iot.iotjobs.model.UpdateJobExecutionRequest;
import software.amazon.awssdk.iot.iotjobs.model.UpdateJobExecutionResponse;
import software.amazon.awssdk.iot.iotjobs.model.UpdateJobExecutionSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.IotShadowClient;
import software.amazon.awssdk.iot.iotshadow.model.ErrorResponse;
import software.amazon.awssdk.iot.iotshadow.model.GetShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.GetShadowResponse;
import software.amazon.awssdk.iot.iotshadow.model.GetShadowSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.ShadowDeltaUpdatedEvent;
import software.amazon.awssdk.iot.iotshadow.model.ShadowDeltaUpdatedSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.ShadowState;
import software.amazon.awssdk.iot.iotshadow.model.UpdateShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.UpdateShadowResponse;
import software.amazon.awssdk.iot.iotshadow.model.UpdateShadowSubscriptionRequest;

/**
 * AWS's own device SDK (v2 for Java: its shadow, jobs and identity clients, which parse AWS's
 * documents with their own models) runs the device half of a product against the mock: shadow
 * get/update/delta, a job execution, and fleet provisioning by claim ending in a reconnect with the
 * new certificate.
 */
class DeviceServicesSdkTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    static BrokerFixture fixture;

    @BeforeAll
    static void start() {
        MosquittoClientsTest.requireEndpointResolvesToLoopback();
        fixture = BrokerFixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static DeviceServices services() {
        return fixture.broker().services();
    }

    private static MqttClientConnection connect(String clientId, Path certificate, Path key) throws Exception {
        try (AwsIotMqttConnectionBuilder builder = AwsIotMqttConnectionBuilder.newMtlsBuilderFromPath(certificate.toString(),
                key.toString())) {
            builder.withCertificateAuthorityFromPath(null, BrokerFixture.file("root-ca.pem").toString())
                    .withEndpoint(BrokerFixture.ENDPOINT).withPort(fixture.port(ListenerRole.MQTT_8883))
                    .withClientId(clientId).withCleanSession(true);
            MqttClientConnection connection = builder.build();
            connection.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return connection;
        }
    }

    private static MqttClientConnection connectAsDevice(String clientId) throws Exception {
        return connect(clientId, BrokerFixture.file("device.cert.pem"), BrokerFixture.file("device.key.pem"));
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void shadow_update_get_and_a_desired_change_by_delta() throws Exception {
        String thing = "sdk-shadow-thing";
        try (MqttClientConnection connection = connectAsDevice(thing)) {
            IotShadowClient shadow = new IotShadowClient(connection);
            LinkedBlockingQueue<UpdateShadowResponse> updates = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<ShadowDeltaUpdatedEvent> deltas = new LinkedBlockingQueue<>();
            CompletableFuture<GetShadowResponse> got = new CompletableFuture<>();
            CompletableFuture<ErrorResponse> updateRejected = new CompletableFuture<>();
            UpdateShadowSubscriptionRequest updateTopics = new UpdateShadowSubscriptionRequest();
            updateTopics.thingName = thing;
            await(shadow.SubscribeToUpdateShadowAccepted(updateTopics, QualityOfService.AT_LEAST_ONCE, updates::add));
            await(shadow.SubscribeToUpdateShadowRejected(updateTopics, QualityOfService.AT_LEAST_ONCE, updateRejected::complete));
            ShadowDeltaUpdatedSubscriptionRequest deltaTopic = new ShadowDeltaUpdatedSubscriptionRequest();
            deltaTopic.thingName = thing;
            await(shadow.SubscribeToShadowDeltaUpdatedEvents(deltaTopic, QualityOfService.AT_LEAST_ONCE, deltas::add));
            GetShadowSubscriptionRequest getTopics = new GetShadowSubscriptionRequest();
            getTopics.thingName = thing;
            await(shadow.SubscribeToGetShadowAccepted(getTopics, QualityOfService.AT_LEAST_ONCE, got::complete));

            UpdateShadowRequest report = new UpdateShadowRequest();
            report.thingName = thing;
            report.clientToken = "report-1";
            report.state = new ShadowState();
            report.state.reported = new HashMap<>(Map.of("color", "green", "brightness", 40));
            await(shadow.PublishUpdateShadow(report, QualityOfService.AT_LEAST_ONCE));
            UpdateShadowResponse accepted = updates.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(accepted, "update/accepted for the reported state");
            assertEquals(1, accepted.version);
            assertEquals("report-1", accepted.clientToken);
            assertEquals("green", accepted.state.reported.get("color"));
            assertNotNull(accepted.metadata.reported.get("color"), "per-field metadata timestamps");

            // The operator (an app) wants red: the device gets a delta with only what differs.
            services().setDesired(thing, "", "{\"color\":\"red\",\"brightness\":40}");
            ShadowDeltaUpdatedEvent delta = deltas.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(delta, "update/delta after the desired change");
            assertEquals(Map.of("color", "red"), delta.state);
            assertEquals(2, delta.version);

            UpdateShadowRequest apply = new UpdateShadowRequest();
            apply.thingName = thing;
            apply.state = new ShadowState();
            apply.state.reported = new HashMap<>(delta.state);
            apply.version = delta.version;
            await(shadow.PublishUpdateShadow(apply, QualityOfService.AT_LEAST_ONCE));
            // update/accepted goes to every subscriber: first the operator's desired change, then the device's own.
            assertEquals(2, updates.poll(WAIT.toSeconds(), TimeUnit.SECONDS).version);
            assertEquals(3, updates.poll(WAIT.toSeconds(), TimeUnit.SECONDS).version);

            // Optimistic locking: an update naming an old version is refused with 409.
            await(shadow.PublishUpdateShadow(apply, QualityOfService.AT_LEAST_ONCE));
            ErrorResponse conflict = await(updateRejected);
            assertEquals(409, conflict.code);
            assertEquals("Version conflict", conflict.message);

            GetShadowRequest get = new GetShadowRequest();
            get.thingName = thing;
            await(shadow.PublishGetShadow(get, QualityOfService.AT_LEAST_ONCE));
            GetShadowResponse document = await(got);
            assertEquals(3, document.version);
            assertEquals("red", document.state.reported.get("color"));
            assertEquals("red", document.state.desired.get("color"));
            assertTrue(document.state.delta == null || document.state.delta.isEmpty(), "no delta once reported matches desired");
            connection.disconnect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && thing.equals(r.mqtt().clientId())
                && r.closedAt() != null);
        assertEquals(Outcome.PASS, record.check("CLIENT-SHADOW-01").orElseThrow().outcome());
        assertTrue(record.checks().stream().anyMatch(check -> check.rule().id().equals("CLIENT-SHADOW-02")
                && check.outcome() == Outcome.PASS), record.checks().toString());
    }

    @Test
    void a_job_execution_from_start_next_to_succeeded() throws Exception {
        String thing = "sdk-jobs-thing";
        services().createJob(thing, "firmware-2", "{\"operation\":\"update\",\"url\":\"https://example.test/fw.bin\"}");
        try (MqttClientConnection connection = connectAsDevice(thing)) {
            IotJobsClient jobs = new IotJobsClient(connection);
            CompletableFuture<StartNextJobExecutionResponse> started = new CompletableFuture<>();
            StartNextPendingJobExecutionSubscriptionRequest startTopics = new StartNextPendingJobExecutionSubscriptionRequest();
            startTopics.thingName = thing;
            await(jobs.SubscribeToStartNextPendingJobExecutionAccepted(startTopics, QualityOfService.AT_LEAST_ONCE,
                    started::complete));
            StartNextPendingJobExecutionRequest startNext = new StartNextPendingJobExecutionRequest();
            startNext.thingName = thing;
            await(jobs.PublishStartNextPendingJobExecution(startNext, QualityOfService.AT_LEAST_ONCE));
            StartNextJobExecutionResponse execution = await(started);
            assertEquals("firmware-2", execution.execution.jobId);
            assertEquals(JobStatus.IN_PROGRESS, execution.execution.status);
            assertEquals("update", execution.execution.jobDocument.get("operation"));

            CompletableFuture<UpdateJobExecutionResponse> updated = new CompletableFuture<>();
            UpdateJobExecutionSubscriptionRequest updateTopics = new UpdateJobExecutionSubscriptionRequest();
            updateTopics.thingName = thing;
            updateTopics.jobId = "firmware-2";
            await(jobs.SubscribeToUpdateJobExecutionAccepted(updateTopics, QualityOfService.AT_LEAST_ONCE, updated::complete));
            UpdateJobExecutionRequest done = new UpdateJobExecutionRequest();
            done.thingName = thing;
            done.jobId = "firmware-2";
            done.status = JobStatus.SUCCEEDED;
            done.expectedVersion = execution.execution.versionNumber;
            done.includeJobExecutionState = true;
            await(jobs.PublishUpdateJobExecution(done, QualityOfService.AT_LEAST_ONCE));
            UpdateJobExecutionResponse response = await(updated);
            assertEquals(JobStatus.SUCCEEDED, response.executionState.status);
            connection.disconnect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        assertEquals(List.of("QUEUED", "IN_PROGRESS", "SUCCEEDED"), services().jobs().history(thing, "firmware-2"));
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && thing.equals(r.mqtt().clientId())
                && r.closedAt() != null);
        assertEquals(Outcome.PASS, record.check("CLIENT-JOBS-01").orElseThrow().outcome());
    }

    @Test
    void fleet_provisioning_by_claim_then_a_reconnect_with_the_new_certificate(@TempDir Path folder) throws Exception {
        String claimant = "sdk-claim-device";
        CreateKeysAndCertificateResponse keys;
        RegisterThingResponse registered;
        try (MqttClientConnection connection = connectAsDevice(claimant)) {
            IotIdentityClient identity = new IotIdentityClient(connection);
            CompletableFuture<CreateKeysAndCertificateResponse> created = new CompletableFuture<>();
            await(identity.SubscribeToCreateKeysAndCertificateAccepted(new CreateKeysAndCertificateSubscriptionRequest(),
                    QualityOfService.AT_LEAST_ONCE, created::complete));
            await(identity.PublishCreateKeysAndCertificate(new CreateKeysAndCertificateRequest(), QualityOfService.AT_LEAST_ONCE));
            keys = await(created);
            assertTrue(keys.certificatePem.startsWith("-----BEGIN CERTIFICATE-----"));
            assertTrue(keys.privateKey.contains("PRIVATE KEY"));

            CompletableFuture<RegisterThingResponse> thing = new CompletableFuture<>();
            RegisterThingSubscriptionRequest registerTopics = new RegisterThingSubscriptionRequest();
            registerTopics.templateName = "alpnlab-fleet";
            await(identity.SubscribeToRegisterThingAccepted(registerTopics, QualityOfService.AT_LEAST_ONCE, thing::complete));
            RegisterThingRequest register = new RegisterThingRequest();
            register.templateName = "alpnlab-fleet";
            register.certificateOwnershipToken = keys.certificateOwnershipToken;
            register.parameters = new HashMap<>(Map.of("SerialNumber", "SN-0042", "ThingNamePrefix", "pico-"));
            await(identity.PublishRegisterThing(register, QualityOfService.AT_LEAST_ONCE));
            registered = await(thing);
            assertEquals("pico-SN-0042", registered.thingName);
            connection.disconnect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        Path certificate = Files.writeString(folder.resolve("provisioned.cert.pem"), keys.certificatePem);
        Path key = folder.resolve("provisioned.key.pem");
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, keys.privateKey);
        try (MqttClientConnection connection = connect(registered.thingName, certificate, key)) {
            connection.disconnect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        ConnectionRecord record = fixture.awaitRecord(r -> r.mqtt() != null && registered.thingName.equals(r.mqtt().clientId()));
        assertEquals(Verdict.Kind.ACCEPTED, record.verdict().outcome(), record.verdict().toString());
        assertEquals(Outcome.PASS, record.check("CLIENT-PROV-01").orElseThrow().outcome());
        assertFalse(record.toString().contains(keys.privateKey.substring(40, 80)), "the record never holds the private key");
    }
}
