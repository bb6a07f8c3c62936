package io.alpnlab.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.alpnlab.broker.control.ThingsCommand;
import io.alpnlab.broker.testing.BrokerFixture;
import io.alpnlab.broker.testing.TestMqttClient;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The operator's side by hand: {@code mock-broker things} sets a shadow's desired state and queues a
 * job on a running broker through its control endpoint, and the device connected to it gets the
 * delta and the job notification.
 */
class ThingsCommandTest {

    static BrokerFixture fixture;

    @BeforeAll
    static void start() {
        fixture = BrokerFixture.start(builder -> builder.controlPort(0));
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run things(String... arguments) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new ThingsCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        String[] all = new String[arguments.length + 2];
        all[0] = "--control";
        all[1] = "http://127.0.0.1:" + fixture.broker().controlPort();
        System.arraycopy(arguments, 0, all, 2, arguments.length);
        int exit = command.execute(all);
        return new Run(exit, out.toString(), err.toString());
    }

    private static MqttPublishMessage nextOn(TestMqttClient device, String topic) {
        while (true) {
            MqttMessage message = device.await(MqttMessageType.PUBLISH);
            if (message instanceof MqttPublishMessage publish && publish.variableHeader().topicName().equals(topic)) {
                return publish;
            }
        }
    }

    @Test
    void desired_state_and_a_job_set_by_hand_reach_the_connected_device() {
        String thing = "cli-lamp";
        Run missing = things("shadow", thing);
        assertEquals(1, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("404") && missing.err().contains("no shadow"), missing.err());

        try (TestMqttClient device = TestMqttClient.connected(fixture.port(ListenerRole.MQTT_8883), null, thing,
                MqttVersion.MQTT_3_1_1)) {
            device.subscribe(1, 1, "$aws/things/" + thing + "/shadow/update/delta", "$aws/things/" + thing + "/jobs/notify-next");
            device.await(MqttMessageType.SUBACK);

            Run set = things("shadow", thing, "--desired", "{\"color\":\"red\"}");
            assertEquals(0, set.exit(), set.toString());
            assertTrue(set.out().contains("\"desired\":{\"color\":\"red\"}"), set.out());
            String delta = TestMqttClient.text(nextOn(device, "$aws/things/" + thing + "/shadow/update/delta"));
            assertTrue(delta.contains("\"state\":{\"color\":\"red\"}") && delta.contains("\"version\":1"), delta);

            Run queued = things("job", thing, "lamp-firmware-7", "--document", "{\"operation\":\"update\"}");
            assertEquals(0, queued.exit(), queued.toString());
            String next = TestMqttClient.text(nextOn(device, "$aws/things/" + thing + "/jobs/notify-next"));
            assertTrue(next.contains("\"jobId\":\"lamp-firmware-7\"") && next.contains("\"status\":\"QUEUED\""), next);
        }
        Run execution = things("job", thing, "lamp-firmware-7");
        assertEquals(0, execution.exit(), execution.toString());
        assertTrue(execution.out().contains("\"history\":[\"QUEUED\"]"), execution.out());
        Run badDocument = things("job", thing, "lamp-firmware-8", "--document", "[1,2]");
        assertEquals(1, badDocument.exit(), badDocument.toString());
        assertTrue(badDocument.err().contains("400") && badDocument.err().contains("JSON object"), badDocument.err());
    }
}
