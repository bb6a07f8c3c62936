package io.alpnlab.conformance.cases;

import static io.alpnlab.conformance.cases.ConformanceCase.BrokerSetup.everyConnection;
import static io.alpnlab.conformance.cases.ConformanceCase.BrokerSetup.firstConnections;
import static io.alpnlab.conformance.cases.ConformanceCase.BrokerSetup.schedule;
import static io.alpnlab.conformance.cases.ConformanceCase.ClientExpectation.ANY;
import static io.alpnlab.conformance.cases.ConformanceCase.Need.EXPIRED_SESSION;
import static io.alpnlab.conformance.cases.ConformanceCase.Need.PASSIVE;
import static io.alpnlab.conformance.cases.ConformanceCase.Need.SCALED_TIME;
import static io.alpnlab.conformance.cases.ConformanceCase.Need.TWO_RUNS;
import static io.alpnlab.conformance.cases.ConformanceCase.named;

import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.client.ClientTask;
import java.time.Duration;
import java.util.List;

/**
 * The MQTT cases: a valid CONNECT, QoS, acknowledgement retries, keep-alive, reconnects, backoff,
 * persistent sessions. Times are AWS's; the suite scales them for clients that scale their timers.
 */
public final class MqttCases {

    /**
     * How many times the repeated-disconnect case closes the client's connection (Device Advisor: 5 to
     * 10). Its budget covers 5 reconnects of a backoff from 2 s (2 + 4 + 8 + 16 + 32 s at most), the 300 ms
     * connected each time, and room for a loaded machine.
     */
    static final int REPEATED_DISCONNECTS = 5;
    /** How many connections Device Advisor's "reconnect on unstable connection" loses in MQTT-Reconnect-Unstable. */
    static final int UNSTABLE_DROPS = 3;
    /** Connects refused in a row in MQTT-LongDuration's outage (Device Advisor's "long server disconnect"). */
    static final int LONG_OUTAGE_REFUSALS = 3;
    /**
     * Time for {@value BackoffShape#GAPS} backoff gaps at time scale 1: the AWS SDKs' full jitter from
     * 1 s takes at most 255 s (1 + 2 + ... + 128), 128 s on average.
     */
    static final Duration BACKOFF_BUDGET = Duration.ofSeconds(300);

    private MqttCases() {
    }

    public static List<ConformanceCase> all() {
        return List.of(
                named("MQTT-Connect-ClientId", Rule.MQTT_CID_01).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("MQTT-CID-01"))
                        .hint("use a client ID of at most 128 bytes that does not start with $").build(),
                named("MQTT-Connect-ProtocolVersion", Rule.MQTT_CONN_03).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("MQTT-CONN-03"))
                        .hint("speak MQTT 3.1.1 or 5 (protocol level 4 or 5); AWS closes an MQTT 3.1 (MQIsdp, level 3) CONNECT"
                                + " without a CONNACK").build(),
                named("MQTT-Connect-KeepAlive", Rule.MQTT_KA_01).action(ClientTask.Action.CONNECT).needs(PASSIVE)
                        .judge(Judge.check("MQTT-KA-01"))
                        .hint("set keep-alive within 30..1200 s; AWS replaces anything else").build(),
                named("MQTT-Publish-QoS0", Rule.MQTT_QOS_01).qos(0).judge(Judge.accepted().and(Judge.neverBroken("MQTT-QOS-01")))
                        .hint("publish at QoS 0").build(),
                named("MQTT-Publish-QoS1", Rule.MQTT_QOS_01).qos(1).judge(Judge.accepted().and(Judge.neverBroken("MQTT-QOS-01")))
                        .hint("publish at QoS 1 and wait for the PUBACK").build(),
                named("MQTT-Subscribe", Rule.MQTT_SUB_01).action(ClientTask.Action.SUBSCRIBE)
                        .judge(Judge.accepted().and(Judge.neverBroken("MQTT-QOS-01")).and(Judge.neverBroken("MQTT-SUB-01"))
                                .and(Judge.neverBroken("MQTT-SUB-02")))
                        .hint("subscribe at QoS 0 or 1 with at most 8 filters per SUBSCRIBE and 50 per connection").build(),
                named("MQTT-WaitsForConnack", Rule.MQTT_CONN_01).broker(firstConnections(1, "withhold-connack"))
                        .action(ClientTask.Action.PUBLISH).client(ANY).needs(SCALED_TIME).budget(Duration.ofSeconds(8))
                        .judge(Judge.neverBroken("MQTT-CONN-01"))
                        .hint("send nothing after CONNECT until the CONNACK arrives; AWS closes the connection otherwise")
                        .assuming("the CONNACK is withheld on the first connection only").build(),
                named("MQTT-Publish-RetryWithoutPuback", Rule.CLIENT_RETRY_02).broker(firstConnections(1, "withhold-puback"))
                        .qos(1).needs(SCALED_TIME).budget(Duration.ofSeconds(40)).judge(Judge.resentOnSameConnection("PUBLISH"))
                        .hint("resend a QoS 1 PUBLISH with the same packet identifier on the same connection when no PUBACK comes"
                                + " (the DUP flag is optional: AWS does not use it)")
                        .assuming("the first PUBACK of the first connection is withheld; a resend within the budget passes")
                        .build(),
                named("MQTT-Subscribe-RetryWithoutSuback", Rule.CLIENT_RETRY_02).broker(firstConnections(1, "withhold-suback"))
                        .action(ClientTask.Action.SUBSCRIBE).needs(SCALED_TIME).budget(Duration.ofSeconds(40))
                        .judge(Judge.resentOnSameConnection("SUBSCRIBE"))
                        .hint("resend a SUBSCRIBE with the same packet identifier on the same connection when no SUBACK comes")
                        .assuming("the first SUBACK of the first connection is withheld").build(),
                named("MQTT-KeepAlive-PingInTime", Rule.CLIENT_KA_01).action(ClientTask.Action.STAY_CONNECTED)
                        .needs(SCALED_TIME).budget(Duration.ofSeconds(100))
                        .judge(Judge.neverBroken("MQTT-KA-01"))
                        .hint("send PINGREQ before the keep-alive elapses when nothing else is sent")
                        .assuming("the client stays connected for about twice AWS's 1.5 x keep-alive deadline").build(),
                named("MQTT-KeepAlive-NoPingresp", Rule.CLIENT_KA_01).broker(everyConnection("withhold-pingresp"))
                        .action(ClientTask.Action.STAY_CONNECTED).client(ANY).needs(SCALED_TIME).budget(Duration.ofSeconds(150))
                        .judge(Judge.droppedDeadConnectionItself())
                        .hint("treat a missing PINGRESP as a dead connection and reconnect")
                        .assuming("PINGRESP is withheld on every connection; a reconnect within the budget passes").build(),
                named("MQTT-Reconnect-AfterServerDisconnect", Rule.CLIENT_RECONNECT_01)
                        .broker(firstConnections(1, "disconnect-after=300")).action(ClientTask.Action.STAY_CONNECTED)
                        .needs(SCALED_TIME).budget(Duration.ofSeconds(40)).judge(Judge.reconnectsWithBackoff(1))
                        .hint("reconnect when the server closes the connection, waiting at least 1 s first")
                        .assuming("the server closes the first connection 300 ms after CONNACK").build(),
                named("MQTT-Reconnect-Repeated", Rule.CLIENT_RECONNECT_01)
                        .broker(firstConnections(REPEATED_DISCONNECTS, "disconnect-after=300")).action(ClientTask.Action.STAY_CONNECTED)
                        .needs(SCALED_TIME).budget(Duration.ofSeconds(160)).judge(Judge.reconnectsWithBackoff(REPEATED_DISCONNECTS))
                        .hint("back off between reconnects: at least 1 s, growing (exponentially, with jitter) while the server"
                                + " keeps closing the connection")
                        .assuming("the server closes each of the first " + REPEATED_DISCONNECTS + " connections 300 ms after CONNACK")
                        .build(),
                named("MQTT-Reconnect-Unstable", Rule.CLIENT_RECONNECT_01)
                        .broker(firstConnections(UNSTABLE_DROPS, "disconnect-after-packets=2")).qos(1)
                        .needs(SCALED_TIME).budget(Duration.ofSeconds(60))
                        .judge(Judge.reconnectsWithBackoff(UNSTABLE_DROPS).and(Judge.publishAcknowledged()))
                        .hint("treat a connection that drops before the PUBACK as lost: reconnect (at least 1 s later, growing)"
                                + " and send the QoS 1 message again until it is acknowledged")
                        .assuming("the server drops each of the first " + UNSTABLE_DROPS + " connections when the client's"
                                + " PUBLISH arrives, before its PUBACK").build(),
                named("MQTT-LongDuration", Rule.CLIENT_LONG_01)
                        .broker(schedule(firstConnections(1, "disconnect-after=500"), firstConnections(2, "disconnect-after=300"),
                                firstConnections(LONG_OUTAGE_REFUSALS, "refuse-first-connections=" + LONG_OUTAGE_REFUSALS),
                                firstConnections(1, "withhold-pingresp")))
                        .action(ClientTask.Action.STAY_CONNECTED).needs(SCALED_TIME).budget(Duration.ofSeconds(160))
                        .judge(Judge.survivedLongRun(1 + 2 + LONG_OUTAGE_REFUSALS + 1 + 1))
                        .hint("keep reconnecting through every kind of failure: back off (at least 1 s, growing) after a"
                                + " disconnect, keep retrying through an outage however long, treat a missing PINGRESP as a dead"
                                + " connection; a retry limit leaves the device offline for good")
                        .assuming("Device Advisor's long-duration schedule, compressed: a disconnect 500 ms after CONNACK,"
                                + " two more 300 ms after CONNACK, " + LONG_OUTAGE_REFUSALS + " refused CONNECTs, a connection without PINGRESP,"
                                + " then AWS's behaviour to the end").build(),
                named("MQTT-Backoff-Refused", Rule.CLIENT_RETRY_01)
                        .broker(everyConnection("refuse-first-connections=" + BackoffShape.GAPS))
                        .action(ClientTask.Action.CONNECT).needs(SCALED_TIME, PASSIVE).budget(BACKOFF_BUDGET)
                        .judge(Judge.backoff(BackoffShape.GAPS))
                        .hint("retry with exponential backoff and jitter (AWS SDKs: 1 s doubling to 120 s, full jitter), and keep"
                                + " retrying")
                        .assuming("the first " + BackoffShape.GAPS + " CONNECTs are closed without CONNACK; the gaps are judged by the"
                                + " test in docs/RULES.md (CLIENT-RETRY-01)").build(),
                named("MQTT-Backoff-NoConnack", Rule.CLIENT_RETRY_01).broker(firstConnections(BackoffShape.GAPS, "withhold-connack"))
                        .action(ClientTask.Action.CONNECT).needs(SCALED_TIME).budget(BACKOFF_BUDGET.plus(Duration.ofSeconds(90)))
                        .judge(Judge.backoff(BackoffShape.GAPS))
                        .hint("give up waiting for a CONNACK after a timeout, then retry with exponential backoff and jitter")
                        .assuming("no CONNACK on the first " + BackoffShape.GAPS + " connections").build(),
                named("MQTT-PersistentSession-Resume", Rule.MQTT_SESS_01).action(ClientTask.Action.SUBSCRIBE)
                        .needs(TWO_RUNS).budget(Duration.ofSeconds(20))
                        .judge(run -> {
                            var second = run.mqttConnections().stream().skip(1).findFirst().orElse(null);
                            if (second == null) {
                                return Observation.fail("a second connection resuming the session", "no second connection");
                            }
                            boolean present = second.mqtt().packets().stream()
                                    .anyMatch(packet -> packet.detail().contains("sessionPresent=true"));
                            boolean delivered = run.report().received().stream().anyMatch(message -> message.contains(
                                    "published-while-offline"));
                            return present && delivered
                                    ? Observation.pass("session present and the offline message delivered", "both")
                                    : Observation.fail("session present and the offline message delivered", "session present "
                                            + present + ", message delivered " + delivered);
                        })
                        .hint("connect with cleanSession=0 and the same client ID to resume; acknowledge replayed QoS 1 messages")
                        .assuming("the client subscribes with cleanSession=0, disconnects, a QoS 1 message is published,"
                                + " and it reconnects").build(),
                named("MQTT-PersistentSession-Expired", Rule.CLIENT_SESS_01).action(ClientTask.Action.SUBSCRIBE)
                        .needs(EXPIRED_SESSION).budget(Duration.ofSeconds(20)).judge(Judge.resubscribedAfterExpiry())
                        .hint("read session present in the CONNACK: when it is 0, subscribe again (AWS expires persistent"
                                + " sessions after 1 hour by default)")
                        .assuming("the client subscribes with cleanSession=0 and disconnects, the broker expires the session,"
                                + " the client reconnects with cleanSession=0, and once it subscribes a message is published")
                        .build());
    }
}
