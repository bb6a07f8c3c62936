package io.alpnlab.reports.clients;

import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import io.alpnlab.conformance.client.ClientUnderTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.crt.CrtRuntimeException;
import software.amazon.awssdk.crt.io.ExponentialBackoffRetryOptions.JitterMode;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions;
import software.amazon.awssdk.crt.mqtt5.OnAttemptingConnectReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionFailureReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionSuccessReturn;
import software.amazon.awssdk.crt.mqtt5.OnDisconnectionReturn;
import software.amazon.awssdk.crt.mqtt5.OnStoppedReturn;
import software.amazon.awssdk.crt.mqtt5.packets.ConnectPacket;
import software.amazon.awssdk.iot.AwsIotMqtt5ClientBuilder;

/**
 * AWS IoT Device SDK v2's MQTT 5 client, for the connect-backoff cases: unlike the 3.1.1 connection
 * it keeps retrying a refused connect on its own, with the SDK's reconnect policy (full jitter from
 * the minimum delay, doubling to the maximum). Those delays are the one timer it takes in
 * milliseconds, so they are scaled (1 s to 120 s at time scale 1, the SDK's defaults); so is the
 * CONNACK time-out. Keep-alive is in seconds and is not scaled, so this client runs only the cases
 * that connect.
 */
public final class AwsIotSdkMqtt5Client implements ClientUnderTest {

    /** The SDK's defaults at time scale 1 (aws-c-mqtt's MQTT 5 client). */
    static final long MIN_RECONNECT_DELAY_MILLIS = 1_000;
    static final long MAX_RECONNECT_DELAY_MILLIS = 120_000;
    static final long CONNACK_TIMEOUT_MILLIS = 20_000;

    @Override
    public String name() {
        return "AWS IoT Device SDK v2 for Java (MQTT 5 client, full jitter)";
    }

    @Override
    public String version() {
        String version = AwsIotMqtt5ClientBuilder.class.getPackage().getImplementationVersion();
        return version == null ? "1.30.1" : version;
    }

    @Override
    public boolean scalesTime() {
        return true;
    }

    /** Each run builds its own SDK client, connection and lifecycle listener from the task; nothing outlives it. */
    @Override
    public boolean runsConcurrently() {
        return true;
    }

    @Override
    public ClientReport run(ClientTask task) throws InterruptedException {
        long start = System.nanoTime();
        if (task.action() != ClientTask.Action.CONNECT) {
            return ClientReport.notSupported("this driver runs only the connect cases: the SDK's keep-alive cannot be scaled",
                    elapsed(start));
        }
        CompletableFuture<Void> connected = new CompletableFuture<>();
        AtomicInteger attempts = new AtomicInteger();
        StringBuilder log = new StringBuilder();
        Mqtt5ClientOptions.LifecycleEvents events = new Mqtt5ClientOptions.LifecycleEvents() {
            @Override
            public void onAttemptingConnect(Mqtt5Client client, OnAttemptingConnectReturn result) {
                attempts.incrementAndGet();
            }

            @Override
            public void onConnectionSuccess(Mqtt5Client client, OnConnectionSuccessReturn result) {
                connected.complete(null);
            }

            @Override
            public void onConnectionFailure(Mqtt5Client client, OnConnectionFailureReturn result) {
                synchronized (log) {
                    log.append("attempt ").append(attempts.get()).append(" failed: error ").append(result.getErrorCode()).append('\n');
                }
            }

            @Override
            public void onDisconnection(Mqtt5Client client, OnDisconnectionReturn result) {
            }

            @Override
            public void onStopped(Mqtt5Client client, OnStoppedReturn result) {
            }
        };
        double scale = task.timeScale();
        try (AwsIotMqtt5ClientBuilder builder = AwsIotMqtt5ClientBuilder.newDirectMqttBuilderWithMtlsFromPath(task.serverName(),
                task.certFile().toString(), task.keyFile().toString())) {
            builder.withCertificateAuthorityFromPath(null, task.caFile().toString()).withPort((long) task.port())
                    .withConnectProperties(new ConnectPacket.ConnectPacketBuilder().withClientId(task.clientId())
                            .withKeepAliveIntervalSeconds((long) task.keepAliveSeconds()))
                    .withRetryJitterMode(JitterMode.Full)
                    .withMinReconnectDelayMs(scaled(MIN_RECONNECT_DELAY_MILLIS, scale))
                    .withMaxReconnectDelayMs(scaled(MAX_RECONNECT_DELAY_MILLIS, scale))
                    .withConnackTimeoutMs(scaled(CONNACK_TIMEOUT_MILLIS, scale)).withLifeCycleEvents(events);
            try (Mqtt5Client client = builder.build()) {
                client.start();
                try {
                    connected.get(task.timeout().toMillis(), TimeUnit.MILLISECONDS);
                } finally {
                    client.stop();
                }
            }
            return ClientReport.success(java.util.List.of(), logged(log, attempts), elapsed(start));
        } catch (TimeoutException e) {
            return ClientReport.failure("TIMEOUT", "not connected after " + attempts.get() + " attempts in " + task.timeout().toMillis()
                    + " ms", logged(log, attempts), elapsed(start));
        } catch (ExecutionException | CrtRuntimeException e) {
            return ClientReport.failure("SDK_ERROR", String.valueOf(e.getMessage()), logged(log, attempts), elapsed(start));
        }
    }

    private static String logged(StringBuilder log, AtomicInteger attempts) {
        synchronized (log) {
            return log + "connection attempts: " + attempts.get() + "\n";
        }
    }

    private static long scaled(long millis, double scale) {
        return Math.max(1, Math.round(millis * scale));
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
