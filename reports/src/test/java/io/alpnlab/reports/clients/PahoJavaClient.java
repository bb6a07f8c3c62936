package io.alpnlab.reports.clients;

import io.alpnlab.certs.PemTls;
import io.alpnlab.conformance.client.ClientReport;
import io.alpnlab.conformance.client.ClientTask;
import io.alpnlab.conformance.client.ClientUnderTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Eclipse Paho Java 1.2.5 (MQTT 3.1.1) as the client under test, configured as its users do: an
 * {@code ssl://endpoint:port} URI and a socket factory from the device's key and the CA. Paho 1.2.5
 * has no way to offer ALPN (it overwrites SSLParameters, issue #941), so the task's ALPN list
 * cannot be honoured: that is what the 443 cases show.
 */
public final class PahoJavaClient implements ClientUnderTest {

    @Override
    public String name() {
        return "Eclipse Paho Java";
    }

    @Override
    public String version() {
        return "1.2.5";
    }

    /**
     * Paho's blocking calls end with an MqttException when the thread is interrupted (its tokens wait
     * interruptibly), and the client is closed on the way out.
     */
    @Override
    public boolean stoppable() {
        return true;
    }

    @Override
    public ClientReport run(ClientTask task) throws InterruptedException {
        long start = System.nanoTime();
        List<String> received = new CopyOnWriteArrayList<>();
        MqttClient client = null;
        try {
            client = new MqttClient("ssl://" + task.serverName() + ":" + task.port(), task.clientId(), new MemoryPersistence());
            MqttConnectOptions options = new MqttConnectOptions();
            options.setSocketFactory(PemTls.context(task.keyFile(), task.certFile(), task.caFile()).getSocketFactory());
            options.setHttpsHostnameVerificationEnabled(true);
            options.setCleanSession(task.cleanSession());
            options.setKeepAliveInterval(task.keepAliveSeconds());
            options.setConnectionTimeout((int) Math.max(1, task.timeout().toSeconds()));
            options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            client.setTimeToWait(task.timeout().toMillis());
            client.connect(options);
            switch (task.action()) {
                case CONNECT -> {
                }
                case PUBLISH -> client.publish(task.topic(), task.payload().getBytes(StandardCharsets.UTF_8), task.qos(), false);
                case SUBSCRIBE -> {
                    client.subscribe(task.topic(), task.qos(), (topic, message) -> received.add(topic + " "
                            + new String(message.getPayload(), StandardCharsets.UTF_8)));
                    long deadline = System.nanoTime() + task.timeout().toNanos();
                    while (received.size() < task.expectMessages() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    if (received.size() < task.expectMessages()) {
                        return ClientReport.failure("NO_MESSAGE", "received " + received.size(), "", elapsed(start));
                    }
                }
                case STAY_CONNECTED -> Thread.sleep(task.timeout().toMillis());
            }
            client.disconnect();
            return ClientReport.success(received, "", elapsed(start));
        } catch (MqttException e) {
            return ClientReport.failure("PAHO_" + e.getReasonCode(), e.getMessage() + (e.getCause() == null ? ""
                    : ": " + e.getCause().getMessage()), "", elapsed(start));
        } catch (Exception e) {
            return ClientReport.failure("PAHO_SETUP", e.toString(), "", elapsed(start));
        } finally {
            if (client != null) {
                try {
                    client.close(true);
                } catch (MqttException e) {
                    // already closed
                }
            }
        }
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
