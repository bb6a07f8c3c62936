package io.alpnlab.reports.clients;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpnlab.conformance.client.ClientTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
import software.amazon.awssdk.iot.iotjobs.model.NextJobExecutionChangedEvent;
import software.amazon.awssdk.iot.iotjobs.model.NextJobExecutionChangedSubscriptionRequest;
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
 * The suite's device-service actions done with the SDK's own service clients (IotShadowClient,
 * IotJobsClient, IotIdentityClient), as AWS's samples use them: their topics and documents are the
 * SDK's, so the cases judge the library, not this adapter.
 */
final class SdkServices {

    /** A rejection the device gives up on, with its token. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final String token;

        Refused(String token, String message) {
            super(message);
            this.token = token;
        }
    }

    record Provisioned(Path certificate, Path key, String thingName) {
    }

    private SdkServices() {
    }

    private static <T> T await(CompletableFuture<T> future, long timeout) throws ExecutionException, TimeoutException,
            InterruptedException {
        return future.get(timeout, TimeUnit.MILLISECONDS);
    }

    /** Reports the task's payload as reported state; a 409 is answered by a get and a retry, at most 3 times. */
    static void report(MqttClientConnection connection, ClientTask task, long timeout) throws Exception {
        Map<String, Object> reported = new ObjectMapper().readValue(task.payload(), new TypeReference<Map<String, Object>>() {
        });
        reportState(connection, task, new HashMap<>(reported), timeout);
    }

    private static void reportState(MqttClientConnection connection, ClientTask task, HashMap<String, Object> reported,
            long timeout) throws Exception {
        IotShadowClient shadow = new IotShadowClient(connection);
        UpdateShadowSubscriptionRequest updates = new UpdateShadowSubscriptionRequest();
        updates.thingName = task.thingName();
        GetShadowSubscriptionRequest gets = new GetShadowSubscriptionRequest();
        gets.thingName = task.thingName();
        for (int attempt = 1;; attempt++) {
            String token = task.clientId() + "-" + attempt;
            CompletableFuture<UpdateShadowResponse> accepted = new CompletableFuture<>();
            CompletableFuture<ErrorResponse> rejected = new CompletableFuture<>();
            await(shadow.SubscribeToUpdateShadowAccepted(updates, QualityOfService.AT_LEAST_ONCE, response -> {
                if (token.equals(response.clientToken)) {
                    accepted.complete(response);
                }
            }), timeout);
            await(shadow.SubscribeToUpdateShadowRejected(updates, QualityOfService.AT_LEAST_ONCE, error -> {
                if (token.equals(error.clientToken)) {
                    rejected.complete(error);
                }
            }), timeout);
            UpdateShadowRequest update = new UpdateShadowRequest();
            update.thingName = task.thingName();
            update.clientToken = token;
            update.state = new ShadowState();
            update.state.reported = reported;
            await(shadow.PublishUpdateShadow(update, QualityOfService.AT_LEAST_ONCE), timeout);
            Object answer = await(CompletableFuture.anyOf(accepted, rejected), timeout);
            if (answer instanceof UpdateShadowResponse) {
                return;
            }
            ErrorResponse error = (ErrorResponse) answer;
            if (error.code != 409 || attempt > 3) {
                throw new Refused("SHADOW_REJECTED", error.code + " " + error.message);
            }
            CompletableFuture<GetShadowResponse> current = new CompletableFuture<>();
            await(shadow.SubscribeToGetShadowAccepted(gets, QualityOfService.AT_LEAST_ONCE, current::complete), timeout);
            GetShadowRequest get = new GetShadowRequest();
            get.thingName = task.thingName();
            await(shadow.PublishGetShadow(get, QualityOfService.AT_LEAST_ONCE), timeout);
            await(current, timeout);
        }
    }

    /**
     * Listens on /update/delta first (a delta published before the subscription is lost, at AWS too), reports the
     * task's state, then reports the values of the first desired change back.
     */
    static void sync(MqttClientConnection connection, ClientTask task, long timeout) throws Exception {
        IotShadowClient shadow = new IotShadowClient(connection);
        ShadowDeltaUpdatedSubscriptionRequest deltas = new ShadowDeltaUpdatedSubscriptionRequest();
        deltas.thingName = task.thingName();
        CompletableFuture<ShadowDeltaUpdatedEvent> delta = new CompletableFuture<>();
        await(shadow.SubscribeToShadowDeltaUpdatedEvents(deltas, QualityOfService.AT_LEAST_ONCE, delta::complete), timeout);
        report(connection, task, timeout);
        reportState(connection, task, new HashMap<>(await(delta, timeout).state), timeout);
    }

    /** start-next, then SUCCEEDED with the execution's version as expectedVersion. */
    static void takeJob(MqttClientConnection connection, ClientTask task, long timeout) throws Exception {
        IotJobsClient jobs = new IotJobsClient(connection);
        // notify-next first, as AWS's jobs sample does: a job queued after start-next found none still arrives.
        NextJobExecutionChangedSubscriptionRequest nextTopic = new NextJobExecutionChangedSubscriptionRequest();
        nextTopic.thingName = task.thingName();
        CompletableFuture<NextJobExecutionChangedEvent> queued = new CompletableFuture<>();
        await(jobs.SubscribeToNextJobExecutionChangedEvents(nextTopic, QualityOfService.AT_LEAST_ONCE, event -> {
            if (event.execution != null) {
                queued.complete(event);
            }
        }), timeout);
        StartNextPendingJobExecutionSubscriptionRequest startTopics = new StartNextPendingJobExecutionSubscriptionRequest();
        startTopics.thingName = task.thingName();
        java.util.concurrent.LinkedBlockingQueue<StartNextJobExecutionResponse> started = new java.util.concurrent.LinkedBlockingQueue<>();
        await(jobs.SubscribeToStartNextPendingJobExecutionAccepted(startTopics, QualityOfService.AT_LEAST_ONCE, started::add),
                timeout);
        StartNextPendingJobExecutionRequest startNext = new StartNextPendingJobExecutionRequest();
        startNext.thingName = task.thingName();
        await(jobs.PublishStartNextPendingJobExecution(startNext, QualityOfService.AT_LEAST_ONCE), timeout);
        StartNextJobExecutionResponse execution = started.poll(timeout, TimeUnit.MILLISECONDS);
        if (execution != null && execution.execution == null) {
            await(queued, timeout);
            await(jobs.PublishStartNextPendingJobExecution(startNext, QualityOfService.AT_LEAST_ONCE), timeout);
            execution = started.poll(timeout, TimeUnit.MILLISECONDS);
        }
        if (execution == null || execution.execution == null) {
            throw new Refused("NO_JOB", "start-next found no pending job");
        }
        UpdateJobExecutionSubscriptionRequest updateTopics = new UpdateJobExecutionSubscriptionRequest();
        updateTopics.thingName = task.thingName();
        updateTopics.jobId = execution.execution.jobId;
        CompletableFuture<UpdateJobExecutionResponse> updated = new CompletableFuture<>();
        await(jobs.SubscribeToUpdateJobExecutionAccepted(updateTopics, QualityOfService.AT_LEAST_ONCE, updated::complete), timeout);
        UpdateJobExecutionRequest done = new UpdateJobExecutionRequest();
        done.thingName = task.thingName();
        done.jobId = execution.execution.jobId;
        done.status = JobStatus.SUCCEEDED;
        done.expectedVersion = execution.execution.versionNumber;
        await(jobs.PublishUpdateJobExecution(done, QualityOfService.AT_LEAST_ONCE), timeout);
        await(updated, timeout);
    }

    /** CreateKeysAndCertificate and RegisterThing; the new key is written owner-only, as a device stores it. */
    static Provisioned provision(MqttClientConnection connection, ClientTask task, long timeout) throws Exception {
        IotIdentityClient identity = new IotIdentityClient(connection);
        CompletableFuture<CreateKeysAndCertificateResponse> created = new CompletableFuture<>();
        await(identity.SubscribeToCreateKeysAndCertificateAccepted(new CreateKeysAndCertificateSubscriptionRequest(),
                QualityOfService.AT_LEAST_ONCE, created::complete), timeout);
        await(identity.PublishCreateKeysAndCertificate(new CreateKeysAndCertificateRequest(), QualityOfService.AT_LEAST_ONCE),
                timeout);
        CreateKeysAndCertificateResponse keys = await(created, timeout);
        RegisterThingSubscriptionRequest registerTopics = new RegisterThingSubscriptionRequest();
        registerTopics.templateName = task.topic();
        CompletableFuture<RegisterThingResponse> registered = new CompletableFuture<>();
        await(identity.SubscribeToRegisterThingAccepted(registerTopics, QualityOfService.AT_LEAST_ONCE, registered::complete),
                timeout);
        RegisterThingRequest register = new RegisterThingRequest();
        register.templateName = task.topic();
        register.certificateOwnershipToken = keys.certificateOwnershipToken;
        register.parameters = new HashMap<>(Map.of("SerialNumber", task.clientId()));
        await(identity.PublishRegisterThing(register, QualityOfService.AT_LEAST_ONCE), timeout);
        String thing = await(registered, timeout).thingName;
        Path folder = Files.createTempDirectory("alpnlab-sdk-provisioned",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path certificate = Files.writeString(folder.resolve("certificate.pem"), keys.certificatePem);
        Path key = folder.resolve("private.key");
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, keys.privateKey);
        return new Provisioned(certificate, key, thing);
    }

    /** Connects as the new thing with the new certificate, at least AWS's second after the claim's CONNECT. */
    static void reconnect(Provisioned provisioned, ClientTask task, long timeout) throws Exception {
        Thread.sleep(Math.max(1, (long) (1_200 * task.timeScale())));
        try (AwsIotMqttConnectionBuilder builder = AwsIotMqttConnectionBuilder.newMtlsBuilderFromPath(
                provisioned.certificate().toString(), provisioned.key().toString())) {
            builder.withCertificateAuthorityFromPath(null, task.caFile().toString()).withEndpoint(task.serverName())
                    .withPort(task.port()).withClientId(provisioned.thingName()).withCleanSession(true);
            try (MqttClientConnection connection = builder.build()) {
                await(connection.connect(), timeout);
                await(connection.disconnect(), timeout);
            }
        } finally {
            Files.deleteIfExists(provisioned.key());
            Files.deleteIfExists(provisioned.certificate());
            Files.deleteIfExists(provisioned.certificate().getParent());
        }
    }
}
