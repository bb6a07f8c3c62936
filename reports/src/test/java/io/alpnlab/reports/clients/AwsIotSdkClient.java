package io.alpnlab.reports.clients;

import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import io.alpnlab.conformance.client.ClientUnderTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.crt.CrtRuntimeException;
import software.amazon.awssdk.crt.mqtt.MqttClientConnection;
import software.amazon.awssdk.crt.mqtt.MqttMessage;
import software.amazon.awssdk.crt.mqtt.QualityOfService;
import software.amazon.awssdk.iot.AwsIotMqttConnectionBuilder;

/**
 * AWS's own device SDK (v2 for Java, on aws-crt) as the client under test, used as its README
 * shows: an mTLS builder from the certificate and key files, the endpoint and the port. The SDK
 * chooses ALPN itself; the task's ALPN list is not passed on.
 */
public final class AwsIotSdkClient implements ClientUnderTest {

    @Override
    public String name() {
        return "AWS IoT Device SDK v2 for Java";
    }

    @Override
    public String version() {
        String version = AwsIotMqttConnectionBuilder.class.getPackage().getImplementationVersion();
        return version == null ? "1.30.1" : version;
    }

    /** Every action: it does them all, or answers for itself that it cannot. */
    @Override
    public java.util.Set<ClientTask.Action> actions() {
        return java.util.EnumSet.allOf(ClientTask.Action.class);
    }

    @Override
    public ClientReport run(ClientTask task) throws InterruptedException {
        long start = System.nanoTime();
        List<String> received = new CopyOnWriteArrayList<>();
        long timeout = task.timeout().toMillis();
        try (AwsIotMqttConnectionBuilder builder = AwsIotMqttConnectionBuilder.newMtlsBuilderFromPath(task.certFile().toString(),
                task.keyFile().toString())) {
            builder.withCertificateAuthorityFromPath(null, task.caFile().toString()).withEndpoint(task.serverName())
                    .withPort(task.port()).withClientId(task.clientId()).withCleanSession(task.cleanSession())
                    .withKeepAliveSecs(task.keepAliveSeconds());
            try (MqttClientConnection connection = builder.build()) {
                // Messages replayed into a resumed session arrive before any subscribe() callback exists.
                connection.onMessage(message -> received.add(message.getTopic() + " "
                        + new String(message.getPayload(), StandardCharsets.UTF_8)));
                connection.connect().get(timeout, TimeUnit.MILLISECONDS);
                switch (task.action()) {
                    case CONNECT -> {
                    }
                    case PUBLISH -> connection.publish(new MqttMessage(task.topic(), task.payload().getBytes(StandardCharsets.UTF_8),
                            QualityOfService.getEnumValueFromInteger(task.qos()), false)).get(timeout, TimeUnit.MILLISECONDS);
                    case SUBSCRIBE -> {
                        connection.subscribe(task.topic(), QualityOfService.getEnumValueFromInteger(task.qos()))
                                .get(timeout, TimeUnit.MILLISECONDS);
                        long deadline = System.nanoTime() + task.timeout().toNanos();
                        while (received.size() < task.expectMessages() && System.nanoTime() < deadline) {
                            Thread.sleep(20);
                        }
                        if (received.size() < task.expectMessages()) {
                            return ClientReport.failure("NO_MESSAGE", "received " + received.size() + " of "
                                    + task.expectMessages(), "", elapsed(start));
                        }
                    }
                    case STAY_CONNECTED -> Thread.sleep(timeout);
                    case SHADOW_REPORT -> SdkServices.report(connection, task, timeout);
                    case SHADOW_SYNC -> SdkServices.sync(connection, task, timeout);
                    case JOB -> SdkServices.takeJob(connection, task, timeout);
                    case PROVISION -> {
                        SdkServices.Provisioned provisioned = SdkServices.provision(connection, task, timeout);
                        connection.disconnect().get(timeout, TimeUnit.MILLISECONDS);
                        SdkServices.reconnect(provisioned, task, timeout);
                        return ClientReport.success(received, "", elapsed(start));
                    }
                }
                connection.disconnect().get(timeout, TimeUnit.MILLISECONDS);
            }
            return ClientReport.success(received, "", elapsed(start));
        } catch (SdkServices.Refused e) {
            return ClientReport.failure(e.token, e.getMessage(), "", elapsed(start));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String token = cause instanceof CrtRuntimeException crt && crt.errorName != null ? crt.errorName : "SDK_ERROR";
            return ClientReport.failure(token, String.valueOf(cause.getMessage()), "", elapsed(start));
        } catch (TimeoutException e) {
            return ClientReport.failure("TIMEOUT", "no answer within " + timeout + " ms", "", elapsed(start));
        } catch (CrtRuntimeException e) {
            return ClientReport.failure(e.errorName == null ? "SDK_ERROR" : e.errorName, e.getMessage(), "", elapsed(start));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // The service actions parse documents and write the provisioned key: whatever fails there is the client's.
            return ClientReport.failure("SDK_ERROR", e.toString(), "", elapsed(start));
        }
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
